"""Word documents (DOCX), read from the body XML in document order.

Body paragraphs become prose Rows ("paragraph N"; a soft line break starts a
new row, tab-separated paragraphs become tabular rows as in the text reader).
Each `w:tbl` becomes tabular Rows on its grid ("table T row R"): python-docx's
`row.cells` repeats a merged cell at every position it covers, so the grid is
built from the XML instead: a cell's text at its top-left position (gridSpan
start, vMerge restart), '' at the positions it covers. A table holding other
tables is page layout: its cells are walked as blocks. Text boxes, headers and
footers are skipped. A picture large enough to hold a table (word/media) is read
by OCR (`ocr.py`, "picture N"); its rows are kept when they show statistics-table
words.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

import lxml.etree

from ..model import Document, Row
from ..refusals import Refusal
from .html import normalize

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _TBL, _TR, _TC, _R = W + "p", W + "tbl", W + "tr", W + "tc", W + "r"
_T, _TAB, _BR, _CR = W + "t", W + "tab", W + "br", W + "cr"
_TXBX = W + "txbxContent"
_NBHYPHEN = W + "noBreakHyphen"
# Markup-compatibility fallbacks repeat their Choice's content.
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_TAB_STOPS = W + "tabs"  # w:pPr/w:tabs/w:tab defines tab stops: no text
_SKIP = frozenset((_TXBX, _FALLBACK, W + "pPr"))
_TEXT = {_TAB: "\t", _BR: "\n", _CR: "\n", _NBHYPHEN: "-"}
_VAL = W + "val"
# Containers that wrap paragraphs, rows or cells without meaning anything for the text.
_WRAPPERS = frozenset(
    W + t for t in ("sdt", "sdtContent", "customXml", "smartTag", "ins", "hyperlink", "fldSimple")
)
_TABS = re.compile(r"\t+")
_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
_EXTENT = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}extent"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_EMU_PER_INCH = 914400


def _runs_text(p) -> str:
    """A paragraph's text: w:t, tabs as \\t, breaks as \\n; text boxes left out."""
    if p.find(f".//{_TXBX}") is None and p.find(f".//{_FALLBACK}") is None:
        return "".join(
            _TEXT.get(el.tag) or el.text or ""
            for el in p.iter(_T, _TAB, _BR, _CR, _NBHYPHEN)
            if el.tag != _TAB or el.getparent().tag != _TAB_STOPS
        )
    parts: list[str] = []

    def gather(el):  # the slow path, pruning text boxes and fallbacks
        for child in el:
            tag = child.tag
            if tag in _TEXT or tag == _T:
                parts.append(_TEXT.get(tag) or child.text or "")
            elif tag not in _SKIP and isinstance(tag, str):
                gather(child)

    gather(p)
    return "".join(parts)


def _flat(el, want: str):
    """`want` children of `el`, looking through content controls and similar wrappers."""
    for child in el:
        if child.tag == want:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _flat(child, want)


def _tc_props(tc) -> tuple[int, bool]:
    """(gridSpan, continues a vertical merge) of a cell."""
    span, cont = 1, False
    pr = tc.find(W + "tcPr")
    if pr is not None:
        gs = pr.find(W + "gridSpan")
        if gs is not None and (gs.get(_VAL) or "").isdigit():
            span = max(1, int(gs.get(_VAL)))
        vm = pr.find(W + "vMerge")
        cont = vm is not None and vm.get(_VAL, "continue") == "continue"
        hm = pr.find(W + "hMerge")  # legacy horizontal merge
        cont = cont or (hm is not None and hm.get(_VAL, "continue") == "continue")
    return span, cont


def _grid_skip(tr, name: str) -> int:
    el = tr.find(f"{W}trPr/{W}{name}")
    v = el.get(_VAL) if el is not None else None
    return int(v) if v and v.isdigit() else 0


def _cell_text(tc) -> str:
    # Paragraphs of a cell are lines of one label: `normalize` joins CJK without a space.
    return normalize("\n".join(_runs_text(p).replace("\t", " ") for p in _flat(tc, _P)))


