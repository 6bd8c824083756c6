"""The grammar of the 2008–2018 statistics table (统计指标 | 单位 | 统计数), over the token stream.

A row is a label (one or more text tokens: a label may wrap over lines), an
optional unit, and its value cells: one (统计数), or two in the early
provincial forms (the year, then 历年累计, which is never a catalog value).
Rows are grouped into chapters (一、主动公开情况 …); a chapter's section is the
one most of its rows match in the catalog, so duplicate labels such as
被依法纠错数 (under 行政复议 and under 行政诉讼) land on the right code. Rows
that match no code are kept uncatalogued, with their label and value.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from .. import catalog, vocabulary
from ..labels import brackets_open, numbering
from ..model import Cell, Issue
from ..values import UNITS
from .align import align
from .stream import Tok
from .words import key as word_key

TEMPLATE = "gov2008"


@dataclass
class _Row:
    label: list[Tok] = field(default_factory=list)
    unit: str | None = None
    values: list[Tok] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(f"{t.numbering}{t.text}" for t in self.label)

    @property
    def printed(self) -> str:
        raws = []
        for t in self.label:
            if not raws or raws[-1] is not t.raw:
                raws.append(t.raw)
        printed = " ".join(" ".join(r.split()) for r in raws)
        return (
            printed
            if len(self.label) <= 3 and len(printed) <= 2 * len(self.text) + 24
            else self.text
        )


@cache
def _words():
    def keys(role: str) -> tuple[str, ...]:
        return tuple(word_key(w) for w in vocabulary.markers(role, TEMPLATE))

    return (
        keys("table_start"),
        keys("column_header"),
        keys("value_column"),
        keys("cumulative_column"),
        keys("table_end"),
    )


@cache
def _catalog_keys() -> dict[str, str]:
    """Label key → the catalog key it stands for (variants included)."""
    out = {word_key(e.label): word_key(e.label) for e in catalog.for_template(TEMPLATE)}
    for variant, canonical in vocabulary.label_variants().items():
        canonical = canonical.translate(str.maketrans("", "", "“”"))
        if canonical in out:
            out.setdefault(variant, canonical)
    return out


def _canonical(text: str) -> str:
    k = word_key(text)
    return _catalog_keys().get(k, k)


def find_start(toks: list[Tok]) -> tuple[int, int] | None:
    """(token index, character offset in it) where the table starts."""
    starts, headers, *_ = _words()
    for i, t in enumerate(toks):
        if t.kind != "text":
            continue
        for s in starts:
            at = t.text.find(s)
            # The table's header, not the words in a sentence: a short cell or line,
            # or the header's next column right after it (a crawler's glued dump).
            if at >= 0 and (
                len(t.text) <= 40
                or any(h in t.text[at + len(s) : at + len(s) + 12] for h in headers)
            ):
                return i, at
    first = word_key(catalog.for_template(TEMPLATE, "proactive")[0].label)
    for i, t in enumerate(toks):
        if t.kind == "text" and _canonical(t.text) == first and _followed_by_value(toks, i):
            return i, 0
    return None


def _followed_by_value(toks: list[Tok], i: int) -> bool:
    nxt = toks[i + 1 : i + 3]
    return any(t.kind in ("num", "blank") for t in nxt)


def _split_unit(t: Tok) -> tuple[str, str | None]:
    """'主动公开信息数条' glued to its number: the label and the unit cell."""
    for u in UNITS:
        if t.text.endswith(u) and len(t.text) > len(u):
            return t.text[: -len(u)], u
    return t.text, None


def rebuild_rows(toks: list[Tok]) -> tuple[list[_Row], int]:
    """Table rows from the tokens after the table's start; how many value columns."""
    _, headers, value_cols, cumulative_cols, ends = _words()
    rows: list[_Row] = []
    cur = _Row()
    ncols = 1
    seen_value_col = False

    def close():
        nonlocal cur
        if cur.label:
            rows.append(cur)
        cur = _Row()

    for i, t in enumerate(toks):
        if t.kind == "text":
            k = word_key(t.text)
            if any(e in k for e in ends) and rows:
                break
            if t.text in UNITS and cur.label and not cur.values and cur.unit is None:
                cur.unit = t.text
                continue
            text, unit = t.text, None
            cut = _header_end(text, (*headers, *value_cols, *cumulative_cols))
            if cut:
                head = text[:cut]
                if any(c in head for c in cumulative_cols) and (
                    seen_value_col or any(v in head for v in value_cols)
                ):
                    ncols = 2
                seen_value_col = seen_value_col or any(v in head for v in value_cols)
                text = text[cut:]
                if not text:
                    continue
                t = Tok(**{**t.__dict__, "text": text, "numbering": ""})
            if i + 1 < len(toks) and toks[i + 1].kind == "num" and not t.col:
                text, unit = _split_unit(t)
            if cur.values or cur.unit is not None or _starts_row(cur, t):
                close()
            cur.label.append(Tok(**{**t.__dict__, "text": text}))
            if unit:
                cur.unit = unit
        elif cur.label:
            if (
                t.col is not None
                and cur.values
                and t.row != cur.values[-1].row
                and t.row != cur.label[-1].row
            ):
                close()  # a number in a table row of its own, after a complete row: no label to give it
                continue
            cur.values.append(t)
    close()
    return rows, ncols


