"""Recognising the template's words inside text tokens, wherever they stand.

A text token may be one label (`规章`), a label with a note (`（二）部分公开（区分处理的…）`),
or many words glued together by a crawler (`信息内容本年新制作数量…对外公开总数量规章`).
`Lexicon.words` cuts a token into the words of a lexicon (longest match first,
after notes in brackets are dropped); what no word covers is kept as `unknown`,
so prose never passes for a label. A whole table cell that is not cut cleanly
is matched as one label by similarity (`语` variants, a missing character).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .. import vocabulary
from ..labels import label_key, missing_chars, similarity
from .stream import Tok

_CN = "一二三四五六七八九十"
_PAREN_NUMBER = re.compile(rf"[(（]([{_CN}]{{1,3}})[)）]|(?<![{_CN}])([{_CN}]{{1,3}})、")
_BAND = re.compile(rf"第二十条第?[(（]?[{_CN}]{{0,3}}[)）]?项")
_QUOTES = str.maketrans("", "", "“”‘’\"'「」『』")
_NOTE = re.compile(r"[(（\[【][^()（）\[\]【】]*[)）\]】]")
_OPEN_PAREN = re.compile(r"[(（]")
_UNCLOSED = re.compile(r"[(（][^)）]*$")
_QIZHONG = re.compile(r"^(?:其中[:：]?)")
FUZZY_THRESHOLD = 0.8


def key(text: str) -> str:
    """The matching key of a label (see `labels.label_key`), quotes dropped too."""
    return label_key(text).translate(_QUOTES)


@dataclass(frozen=True)
class Word:
    kind: str  # a lexicon kind, 'band', or 'unknown'
    key: str  # the lexicon key ('' for unknown)
    text: str  # the characters as found
    tok: Tok
    numbering: str = ""
    fuzzy: bool = False
    whole: bool = False  # the word is all its token holds

    @property
    def printed(self) -> str:
        """The label as printed: the whole cell when it is the word, else numbering + word."""
        return " ".join(self.tok.raw.split()) if self.whole else f"{self.numbering}{self.text}"


class Lexicon:
    """Keys (label_key form) → kind; variants from `label_variants.csv` map onto them."""

    def __init__(self, entries: list[tuple[str, str]], numbers: dict[str, str] | None = None):
        # key → the numbering the template prints before it ('2' for 2.其他法律…): a
        # damaged label whose numbering agrees may miss a few more characters.
        self.numbers = numbers or {}
        self.kinds: dict[str, str] = {}
        for key, kind in entries:
            key = key.translate(_QUOTES)
            if key:
                self.kinds.setdefault(key, kind)
        variants = vocabulary.label_variants()
        self.alias: dict[str, str] = {}
        for variant, canonical in variants.items():
            variant, canonical = variant.translate(_QUOTES), canonical.translate(_QUOTES)
            if canonical in self.kinds and variant not in self.kinds:
                self.alias[variant] = canonical
        by_first: dict[str, list[str]] = {}
        for k in sorted([*self.kinds, *self.alias], key=len, reverse=True):
            by_first.setdefault(k[0], []).append(k)
        # First character -> the match of the longest key there (one regex call, not a
        # startswith per key)
        self._key_at = {
            c: re.compile("|".join(map(re.escape, keys))).match for c, keys in by_first.items()
        }

    def canonical(self, key: str) -> str:
        return self.alias.get(key, key)

    def words(self, tok: Tok, fuzzy_kinds: tuple[str, ...] = ()) -> list[Word]:
        out: list[Word] = []
        numbering = tok.numbering
        for piece, piece_numbering in _pieces(tok.text):
            numbering = piece_numbering or numbering
            out += self._cut(piece, tok, numbering)
            numbering = ""
        if fuzzy_kinds and tok.col is not None and any(w.kind == "unknown" for w in out):
            key = label_key(tok.text)
            best, score = None, 0.0
            for cand in self.kinds:
                if self.kinds[cand] not in fuzzy_kinds:
                    continue
                s = similarity(key, cand, floor=FUZZY_THRESHOLD)
                same_number = bool(self.numbers.get(cand)) and self.numbers[cand] == _digits(
                    tok.numbering
                )
                allowed = max(2, len(cand) // 4) if same_number else max(1, len(cand) // 6)
                if s > score and missing_chars(cand, key) <= allowed:
                    best, score = cand, s
            if best is not None and score >= FUZZY_THRESHOLD:
                return [
                    Word(
                        self.kinds[best], best, tok.text, tok, tok.numbering, fuzzy=True, whole=True
                    )
                ]
        if len(out) == 1 and out[0].kind != "unknown" and len(tok.raw) <= 2 * len(out[0].text) + 24:
            out = [replace(out[0], whole=True)]
        return out

    def _cut(self, piece: str, tok: Tok, numbering: str) -> list[Word]:
        out: list[Word] = []
        text = piece
        i, unknown = 0, ""
        while i < len(text):
            band = _BAND.match(text, i)
            if band:
                if unknown:
                    out.append(Word("unknown", "", unknown, tok))
                    unknown = ""
                out.append(Word("band", "band", band.group(), tok))
                i = band.end()
                continue
            key_at = self._key_at.get(text[i])
            hit = key_at(text, i) if key_at is not None else None
            if hit is None:
                unknown += text[i]
                i += 1
                continue
            if unknown:
                out.append(Word("unknown", "", unknown, tok))
                unknown = ""
            key = self.canonical(hit.group())
            out.append(Word(self.kinds[key], key, hit.group(), tok, numbering))
            numbering = ""
            i = hit.end()
        if unknown:
            out.append(Word("unknown", "", unknown, tok, numbering))
        return out


def _digits(numbering: str) -> str:
    return "".join(c for c in numbering if c.isdigit())


def _pieces(text: str) -> list[tuple[str, str]]:
    """The text cut at numbering marks inside it (`予以公开（二）部分公开`), notes dropped."""
    out: list[tuple[str, str]] = []
    pos, numbering = 0, ""
    for m in _PAREN_NUMBER.finditer(text):
        if m.start() > 0 and text[m.start() - 1] == "第":
            continue  # 第（一）项
        out.append((text[pos : m.start()], numbering))
        numbering, pos = m.group(), m.end()
    out.append((text[pos:], numbering))
    cleaned = []
    for piece, num in out:
        piece = piece.translate(_QUOTES)
        prev = None
        while prev != piece:
            prev, piece = piece, _NOTE.sub("", piece)
        piece = _OPEN_PAREN.split(piece, maxsplit=1)[0] if _UNCLOSED.search(piece) else piece
        piece = _QIZHONG.sub("", piece).strip(":：;；,，.。、| ")
        if piece or num:
            cleaned.append((piece, num))
    return cleaned
