"""The content-stream reading of orchestration/extract/readers/pdf_chars.py: the strings
each text-showing operator shows, with their fonts, and the ToUnicode maps that decode them."""

import pytest

from orchestration.extract.readers import pdf_chars

pytestmark = pytest.mark.unit


def test_each_showing_operator_gives_its_font_and_bytes():
    content = rb"""BT /F1 12 Tf 1 0 0 1 10 20 Tm (ab) Tj T* (c\(d\)) ' 1 2 (e) "
    /F2#2B0 10.5 Tf [(N) -250 <4EBA> ( )] TJ [-100] TJ () Tj ET"""
    assert pdf_chars.shown_strings(content) == [
        (b"F1", b"ab"),
        (b"F1", b"c(d)"),
        (b"F1", b"e"),
        (b"F2+0", b"N\x4e\xba "),
    ]  # an array or string showing nothing makes no text object in PDFium


def test_escapes_and_nesting():
    content = b"(\\101\\12x\\\\\\nq\\\ny) Tj (a (b) c) Tj <4E 8> Tj"
    assert [s for _, s in pdf_chars.shown_strings(content)] == [
        b"A\nx\\\nqy",
        b"a (b) c",
        b"\x4e\x80",
    ]


def test_operators_inside_strings_are_text():
    content = b"/F1 9 Tf (/F9 1 Tf (x) Tj) Tj << /Alt (BI Tj) >> BDC (y) Tj EMC"
    assert pdf_chars.shown_strings(content) == [(b"F1", b"/F9 1 Tf (x) Tj"), (b"F1", b"y")]


def test_an_inline_image_is_not_stepped_over():
    assert pdf_chars.shown_strings(b"(a) Tj BI /W 1 /H 1 ID \x00(\xff EI (b) Tj") is None


def test_to_unicode_maps():
    cmap = pdf_chars._ToUnicode(
        b"""1 begincodespacerange <0000> <FFFF> endcodespacerange
        2 beginbfchar <0003> <0020> <0010> <4EBA> endbfchar
        2 beginbfrange <0020> <0022> <4E00> <0030> <0031> [<6761> <D840DC00>] endbfrange""",
        2,
    )
    assert cmap.decode(b"\x00\x10\x00\x03\x00\x21\x00\x22\x00\x31") == "人 丁丂\U00020000"
    assert cmap.decode(b"\x00\x30") == "条"
    assert cmap.decode(b"\x00\x99") is None  # a code without text: not decodable
    assert cmap.decode(b"\x00") is None  # half a code


def test_fonts_this_module_decodes():
    from pdfminer.psparser import LIT

    ucs2 = {"Subtype": LIT("Type0"), "Encoding": LIT("UniGB-UCS2-H")}
    assert pdf_chars._decoder(ucs2)(b"\x4e\xba") == "人"
    assert pdf_chars._decoder({"Subtype": LIT("Type0"), "Encoding": LIT("UniGB-UCS2-V")}) is None
    assert pdf_chars._decoder({"Subtype": LIT("Type0"), "Encoding": LIT("Identity-H")}) is None
    assert pdf_chars._decoder({"Subtype": LIT("Type1"), "Encoding": LIT("WinAnsiEncoding")}) is None


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (numbered from 1, the catalog first), with its xref table."""
    out, offsets = b"%PDF-1.4\n", []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)


def test_pages_are_found_down_the_page_tree_with_inherited_resources():
    """Pages under nested /Pages nodes, /Count jumping over a subtree; a page's
    resources are the nearest node's above it."""
    font = b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 3 /Resources << /Font << /F1 9 0 R >> >> >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [5 0 R 6 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /Contents 10 0 R /Resources << /Font << /F2 9 0 R >> >> >>",
        b"<< /Type /Page /Parent 3 0 R /Contents 7 0 R >>",
        b"<< /Type /Page /Parent 3 0 R /Contents 8 0 R >>",
        _stream(b"BT /F1 12 Tf <4EBA> Tj ET"),
        _stream(b"BT /F1 12 Tf <6761> Tj ET"),
        font,
        _stream(b"BT /F2 12 Tf <4EF6> Tj ET"),
    ]
    streams = pdf_chars.ContentStreams(_pdf(objects))
    shown = [streams.page_strings(i) for i in range(4)]
    assert [[d(s) for s, d in page] for page in shown[:3]] == [["人"], ["条"], ["件"]]
    assert shown[3] is None
