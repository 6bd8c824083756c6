"""A folder collected from a website, built: every report knows its URL."""

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.settings import (
    ENV_COLLECT_DELAY,
    ENV_COLLECT_TIMEOUT,
    ENV_MAX_FILE_MB,
    ENV_RAW,
    ENV_WAREHOUSE,
    MB,
)

# The test site of tests/test_collect.py, on loopback, with its guard against any other address.
from tests.test_collect import LIMIT, LISTING, documents, loopback_only, site  # noqa: F401

pytestmark = pytest.mark.e2e


def test_a_collected_folder_builds_with_the_source_url_of_every_report(site, tmp_path):  # noqa: F811
    raw, sources = tmp_path / "raw", tmp_path / "sources.csv"
    sources.write_text(f"name,listing_url,max_pages\n测试县,{site.base}{LISTING},3\n")
    env = {ENV_COLLECT_DELAY: "0", ENV_COLLECT_TIMEOUT: "1", ENV_RAW: str(raw)}
    env[ENV_MAX_FILE_MB] = str(LIMIT / MB)  # the site's oversized files are over it
    env[ENV_WAREHOUSE] = str(tmp_path / "warehouse" / "disclosure.duckdb")
    collected = CliRunner().invoke(main, ["collect", "--sources", str(sources)], env=env)
    assert collected.exit_code == 0, collected.output
    assert "6 new, 0 changed, 0 unchanged" in collected.output

    built = CliRunner().invoke(main, ["build", "--no-progress"], env=env)
    assert built.exit_code == 0, built.output
    with duckdb.connect(env[ENV_WAREHOUSE], read_only=True) as con:
        reports = con.execute(
            "select source_path, source_url, source_referring_page from marts.dim_report"
        ).fetchall()
        failures = con.execute(
            "select outcome, count(*) from marts.collect_failure group by 1 order by 1"
        ).fetchall()
        unloaded = con.execute(
            "select count(*) from marts.ingest_error where source_path like '测试县/%'"
        ).fetchone()[0]
    assert reports and all(url.startswith(site.base) for _, url, _ in reports), reports
    assert all(path.startswith("测试县/") for path, _, _ in reports)
    # Every collected file is a report in the warehouse or a file it lists as not loaded.
    assert len(reports) + unloaded == 6
    assert dict(failures)["failed"] >= 5  # 404, timeout, redirect loop, oversized, error page
