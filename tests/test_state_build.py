"""State kept between builds, end to end through `disclosure build` with the
real extractor, dbt and the publish, on a small raw folder:

1. a damaged extraction cache and build database are set aside, named in
   the output, and the first build publishes a warehouse;
2. every name that is not a readable file is an ingest error (stage
   discover) and the other files load;
3. a file changed between discovery's hash and its parse is not cached
   under the first hash: put back, it shows its own numbers;
4. a file that failed in a way every build retries makes the next build
   run though nothing changed, and so does a published warehouse that no
   longer matches its checksum; then the warehouse is up to date.

The vanishing file is deleted once discovery has listed the folder (the
listings of the up-to-date check before it must not see it go).

Builds run with DISCLOSURE_WORKERS=0 so that the stand-ins below (a file
swapped after hashing, an extractor crashing on one file) act in this
process. Root reads any file: unreadability is the failure the open, or the
folder listing, gives an ordinary user."""

import errno
import hashlib
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration import extract
from orchestration.assets import ingest as ingest_assets
from orchestration.cli import main
from orchestration.extract import extract_bytes
from orchestration.ingest import files
from orchestration.settings import PROJECT_ROOT
from tests.test_state_standins import Listed

pytestmark = pytest.mark.e2e

SEEDS = sorted((PROJECT_ROOT / "raw").glob("*.txt"))
A, B = SEEDS[1].read_bytes(), SEEDS[2].read_bytes()  # two different reports
BAD = {  # name -> words of its reason (stage discover)
    "unreadable.txt": "cannot read file: Permission denied",
    "locked": "cannot list folder: Permission denied",
    "pipe.txt": "FIFO",
    "dangling.txt": "dangling symbolic link",
    "loop-a.txt": "symbolic link loop",
    "loop-b.txt": "symbolic link loop",
    "vanishing.txt": "vanished during discovery",
}


def denied(path) -> PermissionError:
    return PermissionError(errno.EACCES, "Permission denied", str(path))


def make_raw(raw: Path) -> None:
    raw.mkdir(parents=True)
    shutil.copyfile(SEEDS[0], raw / "good.txt")
    (raw / "changing.txt").write_bytes(A)
    shutil.copyfile(SEEDS[3], raw / "crash.txt")
    shutil.copyfile(SEEDS[4], raw / "unreadable.txt")
    (raw / "locked").mkdir()
    shutil.copyfile(SEEDS[0], raw / "locked" / "inside.txt")
    os.mkfifo(raw / "pipe.txt")
    (raw / "dangling.txt").symlink_to(raw / "nowhere.txt")
    (raw / "loop-a.txt").symlink_to(raw / "loop-b.txt")
    (raw / "loop-b.txt").symlink_to(raw / "loop-a.txt")
    (raw / "vanishing.txt").write_text("报告", encoding="utf-8")


def deny_and_vanish(mp: pytest.MonkeyPatch, raw: Path) -> None:
    """unreadable.txt cannot be opened, locked/ cannot be listed, and
    vanishing.txt is deleted right after discovery lists the raw folder."""
    for path in (raw / "unreadable.txt", raw / "locked"):
        path.chmod(0)
    real_open, real_scandir, real_discover = Path.open, os.scandir, ingest_assets.discover
    discovering = []

    def discover(*args, **kwargs):
        discovering.append(True)
        try:
            return real_discover(*args, **kwargs)
        finally:
            discovering.pop()

    def open_(self, *args, **kwargs):
        if self == raw / "unreadable.txt":
            raise denied(self)
        return real_open(self, *args, **kwargs)

    def scandir(path=".", *args):
        if isinstance(path, str | os.PathLike):
            if Path(path) == raw / "locked":
                raise denied(path)
            if Path(path) == raw and discovering:
                with real_scandir(path, *args) as entries:
                    listed = Listed(entries)
                (raw / "vanishing.txt").unlink(missing_ok=True)
                return listed
        return real_scandir(path, *args)

    mp.setattr(Path, "open", open_)
    mp.setattr(os, "scandir", scandir)
    mp.setattr(ingest_assets, "discover", discover)


def swap_after_hashing(mp: pytest.MonkeyPatch, path: Path, data: bytes) -> None:
    """Once discovery has hashed `path`, overwrite it (before any parse)."""
    real = files.sha256_of

    def sha256_then_swap(p):
        digest = real(p)
        if p == path and p.read_bytes() != data:
            p.write_bytes(data)
        return digest

    mp.setattr(files, "sha256_of", sha256_then_swap)


def crash_on(mp: pytest.MonkeyPatch, name: str) -> None:
    real = extract.extract_bytes

    def crashing(data: bytes, source_path: str):
        if source_path == name:
            raise RuntimeError("boom")
        return real(data, source_path)

    mp.setattr(extract, "extract_bytes", crashing)


