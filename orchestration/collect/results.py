"""What a collection run did, per source: pages, new, changed and unchanged files, failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

FAILURE_COLUMNS = ("source", "url", "referring_page", "http_status", "outcome", "reason")
SOURCE_COLUMNS = (
    "source",
    "listing_url",
    "pages_fetched",
    "requests",
    "new_files",
    "changed_files",
    "unchanged_files",
    "failed",
    "skipped",
    "error",
    "started_at",
    "finished_at",
)


@dataclass(frozen=True)
class Failure:
    """A URL not collected: `outcome` failed (an error) or skipped (robots.txt, another host)."""

    url: str
    reason: str
    referring_page: str | None = None
    http_status: int | None = None
    outcome: str = "failed"


@dataclass
class SourceSummary:
    name: str
    listing_url: str
    pages_fetched: int = 0  # listing and report pages answered (200 or 304)
    requests: int = 0  # HTTP requests sent, robots.txt, retries and redirects included
    new_files: list[str] = field(default_factory=list)  # paths relative to the raw folder
    changed_files: list[str] = field(default_factory=list)
    unchanged_files: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    skipped: list[Failure] = field(default_factory=list)
    error: str | None = None  # why the source stopped early (None: it was walked to the end)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.failures

    def row(self) -> dict:
        return {
            "source": self.name,
            "listing_url": self.listing_url,
            "pages_fetched": self.pages_fetched,
            "requests": self.requests,
            "new_files": len(self.new_files),
            "changed_files": len(self.changed_files),
            "unchanged_files": len(self.unchanged_files),
            "failed": len(self.failures),
            "skipped": len(self.skipped),
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


@dataclass
class CollectSummary:
    sources: list[SourceSummary] = field(default_factory=list)

    def __getitem__(self, name: str) -> SourceSummary:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    @property
    def new_files(self) -> list[str]:
        return [p for s in self.sources for p in s.new_files]

    @property
    def changed_files(self) -> list[str]:
        return [p for s in self.sources for p in s.changed_files]

    @property
    def unchanged_files(self) -> list[str]:
        return [p for s in self.sources for p in s.unchanged_files]

    @property
    def failed(self) -> int:
        return sum(s.failed for s in self.sources)

    def rows(self) -> list[dict]:
        """One row per URL not collected (FAILURE_COLUMNS), failures then skips, by source."""
        return [
            {
                "source": s.name,
                "url": f.url,
                "referring_page": f.referring_page,
                "http_status": f.http_status,
                "outcome": f.outcome,
                "reason": f.reason,
            }
            for s in self.sources
            for f in (*s.failures, *s.skipped)
        ]

    def source_rows(self) -> list[dict]:
        """One row per source (SOURCE_COLUMNS)."""
        return [s.row() for s in self.sources]
