"""Divisions list and organization -> region resolution (orchestration.extract.regions)."""

import polars as pl
import pytest

from orchestration.extract.regions import RegionMatch, divisions, resolve

pytestmark = pytest.mark.unit

NINGXIA = "宁夏回族自治区"


def _row(code: str) -> dict:
    rows = divisions().filter(pl.col("region_code") == code).to_dicts()
    assert len(rows) == 1, code
    return rows[0]


# --- the divisions list -------------------------------------------------------------------


def test_columns_and_coverage():
    df = divisions()
    assert df.columns == [
        "region_code",
        "region_name",
        "short_name",
        "region_level",
        "parent_region_code",
        "parent_region_name",
        "province_name",
        "prefecture_name",
    ]
    counts = dict(df["region_level"].value_counts().iter_rows())
    assert counts["province"] == 31
    assert counts["prefecture"] >= 330
    assert counts["county"] >= 2800
    assert df["region_code"].is_unique().all()
    assert df["region_code"].str.contains(r"^\d{6}$").all()
    # No GB2260 placeholder rows; every non-province row has a parent in the list.
    assert not df["region_name"].is_in(["市辖区", "县", "直辖县", "省直辖县级行政区划"]).any()
    below = df.filter(pl.col("region_level") != "province")
    assert below["parent_region_code"].is_in(df["region_code"].implode()).all()
    assert df.filter(pl.col("region_level") == "province")["parent_region_code"].is_null().all()


@pytest.mark.parametrize(
    "code, name, short, level, parent_code, parent, prefecture, province",
    [
        ("640000", NINGXIA, "宁夏", "province", None, None, None, NINGXIA),
        ("640100", "银川市", "银川", "prefecture", "640000", NINGXIA, "银川市", NINGXIA),
        ("640122", "贺兰县", "贺兰", "county", "640100", "银川市", "银川市", NINGXIA),
        ("640423", "隆德县", "隆德", "county", "640400", "固原市", "固原市", NINGXIA),
        # Municipality districts hang under the municipality itself.
        ("110108", "海淀区", "海淀", "county", "110000", "北京市", None, "北京市"),
        ("310115", "浦东新区", "浦东", "county", "310000", "上海市", None, "上海市"),
        ("500112", "渝北区", "渝北", "county", "500000", "重庆市", None, "重庆市"),
        ("440106", "天河区", "天河", "county", "440100", "广州市", "广州市", "广东省"),
        # 省直辖县级行政区: the province is the parent.
        ("429004", "仙桃市", "仙桃", "county", "420000", "湖北省", None, "湖北省"),
        (
            "659001",
            "石河子市",
            "石河子",
            "county",
            "650000",
            "新疆维吾尔自治区",
            None,
            "新疆维吾尔自治区",
        ),
        # Prefecture-level city without counties.
        ("441900", "东莞市", "东莞", "prefecture", "440000", "广东省", "东莞市", "广东省"),
        # Changes of 2021 and later.
        ("330113", "临平区", "临平", "county", "330100", "杭州市", "杭州市", "浙江省"),
        (
            "513402",
            "会理市",
            "会理",
            "county",
            "513400",
            "凉山彝族自治州",
            "凉山彝族自治州",
            "四川省",
        ),
    ],
)
def test_division_rows(code, name, short, level, parent_code, parent, prefecture, province):
    assert _row(code) == {
        "region_code": code,
        "region_name": name,
        "short_name": short,
        "region_level": level,
        "parent_region_code": parent_code,
        "parent_region_name": parent,
        "province_name": province,
        "prefecture_name": prefecture,
    }


def test_abolished_divisions_are_not_current():
    names = set(divisions()["region_name"])
    assert "下城区" not in names and "会理县" not in names


# --- resolve -------------------------------------------------------------------------------


def _check(m: RegionMatch, **expected):
    got = {k: getattr(m, k) for k in expected}
    assert got == expected


@pytest.mark.parametrize(
    "text", ["贺兰县", "贺兰县人民政府", "贺兰县政府", "宁夏银川市贺兰县人民政府"]
)
def test_county_government(text):
    m = resolve(text)
    _check(
        m,
        region_name="贺兰县",
        region_level="county",
        region_code="640122",
        parent_region_name="银川市",
        prefecture_name="银川市",
        province_name=NINGXIA,
        organization_kind="government",
        confidence=1.0,
        reason=None,
    )
    assert m.organization.endswith("贺兰县人民政府")


def test_county_without_suffix_gets_full_organization():
    _check(
        resolve("隆德县"),
        organization="隆德县人民政府",
        region_code="640423",
        region_level="county",
        parent_region_name="固原市",
        organization_kind="government",
    )


def test_prefecture_government():
    _check(
        resolve("固原市人民政府"),
        organization="固原市人民政府",
        region_name="固原市",
        region_level="prefecture",
        region_code="640400",
        parent_region_name=NINGXIA,
        province_name=NINGXIA,
        organization_kind="government",
    )


@pytest.mark.parametrize("text", ["贺兰县金贵镇人民政府", "贺兰县金贵镇"])
def test_township(text):
    _check(
        resolve(text),
        organization="贺兰县金贵镇人民政府",
        region_name="金贵镇",
        region_level="township",
        region_code=None,
        parent_region_name="贺兰县",
        prefecture_name="银川市",
        province_name=NINGXIA,
        organization_kind="government",
    )


