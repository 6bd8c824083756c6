"""The tables of the 2019 and 2021 templates (they share sections 三 and 四).

* Section 二: small tables under 第二十条第（N）项 headings. Each has a header
  row 信息内容 | <columns>; a cell's meaning is its row label plus its column
  label, matched against catalog labels "row column".
* Section 三: the request matrix. Row labels nest (三、本年度办理结果 ›
  （三）不予公开 › 1.属于国家秘密); columns are applicant types read from the
  header. A row whose values cannot be aligned to the columns is an issue and
  its cells stay NULL, never shifted.
* Section 四: one row of values under a three-level header (行政复议 /
  行政诉讼 › 未经复议直接起诉 / 复议后起诉 › 结果维持 … 总计).
"""

from __future__ import annotations

import re

from .. import catalog
from ..labels import clean, label_key, numbering, squash
from ..model import Cell, Issue, Row
from ..values import parse_value
from .common import Line, fit_values, grid_values, is_noise, make_cell, split_row

SUBTOTAL = "小计"  # 法人或其他组织 subtotal column some publishers add
_SEGMENT = re.compile(r"(?=\([一二三四五六七八九十]+\)|(?<![一二三四五六七八九十])[一二三四五六七八九十]+、|(?<![\d.])\d{1,2}\.(?!\d))")
_UNIT_NOTE = re.compile(r"单位[:：]\s*([^)）]+)")


def _text(row: Row) -> str:
    return squash(" ".join(row.cells))


def _header_tokens(row: Row) -> list[tuple[int, str]]:
    """(position, text) of every header token: cells when tabular, else words."""
    if row.tabular:
        return [(i, squash(c)) for i, c in enumerate(row.cells) if c.strip()]
    return list(enumerate(squash(w) for w in clean(row.cells[0]).split(" ") if w))


# ---------------------------------------------------------------- section 二


def parse_proactive(rows: list[Row], template: str) -> tuple[list[Cell], list[Issue]]:
    entries = catalog.for_template(template, "proactive")
    heads = sorted({label_key(e.head) for e in entries})
    cells: list[Cell] = []
    issues: list[Issue] = []
    columns: list[str] | None = None
    units: list[str | None] = []
    positions: list[int] | None = None  # the header's cell positions, on a grid
    width: int | None = None
    for row in rows:
        if is_noise(row):
            continue
        line = split_row(row)
        tokens = _header_tokens(row)
        if tokens and tokens[0][1].startswith("信息内容"):
            first = tokens[0][1][len("信息内容") :]
            raw = ([first] if first else []) + [t for _, t in tokens[1:]]
            columns = [label_key(t) for t in raw]
            units = [(m.group(1).strip() if (m := _UNIT_NOTE.search(clean(t))) else None) for t in raw]
            positions = [p for p, _ in tokens[1:]] if row.tabular and not first else None
            width = len(row.cells)
            continue
        if columns is None or not line.label or "第二十条" in _text(row):
            continue
        values = grid_values(row, positions, width) or fit_values(line.values, len(columns), row.tabular)
        if values is None:
            if any(v for v in line.values):
                issues.append(
                    Issue("table", f"section 二 row {line.label!r}: {len([v for v in line.values if v])} values for {len(columns)} columns", row.locator)
                )
            continue
        head, _ = catalog.assign([label_key(line.label)], [(h, h) for h in heads])[0]
        for col, unit, text in zip(columns, units, values):
            col_candidates = [(label_key(e.tail), e) for e in entries if label_key(e.head) == head]
            entry, _ = catalog.assign([col], col_candidates)[0] if head else (None, 0)
            cells.append(
                make_cell(
                    line,
                    "proactive",
                    entry.code if entry else None,
                    text,
                    column_label=col,
                    unit=unit,
                    default_unit=entry.unit if entry else None,
                )
            )
    return cells, issues


# ---------------------------------------------------------------- section 三


def _segments(labels: list[str]) -> list[str]:
    out = []
    for cell in labels:
        out += [s.strip() for s in _SEGMENT.split(clean(cell)) if s.strip()]
    return out


def _matrix_columns(header: list[Row]) -> tuple[list[str], list[int] | None, int | None]:
    """Column keys (applicant types, or SUBTOTAL) in the order of the data cells, and,
    when the header is a grid (tabular rows of one width), their cell positions and
    that width."""
    known = {c.label: c.applicant_type for c in catalog.applicant_columns()}
    found: dict[str, int] = {}
    subtotal_pos = None
    first_org_pos = None
    widths = set()
    for row in header:
        tokens = _header_tokens(row)
        if any(tok in known or tok == SUBTOTAL for _, tok in tokens):
            widths.add(len(row.cells) if row.tabular else -1)
        for pos, tok in tokens:
            if tok in known and known[tok] not in found:
                found[known[tok]] = pos
                if first_org_pos is None and known[tok] != "natural_person" and known[tok] != "total":
                    first_org_pos = pos
            elif tok == SUBTOTAL:
                subtotal_pos = pos
    order = [c.applicant_type for c in catalog.applicant_columns() if c.applicant_type in found]
    if subtotal_pos is not None:
        # The subtotal sits before or after the organisation columns.
        before = first_org_pos is not None and subtotal_pos < first_org_pos
        at = order.index("commercial_enterprise") if before and "commercial_enterprise" in order else order.index("total")
        order.insert(at, SUBTOTAL)
        found[SUBTOTAL] = subtotal_pos
    if len(widths) != 1 or -1 in widths:
        return order, None, None
    return order, [found[c] for c in order], widths.pop()


