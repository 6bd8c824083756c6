"""The page's second section: the consistency findings per rule and per
report (stacked bars, one colour per rule), and the findings themselves."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from orchestration.pictures.data import WarehouseData
from orchestration.pictures.labels import RULES, all_rules, rule_colors
from orchestration.pictures.svg import Bar, hbar_svg
from orchestration.pictures.text import cut, e, num

MAX_FINDING_REPORTS = 30
MAX_FINDING_ROWS = 200


class FindingsSection(NamedTuple):
    html: str
    reports: int  # reports with at least one finding


@dataclass(frozen=True)
class Rules:
    """Every rule (the known ones, then any other found), its count and colour."""

    names: list[str]
    counts: Counter
    colors: dict[str, str]

    @classmethod
    def of(cls, findings: list[dict]) -> Rules:
        counts = Counter(f["rule"] for f in findings)
        names = all_rules(set(counts))
        return cls(names, counts, rule_colors(names))

    def color(self, rule: str) -> str:
        return self.colors[rule]


@dataclass
class _Report:
    finding: dict  # its first finding, for the report's columns
    rules: Counter = field(default_factory=Counter)


def findings_section(data: WarehouseData) -> FindingsSection:
    rules = Rules.of(data.findings)
    reports = _by_report(data.findings)
    section = (
        "<div class=pair>"
        f"<div><h3>按规则 per rule</h3>{_per_rule(rules)}</div>"
        f"<div><h3>按报告 per report</h3>{_per_report(reports, rules)}</div>"
        f"</div>{_detail(data.findings)}"
    )
    return FindingsSection(section, len(reports))


def _per_rule(rules: Rules) -> str:
    """One bar per rule, those that hold with 0."""
    bars = [
        Bar(
            rule,
            f"{rule}  {RULES.get(rule, '')}".strip(),
            RULES.get(rule, rule),
            {rule: rules.counts[rule]},
        )
        for rule in rules.names
    ]
    return hbar_svg(bars, rules.color, "findings-rule")


def _by_report(findings: list[dict]) -> dict[str, _Report]:
    reports: dict[str, _Report] = {}
    for f in findings:
        reports.setdefault(f["report_id"], _Report(f)).rules[f["rule"]] += 1
    return reports


def _per_report(reports: dict[str, _Report], rules: Rules) -> str:
    """The reports with the most findings, one bar each, split by rule."""
    if not reports:
        return "<p class=empty>没有报告违反一致性规则。</p>"
    ranked = sorted(
        reports.items(),
        key=lambda kv: (-sum(kv[1].rules.values()), kv[1].finding["organization"] or "~", kv[0]),
    )
    shown = ranked[:MAX_FINDING_REPORTS]
    bars = [_report_bar(rid, report, rules) for rid, report in shown]
    legend = "".join(
        f'<span class=sw style="background:{rules.color(r)}"></span>{e(r)} '
        for r in rules.names
        if rules.counts[r]
    )
    html = f"<div class=legend>{legend}</div>" + hbar_svg(bars, rules.color, "findings-report")
    if len(ranked) > len(shown):
        html += f"<p class=note>共 {len(ranked)} 份报告有问题，此处列出最多的 {len(shown)} 份。</p>"
    return html


def _report_bar(rid: str, report: _Report, rules: Rules) -> Bar:
    f = report.finding
    label = f"{cut(f['organization'] or f['source_path'] or rid, 22)} {f['report_year'] or ''}"
    tip = f"{f['title'] or f['organization'] or ''} ({f['source_path'] or rid})"
    segments = {rule: report.rules[rule] for rule in rules.names if report.rules[rule]}
    return Bar(rid, label.strip(), tip, segments)


def _detail(findings: list[dict]) -> str:
    """The findings themselves (the first MAX_FINDING_ROWS), folded when many."""
    if not findings:
        return ""
    rows = "".join(_detail_row(f) for f in findings[:MAX_FINDING_ROWS])
    more = ""
    if len(findings) > MAX_FINDING_ROWS:
        more = (
            f"<p class=note>只列出前 {MAX_FINDING_ROWS} 条，共 {len(findings)} 条："
            "完整内容见 marts.consistency_finding。</p>"
        )
    return (
        f"<details{' open' if len(findings) <= 30 else ''}>"
        "<summary>问题明细 (marts.consistency_finding)</summary>"
        "<table class=findings><tr><th>报告</th><th>年度</th><th>规则 rule</th><th>指标</th>"
        "<th>expected</th><th>actual</th><th>difference</th><th>cells</th></tr>"
        f"{rows}</table>{more}</details>"
    )


def _detail_row(f: dict) -> str:
    return (
        "<tr>"
        f"<td>{e(f['organization'] or f['source_path'])}<div class=sub>{e(f['title'])}</div></td>"
        f"<td>{e(f['report_year'])}</td><td>{e(f['rule'])}</td>"
        f"<td>{e(f['indicator_code'])}<div class=sub>{e(f['applicant_type'])}</div></td>"
        f"<td class=n>{e(num(f['expected']))}</td><td class=n>{e(num(f['actual']))}</td>"
        f"<td class=n>{e(num(f['difference']))}</td><td class=cells>{e(f['cells'])}</td>"
        "</tr>"
    )
