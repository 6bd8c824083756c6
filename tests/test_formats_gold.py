"""The five seeds and the gov2021 reports rendered as PDF (embedded TrueType font, and
the non-embedded CID font STSong-Light whose lone glyphs PDFium's text page drops),
DOCX, HTML (UTF-8 and GBK) and text: every gold cell and identity field from each format."""

import csv
from pathlib import Path

import pytest

from orchestration.extract import extract_file

pytestmark = pytest.mark.e2e

pytest.importorskip("reportlab")
from tests.fixtures.render import render_all

GOLD = Path(__file__).parent / "gold"
FOLDERS = ("pdf", "pdf_cid", "docx", "html", "html_gbk", "text")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("rendered")
    render_all(out)
    return out


def _gold(*paths):
    values = {}
    for p in paths:
        with open(p / "gold_values.csv" if p.is_dir() else p, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        for g in rows:
            values.setdefault(g["report"], {})[(g["code"], g["applicant_type"])] = (
                None if g["value"] == "" else float(g["value"])
            )
    return values


def _gold_reports(rendered):
    out = {}
    for path in (GOLD / "seed_reports.csv", rendered / "gold_reports.csv"):
        with open(path, encoding="utf-8") as f:
            out.update({g["report"]: g for g in csv.DictReader(f)})
    return out


def _identity(x):
    i = x.identity
    return (
        x.template,
        i.report_year,
        i.region_name,
        i.region_level,
        i.region_code or "",
        i.parent_region_name,
    )


def _expected_identity(g):
    return (
        g["template"],
        int(g["year"]),
        g["region"],
        g["region_level"],
        g["region_code"],
        g["parent_region"],
    )


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_cell_in_every_format(rendered, folder):
    gold = _gold(GOLD / "seed_values.csv", rendered / "gold_values.csv")
    reports = _gold_reports(rendered)
    files = sorted(p for p in (rendered / folder).iterdir() if p.is_file())
    assert len(files) == len(gold) == 8
    wrong, wrong_identity = [], []
    for path in files:
        x = extract_file(path, rendered / folder)
        got = {(c.indicator_code, c.applicant_type): c.value for c in x.cells if c.indicator_code}
        wrong += [
            (path.name, k, want, got.get(k, "missing"))
            for k, want in gold[path.stem].items()
            if got.get(k) != want
        ]
        want_identity = _expected_identity(reports[path.stem])
        if _identity(x) != want_identity:
            wrong_identity.append((path.name, _identity(x), want_identity))
        assert not [i for i in x.issues if i.stage == "table"], (path.name, x.issues)
    assert wrong == []
    assert wrong_identity == []


@pytest.mark.parametrize("folder", ["pdf", "pdf_cid"])
def test_pdf_tables_are_extracted_only_on_table_pages(rendered, folder):
    from orchestration.extract.readers import pdf as reader

    path = rendered / folder / "000_0fd2e533e51a0851.pdf"
    pages = reader._read_pages(path.read_bytes())
    with_tables = [i + 1 for i, p in enumerate(pages) if p is None or any(ti > 0 for _, _, ti in p)]
    assert len(pages) == 17 and with_tables == [15, 16, 17]
