"""The report collector (orchestration/collect) against a small government site on loopback.

The site (`GovSite`, http.server in a thread on 127.0.0.1) has a paginated
listing, report pages with their table (the seed reports rendered by
tests.fixtures), PDF, DOCX and DOC attachments, and every way a site goes
wrong: a 404, a 500 that recovers, a page slower than the timeout, a redirect
loop, a path robots.txt disallows, files over the size limit (announced and
not), an HTML error page named .pdf, a link to another host and a page that
changes between runs. No test reaches past loopback: `loopback_only` refuses
and records any other connection or name lookup, and fails the test if one
was tried.
"""

from __future__ import annotations

import hashlib
import http.server
import ipaddress
import socket
import threading
from collections import Counter
from email.utils import formatdate
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import httpx
import pytest

from orchestration.collect import (
    COLLECTED_FILES_SCHEMA,
    MANIFEST_NAME,
    CollectOptions,
    Source,
    SourcesError,
    collect,
    load_sources,
    parse_sources,
    read_manifests,
)
from orchestration.collect.content import refusal
from orchestration.collect.http import FetchError, PoliteClient
from orchestration.collect.links import (
    Link,
    is_attachment,
    is_pagination,
    is_report_link,
    parse_page,
)
from orchestration.collect.manifest import Entry, Manifest
from orchestration.collect.names import base_name, choose_name, url_hash
from orchestration.collect.robots import Robots
from orchestration.collect.storage import TEMP_PREFIX
from orchestration.ingest.files import OLE_MAGIC, discover, listing
from orchestration.settings import PROJECT_ROOT, Settings

EXAMPLE_SOURCES = PROJECT_ROOT / "orchestration" / "collect" / "sources.example.csv"


# -- nothing leaves loopback ----------------------------------------------------------