class _Walker:
    def __init__(self, pictures: _Pictures | None = None):
        self.rows: list[Row] = []
        self.paragraphs = 0
        self.tables = 0
        self.pictures = pictures

    def walk(self, el):
        for child in el:
            if child.tag == _P:
                self.paragraph(child)
            elif child.tag == _TBL:
                self.table(child)
            elif child.tag in _WRAPPERS:
                self.walk(child)

    def paragraph(self, p):
        self.paragraphs += 1
        loc = f"paragraph {self.paragraphs}"
        for line in _runs_text(p).split("\n"):
            line = line.strip()
            if "\t" in line:  # tab stops laying out a table row
                cells = tuple(normalize(c) for c in _TABS.split(line))
                self.rows.append(Row(cells, loc, tabular=True))
            elif line := normalize(line):
                self.rows.append(Row((line,), loc))
        if self.pictures is not None and p.find(f".//{_BLIP}") is not None:
            extent = next(p.iter(_EXTENT), None)
            for blip in p.iter(_BLIP):
                self.rows += self.pictures.read(blip.get(_EMBED), extent)

    def table(self, tbl):
        trs = list(_flat(tbl, _TR))
        if tbl.find(f".//{_TBL}") is not None:
            for tr in trs:  # layout table: its cells are blocks of the document
                for tc in _flat(tr, _TC):
                    self.walk(tc)
            return
        grid: list[list[str]] = []
        for tr in trs:
            row = [""] * _grid_skip(tr, "gridBefore")
            for tc in _flat(tr, _TC):
                span, cont = _tc_props(tc)
                row.append("" if cont else _cell_text(tc))
                row.extend([""] * (span - 1))
            row.extend([""] * _grid_skip(tr, "gridAfter"))
            grid.append(row)
        width = max((len(r) for r in grid), default=0)
        self.tables += 1
        for r, cells in enumerate(grid, start=1):
            if any(cells):
                cells += [""] * (width - len(cells))
                self.rows.append(Row(tuple(cells), f"table {self.tables} row {r}", tabular=True))


def _body(data: bytes):
    """The w:body element: through python-docx, or straight from the ZIP for
    documents it refuses (macro-enabled, odd content types)."""
    import docx

    try:
        return docx.Document(BytesIO(data)).element.body
    except MemoryError:
        raise  # the worker's memory limit, not a refusal: never read again raw
    except Exception as e:  # noqa: BLE001 - any refusal: read the raw part below
        refusal = e
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            xml = z.read("word/document.xml")
        parser = lxml.etree.XMLParser(huge_tree=True, resolve_entities=False)
        body = lxml.etree.fromstring(xml, parser).find(W + "body")
    except (zipfile.BadZipFile, KeyError, lxml.etree.XMLSyntaxError) as e:
        raise Refusal("corrupt_docx", error=f"{e} ({refusal})") from e
    if body is None:
        raise Refusal("docx_without_body")
    return body


# A report's document.xml is a few MB; a part inflating past this is a ZIP bomb. The
# sizes are the archive's own (zipfile never inflates a member past its stated size).
MAX_PART_BYTES = 200 << 20
MAX_TOTAL_BYTES = 400 << 20


def _check_sizes(data: bytes) -> None:
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            sizes = [(i.filename, i.file_size) for i in z.infolist()]
    except zipfile.BadZipFile as e:
        raise Refusal("corrupt_docx", error=str(e)) from e
    name, biggest = max(sizes, key=lambda s: s[1], default=("", 0))
    total = sum(size for _, size in sizes)
    if biggest > MAX_PART_BYTES or total > MAX_TOTAL_BYTES:
        raise Refusal(
            "zip_bomb",
            total_mb=total >> 20,
            part=name,
            part_mb=biggest >> 20,
            limit_mb=MAX_PART_BYTES >> 20,
        )


class _Pictures:
    """The document's pictures (word/media), read by OCR when they may hold a table."""

    def __init__(self, data: bytes):
        self.data = data
        self.count = 0
        self.read_by_ocr = 0
        self.issues: list = []
        self._targets: dict[str, str] | None = None

    def _target(self, rid: str | None) -> str | None:
        if self._targets is None:
            self._targets = {}
            try:
                with zipfile.ZipFile(BytesIO(self.data)) as z:
                    rels = lxml.etree.fromstring(z.read("word/_rels/document.xml.rels"))
            except (KeyError, zipfile.BadZipFile, lxml.etree.XMLSyntaxError):
                return None
            for rel in rels.iter(_RELS):
                target = rel.get("Target") or ""
                if rel.get("TargetMode") != "External" and rel.get("Id"):
                    part = target.lstrip("/") if target.startswith("/") else "word/" + target
                    self._targets[rel.get("Id")] = part
        return self._targets.get(rid or "")

    def read(self, rid: str | None, extent) -> list[Row]:
        from . import ocr

        self.count += 1
        name = self._target(rid)
        if name is None:
            return []
        try:
            with zipfile.ZipFile(BytesIO(self.data)) as z:
                data = z.read(name)
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 - a missing or damaged part: the picture is skipped
            return []
        cx = extent.get("cx") if extent is not None else None
        inches = int(cx) / _EMU_PER_INCH if cx and cx.isdigit() and int(cx) else None
        pic = ocr.read_document_picture(
            data, f"picture {self.count}", lambda px: px / inches if inches else None
        )
        if pic is None:
            return []
        self.read_by_ocr += 1
        self.issues += pic.issues
        return [row for _, row, _ in pic.placed]


def read_docx(data: bytes, source_path: str) -> Document:
    _check_sizes(data)
    pictures = _Pictures(data)
    walker = _Walker(pictures)
    walker.walk(_body(data))
    return Document(
        source_path,
        "docx",
        walker.rows,
        issues=pictures.issues,
        ocr_pages=pictures.read_by_ocr,
    )
