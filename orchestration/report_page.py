"""Pictures of the published warehouse: one self-contained HTML page and a PNG.

`write_report_page(warehouse, out_dir)` reads the warehouse read-only and
writes, beside it by default:

* ``<stem>.html``: each region's series across years and templates (small
  multiples, the template of each year marked and a template change drawn as
  a break), the consistency findings per rule and per report, and the
  coverage of reports by year × administrative level × template. Charts are
  inline SVG made here; no script, no stylesheet or font from elsewhere: the
  page works offline. A Content-Security-Policy forbids every resource but the
  inline style and the embedded font. Chinese renders on a machine without
  CJK fonts: the page embeds Noto Sans SC (SIL Open Font License 1.1, from the
  pylopdf-fonts-zh-cn package) cut down with fontTools to the characters the
  page uses. Every text from the data is escaped (report titles come from
  untrusted files).
* ``<stem>.png``: the key chart (requests received per region over the years,
  and the findings per rule), drawn by matplotlib with the same font, small
  enough for Dagster's asset metadata (`png_markdown`).

Both files are written next to their target and moved over it with
os.replace, so a reader never sees half a page.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import os
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from orchestration.settings import connect

# The region_year_summary columns charted, in order: (column, label, note).
SERIES = (
    ("requests_received", "本年收到申请数", "requests received"),
    ("items_proactively_disclosed", "主动公开信息数", "items proactively disclosed"),
    ("normative_documents_issued", "制发规范性文件数", "normative documents issued"),
    ("reconsiderations", "行政复议", "reconsiderations"),
    ("lawsuits", "行政诉讼", "lawsuits"),
)
TEMPLATES = ("gov2008", "gov2019", "gov2021")
TEMPLATE_COLORS = {"gov2008": "#1b7837", "gov2019": "#2166ac", "gov2021": "#b2182b", None: "#888"}
TEMPLATE_LABELS = {
    "gov2008": "2008年版表格",
    "gov2019": "2019年版表格",
    "gov2021": "2021年版表格",
    None: "未识别表格",
}
LEVELS = ("province", "prefecture", "county", "township")
LEVEL_LABELS = {
    "province": "省级",
    "prefecture": "地级",
    "county": "县级",
    "township": "乡级",
    None: "未知层级",
}
# The rules of marts.consistency_finding (its accepted_values) with a gloss.
RULES = {
    "sum_of": "合计 ≠ 分项之和",
    "matrix_balance": "新收 + 结转 ≠ 办理 + 结转下年",
    "matrix_outcomes": "办理总计 ≠ 各办理结果之和",
    "matrix_row_total": "总计列 ≠ 各类申请人之和",
    "carry_over": "上年结转 ≠ 上年报告结转下年",
    "in_force_carry": "现行有效件数与上年不衔接",
    "items_carry": "项目数量与上年不衔接",
    "narrative_vs_table": "正文数字 ≠ 表格数字",
    "duplicate_conflict": "同一报告的另一文件数字不同",
}
RULE_COLORS = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
MAX_REGIONS = 60  # regions charted as small multiples (those with the longest series)
MAX_FINDING_REPORTS = 30
MAX_FINDING_ROWS = 200
MAX_PNG_REGIONS = 8
FONT_FAMILY = "DisclosureCJK"
FONT_STACK = (
    f'"{FONT_FAMILY}", "Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", '
    '"PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'
)
# Noto Sans SC Regular as the notofonts/noto-cjk project publishes it
# (Sans/SubsetOTF/SC); a different file is not embedded.
FONT_SHA256 = "faa6c9df652116dde789d351359f3d7e5d2285a2b2a1f04a2d7244df706d5ea9"


@dataclass(frozen=True)
class ReportPage:
    """What write_report_page wrote and how much of the warehouse it charted."""

    html: Path
    png: Path
    built_at: datetime
    reports: int  # rows of dim_report
    regions: int  # distinct regions of dim_report
    years: int  # distinct report years of dim_report
    regions_charted: int  # small multiples drawn (at most MAX_REGIONS)
    series_points: int  # values drawn in them (blank cells not counted)
    findings: int  # rows of consistency_finding
    finding_reports: int  # reports with at least one finding
    coverage_cells: int  # year × level × template cells with at least one report
    font_embedded: bool  # whether the CJK font is in the page
    png_bytes: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "reports": self.reports,
            "regions": self.regions,
            "years": self.years,
            "regions_charted": self.regions_charted,
            "series_points": self.series_points,
            "findings": self.findings,
            "finding_reports": self.finding_reports,
            "coverage_cells": self.coverage_cells,
        }


def png_markdown(page: ReportPage) -> str:
    """The PNG as Markdown Dagster shows inline: `MetadataValue.md(png_markdown(page))`."""
    data = base64.b64encode(page.png.read_bytes()).decode("ascii")
    return f"![chart](data:image/png;base64,{data})"


def metadata(page: ReportPage) -> dict:
    """Asset metadata for the page: its path, the PNG inline, the counts."""
    import dagster as dg

    return {
        "report_page": dg.MetadataValue.path(str(page.html)),
        "report_chart": dg.MetadataValue.md(png_markdown(page)),
        **{f"report_page/{k}": v for k, v in page.counts().items()},
    }


# ---------------------------------------------------------------- reading


@dataclass
class _Data:
    reports: int = 0
    regions: int = 0
    years: list[int] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # region_year_summary
    series: tuple = ()  # the SERIES present in the warehouse
    has_concept: set = field(default_factory=set)  # (template, concept)
    comparability: dict = field(default_factory=dict)  # concept -> {'high', 'medium', ...}
    findings: list[dict] = field(default_factory=list)
    coverage: Counter = field(default_factory=Counter)  # (year, level, template) -> reports


def _dicts(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _read(warehouse: Path) -> _Data:
    data = _Data()
    with connect(warehouse, read_only=True) as con:
        data.reports, data.regions = con.execute(
            "select count(*), count(distinct region_id) from marts.dim_report"
        ).fetchone()
        data.years = [
            y
            for (y,) in con.execute(
                "select distinct report_year from marts.dim_report "
                "where report_year is not null order by 1"
            ).fetchall()
        ]
        columns = {
            name
            for (name,) in con.execute(
                "select column_name from (describe marts.region_year_summary)"
            ).fetchall()
        }
        data.series = tuple(s for s in SERIES if s[0] in columns)
        picked = "".join(f", {name}" for name, _, _ in data.series)
        data.rows = _dicts(
            con,
            "select region_id, region_name, region_level, parent_region_name, province_name, "
            f"report_year, template, report_id{picked} from marts.region_year_summary "
            "where report_year is not null",
        )
        for template, concept, comparability in con.execute(
            "select template, concept, string_agg(distinct comparability, ', ') "
            "from marts.region_year_indicator group by all"
        ).fetchall():
            data.has_concept.add((template, concept))
            data.comparability.setdefault(concept, set()).update((comparability or "").split(", "))
        data.findings = _dicts(
            con,
            "select f.rule, f.report_id, f.indicator_code, f.applicant_type, f.expected, "
            "f.actual, f.difference, f.cells, r.organization, r.report_year, r.title, "
            "r.source_path from marts.consistency_finding f "
            "left join marts.dim_report r using (report_id) "
            "order by r.organization, r.report_year, f.rule, f.indicator_code",
        )
        for year, level, template, n in con.execute(
            "select r.report_year, coalesce(g.region_level, r.region_level), r.template, "
            "count(*) from marts.dim_report r left join marts.dim_region g using (region_id) "
            "group by all"
        ).fetchall():
            data.coverage[(year, level, template)] += n
    return data


# ---------------------------------------------------------------- helpers


def _e(value) -> str:
    """Text from the warehouse, escaped for HTML and SVG."""
    return html.escape("" if value is None else str(value), quote=True)


def _num(value) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _short(value) -> str:
    """A value in few characters, for labels on the charts (the exact one is in the tooltip)."""
    if value is None:
        return ""
    v = float(value)
    if abs(v) >= 100_000_000:
        return f"{v / 100_000_000:.3g}亿"
    if abs(v) >= 10_000:
        return f"{v / 10_000:.3g}万"
    return str(int(v)) if v.is_integer() else f"{v:.1f}"


def _cut(text, n: int) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _region_label(row: dict) -> str:
    return row.get("region_name") or "（未知地区）"


def _rule_color(rules: list[str]) -> dict[str, str]:
    return {rule: RULE_COLORS[i % len(RULE_COLORS)] for i, rule in enumerate(rules)}


# ---------------------------------------------------------------- series


def _series_section(data: _Data) -> tuple[str, int, int]:
    """Small multiples: one row per region, one cell per indicator."""
    by_region: dict[str, list[dict]] = defaultdict(list)
    for row in data.rows:
        by_region[row["region_id"]].append(row)
    if not by_region or not data.series:
        return "<p class=empty>region_year_summary 无数据。</p>", 0, 0

    def richness(rows: list[dict]) -> tuple:
        values = sum(r[name] is not None for r in rows for name, _, _ in data.series)
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
    years = sorted({r["report_year"] for r in data.rows})
    y0, y1 = years[0], years[-1]
    n = y1 - y0 + 1
    step = max(10.0, min(34.0, 200.0 / n))
    plot_w = step * n
    dims = {"left": 4, "right": 4, "top": 16, "bottom": 26, "plot_h": 56}
    width = dims["left"] + plot_w + dims["right"]
    height = dims["top"] + dims["plot_h"] + dims["bottom"]
    points = 0

    head = ["<tr><th class=region>地区</th>"]
    for name, label, note in data.series:
        comp = "、".join(sorted(data.comparability.get(name, set()) - {""})) or "—"
        head.append(
            f"<th><div class=ind>{_e(label)}</div><div class=col>{_e(name)}</div>"
            f"<div class=comp>可比性 comparability: {_e(comp)}</div></th>"
        )
    head.append("</tr>")
    body = []
    for rid in chosen:
        rows = sorted(by_region[rid], key=lambda r: r["report_year"])
        first = rows[0]
        where = " · ".join(
            _e(x)
            for x in (
                LEVEL_LABELS.get(first["region_level"], first["region_level"]),
                first["parent_region_name"],
                first["province_name"],
            )
            if x
        )
        templates = " → ".join(dict.fromkeys(_e(r["template"] or "未识别") for r in rows))
        cells = [
            f"<tr><td class=region><div class=rname>{_e(_region_label(first))}</div>"
            f"<div class=rwhere>{where}</div><div class=rtpl>{templates}</div></td>"
        ]
        for name, label, _ in data.series:
            svg, drawn = _series_svg(
                rid, first, rows, name, label, data, y0, step, dims, width, height
            )
            points += drawn
            cells.append(f"<td>{svg}</td>")
        cells.append("</tr>")
        body.append("".join(cells))
    note = ""
    if len(by_region) > len(chosen):
        note = (
            f"<p class=note>共 {len(by_region)} 个地区，此处画出序列最长的 {len(chosen)} 个"
            f"（{len(by_region) - len(chosen)} 个未画出）。</p>"
        )
    table = f"<table class=multiples>{''.join(head)}{''.join(body)}</table>{note}"
    return table, len(chosen), points


def _series_svg(rid, first, rows, name, label, data, y0, step, dims, width, height):
    left, top, plot_h = dims["left"], dims["top"], dims["plot_h"]
    base = top + plot_h
    values = [r[name] for r in rows if r[name] is not None]
    vmax = max([v for v in values if v > 0], default=1.0)

    def x(year: int) -> float:
        return left + (year - y0 + 0.5) * step

    def y(v: float) -> float:
        return base - plot_h * max(v, 0) / vmax

    region = _region_label(first)
    parts = [
        f'<svg class=series width="{width:.0f}" height="{height}" '
        f'viewBox="0 0 {width:.0f} {height}" role=img data-region="{_e(rid)}" '
        f'data-series="{_e(name)}" aria-label="{_e(region)} {_e(label)}">',
        f'<line x1="{left}" x2="{width - dims["right"]:.1f}" y1="{base}" y2="{base}" class=axis />',
    ]
    # The template of each year with a report: a coloured band under the axis.
    for r in rows:
        color = TEMPLATE_COLORS.get(r["template"], "#888")
        xl = x(r["report_year"]) - step / 2
        parts.append(
            f'<rect class=tband x="{xl + 0.5:.1f}" y="{base + 2}" width="{step - 1:.1f}" '
            f'height="5" fill="{color}"><title>{r["report_year"]}: '
            f"{_e(r['template'] or '未识别')}</title></rect>"
        )
        parts.append(
            f'<rect x="{xl:.1f}" y="{top - 14}" width="{step:.1f}" height="{plot_h + 14}" '
            f'fill="{color}" fill-opacity="0.06" />'
        )
    # A template change breaks comparability: a dashed line between the two years.
    for a, b in zip(rows, rows[1:]):
        if a["template"] != b["template"]:
            xm = (x(a["report_year"]) + x(b["report_year"])) / 2
            parts.append(
                f'<line class=tchange x1="{xm:.1f}" x2="{xm:.1f}" y1="{top - 12}" '
                f'y2="{base + 8}"><title>表格模板变更 {_e(a["template"])} → '
                f"{_e(b['template'])}：前后不可直接比较</title></line>"
            )
    # Lines join consecutive values of one template (dotted over missing years).
    for a, b in zip(rows, rows[1:]):
        if a[name] is None or b[name] is None or a["template"] != b["template"]:
            continue
        dash = "" if b["report_year"] - a["report_year"] == 1 else ' stroke-dasharray="2 2"'
        parts.append(
            f'<line class=seg x1="{x(a["report_year"]):.1f}" y1="{y(a[name]):.1f}" '
            f'x2="{x(b["report_year"]):.1f}" y2="{y(b[name]):.1f}" '
            f'stroke="{TEMPLATE_COLORS.get(a["template"], "#888")}" stroke-width="1.5"{dash} />'
        )
    drawn = 0
    labelled = []
    for r in rows:
        year, template, v = r["report_year"], r["template"], r[name]
        cx = x(year)
        color = TEMPLATE_COLORS.get(template, "#888")
        tip = f"{_e(region)} {year} {_e(template or '未识别')} {_e(label)}"
        if v is not None:
            drawn += 1
            parts.append(
                f'<circle class=pt cx="{cx:.1f}" cy="{y(v):.1f}" r="3.2" fill="{color}" '
                f'data-year="{year}" data-value="{_e(_num(v))}"><title>{tip}：{_num(v)}'
                f"</title></circle>"
            )
            # Labels of neighbouring years alternate above and below the point.
            below = bool(labelled) and labelled[-1] == (year - 1, False)
            labelled.append((year, below))
            if below and y(v) + 13 > base - 2:  # no room under the point: higher above it
                ty = y(v) - 15
            else:
                ty = y(v) + 13 if below else y(v) - 5
            parts.append(f'<text class=val x="{cx:.1f}" y="{ty:.1f}">{_e(_short(v))}</text>')
        elif template is None or (template, name) in data.has_concept or not data.has_concept:
            parts.append(
                f'<circle class=blank cx="{cx:.1f}" cy="{base - 3}" r="2.8">'
                f"<title>{tip}：空白（未知，不是零）</title></circle>"
            )
        else:
            parts.append(
                f'<text class=absent x="{cx:.1f}" y="{base - 2}">×<title>{tip}：'
                f"该表格模板无此项</title></text>"
            )
    # Year ticks: the first and last year, and each year with a report.
    ticks = {y0, y0 + round((width - dims["left"] - dims["right"]) / step) - 1}
    ticks.update(r["report_year"] for r in rows)
    shown = []
    for year in sorted(ticks):
        if shown and x(year) - x(shown[-1]) < 24:
            continue
        shown.append(year)
        parts.append(f'<text class=year x="{x(year):.1f}" y="{base + 18}">{year}</text>')
    parts.append("</svg>")
    return "".join(parts), drawn


# ---------------------------------------------------------------- findings


def _hbar_svg(items, color_of, klass: str, label_w: int = 300, bar_w: int = 420) -> str:
    """Horizontal bars; items: (key, label, tooltip, {segment: count})."""
    row_h, pad = 22, 6
    total_max = max((sum(segs.values()) for _, _, _, segs in items), default=0) or 1
    height = pad * 2 + row_h * len(items)
    width = label_w + bar_w + 60
    parts = [
        f'<svg class="{klass}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role=img>'
    ]
    for i, (key, label, tip, segs) in enumerate(items):
        yy = pad + i * row_h
        total = sum(segs.values())
        parts.append(
            f'<text class=blabel x="{label_w - 8}" y="{yy + 15}">{_e(label)}'
            f"<title>{_e(tip)}</title></text>"
        )
        xx = float(label_w)
        for seg, count in segs.items():
            if not count:
                continue
            w = bar_w * count / total_max
            parts.append(
                f'<rect class=bar x="{xx:.1f}" y="{yy + 3}" width="{w:.1f}" height="{row_h - 6}" '
                f'fill="{color_of(seg)}" data-key="{_e(key)}" data-segment="{_e(seg)}" '
                f'data-count="{count}"><title>{_e(tip)} · {_e(seg)}：{count}</title></rect>'
            )
            xx += w
        parts.append(
            f'<text class=bcount x="{xx + 5:.1f}" y="{yy + 15}" data-key="{_e(key)}">{total}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _findings_section(data: _Data) -> tuple[str, int]:
    by_rule = Counter(f["rule"] for f in data.findings)
    rules = list(RULES) + sorted(set(by_rule) - set(RULES))
    colors = _rule_color(rules)
    rule_items = [
        (
            rule,
            f"{rule}  {RULES.get(rule, '')}".strip(),
            RULES.get(rule, rule),
            {rule: by_rule[rule]},
        )
        for rule in rules
    ]
    per_rule = _hbar_svg(rule_items, lambda seg: colors[seg], "findings-rule")

    by_report: dict[str, dict] = {}
    for f in data.findings:
        entry = by_report.setdefault(f["report_id"], {"f": f, "rules": Counter()})
        entry["rules"][f["rule"]] += 1
    ranked = sorted(
        by_report.items(),
        key=lambda kv: (-sum(kv[1]["rules"].values()), kv[1]["f"]["organization"] or "~", kv[0]),
    )
    shown = ranked[:MAX_FINDING_REPORTS]
    report_items = []
    for rid, entry in shown:
        f = entry["f"]
        label = f"{_cut(f['organization'] or f['source_path'] or rid, 22)} {f['report_year'] or ''}"
        tip = f"{f['title'] or f['organization'] or ''} ({f['source_path'] or rid})"
        segs = {rule: entry["rules"][rule] for rule in rules if entry["rules"][rule]}
        report_items.append((rid, label.strip(), tip, segs))
    if report_items:
        legend = "".join(
            f'<span class=sw style="background:{colors[r]}"></span>{_e(r)} '
            for r in rules
            if by_rule[r]
        )
        per_report = f"<div class=legend>{legend}</div>" + _hbar_svg(
            report_items, lambda seg: colors[seg], "findings-report"
        )
        if len(ranked) > len(shown):
            per_report += (
                f"<p class=note>共 {len(ranked)} 份报告有问题，此处列出最多的 {len(shown)} 份。</p>"
            )
    else:
        per_report = "<p class=empty>没有报告违反一致性规则。</p>"

    rows = []
    for f in data.findings[:MAX_FINDING_ROWS]:
        rows.append(
            "<tr>"
            f"<td>{_e(f['organization'] or f['source_path'])}<div class=sub>{_e(f['title'])}</div></td>"
            f"<td>{_e(f['report_year'])}</td><td>{_e(f['rule'])}</td>"
            f"<td>{_e(f['indicator_code'])}<div class=sub>{_e(f['applicant_type'])}</div></td>"
            f"<td class=n>{_e(_num(f['expected']))}</td><td class=n>{_e(_num(f['actual']))}</td>"
            f"<td class=n>{_e(_num(f['difference']))}</td><td class=cells>{_e(f['cells'])}</td>"
            "</tr>"
        )
    more = ""
    if len(data.findings) > MAX_FINDING_ROWS:
        more = (
            f"<p class=note>只列出前 {MAX_FINDING_ROWS} 条，共 {len(data.findings)} 条："
            "完整内容见 marts.consistency_finding。</p>"
        )
    detail = (
        f"<details{' open' if len(data.findings) <= 30 else ''}>"
        "<summary>问题明细 (marts.consistency_finding)</summary>"
        "<table class=findings><tr><th>报告</th><th>年度</th><th>规则 rule</th><th>指标</th>"
        "<th>expected</th><th>actual</th><th>difference</th><th>cells</th></tr>"
        f"{''.join(rows)}</table>{more}</details>"
        if rows
        else ""
    )
    section = (
        "<div class=pair>"
        f"<div><h3>按规则 per rule</h3>{per_rule}</div>"
        f"<div><h3>按报告 per report</h3>{per_report}</div>"
        f"</div>{detail}"
    )
    return section, len(by_report)


# ---------------------------------------------------------------- coverage


def _coverage_section(data: _Data) -> tuple[str, int]:
    if not data.coverage:
        return "<p class=empty>dim_report 无数据。</p>", 0
    levels = [lv for lv in LEVELS] + ([None] if any(k[1] is None for k in data.coverage) else [])
    templates = list(TEMPLATES) + ([None] if any(k[2] is None for k in data.coverage) else [])
    known_years = sorted({k[0] for k in data.coverage if k[0] is not None})
    years = known_years + ([None] if any(k[0] is None for k in data.coverage) else [])
    cols = [(lv, t) for lv in levels for t in templates]
    cw, ch, lw, hh = 46, 24, 64, 44
    width = lw + cw * len(cols) + 60
    height = hh + ch * (len(years) + 1) + 6
    top = max(data.coverage.values())
    parts = [
        f'<svg class=coverage width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        "role=img>"
    ]
    for i, lv in enumerate(levels):
        x0 = lw + i * cw * len(templates)
        parts.append(
            f'<text class=lvl x="{x0 + cw * len(templates) / 2:.0f}" y="14">'
            f"{_e(LEVEL_LABELS.get(lv, lv))} {_e(lv or '')}</text>"
            f'<line x1="{x0 + 2}" x2="{x0 + cw * len(templates) - 2}" y1="19" y2="19" '
            "class=grp />"
        )
    for j, (lv, t) in enumerate(cols):
        parts.append(
            f'<text class=tpl x="{lw + j * cw + cw / 2:.0f}" y="{hh - 8}" '
            f'fill="{TEMPLATE_COLORS.get(t, "#888")}">{_e((t or "未识别").replace("gov", ""))}</text>'
        )
    parts.append(f'<text class=tpl x="{lw + cw * len(cols) + 28}" y="{hh - 8}">合计</text>')
    cells = 0
    for i, year in enumerate(years):
        yy = hh + i * ch
        parts.append(
            f'<text class=yr x="{lw - 8}" y="{yy + 16}">{_e(year if year is not None else "未知年度")}</text>'
        )
        for j, (lv, t) in enumerate(cols):
            n = data.coverage.get((year, lv, t), 0)
            fill = _heat(n / top) if n else "#f4f4f4"
            cells += bool(n)
            parts.append(
                f'<rect class=cov x="{lw + j * cw + 1}" y="{yy + 1}" width="{cw - 2}" '
                f'height="{ch - 2}" fill="{fill}" data-year="{_e(year)}" data-level="{_e(lv)}" '
                f'data-template="{_e(t)}" data-count="{n}"><title>{_e(year)} '
                f"{_e(LEVEL_LABELS.get(lv, lv))} {_e(t or '未识别')}：{n} 份报告</title></rect>"
            )
            if n:
                color = "#fff" if n / top > 0.55 else "#222"
                parts.append(
                    f'<text class=cnt x="{lw + j * cw + cw / 2:.0f}" y="{yy + 16}" '
                    f'fill="{color}">{n}</text>'
                )
        row_total = sum(data.coverage.get((year, lv, t), 0) for lv, t in cols)
        parts.append(
            f'<text class=cnt x="{lw + cw * len(cols) + 28}" y="{yy + 16}">{row_total}</text>'
        )
    yy = hh + len(years) * ch
    parts.append(f'<text class=yr x="{lw - 8}" y="{yy + 16}">合计</text>')
    for j, (lv, t) in enumerate(cols):
        total = sum(data.coverage.get((year, lv, t), 0) for year in years)
        parts.append(
            f'<text class=cnt x="{lw + j * cw + cw / 2:.0f}" y="{yy + 16}">{total or ""}</text>'
        )
    parts.append(
        f'<text class=cnt x="{lw + cw * len(cols) + 28}" y="{yy + 16}">'
        f"{sum(data.coverage.values())}</text></svg>"
    )
    return "".join(parts), cells


def _heat(share: float) -> str:
    """Light to dark blue."""
    lo, hi = (222, 235, 247), (8, 48, 107)
    rgb = (round(a + (b - a) * (0.15 + 0.85 * share)) for a, b in zip(lo, hi))
    return "#" + "".join(f"{c:02x}" for c in rgb)


# ---------------------------------------------------------------- font


def _font_path() -> Path | None:
    """Noto Sans SC from the pylopdf-fonts-zh-cn package, when installed and intact."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    try:
        with path.open("rb") as f:
            if hashlib.file_digest(f, "sha256").hexdigest() != FONT_SHA256:
                return None
    except OSError:
        return None
    return path


