"""The PDF reader's fast path (orchestration/extract/readers/pdf_tables.py) on the fixture PDFs.

``pdf/`` draws its text in an embedded TrueType subset with a ToUnicode map, as
Word and WPS exports do: PDFium decodes every character, so every page goes
through the fast path (PDFium's ruling lines and character boxes cut by
pdfplumber's TableFinder), tables are read on exactly the pages that hold
them, and their cells are the ones pdfplumber proper reads.

``pdf_cid/`` draws the same reports in reportlab's non-embedded CID font
STSong-Light (UniGB-UCS2-H).  PDFium yields no character for a text object of
a single glyph in that font (``(N\\272) Tj`` for 人 decodes to nothing; two
glyphs decode), and reportlab writes one text object per line of a paragraph:
the one-character lines of the matrix's vertical label 三、本年度办理结果, a
unit cell such as 件 or 条, the last character of a wrapped label.  The reader
notices the missing text (`pdf_tables._text_is_complete`) and reads such pages
with pdfplumber, which decodes them.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

pytestmark = pytest.mark.e2e

pytest.importorskip("reportlab")
pdfplumber = pytest.importorskip("pdfplumber")
import pypdfium2 as pdfium

from orchestration.extract.labels import clean, squash
from orchestration.extract.readers import pdf as reader
from orchestration.extract.readers import pdf_tables
from tests.fixtures.gov2021 import PROFILES
from tests.fixtures.render import fixture_path, render_all
from tests.fixtures.seeds import seed_stems

STEMS = seed_stems() + [p.stem for p in PROFILES]
VERTICAL_LABEL = "三、本年度办理结果"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdfs")
    return out, render_all(out, formats=("pdf", "pdf_cid"))


def _parts(manifest: dict, stem: str, folder: str) -> list[dict]:
    return manifest["reports"][stem]["files"][folder]["table_parts"]


def _table_pages(pages) -> list[int]:
    """Pages (1-based) the fast path read a table on."""
    return [i + 1 for i, p in enumerate(pages) if p is not None and any(ti > 0 for _, _, ti in p)]


@pytest.mark.parametrize("stem", STEMS)
def test_embedded_font_pdfs_take_the_fast_path(rendered, stem):
    out, manifest = rendered
    pages = reader._read_pages(fixture_path(out, "pdf", stem).read_bytes())
    assert len(pages) == manifest["reports"][stem]["files"]["pdf"]["pages"]
    assert [i + 1 for i, p in enumerate(pages) if p is None] == [], "pdfplumber fallback"
    assert _table_pages(pages) == sorted({p["page"] for p in _parts(manifest, stem, "pdf")})


@pytest.mark.parametrize("stem", STEMS)
def test_cid_font_pdfs_fall_back_on_the_matrix_page(rendered, stem):
    out, manifest = rendered
    path = fixture_path(out, "pdf_cid", stem)
    pages = reader._read_pages(path.read_bytes())
    fallback = [i + 1 for i, p in enumerate(pages) if p is None]
    parts = _parts(manifest, stem, "pdf_cid")
    assert fallback, "every cid fixture has single-glyph text objects on a table page"
    assert set(fallback) <= {p["page"] for p in parts}, "only table pages fall back"
    # the page where the section-三 matrix starts, with its vertical label
    matrix = next((p["page"] for p in parts if p["table"] == "section3"), None)
    assert matrix is None or matrix in fallback

    # Why: PDFium's text of a fallback page lacks characters pdfplumber reads.
    doc = pdfium.PdfDocument(path.read_bytes())
    with pdfplumber.open(path) as pdf:
        for n in fallback:
            page = doc[n - 1]
            textpage = page.get_textpage()
            assert not pdf_tables._text_is_complete(page, textpage)
            lost = Counter(squash(pdf.pages[n - 1].extract_text())) - Counter(
                squash(textpage.get_text_range())
            )
            assert lost, (n, "PDFium reads all that pdfplumber reads")
            if n == matrix:
                # the vertical label, one character per line, is what goes missing
                assert set(lost) & set(VERTICAL_LABEL), (n, "".join(lost.elements()))
    doc.close()


@pytest.fixture(scope="module")
def both_paths(rendered) -> dict[str, list[tuple[int, list, list]]]:
    """Per embedded-font fixture and table page: (page, fast rows, pdfplumber rows), each
    row (table number, cells) as `pdf._placed_fast` / `pdf._placed_pdfplumber` give them."""
    out, _ = rendered
    result = {}
    for stem in STEMS:
        path = fixture_path(out, "pdf", stem)
        pages = reader._read_pages(path.read_bytes())
        rows = []
        with pdfplumber.open(path) as pdf:
            for n in _table_pages(pages):
                fast = [(ti, r.cells) for _, r, ti in pages[n - 1] if ti > 0]
                slow = [
                    (ti, r.cells)
                    for _, r, ti in reader._placed_pdfplumber(pdf.pages[n - 1], n)
                    if ti > 0
                ]
                rows.append((n, fast, slow))
        result[stem] = rows
    return result


def _differences(both_paths, norm) -> list[tuple]:
    out = []
    for stem, pages in both_paths.items():
        for n, fast, slow in pages:
            for k, (f, s) in enumerate(itertools.zip_longest(fast, slow), start=1):
                fn = f and (f[0], tuple(norm(c) for c in f[1]))
                sn = s and (s[0], tuple(norm(c) for c in s[1]))
                if fn != sn:
                    out.append((stem, f"page {n} row {k}", "pdfplumber:", s, "fast:", f))
    return out


def test_fast_path_reads_the_table_cells_pdfplumber_reads(both_paths):
    """Same tables, rows and cells on every table page, whitespace aside."""
    assert sum(len(f) for pages in both_paths.values() for _, f, _ in pages) > 400
    assert _differences(both_paths, squash) == []


def test_fast_path_keeps_the_spaces_pdfplumber_keeps(both_paths):
    """Same cells after the parsers' normalisation (labels.clean: NFKC, single spaces)."""
    assert _differences(both_paths, clean) == []
