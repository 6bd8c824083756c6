"""`disclosure build`, `disclosure query` and `disclosure export`."""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from orchestration.settings import (
    ENV_COLLECT_SOURCES,
    ENV_RAW,
    ENV_RETRY_FAILED,
    ENV_WAREHOUSE,
    Settings,
)

err = Console(stderr=True)


def _terminal_width() -> int | None:
    """The width of the terminal stdout is now; None for a pipe or a file."""
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def _console() -> Console:
    """Stdout as it is now: a terminal gets a table fitted to its width; a pipe
    or file gets every cell whole."""
    return Console(width=_terminal_width() or 100_000)


def _open_warehouse(path: Path):
    """The published warehouse, read-only and sandboxed (orchestration/query.py)."""
    import duckdb

    from orchestration import query as sandbox

    if not path.exists():
        raise click.ClickException(
            f"no warehouse at {path}. Build it first: `disclosure build` (or `make build`)."
        )
    try:
        return sandbox.connect(path)
    except duckdb.Error as e:
        raise click.ClickException(f"cannot open {path}: {e}") from e


def _print_table(
    title: str | None, columns: list[str], rows: list[tuple], total: int | None = None
):
    console = _console()
    table = Table(title=title, header_style="bold", title_justify="left")
    for name in columns:
        table.add_column(name, no_wrap=True, overflow="ellipsis", min_width=min(len(name), 12))
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
    if total is not None and total > len(rows):
        console.print(f"[dim]more than {len(rows)} rows; --max-rows shows more[/dim]")


@click.group()
def main():
    """A DuckDB warehouse of government information-disclosure annual reports."""


