"""Landing tables for N synthetic reports, written straight into a build database.

    python -m bench.landing_scale OUT.duckdb --reports 100000 --seed 0
    python -m bench.landing_scale OUT.duckdb --reports 100000 --seed 0 --add-one
    python -m bench.landing_scale OUT.duckdb --reports 100000 --seed 0 --change-one

No document is written or read: every table dbt reads from `landing` (reports,
cells, extraction_issues, narrative_figures, ingest_errors, files, divisions,
the collector's tables) is written at once, in the project's schemas and
through `write_tables`, as a build over N real files would leave it.

Templates: the landing rows the extractor makes of the seed reports in raw/
(gov2008, gov2019) and of the gov2021 fixture reports (tests/fixtures/gov2021),
extracted when this runs. Each synthetic report copies the rows of one
template of its year's table (gov2008 up to 2018, gov2019 for 2019-2020,
gov2021 from 2021; a government takes an aggregate report, a department a
single-body one where the template has one) with:

- its own publisher: a prefecture or county government, or one of its
  departments (DEPARTMENTS), from the GB/T 2260 divisions; names shared by
  two divisions get the parent's name in front, so organizations are unique;
- its own years: each publisher reports for a run of consecutive years, most
  up to 2024 and a few years long (a site keeps its last reports), a tenth from
  2008: about a third of the reports are gov2008 (58 cells), the others gov2019
  or gov2021 (about 200), so about 150 cells a report. (organization, year) is
  unique, so dedup keeps every report, and the carry-over rules find the
  previous year;
- its values: every table value and every narrative figure tied to an
  indicator multiplied by one factor per report, with the printed text
  rewritten. A sum, balance or row total holds after scaling whenever it held
  in the template, so the rules within a report keep their template's
  findings; the rules between a body's years (carry_over, in_force_carry,
  items_carry) do not hold in general and give findings;
- a few of the extractor's failures: a cell that is no plain number (left NULL,
  a 'value' issue), a year inferred from the publication date, section 四 not
  read (its cells missing), an uncatalogued extra row (gov2008), and files
  that are no report, empty, or legacy .doc (ingest errors).

Report i draws every choice from a hash of (seed, i): the first N reports of a
larger run are the N-report run, and --add-one adds report N (what the
(N+1)-report run holds besides). Cells and narrative figures are made and
streamed to DuckDB a chunk of reports at a time, never all at once: 100,000
reports (15 million cells) take about 80 s and 2 GiB.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from orchestration.collect import landing_frames
from orchestration.extract import extract_bytes, regions
from orchestration.extract.model import LANDING_SCHEMAS, extraction_frames, report_id_for
from orchestration.extract.refusals import REFUSALS, Refusal
from orchestration.ingest.cache import extraction_version
from orchestration.ingest.extraction import INGEST_ERRORS_SCHEMA, RETRIES_SCHEMA
from orchestration.ingest.files import FILES_SCHEMA
from orchestration.ingest.landing import LANDING_SCHEMA, write_tables
from orchestration.settings import PROJECT_ROOT, connect

FIRST_YEAR, LAST_YEAR = 2008, 2024
TEMPLATE_YEARS = {"gov2008": (2008, 2018), "gov2019": (2019, 2020), "gov2021": (2021, 2024)}
DEPARTMENTS = (
    "发展和改革局",
    "教育局",
    "科学技术局",
    "工业和信息化局",
    "公安局",
    "民政局",
    "司法局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "文化和旅游局",
    "卫生健康委员会",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "林业局",
    "信访局",
    "城市管理局",
    "行政审批服务局",
    "乡村振兴局",
    "体育局",
)
GOVERNMENT_WEIGHT = 6.0  # a government is this many times likelier to be drawn than a department
FORMATS = (("pdf", 0.50), ("html", 0.20), ("docx", 0.15), ("text", 0.15))
EXTENSIONS = {"pdf": "pdf", "html": "html", "docx": "docx", "text": "txt"}
SIZES = {"pdf": (150_000, 2_500_000), "html": (25_000, 250_000), "docx": (30_000, 400_000)}
SIZES["text"] = (8_000, 60_000)
# Shares of reports with each of the extractor's failures.
VALUE_ISSUE, YEAR_ISSUE, NO_SECTION4, UNCATALOGUED, OCR = 0.05, 0.02, 0.03, 0.05, 0.03
# Files next to the reports that give ingest errors (code, status, format, share of reports).
FAILED_FILES = (
    ("not_a_report", "ok", "pdf", 0.020),
    ("legacy_doc", "unsupported", "doc", 0.006),
    ("empty_file", "empty", "pdf", 0.002),
)
UNCATALOGUED_ROWS = ("政务头条号公开政府信息数", "公开栏公开政府信息数", "政务抖音号公开政府信息数")
CHUNK = 4000  # reports generated and streamed at a time
# Stand-ins put into template sentences where a report's own year, region and figure go.
YEAR_MARK, REGION_MARK, FIGURE_MARK = "\ue000", "\ue001", "\ue002"
NUMBER = r"\d+(?:\.\d+)?"

# ------------------------------------------------------------------ hashing


_MIX1, _MIX2, _GOLDEN = (
    np.uint64(0xBF58476D1CE4E5B9),
    np.uint64(0x94D049BB133111EB),
    0x9E3779B97F4A7C15,
)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser (uint64 arithmetic wraps)."""
    x = (x ^ (x >> np.uint64(30))) * _MIX1
    x = (x ^ (x >> np.uint64(27))) * _MIX2
    return x ^ (x >> np.uint64(31))


