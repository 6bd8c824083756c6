"""What extraction produces for one file: the landing-table contract.

Every reader (text, PDF, DOCX, HTML) turns a file into a `Document`; the
parsers turn a `Document` into an `Extraction`.  The landing tables that dbt
reads as sources are the concatenation of many `Extraction`s, with the column
names and types declared here (`LANDING_SCHEMAS`) and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

import polars as pl

# Bump when a change to readers or parsers would change what a file yields:
# cached extractions made by another version are parsed again.
EXTRACTOR_VERSION = "5"  # 5: failures cached with the code of their refusal


@dataclass(frozen=True)
class Row:
    """One row of cells as laid out in the source, with where it was found."""

    cells: tuple[str, ...]
    locator: str  # "line 12", "page 3 table 1 row 4"
    page: int | None = None
    line: int | None = None
    # True when the cells come from a real table structure (pipe/tab separated
    # text, PDF ruling, DOCX/HTML table); False for a plain line of prose.
    tabular: bool = False
    # The cells as printed, when normalisation changed them (traditional script, glosses).
    original: tuple[str, ...] | None = None
    # False when the source ends inside this row with no closing mark: its last cell may
    # be cut short (an excerpt, a page saved half-loaded).
    closed: bool = True
    # Where each cell was found, when cells of one row were found apart (OCR: each cell's
    # box and confidence); None: every cell is at `locator`.
    cell_locators: tuple[str, ...] | None = None


@dataclass
class Document:
    """A file reduced to an ordered sequence of rows (prose lines and table rows)."""

    source_path: str  # relative to the raw folder, forward slashes
    source_format: str  # text | pdf | docx | html
    rows: list[Row]
    page_count: int | None = None
    line_count: int | None = None
    script: str = "simplified"  # traditional: converted to simplified before parsing
    notes: list[str] = field(default_factory=list)  # what the reader repaired (encoding, NULs)
    issues: list[Issue] = field(default_factory=list)  # what the reader could not read (OCR)
    ocr_pages: int = 0  # pages (PDF) or pictures (DOCX) read by OCR


@dataclass
class Cell:
    """One statistics-table cell with its provenance."""

    section: str
    row_label: str  # label as found (whitespace collapsed)
    column_label: str | None  # column header as found, None for single-value rows
    indicator_code: str | None  # None: the row matched no catalog code
    applicant_type: str
    value: float | None  # None when the cell is blank
    unit: str | None
    value_text: str  # the cell text as found ('' when blank)
    source_locator: str
    page: int | None = None
    line: int | None = None
    approximate: bool = False
    # How the cell was tied to its row: label (the label as the catalog or a
    # variant prints it), fuzzy_label (a near match), template_order (labels lost,
    # placed by the template's row order and confirmed by its arithmetic).
    match_method: str = "label"


@dataclass
class Issue:
    """A problem met while extracting: the affected cells are left NULL."""

    stage: str  # read | identify | table | value (implausible or unreadable) | narrative
    reason: str
    source_locator: str | None = None


@dataclass
class NarrativeFigure:
    sentence: str
    number: float
    number_text: str
    unit: str | None
    approximate: bool
    qualifier: str | None  # 余 多 近 约 …
    indicator_code: str | None
    source_locator: str
    page: int | None = None
    line: int | None = None


@dataclass
class Identity:
    title: str | None = None
    organization: str | None = None
    report_year: int | None = None
    region_name: str | None = None
    region_level: str | None = None
    region_code: str | None = None
    parent_region_name: str | None = None
    parent_region_code: str | None = None
    organization_kind: str | None = None
    report_scope: str | None = None


@dataclass
class Extraction:
    source_path: str
    source_sha256: str
    source_format: str
    template: str | None
    identity: Identity
    cells: list[Cell] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    narrative: list[NarrativeFigure] = field(default_factory=list)
    page_count: int | None = None
    line_count: int | None = None
    ocr_pages: int = 0  # pages (PDF) or pictures (DOCX) read by OCR

    @property
    def report_id(self) -> str:
        return report_id_for(self.source_path)


def report_id_for(source_path: str) -> str:
    """Stable id of the report held in a file: its path, so edits keep the id."""
    import hashlib

    return hashlib.sha1(source_path.encode("utf-8")).hexdigest()[:16]


def content_sha256(file_sha256: str, pictures: Iterable[tuple[str, str]] = ()) -> str:
    """The hash a file's content is known by (source_sha256: the cache's key, the
    test of identical copies): the SHA-256 of its bytes, or, for a saved web page
    that shows pictures saved beside it, of the page's hash and each picture's
    (src as the page gives it, SHA-256 of its bytes), so a changed picture is a
    changed report."""
    pictures = sorted(pictures)
    if not pictures:
        return file_sha256
    import hashlib

    digest = hashlib.sha256(f"web page {file_sha256}".encode())
    for src, sha in pictures:
        digest.update(f"\n{src}\t{sha}".encode())
    return digest.hexdigest()


def content_sha256_of(data: bytes, pictures: Mapping[str, bytes] | None = None) -> str:
    """`content_sha256` of a file's bytes and of the pictures it shows, by src."""
    import hashlib

    def sha(b: bytes) -> str:
        return hashlib.sha256(b).hexdigest()

    return content_sha256(sha(data), ((src, sha(b)) for src, b in (pictures or {}).items()))


