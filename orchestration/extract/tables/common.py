"""Shared pieces of the table parsers: splitting rows into label and values,
noise rows, and building `Cell`s."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..labels import clean, squash
from ..model import Cell, Row
from ..values import Value, is_unit, is_value_like, parse_value

_PAGE_NUMBER = re.compile(r"^[-—–_\s]*(第\s*)?\d{1,3}\s*(页)?[-—–_\s]*(共\s*\d+\s*页)?$")
# Lines that end a table: the signature block under the statistics table.
_TABLE_END = re.compile(
    r"^(单位负责人|负责人|审核人|填报人|填表人|联系电话|填报日期|报送日期|制表人)"
)


@dataclass
class Line:
    """A row read as label cells followed by value tokens."""

    labels: list[str]
    values: list[str]
    row: Row

    @property
    def label(self) -> str:
        return " ".join(x for x in self.labels if x)


def split_row(row: Row) -> Line:
    if row.tabular:
        cells = list(row.cells)
        last_text = -1
        for i, c in enumerate(cells):
            if c and not is_value_like(c):
                last_text = i
        return Line([c for c in cells[: last_text + 1]], cells[last_text + 1 :], row)
    text = clean(row.cells[0])
    tokens = text.split(" ")
    k = len(tokens)
    while k > 0 and is_value_like(tokens[k - 1]):
        k -= 1
    return Line([" ".join(tokens[:k])] if k else [], tokens[k:], row)


def is_noise(row: Row) -> bool:
    """Page numbers and empty rows inside a table."""
    text = " ".join(c for c in row.cells if c).strip()
    return not text or bool(_PAGE_NUMBER.match(clean(text)))


def ends_table(row: Row) -> bool:
    return bool(_TABLE_END.match(squash(" ".join(row.cells))))


def group_value_tokens(tokens: list[str]) -> list[str]:
    """Glue a unit written after a number back onto it: ['21207.84', '万元'] → ['21207.84 万元']."""
    out: list[str] = []
    for t in tokens:
        if (
            out
            and is_unit(t)
            and parse_value(out[-1]).kind == "number"
            and parse_value(out[-1]).unit is None
        ):
            out[-1] = f"{out[-1]} {t}"
        else:
            out.append(t)
    return out


def grid_values(row: Row, positions: list[int] | None, width: int | None) -> list[str] | None:
    """The cells under the header's columns, when the row lies on the header's grid
    (a table whose rows all have the header's width: HTML, DOCX, a ruled PDF page).
    Blank cells keep their place even at either end of the row."""
    if positions is None or width is None or not row.tabular or len(row.cells) != width:
        return None
    return [row.cells[p] for p in positions]


def fit_values(values: list[str], ncols: int, tabular: bool) -> list[str] | None:
    """The row's values aligned to `ncols` columns, or None when it cannot be done safely.

    Tabular rows keep blank cells in place; leading/trailing empty cells left by
    merged label columns are dropped only when that yields exactly `ncols`.
    """
    if tabular:
        trimmed = list(values)
        while trimmed and not trimmed[0]:
            trimmed.pop(0)
        while trimmed and not trimmed[-1]:
            trimmed.pop()
        if len(trimmed) == ncols:
            return trimmed
        if len(values) == ncols:
            return list(values)
        return None
    tokens = group_value_tokens([v for v in values if v])
    return tokens if len(tokens) == ncols else None


def make_cell(
    line: Line,
    section: str,
    code: str | None,
    value_text: str,
    *,
    column_label: str | None = None,
    applicant_type: str = "total",
    unit: str | None = None,
    default_unit: str | None = None,
) -> Cell:
    v: Value = parse_value(value_text)
    return Cell(
        section=section,
        row_label=line.label,
        column_label=column_label,
        indicator_code=code,
        applicant_type=applicant_type,
        value=v.value if v.kind == "number" else None,
        unit=v.unit or unit or default_unit,
        value_text=value_text.strip(),
        source_locator=line.row.locator,
        page=line.row.page,
        line=line.row.line,
        approximate=v.approximate,
    )
