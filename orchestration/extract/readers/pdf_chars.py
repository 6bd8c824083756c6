"""A PDF page's characters from PDFium, with the ones its text page drops.

PDFium's text page skips a text object whose box has no width. The box is made
of glyph outlines, so an object showing one glyph without an outline has none: a
character of a non-embedded font that no installed font can draw (the CJK of
STSong-Light, UniGB-UCS2-H, on a machine without CJK fonts: PDFium then knows
only its advance, and two glyphs still make a width), or a lone space. pdfplumber
reads those characters from the content stream; so does this module, for those
objects only:

* the page's text-showing operators are paired one to one with PDFium's text
  objects (PDFium makes one object per operator that shows a non-empty string);
* every object PDFium read must decode to the text PDFium gave it (the pairing
  and the decoding checked together);
* a dropped object is decoded with its font's ToUnicode map or UCS-2/UTF-16
  CMap and placed at the object's origin, in the box pdfplumber gives a
  character (the glyph's advance wide, the font size high, on the descent).

The content stream and font dictionaries come from pdfminer's object parser
(not its content interpreter, the slow part of pdfplumber), opened only for a
document that has such a page. Anything this cannot do (an undecodable font, an
object in a form, operators that do not pair with the objects, a character
PDFium could not map to Unicode) gives None: the caller reads the page with
pdfplumber rather than lose a character.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass
from io import BytesIO

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from . import pdfium_raw as raw

_FLAT = 0.1  # points: a glyph box this low has no outline behind it


@dataclass(frozen=True)
class Char:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    index: int  # reading order; a gap between consecutive indexes is a line break


class PageObjects:
    """A page's top-level objects by kind, as addresses (see `pdfium_raw`), read in
    one pass (pypdfium2's wrapper objects cost more than the work done with them)."""

    def __init__(self, page: pdfium.PdfPage):
        self.text: list[int] = []
        self.path: list[int] = []
        self.image: list[int] = []
        self.form: list[int] = []
        kinds = {
            pdfium_c.FPDF_PAGEOBJ_TEXT: self.text,
            pdfium_c.FPDF_PAGEOBJ_PATH: self.path,
            pdfium_c.FPDF_PAGEOBJ_IMAGE: self.image,
            pdfium_c.FPDF_PAGEOBJ_FORM: self.form,
        }
        handle, get, kind = raw.address(page.raw), raw.FPDFPage_GetObject, raw.FPDFPageObj_GetType
        for i in range(raw.FPDFPage_CountObjects(handle)):
            obj = get(handle, i)
            found = kinds.get(kind(obj))
            if found is not None:
                found.append(obj)

    def in_forms(self):
        """Objects inside the page's form XObjects, at any depth, with their depth (1 and more)."""
        stack = [(form, 1) for form in self.form]
        while stack:
            form, depth = stack.pop()
            for i in range(raw.FPDFFormObj_CountObjects(form)):
                obj = raw.FPDFFormObj_GetObject(form, i)
                if raw.FPDFPageObj_GetType(obj) == pdfium_c.FPDF_PAGEOBJ_FORM:
                    stack.append((obj, depth + 1))
                yield obj, depth

    def has_images(self) -> bool:
        """An image on the page or in a form drawn on it."""
        return bool(self.image) or any(
            raw.FPDFPageObj_GetType(obj) == pdfium_c.FPDF_PAGEOBJ_IMAGE
            for obj, depth in self.in_forms()
            if depth == 1
        )


def _owners(textpage: int) -> list[int | None]:
    """The text object of each character of the text page (None: one PDFium added)."""
    get = raw.FPDFText_GetTextObject
    return [get(textpage, i) for i in range(raw.FPDFText_CountChars(textpage))]


def dropped(objects: PageObjects, textpage: pdfium.PdfTextPage) -> list[int] | None:
    """Positions (among the page's top-level text objects) of the objects PDFium's
    text page dropped; None when one inside a form was dropped (not recovered here)."""
    handle = raw.address(textpage.raw)
    chars = raw.FPDFText_CountChars(handle)
    if len(objects.text) * 16 < chars:
        # few objects: ask each for its text (PDFium looks through every character)
        def kept(obj: int) -> bool:
            return raw.FPDFTextObj_GetText(obj, handle, None, 0) > 2
    else:  # one object per character or so (WPS): ask each character for its object
        kept = set(_owners(handle)).__contains__
    out = [k for k, obj in enumerate(objects.text) if not kept(obj)]
    for obj, _ in objects.in_forms():
        if raw.FPDFPageObj_GetType(obj) == pdfium_c.FPDF_PAGEOBJ_TEXT and not kept(obj):
            return None
    return out


# ------------------------------------------------------------ the content stream

_STRING = rb"\((?:[^()\\]+|\\.|\((?:[^()\\]+|\\.)*\))*\)|<[0-9A-Fa-f\s]*>"
_END = rb"(?![^\s()<>\[\]{}/%])"  # an operator ends at a delimiter
# Only what shows text or picks its font; any other string is skipped whole, so
# that nothing inside a string reads as an operator.
_BRANCHES = (
    rb"(?P<shown>" + _STRING + rb")\s*(?:Tj|'|\")" + _END,
    rb"\[(?P<array>(?:" + _STRING + rb"|[^\]()<])*)\]\s*TJ" + _END,
    rb"/(?P<font>[^\s()<>\[\]{}/%]+)\s+[-+]?[\d.]+\s+Tf" + _END,
    _STRING,
    rb"(?<![^\s()<>\[\]{}/%])(?P<image>BI)" + _END,
    rb"%[^\r\n]*",
)
# The lookahead is one test where no branch can start (the engine tries each branch).
_OPERATORS = re.compile(rb"(?=[(<\[/%B])(?:" + b"|".join(_BRANCHES) + rb")", re.S)
_IN_ARRAY = re.compile(_STRING, re.S)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|.)", re.S)
# What each escape stands for: \ddd (octal), \n \r \t \b \f, a line continuation
# (nothing), any other character itself.
_UNESCAPED = {bytes([c]): bytes([c]) for c in range(256)}
_UNESCAPED |= {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_UNESCAPED |= {b"\r\n": b"", b"\n": b"", b"\r": b""}
_UNESCAPED |= {
    digits: bytes([int(digits, 8) & 0xFF])
    for n in (1, 2, 3)
    for digits in (f"{k:0{n}o}".encode() for k in range(8**n))
}
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _string(token: bytes) -> bytes:
    if token[:1] == b"<":
        digits = re.sub(rb"\s", b"", token[1:-1])
        return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
    body = token[1:-1]
    if b"\\" not in body:
        return body
    parts = _ESCAPE.split(body)  # text, escape, text, escape, ..., text
    parts[1::2] = map(_UNESCAPED.__getitem__, parts[1::2])
    return b"".join(parts)


def shown_strings(content: bytes) -> list[tuple[bytes, bytes]] | None:
    """(font resource name, shown bytes) for each text-showing operator with a
    non-empty string, in content order; None when the stream holds an inline
    image (binary data this does not step over)."""
    out: list[tuple[bytes, bytes]] = []
    font = b""
    for m in _OPERATORS.finditer(content):
        shown, array, name, image = m.group("shown", "array", "font", "image")
        if shown is not None:
            data = _string(shown)
        elif array is not None:
            data = b"".join(_string(t.group()) for t in _IN_ARRAY.finditer(array))
        elif name is not None:
            font = _NAME_ESCAPE.sub(lambda e: bytes.fromhex(e.group(1).decode()), name)
            continue
        elif image is not None:
            return None
        else:
            continue
        if data:
            out.append((font, data))
    return out


# ----------------------------------------------------------------------- fonts

_UNICODE_CMAP = re.compile(r"Uni\w+-(?:UCS2|UTF16)(?:-HW)?-H")
_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")


def _hexbytes(token: bytes) -> bytes:
    digits = re.sub(rb"\s", b"", token)
    return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())