LANDING_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "reports": {
        "report_id": pl.Utf8,
        "source_path": pl.Utf8,
        "source_sha256": pl.Utf8,
        "source_format": pl.Utf8,
        "template": pl.Utf8,
        "title": pl.Utf8,
        "organization": pl.Utf8,
        "report_year": pl.Int32,
        "region_name": pl.Utf8,
        "region_level": pl.Utf8,
        "region_code": pl.Utf8,
        "parent_region_name": pl.Utf8,
        "parent_region_code": pl.Utf8,
        "organization_kind": pl.Utf8,
        "report_scope": pl.Utf8,
        "page_count": pl.Int32,
        "line_count": pl.Int32,
        "ocr_pages": pl.Int32,
        "extractor_version": pl.Utf8,
    },
    "cells": {
        "report_id": pl.Utf8,
        "section": pl.Utf8,
        "row_label": pl.Utf8,
        "column_label": pl.Utf8,
        "indicator_code": pl.Utf8,
        "applicant_type": pl.Utf8,
        "value": pl.Float64,
        "unit": pl.Utf8,
        "value_text": pl.Utf8,
        "approximate": pl.Boolean,
        "source_locator": pl.Utf8,
        "page": pl.Int32,
        "line": pl.Int32,
        "match_method": pl.Utf8,
    },
    "extraction_issues": {
        "report_id": pl.Utf8,
        "source_path": pl.Utf8,
        "stage": pl.Utf8,
        "reason": pl.Utf8,
        "source_locator": pl.Utf8,
    },
    "narrative_figures": {
        "report_id": pl.Utf8,
        "sentence": pl.Utf8,
        "number": pl.Float64,
        "number_text": pl.Utf8,
        "unit": pl.Utf8,
        "approximate": pl.Boolean,
        "qualifier": pl.Utf8,
        "indicator_code": pl.Utf8,
        "source_locator": pl.Utf8,
        "page": pl.Int32,
        "line": pl.Int32,
    },
}


def extraction_frames(x: Extraction) -> dict[str, pl.DataFrame]:
    """The landing rows of one extraction, one polars frame per landing table."""
    rid = x.report_id
    ident = asdict(x.identity)
    report = {
        "report_id": rid,
        "source_path": x.source_path,
        "source_sha256": x.source_sha256,
        "source_format": x.source_format,
        "template": x.template,
        **ident,
        "page_count": x.page_count,
        "line_count": x.line_count,
        "ocr_pages": x.ocr_pages,
        "extractor_version": EXTRACTOR_VERSION,
    }
    rows = {
        "reports": [report],
        "cells": [{"report_id": rid, **asdict(c)} for c in x.cells],
        "extraction_issues": [
            {"report_id": rid, "source_path": x.source_path, **asdict(i)} for i in x.issues
        ],
        "narrative_figures": [{"report_id": rid, **asdict(n)} for n in x.narrative],
    }
    return {
        name: pl.DataFrame(rows[name], schema=schema, orient="row")
        if rows[name]
        else pl.DataFrame(schema=schema)
        for name, schema in LANDING_SCHEMAS.items()
    }


class IngestError(Exception):
    """A file that cannot be loaded at all; the run records it and goes on."""

    def __init__(self, stage: str, reason: str):
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason
