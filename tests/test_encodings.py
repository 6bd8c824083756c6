"""Text in any encoding people save it in reads to the same cells as UTF-8; what had to
be repaired is an extraction issue; a page's declared charset is checked against its bytes."""

from pathlib import Path

import pytest

from orchestration.extract import extract_bytes
from orchestration.extract.encoding import decode, wide_encoding
from orchestration.ingest.files import detect_format

pytestmark = pytest.mark.unit

SEED = Path(__file__).resolve().parents[1] / "raw" / "000_0fd2e533e51a0851.txt"
TEXT = SEED.read_text(encoding="utf-8")


def _cells(x):
    return {(c.indicator_code, c.applicant_type): c.value for c in x.cells if c.indicator_code}


BASELINE = _cells(extract_bytes(TEXT.encode("utf-8"), SEED.name))


@pytest.mark.parametrize(
    "encoding, bom",
    [
        ("utf-16-le", True),
        ("utf-16-be", True),
        ("utf-16-le", False),
        ("utf-16-be", False),
        ("utf-32-le", True),
        ("utf-32-be", False),
        ("gb18030", False),
        ("utf-8", True),
    ],
)
def test_wide_and_gb_encodings_read_like_utf8(encoding, bom, tmp_path):
    data = ("\ufeff" if bom else "").encode(encoding) + TEXT.encode(encoding)
    path = tmp_path / "report.txt"
    path.write_bytes(data)
    assert detect_format(path) == "text"  # not "unsupported"
    x = extract_bytes(data, "report.txt")
    assert _cells(x) == BASELINE and x.identity.organization == "贺兰县人民政府"


def test_wide_encoding_is_told_by_the_zero_bytes():
    assert wide_encoding("2021年 统计 12\n".encode("utf-16-le") * 20) == ("utf-16-le", 0)
    assert wide_encoding("2021年 统计 12\n".encode("utf-32-be") * 20) == ("utf-32-be", 0)
    assert wide_encoding(TEXT.encode("utf-8")) is None
    assert wide_encoding(bytes(range(256)) * 16) is None  # binary: zeros on no lane


def test_nul_bytes_are_dropped_with_an_issue(tmp_path):
    data = TEXT.replace("\n", "\x00\n", 40).encode("utf-8")
    path = tmp_path / "nul.txt"
    path.write_bytes(data)
    assert detect_format(path) == "text"
    x = extract_bytes(data, "nul.txt")
    assert _cells(x) == BASELINE
    assert any(i.stage == "read" and "40 NUL bytes" in i.reason for i in x.issues)


def test_lines_in_two_encodings():
    lines = TEXT.splitlines(keepends=True)
    data = b"".join(ln.encode("gb18030" if i % 10 == 3 else "utf-8") for i, ln in enumerate(lines))
    text, notes = decode(data, "mixed.txt")
    assert text == TEXT and notes and notes[0].startswith("mixed encodings")


PAGE = "<html><head><meta charset='{cs}'><title>t</title></head><body>{body}</body></html>"


@pytest.mark.parametrize("declared", ["big5", "latin1", "iso-8859-1", "windows-1252", "gbk"])
def test_gbk_page_read_as_gbk_whatever_it_declares(declared):
    body = "".join(f"<p>{line}</p>" for line in TEXT.splitlines())
    data = PAGE.format(cs=declared, body=body).encode("gb18030")
    x = extract_bytes(data, "page.html")
    assert _cells(x) == BASELINE and x.identity.organization == "贺兰县人民政府"
    lied = [i for i in x.issues if "declares" in i.reason]
    assert bool(lied) == (declared != "gbk")


def test_big5_page_that_says_so_is_read_as_big5():
    text, notes = decode(
        "政府資訊公開工作年度報告，本機關共收到申請12件。".encode("big5") * 20,
        "tw.html",
        declared="big5",
    )
    assert text.startswith("政府資訊公開工作年度報告") and not notes
