"""The extraction cache holds a result only under the hash of the bytes it
was computed from, and a failure of a file's path is that path's alone.

A worker reads a file once and hashes what it read: a file changed since
discovery hashed it fails as "changed while the build ran" (not cached,
tried again next build) instead of storing the new content's numbers under
the old content's hash. A path that cannot be read fails by itself: another
copy of the same content still loads, and nothing is cached against it."""

import errno
import hashlib
import shutil
from pathlib import Path

import polars as pl
import pytest

from orchestration.extract import extract_bytes
from orchestration.ingest import extraction, files
from orchestration.ingest.cache import ExtractionCache
from orchestration.ingest.extraction import CHANGED_DURING_BUILD, FromBytes, build_landing
from orchestration.ingest.files import discover, files_frame
from orchestration.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

SEEDS = sorted((PROJECT_ROOT / "raw").glob("*.txt"))
A, B = SEEDS[1].read_bytes(), SEEDS[2].read_bytes()  # two different reports


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def organization(data: bytes) -> str:
    return extract_bytes(data, "x.txt").identity.organization


def landing(raw: Path, cache_path: Path):
    with ExtractionCache(cache_path) as cache:
        return build_landing(
            files_frame(discover(raw)),
            raw,
            cache,
            FromBytes(extract_bytes),
            workers=0,
            batch_size=4,
        )


def cached_organizations(cache_path: Path) -> dict[str, str]:
    with ExtractionCache(cache_path) as cache:
        reports = cache.load([sha(A), sha(B)])["reports"]
    return dict(zip(reports["source_sha256"], reports["organization"]))


def rows(frame: pl.DataFrame, *columns: str) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in frame.select("source_path", *columns).rows()}


@pytest.fixture
def raw(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "x.txt").write_bytes(A)
    return raw


def swap_after_hashing(monkeypatch, path: Path, data: bytes):
    """Discovery hashes `path`, then it is overwritten with `data` before any worker reads it."""
    real = files.sha256_of

    def sha256_then_swap(p):
        digest = real(p)
        if p == path:
            p.write_bytes(data)
        return digest

    monkeypatch.setattr(files, "sha256_of", sha256_then_swap)


def test_a_file_changed_after_hashing_poisons_no_cache(raw, tmp_path, monkeypatch):
    cache = tmp_path / "cache.duckdb"
    swap_after_hashing(monkeypatch, raw / "x.txt", B)
    first = landing(raw, cache)
    assert rows(first.frames["ingest_errors"], "stage", "reason") == {
        "x.txt": ("read", CHANGED_DURING_BUILD)
    }
    assert rows(first.frames["retries"], "retry") == {"x.txt": ("next_build",)}
    assert first.frames["reports"].height == 0
    assert cached_organizations(cache) == {}  # nothing stored under A's hash, nor B's

    # Put back as it was: the report is A's, from A's bytes.
    monkeypatch.undo()
    (raw / "x.txt").write_bytes(A)
    second = landing(raw, cache)
    assert rows(second.frames["reports"], "organization") == {"x.txt": (organization(A),)}
    assert cached_organizations(cache) == {sha(A): organization(A)}
    assert second.frames["ingest_errors"].height == 0


def test_the_read_hook_sees_a_file_change_between_hash_and_read(raw, tmp_path, monkeypatch):
    real = extraction.read_content

    def changed_meanwhile(path: Path) -> bytes:
        path.write_bytes(B)
        return real(path)

    files_found = files_frame(discover(raw))
    monkeypatch.setattr(extraction, "read_content", changed_meanwhile)
    with ExtractionCache(tmp_path / "cache.duckdb") as cache:
        result = build_landing(
            files_found, raw, cache, FromBytes(extract_bytes), workers=0, batch_size=4
        )
        assert cache.known() == set()
    assert result.frames["ingest_errors"]["reason"].to_list() == [CHANGED_DURING_BUILD]


def test_an_extractor_reading_the_path_itself_is_checked_too(raw, tmp_path, monkeypatch):
    swap_after_hashing(monkeypatch, raw / "x.txt", B)

    def reads_path(path: Path, raw_root: Path):
        return extract_bytes(path.read_bytes(), path.relative_to(raw_root).as_posix())

    with ExtractionCache(tmp_path / "cache.duckdb") as cache:
        result = build_landing(
            files_frame(discover(raw)), raw, cache, reads_path, workers=0, batch_size=4
        )
        assert cache.known() == set()
    assert result.frames["ingest_errors"]["reason"].to_list() == [CHANGED_DURING_BUILD]


@pytest.fixture
def unreadable_at_parse(monkeypatch):
    """Paths whose bytes cannot be read when the extractor's turn comes."""
    denied: set[Path] = set()
    real = Path.read_bytes

    def read_bytes(self):
        if self in denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return denied


def test_a_path_failure_is_not_charged_to_a_copy(raw, tmp_path, unreadable_at_parse):
    """a.txt and x.txt hold the same content; a.txt, read first, fails by its path."""
    shutil.copyfile(raw / "x.txt", raw / "a.txt")
    unreadable_at_parse.add(raw / "a.txt")
    cache = tmp_path / "cache.duckdb"
    first = landing(raw, cache)
    assert rows(first.frames["reports"], "organization") == {"x.txt": (organization(A),)}
    assert rows(first.frames["ingest_errors"], "stage", "reason") == {
        "a.txt": ("read", "cannot read file: Permission denied")
    }
    assert rows(first.frames["retries"], "retry") == {"a.txt": ("next_build",)}
    with ExtractionCache(cache) as c:
        assert c.load([sha(A)])["failures"].height == 0  # the content is fine

    # Readable again: it loads from the cache, nothing parsed.
    unreadable_at_parse.clear()
    second = landing(raw, cache)
    assert second.parsed_now == 0
    assert sorted(second.frames["reports"]["source_path"]) == ["a.txt", "x.txt"]


def test_a_path_failure_is_never_cached(raw, tmp_path, unreadable_at_parse):
    """A file unreadable for one build (gone, locked) loads in the next."""
    unreadable_at_parse.add(raw / "x.txt")
    cache = tmp_path / "cache.duckdb"
    first = landing(raw, cache)
    assert first.frames["ingest_errors"]["source_path"].to_list() == ["x.txt"]
    unreadable_at_parse.clear()
    second = landing(raw, cache)
    assert rows(second.frames["reports"], "organization") == {"x.txt": (organization(A),)}


def test_a_link_out_of_the_raw_folder_and_a_copy_both_load(raw, tmp_path):
    outside = tmp_path / "elsewhere" / "report.txt"
    outside.parent.mkdir()
    outside.write_bytes(A)
    (raw / "a-link.txt").symlink_to(outside)
    result = landing(raw, tmp_path / "cache.duckdb")
    assert result.frames["ingest_errors"].height == 0
    assert rows(result.frames["reports"], "organization") == {
        "a-link.txt": (organization(A),),
        "x.txt": (organization(A),),
    }
