"""What was collected from where: one manifest per source folder.

`<raw>/<source>/.collect_manifest.jsonl` holds one JSON object a line for
every URL the collector fetched for that source, sorted by role and URL:

    role          file (saved into the folder) | page (a report page that only
                  links its attachments) | listing (a page of the listing)
    url           as linked; final_url after redirects
    referring_page, link_text, page_title
                  the page that linked it, the link's text, and the title of
                  the page (a file: the page it was linked from, or its own)
    fetched_at    when these bytes were downloaded (ISO 8601, UTC)
    checked_at    when the URL was last asked for (a 304 moves only this)
    http_status   of that last request (200, 304)
    etag, last_modified, content_type, size_bytes, sha256, format
    local_path    the file, relative to the raw folder (files only)
    links         [url, text] of every link on a page (pages and listings:
                  a 304 walks on from these)

The leading dot keeps it out of discovery (orchestration/ingest/files.py
skips names starting with '.'), so it is never read as a report. It is
rewritten whole after every saved file (a temporary name, fsync, os.replace):
a run killed midway keeps a manifest that names every file it left.

`read_manifests(raw_dir)` gives the files of every manifest as a DataFrame
for the `landing.collected_files` table.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path, PurePosixPath

import polars as pl

from .storage import write_atomic

MANIFEST_NAME = ".collect_manifest.jsonl"
ROLES = ("file", "page", "listing")

COLLECTED_FILES_SCHEMA: dict[str, pl.DataType] = {
    "source_path": pl.Utf8,  # relative to the raw folder: the key of the ingested files
    "source_name": pl.Utf8,  # the source's folder
    "url": pl.Utf8,
    "final_url": pl.Utf8,
    "referring_page": pl.Utf8,
    "page_title": pl.Utf8,
    "link_text": pl.Utf8,
    "fetched_at": pl.Datetime("us", "UTC"),
    "checked_at": pl.Datetime("us", "UTC"),
    "http_status": pl.Int32,
    "etag": pl.Utf8,
    "last_modified": pl.Utf8,
    "content_type": pl.Utf8,
    "size_bytes": pl.Int64,
    "sha256": pl.Utf8,
    "format": pl.Utf8,
}

_log = logging.getLogger(__name__)


@dataclass
class Entry:
    url: str
    role: str
    final_url: str | None = None
    referring_page: str | None = None
    link_text: str | None = None
    page_title: str | None = None
    fetched_at: str | None = None
    checked_at: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    format: str | None = None
    local_path: str | None = None
    links: list[list[str]] | None = None

    @classmethod
    def from_json(cls, data: dict) -> Entry:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def manifest_path(folder: Path) -> Path:
    return folder / MANIFEST_NAME


class Manifest:
    """The entries of one source folder, by URL."""

    def __init__(self, folder: Path, entries: dict[str, Entry] | None = None):
        self.folder = folder
        self.entries = entries or {}
        self.bad_lines = 0

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        manifest = cls(folder)
        path = manifest_path(folder)
        if not path.exists():
            return manifest
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = Entry.from_json(json.loads(line))
            except (ValueError, TypeError):
                manifest.bad_lines += 1
                _log.warning("%s line %d: not a manifest entry; skipped", path, n)
                continue
            manifest.entries[entry.url] = entry
        return manifest

    def get(self, url: str) -> Entry | None:
        return self.entries.get(url)

    def put(self, entry: Entry) -> None:
        self.entries[entry.url] = entry

    def names(self) -> dict[str, str]:
        """File name in the folder -> the URL that holds it."""
        return {
            PurePosixPath(e.local_path).name: e.url
            for e in self.entries.values()
            if e.local_path is not None
        }

    def save(self) -> None:
        order = {role: i for i, role in enumerate(ROLES)}
        rows = sorted(self.entries.values(), key=lambda e: (order.get(e.role, 9), e.url))
        text = "".join(json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in rows)
        write_atomic(manifest_path(self.folder), text.encode("utf-8"))


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def read_manifests(raw_dir: Path) -> pl.DataFrame:
    """Every collected file under `raw_dir` (COLLECTED_FILES_SCHEMA), one row
    per file, sorted by source_path. source_path is the file's path relative
    to the raw folder, as discovery names it, so the rows join the ingested
    files; a source folder renamed by hand still joins."""
    rows = []
    for path in sorted(Path(raw_dir).glob(f"*/{MANIFEST_NAME}")):
        folder = path.parent
        for entry in Manifest.load(folder).entries.values():
            if entry.role != "file" or not entry.local_path:
                continue
            rows.append({
                "source_path": f"{folder.name}/{PurePosixPath(entry.local_path).name}",
                "source_name": folder.name,
                "url": entry.url,
                "final_url": entry.final_url,
                "referring_page": entry.referring_page,
                "page_title": entry.page_title,
                "link_text": entry.link_text,
                "fetched_at": _time(entry.fetched_at),
                "checked_at": _time(entry.checked_at),
                "http_status": entry.http_status,
                "etag": entry.etag,
                "last_modified": entry.last_modified,
                "content_type": entry.content_type,
                "size_bytes": entry.size_bytes,
                "sha256": entry.sha256,
                "format": entry.format,
            })  # fmt: skip
    frame = pl.DataFrame(rows, schema=COLLECTED_FILES_SCHEMA, orient="row")
    return frame.sort("source_path")