def corrupt(path: Path) -> None:
    with path.open("r+b") as f:
        f.seek(path.stat().st_size // 2)
        f.write(os.urandom(4096))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot(warehouse: Path, cache: Path) -> dict:
    """What a build left: its ingest errors, its reports, the cache's reports."""
    if not warehouse.exists():
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        errors = {
            r[0]: r[1:]
            for r in con.execute(
                "select source_path, stage, reason from marts.ingest_error"
            ).fetchall()
        }
        reports = dict(
            con.execute("select source_path, organization from marts.dim_report").fetchall()
        )
    with duckdb.connect(str(cache), read_only=True) as con:
        cached = dict(con.execute("select source_sha256, organization from reports").fetchall())
    return {"errors": errors, "reports": reports, "cached": cached}


@pytest.fixture(scope="module")
def builds(tmp_path_factory, settings_env):
    root = tmp_path_factory.mktemp("state_build")
    raw, warehouse = root / "raw", root / "wh" / "disclosure.duckdb"
    cache = warehouse.parent / "cache" / "extractions.duckdb"
    build_db = warehouse.parent / "build" / "disclosure.duckdb"
    make_raw(raw)
    for path in (cache, build_db):
        path.parent.mkdir(parents=True)
        path.write_bytes(os.urandom(50_000))
    out = {"raw": raw, "cache": cache, "build_db": build_db}
    build = CliRunner().invoke
    with pytest.MonkeyPatch.context() as mp, settings_env(raw, warehouse, workers=0):
        mp.delenv("DAGSTER_HOME", raising=False)
        deny_and_vanish(mp, raw)
        crash_on(mp, "crash.txt")
        with pytest.MonkeyPatch.context() as swap:
            swap_after_hashing(swap, raw / "changing.txt", B)
            out["first"] = build(main, ["build"])
        out["first_state"] = snapshot(warehouse, cache)
        (raw / "changing.txt").write_bytes(A)  # put back as it was
        out["second"] = build(main, ["build"])
        out["second_state"] = snapshot(warehouse, cache)
        mp.setattr(extract, "extract_bytes", extract_bytes)  # the crash was a passing bug
        out["third"] = build(main, ["build"])  # nothing changed on disk
        out["third_state"] = snapshot(warehouse, cache)
        corrupt(warehouse)
        out["fourth"] = build(main, ["build"])
        out["fifth"] = build(main, ["build"])
    for path in (raw / "unreadable.txt", raw / "locked"):
        path.chmod(0o755)
    return out


def test_damaged_cache_and_build_database_are_set_aside(builds):
    first = builds["first"]
    assert first.exit_code == 0, first.output
    for path in (builds["cache"], builds["build_db"]):
        [moved] = path.parent.glob(f"{path.name}.corrupt-*")
        assert str(moved) in first.output
    assert "The build database" in first.output


def test_every_name_is_accounted_for_and_the_others_load(builds):
    state = builds["first_state"]
    for name, words in BAD.items():
        stage, reason = state["errors"][name]
        assert stage == "discover" and words in reason, (name, reason)
    assert "good.txt" in state["reports"]


def test_a_file_changed_after_hashing_is_not_cached_under_the_first_hash(builds):
    first, second = builds["first_state"], builds["second_state"]
    stage, reason = first["errors"]["changing.txt"]
    assert stage == "read" and reason.startswith("changed while the build ran")
    assert sha(A) not in first["cached"] and sha(B) not in first["cached"]
    # Put back, it is A's report again (not B's), and so is the cache under A's hash.
    own, other = (extract_bytes(d, "changing.txt").identity.organization for d in (A, B))
    assert own != other
    assert second["reports"]["changing.txt"] == own
    assert second["cached"][sha(A)] == own


def test_a_failure_to_retry_makes_the_next_build_run(builds):
    assert builds["second_state"]["errors"]["crash.txt"] == ("extract", "RuntimeError: boom")
    third = builds["third"]
    assert third.exit_code == 0, third.output
    assert "up to date" not in third.output
    assert "1 file failed in a way every build tries again" in third.output
    assert "crash.txt" in builds["third_state"]["reports"]
    assert "crash.txt" not in builds["third_state"]["errors"]


def test_a_damaged_warehouse_is_built_again(builds):
    fourth = builds["fourth"]
    assert fourth.exit_code == 0, fourth.output
    assert "up to date" not in fourth.output
    assert "no longer matches the checksum recorded when it was published" in fourth.output
    assert "Built " in fourth.output and "consistency findings" in fourth.output  # the summary


def test_then_it_is_up_to_date_though_some_names_stay_unreadable(builds):
    fifth = builds["fifth"]
    assert fifth.exit_code == 0 and "is up to date" in fifth.output
