"""Text as the parsers read it: simplified script, no inline pinyin glosses.

Mirror sites serve reports in traditional script (`政府信息公開`), some with a
pinyin gloss after many characters (`區(qū)委`, `數(shù)量`). Labels and names
are matched in simplified form; the original text stays in each `Row`
(`Row.original`) for provenance.

Conversion is applied only to documents that are mostly traditional: OpenCC's
t2s table also maps a few characters that are valid simplified names (乾, 於),
and a simplified report must come out unchanged.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from .model import Document

# A gloss: pinyin letters with tone marks (or tone digits) in brackets right after a CJK character.
_PINYIN = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_GLOSS = re.compile(rf"(?<=[\u3400-\u9fff])[(（]\s*[{_PINYIN}]{{1,6}}[1-5]?\s*[)）]", re.IGNORECASE)
# Share of CJK characters that t2s changes above which a text is traditional script.
_TRADITIONAL_SHARE = 0.02
_CJK = re.compile(r"[\u3400-\u9fff]")


@cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def strip_glosses(text: str) -> str:
    return _GLOSS.sub("", text)


def to_simplified(text: str) -> str:
    return _converter().convert(text)


def is_traditional(text: str) -> bool:
    """Whether a text is written in traditional script (enough characters change under t2s)."""
    sample = "".join(_CJK.findall(text))[:20000]
    if not sample:
        return False
    converted = to_simplified(sample)
    changed = sum(a != b for a, b in zip(sample, converted))
    return changed / len(sample) >= _TRADITIONAL_SHARE


def has_glosses(text: str) -> bool:
    return len(_GLOSS.findall(text)) >= 3


# No report prints a paragraph this long; a whole saved page on one line can be (crawler
# dumps). Longer rows are cut at sentence ends so no parser sees a line without bound.
MAX_ROW_CHARS = 100_000
# A long report's text is a few hundred thousand characters; past this the rest is dropped.
MAX_DOCUMENT_CHARS = 600_000


def bound_rows(doc: Document) -> Document:
    """Rows longer than MAX_ROW_CHARS split at sentence ends (a table cell: cut), noted."""
    if not any(len(c) > MAX_ROW_CHARS for r in doc.rows for c in r.cells):
        return doc
    rows, long = [], 0
    for r in doc.rows:
        if not any(len(c) > MAX_ROW_CHARS for c in r.cells):
            rows.append(r)
            continue
        long += 1
        if r.tabular or len(r.cells) > 1:
            rows.append(replace(r, cells=tuple(c[:MAX_ROW_CHARS] for c in r.cells)))
            continue
        text = r.cells[0]
        while text:
            cut = (
                len(text) if len(text) <= MAX_ROW_CHARS else text.rfind("。", 0, MAX_ROW_CHARS) + 1
            )
            cut = cut or MAX_ROW_CHARS
            rows.append(replace(r, cells=(text[:cut],)))
            text = text[cut:]
    notes = [f"{long} lines longer than {MAX_ROW_CHARS:,} characters; split at sentence ends"]
    total = 0
    for k, r in enumerate(rows):
        total += sum(len(c) for c in r.cells)
        if total > MAX_DOCUMENT_CHARS:
            notes.append(f"text cut after {MAX_DOCUMENT_CHARS:,} characters (row {k + 1})")
            rows = rows[:k]
            break
    return replace(doc, rows=rows, notes=[*doc.notes, *notes])


def normalize_document(doc: Document) -> Document:
    """The document with traditional script converted and pinyin glosses removed;
    each changed row keeps its printed cells in `Row.original`."""
    doc = bound_rows(doc)
    joined = "\n".join(c for r in doc.rows for c in r.cells)
    traditional = is_traditional(joined)
    glosses = has_glosses(joined)
    if not traditional and not glosses:
        return doc

    def fix(cell: str) -> str:
        if glosses:
            cell = strip_glosses(cell)
        return to_simplified(cell) if traditional else cell

    rows = []
    for r in doc.rows:
        cells = tuple(fix(c) for c in r.cells)
        rows.append(replace(r, cells=cells, original=r.cells) if cells != r.cells else r)
    return replace(doc, rows=rows, script="traditional" if traditional else doc.script)
