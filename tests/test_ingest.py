"""Discovery, format detection, the extraction cache and incremental extraction.

The extractor is replaced here by small stand-ins defined in this file, to
count calls and provoke failures; the real extractor runs in the
built_warehouse tests.
"""

import io
import zipfile
from pathlib import Path

import polars as pl
import pytest

from orchestration.extract.model import Cell, Extraction, Identity, report_id_for
from orchestration.extract.refusals import Refusal
from orchestration.ingest.cache import ExtractionCache
from orchestration.ingest.extraction import build_landing
from orchestration.ingest.files import (
    Limits,
    detect_format,
    discover,
    files_frame,
    listing,
    listing_digest,
)


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.mark.unit
@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("a.pdf", b"%PDF-1.7\n...", "pdf"),
        ("a.PDF", b"\r\n%PDF-1.4\n", "pdf"),
        ("a.docx", docx_bytes(), "docx"),
        ("a.wps", docx_bytes(), "docx"),  # content decides
        ("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "doc"),
        ("a.html", "<div>政府信息公开</div>", "html"),
        ("a.pdf", "<!DOCTYPE html><html><body>404</body></html>", "html"),
        ("page", "<html><head></head></html>", "html"),
        ("a.md", "## 一、概述\n<b>2019</b>", "text"),
        ("a.txt", "政府信息公开工作年度报告".encode("gb18030"), "text"),
        ("a.txt", "年度报告" * 3000, "text"),  # sample cut inside a character
        ("noext", "贺兰县 2018 年政府信息公开工作年度报告", "text"),
        ("a.bin", bytes(range(256)) * 4, "unknown"),
        ("a.zip", b"PK\x03\x04garbage", "unknown"),
    ],
)
def test_detect_format(tmp_path, name, data, expected):
    assert detect_format(write(tmp_path / name, data)) == expected


