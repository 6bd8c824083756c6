"""Turn one raw report file into an `Extraction` (see `model.py`).

read (format reader) → identify (title, organization, region, year) →
detect template → parse tables → narrative figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .identity import identify
from .model import Extraction, IngestError, Issue, content_sha256_of
from .narrative import extract_figures
from .normalize import normalize_document
from .readers import read_document
from .refusals import Refusal
from .tables import detect_template, parse_tables
from .tables.stream import tokens

__all__ = ["IngestError", "Refusal", "extract_bytes", "extract_file"]


def extract_bytes(
    data: bytes, source_path: str, pictures: Mapping[str, bytes] | None = None
) -> Extraction:
    """`pictures`: the files a saved web page shows beside it, by the src it gives
    (orchestration/ingest/page_files.py); `source_sha256` is then the hash of the
    page with them, as discovery computes it."""
    doc = normalize_document(read_document(data, source_path, pictures))
    if not any(any(c.strip() for c in r.cells) for r in doc.rows):
        raise Refusal("no_text")  # a PDF without text is refused by its reader
    ident, issues = identify(doc.rows)
    issues = [Issue("read", note) for note in doc.notes] + doc.issues + issues
    toks = tokens(doc.rows)  # lexed once for the template and the tables
    template = detect_template(doc.rows, toks)
    cells = []
    narrative = extract_figures(doc.rows, template)
    # A recognised statistics table makes a report, with or without a title; without
    # one, only a report's title does (an organization and a date are in any notice).
    if template is None:
        if ident.title is None:
            raise Refusal("not_a_report")
        reason = "no statistics table found"
        if doc.ocr_pages:
            reason += f": none could be read from the {doc.ocr_pages} pages read by OCR"
        issues.append(Issue("table", reason))
    else:
        cells, table_issues = parse_tables(doc.rows, template, narrative, toks)
        issues += table_issues
    return Extraction(
        source_path=source_path,
        source_sha256=content_sha256_of(data, pictures),
        source_format=doc.source_format,
        template=template,
        identity=ident,
        cells=cells,
        issues=issues,
        narrative=narrative,
        page_count=doc.page_count,
        line_count=doc.line_count,
        ocr_pages=doc.ocr_pages,
    )


def extract_file(path: Path, raw_root: Path) -> Extraction:
    """Extract one file; `source_path` is its path relative to the raw folder."""
    rel = path.resolve().relative_to(raw_root.resolve()).as_posix()
    try:
        data = path.read_bytes()
    except OSError as e:
        raise Refusal("unreadable_file", error=e.strerror or str(e)) from e
    return extract_bytes(data, rel)
