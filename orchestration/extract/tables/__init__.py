"""Finding the statistics tables in a document, detecting their template, and
parsing them into cells.

The template is read from the table headers, never from the year: publishers
mix (a 2019 report in the 2008 layout is common). The 2019/2021 grammar reads
the document's token stream (`stream.py`), whatever its layout.
"""

from __future__ import annotations

from ..model import Cell, Issue, Row
from . import gov2008, gov2019
from .stream import tokens

# Words printed only in statistics tables: a PDF page showing one of them needs table extraction.
TABLE_PAGE_HINTS = ("统计指标", "统计数", "信息内容", "申请人情况", "结果维持", "结果纠正", "尚未审结",
                    "本年新收政府信息公开申请数量", "第二十条第")


def detect_template(rows: list[Row]) -> str | None:
    found = gov2019.detect(tokens(rows))
    if found is not None:
        return found
    if any(gov2008.is_header(r) for r in rows) or gov2008.find_start(rows) is not None:
        return "gov2008"
    return None


def parse_tables(rows: list[Row], template: str) -> tuple[list[Cell], list[Issue]]:
    if template == "gov2008":
        return gov2008.parse(rows)
    return gov2019.parse(tokens(rows), template)
