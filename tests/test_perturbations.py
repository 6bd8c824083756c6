"""Layout variants and damaged tables: every value that lands is right, the rest are issues.

The report is built here as tab-separated text (as copied from a web page), with a
distinct value in every matrix cell so that a value in the wrong cell cannot go unseen.
"""

import pytest

from orchestration.extract import extract_bytes

pytestmark = pytest.mark.unit

APPLICANTS = [
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_org",
    "legal_service_org",
    "other_org",
    "total",
]
MATRIX_2019 = [
    ("一、本年新收政府信息公开申请数量", "a_new"),
    ("二、上年结转政府信息公开申请数量", "a_carried_in"),
    ("三、本年度办理结果\t（一）予以公开", "a_granted"),
    ("\t（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "a_partial"),
    ("\t（三）不予公开\t1.属于国家秘密", "a_denied_state_secret"),
    ("\t\t2.其他法律行政法规禁止公开", "a_denied_other_law"),
    ("\t\t3.危及“三安全一稳定”", "a_denied_security_stability"),
    ("\t\t4.保护第三方合法权益", "a_denied_third_party"),
    ("\t\t5.属于三类内部事务信息", "a_denied_internal_affairs"),
    ("\t\t6.属于四类过程性信息", "a_denied_process_info"),
    ("\t\t7.属于行政执法案卷", "a_denied_enforcement_file"),
    ("\t\t8.属于行政查询事项", "a_denied_admin_query"),
    ("\t（四）无法提供\t1.本机关不掌握相关政府信息", "a_unable_not_held"),
    ("\t\t2.没有现成信息需要另行制作", "a_unable_needs_creation"),
    ("\t\t3.补正后申请内容仍不明确", "a_unable_unclear"),
    ("\t（五）不予处理\t1.信访举报投诉类申请", "a_rejected_petition"),
    ("\t\t2.重复申请", "a_rejected_repeat"),
    ("\t\t3.要求提供公开出版物", "a_rejected_publication"),
    ("\t\t4.无正当理由大量反复申请", "a_rejected_mass"),
    ("\t\t5.要求行政机关确认或重新出具已获取信息", "a_rejected_confirm"),
]
OTHER_2019 = [("\t（六）其他处理", "a_other")]
OTHER_2021 = [
    (
        "\t（六）其他处理\t1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "a_other_no_amendment",
    ),
    (
        "\t\t2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "a_other_no_fee",
    ),
    ("\t\t3.其他", "a_other_misc"),
]
TAIL = [("\t（七）总计", "a_processed"), ("四、结转下年度继续办理", "a_carried_out")]

SECTION2_2021 = """二、主动公开政府信息情况
第二十条第（一）项
信息内容\t本年制发件数\t本年废止件数\t现行有效件数
规章\t0\t0\t0
行政规范性文件\t3\t1\t25
第二十条第（五）项
信息内容\t本年处理决定数量
行政许可\t1024
第二十条第（六）项
信息内容\t本年处理决定数量
行政处罚\t57
行政强制\t2
第二十条第（八）项
信息内容\t本年收费金额（单位：万元）
行政事业性收费\t12.35
"""
SECTION4 = """四、政府信息公开行政复议、行政诉讼情况
行政复议\t\t\t\t\t行政诉讼
结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉
\t\t\t\t\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计
1\t2\t0\t1\t4\t0\t1\t0\t0\t1\t2\t0\t0\t0\t2
"""
REVIEW_CODES = [
    "review_upheld",
    "review_corrected",
    "review_other",
    "review_pending",
    "review_total",
    "lit_direct_upheld",
    "lit_direct_corrected",
    "lit_direct_other",
    "lit_direct_pending",
    "lit_direct_total",
    "lit_after_review_upheld",
    "lit_after_review_corrected",
    "lit_after_review_other",
    "lit_after_review_pending",
    "lit_after_review_total",
]


def build(rows, *, subtotal=False, before_matrix="", drop=None):
    """A 2021 report; returns its bytes and the expected {(code, applicant): value}."""
    header = [
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t\t\t申请人情况",
        "\t\t\t自然人\t法人或其他组织" + "\t" * (6 if subtotal else 5) + "总计",
        "\t\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他"
        + ("\t小计" if subtotal else ""),
    ]
    expected, lines = {}, []
    for r, (label, code) in enumerate(rows):
        vals = [r * 10 + c for c in range(6)]
        vals.append(sum(vals))
        cells = [str(v) for v in vals]
        if subtotal:
            cells.insert(6, str(sum(vals[1:6])))
        if drop is not None and drop[0] == code:
            del cells[drop[1]]
        else:
            expected.update({(code, a): float(v) for a, v in zip(APPLICANTS, vals)})
        lines.append(label + "\t" * (3 - label.count("\t")) + "\t".join(cells))
    text = "\n".join(
        [
            "西吉县人民政府2021年政府信息公开工作年度报告",
            "一、总体情况",
            "2021年，西吉县扎实推进政务公开。",
            SECTION2_2021,
            "三、收到和处理政府信息公开申请情况",
            before_matrix,
            *header,
            *lines,
            SECTION4,
            "五、存在的主要问题及改进情况",
            "无。",
        ]
    )
    return text.encode("utf-8"), expected


def values(x):
    return {(c.indicator_code, c.applicant_type): c.value for c in x.cells if c.indicator_code}


def test_gov2021_report_every_cell():
    data, expected = build(MATRIX_2019 + OTHER_2021 + TAIL)
    x = extract_bytes(data, "xiji_2021.txt")
    got = values(x)
    assert x.template == "gov2021" and not x.issues
    assert {k: got.get(k) for k in expected} == expected
    assert got[("p_normdocs_in_force", "total")] == 25 and got[("p_fee_amount", "total")] == 12.35
    assert next(c.unit for c in x.cells if c.indicator_code == "p_fee_amount") == "万元"
    assert [got[(c, "total")] for c in REVIEW_CODES] == [
        1,
        2,
        0,
        1,
        4,
        0,
        1,
        0,
        0,
        1,
        2,
        0,
        0,
        0,
        2,
    ]
    assert x.identity.region_code == "640422" and x.identity.report_year == 2021


def test_year_in_the_prose_just_before_the_matrix():
    data, expected = build(
        MATRIX_2019 + OTHER_2021 + TAIL,
        before_matrix="2021\n（2021年度）\n注：单位为件，2021年1月1日起统计。",
    )
    x = extract_bytes(data, "x.txt")
    got = values(x)
    assert {k: got.get(k) for k in expected} == expected and not x.issues


def test_one_cell_deleted_leaves_that_row_null_and_reports_it():
    data, expected = build(MATRIX_2019 + OTHER_2021 + TAIL, drop=("a_denied_third_party", 3))
    x = extract_bytes(data, "x.txt")
    got = values(x)
    assert {k: got.get(k) for k in expected} == expected
    assert not any(code == "a_denied_third_party" and v is not None for (code, _), v in got.items())
    (issue,) = x.issues
    assert "4.保护第三方合法权益" in issue.reason and issue.source_locator.startswith("line ")


def test_2019_one_row_other_handling_in_a_2021_report():
    data, expected = build(MATRIX_2019 + OTHER_2019 + TAIL)
    x = extract_bytes(data, "x.txt")
    got = values(x)
    assert {k: got.get(k) for k in expected} == expected and not x.issues
    assert got[("a_other", "total")] == expected[("a_other", "total")]
    assert ("a_other_misc", "total") not in got


def test_eight_column_matrix_with_legal_person_subtotal():
    data, expected = build(MATRIX_2019 + OTHER_2021 + TAIL, subtotal=True)
    x = extract_bytes(data, "x.txt")
    got = values(x)
    assert {k: got.get(k) for k in expected} == expected and not x.issues
    subtotal = [c for c in x.cells if c.column_label == "小计" and c.row_label.endswith("予以公开")]
    assert [c.value for c in subtotal] == [sum(20 + i for i in range(1, 6))]
    assert all(c.indicator_code is None for c in subtotal)  # derivable, kept as uncatalogued


def test_subtotal_rows_for_groups_are_kept_but_not_catalogued():
    rows = []
    for label, code in MATRIX_2019 + OTHER_2021 + TAIL:
        if "\t1." in label:  # a subtotal row of its own before each group's first reason
            group, first = label.rsplit("\t", 1)
            rows += [(group, None), ("\t\t" + first, code)]
        else:
            rows.append((label, code))
    data, expected = build(
        [(label, code or f"subtotal{i}") for i, (label, code) in enumerate(rows)]
    )
    expected = {k: v for k, v in expected.items() if not k[0].startswith("subtotal")}
    x = extract_bytes(data, "x.txt")
    got = values(x)
    assert {k: got.get(k) for k in expected} == expected and not x.issues
    subtotals = {c.row_label for c in x.cells if c.indicator_code is None}
    assert subtotals == {"（三）不予公开", "（四）无法提供", "（五）不予处理"}
    # （六）其他处理 on a row of its own is the 2019 indicator a_other, whatever the sub-rows.
    assert next(c.row_label for c in x.cells if c.indicator_code == "a_other") == "（六）其他处理"


def test_gov2008_table_with_one_cell_per_line():
    """Text copied cell by cell (label, unit and value each on a line; a blank cell an
    empty line): every value lands, blanks stay NULL, bare numbers are not page numbers."""
    import csv
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    gold = {}
    for g in csv.DictReader(open(root / "tests" / "gold" / "seed_values.csv", encoding="utf-8")):
        gold.setdefault(g["report"], {})[(g["code"], g["applicant_type"])] = (
            None if g["value"] == "" else float(g["value"])
        )
    for stem in ("000_0fd2e533e51a0851", "004_81756f01c13aa782"):
        lines = []
        for line in (root / "raw" / f"{stem}.txt").read_text(encoding="utf-8").splitlines():
            lines += line.split("\t") if "\t" in line else [line]
        x = extract_bytes("\n".join(lines).encode("utf-8"), f"{stem}.txt")
        assert {k: values(x).get(k) for k in gold[stem]} == gold[stem]