def uniform(seed: int, index: np.ndarray, field: str) -> np.ndarray:
    """A uniform [0, 1) per index, a function of (seed, index, field) alone."""
    salt = int.from_bytes(hashlib.sha256(f"{seed}/{field}".encode()).digest()[:8], "little")
    x = _mix(np.asarray(index, dtype=np.uint64) * np.uint64(_GOLDEN) + np.uint64(salt))
    return (_mix(x) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _choice(u: np.ndarray, weights: list[float]) -> np.ndarray:
    edges = np.cumsum(weights) / np.sum(weights)
    return np.minimum(np.searchsorted(edges, u, side="right"), len(weights) - 1)


# ---------------------------------------------------------------- templates


@functools.cache
def templates() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(one row per template, its cells, its narrative figures) from the
    extractor's reading of the seed reports and the gov2021 fixtures."""
    from tests.fixtures.gov2021 import build_gov2021_reports
    from tests.fixtures.render_text import text_of

    sources = [(p.name, p.read_bytes()) for p in sorted((PROJECT_ROOT / "raw").glob("*.txt"))]
    sources += [(f"{r.stem}.txt", text_of(r).encode()) for r in build_gov2021_reports()]
    infos, cells, narrative = [], [], []
    for tpl, (name, data) in enumerate(sources):
        x = extract_bytes(data, name)
        frames = extraction_frames(x)
        ident = x.identity
        infos.append(
            {
                "tpl": tpl,
                "tpl_name": name,
                "template": x.template,
                "tpl_scope": ident.report_scope,
                "tpl_year": ident.report_year,
                "tpl_region": ident.region_name,
                "tpl_lines": x.line_count,
            }
        )
        cells.append(
            frames["cells"].drop("report_id").with_row_index("pos").with_columns(tpl=pl.lit(tpl))
        )
        figures = frames["narrative_figures"].drop("report_id")
        # Each figure's sentence with its report's year, region and (when tied to
        # an indicator) its own number as marks to fill in.
        marked = [
            _mark(s, t, code is not None, str(ident.report_year), ident.region_name or "")
            for s, t, code in figures.select("sentence", "number_text", "indicator_code").rows()
        ]
        narrative.append(
            figures.with_columns(sentence=pl.Series(marked, dtype=pl.Utf8), tpl=pl.lit(tpl))
        )
    info = pl.DataFrame(infos).with_columns(pl.col("tpl", "tpl_year", "tpl_lines").cast(pl.Int32))
    unknown = info.filter(~pl.col("template").is_in(list(TEMPLATE_YEARS)))
    assert unknown.is_empty(), f"templates read without a known table: {unknown}"
    return (
        info,
        pl.concat(cells).with_columns(pl.col("tpl").cast(pl.Int32), pl.col("pos").cast(pl.Int32)),
        pl.concat(narrative).with_columns(pl.col("tpl").cast(pl.Int32)),
    )


def _mark(sentence: str, number_text: str, tied: bool, year: str, region: str) -> str:
    if tied and number_text in sentence:
        sentence = sentence.replace(number_text, FIGURE_MARK, 1)
    sentence = sentence.replace(year, YEAR_MARK)
    return sentence.replace(region, REGION_MARK) if region else sentence


# --------------------------------------------------------------- publishers


@functools.cache
def publishers(seed: int) -> pl.DataFrame:
    """Every government and department that can publish, in the order drawn for
    `seed`, with the run of years it reports for."""
    divs = regions.divisions().filter(pl.col("region_level").is_in(["prefecture", "county"]))
    # Two divisions of one name (朝阳区) publish under their parent's name too.
    divs = divs.with_columns(
        place=pl.when(pl.col("region_name").is_duplicated())
        .then(pl.col("parent_region_name") + pl.col("region_name"))
        .otherwise(pl.col("region_name"))
    )
    kinds = pl.DataFrame(
        {
            "dept": pl.Series([None, *DEPARTMENTS], dtype=pl.Utf8),
            "weight": [GOVERNMENT_WEIGHT] + [1.0] * len(DEPARTMENTS),
        }
    ).with_row_index("kind_index")
    bodies = (
        divs.join(kinds, how="cross")
        .sort("region_code", "kind_index")
        .with_columns(
            organization=pl.col("place") + pl.col("dept").fill_null("人民政府"),
            organization_kind=pl.when(pl.col("dept").is_null())
            .then(pl.lit("government"))
            .otherwise(pl.lit("department")),
            report_scope=pl.when(pl.col("dept").is_null())
            .then(pl.lit("aggregate"))
            .otherwise(pl.lit("single_body")),
        )
        .with_row_index("body")
    )
    assert bodies["organization"].is_unique().all(), "two publishers of one name"
    index = bodies["body"].to_numpy()
    # Weighted order without replacement: the smallest -log(u)/w first.
    key = -np.log1p(-uniform(seed, index, "body")) / bodies["weight"].to_numpy()
    # Most runs reach the last year and are short (a site keeps its last few
    # reports); a tenth go back to the first year.
    end = np.where(
        uniform(seed, index, "end") < 0.8,
        LAST_YEAR,
        2012 + np.floor(uniform(seed, index, "end_year") * (LAST_YEAR - 2012)),
    )
    length = np.where(
        uniform(seed, index, "archive") < 0.1,
        LAST_YEAR - FIRST_YEAR + 1,
        1 + np.floor(uniform(seed, index, "length") * 6),
    )
    start = np.maximum(FIRST_YEAR, end - length + 1).astype(np.int32)
    end = end.astype(np.int32)
    return (
        bodies.with_columns(
            _key=pl.Series(key), first_year=pl.Series(start), last_year=pl.Series(end)
        )
        .sort("_key")
        .drop("_key", "weight", "kind_index", "place")
    )


# --------------------------------------------------------------------- plan


def plan(seed: int, stop: int, start: int = 0) -> pl.DataFrame:
    """One row per report index in [start, stop): publisher, year, template, file and
    the draws its rows are made from."""
    bodies = publishers(seed)
    years = bodies["last_year"] - bodies["first_year"] + 1
    before = years.cum_sum() - years
    bodies = bodies.filter(before < stop).with_columns(
        year=pl.int_ranges("first_year", pl.col("last_year") + 1, dtype=pl.Int32)
    )
    reports = bodies.explode("year").with_row_index("index").slice(start, stop - start)
    assert reports.height == stop - start, f"not enough publishers for {stop} reports"
    i = reports["index"].to_numpy()
    info, cells, _ = templates()
    reports = reports.with_columns(
        template=pl.when(pl.col("year") <= TEMPLATE_YEARS["gov2008"][1])
        .then(pl.lit("gov2008"))
        .when(pl.col("year") <= TEMPLATE_YEARS["gov2019"][1])
        .then(pl.lit("gov2019"))
        .otherwise(pl.lit("gov2021")),
        _u_tpl=pl.Series(uniform(seed, i, "template")),
    )
    # The candidates of each (template, scope): templates of that scope, else all of the table.
    scopes = reports.select("template", "report_scope").unique()
    pools = []
    for template, scope in scopes.rows():
        same = info.filter(pl.col("template") == template)
        pick = same.filter(pl.col("tpl_scope") == scope)
        pick = pick if not pick.is_empty() else same
        pools.append(
            {"template": template, "report_scope": scope, "pool": pick["tpl"].sort().to_list()}
        )
    pool = pl.DataFrame(pools, schema_overrides={"pool": pl.List(pl.Int32)})
    reports = reports.join(pool, on=["template", "report_scope"], how="left").with_columns(
        tpl=pl.col("pool").list.get(
            (pl.col("_u_tpl") * pl.col("pool").list.len()).floor().cast(pl.Int32)
        )
    )
    n_cells = (
        cells.group_by("tpl").len("tpl_cells").with_columns(pl.col("tpl_cells").cast(pl.Int32))
    )
    reports = reports.join(info.select("tpl", "tpl_lines", "tpl_year", "tpl_region"), on="tpl")
    reports = reports.join(n_cells, on="tpl").sort("index")
    fmt = np.array([f for f, _ in FORMATS])[
        _choice(uniform(seed, i, "format"), [w for _, w in FORMATS])
    ]
    lo = np.array([SIZES[f][0] for f in fmt])
    hi = np.array([SIZES[f][1] for f in fmt])
    paged = np.isin(fmt, ["pdf", "docx"])
    pages = np.where(paged, 4 + np.floor(uniform(seed, i, "pages") * 14), 0).astype(np.int32)
    ocr = (fmt == "pdf") & (uniform(seed, i, "ocr") < OCR)
    later = reports["template"].to_numpy() != "gov2008"
    return reports.with_columns(
        source_format=pl.Series(fmt, dtype=pl.Utf8),
        size_bytes=pl.Series((lo + uniform(seed, i, "size") * (hi - lo)).astype(np.int64)),
        page_count=pl.when(pl.Series(paged)).then(pl.Series(pages)),
        ocr_pages=pl.Series(np.where(ocr, pages, 0), dtype=pl.Int32),
        # Governments aggregate many bodies: larger figures.
        factor=pl.lit(pl.Series(1 + np.floor(uniform(seed, i, "factor") ** 3 * 12)))
        * pl.when(pl.col("organization_kind") == "government").then(3.0).otherwise(1.0),
        null_pos=pl.Series(
            np.where(
                uniform(seed, i, "value_issue") < VALUE_ISSUE,
                np.floor(uniform(seed, i, "value_cell") * reports["tpl_cells"].to_numpy()),
                -1,
            ).astype(np.int32),
            dtype=pl.Int32,
        ),
        year_issue=pl.Series(uniform(seed, i, "year_issue") < YEAR_ISSUE),
        no_section4=pl.Series(later & (uniform(seed, i, "section4") < NO_SECTION4)),
        uncatalogued=pl.Series(
            np.where(
                ~later & (uniform(seed, i, "uncatalogued") < UNCATALOGUED),
                1 + np.floor(uniform(seed, i, "uncatalogued_rows") * len(UNCATALOGUED_ROWS)),
                0,
            ).astype(np.int32),
            dtype=pl.Int32,
        ),
        failed=pl.Series(
            _choice(
                uniform(seed, i, "failed"),
                [share for *_, share in FAILED_FILES] + [1 - sum(s for *_, s in FAILED_FILES)],
            ),
            dtype=pl.Int32,
        ),
        version=pl.lit(0, dtype=pl.Int32),
    ).with_columns(
        source_path=pl.col("province_name")
        + "/"
        + pl.col("organization")
        + "/"
        + pl.col("year").cast(pl.Utf8)
        + "年政府信息公开工作年度报告."
        + pl.col("source_format").replace_strict(EXTENSIONS),
    )


def _sha(seed: int, path: str, version: int) -> str:
    return hashlib.sha256(f"{seed}/{path}/{version}".encode()).hexdigest()


def with_ids(seed: int, reports: pl.DataFrame) -> pl.DataFrame:
    paths = reports["source_path"].to_list()
    versions = reports["version"].to_list()
    return reports.with_columns(
        report_id=pl.Series([report_id_for(p) for p in paths], dtype=pl.Utf8),
        source_sha256=pl.Series(
            [_sha(seed, p, v) for p, v in zip(paths, versions, strict=True)], dtype=pl.Utf8
        ),
    )


# ------------------------------------------------------------------- frames


def _printed(value: pl.Expr) -> pl.Expr:
    """A value as a report prints it: whole numbers without a decimal point."""
    a = value.abs()
    return (
        pl.when(a == a.round(0))
        .then(a.cast(pl.Int64).cast(pl.Utf8))
        .otherwise(a.round(2).cast(pl.Utf8))
    )


def report_frame(reports: pl.DataFrame) -> pl.DataFrame:
    return reports.select(
        "report_id",
        "source_path",
        "source_sha256",
        "source_format",
        "template",
        title=pl.col("organization").str.replace("人民政府$", "")
        + pl.col("year").cast(pl.Utf8)
        + "年政府信息公开工作年度报告",
        organization="organization",
        report_year="year",
        region_name="region_name",
        region_level="region_level",
        region_code="region_code",
        parent_region_name="parent_region_name",
        parent_region_code="parent_region_code",
        organization_kind="organization_kind",
        report_scope="report_scope",
        page_count="page_count",
        line_count="tpl_lines",
        ocr_pages="ocr_pages",
        extractor_version=pl.lit(extraction_version()),
    ).cast(LANDING_SCHEMAS["reports"])


def _located(frame: pl.DataFrame) -> pl.DataFrame:
    """Page and locator of a row of a paged report, spread over its pages by line."""
    page = (
        1 + (pl.col("line").cast(pl.Int64) - 1) * pl.col("page_count") // pl.col("tpl_lines")
    ).clip(1, pl.col("page_count"))
    paged = pl.col("page_count").is_not_null() & pl.col("line").is_not_null()
    return frame.with_columns(
        page=pl.when(paged).then(page).otherwise(pl.col("page")),
        source_locator=pl.when(paged)
        .then(pl.format("page {} table 1 row {}", page, pl.col("line")))
        .otherwise(pl.col("source_locator")),
    )


def cell_frame(reports: pl.DataFrame) -> pl.DataFrame:
    """Every cell of `reports`, with the `pos` of each within its template."""
    _, cells, _ = templates()
    keep = ["report_id", "tpl", "factor", "null_pos", "no_section4", "page_count", "tpl_lines"]
    rows = reports.select(keep).join(cells, on="tpl")
    rows = rows.filter(~(pl.col("no_section4") & pl.col("section").is_in(["review", "litigation"])))
    value = (pl.col("value") * pl.col("factor")).round(4)
    broken = pl.col("pos") == pl.col("null_pos")
    text = pl.when(pl.col("value").is_not_null()).then(
        pl.col("value_text").str.replace(NUMBER, _printed(value))
    )
    rows = rows.with_columns(value_text=text.otherwise(pl.col("value_text")), value=value)
    rows = rows.with_columns(
        value_text=pl.when(broken).then(pl.col("value_text") + "?").otherwise(pl.col("value_text")),
        value=pl.when(broken).then(None).otherwise(pl.col("value")),
    )
    rows = _located(rows)
    extra = reports.filter(pl.col("uncatalogued") > 0)
    if not extra.is_empty():
        first = cells.group_by("tpl").agg(pl.col("line").max().alias("last_line"))
        added = (
            extra.select(keep + ["uncatalogued"])
            .join(first, on="tpl")
            .with_columns(k=pl.int_ranges(0, "uncatalogued"))
            .explode("k")
            .with_columns(
                pos=(-1 - pl.col("k")).cast(pl.Int32),
                section=pl.lit("proactive"),
                row_label=pl.col("k").replace_strict(
                    dict(enumerate(UNCATALOGUED_ROWS)), return_dtype=pl.Utf8
                ),
                column_label=pl.lit(None, pl.Utf8),
                indicator_code=pl.lit(None, pl.Utf8),
                applicant_type=pl.lit("total"),
                value=(pl.col("factor") * (3 + 7 * pl.col("k"))).cast(pl.Float64),
                unit=pl.lit("条"),
                approximate=pl.lit(False),
                line=(pl.col("last_line") + 1 + pl.col("k")).cast(pl.Int32),
                page=pl.lit(None, pl.Int32),
                match_method=pl.lit("fuzzy_label"),
            )
            .with_columns(
                value_text=_printed(pl.col("value")),
                source_locator=pl.format("line {}", pl.col("line")),
            )
        )
        rows = pl.concat([rows, _located(added).select(rows.columns)], how="vertical_relaxed")
    return rows


def cells_of(reports: pl.DataFrame) -> pl.DataFrame:
    return cell_frame(reports).select(list(LANDING_SCHEMAS["cells"])).cast(LANDING_SCHEMAS["cells"])


def narrative_of(reports: pl.DataFrame) -> pl.DataFrame:
    _, _, figures = templates()
    rows = reports.select(
        "report_id", "tpl", "factor", "year", "region_name", "page_count", "tpl_lines"
    ).join(figures, on="tpl")
    tied = pl.col("indicator_code").is_not_null()
    scaled = (pl.col("number") * pl.col("factor")).round(4)
    number = pl.when(tied).then(scaled).otherwise(pl.col("number"))
    rows = rows.with_columns(number=number).with_columns(
        number_text=pl.when(tied)
        .then(pl.col("number_text").str.replace(NUMBER, _printed(pl.col("number"))))
        .otherwise(pl.col("number_text"))
    )
    rows = rows.with_columns(
        sentence=pl.col("sentence")
        .str.replace(FIGURE_MARK, pl.col("number_text"), literal=True)
        .str.replace_all(YEAR_MARK, pl.col("year").cast(pl.Utf8), literal=True)
        .str.replace_all(REGION_MARK, pl.col("region_name"), literal=True)
    )
    schema = LANDING_SCHEMAS["narrative_figures"]
    return _located(rows).select(list(schema)).cast(schema)


def issues_of(reports: pl.DataFrame) -> pl.DataFrame:
    """The extraction issues of `reports`: each broken cell's, each inferred year's,
    each section 四 not read."""
    broken = reports.filter(pl.col("null_pos") >= 0)
    cells = cell_frame(broken).filter(pl.col("pos") == pl.col("null_pos"))
    value = cells.select(
        "report_id",
        stage=pl.lit("value"),
        reason=pl.format("cell '{}' is not a plain number; left NULL", pl.col("value_text")),
        source_locator="source_locator",
        order=pl.lit(2),
    )
    year = reports.filter("year_issue").select(
        "report_id",
        stage=pl.lit("identify"),
        reason=pl.format("report year {} inferred from the publication date", pl.col("year")),
        source_locator=pl.lit(None, pl.Utf8),
        order=pl.lit(1),
    )
    section4 = reports.filter("no_section4").select(
        "report_id",
        stage=pl.lit("table"),
        reason=pl.lit("section 四 (行政复议/行政诉讼): no cells read"),
        source_locator=pl.lit(None, pl.Utf8),
        order=pl.lit(3),
    )
    paths = reports.select("report_id", "source_path")
    schema = LANDING_SCHEMAS["extraction_issues"]
    return (
        pl.concat([year, value, section4])
        .join(paths, on="report_id")
        .sort("source_path", "order")
        .select(list(schema))
        .cast(schema)
    )


def failed_files(seed: int, reports: pl.DataFrame) -> pl.DataFrame:
    """Files beside some reports that the build cannot load (FILES_SCHEMA plus code's stage)."""
    rows = []
    for k, (code, status, fmt, _) in enumerate(FAILED_FILES):
        names = reports.filter(pl.col("failed") == k).select(
            source_path=pl.col("province_name")
            + "/"
            + pl.col("organization")
            + "/"
            + pl.col("year").cast(pl.Utf8)
            + ("年政务公开工作要点." if code == "not_a_report" else "年报告附件.")
            + fmt
        )
        paths = names["source_path"].to_list()
        rows.append(
            names.with_columns(
                source_sha256=pl.Series([_sha(seed, p, 0) for p in paths], dtype=pl.Utf8),
                source_format=pl.lit(fmt),
                size_bytes=pl.lit(0 if status == "empty" else 48_128, dtype=pl.Int64),
                status=pl.lit(status),
                code=pl.lit(None if status == "ok" else code, dtype=pl.Utf8),
                reason=pl.lit(None if status == "ok" else Refusal(code).reason, dtype=pl.Utf8),
                failure_code=pl.lit(code),
            )
        )
    return pl.concat(rows)


def files_of(reports: pl.DataFrame, failed: pl.DataFrame) -> pl.DataFrame:
    ok = reports.select(
        "source_path",
        "source_sha256",
        "source_format",
        "size_bytes",
        status=pl.lit("ok"),
        code=pl.lit(None, pl.Utf8),
        reason=pl.lit(None, pl.Utf8),
    )
    frame = pl.concat([ok.cast(FILES_SCHEMA), failed.select(list(FILES_SCHEMA)).cast(FILES_SCHEMA)])
    return frame.sort("source_path")


def ingest_errors_of(failed: pl.DataFrame) -> pl.DataFrame:
    stages = {code: reason.stage for code, reason in REFUSALS.items()}
    return (
        failed.select(
            "source_path",
            "source_sha256",
            stage=pl.col("failure_code").replace_strict(stages, return_dtype=pl.Utf8),
            code="failure_code",
            reason=pl.col("failure_code").map_elements(
                lambda c: Refusal(c).reason, return_dtype=pl.Utf8
            ),
        )
        .cast(INGEST_ERRORS_SCHEMA)
        .sort("source_path")
    )


def _stream(reports: pl.DataFrame, make) -> pa.RecordBatchReader:
    """`make` of each chunk of reports, as one Arrow stream DuckDB reads as it goes."""
    schema = make(reports.head(0)).to_arrow().schema

    def batches() -> Iterator[pa.RecordBatch]:
        for start in range(0, reports.height, CHUNK):
            table = make(reports.slice(start, CHUNK)).to_arrow().cast(schema)
            yield from table.to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())


