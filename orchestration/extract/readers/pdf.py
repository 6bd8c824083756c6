"""PDF reports: one pass with PDFium over every page; tables only where tables are.

PDFium (pypdfium2, which pdfplumber itself depends on) reads each page's text
in C; the characters its text page drops (a lone glyph of a font it cannot draw,
a lone space) are read back from the content stream (`pdf_chars`). Only pages
that show a statistics table (template header words, or many ruling lines) get
table extraction: from PDFium's own ruling lines and character boxes through
pdfplumber's table finder (`pdf_tables`), and, when no ruled table can be built
that way, as lines whose wide gaps separate the cells of an unruled table
(pdfplumber's word rule on the characters' font boxes). pdfplumber proper reads
only a page whose text this cannot give whole: a dropped character it cannot
decode or place, or, on a page read character by character (one that may hold
a table), a character PDFium has no Unicode for, or vertical writing without a
ruled table.

Ruled tables become tabular rows with merged cells left empty; text outside
the tables keeps its reading order; a table continuing on the next page is
stitched to the previous one, rejoining a row label split by the page break.

Pages without text are read by OCR (`ocr.py`), rendered at `ocr.OCR_DPI`; on pages
with text, a picture large enough to hold a table is read by OCR too, and its rows
are kept when they show statistics-table words.
"""

from __future__ import annotations

import itertools
from io import BytesIO

import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..labels import numbering, squash
from ..model import Document, Row
from ..refusals import Refusal
from ..tables import TABLE_PAGE_HINTS
from ..tables.common import is_noise, join_wrapped
from ..values import is_value_like
from . import pdf_chars, pdf_tables

# A page drawn with at least this many path objects probably holds a ruled table;
# right after a table page, a few rulings are enough (the table's last rows).
_MIN_RULING_PATHS = 12
_MIN_CONTINUATION_PATHS = 4
_LINE_TOLERANCE = 3  # points: words whose tops differ less sit on one line
_WORD_GAP = 1.5  # points: characters further apart begin a new word

Placed = list[tuple[float, Row, int]]  # (top, row, table number or -1 for text)


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        msg = str(e)
        if "password" in msg.lower():
            raise Refusal("encrypted_pdf") from e
        raise Refusal("corrupt_pdf", error=msg) from e


def _cell_text(text: str | None) -> str:
    """Wrapped cell text on one line: CJK lines join without a space."""
    return join_wrapped(p.strip() for p in text.split("\n")) if text else ""


def _text_rows(text: str, page_no: int) -> list[Row]:
    lines = [ln.strip() for ln in text.split("\n")]
    return [
        Row((ln,), f"page {page_no} line {k}", page=page_no) for k, ln in enumerate(lines, 1) if ln
    ]


def _table_row(cells, page_no: int, ti: int, ri: int) -> Row | None:
    texts = tuple(_cell_text(c) for c in cells)
    if not any(texts):
        return None
    return Row(texts, f"page {page_no} table {ti} row {ri}", page=page_no, tabular=True)


def _placed_fast(found, page_no: int) -> Placed:
    tables, outside = found
    out: Placed = []
    for ti, (_bbox, rows) in enumerate(tables, start=1):
        for ri, (top, cells) in enumerate(rows, start=1):
            row = _table_row(cells, page_no, ti, ri)
            if row is not None:
                out.append((top, row, ti))
    for k, (top, text) in enumerate(pdf_chars.text_lines(outside), start=1):
        out.append((top, Row((text,), f"page {page_no} line {k}", page=page_no), -1))
    out.sort(key=lambda t: t[0])
    return out


def _placed_pdfplumber(page: pdfplumber.page.Page, page_no: int) -> Placed:
    tables = [t for t in page.find_tables() if len(t.rows) >= 2 and len(t.columns) >= 2]
    if not tables:
        words = page.extract_words(x_tolerance=_WORD_GAP, y_tolerance=_LINE_TOLERANCE)
        return _unruled_rows(words, page_no)
    out: Placed = []
    for ti, table in enumerate(tables, start=1):
        for ri, (cells, trow) in enumerate(zip(table.extract(), table.rows), start=1):
            row = _table_row(cells, page_no, ti, ri)
            if row is not None:
                out.append((trow.bbox[1], row, ti))
    boxes = [t.bbox for t in tables]

    def outside(obj) -> bool:
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    for k, ln in enumerate(page.filter(outside).extract_text_lines(), start=1):
        out.append(
            (ln["top"], Row((ln["text"].strip(),), f"page {page_no} line {k}", page=page_no), -1)
        )
    out.sort(key=lambda t: t[0])
    return out