def _header_end(text: str, words: tuple[str, ...]) -> int:
    """Where the column headers at the start of a text end (0: it starts with none)."""
    pos = 0
    while True:
        year = re.match(r"(?:19|20)\d{2}", text[pos:])  # 2012年度: the year column's header
        if year and any(text.startswith(w, pos + 4) for w in words):
            pos += 4
        hit = next(
            (w for w in sorted(words, key=len, reverse=True) if text.startswith(w, pos)), None
        )
        if hit is None:
            # '七、附表指标名称…': a heading before the header words
            later = [text.find(w, pos) for w in words if 0 < text.find(w, pos) <= pos + 8]
            if pos == 0 and later:
                pos = min(later)
                continue
            return pos
        pos += len(hit)


def _starts_row(cur: _Row, t: Tok) -> bool:
    """Whether a text token starts a new row or continues a wrapped label."""
    if not cur.label:
        return True
    if brackets_open(cur.text):
        return False
    if t.numbering or numbering(t.text).kind is not None:
        return True
    if t.col is not None and cur.label[-1].row != t.row:
        return True  # a new table row
    return (
        _canonical(cur.text) in _catalog_keys().values()
        or numbering(cur.label[0].numbering).kind == "chapter"
    )


def _chapters(rows: list[_Row]) -> list[list[_Row]]:
    chapters: list[list[_Row]] = []
    for r in rows:
        if not chapters or numbering(r.label[0].numbering or r.text).kind == "chapter":
            chapters.append([])
        chapters[-1].append(r)
    return chapters


@dataclass(frozen=True)
class Prose:
    """What the report's prose states, to settle a glued row the table alone cannot:
    figures tied to a code, and the prose text (a label followed by its number)."""

    figures: dict[str, set[float]]
    text: str

    def confirms(self, code: str | None, label: str, value: float) -> bool:
        if code is not None and value in self.figures.get(code, ()):
            return True
        number = f"{value:g}"
        return (
            bool(label)
            and re.search(rf"{re.escape(label)}(?:为|共|达)?{number}(?!\d)", self.text) is not None
        )


def parse(toks: list[Tok], prose: Prose | None = None) -> tuple[list[Cell], list[Issue]]:
    start = find_start(toks)
    if start is None:
        return [], [Issue("table", "no 统计指标/单位/统计数 table found")]
    i, at = start
    first = Tok(
        **{
            **toks[i].__dict__,
            "text": toks[i].text[at:],
            "numbering": "" if at else toks[i].numbering,
        }
    )
    rows, ncols = rebuild_rows([first, *toks[i + 1 :]])
    cells: list[Cell] = []
    issues: list[Issue] = []
    entries = catalog.for_template(TEMPLATE)
    cands = [(word_key(e.label), e) for e in entries]
    items = []
    for chapter in _chapters(rows):
        keys = [_canonical(r.text) for r in chapter]
        first_pass = catalog.assign(keys, cands)
        votes = Counter(e.section for e, _ in first_pass if e is not None)
        sections = [s for s, _ in votes.most_common(1)]
        # A chapter (一、主动公开情况 …) holds one section's rows; a table without chapters, any.
        headed = numbering(chapter[0].label[0].numbering or chapter[0].text).kind == "chapter"
        matched = catalog.assign(
            keys,
            [(k, e) for k, e in cands if e.section in sections] if sections and headed else cands,
        )
        section = sections[0] if sections else "unknown"
        items += [(row, entry, score, section) for row, (entry, score) in zip(chapter, matched)]
    # Each row on its own first; a row whose glued digits stay ambiguous then gets a second
    # try bounded by its sum rule over the rows that were read (a total is at least the sum
    # of its parts; a part at most its total less the other parts).
    results = []
    for row, entry, score, section in items:
        row_issues: list[Issue] = []
        results.append(
            (_row_cells(row, entry, score, section, ncols, row_issues, prose), row_issues)
        )
    settled = True
    while settled:  # a total settled may settle its parts in turn
        settled = False
        known = _known_values([c for got, _ in results for c in got])
        for k, ((row, entry, score, section), (_, row_issues)) in enumerate(zip(items, results)):
            bounds = _bounds(entry.code, known) if entry is not None and row_issues else None
            if bounds is not None:
                retry: list[Issue] = []
                again = _row_cells(row, entry, score, section, ncols, retry, prose, bounds)
                if not retry:
                    results[k], settled = (again, []), True
    for got, row_issues in results:
        cells += got
        issues += row_issues
    if not cells:
        issues.append(Issue("table", "gov2008 table found but no row with a value read"))
    return cells, issues


