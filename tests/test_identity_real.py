"""Identity (organization, year, region) read from real report openings, and synthetic ones."""

import csv
from pathlib import Path

import pytest

from orchestration.extract.identity import identify
from orchestration.extract.identity_names import is_name, names_in
from orchestration.extract.model import Row
from orchestration.extract.normalize import normalize_document
from orchestration.extract.readers import read_document

pytestmark = pytest.mark.unit

REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"
_GOLD = REALDOCS / "reports.csv"
_GOLD_ROWS = list(csv.DictReader(_GOLD.open(encoding="utf-8"))) if _GOLD.exists() else []


def _identify_file(path: Path):
    doc = normalize_document(read_document(path.read_bytes(), path.name))
    return identify(doc.rows)


def _identify_lines(*lines: str):
    return identify(
        [Row(cells=(t,), locator=f"line {i + 1}", line=i + 1) for i, t in enumerate(lines)]
    )


@pytest.mark.skipif(not _GOLD_ROWS, reason="shared/realdocs not present")
@pytest.mark.parametrize("gold", _GOLD_ROWS, ids=[g["report"] for g in _GOLD_ROWS])
def test_realdocs_identity(gold):
    path = next((REALDOCS / "docs").glob(gold["report"] + ".*"))
    ident, issues = _identify_file(path)
    got = {
        "year": str(ident.report_year or ""),
        "region": ident.region_name or "",
        "region_level": ident.region_level or "",
        "parent_region": ident.parent_region_name or "",
        "region_code": ident.region_code or "",
    }
    for field, value in got.items():
        if gold[field]:  # the gold leaves unknowns empty; departments may carry their county's code
            assert value == gold[field], (field, value, gold[field])
    assert (ident.organization or "") == gold["organization"]
    if not gold["organization"]:
        assert any(i.stage == "identify" for i in issues)


def test_no_prose_phrase_as_organization():
    """r11/r19/r21 once gave ',区机关事务服务中心深入贯彻落实中华人民共和国' / '根据中华人民共和国'."""
    if not _GOLD_ROWS:
        pytest.skip("shared/realdocs not present")
    for path in sorted((REALDOCS / "docs").glob("r*.txt")):
        org = _identify_file(path)[0].organization
        assert org is None or not any(w in org for w in ("根据", "中华人民共和国", "贯彻", ",")), (
            path.name,
            org,
        )


# --- synthetic openings ---------------------------------------------------------------------


def test_year_first_title():
    ident, _ = _identify_lines("2019年川主乡政府信息公开工作年度报告", "来源:川主乡", "一、概述")
    assert (ident.organization, ident.report_year) == ("川主乡人民政府", 2019)
    assert (ident.region_name, ident.region_level) == ("川主乡", "township")
    ident, _ = _identify_lines("2019年上海市政府信息公开工作年度报告")
    assert (ident.region_code, ident.region_level, ident.report_year) == (
        "310000",
        "province",
        2019,
    )


def test_guanyu_title():
    ident, _ = _identify_lines("关于2021年度同心县统计局政府信息公开工作的年度报告", "一、总体情况")
    assert (ident.organization, ident.report_year) == ("同心县统计局", 2021)
    assert (ident.region_name, ident.parent_region_name) == ("同心县", "吴忠市")
    assert ident.organization_kind == "department"


def test_site_prefix_and_junk_header():
    ident, _ = _identify_lines(
        "标题: 贺兰县人民政府2018年政府信息公开工作年度报告",
        "发布机构: 1",
        "栏目: 政府信息公开年报",
    )
    assert (ident.organization, ident.region_code, ident.report_year) == (
        "贺兰县人民政府",
        "640122",
        2018,
    )


def test_organization_and_year_after_the_year_line():
    """The title wraps: organization on one line, 政府信息公开工作2021年度报告 on the next."""
    ident, _ = _identify_lines(
        "浏览次数:次", "西安市阎良区机关事务服务中心", "政府信息公开工作2021年度报告"
    )
    assert (ident.organization, ident.report_year) == ("西安市阎良区机关事务服务中心", 2021)
    assert (ident.region_name, ident.region_level, ident.parent_region_name) == (
        "阎良区",
        "county",
        "西安市",
    )


def test_source_line():
    ident, _ = _identify_lines(
        "来源:长桥乡",
        "发布日期:2020-01-31",
        "一、总体情况",
        "2019年,我乡紧密围绕县委政府政务公开工作部署要求,通过广昌县人民政府网站主动公开信息57条。",
    )
    assert (ident.organization, ident.report_year) == ("长桥乡人民政府", 2019)
    assert (ident.region_level, ident.parent_region_name) == ("township", "广昌县")


def test_we_town_only():
    ident, issues = _identify_lines(
        "一、总体情况", "2022年，我镇持续强化组织领导，扎实推进政务公开。"
    )
    assert ident.organization is None and ident.region_name is None
    assert (ident.region_level, ident.report_year) == ("township", 2022)
    assert any("no publishing organization" in i.reason for i in issues)


