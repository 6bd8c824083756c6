"""Names of public bodies in report text: what a publisher's name looks like, and where.

A report names its publisher in the title, in a site's 发布机构/来源 line, in a signature
above the date at the end, or only in the prose (官洲街道办事处认真贯彻落实…, 请联系帽儿山镇政府).
Prose is full of phrases that end like a body's name (根据中华人民共和国政府…): a name here
is a run of characters that starts at a clause boundary or a division name, has no
function words, and ends in a body suffix (人民政府, 街道办事处, 镇, 乡, 局, 委员会, 中心 …).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import regions

# Longest first at one position: 委员会 before 委, 街道办事处 before 街道.
_TOWN_SUFFIXES = ("民族乡", "街道", "苏木", "镇", "乡")
_GOV_SUFFIXES = ("人民政府", "政府")
_DEPT_SUFFIXES = (
    "管理委员会", "委员会", "管委会", "办公室", "办事处", "调查队", "中心", "局", "委", "办", "厅", "署",
)  # fmt: skip
_SUFFIXES = tuple(sorted(_TOWN_SUFFIXES + _GOV_SUFFIXES + _DEPT_SUFFIXES, key=len, reverse=True))
_SUFFIX_AT = re.compile("|".join(map(re.escape, _SUFFIXES)))  # the first that matches, as listed
# What may follow a name and still belong to it (松木塘镇人民政府, 官洲街道办事处, …局办公室).
_EXTENSIONS = {
    "town": ("人民政府", "政府", "办事处", "办公室"),
    "government": ("办公室",),
    "department": ("办公室",),
}
# Characters a body's own name never has (outside the division names it starts with).
_STOP = set(
    "的了及在对于为是将把被等向从按并以之其该各本我无不未已共年月日这那个们请如均可须让使给"
)
_PROSE = re.compile(
    r"根据|依据|按照|中华人民共和国|条例|贯彻|落实|关于|通知|要求|认真|深入|围绕|做好|推进|公开"
    r"|报告|总结|编制|情况|网站|门户|领导|坚持|规定|办法|实施|工作|年度|现将|现公布|特向|联系"
    r"|地址|电话|邮编|主动"
)
# Words after which a name may start inside a clause.
_LEADS = "现将|现公布|公布|特向社会公开|向社会公开|总结|请与|请联系|联系|通过|由|经|是|对|在|为|将"
_LEAD = re.compile(rf"(?:{_LEADS})$")
_LEAD_LAST = {w[-1] for w in _LEADS.split("|")}  # only after these can one end
_BOUNDARY = set(",.;:!?、。()[]<>《》“”\"'|/ \n\t—-·")
_LEVEL_PREFIX = "区县市州旗盟省"
_WE = re.compile(r"(?:我|本)(镇|乡|街道|局|委|中心|办|区|县|市)")


def _division_ends(text: str) -> dict[int, int]:
    return dict(regions.division_spans(text))


def name_at(
    text: str,
    start: int,
    spans: dict[int, int] | None = None,
    *,
    short_town: bool = False,
    whole: bool = False,
) -> str | None:
    """The body's name beginning at `start`, or None if what begins there is not one.
    `short_town` accepts one-character township names (螅镇), safe in a title only; `whole`
    wants the name to run to the end of `text` (国家税务总局银川市税务局, not 国家税务总局)."""
    spans = _division_ends(text) if spans is None else spans
    j = start
    last_full = False
    while j in spans:
        last_full = text[spans[j] - 1] in _LEVEL_PREFIX
        j = spans[j]
    k = j
    while k < len(text) and k - start <= 24:
        ch = text[k]
        if not ("\u4e00" <= ch <= "\u9fff") or ch in _STOP:
            return None
        suffix = _SUFFIX_AT.match(text, k)
        if suffix is not None and (
            name := _accept(text, start, j, k, suffix.group(), last_full, short_town)
        ):
            if _PROSE.search(name):
                return None
            if not whole or start + len(name) == len(text):
                return name
        k += 1
    return None


def _accept(
    text: str, start: int, j: int, k: int, suffix: str, last_full: bool, short_town: bool
) -> str | None:
    part = text[j:k]  # the name's own part, after the divisions it starts with
    end = k + len(suffix)
    if suffix in _TOWN_SUFFIXES:
        if k - start < (1 if short_town else 2) or (not part and last_full):
            return None
    elif suffix in _GOV_SUFFIXES:
        if part or j == start:  # a people's government is a division's: 贺兰县人民政府
            return None
    elif (
        j == start
        and not part.startswith("国家")
        and (text[start] not in _LEVEL_PREFIX or len(part) < 3)
    ):
        return None  # a department names its division (同心县统计局), level (区统计局) or 国家
    kind = (
        "town"
        if suffix in _TOWN_SUFFIXES
        else "government"
        if suffix in _GOV_SUFFIXES
        else "department"
    )
    while ext := next((e for e in _EXTENSIONS[kind] if text.startswith(e, end)), None):
        end += len(ext)
        kind = "government" if ext in _GOV_SUFFIXES else "department"
    return text[start:end]


def _starts(text: str, spans: dict[int, int]) -> Iterator[int]:
    """Where a name may begin: a clause boundary, a division name, after a year (2020年帽儿山镇)
    or after a word that introduces one (请联系, 现将)."""
    for i in range(len(text)):
        after_year = (
            text[i - 1] == "年" and i >= 2 and text[i - 2].isdigit() and text[i] != "度"
        ) or (text[i - 2 : i] == "年度" and i >= 3 and text[i - 3].isdigit())
        boundary = i == 0 or text[i - 1] in _BOUNDARY or i in spans or after_year
        if boundary or (text[i - 1] in _LEAD_LAST and _LEAD.search(text, max(0, i - 6), i)):
            yield i


def names_in(text: str) -> list[str]:
    """Every body name in free text, in order (a name inside a longer one is not repeated)."""
    spans = _division_ends(text)
    out, covered = [], -1
    for i in _starts(text, spans):
        if i < covered:
            continue
        name = name_at(text, i, spans)
        if name:
            out.append(name)
            covered = i + len(name)
    return out


def is_name(text: str, *, title: bool = False, context: str = "") -> bool:
    """True when the whole of `text` is one body's name (or a division's: 上海市), also
    once a misread division in it is put right (沐阳县人民政府, see regions.correct_misspelling)."""
    if not text:
        return False
    if name_at(text, 0, short_town=title, whole=True) == text:
        return True
    if (fixed := regions.correct_misspelling(text, context)) and fixed[0] != text:
        return is_name(fixed[0], title=title)
    spans = _division_ends(text)
    j = 0
    while j in spans:
        j = spans[j]
    return j == len(text) and text[-1] in _LEVEL_PREFIX


def we_kind(text: str) -> str | None:
    """What the report calls itself (我镇, 本局, 我街道): the publisher's suffix, or None."""
    counts: dict[str, int] = {}
    for m in _WE.finditer(text):
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return max(counts, key=counts.get) if counts else None


def is_subsequence(short: str, long: str) -> bool:
    """财金局 in 平潭综合实验区财政金融局: an abbreviation keeps the characters in order."""
    it = iter(long)
    return all(ch in it for ch in short)
