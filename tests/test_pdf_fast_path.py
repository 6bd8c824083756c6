"""The PDF reader's fast path (orchestration/extract/readers/pdf_tables.py, pdf_chars.py).

``pdf/`` draws its text in an embedded TrueType subset with a ToUnicode map, as
Word and WPS exports do; ``pdf_cid/`` draws the same reports in reportlab's
non-embedded CID font STSong-Light (UniGB-UCS2-H). On a machine without CJK
fonts PDFium draws STSong-Light's CJK with no glyph outline, so a text object
of one such glyph has a box without width, and PDFium's text page skips every
object whose box has no width: ``(N\\272) Tj`` (人) yields no character while
two glyphs do. reportlab writes one text object per line of a paragraph, so
the one-character lines of the matrix's vertical label 三、本年度办理结果, unit
cells such as 件 or 条 and the last character of a wrapped label go missing.
`pdf_chars` reads those objects' strings back from the content stream and
decodes them with the font's CMap (for UniGB-UCS2-H the code is UCS-2).

Every page of both folders, and of the real WPS-made report r25 (CID fonts with
ToUnicode maps, a prose page over white background rectangles where no ruled
table can be built), goes through the fast path: PDFium's ruling lines and
character boxes cut by pdfplumber's TableFinder, or, with no ruled table, lines
split at wide gaps by pdfplumber's word rule. Every row of it equals the row
pdfplumber proper reads.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

pytest.importorskip("reportlab")
pdfplumber = pytest.importorskip("pdfplumber")
import pypdfium2 as pdfium

from orchestration.extract.labels import clean, squash
from orchestration.extract.readers import pdf as reader
from orchestration.extract.readers import pdf_chars
from tests.fixtures.gov2021 import PROFILES
from tests.fixtures.render import fixture_path, render_all
from tests.fixtures.seeds import seed_stems

STEMS = seed_stems() + [p.stem for p in PROFILES]
FOLDERS = ("pdf", "pdf_cid")
VERTICAL_LABEL = "三、本年度办理结果"
REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"
R25 = next(
    (p for p in (REALDOCS / "docs" / "r25.pdf", REALDOCS / "raw" / "r25.pdf") if p.exists()),
    REALDOCS / "docs" / "r25.pdf",
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdfs")
    return out, render_all(out, formats=FOLDERS)


def _parts(manifest: dict, stem: str, folder: str) -> list[dict]:
    return manifest["reports"][stem]["files"][folder]["table_parts"]


def _table_pages(pages) -> list[int]:
    """Pages (1-based) the fast path read a table on."""
    return [i + 1 for i, p in enumerate(pages) if p is not None and any(ti > 0 for _, _, ti in p)]


def _r25() -> Path:
    if not R25.exists():
        pytest.skip(f"{R25} not present")
    return R25


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("stem", STEMS)
def test_fixture_pdfs_take_the_fast_path(rendered, folder, stem):
    out, manifest = rendered
    pages = reader._read_pages(fixture_path(out, folder, stem).read_bytes())
    assert len(pages) == manifest["reports"][stem]["files"][folder]["pages"]
    assert [i + 1 for i, p in enumerate(pages) if p is None] == [], "pdfplumber fallback"
    assert _table_pages(pages) == sorted({p["page"] for p in _parts(manifest, stem, folder)})


def _page_text(path: Path) -> list[tuple[str, str, str]]:
    """Per page: PDFium's text, the fast path's text (recovered characters in),
    and pdfplumber's; all squashed."""
    data = path.read_bytes()
    doc = pdfium.PdfDocument(data)
    streams = pdf_chars.ContentStreams(data)
    out = []
    with pdfplumber.open(path) as pdf:
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            chars = pdf_chars.PageChars(page, textpage, textpage.get_text_range(), streams, i)
            glyphs = chars.glyphs()
            assert glyphs is not None, (path.name, i + 1)
            out.append(
                (
                    squash(textpage.get_text_range()),
                    squash("".join(c.text for c in glyphs)),
                    squash(pdf.pages[i].extract_text()),
                )
            )
    doc.close()
    return out


@pytest.mark.parametrize("stem", STEMS)
def test_dropped_characters_are_read_back(rendered, stem):
    """PDFium's text page lacks characters pdfplumber reads; with those read back
    from the content stream the page holds exactly pdfplumber's characters."""
    out, manifest = rendered
    texts = _page_text(fixture_path(out, "pdf_cid", stem))
    lost_pages = []
    for n, (pdfium_text, ours, theirs) in enumerate(texts, start=1):
        assert Counter(ours) == Counter(theirs), (n, Counter(theirs) - Counter(ours))
        lost = Counter(theirs) - Counter(pdfium_text)
        if lost:
            lost_pages.append(n)
        matrix = next(
            (p["page"] for p in _parts(manifest, stem, "pdf_cid") if p["table"] == "section3"),
            None,
        )
        if n == matrix:
            # the vertical label, one character per line, is what PDFium drops
            assert set(lost) & set(VERTICAL_LABEL), (n, "".join(lost.elements()))
    assert lost_pages, "every cid fixture has single-glyph text objects"