def test_signature_line():
    ident, _ = _identify_lines(
        "一、总体情况",
        "本报告所列数据的统计期限自2019年1月1日起至2019年12月31日止。",
        "我局认真做好政府信息公开工作。",
        "平潭综合实验区财政金融局 2020年1月2日",
    )
    assert (ident.organization, ident.report_year) == ("平潭综合实验区财政金融局", 2019)
    # 平潭综合实验区's departments are filed under 平潭县.
    assert (ident.region_name, ident.region_level, ident.parent_region_name) == (
        "平潭县",
        "county",
        "福州市",
    )


def test_abbreviated_title_expanded_from_the_text():
    ident, _ = _identify_lines(
        "标题：财金局2016年政府信息公开年度报告",
        "一、概述",
        "开展政府信息公开工作是平潭综合实验区财政金融局认真贯彻落实《条例》的重要举措。",
    )
    assert ident.organization == "平潭综合实验区财政金融局"
    assert ident.region_name == "平潭县"


def test_prose_phrase_rejected():
    ident, issues = _identify_lines(
        "根据《中华人民共和国政府信息公开条例》规定,现公布2019年度政府信息公开工作年度报告。",
        "一、总体情况",
        "我局认真落实《中华人民共和国政府信息公开条例》。",
    )
    assert ident.organization is None
    assert ident.report_year == 2019
    assert any(i.stage == "identify" for i in issues)


def test_self_reference_in_the_first_sentence():
    ident, _ = _identify_lines(
        "根据《中华人民共和国政府信息公开条例》要求,绍兴市越城区东湖街道特编制2023年政府信息公开年度报告。"
    )
    assert (ident.organization, ident.report_year) == ("绍兴市越城区东湖街道办事处", 2023)
    assert (ident.region_name, ident.parent_region_name) == ("东湖街道", "越城区")
    ident, _ = _identify_lines("根据《条例》规定,现公布区统计局2023年政府信息公开工作年度报告。")
    assert (ident.organization, ident.region_level, ident.region_name) == (
        "区统计局",
        "county",
        None,
    )


def test_ocr_misspelling_fuzzy_resolved_with_an_issue():
    ident, issues = _identify_lines(
        "沐阳县人民政府2019年政府信息公开工作年度报告", "按照宿迁市要求"
    )
    assert (ident.organization, ident.region_code, ident.parent_region_name) == (
        "沭阳县人民政府",
        "321322",
        "宿迁市",
    )
    assert any("沐阳县" in i.reason and "沭阳县" in i.reason for i in issues)
    ident, _ = _identify_lines("宿迁市沐阳县钱集镇人民政府2019年政府信息公开工作年度报告")
    assert (ident.region_name, ident.parent_region_name) == ("钱集镇", "沭阳县")


def test_former_division_not_taken_for_a_misspelling():
    ident, issues = _identify_lines("杭州市下城区人民政府2019年政府信息公开工作年度报告")
    assert (ident.region_name, ident.region_code) == ("下城区", "330103")
    assert not any("read as" in i.reason for i in issues)


def test_year_sources():
    ident, _ = _identify_lines(
        "一、总体情况", "本报告所列数据的统计期限为2024年1月1日至2024年12月31日。"
    )
    assert ident.report_year == 2024
    ident, _ = _identify_lines("一、总体情况", "2019年,我局按照《条例》规定开展工作。")
    assert ident.report_year == 2019
    # The publication date only when nothing else: January 2020 publishes the 2019 report.
    ident, issues = _identify_lines("发布时间: 2020-01-06", "一、总体情况", "我局认真做好。")
    assert ident.report_year == 2019
    assert any("publication date" in i.reason for i in issues)


def test_names_in_prose():
    text = "在认真总结2020年帽儿山镇政府信息公开工作的基础上,编制了此报告。如对本报告有疑问,请联系帽儿山镇政府,地址:尚志市帽儿山镇新兴街1号"
    assert names_in(text) == ["帽儿山镇政府", "帽儿山镇政府", "尚志市帽儿山镇"]
    assert not is_name("根据中华人民共和国政府")
    assert not is_name("区机关事务服务中心深入贯彻落实中华人民共和国")
    assert is_name("区统计局") and is_name("螅镇", title=True) and not is_name("螅镇")


def test_more_title_forms():
    ident, _ = _identify_lines("贺兰县人民政府政府信息公开工作年度报告（2019年度）")
    assert (ident.organization, ident.report_year, ident.region_code) == (
        "贺兰县人民政府",
        2019,
        "640122",
    )
    ident, _ = _identify_lines("国家税务总局银川市税务局2020年政府信息公开工作年度报告")
    assert (ident.organization, ident.region_name) == ("国家税务总局银川市税务局", "银川市")
    ident, _ = _identify_lines("2020年度贺兰县统计局政府信息公开工作年度报告")
    assert (ident.organization, ident.report_year) == ("贺兰县统计局", 2020)