@main.command()
@click.option(
    "--raw",
    "raw_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=ENV_RAW,
    help=f"Folder of raw reports [env {ENV_RAW}; default raw/].",
)
@click.option(
    "--warehouse",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=ENV_WAREHOUSE,
    help=f"Published warehouse file [env {ENV_WAREHOUSE}; default warehouse/disclosure.duckdb].",
)
@click.option("-v", "--verbose", is_flag=True, help="Show Dagster's and dbt's log lines.")
@click.option(
    "--strict",
    is_flag=True,
    help="Exit with status 1 when any file failed to load (the warehouse is still published).",
)
@click.option(
    "--force", is_flag=True, help="Run the build even when nothing changed since the last one."
)
@click.option(
    "--retry-failed",
    is_flag=True,
    help=(
        "Parse again the files that timed out in earlier builds (cached as failed until "
        f"then) [env {ENV_RETRY_FAILED}=1]."
    ),
)
@click.option(
    "--full-refresh",
    is_flag=True,
    help=(
        "Rebuild every mart whole instead of only the rows of the reports that changed "
        "(implies --force; the same marts either way)."
    ),
)
@click.option(
    "--progress/--no-progress",
    "show_progress",
    default=None,
    help="Show progress per file and stage [default: only when stdout is a terminal].",
)
def build(
    raw_dir: Path | None,
    warehouse: Path | None,
    verbose: bool,
    strict: bool,
    force: bool,
    retry_failed: bool,
    full_refresh: bool,
    show_progress: bool | None,
):
    """Discover, extract, run dbt and publish the warehouse (in this process).

    When the published warehouse was built from exactly the files, code and
    settings there are now, is intact, and left no failure to try again,
    there is nothing to do: it says so and stops.
    """
    settings = Settings.from_env(
        raw_dir=raw_dir, warehouse=warehouse, retry_failed=retry_failed, full_refresh=full_refresh
    )
    if not settings.raw_dir.is_dir():
        raise click.ClickException(f"raw folder {settings.raw_dir} does not exist")

    from orchestration.lock import BuildLocked, check_unlocked

    try:
        check_unlocked(settings)  # the run holds the lock itself; this is for a clear message
    except BuildLocked as e:
        raise click.ClickException(str(e)) from None

    from orchestration.fingerprint import stale_reasons

    reasons = stale_reasons(settings, settings.retry_failed)
    if not (force or full_refresh) and not reasons:
        _console().print(
            f"{settings.warehouse_path} is up to date: nothing changed in {settings.raw_dir}, "
            "the code or the settings since it was built (--force builds anyway).",
            highlight=False,
        )
        _report(settings, {"parsed_now": 0}, strict)
        return
    if reasons:
        _console().print(
            f"Building {settings.warehouse_path}: {'; '.join(reasons)}.", highlight=False
        )
    _prepare_state(settings)

    from orchestration.project import ensure_manifest

    ensure_manifest()
    from dagster import DagsterInstance

    from orchestration import progress
    from orchestration.console_progress import BuildProgress
    from orchestration.definitions import make_definitions

    # Failed files are listed after the run; the log lines are for --verbose.
    run_config = {} if verbose else {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    instance = DagsterInstance.get() if settings.dagster_home else DagsterInstance.ephemeral()
    if show_progress is None:
        show_progress = sys.stdout.isatty()
    # dbt's progress lines go to stdout: keep them for a failure unless --verbose.
    captured = io.StringIO()
    display = None
    if show_progress:
        # Bound to stdout as it is now, before dbt's prints are captured below.
        tty = sys.stdout.isatty()
        display = BuildProgress(Console(file=sys.stdout, width=None if tty else 200), live=tty)
    with (
        display or err.status(f"building {settings.warehouse_path} from {settings.raw_dir} ..."),
        progress.listening(display) if display else contextlib.nullcontext(),
        contextlib.nullcontext() if verbose else contextlib.redirect_stdout(captured),
    ):
        job = make_definitions(settings).resolve_job_def("build_warehouse")
        result = job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False
        )
    for path in _set_aside_in(result):
        _console().print(
            f"A damaged file was set aside, kept for inspection: {path}", highlight=False
        )
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data.error:
                error = event.step_failure_data.error
                while error.cause is not None:  # the user error under Dagster's wrapper
                    error = error.cause
                err.print(f"[red]{event.step_key}[/red]: {error.message.strip()}", highlight=False)
        tail = captured.getvalue().strip().splitlines()[-20:]
        if tail:
            err.print("\n".join(tail), markup=False, highlight=False)
        raise click.ClickException(
            f"build failed in {', '.join(failed) or 'the run'}; the published warehouse was left "
            "as it was. Run again with --verbose for the logs."
        )
    extraction = {}
    for mat in result.asset_materializations_for_node("landing_extraction"):
        if mat.asset_key.path == ["landing", "reports"]:
            extraction = {k: v.value for k, v in mat.metadata.items()}

    _console().print(f"Built {settings.warehouse_path}", highlight=False)
    _report(settings, extraction, strict)


def _prepare_state(settings: Settings) -> None:
    """Before the run: stop at once, with a clear message, when another build
    uses the extraction cache (a warehouse sharing it); set a damaged build
    database aside (every step of the run writes it, the first included)."""
    from orchestration.ingest.cache import CacheInUse, cache_lock, set_aside_if_damaged
    from orchestration.lock import build_lock

    try:
        with cache_lock(settings.cache_db):
            pass
    except CacheInUse as e:
        raise click.ClickException(str(e)) from None

    def told(moved: Path, error: Exception) -> None:
        _console().print(
            f"The build database {settings.build_db} could not be read ({error}): set aside as "
            f"{moved}, kept for inspection; a new one is built.",
            highlight=False,
        )

    with build_lock(settings.lock_path):
        set_aside_if_damaged(settings.build_db, told)


def _set_aside_in(result) -> list[str]:
    """The damaged files the run's assets set aside (their `set_aside` metadata)."""
    moved: list[str] = []
    for event in result.all_events:
        if event.is_step_materialization:
            value = event.step_materialization_data.materialization.metadata.get("set_aside")
            moved += [p for p in (value.value if value else []) if p not in moved]
    return moved


