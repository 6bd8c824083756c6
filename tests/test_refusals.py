"""The refusal table (dbt_project/seeds/refusals.csv, read by
orchestration/extract/refusals.py) and the one format detection
(orchestration/extract/formats.py).

Every code of the table is given by a real input (a tiny file, most of them
the bad inputs of tests/fixtures/bad_inputs.py), with the table's stage and
its message's words; the codes are unique and every message formats; no
reason is worded anywhere else in the code. A file has one format: discovery
(landing.files) and the readers (landing.reports, dim_report) agree.
"""

from __future__ import annotations

import csv
import hashlib
import io
import pickle
import re
import string
import time
import zipfile
from pathlib import Path

import pytest

from orchestration.extract import extract_bytes
from orchestration.extract.formats import detect_format
from orchestration.extract.model import Extraction, Identity
from orchestration.extract.readers import docx as docx_reader
from orchestration.extract.readers.html import read_html
from orchestration.extract.refusals import REFUSALS, REFUSALS_PATH, STAGES, Refusal
from orchestration.ingest.cache import ExtractionCache
from orchestration.ingest.extraction import (
    FromBytes,
    _extract_in_worker,
    build_landing,
    extract_one,
)
from orchestration.ingest.files import Limits, discover, files_frame
from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT
from tests.fixtures.bad_inputs import CODES, GOOD, write_bad_inputs
from tests.test_state_discovery import raw as problems_raw  # noqa: F401 (fixtures)
from tests.test_state_discovery import unreadable, vanishing  # noqa: F401 (fixtures)

# Worded by dbt (int_reports__deduplicated), given by ingest_error.sql.
DBT_CODES = {"duplicate", "duplicate_conflict"}
# The names of tests/test_state_discovery.py's `raw` folder, by code.
DISCOVERY_PROBLEMS = {
    "unreadable_path": "locked.txt",
    "unlistable_folder": "closed",
    "not_a_file": "pipe.txt",
    "dangling_link": "dangling.txt",
    "link_loop": "loop-a.txt",
    "folder_link": "folder-link",
    "vanished": "vanishing.txt",
}
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# Given by the rendered bad inputs (one is read by OCR) or by worker processes: e2e.
E2E_CODES = set(CODES.values()) | {"too_large", "worker_died", "timed_out"}


def pattern(message: str) -> re.Pattern:
    """A message template as a regex: its words, anything for each placeholder."""
    parts = []
    for literal, name, _, _ in string.Formatter().parse(message):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append(".*?")
    return re.compile("".join(parts), re.DOTALL)


def words_of(code: str, reason: str) -> bool:
    return pattern(REFUSALS[code].message).fullmatch(reason) is not None


# --- inputs ---


