"""The words the parsers look for, read from the dbt seeds (one file per kind).

* `indicators.csv` / `applicant_types.csv`: what a cell means (see `catalog.py`);
* `label_variants.csv`: other ways publishers print a catalog label or label part;
* `table_markers.csv`: section anchors, column headers, template markers, table ends;
* `units.csv`: unit words; `qualifiers.csv`: words that make a figure approximate.

Adding a variant or a marker is one line in one CSV; no label is written in Python.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"


def _rows(name: str) -> list[dict[str, str]]:
    with open(SEEDS / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


@cache
def units() -> tuple[str, ...]:
    """Unit words, longest first (人次 before 人)."""
    return tuple(sorted((r["unit"] for r in _rows("units.csv")), key=len, reverse=True))


@cache
def qualifiers(position: str) -> tuple[str, ...]:
    """Approximation words printed `before` or `after` a number, longest first."""
    words = [r["word"] for r in _rows("qualifiers.csv") if r["position"] == position]
    return tuple(sorted(words, key=len, reverse=True))


@cache
def label_variants() -> dict[str, str]:
    """Matching key of each printed variant → matching key of the catalog label (part) it means."""
    from .labels import label_key

    return {label_key(r["variant"]): label_key(r["label"]) for r in _rows("label_variants.csv")}


@cache
def markers(role: str, template: str | None = None) -> tuple[str, ...]:
    """Marker texts of one role (`table_markers.csv`), for one template or all ('*' rows always)."""
    out = []
    for r in _rows("table_markers.csv"):
        templates = r["template"].split("+")
        if r["role"] == role and (template is None or template in templates or "*" in templates):
            out.append(r["text"])
    return tuple(out)


@cache
def template_markers() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for r in _rows("table_markers.csv"):
        if r["role"] == "template_marker":
            out.setdefault(r["template"], []).append(r["text"])
    return {t: tuple(v) for t, v in out.items()}
