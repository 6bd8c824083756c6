"""The HTML and DOCX readers, end to end through `extract_bytes`.

Each test document is built here from one table spec (HTML style: a cell
lists its rowspan/colspan and covered positions are absent from later rows),
rendered as an HTML page (UTF-8, or GBK declared gb2312) and as a DOCX with
merged cells, so both readers must lay merged cells on the same grid.
"""

from __future__ import annotations

import io

import docx
import pytest

from orchestration.extract import extract_bytes
from orchestration.extract.readers import read_document
from orchestration.extract.readers.text import rows_from_text

pytestmark = pytest.mark.unit

# ------------------------------------------------------------------ documents

# A cell: "text" or (text, rowspan, colspan).
TITLE_2008 = "贺兰县2018年政府信息公开工作年度报告"
GOV2008 = [
    ["统计指标", "单位", "统计数"],
    ["一、主动公开情况", "——", ""],
    ["（一）主动公开政府信息数\n（不同渠道和方式公开相同信息计1条）", "条", "17330"],
    ["其中：主动公开规范性文件数", "条", "4"],
    ["制发规范性文件总数", "件", ""],  # blank: unknown, not zero
    ["（二）通过不同渠道和方式公开政府信息的情况", "——", ""],
    ["1.政府公报公开政府信息数", "条", "280"],
    ["2.政府网站公开政府信息数", "条", "15033"],
    ["三、依申请公开情况", "——", ""],
    ["（一）收到申请数", "件", "19"],
    ["1.当面申请数", "件", "5"],
    ["四、行政复议数量", "件", "0"],
    ["九、政府信息公开会议和培训情况", "——", ""],
    ["（三）接受培训人员数", "人次", "1300"],
]
GOV2008_WANT = {
    "p_total": 17330,
    "p_normdocs_disclosed": 4,
    "p_normdocs_issued": None,
    "p_via_gazette": 280,
    "p_via_website": 15033,
    "a_received": 19,
    "a_received_in_person": 5,
    "review_total": 0,
    "trainees": 1300,
}