# -------------------------------------------------------------------- write


@dataclass
class Landing:
    reports: pl.DataFrame  # the plan, with ids
    failed: pl.DataFrame


def landing(seed: int, stop: int, start: int = 0) -> Landing:
    reports = with_ids(seed, plan(seed, stop, start))
    return Landing(reports, failed_files(seed, reports))


def generate(db: Path, n: int, seed: int) -> dict:
    """Write the landing tables of reports 0..n-1 into `db`."""
    t0 = time.perf_counter()
    got = landing(seed, n)
    reports = got.reports
    with tempfile.TemporaryDirectory() as empty:
        collected = landing_frames(Path(empty))  # no collector: its tables empty
    frames = {
        "files": files_of(reports, got.failed),
        "build_inputs": pl.DataFrame({"fingerprint": [f"bench.landing_scale {n} {seed}"]}),
        **collected,
        "divisions": regions.divisions(),
        "reports": report_frame(reports),
        # Streamed: the cells of 100,000 reports would not fit in memory at once.
        "cells": _stream(reports, cells_of),
        "extraction_issues": issues_of(reports),
        "narrative_figures": _stream(reports, narrative_of),
        "ingest_errors": ingest_errors_of(got.failed),
        "retries": pl.DataFrame(schema=RETRIES_SCHEMA),
    }
    write_tables(db, frames)
    return {"reports": n, "seconds": round(time.perf_counter() - t0, 2), **counts(db)}