def zipped(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def refused(data: bytes, name: str) -> Refusal:
    with pytest.raises(Refusal) as caught:
        extract_bytes(data, name)
    return caught.value


def crash(data: bytes, source_path: str) -> Extraction:
    raise ZeroDivisionError("boom")


def out_of_memory(data: bytes, source_path: str) -> Extraction:
    raise MemoryError


def stand_in(path: Path, raw_root: Path) -> Extraction:
    """For the workers: DIE kills its worker, SLEEP outlasts the timeout."""
    text = path.read_text(encoding="utf-8")
    if text.startswith("DIE"):
        import os

        os._exit(1)
    if text.startswith("SLEEP"):
        time.sleep(600)
    return Extraction(path.name, "ignored", "text", "gov2008", Identity(organization=path.stem))


@pytest.fixture(scope="module")
def bad_raw(tmp_path_factory) -> Path:
    return write_bad_inputs(tmp_path_factory.mktemp("refusals") / "raw", huge_mb=2)


@pytest.fixture(scope="module")
def worker_failures(tmp_path_factory) -> dict[str, tuple[str, str, str]]:
    """A dying worker and a hung one, in real worker processes."""
    root = tmp_path_factory.mktemp("workers")
    raw = root / "raw"
    raw.mkdir()
    for name, text in {"die.txt": "DIE", "hang.txt": "SLEEP", "fine.txt": "甲"}.items():
        (raw / name).write_text(text, encoding="utf-8")
    with ExtractionCache(root / "cache.duckdb") as cache:
        result = build_landing(
            files_frame(discover(raw)),
            raw,
            cache,
            stand_in,
            workers=1,
            batch_size=8,
            file_timeout=2,
        )
    errors = result.frames["ingest_errors"].select("source_path", "code", "stage", "reason")
    return {path: (code, stage, reason) for path, code, stage, reason in errors.rows()}


def given(code: str, request, tmp_path: Path, monkeypatch) -> tuple[str | None, str, str]:
    """(code, stage, reason) a real input gives for `code`."""
    bad_raw = request.getfixturevalue("bad_raw")
    bad_names = {c: name for name, c in CODES.items()} | {"too_large": "truncated.pdf"}
    if code in DISCOVERY_PROBLEMS:
        found = {f.source_path: f for f in discover(request.getfixturevalue("problems_raw"))}
        f = found[DISCOVERY_PROBLEMS[code]]
        return f.code, "discover", f.reason
    if code == "page_picture":  # a picture a saved web page shows
        (tmp_path / "p_files").mkdir()
        (tmp_path / "p_files" / "t.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
        (tmp_path / "p.html").write_text('<p>报告<img src="p_files/t.png"></p>', encoding="utf-8")
        f = next(f for f in discover(tmp_path) if f.source_path == "p_files/t.png")
        return f.code, "discover", f.reason
    if REFUSALS[code].stage == "discover":  # contents discovery does not hand on
        found = {f.source_path: f for f in discover(bad_raw, Limits(max_text_bytes=1 << 20))}
        f = found[bad_names[code]]
        if code == "too_large":  # any file, with a lowered limit
            found = {f.source_path: f for f in discover(bad_raw, Limits(max_file_bytes=50_000))}
            f = found["truncated.pdf"]
        return f.code, "discover", f.reason
    if code in bad_names:
        name = bad_names[code]
        e = refused((bad_raw / name).read_bytes(), name)
        return e.code, e.stage, e.reason
    if code in ("unreadable_file", "changed_during_build", "unexpected_error", "worker_memory"):
        root = tmp_path / "raw"
        root.mkdir()
        there = root / "a.txt"
        there.write_text("甲", encoding="utf-8")
        sha = hashlib.sha256(there.read_bytes()).hexdigest()
        outcome = {
            # gone when the worker reads it
            "unreadable_file": lambda: extract_one(
                FromBytes(extract_bytes), str(root / "gone.txt"), str(root), sha
            ),
            # not the content discovery hashed
            "changed_during_build": lambda: extract_one(
                FromBytes(extract_bytes), str(there), str(root), "0" * 64
            ),
            "unexpected_error": lambda: extract_one(FromBytes(crash), str(there), str(root), sha),
            "worker_memory": lambda: _extract_in_worker(
                FromBytes(out_of_memory), str(there), str(root), sha, 256 << 20
            ),
        }[code]()
        return outcome.code, outcome.stage, outcome.reason
    if code in ("worker_died", "timed_out"):
        failures = request.getfixturevalue("worker_failures")
        return failures["die.txt" if code == "worker_died" else "hang.txt"]
    if code == "empty_html":  # dispatch sends no blank page here: the reader's own check
        with pytest.raises(Refusal) as caught:
            read_html(b"\x00" * 16, "nul.html")
        e = caught.value
        return e.code, e.stage, e.reason
    if code == "zip_bomb":  # a part inflating past a lowered limit
        monkeypatch.setattr(docx_reader, "MAX_PART_BYTES", 1 << 20)
        data = zipped({"word/document.xml": b"<w:document/>", "word/media/x.bin": bytes(2 << 20)})
        e = refused(data, "bomb.docx")
        return e.code, e.stage, e.reason
    data, name = {
        "blank_file": (b" \r\n\t\n ", "blank.txt"),
        # text for discovery's sample, then bytes of no charset
        "unknown_encoding": (
            b"a" * 9000 + bytes(range(32)) * 100 + bytes(range(128, 256)) * 20,
            "noise.txt",
        ),
        "corrupt_docx": (zipped({"word/document.xml": b"<w:document"}), "cut.docx"),
        "docx_without_body": (
            zipped({"word/document.xml": f'<w:document xmlns:w="{W_NS}"/>'.encode()}),
            "bodiless.docx",
        ),
        "corrupt_html": (b"<!DOCTYPE html>", "doctype-only.html"),
        "no_text": (b"<html><body><p> </p></body></html>", "blank.html"),
    }[code]
    e = refused(data, name)
    return e.code, e.stage, e.reason


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(code, marks=pytest.mark.e2e if code in E2E_CODES else pytest.mark.unit)
        for code in REFUSALS
    ],
)
def test_every_code_is_given_by_a_real_input(code, request, tmp_path, monkeypatch):
    if code in DBT_CODES:
        sql = (DBT_PROJECT_DIR / "models" / "marts" / "ingest_error.sql").read_text()
        assert f"then '{code}'" in sql or f"else '{code}'" in sql
        return  # the build over tests/fixtures/bad_inputs.py gives duplicate (test_bad_inputs)
    got, stage, reason = given(code, request, tmp_path, monkeypatch)
    assert (got, stage) == (code, REFUSALS[code].stage), reason
    assert words_of(code, reason), reason


