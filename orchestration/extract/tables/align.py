"""Placing a row's value tokens into its columns, proved or not at all.

A row's tokens do not always fit its columns one to one: padding cells left by
merged label columns, a phantom empty cell at the end of a pipe row, digits a
crawler glued together (`1077` for three cells). Every way of reading the
tokens as exactly `n` cells is a *reading*:

* empty cells at either end may be padding (dropped);
* a splittable digit run may hold several cells (no part starts with 0 unless
  it is 0 itself);
* everything else is one cell.

Readings the table's own arithmetic contradicts are dropped when another
survives. A cell takes a value only when every remaining reading gives it the
same value; the others stay NULL and the caller records why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .stream import Tok

MAX_READINGS = 2000


@dataclass(frozen=True)
class Part:
    """One cell of a reading: a value (digits as printed) or a blank."""

    text: str | None  # None: blank
    tok: Tok

    @property
    def value(self) -> float | None:
        if self.text is None:
            return None
        return float(self.text)


@dataclass
class Alignment:
    parts: list[Part | None]  # one per column; None: undetermined (readings disagree) or blank
    readings: int  # how many readings fit (after arithmetic)
    trivial: bool  # the tokens were the cells, one to one
    ambiguous: list[int]  # columns the readings disagree on
    arithmetic: str  # confirmed | contradicted | unchecked | cut_off (see cut_off)


def _splits(digits: str, k: int) -> list[list[str]]:
    """Ways to cut a digit run into k numbers without leading zeros."""
    if k == 1:
        return [[digits]] if (digits == "0" or not digits.startswith("0")) else []
    out = []
    first_max = 1 if digits.startswith("0") else len(digits) - k + 1
    for i in range(1, first_max + 1):
        for rest in _splits(digits[i:], k - 1):
            out.append([digits[:i], *rest])
            if len(out) > MAX_READINGS:
                return out
    return out


def readings(toks: list[Tok], n: int) -> list[list[Part]]:
    """Every reading of the tokens as exactly n cells (see the module doc)."""
    lead = 0
    while lead < len(toks) and toks[lead].kind == "blank":
        lead += 1
    trail = 0
    while trail < len(toks) - lead and toks[len(toks) - 1 - trail].kind == "blank":
        trail += 1
    out: list[list[Part]] = []
    for drop_front in range(lead + 1):
        for drop_back in range(trail + 1):
            if drop_front + drop_back > len(toks):
                continue
            core = toks[drop_front : len(toks) - drop_back]
            out += _expand(core, n)
            if len(out) > MAX_READINGS:
                return out
    # The same cells reached by dropping different padding are one reading.
    seen, unique = set(), []
    for r in out:
        key = tuple(p.text for p in r)
        if key not in seen:
            seen.add(key)
            unique.append(r)
    return unique


def _expand(core: list[Tok], n: int) -> list[list[Part]]:
    if not core:
        return [[]] if n == 0 else []
    capacity = sum(len(t.text) if t.splittable else 1 for t in core)
    if n < len(core) or n > capacity:
        return []
    first, rest = core[0], core[1:]
    min_rest = len(rest)
    out: list[list[Part]] = []
    if first.kind == "blank":
        ks = [1]
    elif first.splittable:
        ks = range(1, n - min_rest + 1)
    else:
        ks = [1]
    for k in ks:
        pieces = [[first.text]] if k == 1 and not first.splittable else _splits(first.text, k)
        if not pieces:
            continue
        tails = _expand(rest, n - k)
        for piece in pieces:
            head = [Part(None if first.kind == "blank" else p, first) for p in piece]
            if first.sign and head:
                head[0] = Part(first.sign + head[0].text if head[0].text else None, first)
            for tail in tails:
                out.append(head + tail)
                if len(out) > MAX_READINGS:
                    return out
    return out


def align(
    toks: list[Tok], n: int, check: Callable[[list[float | None]], bool | None] | None = None
) -> Alignment:
    found = readings(toks, n)
    trivial = len(toks) == n and not any(t.splittable and len(t.text) > 1 for t in toks)
    if not found:
        return Alignment([None] * n, 0, False, list(range(n)), "unchecked")
    arithmetic = "unchecked"
    if check is not None:
        verdicts = [check([p.value for p in r]) for r in found]
        if True in verdicts:
            found = [r for r, v in zip(found, verdicts) if v]
            arithmetic = "confirmed"
        elif None in verdicts:
            found = [r for r, v in zip(found, verdicts) if v is None] if len(found) > 1 else found
        else:
            arithmetic = "contradicted"
    parts: list[Part | None] = []
    ambiguous = []
    for j in range(n):
        texts = {r[j].text for r in found}
        if len(texts) == 1:
            parts.append(found[0][j])
        else:
            parts.append(None)
            ambiguous.append(j)
    return Alignment(parts, len(found), trivial, ambiguous, arithmetic)


def cut_off(toks: list[Tok], n: int) -> Alignment | None:
    """A row cut off by the end of the document (an excerpt, a page saved half-loaded):
    when every token is a whole delimited cell, the k cells read are the row's first k
    columns; the rest stay undetermined. None when the cells are not delimited. A last
    cell the source ends inside without a closing mark may be cut short: never placed."""
    toks = [t for t in toks if t.closed]
    if not toks or len(toks) >= n or not all(t.in_cell and not t.splittable for t in toks):
        return None
    parts = [Part(None if t.kind == "blank" else t.text, t) for t in toks]
    rest = list(range(len(toks), n))
    return Alignment([*parts, *([None] * len(rest))], 1, False, rest, "cut_off")


def sums_to_last(values: list[float | None], parts: int | None = None) -> bool | None:
    """The last value is the sum of the ones before it (None when a cell is blank)."""
    if any(v is None for v in values):
        return None
    body = values[:-1] if parts is None else values[-1 - parts : -1]
    return abs(sum(body) - values[-1]) < 1e-6
