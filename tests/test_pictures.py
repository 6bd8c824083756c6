"""The pictures of the warehouse (orchestration/pictures/): the HTML page
and the PNG, on a small warehouse made here with the marts' columns, on the
warehouse built from raw/, and (e2e) the page as headless Chromium shows it."""

from __future__ import annotations

import base64
import io
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from orchestration.pictures import metadata, png_markdown, series, write_report_page
from orchestration.pictures.cli import main
from orchestration.settings import connect

BUILT_AT = datetime(2025, 3, 1, 8, 30, tzinfo=timezone.utc)
CHROMIUM = Path("/usr/bin/chromium")
SCRIPT_TITLE = '<script>alert("title")</script>固原市2020年报告'
ODD_REGION = 'A&B <b>区</b>"$x_1$'

# concept -> the templates that have it (seeds/concepts.csv for the charted ones)
CONCEPT_TEMPLATES = {
    "requests_received": ("gov2008", "gov2019", "gov2021"),
    "items_proactively_disclosed": ("gov2008",),
    "normative_documents_issued": ("gov2008", "gov2019", "gov2021"),
    "reconsiderations": ("gov2008", "gov2019", "gov2021"),
    "lawsuits": ("gov2008", "gov2019", "gov2021"),
}
COLUMNS = tuple(CONCEPT_TEMPLATES)

# (region_id, name, level, parent, province, year, template, report_id, values in COLUMNS order)
SUMMARY = [
    (
        "640000",
        "宁夏回族自治区",
        "province",
        None,
        "宁夏回族自治区",
        2017,
        "gov2008",
        "r01",
        (120, 52340, 12, 3, 1),
    ),
    (
        "640000",
        "宁夏回族自治区",
        "province",
        None,
        "宁夏回族自治区",
        2018,
        "gov2008",
        "r02",
        (135, 61002, 15, 5, 0),
    ),
    (
        "640000",
        "宁夏回族自治区",
        "province",
        None,
        "宁夏回族自治区",
        2019,
        "gov2019",
        "r03",
        (98, None, None, 2, 2),
    ),
    (
        "640000",
        "宁夏回族自治区",
        "province",
        None,
        "宁夏回族自治区",
        2020,
        "gov2019",
        "r04",
        (143, None, 9, 4, 1),
    ),
    (
        "640000",
        "宁夏回族自治区",
        "province",
        None,
        "宁夏回族自治区",
        2021,
        "gov2021",
        "r05",
        (1607, None, 11, 6, 3),
    ),
    (
        "640000",
        "宁夏回族自治区",
        "province",
        None,
        "宁夏回族自治区",
        2022,
        "gov2021",
        "r06",
        (171, None, 14, 1, 2),
    ),
    (
        "640122",
        "贺兰县",
        "county",
        "银川市",
        "宁夏回族自治区",
        2018,
        "gov2008",
        "r07",
        (19, 17330, 4, 0, 2),
    ),
    (
        "640122",
        "贺兰县",
        "county",
        "银川市",
        "宁夏回族自治区",
        2020,
        "gov2019",
        "r08",
        (23, None, 3, 1, 0),
    ),
    (
        "640122",
        "贺兰县",
        "county",
        "银川市",
        "宁夏回族自治区",
        2021,
        "gov2021",
        "r09",
        (31, None, 2, 0, 1),
    ),
    (
        "640122:金贵镇",
        "金贵镇",
        "township",
        "贺兰县",
        "宁夏回族自治区",
        2018,
        "gov2008",
        "r10",
        (0, 412, 0, 0, 0),
    ),
    (
        "640400",
        ODD_REGION,
        "prefecture",
        "宁夏回族自治区",
        "宁夏回族自治区",
        2020,
        "gov2019",
        "r11",
        (41, None, 96, 0, 0),
    ),
]
# (report_id, organization, title, level, year, template, region_id)
REPORTS = [
    (r[7], f"{r[1]}人民政府", f"{r[1]}{r[5]}年政府信息公开工作年度报告", r[2], r[5], r[6], r[0])
    for r in SUMMARY
]
REPORTS[10] = ("r11", "固原市人民政府", SCRIPT_TITLE, "prefecture", 2020, "gov2019", "640400")
REPORTS += [
    ("r12", "贺兰县统计局", "贺兰县统计局2021年报告", "county", 2021, "gov2021", "640122"),
    ("r13", None, None, None, None, "gov2021", None),
]
# (rule, report_id, indicator_code, expected, actual)
FINDINGS = [
    ("sum_of", "r05", "a_received", 160.0, 1607.0),
    ("sum_of", "r05", "review_total", 5.0, 6.0),
    ("carry_over", "r05", "a_carried_in", 3.0, 4.0),
    ("sum_of", "r11", "a_received", 40.0, 41.0),
    ("narrative_vs_table", "r11", "p_total", 1503.0, 2026.0),
    ("narrative_vs_table", "r07", "p_total", 17000.0, 17330.0),
]


def make_warehouse(path: Path) -> Path:
    """A warehouse with the columns of the marts the page reads."""
    columns = ", ".join(f"{c} double" for c in COLUMNS)
    with connect(path) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_report (report_id varchar, source_path varchar, "
            "organization varchar, title varchar, region_level varchar, report_year integer, "
            "template varchar, region_id varchar)"
        )
        con.execute(
            "create table marts.dim_region (region_id varchar, region_name varchar, "
            "region_level varchar)"
        )
        con.execute(
            "create table marts.region_year_summary (region_id varchar, region_name varchar, "
            "region_level varchar, region_code varchar, parent_region_name varchar, "
            "province_name varchar, report_year integer, template varchar, report_id varchar, "
            f"{columns}, requests_handled double)"
        )
        con.execute(
            "create table marts.region_year_indicator (region_id varchar, report_year integer, "
            "concept varchar, value double, template varchar, comparability varchar)"
        )
        con.execute(
            "create table marts.consistency_finding (finding_id varchar, report_id varchar, "
            "rule varchar, indicator_code varchar, applicant_type varchar, cells varchar, "
            "expected double, actual double, difference double)"
        )
        for rid, org, title, level, year, template, region in REPORTS:
            con.execute(
                "insert into marts.dim_report values (?, ?, ?, ?, ?, ?, ?, ?)",
                [rid, f"raw/{rid}.txt", org, title, level, year, template, region],
            )
        regions = {(r[0], r[1], r[2]) for r in SUMMARY}
        con.executemany("insert into marts.dim_region values (?, ?, ?)", sorted(regions))
        for region, name, level, parent, province, year, template, rid, values in SUMMARY:
            con.execute(
                "insert into marts.region_year_summary values "
                f"(?, ?, ?, null, ?, ?, ?, ?, ?, {', '.join('?' * len(COLUMNS))}, null)",
                [region, name, level, parent, province, year, template, rid, *values],
            )
            for concept, value in zip(COLUMNS, values):
                if template in CONCEPT_TEMPLATES[concept]:
                    con.execute(
                        "insert into marts.region_year_indicator values (?, ?, ?, ?, ?, ?)",
                        [region, year, concept, value, template, "high"],
                    )
        for i, (rule, rid, code, expected, actual) in enumerate(FINDINGS):
            con.execute(
                "insert into marts.consistency_finding values (?, ?, ?, ?, 'total', ?, ?, ?, ?)",
                [
                    f"f{i}",
                    rid,
                    rule,
                    code,
                    f"{code} ({actual}) = …",
                    expected,
                    actual,
                    actual - expected,
                ],
            )
    return path


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = tmp_path_factory.mktemp("pictures")
    warehouse = make_warehouse(root / "disclosure.duckdb")
    return write_report_page(warehouse, root / "out", built_at=BUILT_AT)


@pytest.fixture(scope="module")
def text(page):
    return page.html.read_text(encoding="utf-8")