TITLE_2019 = "隆德县2020年政府信息公开工作年度报告"
SECTION2 = [
    [("第二十条第（一）项", 1, 4)],
    ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],
    ["规章", "0", "0", "0"],
    ["规范性文件", "2", "2", "2"],
    [("第二十条第（五）项", 1, 4)],
    ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
    ["行政许可", "387", "-302", "5862"],
]
APPLICANTS = (
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_org",
    "legal_service_org",
    "other_org",
    "total",
)
# (code, label cells) of the matrix body; values are generated per row below.
MATRIX_ROWS = [
    ("a_new", [("一、本年新收政府信息公开申请数量", 1, 3)]),
    ("a_carried_in", [("二、上年结转政府信息公开申请数量", 1, 3)]),
    ("a_granted", [("三、本年度办理结果", 20, 1), ("（一）予以公开", 1, 2)]),
    ("a_partial", [("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 1, 2)]),
    ("a_denied_state_secret", [("（三）不予公开", 8, 1), "1.属于国家秘密"]),
    ("a_denied_other_law", ["2.其他法律行政法规禁止公开"]),
    ("a_denied_security_stability", ["3.危及“三安全一稳定”"]),
    ("a_denied_third_party", ["4.保护第三方合法权益"]),
    ("a_denied_internal_affairs", ["5.属于三类内部事务信息"]),
    ("a_denied_process_info", ["6.属于四类过程性信息"]),
    ("a_denied_enforcement_file", ["7.属于行政执法案卷"]),
    ("a_denied_admin_query", ["8.属于行政查询事项"]),
    ("a_unable_not_held", [("（四）无法提供", 3, 1), "1.本机关不掌握相关政府信息"]),
    ("a_unable_needs_creation", ["2.没有现成信息需要另行制作"]),
    ("a_unable_unclear", ["3.补正后申请内容仍不明确"]),
    ("a_rejected_petition", [("（五）不予处理", 5, 1), "1.信访举报投诉类申请"]),
    ("a_rejected_repeat", ["2.重复申请"]),
    ("a_rejected_publication", ["3.要求提供公开出版物"]),
    ("a_rejected_mass", ["4.无正当理由大量反复申请"]),
    ("a_rejected_confirm", ["5.要求行政机关确认或重新出具已获取信息"]),
    ("a_other", [("（六）其他处理", 1, 2)]),
    ("a_processed", [("（七）总计", 1, 2)]),
    ("a_carried_out", [("四、结转下年度继续办理", 1, 3)]),
]


def _matrix_value(row: int, col: int) -> str:
    """Distinct numbers, with the research-institution column of a_carried_in blank."""
    return "" if (row, col) == (1, 2) else str(row * 10 + col)


MATRIX = [
    [
        ("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3),
        ("申请人情况", 1, 7),
    ],
    [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
    ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"],
] + [labels + [_matrix_value(r, c) for c in range(7)] for r, (_, labels) in enumerate(MATRIX_ROWS)]
MATRIX_WANT = {
    (code, APPLICANTS[c]): (None if _matrix_value(r, c) == "" else float(_matrix_value(r, c)))
    for r, (code, _) in enumerate(MATRIX_ROWS)
    for c in range(7)
}
OUTCOMES = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
SECTION4 = [
    [("行政复议", 1, 5), ("行政诉讼", 1, 10)],
    [(o, 2, 1) for o in OUTCOMES] + [("未经复议直接起诉", 1, 5), ("复议后起诉", 1, 5)],
    OUTCOMES * 2,
    [str(i) for i in range(1, 16)],
]
SECTION4_CODES = [
    f"{p}_{s}"
    for p in ("review", "lit_direct", "lit_after_review")
    for s in ("upheld", "corrected", "other", "pending", "total")
]


def _cell(c) -> tuple[str, int, int]:
    return (c, 1, 1) if isinstance(c, str) else c


def _anchors(spec):
    """(row, col, text, rowspan, colspan) of every cell, and the grid width."""
    taken, out, width = set(), [], 0
    for r, row in enumerate(spec):
        c = 0
        for cell in row:
            text, rs, cs = _cell(cell)
            while (r, c) in taken:
                c += 1
            taken.update((r + i, c + j) for i in range(rs) for j in range(cs))
            out.append((r, c, text, rs, cs))
            c += cs
            width = max(width, c)
    return out, width


# ------------------------------------------------------------------ renderers


def _html_table(spec) -> str:
    rows = []
    for row in spec:
        tds = []
        for cell in row:
            text, rs, cs = _cell(cell)
            attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (f" colspan={cs}" if cs > 1 else "")
            body = "<br>".join(f"<span>{t}</span>" for t in text.split("\n")) or "&nbsp;"
            tds.append(f"<td{attrs}><p style='text-align:center'>{body}</p></td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return '<table border="1" cellspacing="0"><tbody>\n' + "\n".join(rows) + "\n</tbody></table>"


def html_page(title: str, blocks, charset: str = "utf-8") -> str:
    """A government web page: navigation, a layout table holding the article."""
    body = "\n".join(
        b
        if isinstance(b, str) and b.startswith("<")
        else (f"<p>　　{b}</p>" if isinstance(b, str) else _html_table(b))
        for b in blocks
    )
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{title}_人民政府网站</title><style>td {{ border: 1px solid }}</style>
<script>document.write("<p>不是正文</p>");</script></head>
<body><div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li></ul></div>
<table width="100%"><tr><td><table><tr><td>当前位置：首页 &gt; 政府信息公开年报</td></tr></table></td></tr>
<tr><td><h1 class="title">{title}</h1>
<div class="info">发布时间：2019-02-20&nbsp;&nbsp;来源：县政府办公室</div>
<div class="content">{body}</div></td></tr></table>
<!-- 页脚 --><div class="footer">主办单位：人民政府办公室</div></body></html>"""


def docx_bytes(title: str, blocks) -> bytes:
    doc = docx.Document()
    doc.add_heading(title, level=1)
    for b in blocks:
        if isinstance(b, str):
            doc.add_paragraph(b)
            continue
        anchors, width = _anchors(b)
        table = doc.add_table(rows=len(b), cols=width)
        for r, c, text, rs, cs in anchors:
            cell = table.cell(r, c)
            if rs > 1 or cs > 1:
                cell = cell.merge(table.cell(r + rs - 1, c + cs - 1))
            lines = text.split("\n")
            cell.paragraphs[0].text = lines[0]
            for line in lines[1:]:  # a label wrapped over two paragraphs of one cell
                cell.add_paragraph(line)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


BLOCKS_2008 = [
    "根据《中华人民共和国政府信息公开条例》规定，现予发布。",
    "本报告由贺兰县人民政府办公室汇总编制而成。",
    "附件：政府信息公开情况统计表",
    GOV2008,
    "单位负责人：韩廷锋",
]
BLOCKS_2019 = [
    "根据《中华人民共和国政府信息公开条例》第五十条规定，制作本报告。",
    "二、主动公开政府信息情况",
    SECTION2,
    "三、收到和处理政府信息公开申请情况",
    MATRIX,
    "四、政府信息公开行政复议、行政诉讼情况",
    SECTION4,
    "五、存在的主要问题及改进措施",
]


def _values(x) -> dict[tuple[str, str], float | None]:
    got = {}
    for c in x.cells:
        if c.indicator_code:
            assert (c.indicator_code, c.applicant_type) not in got, c
            got[(c.indicator_code, c.applicant_type)] = c.value
    return got


def _sources():
    return {
        "html-utf8": ("x.html", lambda t, b: html_page(t, b).encode("utf-8")),
        "html-gbk": ("x.html", lambda t, b: html_page(t, b, "gb2312").encode("gbk")),
        "docx": ("x.docx", docx_bytes),
    }


@pytest.fixture(params=sorted(_sources()))
def source(request):
    return _sources()[request.param]


# ------------------------------------------------------------------ tests


def test_gov2008_table_and_identity(source):
    name, make = source
    x = extract_bytes(make(TITLE_2008, BLOCKS_2008), name)
    assert x.template == "gov2008"
    assert (x.identity.region_name, x.identity.report_year) == ("贺兰县", 2018)
    got = _values(x)
    for code, want in GOV2008_WANT.items():
        assert got[(code, "total")] == want, code
    assert not [i for i in x.issues if i.stage == "table"]


def test_gov2019_matrix_with_merged_cells(source):
    name, make = source
    x = extract_bytes(make(TITLE_2019, BLOCKS_2019), name)
    assert x.template == "gov2019"
    assert (x.identity.region_name, x.identity.report_year) == ("隆德县", 2020)
    got = _values(x)
    wrong = {
        k: (w, got.get(k, "missing")) for k, w in MATRIX_WANT.items() if got.get(k, "missing") != w
    }
    assert not wrong
    assert got[("a_carried_in", "research_institution")] is None  # blank stays blank
    assert [got[(c, "total")] for c in SECTION4_CODES] == list(range(1, 16))
    assert got[("p_licensing_items_change", "total")] == -302
    assert got[("p_normdocs_made", "total")] == 2


def test_html_grid_and_locators():
    doc = read_document(html_page(TITLE_2019, BLOCKS_2019).encode("utf-8"), "x.html")
    assert doc.source_format == "html"
    texts = [r.cells[0] for r in doc.rows if not r.tabular]
    assert "不是正文" not in " ".join(texts)  # scripts dropped
    assert not any(r.locator == "title" for r in doc.rows)  # the page shows its own title
    assert TITLE_2019 in texts
    matrix = next(r for r in doc.rows if r.tabular and r.cells[0].startswith("（本列"))
    n = matrix.locator.split()[1]
    by_row = {
        int(r.locator.split()[3]): r.cells for r in doc.rows if r.locator.startswith(f"table {n} ")
    }
    assert by_row[1] == (matrix.cells[0], "", "", "申请人情况", "", "", "", "", "", "")
    assert by_row[2][3:] == ("自然人", "法人或其他组织", "", "", "", "", "总计")
    assert by_row[6][:3] == ("三、本年度办理结果", "（一）予以公开", "")
    assert by_row[8][:3] == ("", "（三）不予公开", "1.属于国家秘密")
    assert by_row[9][:3] == ("", "", "2.其他法律行政法规禁止公开")
    assert all(r.page is None and r.line is None for r in doc.rows)


def test_cell_line_breaks_join_without_space_between_cjk():
    for data, name in (
        (html_page(TITLE_2008, BLOCKS_2008).encode(), "x.html"),
        (docx_bytes(TITLE_2008, BLOCKS_2008), "x.docx"),
    ):
        doc = read_document(data, name)
        labels = [r.cells[0] for r in doc.rows if r.tabular]
        assert "（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）" in labels


def test_html_title_used_when_page_has_no_heading():
    page = (
        "<html><head><meta charset='gbk'><title>贺兰县2018年政府信息公开工作年度报告</title></head>"
        "<body><p>正文第一段。</p>" + _html_table(GOV2008) + "</body></html>"
    )
    x = extract_bytes(page.encode("gbk"), "x.htm")
    assert x.identity.title.startswith("贺兰县2018年") and x.identity.region_name == "贺兰县"
    assert _values(x)[("p_total", "total")] == 17330


def test_docx_locators():
    doc = read_document(docx_bytes(TITLE_2008, BLOCKS_2008), "x.docx")
    assert doc.source_format == "docx"
    assert doc.rows[0].locator == "paragraph 1" and doc.rows[0].cells == (TITLE_2008,)
    head = next(r for r in doc.rows if r.tabular)
    assert head.locator == "table 1 row 1" and head.cells == ("统计指标", "单位", "统计数")
    blank = next(r for r in doc.rows if r.tabular and r.cells[0] == "制发规范性文件总数")
    assert blank.cells == ("制发规范性文件总数", "件", "")


# ------------------------------------------------------------------ text: one cell per line


def test_text_cells_one_per_line():
    """Cells copied one per line: each line is a cell, a cell broken over lines is one
    cell, '||' closes a row."""
    lines = [
        "| 统计指标 |", "| 单位 |", "| 统计数 |", "||",
        "| （一）主动公开政府信息数（不同渠道", "和方式公开相同信息计1条） |", "| 条 |", "| 17330 |", "",
        "| 其中：主动公开规范性文件数 |", "| 条 |", "| 4 |",
        "正文",
    ]  # fmt: skip
    rows = rows_from_text("\n".join(lines))
    assert [r.cells for r in rows] == [
        ("统计指标",), ("单位",), ("统计数",),
        ("（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）",), ("条",), ("17330",),
        ("其中：主动公开规范性文件数",), ("条",), ("4",),
        ("正文",),
    ]  # fmt: skip
    assert [r.locator for r in rows][:4] == ["line 1", "line 2", "line 3", "line 5"]


def test_text_pipe_row_wrapped_inside_a_cell():
    text = "| 三、本年度办理结果 | （二）部分公开（区分处理的，只计这一情形，\n不计其他情形） | 0 | 1 |\n| 行政许可 | 387 | -302 | 5862 |"
    assert [r.cells for r in rows_from_text(text)] == [
        (
            "三、本年度办理结果",
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
            "0",
            "1",
        ),
        ("行政许可", "387", "-302", "5862"),
    ]


# ------------------------------------------------------------------ layout and charset quirks


def test_docx_table_nested_in_a_layout_table():
    doc = docx.Document()
    outer = doc.add_table(rows=1, cols=1)
    cell = outer.cell(0, 0)
    cell.paragraphs[0].text = TITLE_2008
    inner = cell.add_table(rows=len(GOV2008), cols=3)
    for r, row in enumerate(GOV2008):
        for c, text in enumerate(row):
            inner.cell(r, c).text = text.replace("\n", "")
    out = io.BytesIO()
    doc.save(out)
    x = extract_bytes(out.getvalue(), "x.docx")
    assert (x.identity.region_name, x.identity.report_year) == ("贺兰县", 2018)
    got = _values(x)
    assert got[("p_total", "total")] == 17330 and got[("p_normdocs_issued", "total")] is None


def test_html_article_in_a_one_column_layout_table_and_misdeclared_charset():
    # Declared gb2312 but saved as UTF-8 (common after a site migration).
    page = (
        f"<html><head><meta charset='gb2312'><title>x</title></head><body><table>"
        f"<tr><td><div>{TITLE_2008}</div><p>正文。</p>{_html_table(GOV2008)}</td></tr></table></body></html>"
    )
    doc = read_document(page.encode("utf-8"), "x.html")
    assert [r.cells[0] for r in doc.rows if not r.tabular] == [TITLE_2008, "正文。"]
    assert next(r for r in doc.rows if r.tabular).locator == "table 1 row 1"
    assert _values(extract_bytes(page.encode("utf-8"), "x.html"))[("a_received", "total")] == 19