def _font_face(font: Path, text: str) -> str:
    """A @font-face rule with the font cut down to the characters of `text` (WOFF, base64)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"
    options.name_IDs = ["*"]  # keep the copyright and license records
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text) | set(" 0123456789.,-—…×→·"))))
    with TTFont(font, lazy=False) as tt:
        subsetter.subset(tt)
        buf = io.BytesIO()
        tt.flavor = "woff"
        tt.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        "/* Noto Sans SC (subset), SIL Open Font License 1.1, Copyright 2014-2021 Adobe, "
        "with Reserved Font Name 'Source'. */\n"
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-style: normal; font-weight: 400 700; '
        f'src: url(data:font/woff;base64,{data}) format("woff"); }}\n'
    )


# ---------------------------------------------------------------- page

CSS = """
body { font-family: %(stack)s; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 28px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 8px 0; }
p.lead, p.note, p.empty { font-size: 13px; color: #555; margin: 4px 0 10px; }
.stats { display: flex; gap: 14px; flex-wrap: wrap; margin: 10px 0; }
.stat { border: 1px solid #ddd; border-radius: 4px; padding: 6px 12px; }
.stat b { font-size: 20px; display: block; }
.stat span { font-size: 12px; color: #555; }
.legend { font-size: 12px; margin: 6px 0; }
.sym { color: #777; margin: 0 3px 0 10px; }
.sw { display: inline-block; width: 12px; height: 12px; vertical-align: -2px; margin: 0 3px 0 10px; }
table.multiples { border-collapse: collapse; }
table.multiples th { font-weight: normal; text-align: left; vertical-align: bottom; padding: 4px 6px; border-bottom: 1px solid #ccc; }
table.multiples td { padding: 2px 6px; border-bottom: 1px solid #eee; vertical-align: middle; }
.ind { font-size: 13px; font-weight: bold; } .col, .comp { font-size: 11px; color: #666; }
td.region { min-width: 110px; max-width: 150px; }
.rname { font-size: 14px; font-weight: bold; } .rwhere, .rtpl { font-size: 11px; color: #666; }
svg text { font-family: %(stack)s; }
svg .axis { stroke: #999; stroke-width: 1; }
svg .tchange { stroke: #333; stroke-width: 1.2; stroke-dasharray: 3 2; }
svg .val { font-size: 10px; text-anchor: middle; fill: #222; }
svg .vmax { font-size: 9px; fill: #999; }
svg .year { font-size: 10px; text-anchor: middle; fill: #555; }
svg .blank { fill: #fff; stroke: #999; stroke-width: 1.2; }
svg .absent { font-size: 11px; text-anchor: middle; fill: #999; }
svg .blabel { font-size: 12px; text-anchor: end; fill: #222; }
svg .bcount { font-size: 12px; fill: #222; }
svg .lvl { font-size: 12px; text-anchor: middle; fill: #222; }
svg .grp { stroke: #bbb; }
svg .tpl { font-size: 11px; text-anchor: middle; }
svg .yr { font-size: 12px; text-anchor: end; fill: #222; }
svg .cnt { font-size: 12px; text-anchor: middle; }
.pair { display: flex; gap: 32px; flex-wrap: wrap; align-items: flex-start; }
details { margin: 12px 0; font-size: 12px; }
table.findings { border-collapse: collapse; margin-top: 6px; }
table.findings th, table.findings td { border: 1px solid #ddd; padding: 3px 6px; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; } td.cells { font-family: monospace; max-width: 520px; }
.sub { color: #777; font-size: 11px; }
footer { margin-top: 30px; font-size: 11px; color: #888; }
"""


def _page(data: _Data, warehouse: Path, built_at: datetime, font: Path | None):
    series, regions_charted, points = _series_section(data)
    findings, finding_reports = _findings_section(data)
    coverage, cells = _coverage_section(data)
    years = data.years
    span = f"{years[0]}–{years[-1]}" if years else "—"
    stats = (
        ("报告 reports", data.reports),
        ("地区 regions", data.regions),
        (f"年度 years ({span})", len(years)),
        ("一致性问题 findings", len(data.findings)),
    )
    legend = "".join(
        f'<span class=sw style="background:{TEMPLATE_COLORS[t]}"></span>{_e(t)} '
        f"{_e(TEMPLATE_LABELS[t])}"
        for t in TEMPLATES
    )
    body = f"""
<h1>政府信息公开工作年度报告 · 数据仓库图表</h1>
<p class=lead>{_e(warehouse.name)} · 生成于 built {_e(built_at.strftime("%Y-%m-%d %H:%M:%S %Z"))}</p>
<div class=stats>{"".join(f"<div class=stat><b>{v}</b><span>{_e(k)}</span></div>" for k, v in stats)}</div>

<h2>各地区序列 Series per region</h2>
<p class=lead>marts.region_year_summary：每行一个地区，每格一个指标，横轴为年度（各格相同）。
点的颜色和轴下色带是该年报告的表格模板；虚线竖线标出模板变更，前后口径不同，不能直接比较。
○ 空白单元格（未知，不是零）；× 该模板无此项。悬停可看精确数值。</p>
<div class=legend>{legend}
<span class=sw style="border-left:2px dashed #333;width:0"></span> 模板变更 template change
<span class=sym>○</span> 空白 blank <span class=sym>×</span> 模板无此项 not in the template</div>
{series}

<h2>一致性问题 Consistency findings</h2>
<p class=lead>marts.consistency_finding：报告与自身、与上年报告或与同一报告的另一文件相矛盾之处。</p>
{findings}

<h2>覆盖情况 Coverage</h2>
<p class=lead>dim_report × dim_region：每个年度、行政层级与表格模板的报告份数。</p>
{coverage}

<footer>disclosure-warehouse · 由 orchestration/report_page.py 自 {_e(warehouse.name)} 生成（只读）。
字体 Noto Sans SC（SIL Open Font License 1.1）。</footer>
"""
    face = ""
    if font is not None:
        # Every character the page shows, markup included (cheap: ASCII is in anyway).
        face = _font_face(font, html.unescape(body))
    head = (
        "<!DOCTYPE html>\n<html lang=zh-CN>\n<head>\n<meta charset=utf-8>\n"
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; font-src data:; img-src data:\">\n"
        '<meta name=viewport content="width=device-width, initial-scale=1">\n'
        "<title>政府信息公开工作年度报告 · 数据仓库图表</title>\n"
        f"<style>\n{face}{CSS % {'stack': FONT_STACK}}</style>\n</head>\n<body>"
    )
    page = f"{head}{body}</body>\n</html>\n"
    return page, regions_charted, points, finding_reports, cells


# ---------------------------------------------------------------- PNG


def _mpl_text(text: str) -> str:
    """Text from the data as matplotlib draws it literally: no mathtext between
    dollar signs, and a legend label not hidden by a leading underscore."""
    text = text.replace("$", r"\$")
    return " " + text if text.startswith("_") else text


def _png(data: _Data, font: Path | None) -> bytes:
    """Requests received per region over the years, and the findings per rule."""
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    prop, small = {}, {"size": 8}
    if font is not None:
        prop = {"fontproperties": font_manager.FontProperties(fname=str(font))}
        small = font_manager.FontProperties(fname=str(font), size=8)
    fig = Figure(figsize=(11, 4.2), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    ax, bx = fig.subplots(1, 2, width_ratios=[1.6, 1])

    by_region: dict[str, list[dict]] = defaultdict(list)
    for row in data.rows:
        if row.get("requests_received") is not None:
            by_region[row["region_id"]].append(row)
    picked = sorted(
        by_region,
        key=lambda rid: (
            -len(by_region[rid]),
            -max(r["requests_received"] for r in by_region[rid]),
            rid,
        ),
    )[:MAX_PNG_REGIONS]
    markers = {"gov2008": "s", "gov2019": "o", "gov2021": "^", None: "x"}
    top = 0.0
    for i, rid in enumerate(picked):
        rows = sorted(by_region[rid], key=lambda r: r["report_year"])
        color = f"C{i % 10}"
        # Solid within one template; across a template change only a faint dotted line.
        for a, b in zip(rows, rows[1:]):
            same = a["template"] == b["template"]
            ax.plot(
                [a["report_year"], b["report_year"]],
                [a["requests_received"], b["requests_received"]],
                "-" if same else ":",
                color=color if same else "#999",
                lw=1.6 if same else 1.0,
            )
        for r in rows:
            ax.plot(
                r["report_year"],
                r["requests_received"],
                markers.get(r["template"], "x"),
                color=color,
                ms=6,
            )
            top = max(top, r["requests_received"])
        ax.plot([], [], "-", color=color, label=_mpl_text(_region_label(rows[0])))
    years = sorted({r["report_year"] for r in data.rows})
    if years:
        ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(0, max(top, 1) * 1.12)
    ax.set_title("本年收到申请数（各地区，按年度）", **prop)
    ax.grid(True, alpha=0.3)
    if picked:
        regions_legend = ax.legend(
            prop=small,
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            title="地区",
            title_fontproperties=prop.get("fontproperties"),
        )
        ax.add_artist(regions_legend)
        ax.legend(
            handles=[
                Line2D([], [], ls="", marker=markers[t], color="#555", label=t) for t in TEMPLATES
            ]
            + [Line2D([], [], ls=":", color="#999", label="模板变更")],
            prop=small,
            loc="lower left",
            bbox_to_anchor=(1.01, 0),
            title="模板",
            title_fontproperties=prop.get("fontproperties"),
        )
    else:
        ax.text(0.5, 0.5, "无数据", ha="center", transform=ax.transAxes, **prop)

    by_rule = Counter(f["rule"] for f in data.findings)
    rules = [r for r in RULES if by_rule[r]] + sorted(set(by_rule) - set(RULES))
    colors = _rule_color(list(RULES) + sorted(set(by_rule) - set(RULES)))
    if rules:
        counts = [by_rule[r] for r in rules]
        bars = bx.barh(range(len(rules)), counts, height=0.6, color=[colors[r] for r in rules])
        bx.set_yticks(range(len(rules)), [f"{r}\n{RULES.get(r, '')}" for r in rules], **prop)
        bx.invert_yaxis()
        bx.bar_label(bars, padding=3)
        bx.set_xlim(0, max(counts) * 1.15)
    else:
        bx.text(0.5, 0.5, "没有一致性问题", ha="center", transform=bx.transAxes, **prop)
        bx.set_yticks([])
    bx.set_title(f"一致性问题（按规则，共 {len(data.findings)} 条）", **prop)
    for tick in bx.get_yticklabels():
        tick.set_fontsize(8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    return buf.getvalue()


# ---------------------------------------------------------------- entry point


def _write(path: Path, payload: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_bytes(payload)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_report_page(
    warehouse: Path, out_dir: Path | None = None, *, built_at: datetime | None = None
) -> ReportPage:
    """Read `warehouse` (read-only) and write `<stem>.html` and `<stem>.png`
    into `out_dir` (default: the warehouse's folder)."""
    warehouse = Path(warehouse)
    out_dir = Path(out_dir) if out_dir is not None else warehouse.parent
    built_at = built_at or datetime.now(timezone.utc)
    data = _read(warehouse)
    font = _font_path()
    page, regions_charted, points, finding_reports, cells = _page(data, warehouse, built_at, font)
    png = _png(data, font)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"{warehouse.stem}.html"
    png_path = out_dir / f"{warehouse.stem}.png"
    _write(html_path, page.encode("utf-8"))
    _write(png_path, png)
    return ReportPage(
        html=html_path,
        png=png_path,
        built_at=built_at,
        reports=data.reports,
        regions=data.regions,
        years=len(data.years),
        regions_charted=regions_charted,
        series_points=points,
        findings=len(data.findings),
        finding_reports=finding_reports,
        coverage_cells=cells,
        font_embedded=font is not None,
        png_bytes=len(png),
    )


def main(argv: list[str] | None = None) -> None:
    """`python -m orchestration.report_page [WAREHOUSE] [OUT_DIR]`: the page of a
    published warehouse (default warehouse/disclosure.duckdb), written beside it."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m orchestration.report_page")
    parser.add_argument(
        "warehouse", nargs="?", type=Path, default=Path("warehouse/disclosure.duckdb")
    )
    parser.add_argument("out_dir", nargs="?", type=Path, default=None)
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        parser.error(f"no warehouse at {args.warehouse}")
    page = write_report_page(args.warehouse, args.out_dir)
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in page.counts().items())
    print(f"{page.html}\n{page.png}\n{counts}")


if __name__ == "__main__":
    main()
