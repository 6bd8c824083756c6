"""Who published a report and for which year, from its title and opening.

Where the organization comes from, first found wins:
1. the title (`X2019年政府信息公开工作年度报告`, `2019年X政府信息公开…`, `关于2021年度X的…`,
   `X政府信息公开工作2021年度报告`, the organization on the line before or after);
2. a site's header line (`发布机构:` `发文机关:` `来源:`);
3. a signature above the date at the end (`平潭综合实验区财政金融局 2020年1月2日`);
4. the prose: the body name it uses most, of the kind it calls itself (我镇, 本局).
A candidate must be a body's name (identity_names) – never a prose phrase. A title's
abbreviation (财金局) is replaced by the full name the text gives (平潭综合实验区财政金融局),
a name by its longer form with the divisions it sits in (遂溪县北坡镇), a misread division
(沐阳县) by the division it must be, with an issue.

The year: the title's, else the statistics period (统计期限自2019年1月1日…), else the year
the opening sentences start with (2022年，我镇…), else the year of the report a notice asks
for; the publication date only as a last resort (a report published in January 2020 is
the 2019 report).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, replace

from . import regions
from .identity_names import is_name, is_subsequence, name_at, names_in, we_kind
from .labels import squash
from .model import Identity, Issue, Row

_CN_DIGITS = str.maketrans("〇零一二三四五六七八九○", "00123456789" + "0")
_YEAR = r"(?:19|20)\d{2}|[〇零○一二三四五六七八九]{4}"
_REPORT = r"(?:政府信息公开|政务公开|信息公开)(?:工作)?(?:的)?(?:年度)?(?:工作)?(?:报告|年报)"
# The lines searched hold no whitespace, so a leading (?P<org>.*?) always starts at 0:
# anchoring it says so and keeps the search linear in the line's length.
_TITLES = (
    # X2019年(度)政府信息公开工作年度报告
    re.compile(rf"^(?P<org>.*?)(?P<year>{_YEAR})年度?(?:的)?(?:本机关|本单位)?{_REPORT}"),
    # 2019年X政府信息公开工作年度报告 / 关于2021年度X的政府信息公开工作年度报告
    re.compile(
        rf"(?:关于)?(?P<year>{_YEAR})年度?(?:的)?(?P<org>[^,;:。()《》]{{2,40}}?)(?:的)?{_REPORT}"
    ),
    # X政府信息公开工作2021年度报告
    re.compile(
        rf"^(?P<org>.*?)(?:政府信息公开|政务公开)(?:工作)?(?P<year>{_YEAR})年度?(?:工作)?报告"
    ),
    # X政府信息公开工作年度报告(2019年度)
    re.compile(rf"^(?P<org>.*?){_REPORT}[(\[](?P<year>{_YEAR})年度?[)\]]"),
)
_SITE_PREFIX = re.compile(r"^(?:标题|题目|文章标题|名称)[:]")
_META = re.compile(
    r"(?:发布机构|发文机关|发布单位|发布部门|公开主体|信息来源|来源|发文单位)[:](?P<v>[^:|]{2,40})"
)
_META_TAIL = re.compile(r"(?:发布时间|发布日期|浏览次数|点击数|时间|日期|字号|作者|访问量|文号)$")
_LEAD_WORDS = re.compile(r"^(?:现将|现公布|公布|特向社会公开|向社会公开|编制|关于|现就|发布|特此)+")
_TAIL_WORDS = re.compile(r"(?:特编制|编制|特此|的|关于)+$")
_PUNCT = re.compile(r"[,;:!?、。()\[\]<>《》“”\"'|/]")
_SIGNATURE = re.compile(
    rf"(?P<name>[\u4e00-\u9fff]{{2,40}})(?P<year>{_YEAR})年\d{{1,2}}月\d{{1,2}}日$"
)
_PERIOD = re.compile(
    rf"(?:统计期限|统计时限|统计时间|时间范围|统计区间)[^。]{{0,12}}?(?P<year>{_YEAR})年"
    rf"|(?P<year2>{_YEAR})年1月1日(?:起)?至|至(?P<year3>{_YEAR})年12月31日"
)
_OPENING_YEAR = re.compile(rf"(?:^|[。.;!?:\n])(?P<year>{_YEAR})年度?(?:以来|,|我|本|全年|共|在)")
_NOTICE_YEAR = re.compile(rf"(?P<year>{_YEAR})年度?(?:的)?{_REPORT}")
_PUBLISHED = re.compile(
    r"(?:发布时间|发布日期|成文日期|发文日期|时间|日期)[:]?(?P<year>20\d{2})[-/.年](?P<month>\d{1,2})"
)
_UNNAMED_COUNTY = re.compile(r"区委|区政府|区人民政府|县委|县政府|县人民政府")
_BODY_FOLLOWS = re.compile(
    r"人民政府|政府|办事处|街道办|党|办公室|委员会|管委会|[^\u4e00-\u9fff]|$"
)
_CORE = re.compile(r"(?:人民政府|政府|办事处)$")
# How far into a document the title may be (web pages put navigation first).
_TITLE_WINDOW = 60
_TAIL_WINDOW = 15


def _year(text: str) -> int:
    return int(text.translate(_CN_DIGITS))


@dataclass
class _Title:
    title: str | None
    org: str | None
    year: int | None


def _org_from(raw: str, context: str = "") -> str | None:
    """The organization in the text before a title's year: the last clause, without the verb
    that introduces it (现将北坡镇2022年…, 绍兴市越城区东湖街道特编制2023年…); None unless
    what remains is a body's name."""
    s = _SITE_PREFIX.sub("", raw)
    s = _PUNCT.split(s)[-1]
    s = _TAIL_WORDS.sub("", _LEAD_WORDS.sub("", s))
    s = re.sub(r"^\d{4}年度?", "", s)
    return s if is_name(s, title=True, context=context) else None


