"""The HTML page: a header with the warehouse's numbers, the three sections,
and the font cut down to the characters they use."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from orchestration.pictures.coverage import CoverageSection, coverage_section
from orchestration.pictures.data import WarehouseData
from orchestration.pictures.findings import FindingsSection, findings_section
from orchestration.pictures.font import font_face
from orchestration.pictures.labels import TEMPLATE_COLORS, TEMPLATE_LABELS, TEMPLATES
from orchestration.pictures.series import SeriesSection, series_section
from orchestration.pictures.style import stylesheet
from orchestration.pictures.text import e

TITLE = "政府信息公开工作年度报告 · 数据仓库图表"


@dataclass(frozen=True)
class Page:
    html: str
    series: SeriesSection
    findings: FindingsSection
    coverage: CoverageSection


def page_html(data: WarehouseData, warehouse: Path, built_at: datetime, font: Path | None) -> Page:
    series = series_section(data)
    findings = findings_section(data)
    coverage = coverage_section(data)
    body = (
        _header(data, warehouse, built_at)
        + _series_block(series.html)
        + _findings_block(findings.html)
        + _coverage_block(coverage.html)
        + _footer(warehouse)
    )
    face = ""
    if font is not None:
        # Every character the page shows, markup included (cheap: ASCII is in anyway).
        face = font_face(font, html.unescape(body))
    return Page(f"{_head(face)}{body}</body>\n</html>\n", series, findings, coverage)


def _head(face: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=zh-CN>\n<head>\n<meta charset=utf-8>\n"
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; font-src data:; img-src data:\">\n"
        '<meta name=viewport content="width=device-width, initial-scale=1">\n'
        f"<title>{TITLE}</title>\n"
        f"<style>\n{face}{stylesheet()}</style>\n</head>\n<body>"
    )


def _header(data: WarehouseData, warehouse: Path, built_at: datetime) -> str:
    """The title, when it was drawn, and the numbers of reports, regions, years, findings."""
    years = data.years
    span = f"{years[0]}–{years[-1]}" if years else "—"
    stats = (
        ("报告 reports", data.reports),
        ("地区 regions", data.regions),
        (f"年度 years ({span})", len(years)),
        ("一致性问题 findings", len(data.findings)),
    )
    boxes = "".join(f"<div class=stat><b>{v}</b><span>{e(k)}</span></div>" for k, v in stats)
    built = e(built_at.strftime("%Y-%m-%d %H:%M:%S %Z"))
    return f"""
<h1>{TITLE}</h1>
<p class=lead>{e(warehouse.name)} · 生成于 built {built}</p>
<div class=stats>{boxes}</div>
"""


def _series_block(section: str) -> str:
    legend = "".join(
        f'<span class=sw style="background:{TEMPLATE_COLORS[t]}"></span>{e(t)} '
        f"{e(TEMPLATE_LABELS[t])}"
        for t in TEMPLATES
    )
    return f"""
<h2>各地区序列 Series per region</h2>
<p class=lead>marts.region_year_summary：每行一个地区，每格一个指标，横轴为年度（各格相同）。
点的颜色和轴下色带是该年报告的表格模板；虚线竖线标出模板变更，前后口径不同，不能直接比较。
○ 空白单元格（未知，不是零）；× 该模板无此项。悬停可看精确数值。</p>
<div class=legend>{legend}
<span class=sw style="border-left:2px dashed #333;width:0"></span> 模板变更 template change
<span class=sym>○</span> 空白 blank <span class=sym>×</span> 模板无此项 not in the template</div>
{section}
"""


def _findings_block(section: str) -> str:
    return f"""
<h2>一致性问题 Consistency findings</h2>
<p class=lead>marts.consistency_finding：报告与自身、与上年报告或与同一报告的另一文件相矛盾之处。</p>
{section}
"""


def _coverage_block(section: str) -> str:
    return f"""
<h2>覆盖情况 Coverage</h2>
<p class=lead>dim_report × dim_region：每个年度、行政层级与表格模板的报告份数。</p>
{section}
"""


def _footer(warehouse: Path) -> str:
    return f"""
<footer>disclosure-warehouse · 由 orchestration/pictures 自 {e(warehouse.name)} 生成（只读）。
字体 Noto Sans SC（SIL Open Font License 1.1）。</footer>
"""