def _report(settings: Settings, extraction: dict, strict: bool) -> None:
    """The summary of the published warehouse; with --strict, fail on failed files."""
    from orchestration import summary as built

    retries = _retries(settings.warehouse_path)  # read before the sandbox opens the file
    with _open_warehouse(settings.warehouse_path) as con:
        n = built.counts(con)
        errors = built.ingest_errors(con)
        findings = built.findings_by_rule(con)
    parsed = extraction.get("parsed_now", 0)
    reused = extraction.get("reused_from_cache", n["extractable_files"] - parsed)
    summary = [
        ("files", n["files"]),
        ("parsed now / reused from cache", f"{parsed} / {reused}"),
        ("reports", n["reports"]),
        ("table cells (catalogued)", n["cells"]),
        ("table cells (uncatalogued)", n["uncatalogued_cells"]),
        ("extraction issues", n["issues"]),
        ("files that failed", n["failed_files"]),
        ("duplicate reports (left out)", n["duplicates"]),
        ("conflicting reports (left out)", n["conflicts"]),
        ("consistency findings", n["findings"]),
        *((f"  {rule}", count) for rule, count in findings),
    ]
    _print_table(None, ["", "count"], summary)
    _print_ingest_errors(errors, n)
    for line in retries:
        _console().print(line, highlight=False)
    if strict and n["failed_files"]:
        raise click.ClickException(
            f"--strict: {n['failed_files']} files failed to load (listed above and in "
            "marts.ingest_error); the warehouse was published without them"
        )


def _retries(warehouse: Path) -> list[str]:
    """What the next builds try again of the files that failed."""
    import duckdb

    from orchestration.fingerprint import read_published

    try:
        published = read_published(warehouse)
    except duckdb.Error:
        return []
    lines = []
    if published.retry_next_build:
        lines.append(
            f"{published.retry_next_build} of the failed files are tried again by the next "
            "build (an unexpected error, a worker that died, unreadable or changed meanwhile)."
        )
    if published.timed_out:
        lines.append(
            f"{published.timed_out} timed out and stay failed: `disclosure build --retry-failed` "
            "parses them again."
        )
    return lines


def _print_ingest_errors(errors: list[tuple[str, str, str]], n: dict[str, int], limit: int = 20):
    """The files not in the marts, failures first, and a one-line verdict."""
    if not errors:
        return
    from orchestration.summary import CONFLICT, DEDUPLICATE

    errors = sorted(errors, key=lambda e: (e[1] in (DEDUPLICATE, CONFLICT), e[0]))
    more = len(errors) - limit
    table = Table(
        title="Files not loaded" + (f" (first {limit})" if more > 0 else ""),
        header_style="bold",
        title_justify="left",
    )
    table.add_column("file", overflow="fold")
    table.add_column("stage", no_wrap=True)
    table.add_column("reason", overflow="fold", ratio=1)
    for row in errors[:limit]:
        table.add_row(*row)
    _console().print(table)
    if more > 0:
        _console().print(f"… and {more} more: select * from marts.ingest_error", highlight=False)
    failed, duplicates = n["failed_files"], n["duplicates"]
    _console().print(
        f"{failed} file{'s' * (failed != 1)} failed, "
        f"{duplicates} duplicate report{'s' * (duplicates != 1)} left out"
        + (
            f", {n['conflicts']} conflicting (consistency_finding rule duplicate_conflict)"
            if n["conflicts"]
            else ""
        ),
        highlight=False,
    )


def _warehouse_option(command):
    return click.option(
        "--warehouse",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar=ENV_WAREHOUSE,
        help=f"Published warehouse file [env {ENV_WAREHOUSE}].",
    )(command)


def _format_option(command):
    from orchestration.output import FORMATS

    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table to read; csv, json or markdown for other programs and documents.",
    )(command)


