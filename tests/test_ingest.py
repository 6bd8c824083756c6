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

from orchestration.extract.model import Cell, Extraction, Identity, IngestError, report_id_for
from orchestration.ingest.cache import ExtractionCache
from orchestration.ingest.extraction import build_landing
from orchestration.ingest.files import detect_format, discover, files_frame


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


def test_discover_refuses_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        discover(tmp_path / "nope")


# --- stand-in extractors (module level, so worker processes can import them) ---

CALLS: list[str] = []


def fake_extract(path: Path, raw_root: Path) -> Extraction:
    CALLS.append(path.name)
    text = path.read_text(encoding="utf-8")
    if text.startswith("REFUSE"):
        raise IngestError("read", "no text")
    if text.startswith("CRASH"):
        raise ZeroDivisionError("boom")
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


def landing(raw: Path, cache_path: Path, workers: int = 0):
    with ExtractionCache(cache_path) as cache:
        return build_landing(
            files_frame(discover(raw)), raw, cache, fake_extract, workers=workers, batch_size=2
        )


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
        ("empty.txt", "discover", "empty file"),
        ("refused.txt", "read", "no text"),
    ]
    assert result.frames["reports"]["source_path"].to_list() == ["good.txt"]

    # A refusal is cached; an unexpected crash is tried again.
    CALLS.clear()
    again = landing(raw, cache)
    assert CALLS == ["crash.txt"]
    assert again.frames["ingest_errors"].height == 3


def test_landing_frames_follow_the_contract(tmp_path):
    from orchestration.extract.model import LANDING_SCHEMAS

    raw = tmp_path / "raw"
    write(raw / "a.txt", "甲 10")
    frames = landing(raw, tmp_path / "cache.duckdb").frames
    for name, schema in LANDING_SCHEMAS.items():
        assert dict(frames[name].schema) == schema, name


def test_a_new_extractor_version_parses_again(tmp_path):
    raw, cache_path = tmp_path / "raw", tmp_path / "cache.duckdb"
    write(raw / "a.txt", "甲 10")
    landing(raw, cache_path)
    with ExtractionCache(cache_path, version="next") as cache:
        assert cache.known() == set()


def test_worker_processes_give_the_same_result(tmp_path):
    raw = tmp_path / "raw"
    for i in range(5):
        write(raw / f"{i}.txt", f"机构{i} {i}")
    write(raw / "refused.txt", "REFUSE")
    inline = landing(raw, tmp_path / "inline.duckdb", workers=0).frames
    pooled = landing(raw, tmp_path / "pooled.duckdb", workers=2).frames
    for name in inline:
        assert inline[name].equals(pooled[name]), name