def find_title(rows: list[Row]) -> tuple[str | None, str | None, int | None]:
    """(title, organization, year) from the first rows; the title may wrap."""
    t = _find_title([squash(" ".join(r.cells)) for r in rows[:_TITLE_WINDOW]])
    return t.title, t.org, t.year


def _find_title(window: list[str]) -> _Title:
    lines = [_SITE_PREFIX.sub("", w) for w in window]
    context = "\n".join(lines)
    prose: _Title | None = None
    for i, text in enumerate(lines):
        for pattern in _TITLES:
            m = pattern.search(text)
            if not m:
                continue
            year = _year(m.group("year"))
            raw = m.group("org")
            org = _org_from(raw, context)
            is_line = m.start() == 0 and len(text) - m.end() <= 12 and (org or not raw)
            if is_line and org is None:  # the organization on its own line, before or after
                for j in (i - 1, i + 1):
                    if 0 <= j < len(lines) and is_name(lines[j]):
                        return _Title(lines[j] + text, lines[j], year)
            if is_line:
                return _Title(text[m.start() :], org, year)
            if org and prose is None:  # 现公布区统计局2023年政府信息公开工作年度报告
                prose = _Title(None, org, year)
    # A title wrapped anywhere else (…工作年度报 / 告): read each line with the next.
    for first, second in itertools.pairwise(lines):
        joined = first + second
        m = _TITLES[0].search(joined)
        if (
            m
            and m.start() == 0
            and m.start() < len(first) < m.end()
            and (org := _org_from(m.group("org"), context))
        ):
            return _Title(joined[m.start() :], org, _year(m.group("year")))
    return prose or _Title(None, None, None)


def _meta_org(window: list[str]) -> str | None:
    for text in window:
        for m in _META.finditer(text):
            v = _META_TAIL.sub("", m.group("v"))
            if is_name(v):
                return v
    return None


def _signature(tail: list[str]) -> str | None:
    for text in reversed(tail):
        m = _SIGNATURE.search(text)
        if not m:
            continue
        name = m.group("name")
        for i in range(len(name) - 1):
            if name_at(name, i) == name[i:]:
                return name[i:]
    return None


def _core(name: str) -> str:
    return _CORE.sub("", name) or name


def _region_key(name: str) -> tuple:
    m = regions.resolve(name)
    return (m.region_name, m.region_level, m.parent_region_name) if m.region_name else (name,)


def _prose_org(names: list[str], kind: str | None) -> tuple[str | None, str | None]:
    """(publisher, superior government) from the body names in the prose."""
    if not names:
        return None, None
    clean = [re.sub(r"(?<=[局委会心府处])办公室$", "", n) for n in names]
    if kind in ("镇", "乡", "街道"):
        mine = [n for n in clean if _core(n).endswith(kind)]
    elif kind in ("局", "委", "中心", "办"):
        mine = [n for n in clean if n.endswith(kind)]
    else:
        mine = clean
    superior = None
    if kind in ("局", "委", "中心", "办") and not mine:
        govs = [
            n for n in clean if n.endswith("政府") and regions.resolve(n).region_level == "county"
        ]
        superior = Counter(govs).most_common(1)[0][0] if govs else None
    if not mine:
        return None, superior
    groups: dict[tuple, list[str]] = {}
    for n in mine:
        groups.setdefault(_region_key(n), []).append(n)
    best = max(groups.values(), key=len)  # dicts keep order: ties go to the first named
    return max(best, key=len), superior


def _expand(org: str, text: str) -> str:
    """`org` with the division right above it, as the text prints it in a body's name
    (北坡镇 -> 遂溪县北坡镇 from 遂溪县北坡镇党政综合办公室, 洪泽区人民政府 -> 淮安市洪泽区人民政府),
    not in an address (尚志市帽儿山镇新兴街1号); only when it names the same region."""
    core = _core(org)
    base = regions.resolve(org)
    for m in re.finditer(re.escape(core), text):
        if not _BODY_FOLLOWS.match(text, m.end()):
            continue
        before = text[max(0, m.start() - 30) : m.start()]
        span = next(((s, e) for s, e in regions.division_spans(before) if e == len(before)), None)
        if span is None or before[-1] not in "省市区县旗州盟":
            continue
        longer = before[span[0] :] + org
        got = regions.resolve(longer)
        if got.region_name and base.region_name in (None, got.region_name):
            return longer
    return org