def _utf16(code: bytes) -> str | None:
    try:
        return code.decode("utf-16-be")
    except UnicodeDecodeError:
        return None


class _ToUnicode:
    """A ToUnicode CMap: code spaces, bfchar and bfrange entries."""

    def __init__(self, data: bytes, default_width: int):
        self.spaces: list[tuple[bytes, bytes]] = []
        self.map: dict[bytes, str] = {}
        for block in re.findall(rb"begincodespacerange(.*?)endcodespacerange", data, re.S):
            codes = [_hexbytes(h) for h in _HEX.findall(block)]
            self.spaces += [(lo, hi) for lo, hi in zip(codes[::2], codes[1::2])]
        if not self.spaces:
            self.spaces = [(b"\x00" * default_width, b"\xff" * default_width)]
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            codes = _HEX.findall(block)
            for src, dst in zip(codes[::2], codes[1::2]):
                text = _utf16(_hexbytes(dst))
                if text is not None:
                    self.map[_hexbytes(src)] = text
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
            for lo, hi, dst in re.findall(
                rb"<([0-9A-Fa-f\s]*)>\s*<([0-9A-Fa-f\s]*)>\s*(<[0-9A-Fa-f\s]*>|\[[^\]]*\])",
                block,
            ):
                lo, hi = _hexbytes(lo), _hexbytes(hi)
                n, start, end = len(lo), int.from_bytes(lo), int.from_bytes(hi)
                if end - start > 0xFFFF:
                    continue
                if dst[:1] == b"[":
                    targets = [_hexbytes(h) for h in _HEX.findall(dst)]
                else:
                    base = _hexbytes(dst[1:-1])
                    head, last = base[:-2], int.from_bytes(base[-2:])
                    targets = [head + (last + k).to_bytes(2) for k in range(end - start + 1)]
                for k, target in zip(range(start, end + 1), targets):
                    text = _utf16(target)
                    if text is not None:
                        self.map[k.to_bytes(n)] = text

    def decode(self, data: bytes) -> str | None:
        out, pos = [], 0
        while pos < len(data):
            for lo, hi in self.spaces:
                code = data[pos : pos + len(lo)]
                if len(code) == len(lo) and all(a <= c <= b for a, c, b in zip(lo, code, hi)):
                    break
            else:
                return None
            text = self.map.get(code)
            if text is None:
                return None
            out.append(text)
            pos += len(code)
        return "".join(out)


