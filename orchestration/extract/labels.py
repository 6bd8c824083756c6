"""Normalising labels as printed so that variants of one label compare equal.

Publishers write the same label with full- or half-width brackets and digits,
with numbering in several styles (`1.` `1、` `（一）` `(一)` `一、` `其中：`),
with long parenthetical notes, spaced-out characters, and Markdown/HTML
remnants. `label_key` strips all of that; `numbering` reads the numbering so
the table parsers can rebuild row hierarchies.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

_MARKUP = re.compile(r"</?[A-Za-z][^>]*>|\*\*|__|^#{1,6}\s*|&nbsp;", re.MULTILINE)
_SPACE = re.compile(r"\s+")
_CN_NUM = "一二三四五六七八九十"
# Numbering prefixes, applied repeatedly (a row may read "其中：1.…").
_NUMBERING = re.compile(
    rf"^(?:"
    rf"其中[:]?"  # 其中：
    rf"|\(([{_CN_NUM}]+)\)[、.]?"  # (一)
    rf"|([{_CN_NUM}]+)[、.]"  # 一、
    rf"|(\d{{1,2}})(?:[、.](?!\d)|\))"  # 1.  1、  1)
    rf"|第[{_CN_NUM}\d]+[项部分章条]"  # 第一部分
    rf")"
)
_EDGE_PUNCT = re.compile(r"^[:;,.、\s\-—|]+|[:;,.、\s\-—|]+$")


@functools.lru_cache(maxsize=8192)  # the same labels and cells come back many times
def clean(text: str) -> str:
    """Canonical form of printed text: NFKC, no markup, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _MARKUP.sub("", text)
    return _SPACE.sub(" ", text).strip()


def squash(text: str) -> str:
    """`clean` without any whitespace: spaced-out headers (统 计 指 标) read as words."""
    return _SPACE.sub("", clean(text))


def strip_numbering(key: str) -> str:
    while True:
        m = _NUMBERING.match(key)
        if not m or m.end() == 0:
            return key
        key = key[m.end() :]


@functools.lru_cache(maxsize=8192)
def label_key(text: str) -> str:
    """The matching key of a label: no numbering, notes, markup or spaces."""
    key = drop_notes(strip_numbering(squash(text)))
    # An unclosed note (label wrapped mid-note) is cut at its bracket.
    last_close = max(key.rfind(")"), key.rfind("]"))
    if "(" in key[last_close + 1 :] or "[" in key[last_close + 1 :]:
        key = re.split(r"[(\[]", key, maxsplit=1)[0]
    return _EDGE_PUNCT.sub("", key)


_NOTE_PAIRS = {")": "(", "]": "[", ">": "<", "〕": "〔"}


def drop_notes(text: str) -> str:
    """Text without its notes in brackets, nested ones too: notes say how to count, never
    what is counted. One pass with a stack, so a line of a thousand brackets stays cheap."""
    if not any(b in text for b in _NOTE_PAIRS.values()):
        return text  # no note opens: most labels
    out: list[str] = []
    opened: list[tuple[str, int]] = []  # (bracket, where its note starts in out)
    for c in text:
        if c in _NOTE_PAIRS.values():
            opened.append((c, len(out)))
        elif c in _NOTE_PAIRS and opened and opened[-1][0] == _NOTE_PAIRS[c]:
            del out[opened.pop()[1] :]
            continue
        out.append(c)
    return "".join(out)


@dataclass(frozen=True)
class Numbering:
    kind: (
        str | None
    )  # "chapter" 一、 | "paren" (一) | "arabic" 1. | "qizhong" 其中 | "section" 第…项 | None
    number: int | None


def _cn_to_int(s: str) -> int:
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + _CN_NUM.index(s[1]) + 1
    if s.endswith("十"):
        return (_CN_NUM.index(s[0]) + 1) * 10
    if "十" in s:
        a, b = s.split("十")
        return (_CN_NUM.index(a) + 1) * 10 + _CN_NUM.index(b) + 1
    return _CN_NUM.index(s) + 1


def numbering(text: str) -> Numbering:
    """The numbering a label starts with, e.g. 三、 → chapter 3, （六） → paren 6."""
    key = squash(text)
    m = _NUMBERING.match(key)
    if not m:
        return Numbering(None, None)
    if m.group(1):
        return Numbering("paren", _cn_to_int(m.group(1)))
    if m.group(2):
        return Numbering("chapter", _cn_to_int(m.group(2)))
    if m.group(3):
        return Numbering("arabic", int(m.group(3)))
    if key.startswith("其中"):
        return Numbering("qizhong", None)
    if key.startswith("第"):
        return Numbering("section", None)  # 第二十条第（五）项, 第一部分
    return Numbering(None, None)


def similarity(a: str, b: str, floor: float = 0.0) -> float:
    """How alike two label keys are (0..1); 1 only for equal keys. Below `floor`
    the answer is just 0.0 (cheap upper bounds rule most pairs out)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    m = SequenceMatcher(None, a, b, autojunk=False)
    if m.real_quick_ratio() < floor or m.quick_ratio() < floor:
        return 0.0
    return m.ratio()


def missing_chars(reference: str, found: str) -> int:
    """How many characters of `reference` have no counterpart in `found`."""
    blocks = SequenceMatcher(None, reference, found, autojunk=False).get_matching_blocks()
    return len(reference) - sum(b.size for b in blocks)


def brackets_open(text: str) -> bool:
    """True when a label was cut inside a bracketed note (it continues on the next line)."""
    t = unicodedata.normalize("NFKC", text)
    return t.count("(") > t.count(")") or t.count("[") > t.count("]")
