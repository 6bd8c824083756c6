"""Every table cell and identity field of the five seed reports, straight from extraction.

The same gold is checked again through the built warehouse in test_warehouse_gold.py;
this test pinpoints a parser regression without building anything.
"""

import csv
from pathlib import Path

import pytest

from orchestration.extract import extract_file

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "raw"
GOLD = Path(__file__).parent / "gold"


def _gold_values():
    out = {}
    for g in csv.DictReader(open(GOLD / "seed_values.csv", encoding="utf-8")):
        out.setdefault(g["report"], {})[(g["code"], g["applicant_type"])] = (
            None if g["value"] == "" else float(g["value"])
        )
    return out


GOLD_VALUES = _gold_values()
GOLD_REPORTS = {
    g["report"]: g for g in csv.DictReader(open(GOLD / "seed_reports.csv", encoding="utf-8"))
}


@pytest.fixture(scope="module", params=sorted(GOLD_VALUES))
def extraction(request):
    return request.param, extract_file(RAW / f"{request.param}.txt", RAW)


def test_every_gold_cell(extraction):
    stem, x = extraction
    got = {}
    for c in x.cells:
        if c.indicator_code:
            assert (c.indicator_code, c.applicant_type) not in got, (
                f"two cells for {c.indicator_code}"
            )
            got[(c.indicator_code, c.applicant_type)] = c.value
    wrong = {
        k: (want, got.get(k, "missing"))
        for k, want in GOLD_VALUES[stem].items()
        if got.get(k) != want
    }
    assert not wrong
    assert not x.issues


def test_identity(extraction):
    stem, x = extraction
    g = GOLD_REPORTS[stem]
    i = x.identity
    assert (x.template, i.report_year, i.organization, i.region_name, i.region_level) == (
        g["template"],
        int(g["year"]),
        g["organization"],
        g["region"],
        g["region_level"],
    )
    assert (i.region_code or "", i.parent_region_name) == (g["region_code"], g["parent_region"])


def test_provenance_points_at_the_source_line():
    x = extract_file(RAW / "000_0fd2e533e51a0851.txt", RAW)
    cell = next(c for c in x.cells if c.indicator_code == "p_total")
    line = (
        (RAW / "000_0fd2e533e51a0851.txt").read_text(encoding="utf-8").splitlines()[cell.line - 1]
    )
    assert "17330" in line and cell.source_locator == f"line {cell.line}"
    assert cell.unit == "条" and cell.value_text == "17330"


def test_blank_cells_stay_null_and_signed_values_keep_sign():
    x = extract_file(RAW / "004_81756f01c13aa782.txt", RAW)
    gazette = next(c for c in x.cells if c.indicator_code == "p_via_gazette")
    assert gazette.value is None and gazette.value_text == ""
    y = extract_file(RAW / "001_5ef633064578115e.txt", RAW)
    by_code = {c.indicator_code: c for c in y.cells if c.applicant_type == "total"}
    assert by_code["p_licensing_items_change"].value == -302
    assert (
        by_code["p_fee_items_change"].value == 1
        and by_code["p_fee_items_change"].value_text == "+1"
    )
    assert (
        by_code["p_procurement_amount"].value == 21207.84
        and by_code["p_procurement_amount"].unit == "万元"
    )
