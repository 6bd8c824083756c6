"""The 2008–2018 statistics table: 统计指标 | 单位 | 统计数.

Rows are rebuilt from lines first (a label wrapped over several lines, a unit
and value on the line after the label), then grouped into chapters
(一、主动公开情况 …). A chapter's section is the one most of its rows match in
the catalog, so duplicate labels such as 被依法纠错数 (under 行政复议 and under
行政诉讼) land on the right code without any list of chapter names.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from .. import catalog
from ..labels import brackets_open, label_key, numbering, squash
from ..model import Cell, Issue, Row
from ..values import is_unit, parse_value
from .common import Line, ends_table, is_noise, make_cell, split_row

TEMPLATE = "gov2008"


@dataclass
class _TableRow:
    lines: list[Line] = field(default_factory=list)
    label_parts: list[str] = field(default_factory=list)
    unit: str | None = None
    value_text: str | None = None  # None: no value cell seen; '' blank cell
    dash: bool = False

    @property
    def label(self) -> str:
        return " ".join(self.label_parts)

    @property
    def closed(self) -> bool:
        """A value (or ——) was read; in a table structure a unit cell closes the row
        too (its empty value cell is a blank). In plain text the value may still
        follow on the next line."""
        tabular = bool(self.lines) and self.lines[-1].row.tabular
        return self.value_text is not None or self.dash or (self.unit is not None and tabular)

    @property
    def first(self) -> Line:
        return self.lines[0]


def is_header(row: Row) -> bool:
    s = squash(" ".join(row.cells))
    return ("统计指标" in s and ("单位" in s or "统计数" in s)) or s in ("统计指标", "单位", "统计数")


def find_start(rows: list[Row]) -> int | None:
    for i, row in enumerate(rows):
        if is_header(row):
            return i + 1
    # No header: start at the chapter row above the table's first row (主动公开政府信息数).
    p_total = label_key(catalog.for_template(TEMPLATE, "proactive")[0].label)
    for i, row in enumerate(rows):
        line = split_row(row)
        if label_key(line.label) == p_total:
            j = i
            while j > 0 and numbering(rows[j].cells[0]).kind != "chapter" and i - j < 3:
                j -= 1
            return j
    return None


def _read_values(tr: _TableRow, line: Line, issues: list[Issue]) -> None:
    for tok in line.values:
        v = parse_value(tok)
        if tr.value_text is None and tr.unit is None and not tr.dash and is_unit(tok):
            tr.unit = tok
        elif v.kind == "dash" and tr.value_text is None:
            tr.dash = True
        elif v.kind == "number":
            if tr.value_text:
                issues.append(Issue("table", f"row {tr.label!r} holds several values; kept the first", line.row.locator))
            else:
                tr.value_text = tok
        elif tok == "" and line.row.tabular and tr.unit is not None and tr.value_text is None:
            tr.value_text = ""  # the value cell is there and empty
    if line.row.tabular and tr.unit is not None and tr.value_text is None:
        tr.value_text = ""


def _starts_new_row(pending: _TableRow, line: Line) -> bool:
    """Whether a label line starts a new table row or continues a wrapped label."""
    if pending.unit is not None:
        return True  # the unit cell came: the label is complete
    if brackets_open(pending.label):
        return False
    if numbering(line.label).kind is not None:
        return True
    # A label complete in itself (it matches the catalog) is a row of its own.
    return label_key(line.label) in _catalog_keys() or bool(line.values)


@cache
def _catalog_keys() -> frozenset[str]:
    return frozenset(label_key(e.label) for e in catalog.for_template(TEMPLATE))


def rebuild_rows(rows: list[Row]) -> tuple[list[_TableRow], list[Issue]]:
    """Table rows from source rows, up to the signature block under the table."""
    out: list[_TableRow] = []
    pending: _TableRow | None = None
    issues: list[Issue] = []
    for row in rows:
        if ends_table(row):
            break
        # A bare number right after a unit is the value, not a page number.
        awaiting_value = pending is not None and pending.unit is not None and not pending.closed
        if (is_noise(row) and not (awaiting_value and not split_row(row).label)) or is_header(row):
            if pending is not None and is_header(row):
                out.append(pending)  # a repeated page header closes a dangling row
                pending = None
            continue
        line = split_row(row)
        if not line.label:
            if pending is not None:  # unit/value on the line after the label
                pending.lines.append(line)
                _read_values(pending, line, issues)
                if pending.closed:
                    out.append(pending)
                    pending = None
            continue
        if pending is not None and not _starts_new_row(pending, line):
            pending.label_parts.append(line.label)
            pending.lines.append(line)
            current = pending
        else:
            if pending is not None:
                out.append(pending)
            current = _TableRow([line], [line.label])
        _read_values(current, line, issues)
        if current.closed:
            out.append(current)
            pending = None
        else:
            pending = current
    if pending is not None:
        out.append(pending)
    return out, issues


def _chapters(trs: list[_TableRow]) -> list[list[_TableRow]]:
    chapters: list[list[_TableRow]] = []
    for tr in trs:
        if not chapters or numbering(tr.label).kind == "chapter":
            chapters.append([])
        chapters[-1].append(tr)
    return chapters


def parse(rows: list[Row]) -> tuple[list[Cell], list[Issue]]:
    start = find_start(rows)
    if start is None:
        return [], [Issue("table", "no 统计指标/单位/统计数 table found")]
    trs, issues = rebuild_rows(rows[start:])
    cells: list[Cell] = []
    all_entries = catalog.for_template(TEMPLATE)
    for chapter in _chapters(trs):
        keys = [label_key(tr.label) for tr in chapter]
        # Which section is this chapter? The one its rows match best.
        first_pass = catalog.assign(keys, [(label_key(e.label), e) for e in all_entries])
        votes = Counter(e.section for e, s in first_pass if e is not None)
        sections = [s for s, _ in votes.most_common(1)]
        candidates = [e for e in all_entries if e.section in sections] if sections else all_entries
        matched = catalog.assign(keys, [(label_key(e.label), e) for e in candidates])
        section = sections[0] if sections else "unknown"
        for tr, (entry, _score) in zip(chapter, matched):
            line = tr.lines[-1] if tr.value_text is not None else tr.first
            value_text = tr.value_text or ""
            if entry is None:
                # Uncatalogued rows are kept when they carry a value; headings are not data.
                if tr.value_text:
                    cells.append(_cell(tr, line, section, None, value_text, None))
                continue
            cells.append(_cell(tr, line, section, entry.code, value_text, entry.unit))
    return cells, issues


def _cell(tr: _TableRow, line: Line, section: str, code: str | None, value_text: str, unit: str | None) -> Cell:
    # The label may span several lines; provenance is the line holding the value.
    merged = Line(tr.label_parts, [], line.row)
    return make_cell(merged, section, code, value_text, unit=tr.unit, default_unit=unit)
