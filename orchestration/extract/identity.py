"""Who published a report and for which year, from its title and opening."""

from __future__ import annotations

import itertools
import re

from . import regions
from .labels import squash
from .model import Identity, Issue, Row

_CN_DIGITS = str.maketrans("〇零一二三四五六七八九○", "00123456789" + "0")
_YEAR = r"(?:19|20)\d{2}|[〇零○一二三四五六七八九]{4}"
_TITLE = re.compile(
    rf"(?P<org>.*?)(?P<year>{_YEAR})年度?(?:的)?(?:本机关|本单位)?"
    rf"(?:政府信息公开|政务公开)(?:工作)?(?:年度)?(?:工作)?报告"
)
_PERIOD = re.compile(rf"(?:统计期限|统计时限|时间范围)[^。]{{0,12}}?(?P<year>{_YEAR})年")
_YEAR_NOTE = re.compile(rf"[(（]?(?P<year>{_YEAR})年度?[)）]")
_ORG_JUNK = re.compile(r"^(?:关于|《)|[》\"“”]|(?:关于)$")
# How far into a document the title may be (web pages put navigation first).
_TITLE_WINDOW = 60


def _year(text: str) -> int:
    return int(text.translate(_CN_DIGITS))


def find_title(rows: list[Row]) -> tuple[str | None, str | None, int | None]:
    """(title, organization, year) from the first rows; the title may wrap."""
    window = [squash(" ".join(r.cells)) for r in rows[:_TITLE_WINDOW]]
    for i, text in enumerate(window):
        m = _TITLE.search(text)
        if not m:
            continue
        org = _ORG_JUNK.sub("", m.group("org"))
        title = text[m.start() :]
        if not org and i > 0 and len(window[i - 1]) <= 40:
            org = _ORG_JUNK.sub("", window[i - 1])  # title wrapped after the organization
            title = window[i - 1] + title
        return title, org or None, _year(m.group("year"))
    # A title wrapped anywhere else (…工作年度报 / 告): read each line with the next.
    for first, second in itertools.pairwise(window):
        joined = first + second
        m = _TITLE.search(joined)
        if m and m.start() < len(first) < m.end():
            return joined[m.start() :], _ORG_JUNK.sub("", m.group("org")) or None, _year(m.group("year"))
    return None, None, None


def _fallback_year(rows: list[Row]) -> int | None:
    for r in rows[:_TITLE_WINDOW * 2]:
        text = squash(" ".join(r.cells))
        m = _PERIOD.search(text) or _YEAR_NOTE.search(text)
        if m:
            return _year(m.group("year"))
    return None


def identify(rows: list[Row]) -> tuple[Identity, list[Issue]]:
    title, org, year = find_title(rows)
    issues: list[Issue] = []
    if year is None:
        year = _fallback_year(rows)
    if year is None:
        issues.append(Issue("identify", "no report year in the title or the opening"))
    if org is None:
        issues.append(Issue("identify", "no publishing organization in the title"))
        return Identity(title=title, report_year=year), issues
    context = "\n".join(" ".join(r.cells) for r in rows[:_TITLE_WINDOW])
    match = regions.resolve(org, context)
    if match.region_name is None:
        issues.append(Issue("identify", f"organization {org!r} matches no known region: {match.reason}"))
    return (
        Identity(
            title=title,
            organization=match.organization or org,
            report_year=year,
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
