"""One reader per input format; each turns file bytes into a `Document`."""

from __future__ import annotations

from collections.abc import Mapping

from ..formats import FORMATS, detect_format, format_refusal
from ..model import Document
from ..refusals import Refusal

__all__ = ["FORMATS", "read_document"]


def read_document(
    data: bytes, source_path: str, pictures: Mapping[str, bytes] | None = None
) -> Document:
    """The file's rows. `pictures`: the files a web page shows beside it, by src."""
    if not data:
        raise Refusal("empty_file")
    if not data.strip():
        raise Refusal("blank_file", size=len(data))
    fmt = detect_format(data)
    if (refused := format_refusal(fmt, source_path)) is not None:
        raise refused
    if fmt == "pdf":
        from .pdf import read_pdf

        return read_pdf(data, source_path)
    if fmt == "docx":
        from .docx import read_docx

        return read_docx(data, source_path)
    if fmt == "html":
        from .html import read_html

        return read_html(data, source_path, pictures)
    from .text import read_text

    return read_text(data, source_path)
