"""The five seeds and the gov2021 reports rendered as PDF, DOCX, HTML (UTF-8 and GBK)
and text: every gold cell and identity field from each format."""

import csv
from pathlib import Path

import pytest

from orchestration.extract import extract_file

pytest.importorskip("reportlab")
from tests.fixtures.render import render_all  # noqa: E402

GOLD = Path(__file__).parent / "gold"
FOLDERS = ("pdf", "docx", "html", "html_gbk", "text")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("rendered")
    render_all(out)
    return out


def _gold(*paths):
    values, reports = {}, {}
    for p in paths:
        for g in csv.DictReader(open(p / "gold_values.csv" if p.is_dir() else p, encoding="utf-8")):
            values.setdefault(g["report"], {})[(g["code"], g["applicant_type"])] = None if g["value"] == "" else float(g["value"])
    return values


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_cell_in_every_format(rendered, folder):
    gold = _gold(GOLD / "seed_values.csv", rendered / "gold_values.csv")
    reports = {g["report"]: g for f in (GOLD / "seed_reports.csv", rendered / "gold_reports.csv")
               for g in csv.DictReader(open(f, encoding="utf-8"))}
    files = sorted(p for p in (rendered / folder).iterdir() if p.is_file())
    assert len(files) == len(gold) == 8
    wrong = []
    for path in files:
        x = extract_file(path, rendered / folder)
        got = {(c.indicator_code, c.applicant_type): c.value for c in x.cells if c.indicator_code}
        wrong += [(path.name, k, want, got.get(k, "missing")) for k, want in gold[path.stem].items() if got.get(k) != want]
        g = reports[path.stem]
        ident = x.identity
        assert (x.template, ident.report_year, ident.region_name, ident.region_level, ident.region_code or "",
                ident.parent_region_name) == (g["template"], int(g["year"]), g["region"], g["region_level"],
                                              g["region_code"], g["parent_region"]), path.name
        assert not [i for i in x.issues if i.stage == "table"], (path.name, x.issues)
    assert wrong == []


def test_pdf_tables_are_extracted_only_on_table_pages(rendered):
    from orchestration.extract.readers import pdf as reader

    path = rendered / "pdf" / "000_0fd2e533e51a0851.pdf"
    pages = reader._read_pages(path.read_bytes())
    with_tables = [i + 1 for i, p in enumerate(pages) if p is None or any(ti > 0 for _, _, ti in p)]
    assert len(pages) == 17 and with_tables == [15, 16, 17]
