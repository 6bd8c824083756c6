"""Finding the statistics tables in a document, detecting their template, and
parsing them into cells.

The template is read from the table headers, never from the year: publishers
mix (a 2019 report in the 2008 layout is common). The 2019/2021 grammar reads
the document's token stream (`stream.py`), whatever its layout.
"""

from __future__ import annotations

import re

from .. import plausibility
from ..model import Cell, Issue, NarrativeFigure, Row
from . import gov2008, gov2019
from .stream import Tok, tokens
from .words import key as word_key


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# Words printed only in statistics tables: a PDF page showing one of them needs table extraction.
TABLE_PAGE_HINTS = (
    "统计指标",
    "统计数",
    "信息内容",
    "申请人情况",
    "结果维持",
    "结果纠正",
    "尚未审结",
    "本年新收政府信息公开申请数量",
    "第二十条第",
)


def detect_template(rows: list[Row], toks: list[Tok] | None = None) -> str | None:
    """`toks`: the rows' tokens when already made (`stream.tokens`; lexing is not cheap)."""
    toks = tokens(rows) if toks is None else toks
    found = gov2019.detect(toks)
    if found is not None:
        return found
    return "gov2008" if gov2008.detect(toks) else None


def parse_tables(
    rows: list[Row],
    template: str,
    narrative: list[NarrativeFigure] = (),
    toks: list[Tok] | None = None,
) -> tuple[list[Cell], list[Issue]]:
    """Cells and issues of the document's tables; the prose figures may settle a gov2008
    row whose digits are glued (the table alone cannot split them). `toks` as for
    `detect_template` (parsing reads them, never changes them)."""
    toks = tokens(rows) if toks is None else toks
    if template == "gov2008":
        figures: dict[str, set[float]] = {}
        for f in narrative:
            if f.indicator_code and not f.approximate:
                figures.setdefault(f.indicator_code, set()).add(f.number)
        prose = "".join(word_key(t.text) for t in toks if t.kind == "text" and t.col is None)
        text = "\n".join(" ".join(r.cells) for r in rows if not r.tabular)
        cells, issues = gov2008.parse(toks, gov2008.Prose(figures, _squash(text) or prose))
    else:
        cells, issues = gov2019.parse(toks, template)
    issues += [
        Issue("value", f"cell {t.raw.strip()!r} is not a plain number; left NULL", t.locator)
        for t in toks
        if t.unreadable
    ]
    return cells, issues + plausibility.issues(cells)