def _abbreviation(org: str, names: list[str]) -> str | None:
    """The full name the text gives for a title's abbreviation (财金局)."""
    longer = [n for n in names if len(n) > len(org) and n[-1] == org[-1] and is_subsequence(org, n)]
    return Counter(longer).most_common(1)[0][0] if longer else None


def _report_year(window: list[str], title_year: int | None, issues: list[Issue]) -> int | None:
    if title_year is not None:
        return title_year
    text = "\n".join(window)
    if m := _PERIOD.search(text):
        return _year(m.group("year") or m.group("year2") or m.group("year3"))
    opening = Counter(_year(m.group("year")) for m in _OPENING_YEAR.finditer("\n" + text))
    if opening:
        return opening.most_common(1)[0][0]
    if m := _NOTICE_YEAR.search(text):
        return _year(m.group("year"))
    if m := _PUBLISHED.search(text):
        year = int(m.group("year")) - (1 if int(m.group("month")) <= 6 else 0)
        issues.append(Issue("identify", f"report year {year} inferred from the publication date"))
        return year
    return None


def identify(rows: list[Row]) -> tuple[Identity, list[Issue]]:
    window = [squash(" ".join(r.cells)) for r in rows[:_TITLE_WINDOW]]
    tail = [squash(" ".join(r.cells)) for r in rows[-_TAIL_WINDOW:]]
    text = "\n".join(window)
    issues: list[Issue] = []
    found = _find_title(window)
    year = _report_year(window, found.year, issues)
    if year is None:
        issues.append(Issue("identify", "no report year in the title or the opening"))

    names = names_in(text + "\n" + "\n".join(tail[-5:]))
    kind = we_kind(text)
    org, superior = found.org, None
    if (
        org is not None
        and regions.resolve(org).region_name is None
        and (full := _abbreviation(org, names)) is not None
    ):
        org = full
    if org is None:
        org = _meta_org(window) or _signature(tail)
    if org is None:
        org, superior = _prose_org(names, kind)
    context = "\n".join(" ".join(r.cells) for r in rows[:_TITLE_WINDOW])

    ident = Identity(title=found.title, report_year=year)
    if org is None:
        issues.append(
            Issue("identify", "no publishing organization named in the title or the text")
        )
        return _unnamed(ident, kind, superior, text, context), issues

    org = _expand(org, text)
    match = regions.resolve(org, context)
    if fix := regions.correct_misspelling(org, context):
        corrected, printed, division = fix
        fixed = regions.resolve(corrected, context)
        if fixed.region_name is not None:
            issues.append(
                Issue(
                    "identify",
                    f"{printed!r} in the organization {org!r} read as {division!r}: "
                    "the nearest division name (a misprint or OCR error)",
                )
            )
            match = fixed
    if match.region_name is None:
        level = "county" if org[0] in "区县" else None
        issues.append(
            Issue("identify", f"organization {org!r} matches no known region: {match.reason}")
        )
        return replace(
            ident,
            organization=match.organization or org,
            region_level=level,
            organization_kind="department" if level else None,
            report_scope="single_body",
        ), issues
    return (
        replace(
            ident,
            organization=match.organization or org,
            region_name=match.region_name,
            region_level=match.region_level,
            region_code=match.region_code,
            parent_region_name=match.parent_region_name,
            parent_region_code=match.parent_region_code,
            organization_kind=match.organization_kind,
            report_scope=_scope(match.organization_kind, match.region_level, context),
        ),
        issues,
    )


def _unnamed(
    ident: Identity, kind: str | None, superior: str | None, text: str, context: str
) -> Identity:
    """What is known of a publisher the text never names: a department of the county
    government it names (番禺区人民政府), or only its level (我镇; 区委、区政府 over 我局)."""
    if kind in ("局", "委", "中心", "办"):
        if superior is not None:
            m = regions.resolve(superior, context)
            return replace(
                ident,
                region_name=m.region_name,
                region_level=m.region_level,
                region_code=m.region_code,
                parent_region_name=m.parent_region_name,
                parent_region_code=m.parent_region_code,
                organization_kind="department",
                report_scope="single_body",
            )
        if _UNNAMED_COUNTY.search(text):
            return replace(
                ident,
                region_level="county",
                organization_kind="department",
                report_scope="single_body",
            )
    if kind in ("镇", "乡", "街道"):
        return replace(
            ident,
            region_level="township",
            organization_kind="street_office" if kind == "街道" else "government",
            report_scope="single_body",
        )
    return ident


def _scope(kind: str | None, level: str | None, context: str) -> str:
    """aggregate: a report compiled from subordinate bodies' work (so summing it with
    theirs double counts); single_body: one body's own report.

    A people's government at county level or above reports for its whole
    administration (全县/全市…), and many say so (本报告由……汇总……编制而成).
    """
    if re.search(r"汇总.{0,60}(?:编制|制作|形成)", squash(context)):
        return "aggregate"
    if kind == "government" and level in ("province", "prefecture", "county"):
        return "aggregate"
    return "single_body"