@pytest.mark.unit
def test_discover_walks_folders_and_skips_hidden(tmp_path):
    write(tmp_path / "b.txt", "报告")
    write(tmp_path / "2019" / "a.pdf", b"%PDF-1.7")
    write(tmp_path / "empty.txt", b"")
    write(tmp_path / "old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    write(tmp_path / ".hidden.txt", "x")
    write(tmp_path / ".git" / "config.txt", "x")
    write(tmp_path / "~$lock.docx", "x")
    frame = files_frame(discover(tmp_path))
    assert frame.select("source_path", "source_format", "status").rows() == [
        ("2019/a.pdf", "pdf", "ok"),
        ("b.txt", "text", "ok"),
        ("empty.txt", "text", "empty"),
        ("old.doc", "doc", "unsupported"),
    ]
    assert frame["source_sha256"].str.len_chars().to_list() == [64] * 4


@pytest.mark.unit
def test_discover_refuses_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        discover(tmp_path / "nope")


@pytest.mark.unit
def test_discover_gives_each_skipped_file_its_reason(tmp_path):
    write(tmp_path / "big.txt", "年度报告\n" * 100_000)  # 1.2 MB of text
    write(tmp_path / "big.pdf", b"%PDF-1.7\n" + b"0" * 2_000_000)
    write(tmp_path / "huge.pdf", b"%PDF-1.7\n" + b"0" * 4_000_000)
    write(tmp_path / "old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    write(tmp_path / "a.zip", b"PK\x03\x04garbage")
    limits = Limits(max_file_bytes=3_000_000, max_text_bytes=1_000_000)
    found = {f.source_path: (f.status, f.reason) for f in discover(tmp_path, limits)}
    assert found["big.pdf"] == ("ok", None)  # PDFs grow with images: only the general limit
    status, reason = found["big.txt"]
    assert status == "too_large" and "1.2 MB of text" in reason
    assert "DISCLOSURE_MAX_TEXT_MB" in reason
    status, reason = found["huge.pdf"]
    assert status == "too_large" and "DISCLOSURE_MAX_FILE_MB" in reason
    assert found["old.doc"][0] == "unsupported" and "save it as DOCX or PDF" in found["old.doc"][1]
    assert found["a.zip"] == (
        "unsupported",
        "unsupported format: the content is not PDF, DOCX, HTML or text (.zip)",
    )
    assert discover(tmp_path)[1].status == "ok"  # no limits by default


@pytest.mark.unit
def test_discover_hashes_only_files_whose_stat_changed(tmp_path, monkeypatch):
    from orchestration.ingest import files

    raw = tmp_path / "raw"
    write(raw / "a.txt", "甲 10")
    write(raw / "b.txt", "乙 20")
    first = discover(raw)
    known = {f.stat_key: f.source_sha256 for f in first}
    hashed = []
    real = files.sha256_of
    monkeypatch.setattr(files, "sha256_of", lambda p: hashed.append(p.name) or real(p))
    assert discover(raw, known_hashes=known) == first and hashed == []
    write(raw / "b.txt", "乙 21")  # same size, new content (and mtime/ctime)
    again = discover(raw, known_hashes=known)
    assert hashed == ["b.txt"] and again[1].source_sha256 != first[1].source_sha256
    assert again[1].source_sha256 == real(raw / "b.txt")


@pytest.mark.unit
def test_the_cache_remembers_file_hashes(tmp_path):
    raw = tmp_path / "raw"
    write(raw / "a.txt", "甲 10")
    found = discover(raw)
    with ExtractionCache(tmp_path / "cache.duckdb") as cache:
        cache.remember_file_hashes(found)
    with ExtractionCache(tmp_path / "cache.duckdb") as cache:
        assert cache.file_hashes() == {found[0].stat_key: found[0].source_sha256}


@pytest.mark.unit
def test_listing_digest_changes_with_any_file_and_reads_none(tmp_path):
    raw = tmp_path / "raw"
    write(raw / "a.txt", "甲 10")
    write(raw / ".hidden", "x")
    before = listing_digest(listing(raw))
    assert [e[0] for e in listing(raw)] == ["a.txt"]
    assert listing_digest(listing(raw)) == before
    write(raw / "sub" / "b.txt", "乙")
    added = listing_digest(listing(raw))
    (raw / "sub" / "b.txt").unlink()
    assert added != before and listing_digest(listing(raw)) == before


# --- stand-in extractors (module level, so worker processes can import them) ---

CALLS: list[str] = []


def fake_extract(path: Path, raw_root: Path) -> Extraction:
    CALLS.append(path.name)
    text = path.read_text(encoding="utf-8")
    if text.startswith("REFUSE"):
        raise Refusal("no_text")
    if text.startswith("CRASH"):
        raise ZeroDivisionError("boom")
    if text.startswith("HANG"):
        import time

        time.sleep(600)
    if text.startswith("DIE"):
        import os

        os._exit(1)  # the worker process dies
    value = float(text.split()[-1])
    return Extraction(
        source_path=path.relative_to(raw_root).as_posix(),
        source_sha256="ignored",
        source_format="text",
        template="gov2008",
        identity=Identity(organization=text.split()[0], report_year=2018),
        cells=[
            Cell(
                "proactive",
                "主动公开政府信息数",
                None,
                "p_total",
                "total",
                value,
                "条",
                f"{value:g}",
                "line 1",
                line=1,
            ),
            Cell("proactive", "其他", None, None, "total", 1.0, None, "1", "line 2", line=2),
        ],
        line_count=2,
    )


def landing(raw: Path, cache_path: Path, workers: int = 0, **kwargs):
    with ExtractionCache(cache_path) as cache:
        return build_landing(
            files_frame(discover(raw)),
            raw,
            cache,
            fake_extract,
            workers=workers,
            batch_size=kwargs.pop("batch_size", 2),
            **kwargs,
        )


@pytest.mark.unit
def test_only_new_content_is_parsed(tmp_path):
    raw, cache = tmp_path / "raw", tmp_path / "cache.duckdb"
    write(raw / "a.txt", "甲 10")
    write(raw / "b.txt", "乙 20")
    CALLS.clear()
    first = landing(raw, cache)
    assert sorted(CALLS) == ["a.txt", "b.txt"] and (first.parsed_now, first.reused) == (2, 0)

    # Renamed, copied and one new file: only the new content is parsed.
    (raw / "a.txt").rename(raw / "a-renamed.txt")
    write(raw / "sub" / "b-copy.txt", "乙 20")
    write(raw / "c.txt", "丙 30")
    CALLS.clear()
    second = landing(raw, cache)
    assert CALLS == ["c.txt"] and (second.parsed_now, second.reused) == (1, 3)

    reports = second.frames["reports"]
    assert reports["source_path"].to_list() == ["a-renamed.txt", "b.txt", "c.txt", "sub/b-copy.txt"]
    assert reports["report_id"].to_list() == [report_id_for(p) for p in reports["source_path"]]
    assert reports.filter(pl.col("source_path") == "sub/b-copy.txt")["organization"].item() == "乙"
    cells = second.frames["cells"]
    assert cells.height == 8  # two per report, copies included
    p_total = cells.filter(pl.col("indicator_code") == "p_total")
    assert dict(zip(p_total["report_id"], p_total["value"])) == {
        report_id_for("a-renamed.txt"): 10.0,
        report_id_for("b.txt"): 20.0,
        report_id_for("c.txt"): 30.0,
        report_id_for("sub/b-copy.txt"): 20.0,
    }


@pytest.mark.unit
def test_failures_become_ingest_errors_and_the_run_goes_on(tmp_path):
    raw, cache = tmp_path / "raw", tmp_path / "cache.duckdb"
    write(raw / "good.txt", "甲 10")
    write(raw / "refused.txt", "REFUSE")
    write(raw / "crash.txt", "CRASH")
    write(raw / "empty.txt", b"")
    CALLS.clear()
    result = landing(raw, cache)
    errors = result.frames["ingest_errors"].select("source_path", "stage", "reason").rows()
    assert errors == [
        ("crash.txt", "extract", "ZeroDivisionError: boom"),
        ("empty.txt", "discover", "empty file (0 bytes)"),
        ("refused.txt", "read", "no text"),
    ]
    assert result.frames["reports"]["source_path"].to_list() == ["good.txt"]

    # A refusal is cached; an unexpected crash is tried again.
    CALLS.clear()
    again = landing(raw, cache)
    assert CALLS == ["crash.txt"]
    assert again.frames["ingest_errors"].height == 3


@pytest.mark.unit
def test_landing_frames_follow_the_contract(tmp_path):
    from orchestration.extract.model import LANDING_SCHEMAS

    raw = tmp_path / "raw"
    write(raw / "a.txt", "甲 10")
    frames = landing(raw, tmp_path / "cache.duckdb").frames
    for name, schema in LANDING_SCHEMAS.items():
        assert dict(frames[name].schema) == schema, name


@pytest.mark.unit
def test_a_new_extractor_version_parses_again(tmp_path):
    raw, cache_path = tmp_path / "raw", tmp_path / "cache.duckdb"
    write(raw / "a.txt", "甲 10")
    landing(raw, cache_path)
    with ExtractionCache(cache_path, version="next") as cache:
        assert cache.known() == set()


@pytest.mark.e2e
def test_worker_processes_give_the_same_result(tmp_path):
    raw = tmp_path / "raw"
    for i in range(5):
        write(raw / f"{i}.txt", f"机构{i} {i}")
    write(raw / "refused.txt", "REFUSE")
    inline = landing(raw, tmp_path / "inline.duckdb", workers=0).frames
    pooled = landing(raw, tmp_path / "pooled.duckdb", workers=2).frames
    for name in inline:
        assert inline[name].equals(pooled[name]), name


@pytest.mark.unit
def test_relations_of_removed_dbt_models_are_dropped(tmp_path):
    import duckdb

    from orchestration.ingest.landing import drop_stale_relations

    db = tmp_path / "disclosure.duckdb"
    with duckdb.connect(str(db)) as con:
        for sql in (
            "create schema landing",
            "create schema marts",
            "create schema staging",
            "create table landing.files as select 1 as x",
            "create table marts.dim_report as select 1 as x",
            "create table marts.renamed_away as select 1 as x",
            "create view staging.stg_old as select * from landing.files",
        ):
            con.execute(sql)
    keep = {("marts", "dim_report"), ("staging", "stg_new")}
    assert sorted(drop_stale_relations(db, keep)) == ["marts.renamed_away", "staging.stg_old"]
    with duckdb.connect(str(db)) as con:
        left = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables order by 1"
        ).fetchall()
    assert [r[0] for r in left] == ["landing.files", "marts.dim_report"]


@pytest.mark.e2e
def test_a_hung_or_dying_worker_fails_only_its_file(tmp_path):
    raw = tmp_path / "raw"
    for name in ("a", "c", "e", "f"):
        write(raw / f"{name}.txt", f"机构{name} 1")
    write(raw / "b-hang.txt", "HANG")
    write(raw / "d-die.txt", "DIE")
    warnings = []
    result = landing(
        raw,
        tmp_path / "cache.duckdb",
        workers=2,
        batch_size=6,
        file_timeout=3,
        warn=warnings.append,
    )
    rows = result.frames["ingest_errors"].select("source_path", "stage", "reason").rows()
    errors = {p: (stage, reason) for p, stage, reason in rows}
    assert errors["b-hang.txt"][0] == "timeout"
    assert errors["b-hang.txt"][1].startswith("still parsing after 3 s")
    assert errors["d-die.txt"][1].startswith("worker process died while parsing it")
    assert sorted(result.frames["reports"]["source_path"]) == ["a.txt", "c.txt", "e.txt", "f.txt"]
    assert any(w.startswith("b-hang.txt: timeout: still parsing") for w in warnings)
    with ExtractionCache(tmp_path / "cache.duckdb") as cache:  # neither failure is cached
        assert len(cache.known()) == 4