def _decoder(spec: dict):
    """A function from shown bytes to text (None when a code has no known text),
    or None when this font is not one this module decodes."""
    from pdfminer.pdftypes import resolve1
    from pdfminer.psparser import PSLiteral

    def name(value) -> str:
        value = resolve1(value)
        return value.name if isinstance(value, PSLiteral) else ""

    subtype = name(spec.get("Subtype"))
    to_unicode = resolve1(spec.get("ToUnicode"))
    if to_unicode is not None and hasattr(to_unicode, "get_data"):
        cmap = _ToUnicode(to_unicode.get_data(), 2 if subtype == "Type0" else 1)
        return cmap.decode
    encoding = name(spec.get("Encoding"))
    if subtype == "Type0" and _UNICODE_CMAP.fullmatch(encoding):
        return _utf16
    return None


def _resource_name(name: bytes) -> str:
    try:
        return name.decode("utf-8")
    except UnicodeDecodeError:
        return name.decode("latin-1")


class ContentStreams:
    """The document's content streams and font dictionaries, read with pdfminer's
    object parser when a page first needs them."""

    def __init__(self, data: bytes):
        self.data = data
        self._doc = None
        self._decoders: dict = {}

    def _page(self, index: int) -> tuple[dict, dict] | None:
        """(page dictionary, its resources) of page `index`, down the page tree by the
        nodes' /Count (not through every page before it), resources inherited."""
        from pdfminer.pdfdocument import PDFDocument
        from pdfminer.pdfparser import PDFParser
        from pdfminer.pdftypes import resolve1

        if self._doc is None:
            self._doc = PDFDocument(PDFParser(BytesIO(self.data)))
        node, resources = resolve1(self._doc.catalog.get("Pages")), {}
        for _ in range(64):  # a deeper tree is a loop
            if not isinstance(node, dict):
                return None
            resources = resolve1(node.get("Resources", resources))
            kids = resolve1(node.get("Kids"))
            if kids is None:
                return (node, resources) if index == 0 else None
            if resolve1(node.get("Count")) == len(kids) and index < len(kids):
                kid = resolve1(kids[index])  # as many pages as kids: each kid is a page
                if isinstance(kid, dict) and "Kids" not in kid:
                    node, index = kid, 0
                    continue
            for kid in kids:
                kid = resolve1(kid)
                count = resolve1(kid.get("Count", 1)) if "Kids" in kid else 1
                if index < count:
                    node = kid
                    break
                index -= count
            else:
                return None
        return None

    def page_strings(self, index: int):
        """(shown strings with their fonts' decoders) of page `index`, or None."""
        from pdfminer.pdftypes import resolve1

        try:
            found = self._page(index)
            if found is None:
                return None
            page, resources = found
            contents = resolve1(page.get("Contents"))
            streams = contents if isinstance(contents, list) else [contents]
            content = b"\n".join(resolve1(s).get_data() for s in streams if s is not None)
            fonts = resolve1(resources.get("Font")) or {}
            shown = shown_strings(content)
            if shown is None:
                return None
            out = []
            for font, data in shown:
                ref = fonts.get(_resource_name(font))
                key = getattr(ref, "objid", None) or id(ref)
                if key not in self._decoders:
                    spec = resolve1(ref)
                    self._decoders[key] = _decoder(spec) if isinstance(spec, dict) else None
                out.append((data, self._decoders[key]))
            return out
        except Exception:  # a structure pdfminer cannot read: pdfplumber will say why
            return None


