"""Finding the raw files and telling their format from content and extension."""

from __future__ import annotations

import codecs
import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

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
    "status": pl.Utf8,  # ok | empty | unsupported
}


@dataclass(frozen=True)
class RawFile:
    source_path: str  # relative to the raw folder, forward slashes
    source_sha256: str
    source_format: str  # text | pdf | docx | html | doc | unknown
    size_bytes: int

    @property
    def status(self) -> str:
        if self.size_bytes == 0:
            return "empty"
        return "ok" if self.source_format in SUPPORTED_FORMATS else "unsupported"


def iter_raw_paths(raw_dir: Path):
    """Files under `raw_dir`, recursively; hidden files and folders (leading
    '.') and Office lock files ('~$') are skipped."""
    for dirpath, dirnames, filenames in os.walk(raw_dir):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith((".", "~$")):
                continue
            path = Path(dirpath) / name
            if path.is_file():
                yield path


def sha256_of(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _looks_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in head.lower()


def _looks_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
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


def discover(raw_dir: Path) -> list[RawFile]:
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder {raw_dir} does not exist")
    found = [
        RawFile(
            source_path=path.relative_to(raw_dir).as_posix(),
            source_sha256=sha256_of(path),
            source_format=detect_format(path),
            size_bytes=path.stat().st_size,
        )
        for path in iter_raw_paths(raw_dir)
    ]
    return sorted(found, key=lambda f: f.source_path)


def files_frame(files: list[RawFile]) -> pl.DataFrame:
    rows = [
        {
            "source_path": f.source_path,
            "source_sha256": f.source_sha256,
            "source_format": f.source_format,
            "size_bytes": f.size_bytes,
            "status": f.status,
        }
        for f in files
    ]
    return pl.DataFrame(rows, schema=FILES_SCHEMA, orient="row")
