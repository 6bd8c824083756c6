"""Reading cell text as values: blank is not zero, approximate is not exact."""

import pytest

from orchestration.extract.values import parse_value

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text, kind, value, unit, approx",
    [
        ("17330", "number", 17330.0, None, False),
        ("", "blank", None, None, False),
        ("   ", "blank", None, None, False),
        ("&nbsp;", "blank", None, None, False),
        ("——", "dash", None, None, False),
        ("—", "dash", None, None, False),
        ("+1", "number", 1.0, None, False),
        ("-302", "number", -302.0, None, False),
        ("－302", "number", -302.0, None, False),  # full-width minus
        ("21207.84 万元", "number", 21207.84, "万元", False),
        ("21207.84万元", "number", 21207.84, "万元", False),
        ("1,234", "number", 1234.0, None, False),
        ("1，234", "number", 1234.0, None, False),
        ("１２３", "number", 123.0, None, False),  # full-width digits
        ("3200余条", "number", 3200.0, "条", True),
        ("约600人次", "number", 600.0, "人次", True),
        ("2.3", "number", 2.3, None, False),
        ("<b>12</b>", "number", 12.0, None, False),
        ("**7**", "number", 7.0, None, False),
        ("不详", "text", None, None, False),
        ("12件（含转办）", "text", None, None, False),
    ],
)
def test_parse_value(text, kind, value, unit, approx):
    v = parse_value(text)
    assert (v.kind, v.value, v.unit, v.approximate) == (kind, value, unit, approx)
