"""Rules that place a value without a full row to check it against: each one places only
what the source determines, and says so in an extraction issue."""

import pytest

from orchestration.extract import extract_bytes
from tests.test_perturbations import APPLICANTS, MATRIX_2019, OTHER_2021, TAIL, build

pytestmark = pytest.mark.unit


def _pipe_report_cut_after(code: str, cells: list[str], closing: str) -> bytes:
    """The 2021 test report as pipe rows, the text stopping on `code`'s row after `cells`."""
    text = build(MATRIX_2019 + OTHER_2021 + TAIL)[0].decode("utf-8")
    label = dict((c, lbl) for lbl, c in MATRIX_2019)[code].strip("\t").split("\t")[-1]
    head = text[: text.index(label)]
    lines = [
        " | ".join(c for c in line.split("\t")) + " |" if "\t" in line else line
        for line in head.splitlines()
    ]
    return ("\n".join(lines) + "\n" + " | ".join([label, *cells]) + closing).encode("utf-8")


def _values(x, code):
    return {c.applicant_type: c.value for c in x.cells if c.indicator_code == code}


def test_row_cut_off_by_the_end_of_the_text_keeps_its_first_cells():
    x = extract_bytes(
        _pipe_report_cut_after("a_denied_enforcement_file", ["5", "0", "2"], " |"), "cut.txt"
    )
    got = _values(x, "a_denied_enforcement_file")
    assert got == {
        "natural_person": 5,
        "commercial_enterprise": 0,
        "research_institution": 2,
        "social_welfare_org": None,
        "legal_service_org": None,
        "other_org": None,
        "total": None,
    }
    (issue,) = [i for i in x.issues if "cut off" in i.reason]
    assert "7.属于行政执法案卷" in issue.reason and "3 cells" in issue.reason
    # the rows before it are whole
    assert _values(x, "a_new") == {a: float(c) for a, c in zip(APPLICANTS, [0, 1, 2, 3, 4, 5, 15])}


def test_a_last_cell_without_its_closing_pipe_is_never_placed():
    x = extract_bytes(
        _pipe_report_cut_after("a_denied_enforcement_file", ["5", "0", "1"], ""), "cut.txt"
    )
    got = {a: v for a, v in _values(x, "a_denied_enforcement_file").items() if v is not None}
    assert got == {"natural_person": 5, "commercial_enterprise": 0}  # '1' may be the start of 12


def test_a_short_row_inside_the_table_is_not_placed_from_the_left():
    text = _pipe_report_cut_after("a_denied_enforcement_file", ["5", "0", "2"], " |").decode(
        "utf-8"
    )
    text += "\n8.属于行政查询事项 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n五、存在的主要问题及改进情况\n无。"
    x = extract_bytes(text.encode("utf-8"), "short.txt")
    assert all(v is None for v in _values(x, "a_denied_enforcement_file").values())
    assert any(
        "7.属于行政执法案卷" in i.reason and "3 values for 7 columns" in i.reason for i in x.issues
    )


CRAWLER_2012 = (
    "平潭县人民政府2012年政府信息公开工作年度报告\n"
    "一、概述 2012年，我县扎实推进政府信息公开工作。\n"
    "附表：2012年政府信息公开情况统计表 指标名称计量单位2012年度历年累计"
    "受理依申请公开信息总数条2121其中：1.当面申请数条1818"
    "对申请的答复数条2121其中：1.同意公开答复数条17172.同意部分公开答复数条223.否决公开答复数条22"
    "行政复议数条00\n"
)


def test_glued_total_settled_by_the_sum_of_its_parts():
    """'对申请的答复数条2121' reads 21|21 or 2|121; its parts (at least 2 + 2) rule out 2.
    '同意公开答复数条17172.' reads 17|17 or 1|717: both fit 21 - 2 - 2, so it stays NULL."""
    x = extract_bytes(CRAWLER_2012.encode("utf-8"), "pingtan.txt")
    got = {c.indicator_code: c.value for c in x.cells if c.indicator_code}
    assert (got["a_answered"], got["a_partial"], got["a_denied"]) == (21, 2, 2)
    assert got["a_granted"] is None
    assert not any("对申请的答复数" in i.reason for i in x.issues)
    assert any("同意公开答复数" in i.reason and "readings" in i.reason for i in x.issues)


def test_glued_total_stays_null_when_its_parts_do_not_decide():
    text = CRAWLER_2012.replace(
        "其中：1.同意公开答复数条17172.同意部分公开答复数条223.否决公开答复数条22", ""
    )
    x = extract_bytes(text.encode("utf-8"), "pingtan.txt")
    got = {c.indicator_code: c.value for c in x.cells if c.indicator_code}
    assert got["a_answered"] is None
    assert any("对申请的答复数" in i.reason and "readings" in i.reason for i in x.issues)


def _report_without_labels(*labels: str) -> tuple[bytes, dict]:
    data, expected = build(MATRIX_2019 + OTHER_2021 + TAIL)
    text = data.decode("utf-8")
    for label in labels:
        assert label in text
        text = text.replace(label, "")
    return text.encode("utf-8"), expected


def test_rows_that_lost_their_labels_are_placed_by_the_template_order():
    """Two neighbouring rows print only their numbers; the template has exactly two rows
    there, and each row's total is the sum of its six columns: they are those rows."""
    data, expected = _report_without_labels("4.保护第三方合法权益", "5.属于三类内部事务信息")
    x = extract_bytes(data, "x.txt")
    got = {(c.indicator_code, c.applicant_type): c for c in x.cells if c.indicator_code}
    for code in ("a_denied_third_party", "a_denied_internal_affairs"):
        assert {a: got[(code, a)].value for a in APPLICANTS} == {
            a: expected[(code, a)] for a in APPLICANTS
        }
        assert {got[(code, a)].match_method for a in APPLICANTS} == {"template_order"}
    assert got[("a_denied_process_info", "total")].match_method == "label"
    placed = [i for i in x.issues if "template's row order" in i.reason]
    assert len(placed) == 2 and "4.保护第三方合法权益" in placed[0].reason


def test_unlabelled_rows_are_not_placed_when_the_count_does_not_fit():
    """One label lost and the next row dropped: two value rows where the template has one."""
    data, _ = _report_without_labels("4.保护第三方合法权益")
    text = data.decode("utf-8").replace("5.属于三类内部事务信息", "")
    text = text.replace("6.属于四类过程性信息", "")  # three unlabelled rows before 7.
    lines = text.splitlines()
    drop = next(
        i for i, ln in enumerate(lines) if ln.startswith("\t\t\t") and ln.split("\t")[3] == "80"
    )
    del lines[drop]  # the row of 5. gone entirely: 2 value rows for 3 template rows
    x = extract_bytes("\n".join(lines).encode("utf-8"), "x.txt")
    codes = {c.indicator_code for c in x.cells if c.value is not None}
    assert not codes & {
        "a_denied_third_party",
        "a_denied_internal_affairs",
        "a_denied_process_info",
    }
    assert any("no row label" in i.reason for i in x.issues)
