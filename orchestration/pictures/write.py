"""Writing the pictures of a warehouse: the page and the PNG, each moved over
its target in one step."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from orchestration.pictures.data import read
from orchestration.pictures.font import font_path
from orchestration.pictures.page import page_html
from orchestration.pictures.png import png


@dataclass(frozen=True)
class ReportPage:
    """What write_report_page wrote and how much of the warehouse it charted."""

    html: Path
    png: Path
    built_at: datetime
    reports: int  # rows of dim_report
    regions: int  # distinct regions of dim_report
    years: int  # distinct report years of dim_report
    regions_charted: int  # small multiples drawn (at most series.MAX_REGIONS)
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


def write_report_page(
    warehouse: Path, out_dir: Path | None = None, *, built_at: datetime | None = None
) -> ReportPage:
    """Read `warehouse` (read-only) and write `<stem>.html` and `<stem>.png`
    into `out_dir` (default: the warehouse's folder)."""
    warehouse = Path(warehouse)
    out_dir = Path(out_dir) if out_dir is not None else warehouse.parent
    built_at = built_at or datetime.now(timezone.utc)
    data = read(warehouse)
    font = font_path()
    page = page_html(data, warehouse, built_at, font)
    chart = png(data, font)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"{warehouse.stem}.html"
    png_path = out_dir / f"{warehouse.stem}.png"
    _write(html_path, page.html.encode("utf-8"))
    _write(png_path, chart)
    return ReportPage(
        html=html_path,
        png=png_path,
        built_at=built_at,
        reports=data.reports,
        regions=data.regions,
        years=len(data.years),
        regions_charted=page.series.regions_charted,
        series_points=page.series.points,
        findings=len(data.findings),
        finding_reports=page.findings.reports,
        coverage_cells=page.coverage.cells,
        font_embedded=font is not None,
        png_bytes=len(chart),
    )


def _write(path: Path, payload: bytes) -> None:
    """Written beside `path`, then moved over it: a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_bytes(payload)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
