"""Whether downloaded bytes are what their URL or Content-Type claim.

The format comes from the ingest's detection (content first, the extension
only between text and HTML), so the collector keeps exactly the files the
ingest will read as documents. A document link (.pdf, .docx, .doc, .wps, or
such a Content-Type) must bring a PDF, a Word document or a legacy OLE file:
an HTML error page served as `.pdf` is refused. Text files are not reports
here (a site's plain-text page is an error or a stub).
"""

from __future__ import annotations

from pathlib import Path

from orchestration.ingest.files import detect_format

DOCUMENT_FORMATS = ("pdf", "docx", "doc")
_WHAT = {
    "html": "an HTML page",
    "text": "plain text",
    "unknown": "bytes of no known document format",
}


def format_of(path: Path) -> str:
    """pdf | docx | doc | html | text | unknown."""
    return detect_format(path)


def refusal(fmt: str, claimed: str | None, claim: str) -> str | None:
    """Why bytes of format `fmt` are not kept when `claim` (a URL extension or a
    Content-Type) said `claimed`; None when they are kept."""
    what = _WHAT.get(fmt, fmt)
    if claimed in DOCUMENT_FORMATS and fmt not in DOCUMENT_FORMATS:
        return f"{what} served as {claim}: not a report; not saved"
    if fmt not in (*DOCUMENT_FORMATS, "html"):
        return f"{what} ({claim}): not a report; not saved"
    return None
