"""Saved government web pages (HTML).

Prose becomes one `Row` per paragraph or `<br>`-separated line ("block N").
Every data `<table>` becomes tabular Rows on a grid with rowspan/colspan
expanded ("table T row R"): a merged cell's text sits at its top-left
position and the positions it covers are '', so value columns stay aligned
and labels are not repeated. Page-layout tables (holding other tables, one
column, or whole articles in a cell) are walked as containers instead.
"""

from __future__ import annotations

import re

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


class _Walker:
    def __init__(self):
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


def read_html(data: bytes, source_path: str) -> Document:
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
    walker = _Walker()
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
    return Document(source_path, "html", rows, notes=notes)