def _known_values(cells: list[Cell]) -> dict[str, float]:
    """Code → value for the codes read exactly once, exactly."""
    seen: dict[str, list[float]] = {}
    for c in cells:
        if c.indicator_code and c.value is not None and not c.approximate:
            seen.setdefault(c.indicator_code, []).append(c.value)
    return {code: vs[0] for code, vs in seen.items() if len(vs) == 1}


def _bounds(code: str, known: dict[str, float]) -> tuple[float, float] | None:
    """The range the catalog's sum rules leave for `code`, given the values read."""
    lo, hi = 0.0, math.inf
    for e in catalog.for_template(TEMPLATE):
        if e.code == code and e.sum_of:
            lo = max(lo, sum(known.get(p, 0.0) for p in e.sum_of))
        if code in e.sum_of and e.code in known:
            others = sum(known.get(p, 0.0) for p in e.sum_of if p != code)
            hi = min(hi, known[e.code] - others)
    return (lo, hi) if lo > 0 or hi < math.inf else None


def _row_cells(
    row: _Row,
    entry,
    score: float,
    section: str,
    ncols: int,
    issues: list[Issue],
    prose: Prose | None,
    bounds: tuple[float, float] | None = None,
) -> list[Cell]:
    values = row.values
    if not any(t.kind == "num" for t in values):
        if entry is None:
            return []  # a heading
        part = None
    else:

        def check(vals):  # the cumulative column holds at least the year's figure
            return None if ncols == 1 or None in vals else vals[1] >= vals[0]

        a = align(values, ncols, check)
        if 0 in a.ambiguous and prose is not None:
            # Glued digits (条20263542): a split the prose states for this row is the one.
            label = word_key(row.text)
            a = align(
                values,
                ncols,
                lambda vals: (
                    (check(vals) is not False)
                    and vals[0] is not None
                    and prose.confirms(entry.code if entry else None, label, vals[0])
                ),
            )
            if a.arithmetic != "confirmed":
                a = align(values, ncols, check)
        if 0 in a.ambiguous and bounds is not None:
            lo, hi = bounds
            a = align(
                values,
                ncols,
                lambda vals: (
                    (check(vals) is not False) and vals[0] is not None and lo <= vals[0] <= hi
                ),
            )
            if a.arithmetic != "confirmed":
                a = align(values, ncols, check)
        if a.readings == 0 or a.ambiguous:
            reason = (
                f"{len([t for t in values if t.kind == 'num'])} values for {ncols} columns"
                if a.readings == 0
                else f"{a.readings} readings of the digits fit its {ncols} columns"
            )
            issues.append(
                Issue(
                    "table",
                    f"gov2008 row {row.printed!r}: {reason}; cell left NULL",
                    row.label[0].locator,
                )
            )
        part = a.parts[0]
    if entry is None and (part is None or part.text is None):
        return []
    tok = part.tok if part is not None else row.label[-1]
    text = (
        ""
        if part is None or part.text is None
        else (tok.raw.strip() if tok.in_cell else f"{part.text}{tok.unit or ''}")
    )
    unit = (
        (tok.unit if part is not None and part.text is not None and tok.unit else None)
        or row.unit
        or (entry.unit if entry else None)
    )
    return [
        Cell(
            section=entry.section if entry else section,
            row_label=row.printed,
            column_label=None,
            indicator_code=entry.code if entry else None,
            applicant_type="total",
            value=part.value if part is not None else None,
            unit=unit,
            value_text=text,
            source_locator=tok.locator,
            page=tok.page,
            line=tok.line,
            approximate=bool(part is not None and part.text is not None and tok.approximate),
            match_method="label" if score >= 0.999 else "fuzzy_label",
        )
    ]


def detect(toks: list[Tok]) -> bool:
    return find_start(toks) is not None