def _unruled_rows(words: list[dict], page_no: int) -> Placed:
    """Lines of a page whose table has no ruling: cells are separated by wide gaps."""
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - w["top"]) <= _LINE_TOLERANCE:
            lines[-1].append(w)
        else:
            lines.append([w])
    out: Placed = []
    for k, ws in enumerate(lines, start=1):
        ws.sort(key=lambda w: w["x0"])
        text = ws[0]["text"]
        for a, b in itertools.pairwise(ws):
            size = (a["bottom"] - a["top"]) or 10
            text += ("  " if b["x0"] - a["x1"] > size else "") + b["text"]
        out.append(
            (
                ws[0]["top"],
                Row((" ".join(text.split()),), f"page {page_no} line {k}", page=page_no),
                -1,
            )
        )
    return out


def _has_values(cells: tuple[str, ...]) -> bool:
    return any(c and is_value_like(c) for c in cells[1:])


def _label_only(cells: tuple[str, ...]) -> bool:
    return any(c for c in cells) and not _has_values(cells)


def _stitch(last: Row, first: Row) -> Row | None:
    """The row made of a table's last row and its continuation's first row when
    a row label was split by the page break; None when the rows are separate."""
    if len(last.cells) != len(first.cells):
        return None
    if numbering(next((c for c in first.cells if c), "")).kind is not None:
        return None
    over_values = any(
        a and not is_value_like(a) and b and is_value_like(b)
        for a, b in zip(last.cells, first.cells)
    )
    if _label_only(last.cells) and any(first.cells) and not over_values:
        # The label began at the foot of the page; label and values continue here
        # (a header row, text over the first row's values, is not such a label).
        return Row(
            tuple(a + b for a, b in zip(last.cells, first.cells)),
            first.locator,
            page=first.page,
            tabular=True,
            cell_locators=first.cell_locators,
        )
    if _has_values(last.cells) and _label_only(first.cells):
        # The values stayed with the first half of the label; the rest spilled over.
        cells = tuple(
            a if a and is_value_like(a) else a + b for a, b in zip(last.cells, first.cells)
        )
        return Row(
            cells, last.locator, page=last.page, tabular=True, cell_locators=last.cell_locators
        )
    return None


def _is_furniture(row: Row) -> bool:
    """Page numbers and short running headers above a continued table."""
    return is_noise(row) or len(squash(" ".join(row.cells))) <= 12


class _Ocr:
    """What OCR read in a document: issues, pages read, rows of pictures by page."""

    def __init__(self):
        self.issues: list = []
        self.pages = 0
        self.pictures: dict[int, Placed] = {}  # page index -> rows of its table pictures


def _ocr_page(page: pdfium.PdfPage, page_no: int, ocr: _Ocr) -> Placed:
    """A page without text, rendered and read by OCR."""
    import numpy as np

    from . import ocr as reader

    scale = reader.OCR_DPI / 72
    rgb = np.asarray(page.render(scale=scale).to_pil().convert("RGB"))
    pic = reader.read_picture(
        rgb, f"p{page_no}", page_no, reader.OCR_DPI, lambda x, y: (x / scale, y / scale)
    )
    ocr.pages += 1
    ocr.issues += pic.issues
    return pic.placed


def _table_pictures(page: pdfium.PdfPage, page_no: int, ocr: _Ocr) -> Placed:
    """Rows of the pictures on a text page that hold a statistics table."""
    import numpy as np

    from . import ocr as reader

    width, height = page.get_size()
    out: Placed = []
    number = 100
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        px_w, px_h = obj.get_px_size()
        min_w, min_h = reader.MIN_TABLE_PICTURE
        w, h = right - left, top - bottom
        if w < width * 0.2 or h < height * 0.04 or px_w < min_w or px_h < min_h:
            continue  # a logo, a seal, a signature: too small to hold a table
        try:
            img = obj.get_bitmap(render=False).to_pil().convert("RGB")
        except pdfium.PdfiumError:
            continue
        img, dpi = reader.fit_picture(img, px_w / ((right - left) / 72))
        sx, sy = (right - left) / img.width, (top - bottom) / img.height
        pic = reader.read_picture(
            np.asarray(img),
            f"p{page_no}",
            page_no,
            dpi,
            lambda x, y: (left + x * sx, height - top + y * sy),
            tables_from=number,
        )
        if pic.tables and any(h in squash(pic.text) for h in TABLE_PAGE_HINTS):
            ocr.pages += 1
            ocr.issues += pic.issues
            out += pic.placed
            number += pic.tables
    return out


