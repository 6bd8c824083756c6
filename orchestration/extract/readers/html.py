"""Saved government web pages (HTML).

Prose becomes one `Row` per paragraph or `<br>`-separated line ("block N").
Every data `<table>` becomes tabular Rows on a grid with rowspan/colspan
expanded ("table T row R"): a merged cell's text sits at its top-left
position and the positions it covers are '', so value columns stay aligned
and labels are not repeated. Page-layout tables (holding other tables, one
column, or whole articles in a cell) are walked as containers instead.

An `<img>` large enough to hold a table is read by OCR (`ocr.py`, "picture N")
when its bytes are at hand: a `data:` URI in the page, or a file saved beside
the page (`pictures`, by the src as written; orchestration/ingest/page_files.py
finds them, and they are part of the page's content hash). Its rows are kept
when they show statistics-table words.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

import lxml.etree
import lxml.html

from ..encoding import decode
from ..model import Document, Row
from ..refusals import Refusal
from .text import unwrap

_DECLARED = re.compile(
    rb"""<(?:meta|\?xml)[^>]*?(?:charset|encoding)\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)

# Dropped with everything inside: not part of the page's text.
_SKIP = frozenset({
    "script", "style", "noscript", "head", "title", "template", "nav", "select", "option",
    "iframe", "object", "embed", "svg", "button", "input", "textarea", "map", "area", "audio",
    "video", "canvas",
})  # fmt: skip
_BLOCK = frozenset({
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
    "section", "article", "main", "aside", "header", "footer", "blockquote", "pre", "center",
    "form", "fieldset", "address", "figure", "figcaption", "caption", "hr", "body", "html",
    "table", "tbody", "thead", "tfoot", "tr", "td", "th",
})  # fmt: skip
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_INT = re.compile(r"\s*(\d+)")
_TITLE_WINDOW = 60  # rows searched for an on-page title (as identity.find_title does)
_LONG_CELL = 400  # characters: a cell holding a whole article is page layout
_CSS_PX_PER_INCH = 96  # an <img width="…"> is in CSS pixels


def normalize(text: str) -> str:
    """Web text as one line: no-break and ideographic spaces as spaces, line breaks unwrapped."""
    text = text.replace("\xa0", " ").replace("\u3000", " ")
    return unwrap(text)


def _declared(data: bytes) -> str | None:
    """The charset the page declares (a meta tag or the XML declaration), if any."""
    m = _DECLARED.search(data[:16384])
    return m.group(1).decode("ascii") if m else None


def _tag(el) -> str | None:
    """Lower-case tag name, None for comments and processing instructions."""
    return el.tag.lower() if isinstance(el.tag, str) else None


def _hidden(el) -> bool:
    style = el.get("style")
    return el.get("hidden") is not None or (style is not None and bool(_HIDDEN.search(style)))


def _children(el, want: str):
    """Direct `want` children (tr of a table, td/th of a row), looking through
    wrappers a sloppy page puts between them (tbody, form, …) but not into
    nested tables."""
    for child in el:
        tag = _tag(child)
        if tag is None or tag in _SKIP:
            continue
        if tag == want or (want == "td" and tag == "th"):
            yield child
        elif tag not in ("table", "tr", "td", "th"):
            yield from _children(child, want)


def _span(value: str | None, limit: int, zero: int = 1) -> int:
    """A rowspan/colspan attribute, clamped to `limit`; `zero` is what 0 means."""
    m = _INT.match(value or "")
    if not m:
        return 1
    n = int(m.group(1))
    return zero if n == 0 else min(n, limit)


def _cell_text(td) -> str:
    """A cell's text; <br> and paragraph breaks inside it become line breaks for `normalize`."""
    parts: list[str] = []

    def gather(el):
        if el.text:
            parts.append(el.text)
        for child in el:
            tag = _tag(child)
            if tag is not None and tag not in _SKIP and not _hidden(child):
                if tag == "br" or tag in _BLOCK:
                    parts.append("\n")
                gather(child)
                if tag in _BLOCK:
                    parts.append("\n")
            if child.tail:
                parts.append(child.tail)

    gather(td)
    return normalize("".join(parts))


class _Pictures:
    """The page's pictures, read by OCR when they may hold a table."""

    def __init__(self, files: Mapping[str, bytes]):
        self.files = files
        self.count = 0
        self.read_by_ocr = 0
        self.issues: list = []

    def read(self, img) -> list[Row]:
        from . import ocr

        src = (img.get("src") or "").strip()
        data = _data_uri(src) if src.startswith("data:") else self.files.get(src)
        if not data:
            return []
        self.count += 1
        # Shown `width` CSS pixels wide, or at its own size (one pixel per CSS pixel).
        m = _INT.match(img.get("width") or "")
        css = int(m.group(1)) if m and int(m.group(1)) else None
        pic = ocr.read_document_picture(
            data,
            f"picture {self.count}",
            lambda px: px * _CSS_PX_PER_INCH / css if css else float(_CSS_PX_PER_INCH),
        )
        if pic is None:
            return []
        self.read_by_ocr += 1
        self.issues += pic.issues
        return [row for _, row, _ in pic.placed]


def _data_uri(src: str) -> bytes | None:
    """The bytes of a base64 `data:` URI (pages saved as one file embed their pictures so)."""
    head, _, payload = src.partition(",")
    if not head.endswith(";base64"):
        return None
    try:
        return base64.b64decode(payload)
    except (binascii.Error, ValueError):
        return None