def _svg(text: str, klass: str) -> list[str]:
    return re.findall(rf'<svg class="?{klass}"?\b.*?</svg>', text, flags=re.S)


@pytest.mark.unit
def test_page_written_with_counts(page):
    assert page.html.name == "disclosure.html" and page.png.name == "disclosure.png"
    assert page.reports == len(REPORTS)
    assert page.regions == 4
    assert page.years == 6  # 2017..2022
    assert page.regions_charted == 4
    values = sum(v is not None for row in SUMMARY for v in row[8])
    assert page.series_points == values
    assert page.findings == len(FINDINGS)
    assert page.finding_reports == 3
    assert page.font_embedded


@pytest.mark.unit
def test_header(text):
    assert "2025-03-01 08:30:00 UTC" in text
    header = text[: text.index("<h2>")]
    for number, label in ((len(REPORTS), "报告"), (4, "地区"), (6, "年度"), (6, "一致性问题")):
        assert re.search(rf"<b>{number}</b><span>{label}", header), (number, label)
    assert "2017–2022" in header


@pytest.mark.unit
def test_series_small_multiples(text):
    series = _svg(text, "series")
    assert len(series) == 4 * len(COLUMNS)  # one per region and indicator
    ningxia = [s for s in series if 'data-region="640000"' in s]
    received = next(s for s in ningxia if 'data-series="requests_received"' in s)
    for year, value in ((2017, "120"), (2018, "135"), (2021, "1,607"), (2022, "171")):
        assert f'data-year="{year}" data-value="{value}"' in received
    # Two template changes (gov2008 -> gov2019 -> gov2021), each drawn as a break.
    assert received.count("class=tchange") == 2
    assert "gov2008 → gov2019" in received and "gov2019 → gov2021" in received
    # A line joins years of one template only.
    assert received.count("class=seg") == 3  # 2017-18, 2019-20, 2021-22
    # Items proactively disclosed: values in 2017/2018, not in the later templates.
    items = next(s for s in ningxia if 'data-series="items_proactively_disclosed"' in s)
    assert 'data-value="52,340"' in items and "5.23万" in items
    assert items.count("class=absent") == 4
    # A blank cell (2019 normative documents) is drawn as blank, not as zero.
    docs = next(s for s in ningxia if 'data-series="normative_documents_issued"' in s)
    assert docs.count("class=blank") == 1 and "空白（未知，不是零）" in docs
    # The county's series: a gap year drawn dotted, names and parents shown.
    assert "贺兰县" in text and "银川市" in text and "金贵镇" in text
    assert "gov2008 → gov2019 → gov2021" in text


@pytest.mark.unit
def test_findings_per_rule_and_report(text):
    (per_rule,) = _svg(text, "findings-rule")
    assert 'data-key="sum_of" data-segment="sum_of" data-count="3"' in per_rule
    assert 'data-key="narrative_vs_table" data-segment="narrative_vs_table" data-count="2"' in (
        per_rule
    )
    assert 'data-key="carry_over" data-segment="carry_over" data-count="1"' in per_rule
    # Every rule is listed, those that hold with 0.
    assert "matrix_balance" in per_rule
    (per_report,) = _svg(text, "findings-report")
    assert 'data-key="r05" data-segment="sum_of" data-count="2"' in per_report
    assert 'data-key="r05" data-segment="carry_over" data-count="1"' in per_report
    assert "宁夏回族自治区人民政府 2021" in per_report
    # Ranked: the report with three findings first.
    assert per_report.index('data-key="r05"') < per_report.index('data-key="r07"')
    assert "1,607" in text  # the detail table's actual


@pytest.mark.unit
def test_coverage(text):
    (coverage,) = _svg(text, "coverage")
    assert 'data-year="2018" data-level="county" data-template="gov2008" data-count="1"' in (
        coverage
    )
    assert 'data-year="2021" data-level="county" data-template="gov2021" data-count="2"' in (
        coverage
    )
    assert 'data-year="2018" data-level="province" data-template="gov2008" data-count="1"' in (
        coverage
    )
    # The report without year or level has its row and column.
    assert "未知年度" in coverage and "未知层级" in coverage
    assert f">{len(REPORTS)}</text></svg>" in coverage  # the grand total


