"""Label normalisation and matching against the catalog."""

import pytest

from orchestration.extract import catalog
from orchestration.extract.labels import Numbering, label_key, numbering, similarity

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "printed, key",
    [
        ("（一）主动公开政府信息数 （不同渠道和方式公开相同信息计 1 条）", "主动公开政府信息数"),
        ("(一) 主动公开政府信息数(不同渠道和方式公开相同信息计1条)", "主动公开政府信息数"),
        ("其中：主动公开规范性文件数", "主动公开规范性文件数"),
        ("1.政府公报公开政府信息数", "政府公报公开政府信息数"),
        ("1、政府公报公开政府信息数", "政府公报公开政府信息数"),
        ("<b>四、行政复议数量</b>", "行政复议数量"),
        ("**五、行政诉讼数量**", "行政诉讼数量"),
        ("统 计 指 标", "统计指标"),
        ("1.专职人员数（不包括政府公报及政府网站工作人员数）", "专职人员数"),
        ("（四）政府信息公开专项经费（不包括用于政府公报编辑管理及政", "政府信息公开专项经费"),
        ("(二) 部分公开(区分处理的, 只计这一情形, 不计其他情形)", "部分公开"),
    ],
)
def test_label_key(printed, key):
    assert label_key(printed) == key


@pytest.mark.parametrize(
    "printed, expected",
    [
        ("三、本年度办理结果", Numbering("chapter", 3)),
        ("（六）其他处理", Numbering("paren", 6)),
        ("(十二) 其他", Numbering("paren", 12)),
        ("5.要求行政机关确认或重新出具已获取信息", Numbering("arabic", 5)),
        ("其中：涉及国家秘密", Numbering("qizhong", None)),
        ("涉及商业秘密", Numbering(None, None)),
    ],
)
def test_numbering(printed, expected):
    assert numbering(printed) == expected


def _gov2008(label):
    keys = [(label_key(e.label), e.code) for e in catalog.for_template("gov2008")]
    ((code, _),) = catalog.assign([label_key(label)], keys)
    return code


@pytest.mark.parametrize(
    "printed, code",
    [
        ("3.政府信息微博公开政府信息数", "p_via_weibo"),  # variant of 政务微博…
        ("4.政府信息微信公开政府信息数", "p_via_wechat"),
        ("（一）召开政府信息与政务公开工作会议或专题会议数", "meetings"),
        ("危及国家安全、公共安全、经济安全和社会稳定", "a_denied_security_stability"),
        ("其他主动公开文件数", None),  # a provincial extra row is not forced onto a code
    ],
)
def test_catalog_match_variants(printed, code):
    assert _gov2008(printed) == code


def test_similarity_is_one_only_for_equal_keys():
    assert similarity("收到申请数", "收到申请数") == 1.0
    assert similarity("收到申请数", "申请办结数") < catalog.MATCH_THRESHOLD


def test_catalog_keys_are_unique_per_template():
    for t in catalog.TEMPLATES:
        pairs = [(e.section, e.key) for e in catalog.for_template(t)]
        # Within a section no two codes share a label.
        assert len(pairs) == len(set(pairs)), t