# ------------------------------------------------------------------- characters


def _same_text(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


def _font_box(font: int, size: float, m, x: float, y: float, ch: str, height: float):
    """The box pdfplumber gives a character: its advance wide, the font size high,
    standing on the font's descent below the baseline (top-left origin); None for
    text this does not place (rotated, vertical writing)."""
    if abs(m.b) > 1e-6 or abs(m.c) > 1e-6 or m.a <= 0 or m.d <= 0:
        return None
    width, descent = ctypes.c_float(), ctypes.c_float()
    if not (
        raw.FPDFFont_GetGlyphWidth(font, ord(ch), size, width)
        and raw.FPDFFont_GetDescent(font, size, descent)
    ):
        return None
    if width.value < 0:
        return None  # a vertical advance
    bottom = y + descent.value * m.d
    return (ch, x, x + width.value * m.a, height - (bottom + size * m.d), height - bottom)


def _placed(obj: int, text: str, height: float) -> list[tuple] | None:
    """The box of a dropped object's one character, at the object's origin."""
    if len(text) != 1:
        return None  # only one glyph leaves an object without width
    m = pdfium_c.FS_MATRIX()
    raw.FPDFPageObj_GetMatrix(obj, m)
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
    size = ctypes.c_float()
    raw.FPDFTextObj_GetFontSize(obj, size)
    font = raw.FPDFTextObj_GetFont(obj)
    box = _font_box(font, size.value, m, left.value, bottom.value, text, height)
    return None if box is None else [box]


def _glyph_boxes(textpage: int, text: str, height: float) -> list[tuple] | None:
    """(char, x0, x1, top, bottom, text index): the glyph's outline, or for a glyph
    without one (a font PDFium cannot draw) PDFium's loose box (ascent to descent);
    None when PDFium has no Unicode for a character."""
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    rect = pdfium_c.FS_RECTF()
    box, error = raw.FPDFText_GetCharBox, raw.FPDFText_HasUnicodeMapError
    out = []
    for i, ch in enumerate(text):
        if ch in "\r\n":
            continue
        if error(textpage, i) == 1:
            return None
        box(textpage, i, left, right, bottom, top)
        if top.value - bottom.value < _FLAT and not ch.isspace():
            raw.FPDFText_GetLooseCharBox(textpage, i, rect)
            out.append((ch, rect.left, rect.right, height - rect.top, height - rect.bottom, i))
        else:
            out.append((ch, left.value, right.value, height - top.value, height - bottom.value, i))
    return out


def _font_boxes(textpage: int, text: str, height: float) -> list[tuple] | None:
    """(char, x0, x1, top, bottom, text index) with pdfplumber's boxes, without the
    spaces and line breaks PDFium adds."""
    x, y = ctypes.c_double(), ctypes.c_double()
    fonts: dict[int, tuple] = {}  # text object -> (font, size, matrix)
    boxes: dict[tuple, tuple | None] = {}  # (text object, char) -> box at the origin 0, 0
    out = []
    for i, ch in enumerate(text):
        if ch in "\r\n" or raw.FPDFText_IsGenerated(textpage, i) == 1:
            continue
        if raw.FPDFText_HasUnicodeMapError(textpage, i) == 1:
            return None
        obj = raw.FPDFText_GetTextObject(textpage, i)
        if (obj, ch) not in boxes:
            if obj not in fonts:
                size, m = ctypes.c_float(), pdfium_c.FS_MATRIX()
                raw.FPDFTextObj_GetFontSize(obj, size)
                raw.FPDFText_GetMatrix(textpage, i, m)
                fonts[obj] = (raw.FPDFTextObj_GetFont(obj), size.value, m)
            font, size, m = fonts[obj]
            boxes[obj, ch] = _font_box(font, size, m, 0.0, 0.0, ch, 0.0)
        box = boxes[obj, ch]
        if box is None:
            return None
        raw.FPDFText_GetCharOrigin(textpage, i, x, y)
        _, x0, x1, top, bottom = box
        out.append(
            (ch, x.value + x0, x.value + x1, height - y.value + top, height - y.value + bottom, i)
        )
    return out


class PageChars:
    """One page's characters with their boxes (top-left origin), in reading order,
    read when first asked for; None when some text is beyond PDFium and this module."""

    def __init__(
        self,
        page: pdfium.PdfPage,
        textpage: pdfium.PdfTextPage,
        text: str,
        streams: ContentStreams,
        index: int,
    ):
        self.objects = PageObjects(page)
        self.lost = dropped(self.objects, textpage)  # None: cannot be recovered
        self._textpage, self._text, self._streams, self._index = (
            raw.address(textpage.raw),
            text,
            streams,
            index,
        )
        self._height = page.get_size()[1]
        self._read: dict[bool, list[Char] | None] = {}
        self._recovered: list = []  # once tried: [the dropped characters, or None]

    def glyphs(self) -> list[Char] | None:
        """Boxes of the glyphs' outlines (a glyph without one: its font's)."""
        return self._chars(False)

    def font_boxes(self) -> list[Char] | None:
        """The boxes pdfplumber gives, to find words by their gaps as pdfplumber does."""
        return self._chars(True)

    def _chars(self, font_boxes: bool) -> list[Char] | None:
        if font_boxes not in self._read:
            self._read[font_boxes] = self._merged(font_boxes)
        return self._read[font_boxes]

    def _extra(self) -> dict | None:
        if not self._recovered:
            self._recovered.append(
                _recover(
                    self.objects.text,
                    self._textpage,
                    self._text,
                    self._streams,
                    self._index,
                    self.lost,
                    self._height,
                )
            )
        return self._recovered[0]

    def _merged(self, font_boxes: bool) -> list[Char] | None:
        if self.lost is None:
            return None
        found = (_font_boxes if font_boxes else _glyph_boxes)(
            self._textpage, self._text, self._height
        )
        if found is None:
            return None
        if not self.lost:
            return [Char(*c) for c in found]
        extra = self._extra()
        return None if extra is None else _merge(found, extra)


def _recover(handles: list[int], textpage: int, text: str, streams, index: int, lost, height):
    """{text index after which they come: [(char, x0, x1, top, bottom)]} for the
    dropped objects, or None."""
    strings = streams.page_strings(index)
    if strings is None or len(strings) != len(handles):
        return None
    read: dict[int, list[str]] = {}  # object -> the characters PDFium read of it
    last_char: dict[int, int] = {}  # object -> the text index of its last character
    for i, obj in enumerate(_owners(textpage)):
        if obj is not None:
            read.setdefault(obj, []).append(text[i])
            last_char[obj] = i
    lost = set(lost)
    after = -1
    out: dict[int, list] = {}
    for k, (obj, (data, decode)) in enumerate(zip(handles, strings)):
        ours = decode(data) if decode is not None else None
        if k in lost:
            placed = _placed(obj, ours, height) if ours is not None else None
            if placed is None:
                return None
            out.setdefault(after, []).extend(placed)
            continue
        if ours is not None and not _same_text(ours, "".join(read.get(obj, ()))):
            return None  # the strings and the objects do not pair
        after = max(after, last_char.get(obj, after))
    return out


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


def _same_line(a: tuple, b: tuple) -> bool:
    """Whether box b sits on box a's line, to its right (bottoms within half a line)."""
    size = max(a[4] - a[3], b[4] - b[3], 1.0)
    return abs(a[4] - b[4]) <= size / 2 and b[1] >= a[1]


def _merge(found: list[tuple], extra: dict[int, list]) -> list[Char]:
    """PDFium's characters with the recovered ones, renumbered so that a line
    break stays a gap in the indexes (text_lines and cell text rely on it)."""
    out: list[Char] = []
    prev: tuple | None = None  # (box, PDFium's text index or None)
    seq = 0

    def add(c: tuple, pdfium_index: int | None):
        nonlocal prev, seq
        if prev is not None:
            if pdfium_index is not None and prev[1] is not None:
                seq += 1 if pdfium_index == prev[1] + 1 else 2
            else:
                seq += 1 if _same_line(prev[0], c) else 2
        out.append(Char(c[0], c[1], c[2], c[3], c[4], seq))
        prev = (c, pdfium_index)

    pending = sorted(extra.items())
    for c in found:
        while pending and pending[0][0] < c[5]:
            for r in pending.pop(0)[1]:
                add(r, None)
        add(c[:5], c[5])
    for _, rest in pending:
        for r in rest:
            add(r, None)
    return out
