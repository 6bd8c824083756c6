"""Local file names for collected URLs: safe, stable, derived from the URL path.

The name is the URL's last path segment (percent-decoded, so Chinese names
stay readable), with characters no file system takes replaced, no leading
'.', '_', '~' or '$' (discovery skips hidden files and Office lock files) and
the extension of what the bytes are. A URL with a query string
(`download.jsp?id=5`) takes the server's Content-Disposition file name when
it gives one, and a short hash of the URL always, since the query is what
tells its files apart. A name another URL already holds, or a file already in
the folder that the manifest does not know, gets a short hash of the URL
before its extension; a URL keeps the name the manifest gives it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from email.message import Message
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

ATTACHMENT_SUFFIXES = (".pdf", ".docx", ".doc", ".wps")
HTML_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")
TEXT_SUFFIXES = (".txt",)
# Extension of each format the ingest reads (or records, for doc)
FORMAT_SUFFIX = {"pdf": ".pdf", "docx": ".docx", "doc": ".doc", "html": ".html", "text": ".txt"}
CONTENT_TYPE_SUFFIX = {
    "application/pdf": ".pdf",
    "application/x-pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/kswps": ".wps",
    "application/wps-office.wps": ".wps",
    "application/vnd.ms-works": ".wps",
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
}
MAX_STEM_CHARS = 80
HASH_CHARS = 8

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|\s]+')
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:HASH_CHARS]


def media_type(content_type: str | None) -> str:
    """'application/pdf' of 'application/pdf; charset=binary' ('' when absent)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def url_suffix(url: str) -> str:
    """The lower-case extension of the URL's last path segment ('' when none)."""
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    m = _EXTENSION.search(name)
    return m.group(0).lower() if m else ""


def text_suffix(text: str) -> str:
    """The extension a link's text ends with ('附件：2022年年报.pdf' → '.pdf'), or ''."""
    m = _EXTENSION.search(text.strip())
    return m.group(0).lower() if m else ""


def disposition_name(header: str | None) -> str | None:
    """The file name of a Content-Disposition header (RFC 6266; GBK names sent raw too)."""
    if not header:
        return None
    msg = Message()
    msg["content-disposition"] = header
    name = msg.get_filename()
    if not name:
        return None
    try:  # a raw UTF-8 or GBK name arrives decoded as Latin-1
        raw = name.encode("latin-1")
    except UnicodeEncodeError:
        return unquote(name)
    for encoding in ("utf-8", "gb18030"):
        try:
            return unquote(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    return name


def _clean(part: str) -> str:
    part = _UNSAFE.sub("_", part).strip("_")
    return re.sub(r"^[._~$-]+", "", part)


def base_name(url: str, fmt: str, disposition: str | None = None) -> str:
    """The file name for `url` holding bytes of format `fmt` (pdf, docx, doc, html, text)."""
    parts = urlsplit(url)
    segments = [s for s in unquote(parts.path).split("/") if s]
    name = segments[-1] if segments else ""
    given = disposition_name(disposition)
    if given and (parts.query or not _EXTENSION.search(name)):
        name = PurePosixPath(given.replace("\\", "/")).name
    m = _EXTENSION.search(name)
    stem, ext = (name[: m.start()], m.group(0).lower()) if m else (name, "")
    if not _clean(stem) and len(segments) > 1:  # '/2023/' or '/2023/.pdf'
        stem = segments[-2]
    stem = _clean(stem)[:MAX_STEM_CHARS] or "index"
    wanted = FORMAT_SUFFIX.get(fmt, ext or ".bin")
    if fmt == "html" and ext in HTML_SUFFIXES:
        wanted = ext
    elif fmt == "doc" and ext == ".wps":
        wanted = ext  # a WPS document: OLE like .doc
    elif fmt == "docx" and ext == ".wps":
        wanted = ".docx"  # a WPS name on a zipped Word document
    if parts.query:
        stem = f"{stem}-{url_hash(url)}"
    return stem + wanted


def with_hash(name: str, url: str) -> str:
    path = PurePosixPath(name)
    return f"{path.stem}-{url_hash(url)}{path.suffix}"


def choose_name(url: str, fmt: str, disposition: str | None, taken: Callable[[str], bool]) -> str:
    """A name for a URL the manifest does not know; `taken(name)` says whether
    another URL or a file already there holds it."""
    name = base_name(url, fmt, disposition)
    if not taken(name):
        return name
    name = with_hash(name, url)
    n = 2
    while taken(name):  # a hash collision, or the name chosen by hand
        name = f"{PurePosixPath(name).stem}-{n}{PurePosixPath(name).suffix}"
        n += 1
    return name


def claimed_format(url: str, content_type: str | None, link_text: str = "") -> str | None:
    """What the URL, link text or Content-Type says the bytes are: pdf | docx | doc |
    html | text, None when nothing says."""
    for suffix in (url_suffix(url), text_suffix(link_text)):
        if suffix in ATTACHMENT_SUFFIXES:
            return {".pdf": "pdf", ".docx": "docx"}.get(suffix, "doc")
    suffix = CONTENT_TYPE_SUFFIX.get(media_type(content_type), "")
    if suffix in ATTACHMENT_SUFFIXES:
        return {".pdf": "pdf", ".docx": "docx"}.get(suffix, "doc")
    if suffix == ".html" or url_suffix(url) in HTML_SUFFIXES:
        return "html"
    if suffix == ".txt":
        return "text"
    return None
