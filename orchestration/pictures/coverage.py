"""The page's third section: how many reports there are per year ×
administrative level × template (dim_report × dim_region), as a heat map."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from orchestration.pictures.data import WarehouseData
from orchestration.pictures.labels import LEVEL_LABELS, LEVELS, TEMPLATES, template_color
from orchestration.pictures.svg import heat
from orchestration.pictures.text import e

CELL_W, CELL_H = 46, 24
LABEL_W = 64  # the year labels on the left
HEAD_H = 44  # the level and template labels on top
TOTAL_X = 28  # the row totals, right of the last column


class CoverageSection(NamedTuple):
    html: str
    cells: int  # cells with at least one report


@dataclass(frozen=True)
class Grid:
    """Rows: the years (then unknown). Columns: each level (then unknown) ×
    each template (then unknown); a level or template only when some report has it."""

    coverage: Counter  # (year, level, template) -> reports
    years: list
    levels: list
    templates: list

    @classmethod
    def of(cls, coverage: Counter) -> Grid:
        def unknown(i: int) -> list:
            return [None] if any(k[i] is None for k in coverage) else []

        known_years = sorted({k[0] for k in coverage if k[0] is not None})
        return cls(
            coverage,
            known_years + unknown(0),
            list(LEVELS) + unknown(1),
            list(TEMPLATES) + unknown(2),
        )

    @property
    def cols(self) -> list[tuple]:
        return [(lv, t) for lv in self.levels for t in self.templates]

    @property
    def top(self) -> int:
        return max(self.coverage.values())

    @property
    def total_x(self) -> int:
        return LABEL_W + CELL_W * len(self.cols) + TOTAL_X

    def col_x(self, j: int) -> int:
        return LABEL_W + j * CELL_W

    def row_y(self, i: int) -> int:
        return HEAD_H + i * CELL_H

    def count(self, year, level, template) -> int:
        return self.coverage.get((year, level, template), 0)


def coverage_section(data: WarehouseData) -> CoverageSection:
    if not data.coverage:
        return CoverageSection("<p class=empty>dim_report 无数据。</p>", 0)
    grid = Grid.of(data.coverage)
    width = LABEL_W + CELL_W * len(grid.cols) + 60
    height = HEAD_H + CELL_H * (len(grid.years) + 1) + 6
    parts = [
        f'<svg class=coverage width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        "role=img>",
        *_heads(grid),
    ]
    cells = 0
    for i, year in enumerate(grid.years):
        row, filled = _year_row(grid, i, year)
        parts.extend(row)
        cells += filled
    parts.extend(_totals_row(grid))
    return CoverageSection("".join(parts), cells)


def _heads(grid: Grid) -> list[str]:
    """The levels, each over its templates, and the totals column."""
    span = CELL_W * len(grid.templates)
    parts = []
    for i, lv in enumerate(grid.levels):
        x0 = LABEL_W + i * span
        parts.append(
            f'<text class=lvl x="{x0 + span / 2:.0f}" y="14">'
            f"{e(LEVEL_LABELS.get(lv, lv))} {e(lv or '')}</text>"
            f'<line x1="{x0 + 2}" x2="{x0 + span - 2}" y1="19" y2="19" '
            "class=grp />"
        )
    for j, (_, t) in enumerate(grid.cols):
        parts.append(
            f'<text class=tpl x="{grid.col_x(j) + CELL_W / 2:.0f}" y="{HEAD_H - 8}" '
            f'fill="{template_color(t)}">{e((t or "未识别").replace("gov", ""))}</text>'
        )
    parts.append(f'<text class=tpl x="{grid.total_x}" y="{HEAD_H - 8}">合计</text>')
    return parts


def _year_row(grid: Grid, i: int, year) -> tuple[list[str], int]:
    """One year: a cell per column, darker for more reports; and the cells filled."""
    yy = grid.row_y(i)
    label = e(year if year is not None else "未知年度")
    parts = [f'<text class=yr x="{LABEL_W - 8}" y="{yy + 16}">{label}</text>']
    cells = 0
    for j, (lv, t) in enumerate(grid.cols):
        n = grid.count(year, lv, t)
        cells += bool(n)
        parts.append(_cell(grid, j, yy, (year, lv, t), n))
    row_total = sum(grid.count(year, lv, t) for lv, t in grid.cols)
    parts.append(f'<text class=cnt x="{grid.total_x}" y="{yy + 16}">{row_total}</text>')
    return parts, cells


def _cell(grid: Grid, j: int, yy: int, key: tuple, n: int) -> str:
    year, lv, t = key
    fill = heat(n / grid.top) if n else "#f4f4f4"
    cell = (
        f'<rect class=cov x="{grid.col_x(j) + 1}" y="{yy + 1}" width="{CELL_W - 2}" '
        f'height="{CELL_H - 2}" fill="{fill}" data-year="{e(year)}" data-level="{e(lv)}" '
        f'data-template="{e(t)}" data-count="{n}"><title>{e(year)} '
        f"{e(LEVEL_LABELS.get(lv, lv))} {e(t or '未识别')}：{n} 份报告</title></rect>"
    )
    if n:
        color = "#fff" if n / grid.top > 0.55 else "#222"
        cell += (
            f'<text class=cnt x="{grid.col_x(j) + CELL_W / 2:.0f}" y="{yy + 16}" '
            f'fill="{color}">{n}</text>'
        )
    return cell


def _totals_row(grid: Grid) -> list[str]:
    yy = grid.row_y(len(grid.years))
    parts = [f'<text class=yr x="{LABEL_W - 8}" y="{yy + 16}">合计</text>']
    for j, (lv, t) in enumerate(grid.cols):
        total = sum(grid.count(year, lv, t) for year in grid.years)
        parts.append(
            f'<text class=cnt x="{grid.col_x(j) + CELL_W / 2:.0f}" y="{yy + 16}">{total or ""}</text>'
        )
    parts.append(
        f'<text class=cnt x="{grid.total_x}" y="{yy + 16}">'
        f"{sum(grid.coverage.values())}</text></svg>"
    )
    return parts
