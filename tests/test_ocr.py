"""Scanned reports and tables printed as pictures, read by OCR (readers/ocr.py).

Quick (unit): one table picture, scanned with a seal and a skew, read into the rows
the template grammars read, every cell with its box and confidence; the seal, the
skew and the rules for numbers read badly.

End to end (e2e, a few minutes): the seeds and the gov2021 reports as image-only
PDFs at 150 and 200 dpi, as a text PDF with its tables as pictures, as a DOCX
with its tables as pictures and as a saved web page with its tables as pictures
beside it (tests/fixtures/render_scan.py), found by discovery and parsed as a
worker parses them, scored against the gold:
at least 99 % of the gold cells right, every identity field right, and no cell
holding a wrong number (a cell OCR could not read is NULL with an issue at its box).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rapidocr_onnxruntime")
pytest.importorskip("reportlab")

from orchestration.extract import extract_bytes
from orchestration.extract.model import Row
from orchestration.extract.readers import ocr
from orchestration.extract.tables import detect_template, parse_tables
from orchestration.ingest.extraction import FromBytes, extract_one
from orchestration.ingest.files import discover
from tests.fixtures import render_scan
from tests.fixtures.gov2021 import build_gov2021_reports

GOLD = Path(__file__).parent / "gold"
LOCATOR = re.compile(r"^p\d+ ocr box\(\d+,\d+,\d+,\d+\) (conf [01]\.\d\d|blank)$")


def _section3_picture(seal: bool = True, skew: float = 1.5):
    """The section-三 table of a gov2021 report as a scanned picture (RGB)."""
    from PIL import Image

    report = build_gov2021_reports()[0]
    table = next(t for t in report.tables() if t.name == "section3")
    img = Image.open(io.BytesIO(render_scan.table_png(table, dpi=200))).convert("RGB")
    canvas = Image.new("RGB", (img.width + 120, img.height + 120), "white")
    canvas.paste(img, (60, 60))
    if seal:
        canvas = render_scan.stamp_seal(canvas, (canvas.width * 0.7, canvas.height * 0.3), 200)
    return report, np.asarray(render_scan.scan(canvas, 200, seed=7, skew=skew))


@pytest.fixture(scope="module")
def section3():
    report, rgb = _section3_picture()
    return report, ocr.read_picture(rgb, "p1", 1, 200, lambda x, y: (x * 0.36, y * 0.36))


@pytest.mark.unit
def test_one_scanned_table_reads_into_grammar_rows(section3):
    report, pic = section3
    rows = [r for _, r, ti in pic.placed if ti > 0]
    assert pic.tables == 1 and rows
    assert all(r.tabular and r.cell_locators and len(r.cell_locators) == len(r.cells) for r in rows)
    for r in rows:
        for loc in r.cell_locators:
            assert loc == "p1 ocr merged" or LOCATOR.match(loc), loc
    # The rows go through the same grammar as a text PDF's: the section-三 values come out.
    lead = [Row(("三、收到和处理政府信息公开申请情况",), "line 1")]
    doc_rows = lead + rows
    template = detect_template(doc_rows) or "gov2021"
    cells, _issues = parse_tables(doc_rows, template)
    gold = {
        (v.code, v.applicant_type): float(v.value)
        for v in report.values
        if v.value and v.code.startswith("a_")
    }
    got = {(c.indicator_code, c.applicant_type): c for c in cells if c.indicator_code}
    right = [k for k, v in gold.items() if k in got and got[k].value == v]
    wrong = [
        (k, v, got[k].value) for k, v in gold.items() if k in got and got[k].value not in (None, v)
    ]
    assert wrong == []
    assert len(right) >= 0.97 * len(gold), (len(right), len(gold))
    assert all(LOCATOR.match(got[k].source_locator) for k in right)


@pytest.mark.unit
def test_seal_red_is_dropped_and_print_under_it_kept():
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(img).rectangle([50, 90, 350, 94], fill="black")  # a ruling
    sealed = np.asarray(render_scan.stamp_seal(img, (200, 100), 150))
    gray = ocr.drop_red(sealed.copy())
    assert (np.asarray(sealed)[..., 1] < 100).sum() > 2000  # the seal is there
    assert gray[92, 60:340].max() < 80  # the ruling under it stays black
    paper = gray[(sealed[..., 0] > 150) & (sealed[..., 1] < 120)]
    assert paper.size and paper.min() > 180  # red ink turned to paper


@pytest.mark.unit
@pytest.mark.parametrize("skew", [-1.8, 1.2])
def test_skew_is_measured(skew):
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (900, 700), "white")
    d = ImageDraw.Draw(img)
    for y in range(80, 640, 36):
        d.rectangle([60, y, 840, y + 14], fill="black")
    rotated = np.asarray(img.rotate(skew, fillcolor="white").convert("L"))
    assert abs(ocr.skew_angle(rotated) + skew) <= 0.15


@pytest.mark.unit
def test_misread_numbers_are_never_numbers():
    assert ocr._misread_number("1S")
    assert ocr._misread_number("B")
    assert not ocr._misread_number("1024")
    assert not ocr._misread_number("本年新收")


@pytest.mark.unit
def test_low_confidence_number_is_null_with_an_issue(monkeypatch):
    """A number read below MIN_NUMBER_CONFIDENCE: the cell is empty and an issue
    names its box; nothing is filled in."""
    _, rgb = _section3_picture(seal=False, skew=0)
    real = ocr._recognise

    def doubtful(crops):
        out = real(crops)
        return [ocr.Reading(r.text, 0.5, r.number, 0.42) if r.number == "81" else r for r in out]

    monkeypatch.setattr(ocr, "_recognise", doubtful)
    pic = ocr.read_picture(rgb, "p2", 2, 200)
    cells = [c for _, r, ti in pic.placed if ti > 0 for c in r.cells]
    assert "81" not in cells
    low = [i for i in pic.issues if "'81'" in i.reason]
    assert low and all(i.stage == "value" and "confidence 0.42" in i.reason for i in low)
    assert all(i.source_locator.startswith("p2 ocr box(") for i in low)


# --- end to end


@pytest.fixture(scope="session")
def scans(tmp_path_factory):
    return render_scan.render_scans(tmp_path_factory.mktemp("scans"))


def _gold(scans):
    values: dict[str, dict] = {}
    for p in (GOLD / "seed_values.csv", scans / "gold_values.csv"):
        with open(p, encoding="utf-8") as f:
            for g in csv.DictReader(f):
                values.setdefault(g["report"], {})[(g["code"], g["applicant_type"])] = (
                    None if g["value"] == "" else float(g["value"])
                )
    reports = {}
    for p in (GOLD / "seed_reports.csv", scans / "gold_reports.csv"):
        with open(p, encoding="utf-8") as f:
            reports.update({g["report"]: g for g in csv.DictReader(f)})
    return values, reports


def score(x, gold: dict) -> tuple[int, list, list]:
    """(cells right, wrong numbers, NULLs where gold has a value) of one extraction."""
    got = {(c.indicator_code, c.applicant_type): c for c in x.cells if c.indicator_code}
    right, wrong, null = 0, [], []
    for k, want in gold.items():
        c = got.get(k)
        if c is not None and c.value == want:
            right += 1
        elif c is not None and c.value is not None:
            wrong.append((k, want, c.value, c.source_locator))
        else:
            null.append((k, want, c.source_locator if c else None))
    return right, wrong, null


def _identity(x):
    i = x.identity
    return (x.template, i.report_year, i.region_name, i.region_level, i.region_code or "")


def _expected(g):
    return (g["template"], int(g["year"]), g["region"], g["region_level"], g["region_code"])


@pytest.mark.e2e
@pytest.mark.parametrize("folder", render_scan.FOLDERS)
def test_fixtures_read_by_ocr(scans, folder):
    values, reports = _gold(scans)
    raw = scans / folder
    files = [f for f in discover(raw) if f.status == "ok"]
    assert len(files) == 8
    total = right = 0
    wrong, unflagged, wrong_identity = [], [], []
    for f in files:
        path = raw / f.source_path
        outcome = extract_one(FromBytes(extract_bytes), str(path), str(raw), f.source_sha256)
        x = outcome.extraction
        assert x is not None, outcome
        assert x.ocr_pages > 0
        r, w, null = score(x, values[path.stem])
        total += len(values[path.stem])
        right += r
        wrong += [(path.name, *item) for item in w]
        # A NULL where the report prints a number: an issue at the cell says why (OCR
        # could not read it, or the grammar could not place its row); a cell not there
        # at all: a table issue.
        flagged = {i.source_locator for i in x.issues if i.stage in ("value", "table")}
        table_issue = any(i.stage == "table" for i in x.issues)
        unflagged += [
            (path.name, *item)
            for item in null
            if (item[2] not in flagged if item[2] is not None else not table_issue)
        ]
        if _identity(x) != _expected(reports[path.stem]):
            wrong_identity.append((path.name, _identity(x), _expected(reports[path.stem])))
    assert wrong == []
    assert wrong_identity == []
    assert unflagged == []
    assert right >= 0.99 * total, (right, total)


@pytest.mark.e2e
def test_scan_without_a_table_loads_identity_and_prose(tmp_path):
    """The prose pages of a report scanned, no table: the report loads with its
    identity and the figures of its prose (those of the same pages as text), and an
    issue says no table could be read."""
    from tests.fixtures.render_pdf import render_pdf

    report = build_gov2021_reports()[0]
    path = tmp_path / "prose.pdf"
    pages = render_scan.render_scan_without_table(report, path)
    x = extract_bytes(path.read_bytes(), path.name)
    assert x.ocr_pages == pages >= 1 and x.cells == []
    assert x.identity.report_year == int(report.identity["year"])
    assert x.identity.region_name == report.identity["region"]
    assert x.identity.region_code == report.identity["region_code"]
    assert any(
        i.stage == "table" and "none could be read" in i.reason and "OCR" in i.reason
        for i in x.issues
    )
    text_pdf = tmp_path / "text.pdf"
    render_pdf(report, text_pdf)
    printed = [
        n.number
        for n in extract_bytes(text_pdf.read_bytes(), "text.pdf").narrative
        if n.page is not None and n.page <= pages
    ]
    read = [n.number for n in x.narrative]
    assert printed and set(read) <= set(printed)  # no figure OCR made up
    assert len(read) >= 0.9 * len(printed), (read, printed)
