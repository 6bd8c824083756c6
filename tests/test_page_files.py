"""A saved web page and the pictures beside it (orchestration/ingest/page_files.py):
which `<img src>` name files under the raw folder, the page's content hash covering
them, the pictures' reason, and the worker parsing exactly what discovery hashed.
The pictures here are too small to hold a table, so nothing is OCR'd; a table read
from a page's picture is tests/test_ocr.py's (folder html_table_picture)."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from PIL import Image

from orchestration.extract import extract_bytes
from orchestration.extract.model import content_sha256
from orchestration.extract.readers.html import picture_sources, read_html
from orchestration.ingest.extraction import CHANGED_DURING_BUILD, FromBytes, extract_one
from orchestration.ingest.files import discover, stat_key
from orchestration.ingest.page_files import resolve

pytestmark = pytest.mark.unit

PAGE = """<html><head><meta charset="utf-8"><title>隆德县人民政府2022年政府信息公开工作年度报告</title></head>
<body><p>隆德县人民政府2022年政府信息公开工作年度报告</p>
<p><img src="报告_files/table1.png" width="600"></p>
<img src="%E6%8A%A5%E5%91%8A_files/logo.gif">
<img src="http://www.example.gov.cn/a.png"><img src="/images/b.png"><img src="../out.png">
<img src="data:image/png;base64,AAAA"><img src="报告_files/missing.png">
</body></html>"""


def _png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), colour).save(out, "PNG")
    return out.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def raw(tmp_path):
    raw = tmp_path / "raw"
    (raw / "site" / "报告_files").mkdir(parents=True)
    (raw / "site" / "报告.html").write_text(PAGE, encoding="utf-8")
    (raw / "site" / "报告_files" / "table1.png").write_bytes(_png("white"))
    (raw / "site" / "报告_files" / "logo.gif").write_bytes(_png("red"))
    (raw / "plain.html").write_text(PAGE.replace("<img", "<span"), encoding="utf-8")
    (tmp_path / "out.png").write_bytes(_png("blue"))  # outside the raw folder
    return raw


@pytest.mark.parametrize(
    ("src", "page", "path"),
    [
        ("报告_files/t.png", "a/报告.html", "a/报告_files/t.png"),
        ("%E6%8A%A5_files/t.png?v=2#x", "a/p.html", "a/报_files/t.png"),
        ("..\\img\\t.png", "a/b/p.html", "a/img/t.png"),  # saved on Windows
        ("./t.png", "p.html", "t.png"),
        ("../t.png", "p.html", None),  # out of the raw folder
        ("/images/t.png", "a/p.html", None),  # the site's root: unknown
        ("http://www.gov.cn/t.png", "p.html", None),
        ("//cdn.gov.cn/t.png", "p.html", None),
        ("p.html", "p.html", None),
        ("", "p.html", None),
    ],
)
def test_resolve(src, page, path):
    assert resolve(src, page) == path


def test_picture_sources_in_page_order_without_data_uris():
    assert picture_sources(PAGE.encode(), "p.html") == [
        "报告_files/table1.png",
        "%E6%8A%A5%E5%91%8A_files/logo.gif",
        "http://www.example.gov.cn/a.png",
        "/images/b.png",
        "../out.png",
        "报告_files/missing.png",
    ]


def test_page_hash_covers_the_pictures_beside_it(raw):
    files = {f.source_path: f for f in discover(raw)}
    page = files["site/报告.html"]
    own = _sha((raw / "site" / "报告.html").read_bytes())
    pictures = [
        ("报告_files/table1.png", _sha(_png("white"))),
        ("%E6%8A%A5%E5%91%8A_files/logo.gif", _sha(_png("red"))),
    ]
    assert page.status == "ok"
    assert page.file_sha256 == own
    assert page.source_sha256 == content_sha256(own, pictures) != own
    # A page showing no file beside it keeps the hash of its bytes.
    plain = files["plain.html"]
    assert plain.source_sha256 == _sha((raw / "plain.html").read_bytes())
    for name in ("table1.png", "logo.gif"):
        picture = files[f"site/报告_files/{name}"]
        assert (picture.status, picture.code) == ("unsupported", "page_picture")
        assert picture.reason == (
            "a picture shown by the web page site/报告.html: read with that page, "
            "not a report of its own"
        )
    # A changed picture is a changed page; the page's own hash is what the stat
    # shortcut remembers, so an unchanged page is not read to be hashed again.
    (raw / "site" / "报告_files" / "table1.png").write_bytes(_png("black"))
    known = {stat_key(page.source_path, (raw / page.source_path).stat()): own}
    again = {f.source_path: f for f in discover(raw, known_hashes=known)}
    assert again["site/报告.html"].file_sha256 == own
    assert again["site/报告.html"].source_sha256 not in (own, page.source_sha256)


def test_worker_parses_the_page_with_the_pictures_discovery_hashed(raw):
    page = next(f for f in discover(raw) if f.source_path == "site/报告.html")
    seen = {}

    def extract(data, source_path, pictures=None):
        seen.update(pictures or {})
        return extract_bytes(data, source_path, pictures)

    path = str(raw / page.source_path)
    outcome = extract_one(FromBytes(extract), path, str(raw), page.source_sha256)
    assert outcome.extraction is not None, outcome
    assert outcome.extraction.source_sha256 == page.source_sha256
    assert seen == {
        "报告_files/table1.png": _png("white"),
        "%E6%8A%A5%E5%91%8A_files/logo.gif": _png("red"),
    }
    # A picture added after discovery: the content is no longer what was hashed.
    (raw / "site" / "报告_files" / "missing.png").write_bytes(_png("green"))
    outcome = extract_one(FromBytes(extract), path, str(raw), page.source_sha256)
    assert outcome.extraction is None
    assert outcome.reason == CHANGED_DURING_BUILD


def test_pictures_too_small_for_a_table_add_no_rows():
    tiny = base64.b64encode(_png("white")).decode()
    page = PAGE.replace("AAAA", tiny).encode()
    doc = read_html(page, "p.html", {"报告_files/table1.png": _png("white")})
    assert doc.ocr_pages == 0
    assert [r.cells for r in doc.rows] == [
        ("隆德县人民政府2022年政府信息公开工作年度报告",),
    ]


@pytest.mark.parametrize("colour", ["white", "black"])
def test_a_picture_is_never_taken_for_text(colour):
    from orchestration.extract.formats import detect_format

    # These bytes after the PNG signature would decode as GB18030.
    assert detect_format(b"\x89PNG\r\n\x1a\n" + bytes(64)) == "unknown"
    assert detect_format(_png(colour)) == "unknown"