def parse_matrix(rows: list[Row]) -> tuple[list[Cell], list[Issue], int]:
    """Cells of the matrix starting at rows[0], issues, and the index after its last row."""
    entries = [e for t in ("gov2019", "gov2021") for e in catalog.for_template(t, "requests")]
    seen, cands = set(), []
    for e in entries:  # shared rows appear once per template
        if e.code not in seen:
            seen.add(e.code)
            cands.append((e.key, e))
    # Header: rows up to the first data row.
    a_new_key = next(e.key for _, e in cands if e.code == "a_new")
    data_start = next(
        (i for i, r in enumerate(rows) if a_new_key in label_key(split_row(r).label) and split_row(r).values), None
    )
    if data_start is None:
        return [], [Issue("table", "section 三 matrix: no 本年新收政府信息公开申请数量 row")], 0
    columns, positions, width = _matrix_columns(rows[:data_start])
    if not columns:
        columns, positions = [c.applicant_type for c in catalog.applicant_columns()], None
    cells: list[Cell] = []
    issues: list[Issue] = []
    data: list[tuple[Line, str]] = []
    group = ""
    end = data_start
    for end in range(data_start, len(rows)):
        row = rows[end]
        if is_noise(row):
            continue
        line = split_row(row)
        segs = _segments(line.labels)
        if not segs and not line.values:
            continue
        leaf = ""
        for seg in segs:
            kind = numbering(seg).kind
            if kind == "paren":
                group, leaf = seg, seg
            elif kind == "chapter":
                group, leaf = "", seg
            else:
                leaf = seg
        if not line.values or not any(line.values):
            continue  # a label cell on its own (merged group label)
        if not segs:
            issues.append(Issue("table", "section 三 row without a label", row.locator))
            continue
        parent = group if leaf is not group and numbering(leaf).kind != "paren" else ""
        data.append((line, label_key(parent) + label_key(leaf) if parent else label_key(leaf)))
        if "结转下年度" in label_key(leaf) or len(data) >= 40:
            break
    matched = catalog.assign([k for _, k in data], cands)
    for (line, key), (entry, _) in zip(data, matched):
        values = grid_values(line.row, positions, width) or fit_values(line.values, len(columns), line.row.tabular)
        if values is None:
            n = len([v for v in line.values if v])
            issues.append(Issue("table", f"section 三 row {line.label!r}: {n} values for {len(columns)} columns; cells left NULL", line.row.locator))
            continue
        for col, text in zip(columns, values):
            code = entry.code if entry is not None and col != SUBTOTAL else None
            cells.append(
                make_cell(line, "requests", code, text, column_label=col,
                          applicant_type="total" if col == SUBTOTAL else col, default_unit="件")
            )
    return cells, issues, end + 1


# ---------------------------------------------------------------- section 四


def parse_review(rows: list[Row]) -> tuple[list[Cell], list[Issue]]:
    entries = [e for e in catalog.for_template("gov2019") if e.section in ("review", "litigation")]
    # Column groups and leaves in template order, from the catalog labels.
    groups: list[str] = []
    by_group_leaf = {}
    for e in entries:
        *grp, leaf = e.label.split(" ")
        g = " ".join(grp)
        if g not in groups:
            groups.append(g)
        by_group_leaf[(groups.index(g), leaf)] = e
    leaves = {leaf for _, leaf in by_group_leaf}
    header_leaves: list[str] = []
    for i, row in enumerate(rows):
        if is_noise(row):
            continue
        toks = [t for _, t in _header_tokens(row)]
        row_leaves = [t for t in toks if t in leaves]
        if row_leaves:
            header_leaves += row_leaves
            continue
        line = split_row(row)
        if header_leaves and line.values and len([v for v in line.values if parse_value(v).kind != "text"]) >= 2:
            return _review_cells(line, header_leaves, groups, by_group_leaf)
        if header_leaves and len(header_leaves) >= 5 and i > 12:
            break
    return [], [Issue("table", "section 四: no row of values under the 行政复议/行政诉讼 header")]


def _review_cells(line: Line, header_leaves: list[str], groups, by_group_leaf) -> tuple[list[Cell], list[Issue]]:
    values = fit_values(line.values, len(header_leaves), line.row.tabular)
    if values is None:
        n = len([v for v in line.values if v])
        return [], [Issue("table", f"section 四: {n} values for {len(header_leaves)} columns; cells left NULL", line.row.locator)]
    cells = []
    g, in_group = 0, set()
    for leaf, text in zip(header_leaves, values):
        if leaf in in_group:  # a leaf seen again starts the next column group
            g, in_group = g + 1, set()
        in_group.add(leaf)
        entry = by_group_leaf.get((g, leaf))
        section = entry.section if entry else "litigation"
        column = f"{groups[g]} {leaf}" if g < len(groups) else leaf
        cells.append(make_cell(line, section, entry.code if entry else None, text, column_label=column, default_unit="件"))
    return cells, []
