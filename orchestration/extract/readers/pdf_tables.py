"""Ruled tables of a PDF page from PDFium's objects, cut by pdfplumber's table finder.

pdfplumber spends nearly all its time interpreting the page's content stream
in Python. PDFium has already parsed it in C: its path objects give the ruling
lines and its text page gives every character with its box. Those edges feed
pdfplumber's own `TableFinder` (explicit strategy: the same snapping, joining
and cell-building as the "lines" strategy) and characters are assigned to
cells by pdfplumber's rule (the character's midpoint lies in the cell). The
characters come from `pdf_chars` (PDFium's, with those its text page drops).
"""

from __future__ import annotations

import ctypes
from bisect import bisect_left, bisect_right

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfplumber.table import Table, TableFinder, TableSettings, cells_to_tables
from pdfplumber.utils.text import WordExtractor

from . import pdfium_raw as raw
from .pdf_chars import Char

_AXIS_TOLERANCE = 0.5  # points a ruling line may lean and still be straight
_MIN_EDGE = 1.0


class _Finder(TableFinder):
    """pdfplumber's TableFinder with its two quadratic steps (edges to intersections,
    intersections to cells) done by sorted lookups: the same intersections, cells
    and tables."""

    def __init__(self, page, settings: dict):
        self.page = page
        self.settings = TableSettings.resolve(settings)
        self.edges = self.get_edges()
        self.intersections = _intersections(
            self.edges,
            self.settings.intersection_x_tolerance,
            self.settings.intersection_y_tolerance,
        )
        self.cells = _cells(self.intersections)
        self.tables = [Table(self.page, group) for group in cells_to_tables(self.cells)]


def _intersections(edges: list[dict], x_tolerance: float, y_tolerance: float) -> dict:
    """pdfplumber's `edges_to_intersections`: {(x, top): {"v": [edges], "h": [edges]}}
    where a vertical edge meets a horizontal one within the tolerances."""
    horizontal = sorted((e for e in edges if e["orientation"] == "h"), key=lambda e: e["top"])
    tops = [e["top"] for e in horizontal]
    out: dict = {}
    for v in (e for e in edges if e["orientation"] == "v"):
        x = v["x0"]
        lo = bisect_left(tops, v["top"] - y_tolerance)
        hi = bisect_right(tops, v["bottom"] + y_tolerance)
        for h in horizontal[lo:hi]:
            if h["x0"] - x_tolerance <= x <= h["x1"] + x_tolerance:
                vertex = out.setdefault((x, h["top"]), {"v": [], "h": []})
                vertex["v"].append(v)
                vertex["h"].append(h)
    return out


def _bboxes(edges: list[dict]) -> frozenset:
    return frozenset((e["x0"], e["top"], e["x1"], e["bottom"]) for e in edges)


def _cells(intersections: dict) -> list[tuple]:
    """pdfplumber's `intersections_to_cells`: for each point in order, the smallest
    cell it is the top-left corner of (the first point below and the first to the
    right, in that order of search, whose edges close a rectangle)."""
    vertical = {p: _bboxes(e["v"]) for p, e in intersections.items()}
    horizontal = {p: _bboxes(e["h"]) for p, e in intersections.items()}
    points = sorted(intersections)
    column: dict = {}  # x -> points below one another, top to bottom
    line: dict = {}  # top -> points beside one another, left to right
    for p in points:
        column.setdefault(p[0], []).append(p)
        line.setdefault(p[1], []).append(p)
    cells = []
    for pt in points:
        down, across = column[pt[0]], line[pt[1]]
        right = None  # the points to the right joined to pt, found when first needed
        for below_pt in down[down.index(pt) + 1 :]:
            if not vertical[pt] & vertical[below_pt]:
                continue
            if right is None:
                right = [
                    r for r in across[across.index(pt) + 1 :] if horizontal[pt] & horizontal[r]
                ]
            for right_pt in right:
                corner = (right_pt[0], below_pt[1])
                if (
                    corner in intersections
                    and vertical[corner] & vertical[right_pt]
                    and horizontal[corner] & horizontal[below_pt]
                ):
                    cells.append((pt[0], pt[1], corner[0], corner[1]))
                    break
            else:
                continue
            break
    return cells


class _PageBox:
    """The one attribute TableFinder reads from a page with explicit edges."""

    def __init__(self, width: float, height: float):
        self.bbox = (0, 0, width, height)