def _placed_text(chars: list[pdf_chars.Char], page_no: int) -> Placed:
    """A text page's lines with their tops (to place pictures among them)."""
    return [
        (top, Row((text,), f"page {page_no} line {k}", page=page_no), -1)
        for k, (top, text) in enumerate(pdf_chars.text_lines(chars), start=1)
    ]


def _read_pages(data: bytes, ocr: _Ocr | None = None) -> list[Placed | None]:
    """Each page's rows; None for a page that needs pdfplumber."""
    ocr = ocr or _Ocr()
    doc = _open(data)
    streams = pdf_chars.ContentStreams(data)
    pages: list[Placed | None] = []
    any_text = images = False
    try:
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            chars = pdf_chars.PageChars(page, textpage, text, streams, i)
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            if chars.lost != []:
                # Text PDFium's text page dropped: recovered, or the page goes to pdfplumber.
                glyphs = chars.glyphs()
                if glyphs is None:
                    any_text = True
                    pages.append(None)
                    continue
                text = "\n".join(line for _, line in pdf_chars.text_lines(glyphs))
            s = squash(text)
            if not s and chars.objects.has_images():
                images = True
                placed = _ocr_page(page, i + 1, ocr)
                any_text = any_text or bool(placed)
                pages.append(placed)
                continue
            any_text = any_text or bool(s)
            pictures = _table_pictures(page, i + 1, ocr) if s and chars.objects.has_images() else []
            if pictures:
                ocr.pictures[i] = pictures
            previous = pages[-1] if pages else []
            after_table = previous is None or any(ti > 0 for _, _, ti in previous)
            needed = _MIN_CONTINUATION_PATHS if after_table else _MIN_RULING_PATHS
            hinted = any(h in s for h in TABLE_PAGE_HINTS)
            if s and (hinted or len(chars.objects.path) >= needed):
                pages.append(_placed_table_page(page, chars, i + 1))
            elif pictures:
                glyphs = chars.glyphs()
                pages.append(None if glyphs is None else _placed_text(glyphs, i + 1))
            else:
                pages.append([(0.0, r, -1) for r in _text_rows(text, i + 1)])
    finally:
        doc.close()
    if not any_text:
        raise Refusal("no_text_layer" if images else "pdf_without_text")
    return pages


def _placed_table_page(page: pdfium.PdfPage, chars: pdf_chars.PageChars, page_no: int):
    """A page that may hold a table: its ruled tables and the text around them, or
    without one the lines whose wide gaps separate the cells (found from the
    characters' font boxes, as pdfplumber's words are); None for pdfplumber."""
    glyphs = chars.glyphs()
    if glyphs is None:
        return None
    found = pdf_tables.find_tables(page, chars.objects.path, glyphs)
    if found is not None:
        return _placed_fast(found, page_no)
    boxes = chars.font_boxes()
    if boxes is None:
        return None
    return _unruled_rows(pdf_tables.words(boxes, _WORD_GAP, _LINE_TOLERANCE), page_no)


def read_pdf(data: bytes, source_path: str) -> Document:
    ocr = _Ocr()
    pages = _read_pages(data, ocr)
    if any(p is None for p in pages):
        with pdfplumber.open(BytesIO(data)) as pdf:
            pages = [
                p if p is not None else _placed_pdfplumber(pdf.pages[i], i + 1)
                for i, p in enumerate(pages)
            ]
    for i, pictures in ocr.pictures.items():
        pages[i] = sorted([*pages[i], *pictures], key=lambda t: t[0])
    rows: list[Row] = []
    last_table_row: int | None = None  # index in rows of the last row of a table that may continue
    for placed in pages:
        assert placed is not None
        page_rows = [r for _, r, _ in placed]
        first = next((k for k, (_, _, ti) in enumerate(placed) if ti > 0), None)
        if (
            last_table_row is not None
            and first is not None
            and all(_is_furniture(r) for _, r, _ in placed[:first])
        ):
            joined = _stitch(rows[last_table_row], page_rows[first])
            if joined is not None:
                rows[last_table_row] = joined
                del page_rows[first]
        rows += page_rows
        # Does the page end inside a table (only furniture after its last table row)?
        in_table = {id(r) for _, r, ti in placed if ti > 0}
        last_table_row = None
        for k in range(len(rows) - 1, len(rows) - len(page_rows) - 1, -1):
            if id(rows[k]) in in_table:
                last_table_row = k
                break
            if not _is_furniture(rows[k]):
                break
    return Document(
        source_path,
        "pdf",
        rows,
        page_count=len(pages),
        issues=ocr.issues,
        ocr_pages=ocr.pages,
    )
