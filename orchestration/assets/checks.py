"""Asset checks written in Python (the dbt tests are asset checks of their own).

`findings_by_rule` (on marts/consistency_finding) counts the findings per rule. Findings are
facts about the sources (a report that contradicts itself), not failures of the
build: the check always passes (severity WARN: it is never an error) and reports
the counts per rule and the first findings as metadata.

It is `blocking` only so that Dagster orders it: the published_warehouse step
waits for it (a blocking check adds an execution dependency to the assets
downstream of the one it checks), so it reads the build database before the
publish step checkpoints and copies that file. A passing check never blocks;
an exception in the check (the database cannot be opened) would fail its step
and so leave the old warehouse published, like any failed step.
"""

import dagster as dg

from orchestration.assets.metadata import table_preview
from orchestration.settings import Settings

CONSISTENCY_FINDING = dg.AssetKey(["marts", "consistency_finding"])

PREVIEW_COLUMNS = [
    "rule",
    "organization",
    "report_year",
    "indicator_code",
    "applicant_type",
    "expected",
    "actual",
    "cells",
]


def findings_summary(settings: Settings) -> tuple[dict[str, int], dg.MetadataValue]:
    """(findings per rule, the first findings as table metadata), read from the
    build database with a read-only connection closed before returning."""
    with settings.connect(read_only=True) as con:
        counts = dict(
            con.execute(
                "select rule, count(*) from marts.consistency_finding group by rule order by rule"
            ).fetchall()
        )
        first = con.sql(
            f"select {', '.join(PREVIEW_COLUMNS)} "
            "from marts.consistency_finding f left join marts.dim_report r using (report_id) "
            "order by rule, organization, report_year, indicator_code, applicant_type "
            "limit 20"
        ).pl()
    return counts, table_preview(first, rows=20)


@dg.asset_check(
    asset=CONSISTENCY_FINDING,
    name="findings_by_rule",
    blocking=True,
    description=(
        "Counts the consistency findings per rule (reports that contradict themselves). "
        "Always passes (severity WARN): findings are facts about the sources, not failures."
    ),
)
def consistency_findings_by_rule(
    context: dg.AssetCheckExecutionContext, settings: Settings
) -> dg.AssetCheckResult:
    counts, first = findings_summary(settings)
    total = sum(counts.values())
    if total:
        context.log.info(f"{total} consistency findings: {counts}")
    return dg.AssetCheckResult(
        passed=True,
        # Never an error: a finding is about the source, the build is fine.
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{total} findings in the sources" if total else "no report contradicts itself"
        ),
        metadata={
            "findings": total,
            **{f"findings/{rule}": n for rule, n in counts.items()},
            "first_findings": first,
        },
    )
