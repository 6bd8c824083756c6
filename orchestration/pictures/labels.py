"""What the pictures call the warehouse's series, templates, levels and rules,
and the colours they draw them in."""

from __future__ import annotations

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


def template_color(template: str | None) -> str:
    return TEMPLATE_COLORS.get(template, "#888")


def rule_colors(rules: list[str]) -> dict[str, str]:
    return {rule: RULE_COLORS[i % len(RULE_COLORS)] for i, rule in enumerate(rules)}


def all_rules(found: set[str]) -> list[str]:
    """The known rules in their order, then any other rule found, sorted."""
    return list(RULES) + sorted(found - set(RULES))


def region_label(row: dict) -> str:
    return row.get("region_name") or "（未知地区）"
