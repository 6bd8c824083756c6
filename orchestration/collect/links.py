"""Reading a fetched page: its title, its links, and whether it holds a report.

A listing page links to its other pages (pagination) and to reports:

- pagination: a link in the listing's own folder whose text is 下一页 / 下页 /
  尾页 / 末页 / a page number / › », or whose URL is `index[_N].html` there; the
  page counts TRS sites write in script (`createPageHTML(10, 0, "index",
  "html")`) become links to index.html … index_9.html;
- a report: text or URL naming an annual report (年度报告, 年报, 政府信息公开工作,
  `ndbg` in the URL) and a year 2008-2030 in text or URL.

A report page links to its attachments: any link whose URL or text ends in
.pdf, .docx, .doc or .wps (a PDF viewer's `?file=` included). A page holds the
report itself when it names one, says 政府信息公开, has a table of at least
four rows and some text (the 2019 template's statistics table is in the page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from posixpath import dirname
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import lxml.etree
import lxml.html

from orchestration.extract.encoding import canonical, decode
from orchestration.extract.model import IngestError

from .names import ATTACHMENT_SUFFIXES, text_suffix, url_suffix

REPORT_WORDS = re.compile(r"年度报告|年报|政府信息公开工作")
REPORT_URL_WORDS = re.compile(r"ndbg|nianbao|annual", re.IGNORECASE)
YEAR = re.compile(r"(?<!\d)20(?:0[89]|[12]\d|30)(?!\d)")
PAGER_TEXT = re.compile(r"下一?页|下页|后一?页|尾页|末页|最后一?页|[>›»]{1,2}|\d{1,3}|\[\d{1,3}\]")
PAGER_URL = re.compile(r"(?:index|default|list)(?:_\d+)?\.s?html?", re.IGNORECASE)
_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?\d+['\"]?\s*,\s*['\"](\w+)['\"]\s*,"
    r"\s*['\"](\w+)['\"]"
)
_DECLARED = re.compile(
    rb"""<(?:meta|\?xml)[^>]*?(?:charset|encoding)\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_SPACE = re.compile(r"[\s\xa0\u3000]+")
MIN_REPORT_TEXT = 300  # characters of a page that holds the report, not only a link to it
MIN_TABLE_ROWS = 4
MAX_GENERATED_PAGES = 1000


@dataclass(frozen=True)
class Link:
    url: str  # absolute, without fragment
    text: str  # whitespace collapsed

    def as_list(self) -> list[str]:
        return [self.url, self.text]


@dataclass(frozen=True)
class Page:
    url: str
    title: str | None
    links: tuple[Link, ...]
    holds_report: bool


def _charset(content_type: str | None, data: bytes) -> str | None:
    if content_type:
        m = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
        if m and canonical(m.group(1)):
            return m.group(1)
    m = _DECLARED.search(data[:16384])
    return m.group(1).decode("ascii") if m else None


def page_text(data: bytes, content_type: str | None = None) -> str:
    """The page's markup as text, whatever its encoding."""
    try:
        text, _ = decode(data, "page", declared=_charset(content_type, data))
    except IngestError:
        text = data.decode("gb18030", errors="replace")
    return _XML_DECLARATION.sub("", text, count=1)


def _squash(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def _clean_url(href: str, base: str) -> str | None:
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    url = parts._replace(fragment="").geturl()
    query = parse_qs(parts.query)
    for name in ("file", "url", "src"):  # a PDF viewer's page: the file it shows
        for target in query.get(name, []):
            if url_suffix(target) in ATTACHMENT_SUFFIXES:
                return _clean_url(unquote(target), url)
    return url


def _title(doc) -> str | None:
    for xpath in (
        "//meta[@name='ArticleTitle']/@content",
        "//title//text()",
        "//h1//text()",
    ):
        found = _squash(" ".join(doc.xpath(xpath)))
        if found:
            return found
    return None


def _generated_pages(script: str, url: str) -> list[Link]:
    links = []
    for m in _CREATE_PAGE.finditer(script):
        count, stem, ext = min(int(m.group(1)), MAX_GENERATED_PAGES), m.group(2), m.group(3)
        links += [Link(urljoin(url, f"{stem}.{ext}"), "")]
        links += [Link(urljoin(url, f"{stem}_{n}.{ext}"), "") for n in range(1, count)]
    return links


def _holds_report(doc, title: str | None) -> bool:
    for el in doc.xpath("//script|//style|//noscript"):
        el.drop_tree()
    body = _squash(doc.text_content())
    tables = [len(t.xpath(".//tr")) for t in doc.xpath("//table")]
    named = REPORT_WORDS.search(title or "") or REPORT_WORDS.search(body)
    return bool(
        named
        and "政府信息公开" in body
        and any(rows >= MIN_TABLE_ROWS for rows in tables)
        and len(body) >= MIN_REPORT_TEXT
    )


def parse_page(data: bytes, url: str, content_type: str | None = None) -> Page:
    """Title, links (in page order, each URL once) and whether the page holds a report."""
    text = page_text(data, content_type)
    try:
        doc = lxml.html.document_fromstring(text or "<html></html>")
    except (lxml.etree.ParserError, ValueError):
        return Page(url, None, (), False)
    base = url
    for href in doc.xpath("//base/@href"):
        base = urljoin(url, href.strip())
        break
    links: dict[str, Link] = {}

    def add(link: Link) -> None:
        if link.url not in links or (link.text and not links[link.url].text):
            links[link.url] = link

    for el in doc.iter("a", "area", "iframe", "embed", "object"):
        href = el.get("href") or el.get("src") or el.get("data")
        target = _clean_url(href or "", base)
        if target is None:
            continue
        text = _squash(el.text_content()) if el.tag == "a" else ""
        add(Link(target, text or _squash(el.get("title"))))
    for script in doc.xpath("//script/text()"):
        for link in _generated_pages(script, url):
            add(link)
    title = _title(doc)
    return Page(url, title, tuple(links.values()), _holds_report(doc, title))


def same_folder(url: str, listing_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(listing_url)
    return a.netloc.lower() == b.netloc.lower() and dirname(a.path) == dirname(b.path)


def is_pagination(link: Link, listing_url: str) -> bool:
    """A link to another page of the listing at `listing_url`."""
    if not same_folder(link.url, listing_url):
        return False
    name = unquote(urlsplit(link.url).path).rsplit("/", 1)[-1]
    return bool(PAGER_URL.fullmatch(name) or PAGER_TEXT.fullmatch(link.text))


def is_report_link(link: Link) -> bool:
    """A link naming an annual report and its year."""
    url = unquote(link.url)
    named = (
        REPORT_WORDS.search(link.text) or REPORT_WORDS.search(url) or REPORT_URL_WORDS.search(url)
    )
    return bool(named and (YEAR.search(link.text) or YEAR.search(url)))


def is_attachment(link: Link) -> bool:
    """A link to a document file, by the URL's or the text's extension."""
    return (
        url_suffix(link.url) in ATTACHMENT_SUFFIXES or text_suffix(link.text) in ATTACHMENT_SUFFIXES
    )