def _edges(paths: list, height: float) -> tuple[list[dict], list[dict]]:
    """Straight ruling segments of path objects as pdfplumber line objects (top-left origin)."""
    vertical, horizontal = [], []
    x, y = ctypes.c_float(), ctypes.c_float()
    m = pdfium_c.FS_MATRIX()
    get_segment, get_point, get_kind = (
        raw.FPDFPath_GetPathSegment,
        raw.FPDFPathSegment_GetPoint,
        raw.FPDFPathSegment_GetType,
    )
    for obj in paths:
        raw.FPDFPageObj_GetMatrix(obj, m)
        a, b, c, d, e, f = m.a, m.b, m.c, m.d, m.e, m.f
        start = current = None
        for i in range(raw.FPDFPath_CountSegments(obj)):
            seg = get_segment(obj, i)
            get_point(seg, x, y)
            point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
            kind = get_kind(seg)
            ends = []
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = current = point
            elif kind == pdfium_c.FPDF_SEGMENT_LINETO and current is not None:
                ends.append((current, point))
                current = point
            else:  # a curve is never a ruling line
                current = point
            if raw.FPDFPathSegment_GetClose(seg) and start is not None and current is not None:
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


class _Midpoints:
    """The characters by the midpoints of their boxes, for pdfplumber's rule that a
    character belongs to the box its midpoint lies in (x0 <= h < x1, top <= v < bottom)."""

    def __init__(self, chars: list[Char]):
        points = sorted((((c.top + c.bottom) / 2, (c.x0 + c.x1) / 2, c) for c in chars), key=_first)
        self.vs = [p[0] for p in points]
        self.points = points

    def band(self, top: float, bottom: float) -> list[tuple[float, float, Char]]:
        """(h, v, char) with top <= v < bottom, by h."""
        lo, hi = bisect_left(self.vs, top), bisect_left(self.vs, bottom)
        return sorted(((h, v, c) for v, h, c in self.points[lo:hi]), key=_first)


def _first(t: tuple) -> float:
    return t[0]


def _in_box(band: list[tuple[float, float, Char]], hs: list[float], box) -> list[Char]:
    """Characters of a band (see `_Midpoints.band`) whose midpoint lies in box."""
    x0, top, x1, bottom = box
    return [c for _, v, c in band[bisect_left(hs, x0) : bisect_left(hs, x1)] if top <= v < bottom]


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


def find_tables(page: pdfium.PdfPage, paths: list, chars: list[Char]):
    """Tables drawn by the page's path objects as (bbox, rows), rows being (top, [cell
    text or None]); plus the characters outside every table. None when the page has
    no ruled table."""
    width, height = page.get_size()
    vertical, horizontal = _edges(paths, height)
    if len(vertical) < 2 or len(horizontal) < 2:
        return None
    finder = _Finder(
        _PageBox(width, height),
        {
            "vertical_strategy": "explicit",
            "horizontal_strategy": "explicit",
            "explicit_vertical_lines": vertical,
            "explicit_horizontal_lines": horizontal,
        },
    )
    tables = [t for t in finder.tables if len(t.rows) >= 2 and len(t.columns) >= 2]
    if not tables:
        return None
    out = []
    taken = set()
    points = _Midpoints(chars)
    for table in tables:
        table_box = table.bbox  # properties computed on each access: read once
        band = points.band(table_box[1], table_box[3])
        taken.update(c.index for c in _in_box(band, [b[0] for b in band], table_box))
        rows = []
        for row in table.rows:
            row_box = row.bbox
            band = points.band(row_box[1], row_box[3])
            hs = [b[0] for b in band]
            cells = [
                None if cell is None else _cell_text(_in_box(band, hs, cell)) for cell in row.cells
            ]
            rows.append((row_box[1], cells))
        out.append((table_box, rows))
    outside = [ch for ch in chars if ch.index not in taken]
    return out, outside


def words(chars: list[Char], x_tolerance: float, y_tolerance: float) -> list[dict]:
    """The words pdfplumber's `extract_words` makes of these characters."""
    objs = [
        {"text": c.text, "x0": c.x0, "x1": c.x1, "top": c.top, "bottom": c.bottom} for c in chars
    ]
    for o in objs:
        o["doctop"], o["upright"] = o["top"], True
    return WordExtractor(x_tolerance=x_tolerance, y_tolerance=y_tolerance).extract_words(objs)
