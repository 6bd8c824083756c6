"""The websites to collect from: a CSV file, one 政府信息公开年报 column a row.

    name,listing_url,organization,region_code,link_pattern,max_pages,extra_hosts,notes

`name` and `listing_url` are required; the other columns may be left out or
empty. `name` is the folder the source's files go into under the raw folder,
so it must be a valid folder name that discovery reads (not starting with
'.' or '~$'). `link_pattern` is a regular expression the URL of every report
link on a listing page must match (re.search); `max_pages` bounds the listing
pages followed (default 20); `extra_hosts` lists other hosts (space, comma
or semicolon separated) the reports and attachments may live on besides the
listing's. Lines starting with '#' and blank lines are skipped. The file may
be UTF-8 (with or without a byte-order mark, as Excel saves it) or GB18030.

Every problem is reported at once, each with its file and line
(`SourcesError`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REQUIRED = ("name", "listing_url")
OPTIONAL = ("organization", "region_code", "link_pattern", "max_pages", "extra_hosts", "notes")
COLUMNS = REQUIRED + OPTIONAL
DEFAULT_MAX_PAGES = 20
MAX_PAGES_LIMIT = 1000
MAX_NAME_CHARS = 100

_REGION_CODE = re.compile(r"\d{6}(\d{6})?")
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?")
_HOST_SEPARATORS = re.compile(r"[\s,;，；]+")
_BAD_NAME_CHARS = re.compile(r"[/\\\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Source:
    """One listing of reports on one website."""

    name: str
    listing_url: str
    organization: str | None = None
    region_code: str | None = None
    link_pattern: str | None = None
    max_pages: int = DEFAULT_MAX_PAGES
    extra_hosts: tuple[str, ...] = ()
    line: int | None = field(default=None, compare=False)  # where it is in its file

    @property
    def pattern(self) -> re.Pattern[str] | None:
        return re.compile(self.link_pattern) if self.link_pattern else None

    @property
    def hosts(self) -> frozenset[str]:
        """The hosts (host[:port], lower case) pages and files are taken from."""
        return frozenset((host_of(self.listing_url), *self.extra_hosts))


class SourcesError(ValueError):
    """The sources file has problems: each is (line, message); line 0 is the file itself."""

    def __init__(self, path: str | Path, problems: list[tuple[int, str]]):
        self.path = str(path)
        self.problems = problems
        lines = [f"{self.path}" + (f", line {n}" if n else "") + f": {p}" for n, p in problems]
        super().__init__("\n".join(lines))


def host_of(url: str) -> str:
    """host[:port] of an http(s) URL, lower case, without the scheme's default port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return host if port in (None, default) else f"{host}:{port}"


def _name_problem(name: str) -> str | None:
    if not name:
        return "empty name"
    if _BAD_NAME_CHARS.search(name):
        return f"name {name!r} cannot be a folder name: no '/', '\\' or control characters"
    if name in (".", "..") or name.startswith((".", "~$")):
        return f"name {name!r} starts with '.' or '~$': discovery skips such folders"
    if len(name) > MAX_NAME_CHARS:
        return f"name {name[:20]!r}… is longer than {MAX_NAME_CHARS} characters"
    return None


def _url_problem(url: str) -> str | None:
    if not url:
        return "empty listing_url"
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"listing_url {url!r} is not an http(s) URL"
    if re.search(r"\s", url):
        return f"listing_url {url!r} contains spaces"
    try:
        parts.port
    except ValueError:
        return f"listing_url {url!r} has a bad port"
    return None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _parse_row(cells: dict[str, str], line: int, problems: list[tuple[int, str]]) -> Source | None:
    before = len(problems)
    name = cells.get("name", "")
    url = cells.get("listing_url", "")
    for problem in (_name_problem(name), _url_problem(url)):
        if problem:
            problems.append((line, problem))
    pattern = cells.get("link_pattern") or None
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as e:
            problems.append((line, f"bad link_pattern regex {pattern!r}: {e}"))
    region = cells.get("region_code") or None
    if region is not None and not _REGION_CODE.fullmatch(region):
        problems.append((line, f"region_code {region!r} is not a 6- or 12-digit division code"))
    max_pages = DEFAULT_MAX_PAGES
    if cells.get("max_pages"):
        try:
            max_pages = int(cells["max_pages"])
        except ValueError:
            max_pages = -1
        if not 1 <= max_pages <= MAX_PAGES_LIMIT:
            problems.append(
                (
                    line,
                    f"max_pages {cells['max_pages']!r} is not a whole number 1-{MAX_PAGES_LIMIT}",
                )
            )
    hosts = tuple(h.lower() for h in _HOST_SEPARATORS.split(cells.get("extra_hosts", "")) if h)
    for host in hosts:
        if not _HOST.fullmatch(host):
            problems.append((line, f"extra_hosts entry {host!r} is not a host name (host[:port])"))
    if len(problems) > before:
        return None
    return Source(
        name=name,
        listing_url=url,
        organization=cells.get("organization") or None,
        region_code=region,
        link_pattern=pattern,
        max_pages=max_pages,
        extra_hosts=hosts,
        line=line,
    )


def parse_sources(text: str, path: str | Path = "<sources>") -> list[Source]:
    """The sources in CSV `text`; `path` names it in errors."""
    problems: list[tuple[int, str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 0
    sources: list[Source] = []
    names: dict[str, int] = {}
    urls: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = [c.strip().lower() for c in row]
                header_line = line
                for column in REQUIRED:
                    if column not in header:
                        problems.append((line, f"missing column {column!r}"))
                for column in header:
                    if column not in COLUMNS:
                        problems.append(
                            (line, f"unknown column {column!r} (columns: {', '.join(COLUMNS)})")
                        )
                seen = set()
                for column in header:
                    if column in seen:
                        problems.append((line, f"column {column!r} appears twice"))
                    seen.add(column)
                if problems:
                    raise SourcesError(path, problems)
                continue
            if len(row) > len(header):
                problems.append((line, f"{len(row)} cells but {len(header)} columns"))
                continue
            cells = {c: v.strip() for c, v in zip(header, row)}
            source = _parse_row(cells, line, problems)
            if source is None:
                continue
            key = source.name.casefold()
            if key in names:
                problems.append(
                    (line, f"duplicate name {source.name!r} (also on line {names[key]})")
                )
                continue
            if source.listing_url in urls:
                problems.append(
                    (line, f"duplicate listing_url {source.listing_url!r} "
                     f"(also on line {urls[source.listing_url]})")
                )  # fmt: skip
                continue
            names[key] = urls[source.listing_url] = line
            sources.append(source)
    except csv.Error as e:
        problems.append((reader.line_num, f"not valid CSV: {e}"))
    if header is None and not problems:
        problems.append((0, f"no header line (columns: {', '.join(COLUMNS)})"))
    elif header is not None and not sources and not problems:
        problems.append((header_line, "no sources listed under the header"))
    if problems:
        raise SourcesError(path, problems)
    return sources


def load_sources(path: str | Path) -> list[Source]:
    """The sources listed in the CSV file at `path` (SourcesError on any problem)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SourcesError(path, [(0, f"cannot read the file: {e.strerror or e}")]) from e
    return parse_sources(_decode(data), path)
