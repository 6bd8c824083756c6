"""What the pictures show, read from the published warehouse (read-only)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.pictures.labels import SERIES
from orchestration.settings import connect


@dataclass
class WarehouseData:
    reports: int = 0
    regions: int = 0
    years: list[int] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # region_year_summary
    series: tuple = ()  # the SERIES present in the warehouse
    has_concept: set = field(default_factory=set)  # (template, concept)
    comparability: dict = field(default_factory=dict)  # concept -> {'high', 'medium', ...}
    findings: list[dict] = field(default_factory=list)
    coverage: Counter = field(default_factory=Counter)  # (year, level, template) -> reports


def read(warehouse: Path) -> WarehouseData:
    data = WarehouseData()
    with connect(warehouse, read_only=True) as con:
        data.reports, data.regions = con.execute(
            "select count(*), count(distinct region_id) from marts.dim_report"
        ).fetchone()
        data.years = _report_years(con)
        data.series = _series_present(con)
        data.rows = _summary_rows(con, data.series)
        _read_concepts(con, data)
        data.findings = _findings(con)
        _read_coverage(con, data.coverage)
    return data


def _dicts(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _report_years(con) -> list[int]:
    return [
        y
        for (y,) in con.execute(
            "select distinct report_year from marts.dim_report "
            "where report_year is not null order by 1"
        ).fetchall()
    ]


def _series_present(con) -> tuple:
    columns = {
        name
        for (name,) in con.execute(
            "select column_name from (describe marts.region_year_summary)"
        ).fetchall()
    }
    return tuple(s for s in SERIES if s[0] in columns)


def _summary_rows(con, series: tuple) -> list[dict]:
    picked = "".join(f", {name}" for name, _, _ in series)
    return _dicts(
        con,
        "select region_id, region_name, region_level, parent_region_name, province_name, "
        f"report_year, template, report_id{picked} from marts.region_year_summary "
        "where report_year is not null",
    )


def _read_concepts(con, data: WarehouseData) -> None:
    """Which template has which concept, and each concept's comparability."""
    for template, concept, comparability in con.execute(
        "select template, concept, string_agg(distinct comparability, ', ') "
        "from marts.region_year_indicator group by all"
    ).fetchall():
        data.has_concept.add((template, concept))
        data.comparability.setdefault(concept, set()).update((comparability or "").split(", "))


def _findings(con) -> list[dict]:
    return _dicts(
        con,
        "select f.rule, f.report_id, f.indicator_code, f.applicant_type, f.expected, "
        "f.actual, f.difference, f.cells, r.organization, r.report_year, r.title, "
        "r.source_path from marts.consistency_finding f "
        "left join marts.dim_report r using (report_id) "
        "order by r.organization, r.report_year, f.rule, f.indicator_code",
    )


def _read_coverage(con, coverage: Counter) -> None:
    for year, level, template, n in con.execute(
        "select r.report_year, coalesce(g.region_level, r.region_level), r.template, "
        "count(*) from marts.dim_report r left join marts.dim_region g using (region_id) "
        "group by all"
    ).fetchall():
        coverage[(year, level, template)] += n
