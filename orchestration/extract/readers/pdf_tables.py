"""Ruled tables of a PDF page from PDFium's objects, cut by pdfplumber's table finder.

pdfplumber spends nearly all its time interpreting the page's content stream
in Python. PDFium has already parsed it in C: its path objects give the ruling
lines and its text page gives every character with its box. Those edges feed
pdfplumber's own `TableFinder` (explicit strategy: the same snapping, joining
and cell-building as the "lines" strategy) and characters are assigned to
cells by pdfplumber's rule (the character's midpoint lies in the cell). When
nothing can be found this way the caller falls back to pdfplumber proper.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfplumber.table import TableFinder

_AXIS_TOLERANCE = 0.5  # points a ruling line may lean and still be straight
_MIN_EDGE = 1.0


@dataclass(frozen=True)
class Char:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    index: int  # reading order in the text page


class _PageBox:
    """The one attribute TableFinder reads from a page with explicit edges."""

    def __init__(self, width: float, height: float):
        self.bbox = (0, 0, width, height)


def page_objects(page: pdfium.PdfPage, kind: int):
    """Raw handles of the page's top-level objects of one kind (pypdfium2's own
    wrapper objects cost more than the work done with them)."""
    raw = page.raw
    for i in range(pdfium_c.FPDFPage_CountObjects(raw)):
        obj = pdfium_c.FPDFPage_GetObject(raw, i)
        if pdfium_c.FPDFPageObj_GetType(obj) == kind:
            yield obj


def _edges(page: pdfium.PdfPage, height: float) -> tuple[list[dict], list[dict]]:
    """Straight ruling segments as pdfplumber line objects (top-left origin)."""
    vertical, horizontal = [], []
    x, y = ctypes.c_float(), ctypes.c_float()
    m = pdfium_c.FS_MATRIX()
    for obj in page_objects(page, pdfium_c.FPDF_PAGEOBJ_PATH):
        pdfium_c.FPDFPageObj_GetMatrix(obj, m)
        a, b, c, d, e, f = m.a, m.b, m.c, m.d, m.e, m.f
        start = current = None
        for i in range(pdfium_c.FPDFPath_CountSegments(obj)):
            seg = pdfium_c.FPDFPath_GetPathSegment(obj, i)
            pdfium_c.FPDFPathSegment_GetPoint(seg, x, y)
            point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
            kind = pdfium_c.FPDFPathSegment_GetType(seg)
            ends = []
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = current = point
            elif kind == pdfium_c.FPDF_SEGMENT_LINETO and current is not None:
                ends.append((current, point))
                current = point
            else:  # a curve is never a ruling line
                current = point
            if pdfium_c.FPDFPathSegment_GetClose(seg) and start is not None and current is not None:
                ends.append((current, start))
                current = start
            for (x0, y0), (x1, y1) in ends:
                if abs(y1 - y0) <= _AXIS_TOLERANCE and abs(x1 - x0) >= _MIN_EDGE:
                    top = height - (y0 + y1) / 2
                    horizontal.append(ruling_line(min(x0, x1), max(x0, x1), top, top))
                elif abs(x1 - x0) <= _AXIS_TOLERANCE and abs(y1 - y0) >= _MIN_EDGE:
                    xm = (x0 + x1) / 2
                    vertical.append(ruling_line(xm, xm, height - max(y0, y1), height - min(y0, y1)))
    return vertical, horizontal


def ruling_line(x0: float, x1: float, top: float, bottom: float) -> dict:
    """A ruling as pdfplumber's table finder takes it (a line object)."""
    return {
        "object_type": "line",
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "width": x1 - x0,
        "height": bottom - top,
    }


def page_chars(textpage: pdfium.PdfTextPage, height: float) -> tuple[str, list[Char]]:
    text = textpage.get_text_range()
    chars = []
    for i, ch in enumerate(text):
        if ch in "\r\n":
            continue
        left, bottom, right, top = textpage.get_charbox(i)
        chars.append(Char(ch, left, right, height - top, height - bottom, i))
    return text, chars


def _inside(ch: Char, box) -> bool:
    x0, top, x1, bottom = box
    h, v = (ch.x0 + ch.x1) / 2, (ch.top + ch.bottom) / 2
    return x0 <= h < x1 and top <= v < bottom


def _cell_text(chars: list[Char]) -> str:
    """Characters of a cell in reading order, a newline where a wrapped line starts."""
    out, prev = [], None
    for ch in sorted(chars, key=lambda c: c.index):
        if ch.text.isspace():
            out.append(ch.text)  # PDFium gives spaces a flat box: never a line start
            continue
        if prev is not None and ch.top >= prev.bottom - (prev.bottom - prev.top) * 0.3:
            out.append("\n")
        out.append(ch.text)
        prev = ch
    return "".join(out).strip()


def _text_is_complete(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> bool:
    """False when PDFium could not decode some text object (it then yields no
    characters for it, e.g. single glyphs of non-embedded CID fonts): the page
    must go to pdfplumber, which decodes them."""
    for obj in page_objects(page, pdfium_c.FPDF_PAGEOBJ_TEXT):
        if pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, None, 0) <= 2:
            return False
    return True


def find_tables(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage):
    """Tables on the page as (bbox, rows), rows being (top, [cell text or None]); plus
    the characters outside every table. None when the page has no ruled table."""
    width, height = page.get_size()
    vertical, horizontal = _edges(page, height)
    if len(vertical) < 2 or len(horizontal) < 2:
        return None
    finder = TableFinder(
        _PageBox(width, height),
        {
            "vertical_strategy": "explicit",
            "horizontal_strategy": "explicit",
            "explicit_vertical_lines": vertical,
            "explicit_horizontal_lines": horizontal,
        },
    )
    tables = [t for t in finder.tables if len(t.rows) >= 2 and len(t.columns) >= 2]
    if not tables or not _text_is_complete(page, textpage):
        return None
    _, chars = page_chars(textpage, height)
    out = []
    taken = set()
    for table in tables:
        table_box = table.bbox  # properties computed on each access: read once
        in_table = [ch for ch in chars if _inside(ch, table_box)]
        taken.update(ch.index for ch in in_table)
        rows = []
        for row in table.rows:
            row_box = row.bbox
            row_chars = [ch for ch in in_table if _inside(ch, row_box)]
            cells = [
                None if cell is None else _cell_text([ch for ch in row_chars if _inside(ch, cell)])
                for cell in row.cells
            ]
            rows.append((row_box[1], cells))
        out.append((table_box, rows))
    outside = [ch for ch in chars if ch.index not in taken]
    return out, outside


def text_lines(chars: list[Char]) -> list[tuple[float, str]]:
    """Characters outside the tables as (top, line text) in reading order; PDFium's
    line breaks (skipped indexes) separate the lines."""
    lines: list[list[Char]] = []
    for ch in sorted(chars, key=lambda c: c.index):
        if lines and ch.index == lines[-1][-1].index + 1:
            lines[-1].append(ch)
        else:
            lines.append([ch])
    out = []
    for members in lines:
        text = "".join(c.text for c in members).strip()
        if text:
            out.append((min(c.top for c in members if c.text.strip()), text))
    return out
