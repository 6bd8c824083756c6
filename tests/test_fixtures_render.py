"""Self-check of the fixture generator (tests/fixtures/render.py).

Renders every fixture once into a temporary directory and checks what the
readers will rely on: the PDF text layer (embedded-font and CID-font PDFs), the
page break inside the section-三 matrix, real merged cells in the DOCX, the GBK
page, the gold CSVs and the consistency of the synthetic values.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

pytest.importorskip("reportlab", reason="the fixture PDFs need reportlab (the [dev] extra)")
docx = pytest.importorskip("docx")
pdfplumber = pytest.importorskip("pdfplumber")

from tests.fixtures import layouts
from tests.fixtures.gov2021 import PROFILES, build_gov2021_reports
from tests.fixtures.model import APPLICANT_TYPES, Para
from tests.fixtures.render import fixture_path, render_all, render_report
from tests.fixtures.render_text import text_of
from tests.fixtures.seeds import build_seed, seed_stems

SEED_2019 = "001_5ef633064578115e"
SEED_2008 = "000_0fd2e533e51a0851"
REPO = Path(__file__).resolve().parents[1]
PDF_FOLDERS = ("pdf", "pdf_cid")  # embedded TrueType subset, non-embedded STSong-Light


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _pages_text(path: Path, limit: int | None = None) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [p.extract_text() or "" for p in pdf.pages[:limit]]


def _without_footers(pages: list[str]) -> str:
    keep = [
        line
        for text in pages
        for line in text.split("\n")
        if not re.fullmatch(r"- \d+ -", line.strip())
    ]
    return _norm("".join(keep))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("fixtures")
    return out, render_all(out)


@pytest.mark.e2e
def test_layout_of_outdir(rendered):
    out, manifest = rendered
    stems = seed_stems() + [p.stem for p in PROFILES]
    assert sorted(manifest["reports"]) == sorted(stems)
    for stem in stems:
        for fmt in ("pdf", "pdf_cid", "docx", "html", "html_gbk", "text"):
            assert fixture_path(out, fmt, stem).stat().st_size > 1000, (fmt, stem)
    assert (out / "gold_values.csv").exists() and (out / "gold_reports.csv").exists()


@pytest.mark.e2e
@pytest.mark.parametrize("folder", PDF_FOLDERS)
def test_seed_2019_matrix_breaks_across_pages(rendered, folder):
    out, manifest = rendered
    parts = [
        p
        for p in manifest["reports"][SEED_2019]["files"][folder]["table_parts"]
        if p["table"] == "section3"
    ]
    assert len(parts) == 2 and parts[1]["page"] == parts[0]["page"] + 1

    pages = _pages_text(fixture_path(out, folder, SEED_2019))
    first = next(i for i, t in enumerate(pages) if "一、本年新收政府信息公开申请数量" in t)
    last = next(i for i, t in enumerate(pages) if "四、结转下年度继续办理" in t)
    assert last == first + 1, "the matrix continues on the next page"
    assert "申请人情况" not in pages[last], "the header is not repeated"
    assert f"- {last + 1} -" in pages[last]  # footer page number
    text = "".join(pages)
    assert "予以公开" in text and "21207.84" in text
    assert "隆德县 2020 年政府信息公开工作年度报告" in pages[0]


@pytest.mark.e2e
@pytest.mark.parametrize("folder", PDF_FOLDERS)
def test_pdf_vertical_label_one_character_per_line(rendered, folder):
    out, _ = rendered
    pages = _pages_text(fixture_path(out, folder, SEED_2019))
    lines = [line.strip() for t in pages for line in t.split("\n")]
    # the characters of 三、本年度办理结果 start the lines of the label column
    starts = "".join(line[0] for line in lines if line)
    assert "本年度办理结果" not in "".join(lines)  # never on one line
    assert all(ch in starts for ch in "本年度办理结果")


@pytest.mark.e2e
@pytest.mark.parametrize("folder", PDF_FOLDERS)
def test_pdf_prose_and_identity_extract(rendered, folder):
    out, _ = rendered
    for report in [build_seed(SEED_2019)] + build_gov2021_reports():
        text = _without_footers(_pages_text(fixture_path(out, folder, report.stem)))
        missing = [
            b.text[:30] for b in report.blocks if isinstance(b, Para) and _norm(b.text) not in text
        ]
        assert not missing, (report.stem, missing)
    for stem in seed_stems():
        report = build_seed(stem)
        first_page = _pages_text(fixture_path(out, folder, stem), limit=1)[0]
        assert _norm(report.title) in _norm(first_page)
        opening = next(b for b in report.blocks if isinstance(b, Para))
        assert _norm(opening.text)[:60] in _norm(first_page)


@pytest.mark.e2e
@pytest.mark.parametrize("folder", PDF_FOLDERS)
def test_gov2008_table_spans_pages(rendered, folder):
    _, manifest = rendered
    for stem in seed_stems():
        if stem == SEED_2019:
            continue
        pages = {p["page"] for p in manifest["reports"][stem]["files"][folder]["table_parts"]}
        assert len(pages) >= 2, stem
    assert manifest["reports"][SEED_2008]["files"][folder]["pages"] >= 12


@pytest.mark.e2e
@pytest.mark.parametrize("folder", PDF_FOLDERS)
def test_pdf_ruled_tables_carry_gold(rendered, folder):
    out, _ = rendered
    report = build_gov2021_reports()[0]
    gold = {(v.code, v.applicant_type): v.value for v in report.values}
    with pdfplumber.open(fixture_path(out, folder, report.stem)) as pdf:
        rows = [row for page in pdf.pages for t in page.extract_tables() for row in t]
    new = next(r for r in rows if r[0] and r[0].startswith("一、本年新收"))
    assert [c for c in new[1:] if c] == [gold[("a_new", a)] for a in APPLICANT_TYPES]
    fee = next(r for r in rows if r[0] == "行政事业性收费")
    assert fee[1] == gold[("p_fee_amount", "total")] and "." in fee[1]


@pytest.mark.e2e
def test_pdf_fonts(rendered):
    """pdf/ embeds its font (TrueType subsets with a ToUnicode map); pdf_cid/ names
    STSong-Light without embedding it."""
    out, _ = rendered
    for stem in seed_stems() + [p.stem for p in PROFILES]:
        embedded = fixture_path(out, "pdf", stem).read_bytes()
        cid = fixture_path(out, "pdf_cid", stem).read_bytes()
        assert b"/FontFile2" in embedded and b"/ToUnicode" in embedded, stem
        assert b"STSong-Light" not in embedded, stem
        assert b"/STSong-Light" in cid and b"/FontFile" not in cid, stem


@pytest.mark.unit
def test_embedded_font_covers_the_fixtures_and_the_benchmark():
    """fonts/fixture-cjk.ttf has a glyph for every character a fixture report prints and
    for every division name the benchmark corpus can draw (else regenerate it with
    tests/fixtures/fonts/make_font.py)."""
    from reportlab.pdfbase import pdfmetrics

    from orchestration.extract.regions import divisions
    from tests.fixtures.render_pdf import FONTS, _register_font

    _register_font("embedded")
    glyphs = pdfmetrics.getFont(FONTS["embedded"]).face.charToGlyph
    reports = [build_seed(stem) for stem in seed_stems()] + build_gov2021_reports()
    text = "".join(text_of(r) for r in reports) + "".join(divisions()["region_name"].to_list())
    missing = sorted({c for c in text if c.isprintable() and ord(c) not in glyphs})
    assert missing == []


@pytest.mark.e2e
def test_docx_has_merged_tables(rendered):
    out, _ = rendered
    d = docx.Document(str(fixture_path(out, "docx", SEED_2019)))
    assert [(len(t.rows), len(t.columns)) for t in d.tables] == [(18, 4), (26, 10), (4, 15)]
    matrix = d.tables[1]
    col0 = [row.cells[0].text for row in matrix.rows]
    assert col0.count("三、本年度办理结果") == 20  # one vertically merged cell over 20 rows
    xml = matrix._tbl.xml
    assert 'w:vMerge w:val="restart"' in xml and "w:gridSpan" in xml
    assert matrix.rows[0].cells[3].text == "申请人情况" == matrix.rows[0].cells[9].text
    assert d.paragraphs[0].text == "隆德县 2020 年政府信息公开工作年度报告"
    d08 = docx.Document(str(fixture_path(out, "docx", SEED_2008)))
    assert len(d08.tables) == 1 and len(d08.tables[0].rows) == 66


@pytest.mark.e2e
def test_html_pages(rendered):
    out, _ = rendered
    stem = "004_81756f01c13aa782"  # has blank cells
    raw = fixture_path(out, "html_gbk", stem).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    page = raw.decode("gbk")
    assert "charset=gb2312" in page and "贺兰山西路街道" in page and "&nbsp;</td>" in page
    utf8 = fixture_path(out, "html", SEED_2019).read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in utf8
    assert 'rowspan="20"' in utf8 and 'colspan="7"' in utf8 and "21207.84 万元" in utf8


@pytest.mark.e2e
def test_text_is_tab_separated(rendered):
    out, _ = rendered
    text = fixture_path(out, "text", SEED_2019).read_text(encoding="utf-8")
    assert "\n行政许可\t387\t-302\t5862\n" in text
    assert "\n第二十条第（八）项\t\t\t\n" in text


@pytest.mark.e2e
def test_gold_csvs(rendered):
    out, _ = rendered
    with open(out / "gold_values.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(REPO / "tests" / "gold" / "seed_values.csv", encoding="utf-8", newline="") as f:
        assert list(csv.DictReader(f).fieldnames) == list(rows[0])
    assert {r["report"] for r in rows} == {p.stem for p in PROFILES}
    assert len(rows) == 3 * (10 + 25 * 7 + 15)
    assert any(r["value"] == "" for r in rows)
    with open(out / "gold_reports.csv", encoding="utf-8", newline="") as f:
        ids = {r["report"]: r for r in csv.DictReader(f)}
    assert ids["syn_2022_640324_tongxin_tjj"]["organization"] == "同心县统计局"
    assert ids["syn_2023_640122_ligang"]["region_level"] == "township"


@pytest.mark.unit
@pytest.mark.parametrize("report", build_gov2021_reports(), ids=lambda r: r.stem)
def test_synthetic_values_are_consistent(report):
    v = {(g.code, g.applicant_type): float(g.value or 0) for g in report.values}
    outcomes = layouts.section3_codes("gov2021")[2:-2]
    for a in APPLICANT_TYPES:
        assert (
            v[("a_new", a)] + v[("a_carried_in", a)]
            == v[("a_processed", a)] + v[("a_carried_out", a)]
        )
        assert v[("a_processed", a)] == sum(v[(c, a)] for c in outcomes)
    for code in layouts.section3_codes("gov2021"):
        assert v[(code, "total")] == sum(v[(code, a)] for a in APPLICANT_TYPES[:-1])
    for prefix in ("review", "lit_direct", "lit_after_review"):
        parts = sum(
            v[(f"{prefix}_{s}", "total")] for s in ("upheld", "corrected", "other", "pending")
        )
        assert v[(f"{prefix}_total", "total")] == parts


@pytest.mark.unit
def test_seed_identity_matches_raw():
    raw_dir = REPO / "raw"
    if not raw_dir.is_dir():
        pytest.skip("raw/ seeds not present")
    for stem in seed_stems():
        raw = _norm((raw_dir / f"{stem}.txt").read_text(encoding="utf-8"))
        report = build_seed(stem)
        opening = next(b for b in report.blocks if isinstance(b, Para))
        assert _norm(report.title) in raw and _norm(opening.text) in raw, stem


@pytest.mark.e2e
def test_rendering_is_reproducible(tmp_path):
    report = build_seed(SEED_2019)
    formats = ("pdf", "pdf_cid", "docx")
    for d in ("a", "b"):
        for fmt in formats:
            (tmp_path / d / fmt).mkdir(parents=True)
        render_report(report, tmp_path / d, formats)
    for fmt in formats:
        a = fixture_path(tmp_path / "a", fmt, report.stem).read_bytes()
        b = fixture_path(tmp_path / "b", fmt, report.stem).read_bytes()
        assert a == b, fmt


@pytest.mark.unit
@pytest.mark.parametrize("font", ["embedded", "cid"])
def test_pdf_forced_break_when_matrix_fits(tmp_path, font):
    """A matrix that fits on its page is still broken at split_at_row."""
    import dataclasses

    from tests.fixtures.render_pdf import render_pdf

    report = build_seed(SEED_2019)
    matrix = next(t for t in report.tables() if t.name == "section3")
    layout = render_pdf(dataclasses.replace(report, blocks=[matrix]), tmp_path / "m.pdf", font=font)
    assert layout.table_parts == [
        ("section3", 0, matrix.split_at_row - 1, 1),
        ("section3", matrix.split_at_row, len(matrix.rows) - 1, 2),
    ]
    pages = _pages_text(tmp_path / "m.pdf")
    assert pages[1].lstrip().startswith("1.本机关不掌握相关政府信")