def _is_loopback(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Refuse (and record) every connection and name lookup outside 127.0.0.0/8 and ::1."""
    attempts: list = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_create, real_getaddrinfo = socket.create_connection, socket.getaddrinfo

    def refuse(what):
        attempts.append(what)
        return OSError(f"test guard: no connection outside loopback ({what!r})")

    def inet(sock, address) -> bool:
        return sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0])

    def connect(self, address):
        if inet(self, address):
            raise refuse(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        if inet(self, address):
            raise refuse(address)
        return real_connect_ex(self, address)

    def create_connection(address, *args, **kwargs):
        if not _is_loopback(address[0]):
            raise refuse(address)
        return real_create(address, *args, **kwargs)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host):
            attempts.append(host)
            raise socket.gaierror(f"test guard: no name lookup outside loopback ({host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert attempts == [], f"tried to reach past loopback: {attempts}"


@pytest.mark.unit
def test_the_guard_refuses_other_addresses(loopback_only):
    with pytest.raises(OSError, match="test guard"):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)
    with pytest.raises(OSError, match="test guard"):
        socket.getaddrinfo("www.example.gov.cn", 80)
    with socket.socket() as s, pytest.raises(OSError, match="test guard"):
        s.connect(("198.51.100.7", 443))
    assert len(loopback_only) == 3
    loopback_only.clear()


# -- the test site ------------------------------------------------------------------------

LISTING = "/xxgk/ndbg/index.html"
LAST_MODIFIED = formatdate(1579075200, usegmt=True)  # 2020-01-15
GBK_META = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
UTF8_META = '<meta charset="utf-8">'
LIMIT = 400_000  # bytes: the lowered file size limit of the site test


def _page(title: str, body: str, script: str = "") -> bytes:
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}_政府信息公开年报_测试县人民政府</title>
<script type="text/javascript">{script}</script></head>
<body><div class="nav"><a href="/">首页</a> <a href="/xxgk/">政府信息公开</a>
<a href="{LISTING}">政府信息公开年报</a> <a href="/xxgk/zn/">政府信息公开指南</a></div>
<div class="main">{body}</div>
<div class="footer"><a href="http://www.gov.cn/">中国政府网</a> 版权所有：测试县人民政府</div>
</body></html>""".encode()


def _li(href: str, text: str) -> str:
    return f'<li><a href="{href}" target="_blank">{text}</a><span>2019-01-15</span></li>'


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    """The seed reports rendered: page and file bytes the site serves."""
    from tests.fixtures.render_docx import render_docx
    from tests.fixtures.render_html import html_page
    from tests.fixtures.render_pdf import render_pdf
    from tests.fixtures.seeds import build_seeds

    seeds = build_seeds()
    out = tmp_path_factory.mktemp("rendered")
    render_pdf(seeds[1], out / "longde.pdf")
    render_docx(seeds[2], out / "guyuan.docx")
    changing = html_page(seeds[4], GBK_META)
    return {
        "helan.html": html_page(seeds[0], UTF8_META).encode("utf-8"),
        "longde.pdf": (out / "longde.pdf").read_bytes(),
        "guyuan.docx": (out / "guyuan.docx").read_bytes(),
        "guyuan.doc": OLE_MAGIC + bytes(range(256)) * 8,
        "jingui.html": html_page(seeds[3], UTF8_META).encode("utf-8"),
        "xixia.html": changing.encode("gbk", errors="xmlcharrefreplace"),
        "xixia-v2.html": changing.replace("</body>", "<p>（2019年3月1日更正）</p></body>").encode(
            "gbk", errors="xmlcharrefreplace"
        ),
        "titles": {s.stem: s.title for s in seeds},
    }


PDF_PATH = "/xxgk/ndbg/files/隆德县2020年报.pdf"
DOCX_PATH = "/xxgk/ndbg/download.jsp"
DOCX_QUERY = "id=guyuan-2018"
DOC_PATH = "/xxgk/ndbg/files/guyuan-2018.doc"


class GovSite:
    """The site's pages and the requests it saw (path, status, request headers)."""

    def __init__(self, documents: dict):
        self.docs = documents
        self.version = 1  # of the changing page
        self.requests: list[tuple[str, int, dict]] = []
        self.flaky_failed = False
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.stop = threading.Event()
        self.routes = {
            "/robots.txt": self.robots,
            LISTING: self.listing_1,
            "/xxgk/ndbg/index_1.html": self.listing_2,
            "/xxgk/ndbg/index_2.html": self.listing_3,
            "/xxgk/ndbg/index_3.html": self.listing_4,
            "/xxgk/ndbg/2018/t20190115_1.html": lambda: self.ok(self.docs["helan.html"]),
            PDF_PATH: lambda: self.ok(self.docs["longde.pdf"], "application/pdf"),
            "/xxgk/ndbg/2018/t20190120_2.html": self.page_b,
            DOCX_PATH: self.docx,
            DOC_PATH: self.doc,
            "/xxgk/ndbg/2018a/content.html": self.flaky,
            "/xxgk/ndbg/2018b/content.html": self.changing,
            "/xxgk/ndbg/2017/slow.html": self.slow,
            "/xxgk/ndbg/2016/loop.html": lambda: (302, {"Location": "loop2.html"}, b""),
            "/xxgk/ndbg/2016/loop2.html": lambda: (
                302,
                {"Location": "/xxgk/ndbg/2016/loop.html"},
                b"",
            ),
            "/xxgk/ndbg/files/big-2015.pdf": self.big,
            "/xxgk/ndbg/files/stream-2014.pdf": self.stream,
            "/xxgk/ndbg/files/error-2013.pdf": self.error_page,
        }

    # pages

    def robots(self):
        return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"

    def listing_1(self):
        items = "".join([
            _li("/xxgk/ndbg/2018/t20190115_1.html", "贺兰县2018年政府信息公开工作年度报告"),
            _li("files/隆德县2020年报.pdf", "隆德县2020年政府信息公开工作年度报告（PDF）"),
            _li("http://www.example.gov.cn/ndbg/2019.pdf", "2019年政府信息公开工作年度报告（市网站）"),
        ])  # fmt: skip
        pager = (
            '<div class="page"><a href="index_1.html">下一页</a> '
            '<a href="index_2.html">尾页</a></div>'
        )
        script = 'createPageHTML(3, 0, "index", "html");'
        return self.ok(_page("政府信息公开年报", f"<ul>{items}</ul>{pager}", script))

    def listing_2(self):
        items = "".join([
            _li("/xxgk/ndbg/2018/t20190120_2.html", "固原市2018年政府信息公开工作年度报告"),
            _li("/xxgk/ndbg/2020/missing.html", "2020年政府信息公开工作年度报告"),
            _li("/private/2019年度报告.pdf", "2019年度报告（内部）"),
            _li("/xxgk/ndbg/2018a/content.html", "贺兰县金贵镇2018年政府信息公开工作年度报告"),
        ])  # fmt: skip
        pager = '<a href="index.html">上一页</a> <a href="index_2.html">下一页</a>'
        return self.ok(_page("政府信息公开年报", f"<ul>{items}</ul>{pager}"))

    def listing_3(self):
        items = "".join([
            _li("/xxgk/ndbg/2017/slow.html", "2017年政府信息公开工作年报"),
            _li("/xxgk/ndbg/2016/loop.html", "2016年政府信息公开工作年度报告"),
            _li("/xxgk/ndbg/files/big-2015.pdf", "2015年政府信息公开工作年度报告（PDF）"),
            _li("/xxgk/ndbg/files/stream-2014.pdf", "2014年政府信息公开工作年度报告（PDF）"),
            _li("/xxgk/ndbg/files/error-2013.pdf", "2013年政府信息公开工作年度报告（PDF）"),
            _li("/xxgk/ndbg/2018b/content.html",
                "银川市西夏区贺兰山西路街道办事处2018年政府信息公开工作年度报告"),
        ])  # fmt: skip
        pager = '<a href="index_1.html">上一页</a> <a href="index_3.html">下一页</a>'
        return self.ok(_page("政府信息公开年报", f"<ul>{items}</ul>{pager}"))

    def listing_4(self):  # past max_pages: never asked for
        return self.ok(_page("政府信息公开年报", _li("/xxgk/ndbg/2012/a.pdf", "2012年年报")))

    def page_b(self):
        body = (
            "<h1>固原市2018年政府信息公开工作年度报告</h1><p>详见附件。</p>"
            f'<p>附件：<a href="{DOCX_PATH}?{DOCX_QUERY}">固原市2018年报.docx</a></p>'
            f'<p><a href="{quote(DOC_PATH)}">固原市2018年报（WPS兼容版）.doc</a></p>'
            '<p><a href="/xxgk/ndbg/2018/t20190115_1.html">上一篇：贺兰县2018年年报</a></p>'
        )
        return self.ok(_page("固原市2018年政府信息公开工作年度报告", body))

    def docx(self):  # a dynamic download: no validators, a Content-Disposition name
        name = quote("固原市2018年报.docx")
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f"attachment; filename*=UTF-8''{name}",
        }
        return 200, headers, self.docs["guyuan.docx"]

    def doc(self):  # validators: Last-Modified only
        return (
            200,
            {"Content-Type": "application/msword", "Last-Modified": LAST_MODIFIED},
            (self.docs["guyuan.doc"]),
        )

    def flaky(self):
        if not self.flaky_failed:
            self.flaky_failed = True
            return 500, {"Content-Type": "text/html"}, b"<html><body>busy</body></html>"
        return self.ok(self.docs["jingui.html"])

    def changing(self):
        body = self.docs["xixia.html" if self.version == 1 else "xixia-v2.html"]
        return self.ok(body, "text/html; charset=gb2312")

    def slow(self):  # answers after 3 s, long after the client gave up
        status, headers, body = self.ok(self.docs["helan.html"])
        return status, {**headers, "X-Delay": "3"}, body

    def big(self):
        return self.ok(b"%PDF-1.4\n" + b"0" * (LIMIT + 100_000), "application/pdf")

    def stream(self):  # no Content-Length: the body ends when the connection closes
        return (
            200,
            {"Content-Type": "application/pdf", "Connection": "close"},
            iter([b"%PDF-1.4\n"] + [b"0" * 50_000] * 12),
        )

    def error_page(self):
        page = _page("页面不存在", "<p>对不起，您访问的页面不存在或已被删除。</p>")
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page

    # serving

    def ok(self, body: bytes, content_type: str = "text/html; charset=utf-8"):
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        return 200, {"Content-Type": content_type, "ETag": etag}, body

    def answer(self, path: str, headers: dict) -> tuple[int, dict, object]:
        route = self.routes.get(path)
        if route is None:
            return 404, {"Content-Type": "text/html"}, b"<html><body>404</body></html>"
        status, out, body = route()
        if status == 200 and "ETag" in out and headers.get("if-none-match") == out["ETag"]:
            return 304, {"ETag": out["ETag"]}, b""
        if (
            status == 200
            and "ETag" not in out
            and "Last-Modified" in out
            and headers.get("if-modified-since") == out["Last-Modified"]
        ):
            return 304, {"Last-Modified": out["Last-Modified"]}, b""
        return status, out, body

    def counts(self) -> Counter:
        return Counter(path for path, _, _ in self.requests)

    def statuses(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for path, status, _ in self.requests:
            out.setdefault(path, []).append(status)
        return out


def _handler(site: GovSite):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            # In flight: from the request's arrival until its answer starts (a client
            # sends its next request only after that, if it sends one at a time).
            headers = {k.lower(): v for k, v in self.headers.items()}
            with site.lock:
                site.in_flight += 1
                site.max_in_flight = max(site.max_in_flight, site.in_flight)
            waiting = [True]

            def answered():
                if waiting.pop() if waiting else False:
                    with site.lock:
                        site.in_flight -= 1

            try:
                path = unquote(urlsplit(self.path).path)
                status, out, body = site.answer(path, headers)
                with site.lock:
                    site.requests.append((path, status, headers))
                delay = float(out.pop("X-Delay", 0))
                if delay:
                    answered()  # the client gives up meanwhile
                    site.stop.wait(delay)
                answered()
                self.send_response(status)
                for name, value in out.items():
                    self.send_header(name, value)
                if isinstance(body, bytes):
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.close_connection = True
                    self.end_headers()
                    for chunk in body:
                        self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            finally:
                answered()

    return Handler


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # a client that hung up early
        pass


@pytest.fixture
def site(documents):
    site = GovSite(documents)
    server = QuietServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield site
    site.stop.set()
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _options(**more) -> CollectOptions:
    values = dict(
        delay=0,
        backoff=0,
        retries=1,
        connect_timeout=2,
        read_timeout=1,
        max_bytes=LIMIT,
        contact="https://example.org/test-contact",
    )
    return CollectOptions(**{**values, **more})


def _files(raw: Path) -> dict[str, tuple[int, int]]:
    """Every name under raw (hidden ones included): (inode, mtime_ns)."""
    return {
        p.relative_to(raw).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(raw.rglob("*"))
        if p.is_file()
    }


# -- the site, three runs ---------------------------------------------------------


@pytest.mark.e2e
def test_three_runs_over_the_test_site(site, documents, tmp_path):
    raw = tmp_path / "raw"
    down = Source("停用站点", f"http://127.0.0.1:{_closed_port()}/ndbg/index.html")
    county = Source("测试县", site.base + LISTING, organization="测试县人民政府", max_pages=3)
    events: list[tuple[str, dict]] = []

    def listener(kind, fields):
        events.append((kind, fields))
        if kind == "page":
            raise RuntimeError("a broken display")  # never stops the collection

    summary = collect([down, county], raw, _options(), on_event=listener)

    # the site that is down is recorded and the next one walked all the same
    assert summary["停用站点"].failures[0].reason.startswith("robots.txt could not be read")
    assert summary["停用站点"].new_files == []

    s = summary["测试县"]
    docx_url = f"{site.base}{DOCX_PATH}?{DOCX_QUERY}"
    docx_name = f"测试县/固原市2018年报-{url_hash(docx_url)}.docx"
    changing_name = f"测试县/content-{url_hash(site.base + '/xxgk/ndbg/2018b/content.html')}.html"
    expected = [
        "测试县/t20190115_1.html",
        "测试县/隆德县2020年报.pdf",
        docx_name,
        "测试县/guyuan-2018.doc",
        "测试县/content.html",
        changing_name,
    ]
    assert s.new_files == expected
    assert s.changed_files == [] and s.unchanged_files == [] and s.error is None
    failed = {urlsplit(f.url).path: f.reason for f in s.failures}
    assert set(failed) == {
        "/xxgk/ndbg/2020/missing.html",
        "/xxgk/ndbg/2017/slow.html",
        "/xxgk/ndbg/2016/loop.html",
        "/xxgk/ndbg/files/big-2015.pdf",
        "/xxgk/ndbg/files/stream-2014.pdf",
        "/xxgk/ndbg/files/error-2013.pdf",
    }
    assert failed["/xxgk/ndbg/2020/missing.html"] == "HTTP 404 Not Found"
    assert failed["/xxgk/ndbg/2017/slow.html"].startswith("timed out waiting for the response")
    assert failed["/xxgk/ndbg/2016/loop.html"] == (
        f"redirect loop: {site.base}/xxgk/ndbg/2016/loop.html → "
        f"{site.base}/xxgk/ndbg/2016/loop2.html → {site.base}/xxgk/ndbg/2016/loop.html"
    )
    assert "Content-Length 0.5 MB, over the 0.4 MB limit" in failed["/xxgk/ndbg/files/big-2015.pdf"]
    assert "download abandoned" in failed["/xxgk/ndbg/files/stream-2014.pdf"]
    assert failed["/xxgk/ndbg/files/error-2013.pdf"].startswith(
        "an HTML page served as .pdf (Content-Type text/html; charset=utf-8): not a report"
    )
    skipped = {f.url: f.reason for f in s.skipped}
    assert skipped == {
        site.base + "/private/2019年度报告.pdf": "disallowed by robots.txt",
        "http://www.example.gov.cn/ndbg/2019.pdf": (
            "on another host (www.example.gov.cn): not collected; the source's extra_hosts "
            "lists the hosts allowed besides the listing's"
        ),
    }
    assert s.pages_fetched == 3 + 4  # listing pages; report pages A, B, flaky, changing
    rows = summary.rows()
    assert {r["outcome"] for r in rows} == {"failed", "skipped"}
    assert [
        r["url"] for r in rows if r["source"] == "测试县" and r["outcome"] == "skipped"
    ] == list(skipped)

    # what the site saw: one request per URL, a retry only for the 500 and the timeout
    first = site.statuses()
    assert first == {
        "/robots.txt": [200],
        LISTING: [200],
        "/xxgk/ndbg/index_1.html": [200],
        "/xxgk/ndbg/index_2.html": [200],
        "/xxgk/ndbg/2018/t20190115_1.html": [200],
        PDF_PATH: [200],
        "/xxgk/ndbg/2018/t20190120_2.html": [200],
        DOCX_PATH: [200],
        DOC_PATH: [200],
        "/xxgk/ndbg/2020/missing.html": [404],
        "/xxgk/ndbg/2018a/content.html": [500, 200],
        "/xxgk/ndbg/2017/slow.html": [200, 200],  # answered after the client gave up, twice
        "/xxgk/ndbg/2016/loop.html": [302],
        "/xxgk/ndbg/2016/loop2.html": [302],
        "/xxgk/ndbg/files/big-2015.pdf": [200],
        "/xxgk/ndbg/files/stream-2014.pdf": [200],
        "/xxgk/ndbg/files/error-2013.pdf": [200],
        "/xxgk/ndbg/2018b/content.html": [200],
    }
    assert site.max_in_flight == 1  # one request at a time
    agents = {h["user-agent"] for _, _, h in site.requests}
    assert len(agents) == 1
    assert agents.pop().startswith("disclosure-warehouse/")
    assert all("https://example.org/test-contact" in h["user-agent"] for _, _, h in site.requests)

    # the files: the bytes served, nothing else in the folder but the hidden manifest
    county_dir = raw / "测试县"
    assert (county_dir / "隆德县2020年报.pdf").read_bytes() == documents["longde.pdf"]
    assert (raw / docx_name).read_bytes() == documents["guyuan.docx"]
    assert (county_dir / "guyuan-2018.doc").read_bytes() == documents["guyuan.doc"]
    assert (county_dir / "content.html").read_bytes() == documents["jingui.html"]
    assert (raw / changing_name).read_bytes() == documents["xixia.html"]
    listed = _files(raw)
    assert sorted(listed) == sorted(
        [*expected, f"测试县/{MANIFEST_NAME}", f"停用站点/{MANIFEST_NAME}"]
    )
    assert not any(TEMP_PREFIX in p for p in listed)

    # discovery reads the reports and skips the manifests
    found = {f.source_path: f.source_format for f in discover(raw)}
    assert found == {
        "测试县/t20190115_1.html": "html",
        "测试县/隆德县2020年报.pdf": "pdf",
        docx_name: "docx",
        "测试县/guyuan-2018.doc": "doc",
        "测试县/content.html": "html",
        changing_name: "html",
    }

    # the manifest: where each file came from
    frame = read_manifests(raw)
    assert frame.schema == COLLECTED_FILES_SCHEMA
    assert frame["source_path"].to_list() == sorted(expected)
    by_path = {r["source_path"]: r for r in frame.iter_rows(named=True)}
    pdf = by_path["测试县/隆德县2020年报.pdf"]
    assert pdf["url"] == site.base + "/xxgk/ndbg/files/隆德县2020年报.pdf"
    assert pdf["referring_page"] == site.base + LISTING
    assert pdf["link_text"] == "隆德县2020年政府信息公开工作年度报告（PDF）"
    assert pdf["page_title"] == "政府信息公开年报_政府信息公开年报_测试县人民政府"
    assert pdf["sha256"] == hashlib.sha256(documents["longde.pdf"]).hexdigest()
    assert pdf["size_bytes"] == len(documents["longde.pdf"])
    assert pdf["http_status"] == 200 and pdf["etag"] and pdf["content_type"] == "application/pdf"
    assert pdf["format"] == "pdf" and pdf["fetched_at"] is not None
    docx = by_path[docx_name]
    assert docx["referring_page"] == site.base + "/xxgk/ndbg/2018/t20190120_2.html"
    assert (
        docx["page_title"] == "固原市2018年政府信息公开工作年度报告_政府信息公开年报_测试县人民政府"
    )
    assert docx["link_text"] == "固原市2018年报.docx" and docx["etag"] is None
    helan = by_path["测试县/t20190115_1.html"]
    assert helan["page_title"] == documents["titles"]["000_0fd2e533e51a0851"]
    assert helan["link_text"] == "贺兰县2018年政府信息公开工作年度报告"
    assert by_path[changing_name]["content_type"] == "text/html; charset=gb2312"

    kinds = Counter(kind for kind, _ in events)
    assert kinds["source"] == kinds["source_done"] == 2 and kinds["file"] == 6
    assert kinds["limit"] == 1  # index_3.html is past max_pages

    # second run: nothing new; validators answer 304, the DOCX without any is hashed
    before = listing(raw)
    site.requests.clear()
    summary = collect([county], raw, _options())
    s = summary["测试县"]
    assert s.new_files == [] and s.changed_files == []
    assert sorted(s.unchanged_files) == sorted(expected)
    after = _files(raw)
    assert {p for p in after if after[p] != listed[p]} == {f"测试县/{MANIFEST_NAME}"}  # checked_at
    assert listing(raw) == before  # what the raw-folder sensor sees: unchanged
    second = site.statuses()
    assert second == {
        **first,
        LISTING: [304],
        "/xxgk/ndbg/index_1.html": [304],
        "/xxgk/ndbg/index_2.html": [304],
        "/xxgk/ndbg/2018/t20190115_1.html": [304],
        PDF_PATH: [304],
        "/xxgk/ndbg/2018/t20190120_2.html": [304],
        DOCX_PATH: [200],
        DOC_PATH: [304],
        "/xxgk/ndbg/2018a/content.html": [304],
        "/xxgk/ndbg/2018b/content.html": [304],
    }
    conditional = {p: h for p, st, h in site.requests if st == 304}
    assert all("if-none-match" in h for p, h in conditional.items() if p != DOC_PATH)
    assert conditional[DOC_PATH]["if-modified-since"] == LAST_MODIFIED
    assert len(s.failures) == 6 and len(s.skipped) == 2

    # third run: the changed page, and only it, is fetched and rewritten
    site.requests.clear()
    site.version = 2
    summary = collect([county], raw, _options())
    s = summary["测试县"]
    assert s.new_files == [] and s.changed_files == [changing_name]
    assert sorted(s.unchanged_files) == sorted(p for p in expected if p != changing_name)
    assert (raw / changing_name).read_bytes() == documents["xixia-v2.html"]
    third = site.statuses()
    assert third == {**second, "/xxgk/ndbg/2018b/content.html": [200]}
    third_files = _files(raw)
    rewritten = {p for p in third_files if third_files[p] != after[p]}
    assert rewritten == {changing_name, f"测试县/{MANIFEST_NAME}"}
    row = read_manifests(raw).filter(source_path=changing_name).row(0, named=True)
    assert row["sha256"] == hashlib.sha256(documents["xixia-v2.html"]).hexdigest()


@pytest.mark.e2e
def test_a_file_deleted_by_hand_is_fetched_again(site, tmp_path):
    raw = tmp_path / "raw"
    county = Source("测试县", site.base + LISTING, max_pages=1, link_pattern=r"\.pdf$")
    assert collect([county], raw, _options())["测试县"].new_files == ["测试县/隆德县2020年报.pdf"]
    (raw / "测试县" / "隆德县2020年报.pdf").unlink()
    site.requests.clear()
    summary = collect([county], raw, _options())
    assert summary["测试县"].new_files == ["测试县/隆德县2020年报.pdf"]
    pdf = [h for p, _, h in site.requests if p == PDF_PATH]
    assert len(pdf) == 1 and "if-none-match" not in pdf[0]  # asked for whole


@pytest.mark.unit
def test_a_source_that_breaks_is_recorded_and_the_run_goes_on(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "坏").write_text("a file where the folder should be")

    def answer(request):
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if request.url.path.endswith("index.html"):
            page = _page("年报", _li("/2019/a.pdf", "2019年政府信息公开工作年度报告"))
            return httpx.Response(200, content=page, headers={"Content-Type": "text/html"})
        return httpx.Response(200, content=b"%PDF-1.4\n%%EOF\n")

    sources = [Source("坏", "http://a.test/index.html"), Source("好", "http://b.test/index.html")]
    summary = collect(sources, raw, _options(), transport=httpx.MockTransport(answer))
    assert summary["坏"].error.startswith("FileExistsError")
    assert summary["坏"].failures[0].reason.startswith("source stopped: FileExistsError")
    assert summary["好"].new_files == ["好/a.pdf"] and summary["好"].ok


# -- the polite client ------------------------------------------------------------------


class FakeTime:
    def __init__(self):
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.mark.unit
def test_one_request_at_a_time_per_host_with_a_delay():
    t = FakeTime()
    seen = []

    def answer(request):
        seen.append((request.url.host, t.now))
        return httpx.Response(200, content=b"ok")

    options = CollectOptions(delay=1.5)
    with PoliteClient(
        options, transport=httpx.MockTransport(answer), sleep=t.sleep, clock=t.clock
    ) as c:
        for url in ("http://a.test/1", "http://a.test/2", "http://b.test/1", "http://a.test/3"):
            c.get(url)
        c.set_delay("http://b.test/", 5)  # robots.txt's Crawl-delay
        c.get("http://b.test/2")
    assert seen == [("a.test", 100.0), ("a.test", 101.5), ("b.test", 101.5), ("a.test", 103.0),
                    ("b.test", 106.5)]  # fmt: skip
    assert t.sleeps == [1.5, 1.5, 3.5]


@pytest.mark.unit
def test_retries_back_off_on_5xx_and_connection_errors_never_on_4xx():
    t = FakeTime()
    calls = Counter()

    def answer(request):
        calls[request.url.path] += 1
        n = calls[request.url.path]
        if request.url.path == "/busy":
            return httpx.Response(503, headers={"Retry-After": "7"} if n == 1 else {})
        if request.url.path == "/down" and n < 3:
            raise httpx.ConnectError("connection refused")
        if request.url.path == "/gone":
            return httpx.Response(410)
        if request.url.path == "/slow-down":
            return httpx.Response(429)
        return httpx.Response(200, content=b"ok")

    options = CollectOptions(delay=0, backoff=1, retries=2)
    transport = httpx.MockTransport(answer)
    with PoliteClient(options, transport=transport, sleep=t.sleep, clock=t.clock) as c:
        with pytest.raises(FetchError) as e:
            c.get("http://a.test/busy")
        assert e.value.reason == "HTTP 503 Service Unavailable (3 tries)" and e.value.status == 503
        assert t.sleeps == [7, 2]  # Retry-After, then the backoff
        t.sleeps.clear()
        assert c.get("http://a.test/down").body() == b"ok"
        assert t.sleeps == [1, 2]
        with pytest.raises(FetchError, match="HTTP 410 Gone"):
            c.get("http://a.test/gone")
        with pytest.raises(FetchError, match="the site asks for fewer requests"):
            c.get("http://a.test/slow-down")
    assert calls == {"/busy": 3, "/down": 3, "/gone": 1, "/slow-down": 1}


@pytest.mark.unit
def test_redirects_are_followed_within_limits_and_checked():
    def answer(request):
        path = request.url.path
        if path.startswith("/hop"):
            n = int(path[4:])
            return httpx.Response(302, headers={"Location": f"/hop{n + 1}"})
        if path == "/away":
            return httpx.Response(301, headers={"Location": "http://elsewhere.test/x.pdf"})
        if path == "/to-final":
            return httpx.Response(307, headers={"Location": "final"})
        return httpx.Response(200, content=b"here")

    def check(url):
        return "on another host" if "elsewhere" in url else None

    with PoliteClient(CollectOptions(delay=0), transport=httpx.MockTransport(answer)) as c:
        r = c.get("http://a.test/to-final", check=check)
        assert (r.final_url, r.redirects, r.body()) == (
            "http://a.test/final",
            ("http://a.test/final",),
            b"here",
        )
        with pytest.raises(FetchError, match=r"too many redirects \(more than 5\)"):
            c.get("http://a.test/hop0")
        with pytest.raises(
            FetchError, match=r"on another host \(redirected from http://a.test/away\)"
        ):
            c.get("http://a.test/away", check=check)


@pytest.mark.unit
def test_a_download_streams_into_a_hidden_file_and_stops_past_the_limit(tmp_path):
    def answer(request):
        size = int(request.url.path.strip("/"))
        return httpx.Response(200, content=iter([b"x" * 1000] * (size // 1000)))

    with PoliteClient(
        CollectOptions(delay=0, max_bytes=5000), transport=httpx.MockTransport(answer)
    ) as c:
        r = c.get("http://a.test/5000", folder=tmp_path)
        assert r.path.parent == tmp_path and r.path.name.startswith(TEMP_PREFIX)
        assert r.size == 5000 and r.sha256 == hashlib.sha256(b"x" * 5000).hexdigest()
        r.discard()
        with pytest.raises(FetchError, match="over the 5000 bytes limit"):
            c.get("http://a.test/6000", folder=tmp_path)
    assert list(tmp_path.iterdir()) == []  # the abandoned download is gone


@pytest.mark.unit
def test_robots_missing_allows_everything_unreachable_forbids_it():
    def answer(request):
        if request.url.host == "open.test":
            return httpx.Response(404)
        if request.url.host == "down.test":
            return httpx.Response(503)
        body = b"User-agent: disclosure-warehouse\nDisallow: /x/\nCrawl-delay: 3\n"
        return httpx.Response(200, content=body)

    t = FakeTime()
    options = CollectOptions(delay=0, backoff=0, retries=1)
    with PoliteClient(
        options, transport=httpx.MockTransport(answer), sleep=t.sleep, clock=t.clock
    ) as c:
        robots = Robots(c)
        assert robots.allowed("http://open.test/anything")
        assert robots.problem("http://down.test/a") == (
            "robots.txt could not be read (HTTP 503 Service Unavailable (2 tries)): site not walked"
        )
        assert not robots.allowed("http://down.test/a")
        assert not robots.allowed("http://rules.test/x/1.pdf")
        assert robots.allowed("http://rules.test/y/1.pdf")
        c.get("http://rules.test/y/1.pdf")
        c.get("http://rules.test/y/2.pdf")
    assert t.sleeps[-1] == 3  # the Crawl-delay


# -- links, names, content --------------------------------------------------------------


@pytest.mark.unit
def test_pages_links_and_what_holds_a_report(documents):
    listing_url = "http://h.test/xxgk/ndbg/index.html"
    html = _page(
        "年报",
        _li("2019/t1.html", "某县2019年政府信息公开工作年度报告")
        + _li("/pdfjs/web/viewer.html?file=/up/2018%E5%B9%B4%E6%8A%A5.pdf", "2018年年报")
        + '<a href="index_1.html">下一页</a> <a href="/other/index_2.html">下一页</a>'
        + '<a href="javascript:void(0)">打印</a><a href="#top">顶部</a>',
        'createPageHTML(4, 0, "index", "shtml");',
    )
    page = parse_page(html, listing_url)
    urls = [link.url for link in page.links]
    assert "http://h.test/up/2018年报.pdf" in urls  # the viewer's file
    assert not any(u.startswith("javascript") or "#" in u for u in urls)
    pagers = [link.url for link in page.links if is_pagination(link, listing_url)]
    assert pagers == [
        "http://h.test/xxgk/ndbg/index.html",  # the navigation's link to the listing
        "http://h.test/xxgk/ndbg/index_1.html",
        "http://h.test/xxgk/ndbg/index.shtml",
        "http://h.test/xxgk/ndbg/index_1.shtml",
        "http://h.test/xxgk/ndbg/index_2.shtml",
        "http://h.test/xxgk/ndbg/index_3.shtml",
    ]
    reports = [link.text for link in page.links if is_report_link(link)]
    assert reports == ["某县2019年政府信息公开工作年度报告", "2018年年报"]
    assert not page.holds_report  # a listing
    assert not is_report_link(Link("http://h.test/xxgk/ndbg/", "政府信息公开年报"))  # no year
    assert is_report_link(Link("http://h.test/ndbg/2021/t1.html", "详情"))  # URL says both
    assert is_attachment(Link("http://h.test/download.jsp?id=1", "附件：2020年报.wps"))
    gbk = parse_page(documents["xixia.html"], "http://h.test/a.html")
    assert gbk.holds_report and gbk.title == documents["titles"]["004_81756f01c13aa782"]
    assert parse_page(documents["helan.html"], "http://h.test/a.html").holds_report


@pytest.mark.unit
@pytest.mark.parametrize(
    "url, fmt, disposition, name",
    [
        ("http://h/files/%E5%B9%B4%E6%8A%A5.pdf", "pdf", None, "年报.pdf"),
        ("http://h/ndbg/2019/", "html", None, "2019.html"),
        ("http://h/a/t2019_1.shtml", "html", None, "t2019_1.shtml"),
        ("http://h/a/.hidden.pdf", "pdf", None, "hidden.pdf"),
        ("http://h/a/~$report.docx", "docx", None, "report.docx"),
        ("http://h/a/report.wps", "doc", None, "report.wps"),
        ("http://h/a/report.wps", "docx", None, "report.docx"),
        ("http://h/a/report.pdf", "html", None, "report.html"),  # what the bytes are
        ('http://h/a/a b:c*"<>.pdf', "pdf", None, "a_b_c.pdf"),
        ("http://h/d.jsp?id=1", "pdf", None, f"d-{url_hash('http://h/d.jsp?id=1')}.pdf"),
        (
            "http://h/d.jsp?id=1",
            "docx",
            "attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.docx",
            f"年报-{url_hash('http://h/d.jsp?id=1')}.docx",
        ),
        ("http://h/file", "pdf", 'attachment; filename="r.pdf"', "r.pdf"),
        ("http://h/", "html", None, "index.html"),
    ],
)
def test_file_names_are_safe_and_come_from_the_url(url, fmt, disposition, name):
    assert base_name(url, fmt, disposition) == name


@pytest.mark.unit
def test_a_name_taken_gets_a_hash_of_the_url():
    taken = {"index.html"}
    url = "http://h/2019/index.html"
    assert choose_name(url, "html", None, taken.__contains__) == f"index-{url_hash(url)}.html"
    assert choose_name("http://h/2020/a.html", "html", None, taken.__contains__) == "a.html"


@pytest.mark.unit
def test_bytes_against_what_the_link_claimed():
    assert refusal("html", "pdf", ".pdf") == "an HTML page served as .pdf: not a report; not saved"
    assert refusal("unknown", "docx", ".docx").startswith("bytes of no known document format")
    assert refusal("text", None, "text/plain") == "plain text (text/plain): not a report; not saved"
    assert refusal("pdf", "doc", ".doc") is None  # a PDF named .doc is still a report
    assert refusal("doc", "doc", ".wps") is None and refusal("html", "html", ".html") is None


# -- the manifest -------------------------------------------------------------------------


@pytest.mark.unit
def test_the_manifest_is_hidden_from_discovery_and_read_back(tmp_path):
    folder = tmp_path / "某县"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    manifest = Manifest(folder)
    manifest.put(
        Entry(url="http://h/list.html", role="listing", links=[["http://h/a.pdf", "年报"]])
    )
    manifest.put(
        Entry(
            url="http://h/a.pdf",
            role="file",
            referring_page="http://h/list.html",
            link_text="2019年年报",
            fetched_at="2024-05-01T08:00:00+00:00",
            checked_at="2024-05-02T08:00:00+00:00",
            http_status=200,
            size_bytes=15,
            sha256="ab" * 32,
            local_path="某县/a.pdf",
            format="pdf",
        )
    )
    manifest.save()
    with open(folder / MANIFEST_NAME, "a", encoding="utf-8") as f:
        f.write("{not json\n")
    assert [f.source_path for f in discover(tmp_path)] == ["某县/a.pdf"]
    frame = read_manifests(tmp_path)
    assert frame.height == 1 and frame.schema == COLLECTED_FILES_SCHEMA
    row = frame.row(0, named=True)
    assert row["source_path"] == "某县/a.pdf" and row["source_name"] == "某县"
    assert row["fetched_at"].isoformat() == "2024-05-01T08:00:00+00:00"
    assert Manifest.load(folder).bad_lines == 1
    assert read_manifests(tmp_path / "nowhere").height == 0


# -- the sources file ----------------------------------------------------------------


@pytest.mark.unit
def test_the_example_sources_load_and_are_only_examples():
    sources = load_sources(EXAMPLE_SOURCES)
    assert len(sources) >= 2
    assert all(urlsplit(s.listing_url).hostname.endswith("example.gov.cn") for s in sources)
    assert "EXAMPLE ONLY" in EXAMPLE_SOURCES.read_text(encoding="utf-8")


HEADER = "name,listing_url,link_pattern,max_pages,region_code,extra_hosts\n"


@pytest.mark.unit
@pytest.mark.parametrize(
    "text, problem",
    [
        ("name,url\n", "line 1: missing column 'listing_url'"),
        ("name,listing_url,colour\n", "line 1: unknown column 'colour'"),
        (HEADER + ",http://a.test/\n", "line 2: empty name"),
        (
            HEADER + "a,http://a.test/\nA,http://b.test/\n",
            "line 3: duplicate name 'A' (also on line 2)",
        ),
        (HEADER + "a,ftp://a.test/\n", "line 2: listing_url 'ftp://a.test/' is not an http(s) URL"),
        (HEADER + "a,a.test/index.html\n", "is not an http(s) URL"),
        (HEADER + "a,http://a.test/,(unclosed\n", "line 2: bad link_pattern regex '(unclosed'"),
        (HEADER + "a,http://a.test/,,0\n", "line 2: max_pages '0' is not a whole number"),
        (HEADER + "a,http://a.test/,,,64010\n", "region_code '64010' is not a 6- or 12-digit"),
        (HEADER + "a,http://a.test/,,,,http://b.test/\n", "extra_hosts entry 'http://b.test/'"),
        (HEADER + ".hidden,http://a.test/\n", "starts with '.' or '~$'"),
        (HEADER + "a/b,http://a.test/\n", "cannot be a folder name"),
        (HEADER + "a,http://a.test/\nb,http://a.test/\n", "line 3: duplicate listing_url"),
        (HEADER + 'a,"http://a.test/\n', "line 2: "),
        (HEADER, "line 1: no sources listed"),
        ("# only a comment\n", "no header line"),
    ],
)
def test_sources_file_problems_name_the_file_and_line(text, problem):
    with pytest.raises(SourcesError) as e:
        parse_sources(text, "sources.csv")
    assert str(e.value).startswith("sources.csv")
    assert problem in str(e.value)


@pytest.mark.unit
def test_sources_file_lists_every_problem_and_reads_excel_csv(tmp_path):
    path = tmp_path / "sources.csv"
    path.write_bytes((HEADER + ",http://a.test/\nb,mailto:x\n").encode("utf-8"))
    with pytest.raises(SourcesError) as e:
        load_sources(path)
    assert [n for n, _ in e.value.problems] == [2, 3]
    assert str(e.value).splitlines()[1].startswith(f"{path}, line 3: listing_url 'mailto:x'")
    text = "# 来源\nname,listing_url,organization,region_code,max_pages,extra_hosts\n\n"
    text += "某县,https://www.mx.gov.cn/ndbg/,某县人民政府,640122,5,cdn.mx.gov.cn;files.mx.gov.cn\n"
    for encoding in ("utf-8-sig", "gb18030"):
        path.write_bytes(text.encode(encoding))
        (source,) = load_sources(path)
        assert source == Source(
            "某县",
            "https://www.mx.gov.cn/ndbg/",
            organization="某县人民政府",
            region_code="640122",
            max_pages=5,
            extra_hosts=("cdn.mx.gov.cn", "files.mx.gov.cn"),
        )
        assert source.line == 4
        assert source.hosts == {"www.mx.gov.cn", "cdn.mx.gov.cn", "files.mx.gov.cn"}
    with pytest.raises(SourcesError, match="cannot read the file"):
        load_sources(tmp_path / "missing.csv")


@pytest.mark.unit
def test_options_come_from_the_settings():
    settings = Settings.from_env(
        {
            "DISCLOSURE_COLLECT_CONTACT": "mailto:data@example.org",
            "DISCLOSURE_COLLECT_DELAY": "2.5",
            "DISCLOSURE_MAX_FILE_MB": "10",
        }
    )
    options = CollectOptions.from_settings(settings)
    assert options.delay == 2.5 and options.max_bytes == 10 << 20
    assert "(+mailto:data@example.org;" in options.user_agent
    assert CollectOptions.from_settings(Settings.from_env({})).delay == 1.0
    assert "example.org" in Settings.from_env({}).collect_contact  # a placeholder until set
