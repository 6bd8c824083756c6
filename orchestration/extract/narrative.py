"""Figures stated in the prose: 主动公开政府信息 3200 余条, 受理政府信息公开申请 19 件.

Every number with a counting unit in a prose sentence is kept, with its
qualifier (余 多 近 约 … make it approximate). A figure gets a catalog code
only when the words right before it (or, for requests, around it) clearly
name the indicator; the rules below are the one place that says which words
name which code.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from .labels import clean, numbering
from .model import NarrativeFigure, Row
from .tables.common import split_row

# Counting units of the prose; 名 counts people like 人.
_UNIT = r"万元|人次|条|件|次|篇|个|人|名|项|期|场|家|份"
_FIGURE = re.compile(
    rf"(?P<pre>约|近|逾|超过|共计|共)?\s*(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.(?P<dec>\d+))?\s*"
    rf"(?P<post>余|多)?\s*(?P<unit>{_UNIT})(?P<tail>以上|左右|之多)?"
)
_APPROX = {"约", "近", "逾", "超过", "余", "多", "以上", "左右"}
_SENTENCE_END = re.compile(r"[。！？；;!?]")

# (code for gov2008, code for gov2019/gov2021, units, pattern over the clause
# with the figure marked ⟨N⟩). The naming words must sit right before the
# figure (or, for requests, around it); the first matching rule wins.
_GAP = r"[^\d，。；⟨()]"
_CHANNEL = r"(?:公开|发布)?(?:政府)?(?:信息)?"
RULES: list[tuple[str | None, str | None, frozenset[str], re.Pattern[str]]] = [
    (code08, code19, frozenset(units.split()), re.compile(pattern))
    for code08, code19, units, pattern in [
        ("p_total", None, "条", r"主动公开政府信息(?:共|总数)?⟨N⟩"),
        ("p_via_website", None, "条", rf"(?:政府网站|门户网站){_CHANNEL}⟨N⟩"),
        ("p_via_gazette", None, "条", rf"政府公报{_CHANNEL}⟨N⟩"),
        ("p_via_weibo", None, "条", rf"微博{_CHANNEL}⟨N⟩"),
        ("p_via_wechat", None, "条", rf"微信(?:公众号)?{_CHANNEL}⟨N⟩"),
        ("r_hotspots", None, "次 条", rf"回应{_GAP}{{0,6}}(?:热点|舆情){_GAP}{{0,4}}⟨N⟩"),
        (
            "r_press_conferences_leaders",
            None,
            "次 场",
            rf"主要负责(?:同志|人){_GAP}{{0,8}}新闻发布会{_GAP}{{0,3}}⟨N⟩",
        ),
        ("r_press_conferences", None, "次 场", rf"新闻发布会{_GAP}{{0,4}}⟨N⟩"),
        (
            "r_online_interviews_leaders",
            None,
            "次 期 场",
            rf"主要负责(?:同志|人){_GAP}{{0,8}}在线访谈{_GAP}{{0,3}}⟨N⟩",
        ),
        ("r_online_interviews", None, "次 期 场", rf"在线访谈{_GAP}{{0,4}}⟨N⟩"),
        ("r_interpretations", None, "篇 条", rf"政策解读(?:稿件|文章)?{_GAP}{{0,4}}⟨N⟩"),
        (
            "a_received",
            "a_new",
            "件 条",
            rf"(?:受理|收到|接到|新收|接收){_GAP}{{0,20}}申请{_GAP}{{0,6}}⟨N⟩|(?:受理|收到|接到|新收|接收){_GAP}{{0,6}}⟨N⟩{_GAP}{{0,12}}申请",
        ),
        ("review_total", "review_total", "件 起", rf"行政复议(?:案件)?{_GAP}{{0,4}}⟨N⟩"),
        ("lit_total", None, "件 起", rf"行政诉讼(?:案件)?{_GAP}{{0,4}}⟨N⟩"),
    ]
]


# Zero stated in words: 全年未收到……行政复议和行政诉讼案件及举报投诉 says each was 0.
_NONE = re.compile(r"(?:未|没有|无)(?:收到|接到|受理|发生|产生)(?P<what>[^。；;!?，,]{0,40})")
ZERO_RULES: list[tuple[str | None, str | None, re.Pattern[str]]] = [
    ("a_received", "a_new", re.compile(r"政府信息公开申请|依申请公开申请|公开申请")),
    ("review_total", "review_total", re.compile(r"行政复议")),
    ("lit_total", None, re.compile(r"行政诉讼")),
    ("complaints_total", None, re.compile(r"举报投诉|投诉举报")),
]


def _prose_stream(rows: list[Row]) -> tuple[str, list[int], list[Row]]:
    """Prose rows joined into one text (PDF line wraps undone), with row offsets."""
    parts: list[str] = []
    starts: list[int] = []
    kept: list[Row] = []
    pos = 0
    for row in rows:
        if row.tabular:
            continue
        text = clean(row.cells[0])
        line = split_row(row)
        # Table rows laid out as text (label unit value) are not prose.
        if line.values and not re.search(r"[,，。；;]", line.label):
            if parts and not parts[-1].endswith("。"):
                parts.append("。")
                starts.append(pos)
                kept.append(row)
                pos += 1
            continue
        if numbering(text).kind == "chapter" and parts and not parts[-1].endswith("。"):
            text = "。" + text  # a heading starts a new sentence
        starts.append(pos)
        kept.append(row)
        parts.append(text)
        pos += len(text)
    return "".join(parts), starts, kept


def extract_figures(rows: list[Row], template: str | None) -> list[NarrativeFigure]:
    text, starts, kept = _prose_stream(rows)
    out: list[NarrativeFigure] = []
    later = template in ("gov2019", "gov2021")
    begin = 0
    for end_m in list(_SENTENCE_END.finditer(text)) + [None]:
        end = end_m.end() if end_m else len(text)
        sentence = text[begin:end]
        offset = begin
        begin = end
        for m in _FIGURE.finditer(sentence):
            # Years, dates and percentages are not figures.
            after = sentence[m.end() : m.end() + 1]
            if m.group("unit") == "件" and after in ("事", "套"):
                continue
            if after in ("年", "月", "日", "%", "％") or m.group("unit") in ("年",):
                continue
            num_text = m.group(0).strip()
            number = float(
                m.group("num").replace(",", "") + ("." + m.group("dec") if m.group("dec") else "")
            )
            quals = [
                q for q in (m.group("pre"), m.group("post"), m.group("tail")) if q and q in _APPROX
            ]
            clause_start = max(sentence.rfind(c, 0, m.start()) for c in "，,：:") + 1
            clause_end = min(
                [i for i in (sentence.find(c, m.end()) for c in "，,") if i >= 0] + [len(sentence)]
            )
            marked = sentence[clause_start : m.start()] + "⟨N⟩" + sentence[m.end() : clause_end]
            prefix = sentence[clause_start : m.start()]
            if prefix.count("(") > prefix.count(")"):
                continue  # a figure inside a bracketed note (计 1 条) is not a statement
            code = None
            for code08, code19, units, pattern in RULES:
                if m.group("unit") in units and pattern.search(marked):
                    code = code19 if later else code08
                    break
            row = kept[max(0, bisect_right(starts, offset + m.start()) - 1)]
            out.append(
                NarrativeFigure(
                    sentence=sentence.strip(),
                    number=number,
                    number_text=num_text,
                    unit="人" if m.group("unit") == "名" else m.group("unit"),
                    approximate=bool(quals),
                    qualifier=quals[0] if quals else None,
                    indicator_code=code,
                    source_locator=row.locator,
                    page=row.page,
                    line=row.line,
                )
            )
        for m in _NONE.finditer(sentence):
            row = kept[max(0, bisect_right(starts, offset + m.start()) - 1)]
            for code08, code19, pattern in ZERO_RULES:
                code = code19 if later else code08
                if code and pattern.search(m.group("what")):
                    out.append(
                        NarrativeFigure(
                            sentence.strip(),
                            0.0,
                            m.group(0),
                            "件",
                            False,
                            None,
                            code,
                            row.locator,
                            row.page,
                            row.line,
                        )
                    )
    return out