class _Walker:
    def __init__(self, pictures: _Pictures):
        self.pictures = pictures
        self.rows: list[Row] = []
        self.buf: list[str] = []
        self.blocks = 0
        self.tables = 0
        self.pre = 0

    def flush(self):
        if not self.buf:
            return
        text = "".join(self.buf)
        self.buf = []
        for line in text.split("\n") if self.pre else (text,):
            line = normalize(line)
            if line:
                self.blocks += 1
                self.rows.append(Row((line,), f"block {self.blocks}"))

    def walk(self, el):
        """Prose of `el`'s children in document order; tables to `table`."""
        for child in el:
            tag = _tag(child)
            if tag is None or tag in _SKIP or _hidden(child):
                pass
            elif tag == "br":
                self.flush()
            elif tag == "img":
                if rows := self.pictures.read(child):
                    self.flush()
                    self.rows += rows
            elif tag == "table":
                self.flush()
                self.table(child)
            elif tag in _BLOCK:
                self.flush()
                self.pre += tag == "pre"
                if child.text:
                    self.buf.append(child.text)
                self.walk(child)
                self.flush()
                self.pre -= tag == "pre"
            else:  # inline: its text runs on in the current line
                if child.text:
                    self.buf.append(child.text)
                self.walk(child)
            if child.tail:
                self.buf.append(child.tail)

    def container(self, table, trs):
        """A layout table: each cell is a block of the page."""
        for tr in trs:
            for td in _children(tr, "td"):
                if td.text:
                    self.buf.append(td.text)
                self.walk(td)
                self.flush()

    def table(self, table):
        trs = list(_children(table, "tr"))
        rows_cells = [list(_children(tr, "td")) for tr in trs]
        if table.find(".//table") is not None or max((len(c) for c in rows_cells), default=0) <= 1:
            self.container(table, trs)
            return
        texts = [[_cell_text(td) for td in cells] for cells in rows_cells]
        if any(len(t) > _LONG_CELL for row in texts for t in row):
            self.container(table, trs)
            return
        for cap in _children(table, "caption"):
            self.buf.append(_cell_text(cap))
            self.flush()
        grid = _grid(rows_cells, texts)
        self.tables += 1
        for r, cells in enumerate(grid, start=1):
            if any(cells):
                self.rows.append(Row(tuple(cells), f"table {self.tables} row {r}", tabular=True))


def _grid(rows_cells, texts) -> list[list[str]]:
    """Cell texts on the table grid: a merged cell at its top-left position, '' where covered."""
    nrows = len(rows_cells)
    covered: set[tuple[int, int]] = set()
    at: dict[tuple[int, int], str] = {}
    width = 0
    for r, (cells, row_texts) in enumerate(zip(rows_cells, texts)):
        c = 0
        for td, text in zip(cells, row_texts):
            while (r, c) in covered:
                c += 1
            rs = _span(td.get("rowspan"), nrows - r, zero=nrows - r)  # 0: to the end of the table
            cs = _span(td.get("colspan"), 100)
            at[(r, c)] = text
            covered.update((r + dr, c + dc) for dr in range(rs) for dc in range(cs))
            c += cs
        width = max(width, c)
    return [[at.get((r, c), "") for c in range(width)] for r in range(nrows)]


def _parse(data: bytes, source_path: str):
    """(root element, decoding notes) of a page."""
    # Valid UTF-8 wins over the declaration (pages are often mis-declared after a site
    # move; GBK text is practically never valid UTF-8); a declaration is checked against
    # the bytes, never trusted blindly.
    text, notes = decode(data, source_path, declared=_declared(data))
    if not text.strip():
        raise Refusal("empty_html")
    # Re-encoded as UTF-8 with the parser told so: a meta charset in the page cannot mislead it.
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError) as e:
        raise Refusal("corrupt_html", error=str(e)) from e
    return root, notes


def picture_sources(data: bytes, source_path: str) -> list[str]:
    """The src of every `<img>` of the page that may be a file beside it (no `data:`
    URI), as written, in page order, each once."""
    root, _ = _parse(data, source_path)
    found = (img.get("src", "").strip() for img in root.iter("img"))
    return list(dict.fromkeys(src for src in found if src and not src.startswith("data:")))


def read_html(
    data: bytes, source_path: str, pictures: Mapping[str, bytes] | None = None
) -> Document:
    """The page's rows; `pictures` holds the bytes of files its `<img>` show, by src."""
    root, notes = _parse(data, source_path)
    images = _Pictures(pictures or {})
    walker = _Walker(images)
    walker.walk(root)
    walker.flush()
    rows = walker.rows
    title = root.find(".//title")
    title_text = normalize(title.text_content()) if title is not None else ""
    # The <title> stands in for the report title only when the page shows none.
    if title_text and not any(
        not r.tabular and "年度报告" in r.cells[0] and len(r.cells[0]) <= 80
        for r in rows[:_TITLE_WINDOW]
    ):
        rows.insert(0, Row((title_text,), "title"))
    # Government CMS pages name the publishing body in <meta name="ContentSource">; identity
    # reads it as a 来源 line (after the title, which it prefers).
    source = root.xpath(
        'string(//meta[translate(@name, "CONTESRU", "contesru")="contentsource"]/@content)'
    )
    if source := normalize(source):
        rows.insert(
            1 if rows and rows[0].locator == "title" else 0,
            Row((f"来源:{source}",), "meta ContentSource"),
        )
    return Document(
        source_path,
        "html",
        rows,
        notes=notes,
        issues=images.issues,
        ocr_pages=images.read_by_ocr,
    )
