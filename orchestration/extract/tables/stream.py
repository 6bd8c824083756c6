"""A document as one stream of tokens: words, numbers and empty cells, in reading order.

Whatever the layout (pipe rows, one cell per line, a crawler's text dump with
everything glued together, a PDF or HTML grid), the table grammars read the
same kinds of token:

* `text`: a run of words (a label, a header, prose), with its numbering
  (`（三）`, `2.`) already split off into `Tok.numbering`;
* `num`: a number as printed (`1077`, `-302`, `160.5964万元`, `3200余`). A run of
  digits glued to its label or to other digits (`规章000`, `00000002.其他`) may
  hold several cells: it is `splittable`, and `align.py` decides how to split
  it, or that it cannot be decided;
* `blank`: an empty cell (or `/`, `——`): no value, never zero.

Each token keeps where it was found (row index, cell index, locator) and the
text as printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..labels import clean
from ..model import Row
from ..values import DASHES, UNITS

_UNIT = "|".join(UNITS)
_BEFORE = "约|近|逾|超过"
# A number: digits (thousands commas, decimals), an optional approximation word and unit.
_NUM = re.compile(
    rf"(?P<pre>{_BEFORE})?(?P<sign>[+\-])?(?P<digits>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    rf"(?P<post>余|多)?\s*(?P<unit>{_UNIT})?(?P<tail>以上|左右)?"
)
# What may follow digits that are no table value: a date, a percentage, an ordinal, a year.
# A cell that looks numeric but is not a plain number (spreadsheet exports, broken
# conversions): never a value, always an issue.
NOT_PLAIN = re.compile(
    r"[+\-]?(?:\d+(?:\.\d*)?|\.\d+)[eE][+\-]?\d+|[+\-]?(?:nan|inf|infinity)|#?(?:N/A|VALUE!|DIV/0!|REF!|NUM!|NAME\?)",
    re.IGNORECASE,
)
_NOT_A_VALUE_AFTER = re.compile(r"^\s*(?:年|月|日|号|时|%|％|个百分点|周岁|岁|倍)")
_NUMBERING_AFTER = re.compile(r"^[.、．]\s*")
_DIGIT_AHEAD = re.compile(r"[+\-]?\d")
_COMMENT = re.compile(r"<!--.*?-->|<!\[[^\]]*\]>", re.DOTALL)
# Characters a mirror site or converter put in place of one it could not show.
_NOISE = re.compile(r"[?？\ufffd](?=\s*\d)")
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_RULE_CHARS = frozenset("—-─_")  # a cell of only these is drawn empty


@dataclass
class Tok:
    kind: str  # text | num | blank
    text: str  # text: words without spaces; num: the digits; blank: ''
    raw: str  # the cell (or line) as printed
    row: int  # index of the source row
    col: int | None  # cell index within a tabular row
    locator: str
    page: int | None
    line: int | None
    numbering: str = ""  # text: the numbering printed before the words ('（三）', '2.')
    splittable: bool = False  # num: digits glued to a label or to other digits
    unit: str | None = None
    approximate: bool = False
    sign: str = ""
    in_cell: bool = False  # num/blank: the whole of a table cell (a cell boundary on each side)
    width: int | None = None  # cells in the source row, for a tabular row
    closed: bool = True  # False: the last cell of a row the source ends inside (maybe cut short)
    unreadable: bool = False  # blank: a cell that looks numeric but is no plain number (1E3, NaN)

    @property
    def value_text(self) -> str:
        return f"{self.sign}{self.text}"


_NUMBERING_PREFIX = re.compile(
    r"^(?:其中[:：]?)?\s*(?:[(（][一二三四五六七八九十]+[)）][、.]?|[一二三四五六七八九十]+[、.]|\d{1,2}[、.．)）](?!\d)|[(（]\d{1,2}[)）])"
)


def _text_tok(text: str, raw: str, row: Row, ri: int, col: int | None) -> Tok | None:
    words = _SPACE.sub("", text)
    if not words:
        return None
    numbering = ""
    m = _NUMBERING_PREFIX.match(words)
    if m and m.end() < len(words):
        numbering, words = words[: m.end()], words[m.end() :]
    return Tok("text", words, raw, ri, col, row.locator, row.page, row.line, numbering=numbering)


def _lex(text: str, raw: str, row: Row, ri: int, col: int | None, whole_cell: bool) -> list[Tok]:
    """Tokens of one cell (or one line of free text)."""
    text = _NOISE.sub("", text)
    squashed = _SPACE.sub("", text)
    if whole_cell and (not squashed or squashed in DASHES or set(squashed) <= _RULE_CHARS):
        return [Tok("blank", "", raw, ri, col, row.locator, row.page, row.line, in_cell=True)]
    if whole_cell and NOT_PLAIN.fullmatch(squashed):
        # 1E3, NaN, #DIV/0!: a cell, so the row keeps its columns, but no value to trust
        blank = Tok("blank", "", raw, ri, col, row.locator, row.page, row.line, in_cell=True)
        blank.unreadable = True
        return [blank]
    out: list[Tok] = []
    pos = 0
    pending_numbering = ""
    prev_end = -1
    for m in _NUM.finditer(text):
        before = text[pos : m.start()]
        after = text[m.end() :]
        if m.group("pre") is None and m.start() > 0 and text[m.start() - 1] in "第":
            continue  # 第2项: an ordinal, part of the words
        if _inside_note(text[: m.start()], after):
            continue  # (不同渠道和方式公开相同信息计1条): a note in the label, no cell
        if _NOT_A_VALUE_AFTER.match(after) or (
            m.start() > 0 and text[m.start() - 1] in "(（" and after[:1] in ")）"
        ):
            continue  # 2019年, 5%, (2023): part of the words
        digits, unit = m.group("digits"), m.group("unit")
        numbering = ""
        if (
            unit is None
            and m.group("post") is None
            and _NUMBERING_AFTER.match(after)
            and _CJK.match(after[_NUMBERING_AFTER.match(after).end() :][:1] or "")
        ):
            # '2.其他' / '00000002.其他': the last digit numbers the next row's label.
            numbering, digits = digits[-1] + after[0], digits[:-1]
        if before.strip():
            t = _text_tok(pending_numbering + before, raw, row, ri, col)
            if t:
                out.append(t)
            pending_numbering = ""
        if digits:
            # Digits touching a label or another number (no space between) may be several cells.
            glued_left = bool(_CJK.search(before[-1:])) or (not before and prev_end == m.start())
            glued_right = bool(numbering) or bool(_DIGIT_AHEAD.match(after))
            out.append(
                Tok(
                    "num",
                    digits.replace(",", ""),
                    raw,
                    ri,
                    col,
                    row.locator,
                    row.page,
                    row.line,
                    splittable=(glued_left or glued_right or _needs_split(digits))
                    and "." not in digits,
                    unit=unit,
                    approximate=bool(m.group("pre") or m.group("post") or m.group("tail")),
                    sign=m.group("sign") or "",
                )
            )
        pending_numbering = numbering
        pos = m.end() if not numbering else m.end() + 1
        prev_end = m.end() if digits and not numbering and unit is None else -1
    rest = text[pos:]
    if rest.strip() or pending_numbering:
        t = _text_tok(pending_numbering + rest, raw, row, ri, col)
        if t:
            out.append(t)
    nums = [t for t in out if t.kind == "num"]
    if whole_cell and len(out) == 1 and len(nums) == 1:
        nums[0].in_cell = True
    return out


_OPEN, _CLOSE = "(（[【", ")）]】"
_CLAUSE_END = re.compile(r"[。；;]")
_NOTE_REACH = 40  # characters; a note is short, an unclosed bracket in the prose is not a note


def _inside_note(before: str, after: str) -> bool:
    """Whether a number stands inside brackets (also a note wrapped from the line above)."""
    before = _CLAUSE_END.split(before[-_NOTE_REACH:])[-1]
    depth = sum(map(before.count, _OPEN)) - sum(map(before.count, _CLOSE))
    if depth > 0:
        return True
    for c in _CLAUSE_END.split(after[:_NOTE_REACH], maxsplit=1)[0]:
        if c in _OPEN:
            return False
        if c in _CLOSE:
            return True
    return False


def _needs_split(digits: str) -> bool:
    """Digits no single number is printed as (a leading zero): several glued cells."""
    whole = digits.split(".")[0]
    return len(whole) > 1 and whole.startswith("0")


def tokens(rows: list[Row]) -> list[Tok]:
    out: list[Tok] = []
    for ri, row in enumerate(rows):
        originals = row.original or row.cells
        for ci, cell in enumerate(row.cells):
            text = clean(_COMMENT.sub("", cell) if "<!" in cell else cell)
            raw = originals[ci] if ci < len(originals) else cell
            whole_cell = row.tabular or _is_lone_value(text)
            toks = _lex(text, raw, row, ri, ci if row.tabular else None, whole_cell=whole_cell)
            for t in toks:
                if row.cell_locators is not None:
                    t.locator = row.cell_locators[ci]
                t.width = len(row.cells) if row.tabular else None
                t.closed = row.closed or ci < len(row.cells) - 1
            out += toks
    return out


def _is_lone_value(text: str) -> bool:
    """A line holding one number and nothing else (one cell per line without pipes)."""
    m = _NUM.fullmatch(text.strip())
    return bool(m) or text.strip() in DASHES or bool(NOT_PLAIN.fullmatch(text.strip()))
