"""The format of a file, told from its bytes: one rule for discovery and the readers.

Discovery (`orchestration/ingest/files.py`) records this format in
landing.files and the readers dispatch on it, so a file is in landing.files
and in dim_report with the same format. Content decides, never the name
(extensions lie: a `.pdf` that is an HTML error page is html, a `.wps` that is
a zipped Word document is docx, a `.txt` holding a saved web page is html):

    pdf      `%PDF` at the start, or `%PDF-` in the first KB
    docx     a ZIP holding word/document.xml
    doc      an OLE container (legacy .doc / .wps / .xls): not read
    html     text (UTF-8, GB18030, UTF-16/32) with an HTML tag in its first 4 KB
    text     any other text
    unknown  anything else (a picture, a ZIP that is no Word document, binary data): not
             read (a picture a web page shows is read with the page: ingest/page_files.py)
"""

from __future__ import annotations

import codecs
import re
import zipfile
from io import BytesIO
from pathlib import Path, PurePosixPath

from .encoding import wide_encoding
from .refusals import Refusal

# Formats the extractor reads. Anything else is recorded, not extracted.
FORMATS = ("text", "pdf", "docx", "html")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc / .wps / .xls
HEAD_BYTES = 8192  # what discovery reads of a file to tell its format
# Picture signatures (PNG, JPEG, GIF, WebP, TIFF): told apart before text, since the
# bytes after some of them decode as GB18030.
_PICTURE = re.compile(
    rb"\x89PNG\r\n\x1a\n|\xff\xd8\xff|GIF8[79]a|RIFF....WEBP|II\*\x00|MM\x00\*", re.S
)
_HTML = re.compile(rb"<\s*(!doctype\s+html|html|head|body|meta|div|table|p)[\s>]", re.IGNORECASE)


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


def detect_format(source: Path | bytes) -> str:
    """text | pdf | docx | html, or doc / unknown for what is not read, of a
    file (read from disk: its first HEAD_BYTES, and its ZIP directory if it is
    a ZIP) or of its bytes."""
    if isinstance(source, bytes):
        head = source[:HEAD_BYTES]
    else:
        with source.open("rb") as f:
            head = f.read(HEAD_BYTES)
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(source) if isinstance(source, bytes) else source) as z:
                return "docx" if "word/document.xml" in z.namelist() else "unknown"
        except zipfile.BadZipFile:
            return "unknown"
    if head.startswith(OLE_MAGIC[:4]):
        return "doc"
    if _PICTURE.match(head) or not _looks_text(head):
        return "unknown"
    return "html" if _HTML.search(head[:4096]) else "text"


def format_refusal(source_format: str, source_path: str) -> Refusal | None:
    """Why a file of this format is not read (None: it is)."""
    if source_format == "doc":
        return Refusal("legacy_doc")
    if source_format not in FORMATS:
        return Refusal(
            "unsupported_format",
            extension=PurePosixPath(source_path).suffix.lower() or "no extension",
        )
    return None
