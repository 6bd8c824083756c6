"""The page's first section: each region's series across years, as small
multiples (one row per region, one chart per indicator, a common year axis).

Each chart marks the template of each year (the point's colour and a band
under the axis) and draws a template change as a dashed break; a blank cell
is drawn as blank (unknown, not zero), a concept the template lacks as ×.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from orchestration.pictures.data import WarehouseData
from orchestration.pictures.labels import LEVEL_LABELS, LEVELS, region_label, template_color
from orchestration.pictures.text import e, num, short

MAX_REGIONS = 60  # regions charted as small multiples (those with the longest series)


class SeriesSection(NamedTuple):
    html: str
    regions_charted: int
    points: int  # values drawn (blank cells not counted)


@dataclass(frozen=True)
class Frame:
    """The geometry all the small multiples share: `years` years from `y0`,
    `step` pixels each."""

    y0: int
    years: int
    step: float
    left: int = 4
    right: int = 4
    top: int = 16
    bottom: int = 26
    plot_h: int = 56

    @classmethod
    def spanning(cls, years: list[int]) -> Frame:
        n = years[-1] - years[0] + 1
        return cls(y0=years[0], years=n, step=max(10.0, min(34.0, 200.0 / n)))

    @property
    def width(self) -> float:
        return self.left + self.step * self.years + self.right

    @property
    def height(self) -> int:
        return self.top + self.plot_h + self.bottom

    @property
    def base(self) -> int:
        """The y of the axis."""
        return self.top + self.plot_h

    def x(self, year: int) -> float:
        return self.left + (year - self.y0 + 0.5) * self.step


@dataclass(frozen=True)
class Chart:
    """One small multiple: one series (column `name`) of one region's rows."""

    region_id: str
    region: str  # the region's label
    rows: list[dict]  # the region's rows, by year
    name: str
    label: str
    frame: Frame
    has_concept: set  # (template, concept) pairs of the warehouse

    @cached_property
    def vmax(self) -> float:
        values = [r[self.name] for r in self.rows if r[self.name] is not None]
        return max([v for v in values if v > 0], default=1.0)

    def y(self, value: float) -> float:
        return self.frame.base - self.frame.plot_h * max(value, 0) / self.vmax


def series_section(data: WarehouseData) -> SeriesSection:
    """Small multiples: one row per region, one cell per indicator."""
    by_region: dict[str, list[dict]] = defaultdict(list)
    for row in data.rows:
        by_region[row["region_id"]].append(row)
    if not by_region or not data.series:
        return SeriesSection("<p class=empty>region_year_summary 无数据。</p>", 0, 0)
    chosen = _chosen(by_region, data.series)
    frame = Frame.spanning(sorted({r["report_year"] for r in data.rows}))
    body, points = [], 0
    for rid in chosen:
        row, drawn = _region_row(rid, by_region[rid], data, frame)
        body.append(row)
        points += drawn
    note = ""
    if len(by_region) > len(chosen):
        note = (
            f"<p class=note>共 {len(by_region)} 个地区，此处画出序列最长的 {len(chosen)} 个"
            f"（{len(by_region) - len(chosen)} 个未画出）。</p>"
        )
    table = f"<table class=multiples>{_head(data)}{''.join(body)}</table>{note}"
    return SeriesSection(table, len(chosen), points)


def _chosen(by_region: dict[str, list[dict]], series: tuple) -> list[str]:
    """The MAX_REGIONS regions with the longest series (then the most values),
    by province, level and name."""

    def richness(rows: list[dict]) -> tuple:
        values = sum(r[name] is not None for r in rows for name, _, _ in series)
        return (-len(rows), -values)

    level_rank = {level: i for i, level in enumerate(LEVELS)}
    chosen = sorted(by_region, key=lambda rid: (richness(by_region[rid]), rid))[:MAX_REGIONS]
    chosen.sort(
        key=lambda rid: (
            by_region[rid][0]["province_name"] or "~",
            level_rank.get(by_region[rid][0]["region_level"], 9),
            by_region[rid][0]["region_name"] or "~",
            rid,
        )
    )
    return chosen