def test_r25_text_is_whole():
    for n, (_, ours, theirs) in enumerate(_page_text(_r25()), start=1):
        assert Counter(ours) == Counter(theirs), (n, Counter(theirs) ^ Counter(ours))


def test_a_font_the_reader_cannot_decode_sends_its_pages_to_pdfplumber(rendered):
    """The same CID fixture with the CMap named for vertical writing (UniGB-UCS2-V,
    whose boxes `pdf_chars` does not place): a page with a dropped object is not
    read fast, the others still are."""
    out, _ = rendered
    data = fixture_path(out, "pdf_cid", STEMS[0]).read_bytes()
    assert data.count(b"/UniGB-UCS2-H") == 1
    changed = data.replace(b"/UniGB-UCS2-H", b"/UniGB-UCS2-V")
    doc = pdfium.PdfDocument(changed)
    dropping = []
    for i in range(len(doc)):
        page = doc[i]
        objects = pdf_chars.PageObjects(page)
        if pdf_chars.dropped(objects, page.get_textpage()):
            dropping.append(i + 1)
    doc.close()
    pages = reader._read_pages(changed)
    assert dropping
    assert [i + 1 for i, p in enumerate(pages) if p is None] == dropping


def test_r25_takes_the_fast_path():
    pages = reader._read_pages(_r25().read_bytes())
    assert [i + 1 for i, p in enumerate(pages) if p is None] == [], "pdfplumber fallback"
    assert _table_pages(pages) == [2, 3, 4]


def _rows(placed) -> list[tuple[int, tuple[str, ...]]]:
    return [(ti, r.cells) for _, r, ti in placed]


@pytest.fixture(scope="module")
def both_paths(rendered) -> dict[str, list[tuple[int, list, list]]]:
    """Per PDF and page that may hold a table (the fast path read a ruled table there,
    or lines of an unruled one): (page, fast rows, pdfplumber rows), each row (table
    number or -1, cells) as `pdf._placed_fast` / `pdf._placed_pdfplumber` give them;
    text rows around a ruled table are left out (the two order them differently)."""
    out, _ = rendered
    paths = {
        f"{folder}/{stem}": fixture_path(out, folder, stem) for folder in FOLDERS for stem in STEMS
    }
    if R25.exists():
        paths["r25"] = R25
    result = {}
    for name, path in paths.items():
        pages = reader._read_pages(path.read_bytes())
        rows = []
        with pdfplumber.open(path) as pdf:
            for n, placed in enumerate(pages, start=1):
                ruled = any(ti > 0 for _, _, ti in placed)
                # rows of a plain text page all sit at top 0; an unruled table's have tops
                unruled = not ruled and any(top > 0 for top, _, _ in placed)
                if not (ruled or unruled):
                    continue
                slow = reader._placed_pdfplumber(pdf.pages[n - 1], n)
                keep = (lambda ti: ti > 0) if ruled else (lambda ti: True)
                rows.append(
                    (
                        n,
                        [r for r in _rows(placed) if keep(r[0])],
                        [r for r in _rows(slow) if keep(r[0])],
                    )
                )
        result[name] = rows
    return result


def _differences(both_paths, norm, names=None) -> list[tuple]:
    out = []
    for name, pages in both_paths.items():
        if names is not None and name not in names:
            continue
        for n, fast, slow in pages:
            for k, (f, s) in enumerate(itertools.zip_longest(fast, slow), start=1):
                fn = f and (f[0], tuple(norm(c) for c in f[1]))
                sn = s and (s[0], tuple(norm(c) for c in s[1]))
                if fn != sn:
                    out.append((name, f"page {n} row {k}", "pdfplumber:", s, "fast:", f))
    return out


@pytest.mark.parametrize("folder", FOLDERS)
def test_fast_path_reads_the_table_cells_pdfplumber_reads(both_paths, folder):
    """Same tables, rows and cells on every table page, whitespace aside."""
    names = {n for n in both_paths if n.startswith(folder + "/")}
    assert sum(len(f) for n in names for _, f, _ in both_paths[n]) > 400
    assert _differences(both_paths, squash, names) == []


@pytest.mark.parametrize("folder", FOLDERS)
def test_fast_path_keeps_the_spaces_pdfplumber_keeps(both_paths, folder):
    """Same cells after the parsers' normalisation (labels.clean: NFKC, single spaces)."""
    names = {n for n in both_paths if n.startswith(folder + "/")}
    assert _differences(both_paths, clean, names) == []


def test_r25_rows_are_the_rows_pdfplumber_reads(both_paths):
    """r25's three table pages and its first page (22 white rectangles behind the
    prose lines: many paths, no ruled table) read as pdfplumber reads them,
    whitespace aside: pdfplumber puts a space inside a few wrapped CJK labels
    (情 形, 总 计) where the fast path joins the lines."""
    if "r25" not in both_paths:
        pytest.skip(f"{R25} not present")
    assert [n for n, _, _ in both_paths["r25"]] == [1, 2, 3, 4]
    assert sum(len(f) for _, f, _ in both_paths["r25"]) > 80
    assert _differences(both_paths, squash, {"r25"}) == []