@pytest.mark.unit
def test_text_from_the_data_is_escaped(text):
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in text
    assert "<b>区</b>" not in text and "A&amp;B &lt;b&gt;区&lt;/b&gt;&quot;$x_1$" in text


@pytest.mark.unit
def test_offline(text):
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"""(src|href)\s*=|@import|url\((?!data:)""", text)
    assert "default-src 'none'" in text  # the page may load nothing


@pytest.mark.unit
def test_font_embedded_is_a_subset_with_the_page_characters(text):
    from fontTools.ttLib import TTFont

    (data,) = re.findall(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", text)
    raw = base64.b64decode(data)
    assert len(raw) < 400_000
    font = TTFont(io.BytesIO(raw))
    cmap = font.getBestCmap()
    for ch in "政府信息公开宁夏回族自治区贺兰县金贵镇模板变更一致性问题":
        assert ord(ch) in cmap, ch
    assert len(cmap) < 2000  # cut down, not the whole font
    names = " ".join(str(n) for n in font["name"].names)
    assert "Open Font License" in names


@pytest.mark.unit
def test_png_small_and_shown_as_markdown(page):
    from PIL import Image

    data = page.png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) <= 200_000 and page.png_bytes == len(data)
    with Image.open(page.png) as im:
        assert im.width >= 800 and len(set(im.convert("RGB").getdata())) > 50
    md = png_markdown(page)
    assert md.startswith("![chart](data:image/png;base64,") and md.endswith(")")
    assert base64.b64decode(md[len("![chart](data:image/png;base64,") : -1]) == data


@pytest.mark.unit
def test_metadata_for_the_asset(page):
    import dagster as dg

    meta = metadata(page)
    assert meta["report_page"] == dg.MetadataValue.path(str(page.html))
    assert meta["report_chart"].value.startswith("![chart](data:image/png;base64,")
    assert meta["report_page/findings"] == len(FINDINGS)


# e2e: the whole page and its PNG written again (about a second).
@pytest.mark.e2e
def test_empty_warehouse(tmp_path):
    warehouse = tmp_path / "disclosure.duckdb"
    with connect(warehouse) as con:
        con.execute("create schema marts")
    make = make_warehouse(tmp_path / "full.duckdb")
    with connect(warehouse) as con:
        con.execute(f"attach '{make}' as src (read_only)")
        for table in (
            "dim_report",
            "dim_region",
            "region_year_summary",
            "region_year_indicator",
            "consistency_finding",
        ):
            con.execute(f"create table marts.{table} as select * from src.marts.{table} limit 0")
    page = write_report_page(warehouse, tmp_path / "out", built_at=BUILT_AT)
    assert (page.reports, page.regions_charted, page.series_points, page.findings) == (0, 0, 0, 0)
    text = page.html.read_text(encoding="utf-8")
    assert "region_year_summary 无数据" in text and "没有报告违反一致性规则" in text
    assert page.png.stat().st_size > 0


# e2e: the whole page and its PNG written again (about a second).
@pytest.mark.e2e
def test_many_regions_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(series, "MAX_REGIONS", 2)
    page = write_report_page(make_warehouse(tmp_path / "disclosure.duckdb"), tmp_path)
    assert page.regions_charted == 2
    text = page.html.read_text(encoding="utf-8")
    assert "共 4 个地区，此处画出序列最长的 2 个" in text
    # The longest series are kept: the province (6 years) and the county (3).
    assert 'data-region="640000"' in text and 'data-region="640122"' in text
    assert 'data-region="640400"' not in text


