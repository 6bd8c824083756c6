"""Shared pieces of the readers and parsers: splitting a row into its label and
values, telling noise rows (page numbers, empty rows) inside a table, and
joining a cell's wrapped lines."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..labels import clean
from ..model import Row
from ..values import is_value_like

_PAGE_NUMBER = re.compile(r"^[-—–_\s]*(第\s*)?\d{1,3}\s*(页)?[-—–_\s]*(共\s*\d+\s*页)?$")


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


def join_wrapped(parts: Iterable[str]) -> str:
    """A cell's wrapped lines (or text boxes) as one line: Chinese joins
    without a space, a space only between two ASCII letters or digits."""
    out = ""
    for part in parts:
        if not part:
            continue
        if (
            out
            and out[-1].isascii()
            and out[-1].isalnum()
            and part[0].isascii()
            and part[0].isalnum()
        ):
            out += " "
        out += part
    return out