FORMATS_HELP = """
\b
Formats (--format):
  table     a table; NULL is a dim NULL, an empty string prints as nothing.
            The rows of a query wider than the terminal print as one block
            of `column: value` lines per row (query --vertical: always).
  csv       a header, then the rows: text, dates and other non-numeric
            values quoted, numbers and booleans bare, NULL an empty
            unquoted field, so '' is "" and NULL is nothing (DuckDB reads
            it back with read_csv(..., allow_quoted_nulls = false)).
  json      an array of one object per row: NULL is null, numbers are
            numbers, dates and times ISO 8601 strings, Chinese as is.
  markdown  a GitHub table: NULL is NULL, | is escaped.
"""


def _print_rows(
    columns: list[str],
    rows,
    fmt: str,
    vertical: bool = False,
    wrap: str | None = None,
) -> None:
    """Rows in `fmt` on stdout (orchestration/output.py). The table turns into
    one block per row when wider than the terminal, unless `wrap` names a
    column whose text may fold onto more lines instead."""
    from orchestration import output

    if fmt != "table":
        output.WRITERS[fmt](columns, rows, sys.stdout)
        return
    rows = list(rows)
    console, width = _console(), _terminal_width()
    needed = output.table_width(columns, rows)
    wide = wrap is None and width is not None and needed > width
    if vertical or wide:
        output.print_vertical(console, columns, rows)
        if wide and not vertical:
            console.print(
                f"[dim]the rows are {needed} columns wide, the terminal {width}: "
                "one block per row[/dim]"
            )
    else:
        console.print(output.table(columns, rows, wrap=wrap))


def _note(fmt: str, message: str) -> None:
    """A remark after the result: on stdout under a table, on stderr otherwise
    (stdout holds only the CSV, JSON or Markdown)."""
    (_console() if fmt == "table" else err).print(f"[dim]{message}[/dim]", highlight=False)


@main.command(epilog=FORMATS_HELP)
@click.argument("sql")
@_warehouse_option
@_format_option
@click.option(
    "--max-rows",
    type=click.IntRange(min=0),
    default=None,
    help="Rows to print at most, 0 for all [default: 200 for the table, all for the others].",
)
@click.option(
    "--vertical", is_flag=True, help="The table as one block of `column: value` lines per row."
)
def query(sql: str, warehouse: Path | None, fmt: str, max_rows: int | None, vertical: bool):
    """Run SQL against the published warehouse (read-only) and print the result.

    One statement at a time (SET statements may come before it). The marts
    come first on the search path: `select * from dim_report`, `show tables`.
    Only reading statements run, and nothing but the warehouse is reachable:
    no other file, no extension, no change to the settings.
    """
    import duckdb

    from orchestration import query as sandbox
    from orchestration.output import Rows

    if vertical and fmt != "table":
        raise click.UsageError("--vertical lays out the table: it goes with --format table")
    limit = (200 if fmt == "table" else 0) if max_rows is None else max_rows
    path = Settings.from_env(warehouse=warehouse).warehouse_path
    with _open_warehouse(path) as con:
        try:
            cursor = sandbox.run(con, sql)
            if cursor.description is None:
                _note(fmt, "ok (no result set)")
                return
            rows = Rows(cursor, limit)
            _print_rows([d[0] for d in cursor.description], rows, fmt, vertical=vertical)
        except (duckdb.Error, sandbox.NotReading, sandbox.NotOneStatement) as e:
            raise click.ClickException(str(e)) from e
    if rows.more:
        _note(fmt, f"more than {limit} rows; --max-rows N shows more, --max-rows 0 all")


@main.command(epilog=FORMATS_HELP)
@_warehouse_option
@_format_option
def tables(warehouse: Path | None, fmt: str):
    """Every table and view of the published warehouse, the marts first: schema,
    name, kind, rows (of a table) and description."""
    import duckdb

    from orchestration import query as sandbox

    path = Settings.from_env(warehouse=warehouse).warehouse_path
    with _open_warehouse(path) as con:
        try:
            found = sandbox.relations(con)
        except duckdb.Error as e:
            raise click.ClickException(str(e)) from e
    _print_rows(
        ["schema", "name", "kind", "rows", "description"],
        [(r.schema, r.name, r.kind, r.rows, r.description) for r in found],
        fmt,
        wrap="description",
    )


