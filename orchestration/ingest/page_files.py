"""The files a saved web page shows beside it.

A browser's "save page, complete" writes `报告.html` and a folder `报告_files/`
holding its pictures, and a statistics table pasted into a government site as
a picture is one of them. The reader OCRs such a picture (readers/html.py), so
the page's content is the page and those pictures: its source_sha256 covers
both (`orchestration.extract.model.content_sha256`), and a picture changed,
added or removed means a new parse, never a result served from the cache that
was computed without it.

A picture is an `<img src>` naming, relative to the page, a file discovery
lists under the raw folder; web addresses, site-root paths (`/images/…`: where
the site's root was is unknown) and paths leading out of the raw folder are
not followed. Such a file is not a report itself: discovery records it with
the reason `page_picture`, naming the page.

Discovery reads web pages for their pictures only when the raw folder holds
files of some other format (a folder of reports alone pays nothing), and
parses only pages with an `<img` naming no web address.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from orchestration.extract.model import content_sha256
from orchestration.extract.readers.html import picture_sources
from orchestration.extract.refusals import Refusal
from orchestration.ingest.files import RawFile, scanned

# An <img> whose src may be a local file: no scheme, no data: URI, no //host.
_LOCAL_IMG = re.compile(
    rb"""<img\b[^>]*?\bsrc\s*=\s*["']?\s*(?![a-z][a-z0-9+.-]*:|//)""", re.IGNORECASE
)


def resolve(src: str, page: str) -> str | None:
    """The path under the raw folder (forward slashes) that an `<img src>` of the page
    at `page` names; None for a web address, a site-root path or a path out of the
    raw folder."""
    parts = urlsplit(src.strip().replace("\\", "/"))
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    if not path or path.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    if joined in (".", "..") or joined.startswith("../") or joined == page:
        return None
    return joined


def pictures_of(data: bytes, page: str, listed: Callable[[str], bool]) -> list[tuple[str, str]]:
    """(src, path under the raw folder) of each picture of the page at `page` that
    `listed` says is a file there."""
    if not _LOCAL_IMG.search(data):
        return []
    try:
        sources = picture_sources(data, page)
    except Refusal:
        return []  # an unreadable page: its reader says so
    found = ((src, resolve(src, page)) for src in sources)
    return [(src, path) for src, path in found if path is not None and listed(path)]


def read_pictures(data: bytes, page: Path, raw_root: Path) -> dict[str, bytes]:
    """The bytes of the page's pictures on disk now, by src (in a worker: what it
    parses, hashed against what discovery found)."""
    rel = page.relative_to(raw_root).as_posix()
    out: dict[str, bytes] = {}
    for src, path in pictures_of(data, rel, lambda p: scanned(p) and (raw_root / p).is_file()):
        try:
            out[src] = (raw_root / path).read_bytes()
        except OSError:
            continue  # gone since: the content hash no longer matches discovery's
    return out


def with_pictures(raw_dir: Path, found: list[RawFile]) -> list[RawFile]:
    """Discovery's files, each web page's source_sha256 covering the pictures beside
    it (its own hash kept in file_sha256), each picture's reason naming its page."""
    if all(f.status == "ok" for f in found):
        return found
    by_path = {f.source_path: f for f in found}
    shown_by: dict[str, str] = {}
    out = []
    for f in found:
        if f.source_format != "html" or f.status != "ok" or f.source_sha256 is None:
            out.append(f)
            continue
        try:
            data = (raw_dir / f.source_path).read_bytes()
        except OSError:
            out.append(f)  # the worker's read says why
            continue
        pictures = [
            (src, path)
            for src, path in pictures_of(data, f.source_path, by_path.__contains__)
            if by_path[path].source_sha256 is not None
        ]
        for _, path in pictures:
            shown_by.setdefault(path, f.source_path)
        shas = [(src, by_path[path].source_sha256) for src, path in pictures]
        sha = content_sha256(f.source_sha256, shas)
        out.append(dataclasses.replace(f, source_sha256=sha, file_sha256=f.source_sha256))
    return [_picture(f, shown_by[f.source_path]) if f.source_path in shown_by else f for f in out]


def _picture(f: RawFile, page: str) -> RawFile:
    if f.status != "unsupported":
        return f  # a report (or an empty file) of its own, whatever a page shows
    refused = Refusal("page_picture", page=page)
    return dataclasses.replace(f, code=refused.code, reason=refused.reason)
