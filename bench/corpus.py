"""Benchmark corpus: N synthetic annual reports with their gold values.

    python -m bench.corpus OUTDIR --reports N --seed S [--workers 2]

writes

    OUTDIR/raw/<format>/<stem>.<ext>   the reports (pdf, docx, html, text)
    OUTDIR/gold_values.csv             every table cell (the seed_values.csv columns)
    OUTDIR/gold_reports.csv            identity (seed_reports.csv columns) + format,
                                       source_path, pages, hazards

The reports sit under raw/ and the gold beside it, not inside: the build treats
every file of its raw folder as a report, a CSV included.

Templates gov2008 (years 2009–2018), gov2019 (2019–2020), gov2021 (2021–2024);
formats about 50% PDF, 20% HTML, 15% DOCX, 15% text; publishers drawn from the
real divisions (`regions.divisions()`): county and prefecture governments, their
departments, and townships/street offices with invented names.  Tables come
from the fixture layouts (tests/fixtures/layouts.py) and keep the consistency
rules (dbt_project/seeds/consistency_rules.csv); prose is shuffled from
tests/fixtures/seed_text with the places and numbers changed.  Layout
hazards, drawn per report and listed in gold_reports.csv: forced page break
inside the matrix (PDF), narrow label columns (more wrapped labels), the
seeds' label variants plus bracket and
numbering styles, an uncatalogued extra row (gov2008), a 小计 column (8 value
columns) and 小计 rows in the matrix, blank cells, GBK pages, page-number lines
inside text tables, PDFs in a non-embedded CID font (20%; the others embed a
TrueType subset, tests/fixtures/fonts).

Every report draws from its own `random.Random(f"{seed}/{index}")`, so the
output does not depend on the worker count, and the first N reports of a
larger corpus are the N-report corpus (the benchmark relies on this).
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from reportlab.platypus.doctemplate import LayoutError

from tests.fixtures import gov2021, layouts
from tests.fixtures.model import (
    APPLICANT_TYPES,
    REPORT_COLUMNS,
    VALUE_COLUMNS,
    Cell,
    GoldValue,
    Para,
    Report,
    Table,
)
from tests.fixtures.render_docx import render_docx
from tests.fixtures.render_html import _HEAD_GBK, _HEAD_UTF8, html_page
from tests.fixtures.render_pdf import render_pdf
from tests.fixtures.render_text import text_of

SEED_TEXT = Path(layouts.__file__).resolve().parent / "seed_text"
TEMPLATES = {"gov2008": 0.35, "gov2019": 0.25, "gov2021": 0.40}
YEARS = {"gov2008": range(2009, 2019), "gov2019": range(2019, 2021), "gov2021": range(2021, 2025)}
FORMATS = {"pdf": 0.50, "html": 0.20, "docx": 0.15, "text": 0.15}
EXTENSIONS = {"pdf": "pdf", "html": "html", "docx": "docx", "text": "txt"}
KINDS = {"county": 0.40, "prefecture": 0.15, "department": 0.25, "township": 0.20}
PAGES = (6, 15)
CID_FONT_SHARE = (
    0.2  # PDFs in the non-embedded CID font STSong-Light (the rest embed a TrueType subset)
)
REPORT_EXTRA = ("format", "source_path", "pages", "hazards")

# --------------------------------------------------------------- publishers


@dataclass(frozen=True)
class Publisher:
    kind: str  # county | prefecture | department | township
    organization: str  # 贺兰县人民政府, 同心县统计局, 贺兰县立岗镇人民政府
    title_name: str  # as the title names it: 贺兰县, 同心县统计局, 贺兰县立岗镇
    place: str  # the place the prose talks about: 贺兰县, 立岗镇
    parent_place: str  # its prefecture (or province)
    province: str
    we: str  # 我县, 我局, 我镇
    office: str
    site: str  # the government website the report is posted on
    region: str
    region_level: str
    parent_region: str
    prefecture: str
    region_code: str


DEPARTMENTS = (
    "统计局",
    "财政局",
    "民政局",
    "司法局",
    "审计局",
    "交通运输局",
    "人力资源和社会保障局",
    "住房和城乡建设局",
    "水利局",
    "教育局",
)
DEPARTMENTS_2019 = (
    "农业农村局",
    "应急管理局",
    "医疗保障局",
    "卫生健康局",
    "市场监督管理局",
    "自然资源局",
)
TOWN_STEMS = (
    "城关",
    "新城",
    "东关",
    "西关",
    "白马",
    "青山",
    "石桥",
    "柳树",
    "杨柳",
    "红星",
    "长安",
    "太平",
    "永安",
    "新华",
    "和平",
    "东风",
    "兴隆",
    "金山",
    "马家",
    "李家",
    "王庄",
    "张集",
    "河西",
    "河东",
    "双河",
    "三合",
    "大坝",
    "立岗",
    "金贵",
    "洪广",
    "常信",
    "习岗",
    "南梁",
    "石嘴",
    "黄渠",
    "龙泉",
)
WE = {
    "县": "我县",
    "区": "我区",
    "市": "我市",
    "州": "我州",
    "旗": "我旗",
    "盟": "我盟",
    "镇": "我镇",
    "乡": "我乡",
    "道": "我街道",
}


def _we(name: str) -> str:
    return WE.get(name[-1], "我单位")


@cache
def _divisions() -> tuple[list[dict], list[dict], Counter]:
    from orchestration.extract.regions import divisions

    rows = divisions().to_dicts()
    names = Counter(r["region_name"] for r in rows)
    return (
        [r for r in rows if r["region_level"] == "county"],
        [r for r in rows if r["region_level"] == "prefecture"],
        names,
    )


def _publisher(rng: random.Random, kind: str, year: int) -> Publisher:
    counties, prefectures, names = _divisions()
    d = rng.choice(
        prefectures
        if kind == "prefecture" or (kind == "department" and rng.random() < 0.3)
        else counties
    )
    name = d["region_name"]
    # A name shared by several divisions (朝阳区) is written with its parent, as publishers do.
    qualified = (
        (d["parent_region_name"] + name) if names[name] > 1 and d["parent_region_name"] else name
    )
    parent = d["prefecture_name"] if d["region_level"] == "county" else d["province_name"]
    prefecture = name if d["region_level"] == "prefecture" else d["prefecture_name"] or ""
    gold = {
        "region": name,
        "region_level": d["region_level"],
        "parent_region": d["parent_region_name"] or "",
        "prefecture": prefecture,
        "region_code": d["region_code"],
    }
    site = f"{qualified}人民政府"
    if kind in ("county", "prefecture"):
        return Publisher(
            kind,
            f"{qualified}人民政府",
            qualified,
            name,
            parent or d["province_name"],
            d["province_name"],
            _we(name),
            f"{qualified}人民政府办公室",
            site,
            **gold,
        )
    if kind == "department":
        dept = rng.choice(DEPARTMENTS + (DEPARTMENTS_2019 if year >= 2019 else ()))
        org = qualified + dept
        return Publisher(
            kind,
            org,
            org,
            name,
            parent or d["province_name"],
            d["province_name"],
            "我局",
            f"{org}办公室",
            site,
            **gold,
        )
    street = name.endswith("区") and rng.random() < 0.4
    town = rng.choice(TOWN_STEMS) + ("街道" if street else rng.choice("镇镇乡"))
    org = qualified + town + ("办事处" if street else "人民政府")
    return Publisher(
        kind,
        org,
        qualified + town,
        town,
        name,
        d["province_name"],
        _we(town),
        f"{town}{'办事处' if street else '人民政府'}党政办公室",
        site,
        region=town,
        region_level="township",
        parent_region=name,
        prefecture=d["prefecture_name"] or "",
        region_code="",
    )


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass(frozen=True)
class Spec:
    index: int
    seed: int
    stem: str
    template: str
    year: int
    fmt: str
    publisher: Publisher


def plan(n: int, seed: int) -> list[Spec]:
    """Who publishes what, drawn in order so every (organization, year) is unique."""
    rng = random.Random(f"{seed}/plan")
    used: set[tuple[str, int]] = set()
    out = []
    for i in range(n):
        while True:
            template = _weighted(rng, TEMPLATES)
            year = rng.choice(YEARS[template])
            pub = _publisher(rng, _weighted(rng, KINDS), year)
            if (pub.organization, year) not in used:
                break
        used.add((pub.organization, year))
        fmt = _weighted(rng, FORMATS)
        out.append(Spec(i, seed, f"r{i:05d}_{year}_{template}", template, year, fmt, pub))
    return out


# ------------------------------------------------------------------- values

SCALE = {"prefecture": 3.0, "county": 1.0, "department": 0.2, "township": 0.1}
NEW = {  # new requests per applicant column (natural person, 5 organisation kinds)
    "prefecture": ((60, 400), (5, 40), (0, 3), (0, 3), (2, 15), (0, 10)),
    "county": ((20, 150), (2, 12), (0, 2), (0, 2), (1, 8), (0, 4)),
    "department": ((0, 15), (0, 3), (0, 1), (0, 0), (0, 1), (0, 1)),
    "township": ((0, 8), (0, 1), (0, 0), (0, 0), (0, 0), (0, 1)),
}
CARRIED_IN_MAX = {
    "prefecture": (20, 3, 1, 0, 1, 1),
    "county": (6, 1, 0, 0, 1, 1),
    "department": (1, 0, 0, 0, 0, 0),
    "township": (1, 0, 0, 0, 0, 0),
}
REVIEW_HIGH = {
    "prefecture": (5, 3, 2, 3),
    "county": (3, 2, 1, 2),
    "department": (1, 0, 0, 1),
    "township": (1, 0, 0, 1),
}
ANSWER_CODES_2008 = (
    "a_already_public",
    "a_granted",
    "a_partial",
    "a_denied",
    "a_not_this_agency",
    "a_not_exist",
    "a_clarify",
    "a_other_channel",
)
DENIED_CODES_2008 = (
    "a_denied_state_secret",
    "a_denied_commercial_secret",
    "a_denied_privacy",
    "a_denied_security_stability",
    "a_denied_not_gov_info",
    "a_denied_other_law",
)


def _r(rng: random.Random, lo: int, hi: int, scale: float = 1.0) -> int:
    return round(rng.randint(lo, hi) * scale)


def _split(rng: random.Random, total: int, weights) -> list[int]:
    counts = [0] * len(weights)
    for i in rng.choices(range(len(weights)), weights=weights, k=total):
        counts[i] += 1
    return counts


def _money(rng: random.Random, hi: float) -> str:
    """万元 with one or two decimals, or a plain 0."""
    x = rng.uniform(0, hi)
    return "0" if x < hi * 0.1 else f"{x:.{rng.choice((1, 2, 2))}f}"


def values_2008(rng: random.Random, kind: str) -> dict[str, int | str]:
    s = SCALE[kind]
    v: dict[str, int | str] = {
        "p_total": _r(rng, 800, 18000, s),
        "p_normdocs_disclosed": _r(rng, 2, 60, s),
    }
    v["p_normdocs_issued"] = v["p_normdocs_disclosed"] + _r(rng, 0, 10, s)
    v["p_via_gazette"] = _r(rng, 0, 300, s)
    v["p_via_website"] = int(v["p_total"] * rng.uniform(0.6, 1.0))
    v["p_via_weibo"] = _r(rng, 0, 800, s)
    v["p_via_wechat"] = _r(rng, 0, 1500, s)
    v["p_via_other"] = _r(rng, 0, 2000, s)
    v["r_hotspots"] = _r(rng, 0, 50, s)
    v["r_press_conferences"] = _r(rng, 0, 20, s)
    v["r_press_conferences_leaders"] = rng.randint(0, v["r_press_conferences"])
    v["r_online_interviews"] = _r(rng, 0, 12, s)
    v["r_online_interviews_leaders"] = rng.randint(0, v["r_online_interviews"])
    v["r_interpretations"] = _r(rng, 0, 150, s)
    v["r_weibo_wechat"] = _r(rng, 0, 60, s)
    v["r_other"] = _r(rng, 0, 40, s)
    channels = [_r(rng, 0, 30, s), _r(rng, 0, 2, s), _r(rng, 0, 40, s), _r(rng, 0, 20, s)]
    v.update(
        zip(
            ("a_received_in_person", "a_received_fax", "a_received_online", "a_received_letter"),
            channels,
        )
    )
    received = v["a_received"] = sum(channels)
    v["a_completed_extended"] = rng.randint(0, min(2, received))
    v["a_completed_on_time"] = received - v["a_completed_extended"]
    v["a_completed"] = v["a_answered"] = received
    v.update(zip(ANSWER_CODES_2008, _split(rng, received, (10, 45, 8, 4, 12, 12, 5, 4))))
    v.update(zip(DENIED_CODES_2008, _split(rng, v["a_denied"], (1, 2, 3, 1, 4, 2))))
    for prefix in ("review", "lit"):
        parts = [_r(rng, 0, 2, s) for _ in range(3)]
        v.update(zip((f"{prefix}_upheld", f"{prefix}_corrected", f"{prefix}_other"), parts))
        v[f"{prefix}_total"] = sum(parts)
    v["complaints_total"] = _r(rng, 0, 5, s)
    v["fees_collected"] = "0" if rng.random() < 0.9 else _money(rng, 0.5)
    v["org_bodies"] = rng.randint(1, 3)
    v["org_reading_points"] = max(1, _r(rng, 1, 30, s))
    v["org_staff_fulltime"] = rng.randint(0, 5)
    v["org_staff_parttime"] = max(1, _r(rng, 1, 40, s))
    v["org_staff"] = v["org_staff_fulltime"] + v["org_staff_parttime"]
    v["org_budget"] = _money(rng, 50 * s)
    v["meetings"] = rng.randint(1, 10)
    v["trainings"] = rng.randint(1, 10)
    v["trainees"] = _r(rng, 10, 800, s)
    return v


def section2_2019(rng: random.Random, kind: str) -> dict[str, int | str]:
    s = SCALE[kind]
    made = rng.randint(0, 3) if kind == "prefecture" else 0
    v: dict[str, int | str] = {
        "p_rules_made": made,
        "p_rules_published": made,
        "p_rules_total": made + rng.randint(5, 40) if kind == "prefecture" else 0,
    }
    nm = _r(rng, 0, 20, s)
    v.update(
        p_normdocs_made=nm,
        p_normdocs_published=nm - rng.randint(0, min(1, nm)),
        p_normdocs_total=nm + _r(rng, 10, 80, s),
    )
    for key, prev_hi, dec_hi in (
        ("licensing", 1500, 9000),
        ("other_services", 300, 5000),
        ("penalty", 3000, 3000),
        ("coercion", 100, 100),
    ):
        prev = _r(rng, 0, prev_hi, s)
        v[f"p_{key}_items_prev"] = prev
        v[f"p_{key}_items_change"] = rng.randint(-prev // 5, prev // 10) if prev else 0
        v[f"p_{key}_decisions"] = _r(rng, 0, dec_hi, s)
    prev = _r(rng, 0, 60, s)
    v.update(
        p_fee_items_prev=prev,
        p_fee_items_change=rng.randint(-min(5, prev), 3),
        p_procurement_projects=_r(rng, 0, 300, s),
        p_procurement_amount=_money(rng, 30000 * s),
    )
    return v


def section2_2021(rng: random.Random, kind: str) -> dict[str, int | str]:
    s = SCALE[kind]
    pref = kind == "prefecture"
    v: dict[str, int | str] = {
        "p_rules_issued": rng.randint(0, 3) if pref else 0,
        "p_rules_repealed": rng.randint(0, 2) if pref else 0,
    }
    v["p_rules_in_force"] = v["p_rules_issued"] + rng.randint(5, 40) if pref else 0
    v.update(p_normdocs_issued=_r(rng, 0, 20, s), p_normdocs_repealed=_r(rng, 0, 6, s))
    v["p_normdocs_in_force"] = v["p_normdocs_issued"] + _r(rng, 10, 70, s)
    v.update(
        p_licensing_decisions=_r(rng, 0, 9000, s),
        p_penalty_decisions=_r(rng, 0, 2000, s),
        p_coercion_decisions=_r(rng, 0, 80, s),
        p_fee_amount=_money(rng, 3000 * s),
    )
    return v


def matrix_values(rng: random.Random, kind: str, template: str) -> dict[tuple[str, str], int]:
    """Section 三: the 勾稽关系 per column and total = sum of the six columns (gov2021.py's rule)."""
    outcomes = layouts.section3_codes(template)[2:-2]
    weights = dict(gov2021.OUTCOME_WEIGHTS, a_other=7)
    out: dict[tuple[str, str], int] = {}
    for i, applicant in enumerate(APPLICANT_TYPES[:-1]):
        new = rng.randint(*NEW[kind][i])
        carried_in = rng.randint(0, CARRIED_IN_MAX[kind][i])
        carried_out = min(new + carried_in, rng.choice((0, 0, 1, 2)) if new > 3 else 0)
        processed = new + carried_in - carried_out
        counts = dict(zip(outcomes, _split(rng, processed, [weights[c] for c in outcomes])))
        out.update(
            {
                ("a_new", applicant): new,
                ("a_carried_in", applicant): carried_in,
                ("a_processed", applicant): processed,
                ("a_carried_out", applicant): carried_out,
            }
        )
        out.update({(c, applicant): n for c, n in counts.items()})
    for code in layouts.section3_codes(template):
        out[(code, "total")] = sum(out[(code, a)] for a in APPLICANT_TYPES[:-1])
    return out


def section4_values(rng: random.Random, kind: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for prefix, scale in (("review", 1.0), ("lit_direct", 0.7), ("lit_after_review", 0.4)):
        parts = [rng.randint(0, int(h * scale + 0.5)) for h in REVIEW_HIGH[kind]]
        out.update(
            zip(
                (f"{prefix}_upheld", f"{prefix}_corrected", f"{prefix}_other", f"{prefix}_pending"),
                parts,
            )
        )
        out[f"{prefix}_total"] = sum(parts)
    return out


def _blank_zeros(
    rng: random.Random, values: dict[tuple[str, str], str], hazards: list[str]
) -> None:
    """Leave some zero cells blank (unknown), so the rules still hold with blank read as 0."""
    mode = rng.random()
    if mode < 0.6:
        return
    zero = {k for k, v in values.items() if v in ("0", "0.0", "0.00")}
    if mode < 0.85:
        for k in sorted(zero):
            if rng.random() < 0.35:
                values[k] = ""
        hazards.append("blank_cells")
        return
    # A whole applicant column left empty when it holds only zeros (common in township reports).
    for a in APPLICANT_TYPES[1:-1]:
        col = [k for k in values if k[1] == a]
        if col and all(k in zero for k in col):
            for k in col:
                values[k] = ""
    hazards.append("blank_columns")


# ------------------------------------------------------------------- tables


@cache
def _seed_material() -> tuple[
    list[tuple[str, int]], list[tuple[tuple[str, ...], list[tuple[str, str, str | None]]]]
]:
    """Prose paragraphs (text, year of the seed) and the seeds' gov2008 row lists."""
    from orchestration.extract.tables import TABLE_PAGE_HINTS

    paragraphs, tables = [], []
    for path in sorted(SEED_TEXT.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        year = int(re.search(r"\d{4}", " ".join(lines[:3])).group())
        i = 0
        while i < len(lines):
            line = lines[i]
            i += 1
            if line == "[[table gov2008]]":
                header = tuple(lines[i].split("\t"))
                rows = []
                while lines[i + 1] != "[[end]]":
                    i += 1
                    label, unit, code = lines[i].split("\t")
                    rows.append((label, unit, code or None))
                tables.append((header, rows))
            elif (
                len(line) >= 50
                and not line.startswith(("=", "#", "^", ">", "[["))
                and not any(h in line for h in TABLE_PAGE_HINTS + ("统计表", "填报"))
            ):
                paragraphs.append((line, year))
    return paragraphs, tables


_CN_PAREN = re.compile(r"^[（(]([一二三四五六七八九十]+)[）)]\s*")
_DIGIT = re.compile(r"^(\d+)\s*[.、．]\s*")


def _label_style(rows, rng: random.Random, hazards: list[str]):
    """Bracket and numbering styles and the wording variants real tables use."""
    paren = rng.choice(("（{}）", "({}) ", None))
    digit = rng.choice(("{}.", "{}、", "{}. ", None))
    weibo = rng.random() < 0.3
    meeting = rng.random() < 0.3
    out = []
    for label, unit, code in rows:
        if paren:
            label = _CN_PAREN.sub(lambda m: paren.format(m.group(1)), label)
        if digit:
            label = _DIGIT.sub(lambda m: digit.format(m.group(1)), label)
        if weibo:
            label = label.replace("政务微博", "政府信息微博").replace("政务微信", "政府信息微信")
        if meeting:
            label = label.replace("召开政府信息公开工作会议", "召开政府信息与政务公开工作会议")
        out.append((label, unit, code))
    hazards += [h for h, on in (("weibo_label", weibo), ("meeting_label", meeting)) if on]
    return out


def table_2008(rng: random.Random, values: dict, hazards: list[str]) -> Table:
    header, rows = rng.choice(_seed_material()[1])
    rows = _label_style(rows, rng, hazards)
    if rng.random() < 0.1:
        # A province's own row: no catalog code, so no gold value (kept as uncatalogued).
        at = next(i for i, r in enumerate(rows) if r[2] == "p_normdocs_issued") + 1
        rows.insert(at, ("其他主动公开文件数", "条", "x_extra"))
        values[("x_extra", "total")] = str(rng.randint(0, 50))
        hazards.append("extra_row")
    table = layouts.gov2008_table(rows, values, header)
    table.rows = [
        [replace(c, key=None) if c.key and c.key[0].startswith("x_") else c for c in r]
        for r in table.rows
    ]
    if rng.random() < 0.3:
        table.col_widths = [0.5, 0.16, 0.34]
        hazards.append("narrow_labels")
    return table


MATRIX_LABELS = (
    layouts.MatrixLabels(),
    layouts.SEED001_LABELS,
    replace(layouts.MatrixLabels(), partial="（二）部分公开"),
)
SPLIT_BEFORE = (
    "a_denied_third_party",
    "a_unable_not_held",
    "a_rejected_petition",
    "a_processed",
    None,
)


def _row_values(row: list[Cell]) -> list[Cell]:
    return row[-7:]  # natural person, the five organisation kinds, total


def _sum_texts(texts: list[str]) -> str:
    nums = [int(t) for t in texts if t]
    return str(sum(nums)) if nums else ""


def with_subtotal_rows(t: Table) -> Table:
    """A 小计 row closing （三）不予公开, （四）无法提供 and （五）不予处理 (no gold value)."""
    rows = [list(r) for r in t.rows]
    split = t.split_at_row
    heads = [
        (r, k)
        for r, row in enumerate(rows)
        for k, c in enumerate(row)
        if c.role == "label" and c.rowspan > 1 and not c.vertical
    ]
    for r, k in reversed(heads[:3]):  # bottom first: inserting shifts the rows below
        head = rows[r][k]
        items = rows[r : r + head.rowspan]
        sums = [_sum_texts([_row_values(row)[j].text for row in items]) for j in range(7)]
        at = r + head.rowspan
        rows[r][k] = replace(head, rowspan=head.rowspan + 1)
        rows.insert(at, [Cell("小计", role="label", align="left")] + [Cell(s) for s in sums])
        split = split + 1 if split is not None and split >= at else split
    for row in rows:  # the vertical 三、本年度办理结果 grows by the three rows
        for k, c in enumerate(row):
            if c.vertical:
                row[k] = replace(c, rowspan=c.rowspan + len(heads[:3]))
    return Table(t.name, rows, t.col_widths, t.header_rows, split)


def with_subtotal_column(t: Table) -> Table:
    """The 8-column matrix: 法人或其他组织 gets a 小计 after 其他 (no gold value)."""
    rows = [list(r) for r in t.rows]
    rows[0][1] = replace(rows[0][1], colspan=8)  # 申请人情况
    rows[1][1] = replace(rows[1][1], colspan=6)  # 法人或其他组织
    rows[2].append(Cell("小计", role="header"))
    for row in rows[3:]:
        orgs = [c.text for c in _row_values(row)[1:6]]
        row.insert(len(row) - 1, Cell(_sum_texts(orgs)))
    return Table(t.name, rows, t.col_widths[:3] + [0.52 / 8] * 8, t.header_rows, t.split_at_row)


def tables_2019_2021(
    rng: random.Random, template: str, values: dict, hazards: list[str]
) -> dict[str, Table]:
    if template == "gov2019":
        s2 = layouts.section2_gov2019(values)
        if "procurement" not in hazards:
            s2.rows = s2.rows[:-3]  # the 第二十条第（九）项 block is often missing
    else:
        s2 = layouts.section2_gov2021(values)
    labels = rng.choice(MATRIX_LABELS)
    split = rng.choice(SPLIT_BEFORE)
    s3 = layouts.section3_matrix(template, values, labels, split)
    if split:
        hazards.append(f"split_before={split}")
    if labels is layouts.SEED001_LABELS:
        hazards.append("halfwidth_labels")
    if rng.random() < 0.15:
        s3 = with_subtotal_rows(s3)
        hazards.append("subtotal_rows")
    if rng.random() < 0.2:
        s3 = with_subtotal_column(s3)
        hazards.append("subtotal_column")
    if rng.random() < 0.3:
        s3.col_widths = [0.05, 0.10, 0.22] + [x * 0.63 / 0.52 for x in s3.col_widths[3:]]
        hazards.append("narrow_labels")
    return {"section2": s2, "section3": s3, "section4": layouts.section4_table(values)}


# -------------------------------------------------------------------- prose

_SEED_PLACES = {
    "贺兰山西路街道": "place",
    "贺兰山": "keep",
    "贺兰县": "place",
    "隆德县": "place",
    "西夏区": "place",
    "金贵镇": "place",
    "固原市": "parent",
    "银川市": "parent",
    "吴忠市": "parent",
    "宁夏回族自治区": "province",
    "贺兰": "short",
    "隆德": "short",
    "西夏": "short",
    "金贵": "short",
    "固原": "parent_short",
    "银川": "parent_short",
    "宁夏": "province_short",
    "我县": "we",
    "我镇": "we",
    "我区": "we",
    "我市": "we",
}
_PLACE_RE = re.compile("|".join(sorted(_SEED_PLACES, key=len, reverse=True)))
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?(?=(\s*[年月日%％时])?)")


def _short(name: str) -> str:
    for suffix in (
        "回族自治区",
        "维吾尔自治区",
        "壮族自治区",
        "自治区",
        "自治州",
        "地区",
        "街道",
        "省",
        "市",
        "县",
        "区",
        "镇",
        "乡",
        "盟",
        "旗",
    ):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def adapt(text: str, seed_year: int, pub: Publisher, year: int, rng: random.Random) -> str:
    """A seed paragraph retold for another publisher and year, its figures redrawn."""
    names = {
        "keep": "贺兰山",
        "place": pub.place,
        "parent": pub.parent_place,
        "province": pub.province,
        "short": _short(pub.place),
        "parent_short": _short(pub.parent_place),
        "province_short": _short(pub.province),
        "we": pub.we,
    }
    text = _PLACE_RE.sub(lambda m: names[_SEED_PLACES[m.group()]], text)

    def number(m: re.Match) -> str:
        s, after = m.group(), (m.group(1) or "").strip()
        if "." not in s and 2000 <= int(s) <= 2030:
            return str(int(s) + year - seed_year)  # a year: keep it relative to the report's
        if after in ("月", "日", "时") or s.startswith("0"):
            return s  # dates, phone numbers
        if after in ("%", "％"):
            return f"{rng.uniform(60, 100):.{len(s.split('.')[1]) if '.' in s else 0}f}"
        whole, _, frac = s.partition(".")
        n = (
            rng.randint(10 ** (len(whole) - 1), 10 ** len(whole) - 1)
            if len(whole) > 1
            else rng.randint(1, 9)
        )
        return f"{n}.{''.join(rng.choice('0123456789') for _ in frac)}" if frac else str(n)

    return _NUMBER_RE.sub(number, text)


def _t(values: dict, code: str, applicant: str = "total") -> int:
    """A table value for the prose (blank reads as 0)."""
    v = values.get((code, applicant), "")
    return int(float(v)) if v else 0


def _period(pub: Publisher, year: int, url: str) -> str:
    return (
        f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。本报告电子版可在“{pub.site}”门户网站"
        f"（{url}）查阅或下载。如对本报告有疑问，请与{pub.office}联系。"
    )


def _scope(pub: Publisher) -> str:
    if pub.kind == "county":
        return f"本报告由{pub.office}汇总{pub.place}各乡镇人民政府（街道办事处）和政府各部门政府信息公开工作情况编制而成。"
    if pub.kind == "prefecture":
        return f"本报告由{pub.office}汇总市政府各部门和各县（区）人民政府政府信息公开工作情况编制而成。"
    return ""


PEOPLE = (
    "王建国",
    "李丽",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "赵敏",
    "黄磊",
    "周芳",
    "吴强",
    "马晓东",
    "保学东",
    "卜丽楠",
)


def prose_2008(
    pub: Publisher, year: int, v: dict, url: str, rng: random.Random
) -> list[Para | str]:
    """Slots: "filler:<k>" take seed paragraphs, "table" the statistics table."""
    we = pub.we
    out: list[Para | str] = [
        Para(
            f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求，由{pub.office}编制。全文包括概述、"
            f"主动公开政府信息情况、依申请公开政府信息情况、政府信息公开的收费及减免情况、因政府信息公开申请行政复议和"
            f"提起行政诉讼的情况、存在的主要问题及改进措施等。{_scope(pub)}{_period(pub, year, url)}"
        ),
        Para("一、概述", "heading"),
        "filler:0",
        Para("二、主动公开政府信息情况", "heading"),
        Para(
            f"{year}年，{we}主动公开政府信息{_t(v, 'p_total')}条，其中通过政府网站公开{_t(v, 'p_via_website')}条，"
            f"政府公报公开{_t(v, 'p_via_gazette')}条，政务微博公开{_t(v, 'p_via_weibo')}条，政务微信公开"
            f"{_t(v, 'p_via_wechat')}条，其他方式公开{_t(v, 'p_via_other')}条。主动公开规范性文件"
            f"{_t(v, 'p_normdocs_disclosed')}条，回应公众关注热点或重大舆情{_t(v, 'r_hotspots')}次，发布政策解读稿件"
            f"{_t(v, 'r_interpretations')}篇。"
        ),
        "filler:1",
        Para("三、依申请公开政府信息情况", "heading"),
        Para(
            f"{year}年，{we}共受理政府信息公开申请{_t(v, 'a_received')}件，其中当面申请{_t(v, 'a_received_in_person')}件，"
            f"网络申请{_t(v, 'a_received_online')}件，信函申请{_t(v, 'a_received_letter')}件。已按时办结"
            f"{_t(v, 'a_completed_on_time')}件，延期办结{_t(v, 'a_completed_extended')}件。"
        ),
        Para("四、政府信息公开的收费及减免情况", "heading"),
        Para(f"{year}年，{we}未收取政府信息公开检索、复制、邮寄等费用，无减免收费情况。"),
        Para("五、因政府信息公开申请行政复议、提起行政诉讼的情况", "heading"),
        Para(
            f"{year}年，{we}因政府信息公开申请行政复议{_t(v, 'review_total')}件，提起行政诉讼{_t(v, 'lit_total')}件，"
            f"收到举报投诉{_t(v, 'complaints_total')}件。"
        ),
        Para("六、存在的主要问题及改进情况", "heading"),
        "filler:2",
        Para("七、其他需要报告的事项", "heading"),
        Para(f"{year}年，{we}无其他需要报告的事项。"),
        Para(pub.organization, "right"),
        Para(f"{year + 1}年{rng.randint(1, 3)}月{rng.randint(1, 28)}日", "right"),
        Para("附件：政府信息公开情况统计表", "plain"),
        Para("政府信息公开情况统计表", "center"),
        Para(f"({year} 年度)", "center"),
        Para(f"填报单位（盖章）：{pub.organization}", "plain"),
        "table",
    ]
    out += [Para(f"{k}：{rng.choice(PEOPLE)}", "plain") for k in ("单位负责人", "审核人", "填报人")]
    out.append(Para(f"填报日期：{year + 1}年{rng.randint(1, 3)}月{rng.randint(1, 28)}日", "plain"))
    return out


def prose_2019(
    pub: Publisher, year: int, v: dict, url: str, rng: random.Random
) -> list[Para | str]:
    we = pub.we
    lit = _t(v, "lit_direct_total") + _t(v, "lit_after_review_total")
    return [
        Para(
            f"根据《中华人民共和国政府信息公开条例》（以下简称《条例》）第五十条规定，制作本报告。{_scope(pub)}"
            f"{_period(pub, year, url)}"
        ),
        Para("一、总体情况", "heading"),
        Para(
            f"{year}年，{pub.title_name}认真贯彻落实新修订的《条例》，坚持以公开为常态、不公开为例外，全年收到政府信息公开申请"
            f"{_t(v, 'a_new')}件，上年结转{_t(v, 'a_carried_in')}件，办结{_t(v, 'a_processed')}件，其中予以公开"
            f"{_t(v, 'a_granted')}件，部分公开{_t(v, 'a_partial')}件；结转下年度继续办理{_t(v, 'a_carried_out')}件。"
        ),
        "filler:0",
        Para("二、主动公开政府信息情况", "heading"),
        "section2",
        Para("三、收到和处理政府信息公开申请情况", "heading"),
        "section3",
        Para("四、政府信息公开行政复议、行政诉讼情况", "heading"),
        "section4",
        Para(
            f"{year}年，{we}因政府信息公开工作被申请行政复议{_t(v, 'review_total')}件，被提起行政诉讼{lit}件。"
        ),
        Para("五、存在的主要问题及改进情况", "heading"),
        "filler:1",
        Para("六、其他需要报告的事项", "heading"),
        Para(f"{year}年，{we}无其他需要报告的事项。"),
        Para(pub.organization, "right"),
        Para(f"{year + 1}年{rng.randint(1, 3)}月{rng.randint(1, 28)}日", "right"),
    ]


def prose_2021(
    pub: Publisher, year: int, v: dict, url: str, rng: random.Random
) -> list[Para | str]:
    """The fixture's gov2021 prose (tests/fixtures/gov2021.py) with filler slots added."""
    published = f"{year + 1}-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}"
    profile = gov2021.Profile(
        stem="",
        year=year,
        kind=pub.kind,
        organization=pub.organization,
        title_name=pub.title_name,
        we=pub.we,
        office=pub.office,
        region=pub.region,
        region_level=pub.region_level,
        parent_region=pub.parent_region,
        prefecture=pub.prefecture,
        region_code=pub.region_code,
        site=pub.site,
        url=url,
        published=published,
        new_range=(),
        carried_in_max=(),
        split_before="",
    )
    body = gov2021._prose(profile, v)
    at = next(
        i for i, b in enumerate(body) if isinstance(b, Para) and b.text.startswith("二、主动公开")
    )
    body.insert(at, "filler:0")
    at = next(
        i for i, b in enumerate(body) if isinstance(b, Para) and b.text.startswith("六、其他需要")
    )
    body.insert(at, "filler:1")
    return body


PROSE = {"gov2008": prose_2008, "gov2019": prose_2019, "gov2021": prose_2021}


# ------------------------------------------------------------------- report

CHARS_PER_PAGE = 720  # 14 pt body text on A4 with the official margins (fitted on renders)
TABLE_PAGES = {"gov2008": 3.0, "gov2019": 2.2, "gov2021": 2.6}


@dataclass
class Draft:
    """A report before its length is settled: body slots are table names or "filler:<k>"."""

    spec: Spec
    title_lines: list[str]
    body: list[Para | str]
    tables: dict[str, Table]
    values: dict[tuple[str, str], str]
    filler: list[tuple[int, str]]  # (slot, paragraph), in the order they are taken
    n_filler: int  # how many the page target asks for
    hazards: list[str]
    published: str

    def report(self, n_filler: int) -> Report:
        """The report with the first n_filler filler paragraphs."""
        blocks: list[Para | Table] = []
        for b in self.body:
            if isinstance(b, Para):
                blocks.append(b)
            elif b.startswith("filler:"):
                blocks += [Para(t) for s, t in self.filler[:n_filler] if s == int(b[7:])]
            else:
                blocks.append(self.tables[b])
        units = _units_2008() if self.spec.template == "gov2008" else {}
        keys = [k for b in blocks if isinstance(b, Table) for k in b.gold_keys()]
        gold = [
            GoldValue(c, a, self.values[(c, a)], units.get(c) or layouts.unit_of(c))
            for c, a in keys
        ]
        s = self.spec
        return Report(
            stem=s.stem,
            template=s.template,
            year=s.year,
            title_lines=self.title_lines,
            blocks=blocks,
            values=gold,
            identity=_identity(s),
            site=s.publisher.site,
            published=self.published,
        )


def draft(spec: Spec) -> Draft:
    rng = random.Random(f"{spec.seed}/{spec.index}")
    pub, template, year, kind = spec.publisher, spec.template, spec.year, spec.publisher.kind
    hazards: list[str] = []
    if template == "gov2008":
        values = {(c, "total"): str(x) for c, x in values_2008(rng, kind).items()}
    else:
        s2 = section2_2019(rng, kind) if template == "gov2019" else section2_2021(rng, kind)
        values = {(c, "total"): str(x) for c, x in s2.items()}
        values.update({k: str(x) for k, x in matrix_values(rng, kind, template).items()})
        values.update({(c, "total"): str(x) for c, x in section4_values(rng, kind).items()})
        if template == "gov2019" and rng.random() < 0.7:
            hazards.append("procurement")
    _blank_zeros(rng, values, hazards)
    tables = (
        {"table": table_2008(rng, values, hazards)}
        if template == "gov2008"
        else tables_2019_2021(rng, template, values, hazards)
    )
    url = f"http://www.{''.join(rng.choice('abcdefghjklmnpqrstwxyz') for _ in range(rng.randint(4, 7)))}.gov.cn"
    body = PROSE[template](pub, year, values, url, rng)
    title = rng.choice(
        ("{n}{y}年政府信息公开工作年度报告", "{n} {y} 年政府信息公开工作年度报告")
    ).format(n=pub.title_name, y=year)
    long_title = len(title) > 24 and rng.random() < 0.5
    title_lines = [pub.title_name, title[len(pub.title_name) :].strip()] if long_title else [title]
    # Filler: seed paragraphs enough for a page target, each with the slot it goes to.
    target = rng.randint(*PAGES)
    fixed = (
        sum(len(b.text) for b in body if isinstance(b, Para)) / CHARS_PER_PAGE
        + TABLE_PAGES[template]
    )
    n_slots = sum(1 for b in body if isinstance(b, str) and b.startswith("filler:"))
    pool = list(_seed_material()[0])
    rng.shuffle(pool)
    filler: list[tuple[int, str]] = []
    chars, n_target = 0, None
    for text, seed_year in pool:  # drawn up to the longest report, taken up to the target
        if n_target is None and len(filler) >= 3 and chars >= (target - fixed) * CHARS_PER_PAGE:
            n_target = len(filler)
        if chars >= (PAGES[1] + 1 - fixed) * CHARS_PER_PAGE:
            break
        para = adapt(text, seed_year, pub, year, rng)
        filler.append((0 if rng.random() < 0.6 else rng.randrange(n_slots), para))
        chars += len(para)
    published = f"{year + 1}-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}"
    return Draft(
        spec, title_lines, body, tables, values, filler, n_target or len(filler), hazards, published
    )


def _identity(spec: Spec) -> dict[str, str]:
    p = spec.publisher
    return {
        "report": spec.stem,
        "year": str(spec.year),
        "template": spec.template,
        "organization": p.organization,
        "region": p.region,
        "region_level": p.region_level,
        "parent_region": p.parent_region,
        "prefecture": p.prefecture,
        "province": p.province,
        "region_code": p.region_code,
    }


@cache
def _units_2008() -> dict[str, str]:
    return {code: unit for _, rows in _seed_material()[1] for _, unit, code in rows if code}


def _layout(d: Draft, n: int, path: Path | None, font: str) -> tuple[Report, int, int]:
    """(report, filler count, PDF pages) laid out with about n filler paragraphs; the PDF is
    written to path, or only counted.  reportlab can fail to split a table whose merged
    label is taller than the rows left on a page (tests/fixtures/render_pdf.GridTable):
    the nearest filler count that moves the table off that spot is taken instead."""
    for k in sorted(range(len(d.filler) + 1), key=lambda k: (abs(k - n), k)):
        report = d.report(k)
        try:
            return report, k, render_pdf(report, path or Path(os.devnull), font=font).pages
        except LayoutError:
            continue
    raise RuntimeError(f"{d.spec.stem}: reportlab cannot lay out this report")


def text_with_page_numbers(report: Report, pages: int, rng: random.Random) -> str:
    """Text as copied from a PDF: `- N -` lines wherever the pages broke, tables included."""
    lines = text_of(report).split("\n")
    step = len(lines) / pages
    out, k = [], 1
    for i, line in enumerate(lines):
        if k < pages and i >= k * step:
            out.append(f"- {k} -")
            k += 1
        out.append(line)
    return "\n".join(out)


def make(spec: Spec, raw_dir: Path) -> tuple[list[dict], dict]:
    """Render one report into raw_dir; its gold value rows and report row."""
    d = draft(spec)
    hazards = d.hazards
    rng = random.Random(f"{spec.seed}/{spec.index}/render")
    rel = f"{spec.fmt}/{spec.stem}.{EXTENSIONS[spec.fmt]}"
    path = raw_dir / rel
    pdf_path = path if spec.fmt == "pdf" else None
    # Most posted PDFs embed their fonts (Word/WPS); some use a non-embedded CID font,
    # which sends table pages to the reader's pdfplumber fallback.
    font = "cid" if spec.fmt == "pdf" and rng.random() < CID_FONT_SHARE else "embedded"
    if font == "cid":
        hazards.append("cid_font")
    report, n, pages = _layout(d, d.n_filler, pdf_path, font)
    for _ in range(6):  # nudge into the page range: drop filler paragraphs (or take them back)
        if PAGES[0] <= pages <= PAGES[1]:
            break
        step = max(1, n // 5)
        n = max(0, n - step) if pages > PAGES[1] else min(len(d.filler), n + step)
        report, n, pages = _layout(d, n, pdf_path, font)
    if spec.fmt == "docx":
        render_docx(report, path)
    elif spec.fmt == "html":
        gbk = rng.random() < 0.25
        page = html_page(report, _HEAD_GBK if gbk else _HEAD_UTF8)
        path.write_bytes(
            page.encode("gbk", errors="xmlcharrefreplace") if gbk else page.encode("utf-8")
        )
        hazards.append("gbk" if gbk else "utf8")
    elif spec.fmt == "text":
        if rng.random() < 0.5:
            path.write_text(text_with_page_numbers(report, pages, rng), encoding="utf-8")
            hazards.append("page_number_lines")
        else:
            path.write_text(text_of(report), encoding="utf-8")
    row = dict(
        report.identity,
        format=spec.fmt,
        source_path=rel,
        pages=str(pages),
        hazards=";".join(hazards),
    )
    return report.value_rows(), row


def _make(args):
    return make(*args)


def _write_csv(path: Path, columns, rows) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(columns), lineterminator="\r\n")
        w.writeheader()
        w.writerows(rows)


def generate(outdir: Path, n: int, seed: int = 0, workers: int = 2) -> list[dict]:
    """Write the corpus; returns the gold_reports rows."""
    outdir = Path(outdir)
    raw = outdir / "raw"
    for fmt in FORMATS:
        (raw / fmt).mkdir(parents=True, exist_ok=True)
    jobs = [(s, raw) for s in plan(n, seed)]
    if workers > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_make, jobs, chunksize=8)
    else:
        results = [_make(j) for j in jobs]
    _write_csv(outdir / "gold_values.csv", VALUE_COLUMNS, [r for vals, _ in results for r in vals])
    reports = [row for _, row in results]
    _write_csv(outdir / "gold_reports.csv", REPORT_COLUMNS + REPORT_EXTRA, reports)
    return reports


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.corpus",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--reports", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    reports = generate(a.outdir, a.reports, a.seed, a.workers)
    pages = [int(r["pages"]) for r in reports]
    by = Counter((r["format"]) for r in reports)
    print(
        f"{len(reports)} reports, {sum(pages)} pages ({min(pages)}-{max(pages)} per report), "
        f"{dict(by)}, {Counter(r['template'] for r in reports)} in {time.perf_counter() - t0:.1f}s -> {a.outdir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