@pytest.mark.parametrize(
    "text", ["银川市西夏区贺兰山西路街道办事处", "银川市西夏区贺兰山西路街道办"]
)
def test_street_office(text):
    _check(
        resolve(text),
        organization="银川市西夏区贺兰山西路街道办事处",
        region_name="贺兰山西路街道",
        region_level="township",
        region_code=None,
        parent_region_name="西夏区",
        prefecture_name="银川市",
        province_name=NINGXIA,
        organization_kind="street_office",
    )


@pytest.mark.parametrize(
    "text, town, county",
    [
        ("鄂托克旗阿尔巴斯苏木人民政府", "阿尔巴斯苏木", "鄂托克旗"),
        ("泾源县大湾回族乡人民政府", "大湾回族乡", "泾源县"),
        ("同心县马高庄乡", "马高庄乡", "同心县"),
        ("北京市朝阳区南磨房地区办事处", "南磨房地区", "朝阳区"),
        ("东莞市虎门镇人民政府", "虎门镇", "东莞市"),  # no county level in 东莞
    ],
)
def test_township_kinds(text, town, county):
    _check(
        resolve(text),
        region_name=town,
        region_level="township",
        parent_region_name=county,
        confidence=1.0,
    )


def test_township_parent_from_context():
    m = resolve("金贵镇人民政府", "贺兰县金贵镇人民政府2023年政府信息公开工作年度报告")
    _check(m, region_name="金贵镇", parent_region_name="贺兰县", prefecture_name="银川市")
    m = resolve("贺兰山西路街道办事处")
    _check(m, region_name="贺兰山西路街道", parent_region_name=None)
    assert m.confidence < 1 and m.reason


def test_department():
    _check(
        resolve("同心县统计局"),
        organization="同心县统计局",
        region_name="同心县",
        region_level="county",
        region_code="640324",
        parent_region_name="吴忠市",
        organization_kind="department",
    )
    _check(
        resolve("宁夏回族自治区统计局"),
        region_level="province",
        region_code="640000",
        organization_kind="department",
    )
    _check(resolve("贺兰县人民政府办公室"), region_code="640122", organization_kind="department")


def test_zone_committee():
    _check(
        resolve("银川经济技术开发区管理委员会"),
        organization="银川经济技术开发区管理委员会",
        region_name="银川市",
        region_code="640100",
        organization_kind="zone_committee",
    )
    m = resolve("宁东能源化工基地管委会")
    _check(
        m,
        organization="宁东能源化工基地管理委员会",
        region_name="宁东能源化工基地",
        region_level="county",
        region_code=None,
        organization_kind="zone_committee",
    )
    assert m.confidence < 1


@pytest.mark.parametrize(
    "text, code, level, parent",
    [
        ("宁夏回族自治区人民政府", "640000", "province", None),
        ("广东省人民政府", "440000", "province", None),
        ("北京市人民政府", "110000", "province", None),
        ("北京市海淀区人民政府", "110108", "county", "北京市"),
        ("海淀区", "110108", "county", "北京市"),
        ("广州市天河区人民政府", "440106", "county", "广州市"),
        ("浦东新区人民政府", "310115", "county", "上海市"),
        ("上海市浦东新区", "310115", "county", "上海市"),
        ("成都市武侯区人民政府", "510107", "county", "成都市"),
        ("西夏区", "640105", "county", "银川市"),
        ("仙桃市人民政府", "429004", "county", "湖北省"),
        ("杭州市临平区人民政府", "330113", "county", "杭州市"),
    ],
)
def test_divisions_across_provinces(text, code, level, parent):
    _check(
        resolve(text),
        region_code=code,
        region_level=level,
        parent_region_name=parent,
        organization_kind="government",
        confidence=1.0,
    )


def test_ambiguous_name_prefers_context():
    m = resolve("朝阳区人民政府")  # 北京市朝阳区 110105 and 长春市朝阳区 220104
    assert m.confidence < 1 and "ambiguous" in m.reason
    _check(
        resolve("朝阳区人民政府", "根据北京市要求"),
        region_code="110105",
        parent_region_name="北京市",
    )
    _check(
        resolve("朝阳区人民政府", "按照吉林省、长春市部署"),
        region_code="220104",
        parent_region_name="长春市",
        province_name="吉林省",
    )
    _check(resolve("长春市朝阳区人民政府"), region_code="220104", confidence=1.0)


def test_former_division_from_older_reports():
    m = resolve("杭州市下城区人民政府")  # merged into 拱墅区 in 2021
    _check(m, region_name="下城区", region_code="330103", parent_region_name="杭州市")
    assert m.confidence < 1 and "former" in m.reason


@pytest.mark.parametrize(
    "title, organization, code",
    [
        ("贺兰县人民政府2023年政府信息公开工作年度报告", "贺兰县人民政府", "640122"),
        ("2023年度贺兰县政府信息公开工作年度报告", "贺兰县人民政府", "640122"),
        ("同心县统计局2022年政府信息公开工作年度报告", "同心县统计局", "640324"),
        ("隆德县人民政府信息公开工作年度报告（2021年度）", "隆德县人民政府", "640423"),
    ],
)
def test_titles(title, organization, code):
    _check(resolve(title), organization=organization, region_code=code)


def test_unresolved():
    m = resolve("某某单位")
    _check(m, region_name=None, region_code=None, confidence=0.0)
    assert m.reason
