"""Extraction against the hand-typed gold of the realdocs development set.

``shared/realdocs`` (beside this repository) holds 24 real report texts and a PDF with
every table cell typed by hand in ``values.csv``. For each document:

- zero wrong values (hard): no extracted cell may carry a number that differs from gold,
  or a number where gold has a visibly blank cell (cells gold does not list — cut off by
  the end of an excerpt, or left out like r11's procurement rows — are not judged);
- the number of non-blank gold cells reproduced exactly is at least `FLOOR`.

Run with ``-s`` to see the cells each document misses.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from orchestration.extract import extract_bytes

pytestmark = pytest.mark.unit

REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"

# Non-blank gold cells each document must reproduce, read off the parser when this file
# was written. The floors only go up: raise one when the parser gets better, never lower it.
FLOOR: dict[str, int] = {
    "r01": 13,
    "r02": 6,
    "r03": 191,
    "r04": 200,
    "r05": 20,
    "r06": 22,
    "r07": 22,
    "r08": 22,
    "r09": 6,
    "r10": 0,
    "r11": 20,
    "r12": 59,
    "r13": 9,
    "r14": 10,
    "r15": 11,
    "r16": 10,
    "r17": 16,
    "r18": 20,
    "r19": 9,
    "r20": 78,
    "r21": 6,
    "r22": 24,
    "r23": 86,
    "r24": 7,
    "r25": 186,
}

MATCHED: dict[str, tuple[int, int, list[str]]] = {}  # doc -> (matched, non-blank gold, missed)


def _gold() -> dict[str, dict[tuple[str, str], float | None]]:
    out: dict[str, dict[tuple[str, str], float | None]] = {}
    path = REALDOCS / "values.csv"
    if not path.exists():
        return out
    with open(path, encoding="utf-8", newline="") as f:
        for g in csv.DictReader(f):
            value = float(g["value"]) if g["value"].strip() else None
            out.setdefault(g["report"], {})[(g["code"], g["applicant_type"])] = value
    return out


GOLD = _gold()


def _document(name: str) -> Path:
    (path,) = sorted((REALDOCS / "docs").glob(f"{name}.*"))
    return path


def _fmt(v: float | None) -> str:
    if v is None:
        return "blank"
    return str(int(v)) if v == int(v) else str(v)


@pytest.mark.skipif(not GOLD, reason=f"no gold at {REALDOCS}")
@pytest.mark.parametrize("name", sorted(GOLD))
def test_realdoc_against_gold(name):
    gold = GOLD[name]
    path = _document(name)
    x = extract_bytes(path.read_bytes(), path.name)
    wrong, matched = [], set()
    for c in x.cells:
        if not c.indicator_code or c.value is None:
            continue
        key = (c.indicator_code, c.applicant_type)
        if key not in gold:
            continue
        want = gold[key]
        if want is not None and abs(c.value - want) < 1e-9:
            matched.add(key)
        else:
            wrong.append(
                f"{key[0]}/{key[1]} = {_fmt(c.value)} (gold {_fmt(want)}); text {c.value_text!r}, "
                f"row {c.row_label!r}, column {c.column_label!r}, at {c.source_locator}"
            )
    nonblank = {k: v for k, v in gold.items() if v is not None}
    missed = [
        f"{c}/{a}={_fmt(v)}" for (c, a), v in sorted(nonblank.items()) if (c, a) not in matched
    ]
    MATCHED[name] = (len(matched), len(nonblank), missed)
    if missed:
        print(f"\n{name}: {len(matched)}/{len(nonblank)} matched; missed: " + ", ".join(missed))

    assert not wrong, f"{name}: {len(wrong)} wrong value(s):\n  " + "\n  ".join(wrong)
    assert len(matched) >= FLOOR.get(name, 0), (
        f"{name}: {len(matched)} gold cells matched, floor {FLOOR[name]}"
    )


def test_realdocs_summary():
    if not MATCHED:
        pytest.skip("no realdocs test ran")
    got = sum(m for m, _, _ in MATCHED.values())
    total = sum(t for _, t, _ in MATCHED.values())
    per_doc = " ".join(f"{n}:{m}/{t}" for n, (m, t, _) in sorted(MATCHED.items()))
    print(f"\nrealdocs: {got}/{total} non-blank gold cells matched\n{per_doc}")
    raised = {n: m for n, (m, _, _) in sorted(MATCHED.items()) if m > FLOOR.get(n, 0)}
    if raised:
        print(f"floors that can go up: {raised}")