def _head(data: WarehouseData) -> str:
    head = ["<tr><th class=region>地区</th>"]
    for name, label, _ in data.series:
        comp = "、".join(sorted(data.comparability.get(name, set()) - {""})) or "—"
        head.append(
            f"<th><div class=ind>{e(label)}</div><div class=col>{e(name)}</div>"
            f"<div class=comp>可比性 comparability: {e(comp)}</div></th>"
        )
    head.append("</tr>")
    return "".join(head)


def _region_row(rid: str, rows: list[dict], data: WarehouseData, frame: Frame) -> tuple[str, int]:
    """The region's name and place, then one chart per series; and the values drawn."""
    rows = sorted(rows, key=lambda r: r["report_year"])
    cells, points = [_region_cell(rows)], 0
    for name, label, _ in data.series:
        chart = Chart(rid, region_label(rows[0]), rows, name, label, frame, data.has_concept)
        svg, drawn = series_svg(chart)
        points += drawn
        cells.append(f"<td>{svg}</td>")
    cells.append("</tr>")
    return "".join(cells), points


def _region_cell(rows: list[dict]) -> str:
    first = rows[0]
    where = " · ".join(
        e(x)
        for x in (
            LEVEL_LABELS.get(first["region_level"], first["region_level"]),
            first["parent_region_name"],
            first["province_name"],
        )
        if x
    )
    templates = " → ".join(dict.fromkeys(e(r["template"] or "未识别") for r in rows))
    return (
        f"<tr><td class=region><div class=rname>{e(region_label(first))}</div>"
        f"<div class=rwhere>{where}</div><div class=rtpl>{templates}</div></td>"
    )


# ---------------------------------------------------------------- one chart


def series_svg(chart: Chart) -> tuple[str, int]:
    """The chart, and how many values it draws."""
    f = chart.frame
    parts = [
        f'<svg class=series width="{f.width:.0f}" height="{f.height}" '
        f'viewBox="0 0 {f.width:.0f} {f.height}" role=img data-region="{e(chart.region_id)}" '
        f'data-series="{e(chart.name)}" aria-label="{e(chart.region)} {e(chart.label)}">',
        f'<line x1="{f.left}" x2="{f.width - f.right:.1f}" y1="{f.base}" y2="{f.base}" '
        "class=axis />",
        *_template_bands(chart),
        *_template_changes(chart),
        *_segments(chart),
        *_points(chart),
        *_year_ticks(chart),
        "</svg>",
    ]
    drawn = sum(r[chart.name] is not None for r in chart.rows)
    return "".join(parts), drawn


def _template_bands(chart: Chart) -> list[str]:
    """The template of each year with a report: a coloured band under the axis
    and a faint one behind the plot."""
    f, parts = chart.frame, []
    for r in chart.rows:
        color = template_color(r["template"])
        xl = f.x(r["report_year"]) - f.step / 2
        parts.append(
            f'<rect class=tband x="{xl + 0.5:.1f}" y="{f.base + 2}" width="{f.step - 1:.1f}" '
            f'height="5" fill="{color}"><title>{r["report_year"]}: '
            f"{e(r['template'] or '未识别')}</title></rect>"
        )
        parts.append(
            f'<rect x="{xl:.1f}" y="{f.top - 14}" width="{f.step:.1f}" height="{f.plot_h + 14}" '
            f'fill="{color}" fill-opacity="0.06" />'
        )
    return parts