@pytest.mark.e2e
def test_on_the_built_warehouse(built_warehouse, tmp_path):
    """The page's queries fit the real marts; values of the raw/ reports appear."""
    page = write_report_page(built_warehouse, tmp_path)
    with connect(built_warehouse, read_only=True) as con:
        reports, findings = con.execute(
            "select (select count(*) from marts.dim_report), "
            "(select count(*) from marts.consistency_finding)"
        ).fetchone()
        received = con.execute(
            "select region_name, report_year, requests_received from marts.region_year_summary "
            "where requests_received is not null order by requests_received desc limit 1"
        ).fetchone()
    assert (page.reports, page.findings) == (reports, findings)
    assert page.regions_charted > 0 and page.series_points > 0
    text = page.html.read_text(encoding="utf-8")
    name, year, value = received
    assert name in text
    assert f'data-year="{year}" data-value="{int(value):,}"' in text


# e2e: the whole page and its PNG written again (about a second).
@pytest.mark.e2e
def test_command_line(tmp_path, capsys):
    warehouse = make_warehouse(tmp_path / "disclosure.duckdb")
    main([str(warehouse), str(tmp_path / "pictures")])
    out = capsys.readouterr().out
    assert str(tmp_path / "pictures" / "disclosure.html") in out and "6 findings" in out
    assert (tmp_path / "pictures" / "disclosure.png").exists()
    with pytest.raises(SystemExit):
        main([str(tmp_path / "missing.duckdb")])


# ---------------------------------------------------------------- in a browser


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
            *args,
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )


needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs headless Chromium at /usr/bin/chromium (apt-get install -y chromium)",
)


@pytest.mark.e2e
@needs_chromium
def test_browser_renders_the_charts(page, tmp_path):
    dom = _chromium("--dump-dom", page.html.as_uri()).stdout.decode("utf-8")
    # The parsed page has the charts with the data's counts.
    assert dom.count('class="series"') == 4 * len(COLUMNS)
    assert dom.count('class="pt"') == page.series_points
    assert len(re.findall(r'class="bar"[^>]*data-key="sum_of"', dom)) == 1
    assert len(re.findall(r'class="cov"', dom)) > 0
    assert "<script" not in dom.lower()  # the title stayed text
    shot = tmp_path / "page.png"
    _chromium(f"--screenshot={shot}", "--window-size=1400,2000", page.html.as_uri())
    from PIL import Image

    with Image.open(shot) as im:
        rgb = im.convert("RGB")
        colors = rgb.getcolors(maxcolors=1 << 20)
        assert len(colors) > 200  # not blank
        # The template colours of the series are on screen.
        on_screen = {c for _, c in colors}
        for hex_color in ("#1b7837", "#2166ac", "#b2182b"):
            rgb_color = tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
            assert rgb_color in on_screen, hex_color


@pytest.mark.e2e
@needs_chromium
def test_browser_draws_chinese_with_the_embedded_font(page, tmp_path):
    """The page's headline drawn with the page's own style, and with the
    embedded font taken out: they differ, so the glyphs come from the page
    (on a machine without CJK fonts the second one is tofu)."""
    text = page.html.read_text(encoding="utf-8")
    style = re.search(r"<style>.*?</style>", text, flags=re.S).group(0)
    sample = "<h1 style='font-size:48px'>政府信息公开工作年度报告 宁夏回族自治区</h1>"
    shots = []
    for name, css in (("with", style), ("without", re.sub(r"@font-face \{.*?\}", "", style))):
        probe = tmp_path / f"{name}.html"
        probe.write_text(f"<!DOCTYPE html><meta charset=utf-8>{css}{sample}", encoding="utf-8")
        shot = tmp_path / f"{name}.png"
        _chromium(f"--screenshot={shot}", "--window-size=1200,200", probe.as_uri())
        shots.append(shot.read_bytes())
    from PIL import Image, ImageChops

    with Image.open(io.BytesIO(shots[0])) as a, Image.open(io.BytesIO(shots[1])) as b:
        assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is not None
        assert len(a.convert("RGB").getcolors(maxcolors=1 << 20)) > 20
