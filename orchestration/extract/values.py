"""Reading a table cell's text as a value.

Blank is not zero: an empty cell is `blank` and its value NULL. `——` marks a
section row. Signed changes (`+1`, `-302`), thousands separators, a unit
written inside the cell (`21207.84 万元`) and approximate figures (`3200余`)
are all read; anything else is `text` and never becomes a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import vocabulary
from .labels import clean

UNITS = vocabulary.units()
_UNIT_RE = "|".join(UNITS)
# Printed in a cell that holds no number (a section row, a not-applicable cell).
DASHES = frozenset({"——", "—", "-", "--", "---", "─", "/", "\\", "×", "无", "—-", "-—"})
_BEFORE = "|".join(vocabulary.qualifiers("before"))
_AFTER = "|".join(vocabulary.qualifiers("after"))

_NUMBER = re.compile(
    rf"^(?P<approx_pre>{_BEFORE})?"
    rf"(?P<num>[+-]?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?)"
    rf"(?P<approx_post>{_AFTER})?"
    rf"(?P<unit>{_UNIT_RE})?"
    rf"(?P<approx_tail>{_AFTER})?$"
)


@dataclass(frozen=True)
class Value:
    kind: str  # number | blank | dash | text
    value: float | None = None
    unit: str | None = None
    approximate: bool = False
    text: str = ""


def parse_value(text: str | None) -> Value:
    raw = "" if text is None else str(text)
    t = clean(raw).replace(" ", "").replace("\u3000", "")
    if not t:
        return Value("blank", text=raw.strip())
    if t in DASHES or set(t) <= set("—-─_"):
        return Value("dash", text=raw.strip())
    m = _NUMBER.match(t)
    if not m:
        return Value("text", text=raw.strip())
    approx = bool(m.group("approx_pre") or m.group("approx_post") or m.group("approx_tail"))
    return Value(
        "number",
        float(m.group("num").replace(",", "")),
        m.group("unit"),
        approx,
        raw.strip(),
    )


def is_unit(text: str) -> bool:
    return clean(text).replace(" ", "") in UNITS


def is_value_like(text: str) -> bool:
    """A token that can stand in a value cell: a number, a dash or a unit."""
    v = parse_value(text)
    return v.kind in ("number", "dash") or is_unit(text)