def add_one(db: Path, n: int, seed: int) -> dict:
    """Add report n (and any failed file beside it) to a database holding reports 0..n-1."""
    got = landing(seed, n + 1, n)
    reports = got.reports
    frames = {
        "reports": report_frame(reports),
        "cells": cells_of(reports),
        "extraction_issues": issues_of(reports),
        "narrative_figures": narrative_of(reports),
        "files": files_of(reports, got.failed),
        "ingest_errors": ingest_errors_of(got.failed),
    }
    _replace_rows(db, frames, reports["report_id"].to_list(), reports["source_path"].to_list())
    return {"added": reports.select("report_id", "organization", "year").to_dicts()}


def change_one(db: Path, n: int, seed: int) -> dict:
    """Give report n // 2 of the n reports new values (all doubled) and a new
    content hash, as a file replaced by a corrected edition would."""
    index = n // 2
    reports = with_ids(seed, plan(seed, index + 1, index).with_columns(version=pl.lit(1)))
    cells = cells_of(reports)
    cells = cells.with_columns(
        value_text=pl.when(pl.col("value").is_not_null())
        .then(pl.col("value_text").str.replace(NUMBER, _printed(pl.col("value") * 2)))
        .otherwise(pl.col("value_text")),
        value=(pl.col("value") * 2).round(4),
    )
    failed = failed_files(seed, reports.head(0))
    frames = {
        "reports": report_frame(reports),
        "cells": cells,
        "files": files_of(reports, failed),
    }
    _replace_rows(db, frames, reports["report_id"].to_list(), reports["source_path"].to_list())
    return {"changed": reports.select("report_id", "organization", "year").to_dicts()}


