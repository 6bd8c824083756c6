"""Discovery accounts for every name under the raw folder: what cannot be
read (a file, a folder), what is not a file (a FIFO, a link to nowhere, a
link loop, a link to a folder) and what vanished while the folder was read
is an ingest error with its reason, and the other files go on.

Root reads files whatever their mode, so unreadability is simulated where
chmod cannot make it real: the open (or the folder listing) discovery uses
fails as it would for an ordinary user."""

import errno
import os
from pathlib import Path

import pytest

from orchestration.ingest.cache import ExtractionCache
from orchestration.ingest.extraction import assemble
from orchestration.ingest.files import discover, files_frame, listing
from tests.test_state_standins import Listed

pytestmark = pytest.mark.unit

AS_ROOT = os.geteuid() == 0


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def denied(path) -> PermissionError:
    return PermissionError(errno.EACCES, "Permission denied", str(path))


@pytest.fixture
def unreadable(monkeypatch):
    """Make a file or folder unreadable: chmod 000, and for root the same
    failure from the open or listing discovery does."""
    made = []
    real_open, real_scandir = Path.open, os.scandir

    def open_(self, *args, **kwargs):
        if self in made:
            raise denied(self)
        return real_open(self, *args, **kwargs)

    def scandir(path=".", *args):
        if isinstance(path, str | os.PathLike) and Path(path) in made:
            raise denied(path)
        return real_scandir(path, *args)

    def make(path: Path) -> Path:
        made.append(path)
        path.chmod(0)
        if AS_ROOT:
            monkeypatch.setattr(Path, "open", open_)
            monkeypatch.setattr(os, "scandir", scandir)
        return path

    yield make
    for path in made:
        path.chmod(0o755)


@pytest.fixture
def vanishing(monkeypatch):
    """Delete a file right after its folder was listed."""

    def make(path: Path) -> Path:
        real_scandir = os.scandir

        def scandir(folder=".", *args):
            if isinstance(folder, str | os.PathLike) and Path(folder) == path.parent:
                with real_scandir(folder, *args) as entries:
                    listed = Listed(entries)
                path.unlink(missing_ok=True)
                return listed
            return real_scandir(folder, *args)

        monkeypatch.setattr(os, "scandir", scandir)
        return path

    return make


@pytest.fixture
def raw(tmp_path, unreadable, vanishing):
    raw = tmp_path / "raw"
    write(raw / "good.txt", "甲 10")
    write(raw / "sub" / "also-good.txt", "乙 20")
    unreadable(write(raw / "locked.txt", "丙 30"))
    write(raw / "closed" / "inside.txt", "丁 40")
    unreadable(raw / "closed")
    os.mkfifo(raw / "pipe.txt")
    (raw / "dangling.txt").symlink_to(raw / "nowhere.txt")
    (raw / "loop-a.txt").symlink_to(raw / "loop-b.txt")
    (raw / "loop-b.txt").symlink_to(raw / "loop-a.txt")
    (raw / "folder-link").symlink_to(raw / "sub")
    vanishing(write(raw / "vanishing.txt", "戊 50"))
    return raw


EXPECTED = {
    "locked.txt": "cannot read file: Permission denied",
    "closed": "cannot list folder: Permission denied",
    "pipe.txt": "a FIFO (named pipe), not a file",
    "dangling.txt": "dangling symbolic link",
    "loop-a.txt": "symbolic link loop",
    "loop-b.txt": "symbolic link loop",
    "folder-link": "symbolic link to a folder: not followed",
    "vanishing.txt": "vanished during discovery",
}


def test_every_name_is_found_with_its_status(raw):
    found = {f.source_path: f for f in discover(raw)}
    assert sorted(found) == sorted([*EXPECTED, "good.txt", "sub/also-good.txt"])
    assert found["good.txt"].status == found["sub/also-good.txt"].status == "ok"
    for name, words in EXPECTED.items():
        assert found[name].status == "unreadable", name
        assert words in found[name].reason, (name, found[name].reason)
        assert found[name].source_sha256 is None


def test_each_problem_is_an_ingest_error_and_the_others_go_on(raw, tmp_path):
    files = files_frame(discover(raw))
    with ExtractionCache(tmp_path / "cache.duckdb") as cache:
        errors = assemble(files, cache.load([]), [])["ingest_errors"]
    assert set(errors["source_path"]) == EXPECTED.keys()
    assert set(errors["stage"]) == {"discover"}
    assert files.filter(files["status"] == "ok")["source_path"].to_list() == [
        "good.txt",
        "sub/also-good.txt",
    ]


def test_the_listing_names_what_discovery_reports(raw):
    """The sensor and the up-to-date check see a FIFO or a broken link come
    and go, though it holds no bytes to hash."""
    names = [entry[0] for entry in listing(raw)]
    assert "pipe.txt" in names and "dangling.txt" in names and "closed" in names
    assert "vanishing.txt" not in names  # gone is gone