@main.command(epilog=FORMATS_HELP)
@click.argument("table")
@_warehouse_option
@_format_option
def describe(table: str, warehouse: Path | None, fmt: str):
    """The columns of TABLE, a table or view: name, type, nullable, description.

    TABLE is `schema.name`, or `name`: looked for in the marts first, then in
    the other schemas.
    """
    import duckdb

    from orchestration import query as sandbox

    path = Settings.from_env(warehouse=warehouse).warehouse_path
    with _open_warehouse(path) as con:
        try:
            relation = sandbox.find_relation(con, table)
            columns = sandbox.columns(con, relation)
        except sandbox.UnknownRelation as e:
            raise click.ClickException(str(e)) from None
        except duckdb.Error as e:
            raise click.ClickException(str(e)) from e
    if fmt == "table":
        size = "" if relation.rows is None else f", {relation.rows} rows"
        heading = f"{relation.qualified} ({relation.kind}{size})"
        if relation.description:
            heading += f": {relation.description}"
        _console().print(heading, markup=False, highlight=False)
    _print_rows(["column", "type", "nullable", "description"], columns, fmt, wrap="description")


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True
)
@_warehouse_option
def export(out_dir: Path, fmt: str, warehouse: Path | None):
    """Write every mart of the published warehouse to OUT_DIR, one file per table."""
    import duckdb

    from orchestration.query import export_marts

    path = Settings.from_env(warehouse=warehouse).warehouse_path
    _open_warehouse(path).close()  # a clear message when there is none
    try:
        done = export_marts(path, out_dir, fmt)
    except (duckdb.Error, OSError, ValueError) as e:
        raise click.ClickException(f"export to {out_dir} failed: {e}") from e
    _print_table(
        f"{len(done)} marts written to {out_dir}",
        ["table", "rows", "file"],
        [(e.table, e.rows, e.path.name) for e in done],
    )


@main.command()
@click.option(
    "--sources",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help=f"CSV of sources (columns name, listing_url, ...) [env {ENV_COLLECT_SOURCES}].",
)
@click.option(
    "--raw",
    "raw_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Folder to collect into, one subfolder per source [env {ENV_RAW}; default raw/].",
)
@click.option("--source", "only", help="Collect only the source of this name.")
def collect(sources: Path | None, raw_dir: Path | None, only: str | None):
    """Download new reports from the sources' websites into the raw folder.

    Politely: robots.txt obeyed, one request at a time per host, conditional
    requests for what was fetched before. `disclosure build` then reads what
    was collected; each file's URL reaches marts.dim_report (source_url).
    """
    import logging

    from orchestration.assets.collect import run_collection
    from orchestration.collect import SourcesError

    settings = Settings.from_env(raw_dir=raw_dir, collect_sources=sources)
    if not settings.collect_sources:
        raise click.ClickException(
            f"no sources file: pass --sources FILE or set {ENV_COLLECT_SOURCES}"
        )
    log = logging.getLogger("disclosure.collect")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    try:
        summary = run_collection(settings, log, only=only)
    except SourcesError as e:
        raise click.ClickException(str(e)) from None
    rows = summary.source_rows()
    columns = ["source", "pages_fetched", "new_files", "changed_files", "unchanged_files"]
    columns += ["failed", "skipped", "error"]
    _print_table("Collected", columns, [tuple(r[c] for c in columns) for r in rows])
    failures = [r for r in summary.rows() if r["outcome"] == "failed"]
    if failures:
        _print_table(
            "Not collected",
            ["source", "url", "http_status", "reason"],
            [(f["source"], f["url"], f["http_status"], f["reason"]) for f in failures],
        )
    _console().print(
        f"{len(summary.new_files)} new, {len(summary.changed_files)} changed, "
        f"{len(summary.unchanged_files)} unchanged, {summary.failed} failed, in "
        f"{settings.raw_dir}. `disclosure build` loads them.",
        highlight=False,
    )


if __name__ == "__main__":
    sys.exit(main())
