"""Finding the raw files and telling their format from their content.

Discovery hashes every file (SHA-256: the extraction cache's key) unless the
caller passes the hashes of a previous run keyed by the file's stat
signature (path, size, mtime, ctime, inode): an unchanged file is then not
read again, which matters on a folder of thousands of PDFs. Any write to a
file changes its ctime, so a rewrite that keeps size and mtime is still seen.

Every name under the folder is accounted for: a file that cannot be read, a
folder that cannot be listed, a FIFO, a link to nowhere or a link loop, a
file deleted while the folder is read, each becomes a file with status
`unreadable` and the reason (a row of `ingest_error`, stage discover), and
discovery goes on with the others. The format is `detect_format`'s
(orchestration/extract/formats.py), the one the readers dispatch on; every
reason is a code of the refusal table (orchestration/extract/refusals.py).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from orchestration.extract.formats import OLE_MAGIC as OLE_MAGIC  # re-exported
from orchestration.extract.formats import detect_format, format_refusal
from orchestration.extract.refusals import Refusal

FILES_SCHEMA: dict[str, pl.DataType] = {
    "source_path": pl.Utf8,
    "source_sha256": pl.Utf8,
    "source_format": pl.Utf8,
    "size_bytes": pl.Int64,
    "status": pl.Utf8,  # ok | empty | unsupported | too_large | unreadable
    "code": pl.Utf8,  # the refusal table's code of the reason (NULL when ok)
    "reason": pl.Utf8,  # why a file is not handed to the extractor (NULL when ok)
}
MB = 1 << 20

StatKey = tuple[str, int, int, int, int]  # path, size, mtime_ns, ctime_ns, inode


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
    code: str | None = None  # the refusal table's code when status is not ok
    reason: str | None = None
    stat_key: StatKey | None = field(default=None, compare=False, repr=False)
    # The SHA-256 of the file's own bytes where source_sha256 covers more (a web page
    # with the pictures beside it: orchestration/ingest/page_files.py); None: the same.
    file_sha256: str | None = field(default=None, compare=False, repr=False)


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB // 10 else f"{n} bytes"


def classify(
    path: Path, source_format: str, size: int, limits: Limits
) -> tuple[str, Refusal | None]:
    """(status, refusal): whether the extractor gets the file, and if not, why."""
    if size == 0:
        return "empty", Refusal("empty_file")
    if (refused := format_refusal(source_format, path.name)) is not None:
        return "unsupported", refused
    if limits.max_file_bytes is not None and size > limits.max_file_bytes:
        return "too_large", Refusal("too_large", size=_mb(size), limit=_mb(limits.max_file_bytes))
    if (
        source_format in ("text", "html")
        and limits.max_text_bytes is not None
        and size > limits.max_text_bytes
    ):
        limit = _mb(limits.max_text_bytes)
        return "too_large", Refusal(
            "too_large_text", size=_mb(size), format=source_format, limit=limit
        )
    return "ok", None


@dataclass(frozen=True)
class Entry:
    """A name under the raw folder: a regular file with its stat, or why it is not one."""

    source_path: str
    path: Path
    st: os.stat_result | None = None
    problem: Refusal | None = None


def _why(error: OSError) -> str:
    return error.strerror or str(error)


def _vanished(problem: Refusal | None) -> bool:
    return problem is not None and problem.code == "vanished"


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

    def problem(code: str, **fields: str) -> Entry:
        return Entry(rel, path, problem=Refusal(code, **fields))

    try:
        st = path.stat()
    except FileNotFoundError:
        if is_link:
            return problem("dangling_link", target=_link_target(path))
        return problem("vanished")
    except OSError as e:
        if e.errno == errno.ELOOP:
            return problem("link_loop")
        return problem("unreadable_path", error=_why(e))
    if stat.S_ISDIR(st.st_mode):
        # Following folder links could walk out of the raw folder or in circles.
        return problem("folder_link")
    if not stat.S_ISREG(st.st_mode):
        return problem("not_a_file", kind=_special_kind(st.st_mode))
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
            refused = Refusal("unlistable_folder", error=_why(e))
            yield Entry(prefix.rstrip("/"), folder, problem=refused)
            continue
        for item in items:
            if item.name.startswith("."):
                continue
            rel, path = prefix + item.name, Path(item.path)
            try:
                is_dir, is_link = item.is_dir(follow_symlinks=False), item.is_symlink()
            except OSError as e:
                yield Entry(rel, path, problem=Refusal("unreadable_path", error=_why(e)))
                continue
            if is_dir:
                folders.append((path, rel + "/"))
            elif not item.name.startswith("~$"):
                yield _entry(path, rel, is_link)


def scanned(source_path: str) -> bool:
    """Whether `scan` lists this path under the raw folder (no hidden part, no Office
    lock file), told from the path alone."""
    parts = source_path.split("/")
    return not any(p.startswith(".") for p in parts) and not parts[-1].startswith("~$")


def sha256_of(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def stat_key(source_path: str, st: os.stat_result) -> StatKey:
    return (source_path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def unreadable(source_path: str, refused: Refusal, size: int | None = None) -> RawFile:
    return RawFile(source_path, None, "unknown", size, "unreadable", refused.code, refused.reason)


def _inspect(entry: Entry, limits: Limits, known_hashes: Mapping[StatKey, str]) -> RawFile:
    if entry.problem is not None:
        return unreadable(entry.source_path, entry.problem)
    key = stat_key(entry.source_path, entry.st)
    try:
        sha = known_hashes.get(key) or sha256_of(entry.path)
        fmt = detect_format(entry.path)
    except FileNotFoundError:
        return unreadable(entry.source_path, Refusal("vanished"), key[1])
    except OSError as e:
        return unreadable(entry.source_path, Refusal("unreadable_path", error=_why(e)), key[1])
    status, refused = classify(entry.path, fmt, key[1], limits)
    code, reason = (refused.code, refused.reason) if refused is not None else (None, None)
    return RawFile(entry.source_path, sha, fmt, key[1], status, code, reason, stat_key=key)


def discover(
    raw_dir: Path,
    limits: Limits = NO_LIMITS,
    known_hashes: Mapping[StatKey, str] | None = None,
) -> list[RawFile]:
    """Every name under `raw_dir` with its hash, format and status (see
    `scan`); a web page's hash covers the pictures saved beside it (page_files.py).
    A file whose stat signature is in `known_hashes` keeps that hash unread."""
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder {raw_dir} does not exist")
    from orchestration.ingest.page_files import with_pictures

    known_hashes = known_hashes or {}
    found = [_inspect(entry, limits, known_hashes) for entry in scan(raw_dir)]
    return sorted(with_pictures(raw_dir, found), key=lambda f: f.source_path)


def listing(raw_dir: Path) -> list[StatKey]:
    """(path, size, mtime_ns, ctime_ns, inode) of every file discovery would
    find, and (path, -1, 0, 0, 0) for every name it would report unreadable:
    a stat per name, no reads. ctime and inode see a rewrite that keeps size
    and mtime (`cp -p`, `touch -r`). Sorted."""
    out = []
    for entry in scan(raw_dir):
        if entry.st is not None:
            out.append(stat_key(entry.source_path, entry.st))
        elif not _vanished(entry.problem):  # a file deleted meanwhile is simply gone
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
            "code": f.code,
            "reason": f.reason,
        }
        for f in files
    ]
    return pl.DataFrame(rows, schema=FILES_SCHEMA, orient="row")
