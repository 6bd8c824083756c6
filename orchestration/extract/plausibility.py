"""Values the source prints but no report can mean: flagged, never silently trusted.

A negative figure is only meaningful in a change column (本年增/减, told by the
catalog label); a count beyond a hundred million, or an amount beyond any
budget, is a typo or a conversion error. The value is kept as printed (it is a
plain number in the source) and the issue lets analysts filter it.
"""

from __future__ import annotations

from functools import cache

from . import catalog
from .model import Cell, Issue

MAX_COUNT = 1e8  # requests, items, staff: no body reports more
MAX_AMOUNT = {"万元": 1e9, "元": 1e13}  # ten trillion yuan


@cache
def _signed_codes() -> frozenset[str]:
    return frozenset(e.code for e in catalog.entries() if "增" in e.tail and "减" in e.tail)


def issues(cells: list[Cell]) -> list[Issue]:
    out = []
    for c in cells:
        if c.value is None or c.indicator_code is None:
            continue
        where = f"{c.row_label!r}" + (f" / {c.column_label!r}" if c.column_label else "")
        if c.value < 0 and c.indicator_code not in _signed_codes():
            out.append(
                Issue("value", f"negative count {c.value_text!r} in {where}", c.source_locator)
            )
        limit = MAX_AMOUNT.get(c.unit or "", MAX_COUNT)
        if abs(c.value) > limit:
            out.append(
                Issue(
                    "value", f"implausible magnitude {c.value_text!r} in {where}", c.source_locator
                )
            )
    return out
