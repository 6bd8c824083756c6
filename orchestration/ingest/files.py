"""Finding the raw files and telling their format from content and extension.

Discovery hashes every file (SHA-256: the extraction cache's key) unless the
caller passes the hashes of a previous run keyed by the file's stat
signature (path, size, mtime, ctime, inode): an unchanged file is then not
read again, which matters on a folder of thousands of PDFs. Any write to a
file changes its ctime, so a rewrite that keeps size and mtime is still seen.

Every name under the folder is accounted for: a file that cannot be read, a
folder that cannot be listed, a FIFO, a link to nowhere or a link loop, a
file deleted while the folder is read, each becomes a file with status
`unreadable` and the reason (a row of `ingest_error`, stage discover), and
discovery goes on with the others.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import stat
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from orchestration.extract.encoding import wide_encoding

# Formats the extractor reads. Anything else is recorded, not extracted.
SUPPORTED_FORMATS = ("text", "pdf", "docx", "html")
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text", ".csv", ".tsv"}
HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc / .wps / .xls
HEAD_BYTES = 8192

FILES_SCHEMA: dict[str, pl.DataType] = {
    "source_path": pl.Utf8,
    "source_sha256": pl.Utf8,
    "source_format": pl.Utf8,
    "size_bytes": pl.Int64,
    "status": pl.Utf8,  # ok | empty | unsupported | too_large | unreadable
    "reason": pl.Utf8,  # why a file is not handed to the extractor (NULL when ok)
}
MB = 1 << 20

StatKey = tuple[str, int, int, int, int]  # path, size, mtime_ns, ctime_ns, inode

VANISHED = "vanished during discovery: deleted or moved while the folder was read"


@dataclass(frozen=True)
class Limits:
    """File sizes above which a file is not extracted (None: no limit); see settings.py."""

    max_file_bytes: int | None = None
    max_text_bytes: int | None = None  # text and HTML


NO_LIMITS = Limits()


@dataclass(frozen=True)
class RawFile:
    source_path: str  # relative to the raw folder, forward slashes
    source_sha256: str | None  # None: the file could not be read
    source_format: str  # text | pdf | docx | html | doc | unknown
    size_bytes: int | None
    status: str = "ok"  # ok | empty | unsupported | too_large | unreadable
    reason: str | None = None
    stat_key: StatKey | None = field(default=None, compare=False, repr=False)


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB // 10 else f"{n} bytes"


def classify(path: Path, source_format: str, size: int, limits: Limits) -> tuple[str, str | None]:
    """(status, reason): whether the extractor gets the file, and if not, why."""
    if size == 0:
        return "empty", "empty file (0 bytes)"
    if source_format == "doc":
        return "unsupported", (
            "legacy Word .doc/.wps (OLE) file: not supported; save it as DOCX or PDF to load it"
        )
    if source_format not in SUPPORTED_FORMATS:
        ext = path.suffix.lower() or "no extension"
        return "unsupported", (
            f"unsupported format: the content is not PDF, DOCX, HTML or text ({ext})"
        )
    if limits.max_file_bytes is not None and size > limits.max_file_bytes:
        return "too_large", (
            f"file too large: {_mb(size)}, over the {_mb(limits.max_file_bytes)} limit for any "
            "file (DISCLOSURE_MAX_FILE_MB); not read"
        )
    if (
        source_format in ("text", "html")
        and limits.max_text_bytes is not None
        and size > limits.max_text_bytes
    ):
        return "too_large", (
            f"file too large: {_mb(size)} of {source_format}, over the "
            f"{_mb(limits.max_text_bytes)} limit for text and HTML (DISCLOSURE_MAX_TEXT_MB); "
            "a report's text is well under 1 MB and parsing takes about a second per MB"
        )
    return "ok", None


@dataclass(frozen=True)
class Entry:
    """A name under the raw folder: a regular file with its stat, or why it is not one."""

    source_path: str
    path: Path
    st: os.stat_result | None = None
    problem: str | None = None


def _why(error: OSError) -> str:
    return error.strerror or str(error)


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _entry(path: Path, rel: str, is_link: bool) -> Entry:
    """Stat what a name points to (links to files are followed) and say why
    it is not a regular file."""

    def problem(reason: str) -> Entry:
        return Entry(rel, path, problem=reason)

    try:
        st = path.stat()
    except FileNotFoundError:
        if is_link:
            target = _link_target(path)
            return problem(f"dangling symbolic link: its target {target} does not exist")
        return problem(VANISHED)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return problem("symbolic link loop: the link never reaches a file")
        return problem(f"cannot read file: {_why(e)}")
    if stat.S_ISDIR(st.st_mode):
        # Following folder links could walk out of the raw folder or in circles.
        return problem("symbolic link to a folder: not followed (move the folder in instead)")
    if not stat.S_ISREG(st.st_mode):
        return problem(f"{_special_kind(st.st_mode)}, not a file: not read")
    return Entry(rel, path, st)


def scan(raw_dir: Path) -> Iterator[Entry]:
    """Every name under `raw_dir`, recursively, except hidden files and
    folders (leading '.') and Office lock files ('~$'): regular files with
    their stat, and each other name with why it is not read. Only the raw
    folder itself failing to list raises."""
    folders = [(raw_dir, "")]
    while folders:
        folder, prefix = folders.pop()
        try:
            with os.scandir(folder) as listed:
                items = list(listed)
        except OSError as e:
            if not prefix:
                raise
            yield Entry(prefix.rstrip("/"), folder, problem=f"cannot list folder: {_why(e)}")
            continue
        for item in items:
            if item.name.startswith("."):
                continue
            rel, path = prefix + item.name, Path(item.path)
            try:
                is_dir, is_link = item.is_dir(follow_symlinks=False), item.is_symlink()
            except OSError as e:
                yield Entry(rel, path, problem=f"cannot read file: {_why(e)}")
                continue
            if is_dir:
                folders.append((path, rel + "/"))
            elif not item.name.startswith("~$"):
                yield _entry(path, rel, is_link)


def sha256_of(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _looks_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in head.lower()


def _looks_text(head: bytes) -> bool:
    if wide_encoding(head) is not None:  # UTF-16/32, with or without a byte-order mark
        return True
    head = head.replace(b"\x00", b"")  # stray NULs are dropped by the reader
    for encoding in ("utf-8", "gb18030"):
        try:
            # Not final: a multi-byte character may be cut at the end of the sample.
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return True
        except UnicodeDecodeError:
            continue
    return False


def detect_format(path: Path) -> str:
    """text | pdf | docx | html, or doc / unknown for what cannot be extracted.

    Content decides first (a `.pdf` that is really an HTML error page is html;
    a `.wps` that is a zipped Word document is docx); the extension decides
    between text and html when the bytes are plain text.
    """
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                return "docx" if "word/document.xml" in z.namelist() else "unknown"
        except zipfile.BadZipFile:
            return "unknown"
    if head.startswith(OLE_MAGIC):
        return "doc"
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES or _looks_html(head):
        return "html" if _looks_text(head) else "unknown"
    if suffix in TEXT_SUFFIXES or _looks_text(head):
        return "text" if _looks_text(head) else "unknown"
    return "unknown"


def stat_key(source_path: str, st: os.stat_result) -> StatKey:
    return (source_path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def unreadable(source_path: str, reason: str, size: int | None = None) -> RawFile:
    return RawFile(source_path, None, "unknown", size, "unreadable", reason)


def _inspect(entry: Entry, limits: Limits, known_hashes: Mapping[StatKey, str]) -> RawFile:
    if entry.problem is not None:
        return unreadable(entry.source_path, entry.problem)
    key = stat_key(entry.source_path, entry.st)
    try:
        sha = known_hashes.get(key) or sha256_of(entry.path)
        fmt = detect_format(entry.path)
    except FileNotFoundError:
        return unreadable(entry.source_path, VANISHED, key[1])
    except OSError as e:
        return unreadable(entry.source_path, f"cannot read file: {_why(e)}", key[1])
    status, reason = classify(entry.path, fmt, key[1], limits)
    return RawFile(entry.source_path, sha, fmt, key[1], status, reason, stat_key=key)


def discover(
    raw_dir: Path,
    limits: Limits = NO_LIMITS,
    known_hashes: Mapping[StatKey, str] | None = None,
) -> list[RawFile]:
    """Every name under `raw_dir` with its hash, format and status (see
    `scan`). A file whose stat signature is in `known_hashes` keeps that hash
    unread."""
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder {raw_dir} does not exist")
    known_hashes = known_hashes or {}
    found = [_inspect(entry, limits, known_hashes) for entry in scan(raw_dir)]
    return sorted(found, key=lambda f: f.source_path)


def listing(raw_dir: Path) -> list[StatKey]:
    """(path, size, mtime_ns, ctime_ns, inode) of every file discovery would
    find, and (path, -1, 0, 0, 0) for every name it would report unreadable:
    a stat per name, no reads. ctime and inode see a rewrite that keeps size
    and mtime (`cp -p`, `touch -r`). Sorted."""
    out = []
    for entry in scan(raw_dir):
        if entry.st is not None:
            out.append(stat_key(entry.source_path, entry.st))
        elif entry.problem != VANISHED:  # a file deleted meanwhile is simply gone
            out.append((entry.source_path, -1, 0, 0, 0))
    return sorted(out)


def listing_digest(entries: list[StatKey]) -> str:
    """A short digest of a listing: equal listings, equal digests."""
    digest = hashlib.sha256()
    for entry in entries:
        digest.update("\0".join(map(str, entry)).encode() + b"\n")
    return digest.hexdigest()[:32]


def files_frame(files: list[RawFile]) -> pl.DataFrame:
    rows = [
        {
            "source_path": f.source_path,
            "source_sha256": f.source_sha256,
            "source_format": f.source_format,
            "size_bytes": f.size_bytes,
            "status": f.status,
            "reason": f.reason,
        }
        for f in files
    ]
    return pl.DataFrame(rows, schema=FILES_SCHEMA, orient="row")