def _template_changes(chart: Chart) -> list[str]:
    """A template change breaks comparability: a dashed line between the two years."""
    f, parts = chart.frame, []
    for a, b in zip(chart.rows, chart.rows[1:]):
        if a["template"] != b["template"]:
            xm = (f.x(a["report_year"]) + f.x(b["report_year"])) / 2
            parts.append(
                f'<line class=tchange x1="{xm:.1f}" x2="{xm:.1f}" y1="{f.top - 12}" '
                f'y2="{f.base + 8}"><title>表格模板变更 {e(a["template"])} → '
                f"{e(b['template'])}：前后不可直接比较</title></line>"
            )
    return parts


def _segments(chart: Chart) -> list[str]:
    """Lines join consecutive values of one template (dotted over missing years)."""
    f, name, parts = chart.frame, chart.name, []
    for a, b in zip(chart.rows, chart.rows[1:]):
        if a[name] is None or b[name] is None or a["template"] != b["template"]:
            continue
        dash = "" if b["report_year"] - a["report_year"] == 1 else ' stroke-dasharray="2 2"'
        parts.append(
            f'<line class=seg x1="{f.x(a["report_year"]):.1f}" y1="{chart.y(a[name]):.1f}" '
            f'x2="{f.x(b["report_year"]):.1f}" y2="{chart.y(b[name]):.1f}" '
            f'stroke="{template_color(a["template"])}" stroke-width="1.5"{dash} />'
        )
    return parts


def _points(chart: Chart) -> list[str]:
    """Each year with a report: its value, or why there is none."""
    parts, last = [], None  # (year, below) of the last value labelled
    for r in chart.rows:
        if r[chart.name] is None:
            parts.append(_missing(chart, r))
            continue
        # Labels of neighbouring years alternate above and below the point.
        below = last == (r["report_year"] - 1, False)
        last = (r["report_year"], below)
        parts.append(_value(chart, r, below))
    return parts


def _tip(chart: Chart, row: dict) -> str:
    return (
        f"{e(chart.region)} {row['report_year']} {e(row['template'] or '未识别')} {e(chart.label)}"
    )


def _value(chart: Chart, row: dict, below: bool) -> str:
    """The point, coloured by template, and its value in short."""
    f, v, year = chart.frame, row[chart.name], row["report_year"]
    cx, cy = f.x(year), chart.y(v)
    if below and cy + 13 > f.base - 2:  # no room under the point: higher above it
        ty = cy - 15
    else:
        ty = cy + 13 if below else cy - 5
    return (
        f'<circle class=pt cx="{cx:.1f}" cy="{cy:.1f}" r="3.2" '
        f'fill="{template_color(row["template"])}" '
        f'data-year="{year}" data-value="{e(num(v))}"><title>{_tip(chart, row)}：{num(v)}'
        f"</title></circle>"
        f'<text class=val x="{cx:.1f}" y="{ty:.1f}">{e(short(v))}</text>'
    )


def _missing(chart: Chart, row: dict) -> str:
    """A blank cell (○), or × when the year's template has no such concept."""
    f, template = chart.frame, row["template"]
    cx = f.x(row["report_year"])
    if template is None or (template, chart.name) in chart.has_concept or not chart.has_concept:
        return (
            f'<circle class=blank cx="{cx:.1f}" cy="{f.base - 3}" r="2.8">'
            f"<title>{_tip(chart, row)}：空白（未知，不是零）</title></circle>"
        )
    return (
        f'<text class=absent x="{cx:.1f}" y="{f.base - 2}">×<title>{_tip(chart, row)}：'
        f"该表格模板无此项</title></text>"
    )


def _year_ticks(chart: Chart) -> list[str]:
    """The first and last year, and each year with a report (unless crowded)."""
    f = chart.frame
    ticks = {f.y0, f.y0 + round((f.width - f.left - f.right) / f.step) - 1}
    ticks.update(r["report_year"] for r in chart.rows)
    shown, parts = [], []
    for year in sorted(ticks):
        if shown and f.x(year) - f.x(shown[-1]) < 24:
            continue
        shown.append(year)
        parts.append(f'<text class=year x="{f.x(year):.1f}" y="{f.base + 18}">{year}</text>')
    return parts
