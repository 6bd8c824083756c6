"""Cells that look numeric but are no plain number, negative counts and absurd
magnitudes: each is an extraction issue; only a plain number is ever a value."""

from pathlib import Path

import pytest

from orchestration.extract import extract_bytes
from tests.test_perturbations import APPLICANTS, MATRIX_2019, OTHER_2021, TAIL, build

pytestmark = pytest.mark.unit

REPORT, EXPECTED = build(MATRIX_2019 + OTHER_2021 + TAIL)
TEXT = REPORT.decode("utf-8")


def _with_cell(code_label: str, col: int, cell: str) -> bytes:
    """The test report with one matrix cell of a row replaced (tab rows)."""
    lines = TEXT.splitlines()
    i = next(k for k, ln in enumerate(lines) if code_label in ln)
    cells = lines[i].split("\t")
    cells[3 + col] = cell
    lines[i] = "\t".join(cells)
    return "\n".join(lines).encode("utf-8")


def _row(x, code):
    return {c.applicant_type: c.value for c in x.cells if c.indicator_code == code}


@pytest.mark.parametrize("cell", ["1E3", "1e30", "NaN", "nan", "inf", "#DIV/0!", "2.5e+4"])
def test_a_cell_that_is_no_plain_number_is_null_with_an_issue(cell):
    x = extract_bytes(_with_cell("4.保护第三方合法权益", 2, cell), "x.txt")
    got = _row(x, "a_denied_third_party")
    # The row keeps its columns: only that cell is NULL, nothing shifts, nothing vanishes.
    assert got["research_institution"] is None
    others = {a: v for a, v in got.items() if a != "research_institution"}
    want = {
        a: EXPECTED[("a_denied_third_party", a)] for a in APPLICANTS if a != "research_institution"
    }
    assert others == want or all(v is None for v in others.values())
    assert any(
        i.stage == "value" and cell in i.reason and "not a plain number" in i.reason
        for i in x.issues
    )
    assert _row(x, "a_denied_internal_affairs") == {
        a: EXPECTED[("a_denied_internal_affairs", a)] for a in APPLICANTS
    }


def test_a_negative_count_is_flagged_but_kept_as_printed():
    data = _with_cell("4.保护第三方合法权益", 0, "-5")
    x = extract_bytes(data, "x.txt")
    assert any(i.stage == "value" and "negative count '-5'" in i.reason for i in x.issues)


def test_a_signed_change_is_not_flagged():
    """The 2019 seed prints 行政许可 本年增/减 as -302: a change, not a count."""
    seed = Path(__file__).resolve().parents[1] / "raw" / "001_5ef633064578115e.txt"
    x = extract_bytes(seed.read_bytes(), seed.name)
    got = {c.indicator_code: c.value for c in x.cells if c.indicator_code}
    assert got["p_licensing_items_change"] == -302
    assert not any(i.stage == "value" for i in x.issues)


def test_an_absurd_magnitude_is_flagged():
    x = extract_bytes(_with_cell("4.保护第三方合法权益", 0, "100000000000000000000000"), "x.txt")
    assert any(i.stage == "value" and "implausible magnitude" in i.reason for i in x.issues)


def test_a_value_in_a_column_without_a_header_is_an_issue():
    lines = TEXT.splitlines()
    i = next(k for k, ln in enumerate(lines) if "4.保护第三方合法权益" in ln)
    lines[i] += "\t77"  # an eighth number where the header names seven columns
    x = extract_bytes("\n".join(lines).encode("utf-8"), "x.txt")
    assert all(v is None for v in _row(x, "a_denied_third_party").values())
    assert any(
        "4.保护第三方合法权益" in i.reason and "8 values for 7 columns" in i.reason
        for i in x.issues
    )
