"""The indicator catalog (dbt seed `indicators.csv`) as the parsers use it.

The seed is the single source of indicator meaning: codes, labels, units and
sections are read from it, never repeated in code. Labels of the 2019/2021
templates are "row column" (`规章 本年新制作数量`) or "parent leaf"
(`（三）不予公开 1.属于国家秘密`); `Entry` keeps both parts.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .labels import label_key, missing_chars, similarity

CATALOG_PATH = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "indicators.csv"
TEMPLATES = ("gov2008", "gov2019", "gov2021")

# Below this similarity a label is not the catalog's label; greedy one-to-one
# assignment (best pairs first) settles the rest.
MATCH_THRESHOLD = 0.72


@dataclass(frozen=True)
class Entry:
    template: str
    section: str
    code: str
    label: str
    unit: str
    head: str  # first part of the label: the row (section 二) or parent row (section 三)
    tail: str  # second part: the column (section 二) or leaf row (section 三); '' if none
    sum_of: tuple[str, ...] = ()  # the codes this total is the sum of (disjoint parts)

    @property
    def key(self) -> str:
        return label_key(self.head) + label_key(self.tail)


@cache
def entries() -> tuple[Entry, ...]:
    out = []
    with open(CATALOG_PATH, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            head, _, tail = r["label_zh"].partition(" ")
            for template in r["template"].split("+"):
                parts = tuple(c for c in r["sum_of"].split("+") if c)
                out.append(
                    Entry(
                        template,
                        r["section"],
                        r["code"],
                        r["label_zh"],
                        r["unit"],
                        head,
                        tail,
                        parts,
                    )
                )
    return tuple(out)


def for_template(template: str, section: str | None = None) -> list[Entry]:
    return [
        e for e in entries() if e.template == template and (section is None or e.section == section)
    ]


def unit_of(code: str) -> str | None:
    for e in entries():
        if e.code == code:
            return e.unit
    return None


def assign(
    keys: list[str], candidates: list[tuple[str, object]], threshold: float = MATCH_THRESHOLD
):
    """Match row keys to candidate keys one-to-one, best pairs first.

    Returns, for each row key, the matched candidate's payload (or None) and the
    score. A row never takes a candidate already taken by a better-matching row,
    so two rows can never land on one code.
    """
    # Equal keys first (they would win anyway); only the rest need fuzzy scores.
    exact: dict[str, list[int]] = {}
    for j, (ck, _) in enumerate(candidates):
        exact.setdefault(ck, []).append(j)
    scored = []
    fuzzy_rows = []
    for i, k in enumerate(keys):
        if k and k in exact:
            scored += [(1.0, i, j) for j in exact[k]]
        elif k:
            fuzzy_rows.append(i)
    for i in fuzzy_rows:
        for j, (ck, _) in enumerate(candidates):
            s = similarity(keys[i], ck, floor=threshold)
            if s >= threshold and missing_chars(ck, keys[i]) <= max(2, len(ck) // 5):
                scored.append((s, i, j))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    result: list[tuple[object | None, float]] = [(None, 0.0)] * len(keys)
    used_rows, used_cands = set(), set()
    for s, i, j in scored:
        if i in used_rows or j in used_cands:
            continue
        used_rows.add(i)
        used_cands.add(j)
        result[i] = (candidates[j][1], s)
    return result


APPLICANT_TYPES_PATH = CATALOG_PATH.with_name("applicant_types.csv")


@dataclass(frozen=True)
class ApplicantColumn:
    applicant_type: str
    label: str
    group: str  # the spanning header above it ('' when none)


@cache
def applicant_columns() -> tuple[ApplicantColumn, ...]:
    """Section-三 columns in template order (seed `applicant_types.csv`)."""
    with open(APPLICANT_TYPES_PATH, encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: int(r["sort_order"]))
    return tuple(
        ApplicantColumn(r["applicant_type"], r["label_zh"], r["column_group"]) for r in rows
    )
