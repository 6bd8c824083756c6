"""One reader per input format; each turns file bytes into a `Document`."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

from ..model import Document, IngestError

FORMATS = ("text", "pdf", "docx", "html")
_HTML = re.compile(rb"<\s*(!doctype\s+html|html|head|body|meta|div|table|p)[\s>]", re.IGNORECASE)


def sniff_format(data: bytes, name: str) -> str:
    """The format from the content (extensions lie), falling back to the extension."""
    head = data[:4096]
    if head.startswith(b"%PDF") or (b"%PDF-" in head[:1024]):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(BytesIO(data)).namelist()
        except zipfile.BadZipFile as e:
            raise IngestError("read", f"corrupt ZIP container ({e})") from e
        if "word/document.xml" in names:
            return "docx"
        raise IngestError("read", "ZIP file that is not a Word document")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError(
            "read", "legacy Word .doc/.wps (OLE) file: save it as DOCX or PDF to load it"
        )
    if _HTML.search(head):
        return "html"
    return "text"


def read_document(data: bytes, source_path: str) -> Document:
    if not data.strip():
        raise IngestError("read", "empty file")
    fmt = sniff_format(data, source_path)
    if fmt == "pdf":
        from .pdf import read_pdf

        return read_pdf(data, source_path)
    if fmt == "docx":
        from .docx import read_docx

        return read_docx(data, source_path)
    if fmt == "html":
        from .html import read_html

        return read_html(data, source_path)
    from .text import read_text

    return read_text(data, source_path)
