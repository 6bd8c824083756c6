"""Figures stated in the prose of the seed reports."""

from pathlib import Path

import pytest

from orchestration.extract import extract_file
from orchestration.extract.model import Row
from orchestration.extract.narrative import extract_figures

pytestmark = pytest.mark.unit

RAW = Path(__file__).resolve().parents[1] / "raw"


def _figures(text, template="gov2008"):
    rows = [Row((line,), f"line {n}", line=n) for n, line in enumerate(text.splitlines(), 1)]
    return extract_figures(rows, template)


def test_approximate_figures_are_flagged():
    (f, *_rest) = [f for f in _figures("2020 年，主动公开政府信息 3200 余条。") if f.unit == "条"]
    assert (f.number, f.approximate, f.qualifier, f.indicator_code) == (3200, True, "余", "p_total")


def test_years_dates_percentages_and_notes_are_not_figures():
    figs = _figures("2018年1月1日至12月31日，办结率100%，（不同方式回应同一热点或舆情计 1次）。")
    assert figs == []


def test_requests_received_in_either_word_order():
    a = _figures("全县受理政府信息公开申请 19 件，其中当面申请 5 件。")
    assert [(f.indicator_code, f.number) for f in a][:1] == [("a_received", 19)]
    b = _figures("2020年共受理3件政府信息依公开申请，办结3件。", "gov2019")
    assert [(f.indicator_code, f.number) for f in b][:1] == [("a_new", 3)]


def test_seed_narrative_agrees_with_tables_except_the_longde_contradiction():
    disagreements = []
    for path in sorted(RAW.glob("*.txt")):
        x = extract_file(path, RAW)
        table = {
            c.indicator_code: c.value
            for c in x.cells
            if c.applicant_type == "total" and c.indicator_code
        }
        disagreements += [
            (path.stem, f.indicator_code, f.number, table.get(f.indicator_code))
            for f in x.narrative
            if f.indicator_code
            and not f.approximate
            and table.get(f.indicator_code) is not None
            and table.get(f.indicator_code) != f.number
        ]
    assert disagreements == [("001_5ef633064578115e", "a_new", 3.0, 0.0)]


def test_a_zero_stated_in_words():
    x = extract_file(RAW / "002_c6cbb6b884b800f8.txt", RAW)
    zeros = {f.indicator_code: f for f in x.narrative if f.number_text.startswith("未")}
    assert set(zeros) == {"review_total", "lit_total", "complaints_total"}
    assert zeros["review_total"].number == 0 and zeros["review_total"].source_locator == "line 666"
    # The table leaves 行政复议数量 blank: the prose is the only statement of it.
    assert next(c.value for c in x.cells if c.indicator_code == "review_total") is None