def _replace_rows(
    db: Path, frames: dict[str, pl.DataFrame], report_ids: list[str], paths: list[str]
) -> None:
    """Delete the rows of these reports (files by path) and insert `frames`, in one
    transaction."""
    with connect(db) as con:
        con.execute("begin transaction")
        try:
            for name, frame in frames.items():
                table = f'"{LANDING_SCHEMA}"."{name}"'
                if name in ("files", "ingest_errors"):
                    con.execute(
                        f"delete from {table} where source_path in (select unnest(?))", [paths]
                    )
                else:
                    con.execute(
                        f"delete from {table} where report_id in (select unnest(?))", [report_ids]
                    )
                con.register("_frame", frame)
                con.execute(f"insert into {table} by name select * from _frame")
                con.unregister("_frame")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise


def counts(db: Path) -> dict:
    with connect(db, read_only=True) as con:
        return {
            name: con.execute(f'select count(*) from "{LANDING_SCHEMA}"."{name}"').fetchone()[0]
            for name in (
                "reports",
                "cells",
                "extraction_issues",
                "narrative_figures",
                "files",
                "ingest_errors",
            )
        }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", type=Path, help="the build database (created if absent)")
    ap.add_argument("--reports", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    what = ap.add_mutually_exclusive_group()
    what.add_argument("--add-one", action="store_true", help="add report N to reports 0..N-1")
    what.add_argument(
        "--change-one", action="store_true", help="change the values of report N // 2"
    )
    a = ap.parse_args(argv)
    if a.add_one:
        out = add_one(a.db, a.reports, a.seed)
    elif a.change_one:
        out = change_one(a.db, a.reports, a.seed)
    else:
        out = generate(a.db, a.reports, a.seed)
    out["max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    json.dump(out, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
