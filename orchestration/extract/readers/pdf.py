"""PDF reports: a fast text pass over every page, table extraction only where tables are.

PDFium (pypdfium2, which pdfplumber itself ships with) reads the text layer of
every page in C in a few milliseconds. Only pages that show a statistics table
(template header words, or many ruling lines) go through pdfplumber's table
finder, which is where the time goes. Ruled tables become tabular rows with
merged cells left empty; text outside the tables stays in reading order; a
table that continues on the next page is stitched to the previous one,
including a row label split by the page break.
"""

from __future__ import annotations

from contextlib import nullcontext
from io import BytesIO

import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..labels import numbering, squash
from ..model import Document, IngestError, Row
from ..tables import TABLE_PAGE_HINTS
from ..tables.common import is_noise
from ..values import is_value_like

# A page drawn with at least this many path objects probably holds a ruled table.
_MIN_RULING_PATHS = 12
_LINE_TOLERANCE = 3  # points: words whose tops differ less sit on one line


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        msg = str(e)
        if "password" in msg.lower():
            raise IngestError("read", "encrypted PDF: a password is required to open it") from e
        raise IngestError("read", f"corrupt or truncated PDF ({msg})") from e


def _count_paths(page: pdfium.PdfPage) -> int:
    n = 0
    for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=1):
        n += 1
        if n >= _MIN_RULING_PATHS:
            break
    return n


def _has_images(page: pdfium.PdfPage) -> bool:
    return any(True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2))


def _cell_text(text: str | None) -> str:
    # Wrapped cell text: CJK lines join without a space.
    if not text:
        return ""
    parts = [p.strip() for p in text.split("\n") if p.strip()]
    out = ""
    for p in parts:
        if out and out[-1].isascii() and out[-1].isalnum() and p[0].isascii() and p[0].isalnum():
            out += " "
        out += p
    return out


def _text_rows(lines: list[str], page_no: int, start: int) -> list[Row]:
    return [
        Row((ln.strip(),), f"page {page_no} line {start + k}", page=page_no)
        for k, ln in enumerate(lines)
        if ln.strip()
    ]


def _has_values(cells: tuple[str, ...]) -> bool:
    return any(c and is_value_like(c) for c in cells[1:])


def _label_only(cells: tuple[str, ...]) -> bool:
    return any(c for c in cells) and not _has_values(cells)


def _table_page_rows(page: pdfplumber.page.Page, page_no: int) -> list[tuple[float, Row, int]]:
    """(top, row, table index) for a page with tables; text lines have index -1."""
    tables = [t for t in page.find_tables() if len(t.rows) >= 2 and len(t.columns) >= 2]
    out: list[tuple[float, Row, int]] = []
    if not tables:
        return [(top, row, -1) for top, row in _unruled_rows(page, page_no)]
    for ti, table in enumerate(tables, start=1):
        for ri, (cells, trow) in enumerate(zip(table.extract(), table.rows), start=1):
            texts = tuple(_cell_text(c) for c in cells)
            if any(texts):
                out.append((trow.bbox[1], Row(texts, f"page {page_no} table {ti} row {ri}", page=page_no, tabular=True), ti))
    boxes = [t.bbox for t in tables]

    def outside(obj) -> bool:
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    for k, ln in enumerate(page.filter(outside).extract_text_lines(), start=1):
        out.append((ln["top"], Row((ln["text"].strip(),), f"page {page_no} line {k}", page=page_no), -1))
    out.sort(key=lambda t: t[0])
    return out


def _unruled_rows(page: pdfplumber.page.Page, page_no: int) -> list[tuple[float, Row]]:
    """Lines of a page whose table has no ruling: cells are separated by wide gaps."""
    words = page.extract_words(x_tolerance=1.5, y_tolerance=_LINE_TOLERANCE)
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - w["top"]) <= _LINE_TOLERANCE:
            lines[-1].append(w)
        else:
            lines.append([w])
    out = []
    for k, ws in enumerate(lines, start=1):
        ws.sort(key=lambda w: w["x0"])
        text = ws[0]["text"]
        for a, b in zip(ws, ws[1:]):
            size = (a["bottom"] - a["top"]) or 10
            text += ("  " if b["x0"] - a["x1"] > size else "") + b["text"]
        out.append((ws[0]["top"], Row((" ".join(text.split()),), f"page {page_no} line {k}", page=page_no)))
    return out


def _stitch(last: Row, first: Row) -> Row | None:
    """The row made of a table's last row and its continuation's first row when
    a row label was split by the page break; None when the rows are separate."""
    if len(last.cells) != len(first.cells):
        return None
    if numbering(next((c for c in first.cells if c), "")).kind is not None:
        return None
    if _label_only(last.cells) and any(first.cells):
        # The label began at the foot of the page; label and values continue here.
        return Row(tuple(a + b for a, b in zip(last.cells, first.cells)), first.locator, page=first.page, tabular=True)
    if _has_values(last.cells) and _label_only(first.cells):
        # The values stayed with the first half of the label; the rest spilled over.
        cells = tuple(a if a and is_value_like(a) else a + b for a, b in zip(last.cells, first.cells))
        return Row(cells, last.locator, page=last.page, tabular=True)
    return None


def _fast_pass(data: bytes) -> tuple[list[str], list[int]]:
    """Text of every page and the pages that need table extraction."""
    doc = _open(data)
    texts: list[str] = []
    table_pages: list[int] = []
    images = False
    try:
        for i in range(len(doc)):
            page = doc[i]
            text = page.get_textpage().get_text_range().replace("\r\n", "\n").replace("\r", "\n")
            texts.append(text)
            s = squash(text)
            if any(h in s for h in TABLE_PAGE_HINTS) or (s and _count_paths(page) >= _MIN_RULING_PATHS):
                table_pages.append(i)
            if not s and not images:
                images = _has_images(page)
    finally:
        doc.close()
    if not any(t.strip() for t in texts):
        raise IngestError("read", "no text layer; OCR needed" if images else "PDF without any text")
    return texts, table_pages


def _is_furniture(row: Row) -> bool:
    """Page numbers and short running headers above a continued table."""
    return is_noise(row) or len(squash(" ".join(row.cells))) <= 12


def read_pdf(data: bytes, source_path: str) -> Document:
    texts, table_pages = _fast_pass(data)
    rows: list[Row] = []
    last_table_row: int | None = None  # index in rows of the last row of an open table
    with pdfplumber.open(BytesIO(data)) if table_pages else nullcontext() as pdf:
        for i, text in enumerate(texts):
            if i not in table_pages:
                rows += _text_rows(text.split("\n"), i + 1, 1)
                last_table_row = None
                continue
            placed = _table_page_rows(pdf.pages[i], i + 1)
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
            # Does the page end inside a table (only furniture after its last row)?
            in_table = {id(r) for _, r, ti in placed if ti > 0}
            last_table_row = None
            for k in range(len(rows) - 1, len(rows) - len(page_rows) - 1, -1):
                if id(rows[k]) in in_table:
                    last_table_row = k
                    break
                if not _is_furniture(rows[k]):
                    break
    return Document(source_path, "pdf", rows, page_count=len(texts))
