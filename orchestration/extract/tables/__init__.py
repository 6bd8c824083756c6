"""Finding the statistics tables in a document, detecting their template, and
parsing them into cells.

The template is read from the table headers, never from the year: publishers
mix (a 2019 report in the 2008 layout is common).
"""

from __future__ import annotations

from ..labels import label_key, squash
from ..model import Cell, Issue, Row
from . import gov2008, gov2019
from .common import split_row

# Column headers that only one template has (section 二 of 2019 and 2021).
_MARKERS = {
    "gov2021": ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额"),
    "gov2019": ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量"),
}

# Words printed only in statistics tables: a PDF page showing one of them needs table extraction.
TABLE_PAGE_HINTS = ("统计指标", "统计数", "信息内容", "申请人情况", "结果维持", "结果纠正", "尚未审结",
                    "本年新收政府信息公开申请数量", "第二十条第")


def detect_template(rows: list[Row]) -> str | None:
    text = "\n".join(squash(" ".join(r.cells)) for r in rows)
    for template, markers in _MARKERS.items():
        if sum(m in text for m in markers) >= 2:
            return template
    if any(gov2008.is_header(r) for r in rows) or gov2008.find_start(rows) is not None:
        return "gov2008"
    if "申请人情况" in text or "本年新收政府信息公开申请数量" in text:
        # Matrix without section 二: the 2021 template splits （六） into three rows.
        return "gov2021" if "逾期不补正" in text or "逾期未按收费通知" in text else "gov2019"
    return None


def _find(rows: list[Row], start: int, pred) -> int | None:
    return next((i for i in range(start, len(rows)) if pred(rows[i])), None)


def parse_tables(rows: list[Row], template: str) -> tuple[list[Cell], list[Issue]]:
    if template == "gov2008":
        return gov2008.parse(rows)
    cells: list[Cell] = []
    issues: list[Issue] = []
    matrix_at = _find(rows, 0, lambda r: "申请人情况" in squash(" ".join(r.cells)))
    if matrix_at is None:
        matrix_at = _find(rows, 0, lambda r: "本年新收政府信息公开申请数量" in label_key(split_row(r).label) and bool(split_row(r).values))
    proactive_at = _find(rows, 0, lambda r: squash(" ".join(r.cells)).startswith(("第二十条", "信息内容")))
    if proactive_at is not None:
        c, i = gov2019.parse_proactive(rows[proactive_at : matrix_at if matrix_at and matrix_at > proactive_at else None], template)
        cells += c
        issues += i
    else:
        issues.append(Issue("table", "section 二 (第二十条) tables not found"))
    if matrix_at is None:
        issues.append(Issue("table", "section 三 matrix (申请人情况) not found"))
        review_from = proactive_at or 0
    else:
        c, i, used = gov2019.parse_matrix(rows[matrix_at:])
        cells += c
        issues += i
        review_from = matrix_at + max(used, 1)
    review_at = _find(rows, review_from, lambda r: "行政复议" in squash(" ".join(r.cells)))
    if review_at is None:
        issues.append(Issue("table", "section 四 (行政复议/行政诉讼) table not found"))
    else:
        c, i = gov2019.parse_review(rows[review_at:])
        cells += c
        issues += i
    return cells, issues