@pytest.mark.unit
def test_the_codes_are_unique_snake_case_and_every_message_formats():
    with REFUSALS_PATH.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["code", "stage", "message"]
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)) == len(REFUSALS)
    for row in rows:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", row["code"]), row
        assert row["stage"] in STAGES, row
        reason = REFUSALS[row["code"]]
        # Numbers where the template formats them as numbers, words elsewhere.
        fields = {
            name: 1234.5 if spec else f"<{name}>"
            for _, name, spec, _ in string.Formatter().parse(reason.message)
            if name is not None
        }
        if row["code"] in DBT_CODES:
            text = reason.message.format(**fields)
        else:
            text = Refusal(row["code"], **fields).reason
        assert "{" not in text and words_of(row["code"], text), row
    # (stage, words) are each one reason
    assert len({(r.stage, r.message) for r in REFUSALS.values()}) == len(REFUSALS)


@pytest.mark.unit
def test_the_settings_a_message_names_are_the_settings():
    from orchestration import settings

    named = {
        "too_large": settings.ENV_MAX_FILE_MB,
        "too_large_text": settings.ENV_MAX_TEXT_MB,
        "worker_memory": settings.ENV_WORKER_MEMORY_MB,
        "timed_out": settings.ENV_FILE_TIMEOUT,
    }
    for code, env in named.items():
        assert f"({env})" in REFUSALS[code].message, code


@pytest.mark.unit
def test_a_refusal_takes_only_a_code_of_the_table_and_its_placeholders():
    with pytest.raises(ValueError, match="not a code"):
        Refusal("no_such_code")
    with pytest.raises(TypeError, match="takes"):
        Refusal("too_large", size="3 MB")
    with pytest.raises(TypeError, match="takes"):
        Refusal("empty_file", size=0)
    e = Refusal("timed_out", seconds=3.0)
    assert (e.code, e.stage) == ("timed_out", "timeout")
    assert e.reason == "still parsing after 3 s (DISCLOSURE_FILE_TIMEOUT); its worker was stopped"
    again = pickle.loads(pickle.dumps(e))  # crosses process boundaries whole
    assert (again.code, again.stage, again.reason) == (e.code, e.stage, e.reason)


SOURCES = sorted((PROJECT_ROOT / "orchestration").rglob("*.py"))


@pytest.mark.unit
def test_no_reason_is_worded_outside_the_table():
    code = {p: p.read_text(encoding="utf-8") for p in SOURCES}
    for path, text in code.items():
        # Refused by code only: no IngestError is made but the Refusal's own.
        made = re.findall(r"(?<!class )IngestError\(", text)
        assert not made, f"{path}: raise Refusal(code, ...) instead of IngestError(...)"
        for used in re.findall(r"(?:Refusal|problem)\(\s*\"(\w+)\"", text):
            assert used in REFUSALS, f"{path}: {used} is not a code of {REFUSALS_PATH.name}"
    everything = "\n".join(code.values())
    for reason in REFUSALS.values():
        if reason.code not in DBT_CODES:
            assert f'"{reason.code}"' in everything, f"{reason.code}: no code gives it"
        # The longest run of the message's own words is written nowhere in the code.
        literal = max((lit for lit, *_ in string.Formatter().parse(reason.message)), key=len)
        if len(literal) >= 16:
            for path, text in code.items():
                assert literal not in text, f"{path} words {reason.code} itself: {literal!r}"


# --- one format ---


@pytest.mark.e2e
def test_both_code_paths_give_every_bad_input_one_format(bad_raw):
    for path in sorted(bad_raw.iterdir()):
        assert detect_format(path) == detect_format(path.read_bytes()), path.name
    assert {name: detect_format(bad_raw / name) for name in GOOD} == GOOD


@pytest.mark.e2e
def test_a_txt_holding_html_has_one_format_in_landing_files_and_reports(bad_raw, tmp_path):
    page = next(n for n, fmt in GOOD.items() if fmt == "html" and n.endswith(".html"))
    text = next(n for n, fmt in GOOD.items() if fmt == "text")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "page-saved-as.txt").write_bytes((bad_raw / page).read_bytes())  # holds <p>, <table>
    (raw / "text-saved-as.html").write_bytes((bad_raw / text).read_bytes())
    files = files_frame(discover(raw))
    with ExtractionCache(tmp_path / "cache.duckdb") as cache:
        result = build_landing(files, raw, cache, FromBytes(extract_bytes), workers=0, batch_size=8)
    reports = result.frames["reports"].select("source_path", "source_format")
    landed = files.select("source_path", "source_format").join(
        reports, on="source_path", suffix="_read"
    )
    assert landed.sort("source_path").rows() == [
        ("page-saved-as.txt", "html", "html"),
        ("text-saved-as.html", "text", "text"),
    ]
    assert result.frames["ingest_errors"].height == 0
