"""Walking each source's listing and saving its reports into the raw folder.

For every source, in order: the listing page and its other pages (up to
`max_pages`, same folder of the same host), the report links on them
(`links.is_report_link`, and the source's `link_pattern`), each report link
fetched once: a document is saved; an HTML page is saved when it holds the
report (its text and table in the page), and its attachments (document
links) are fetched in turn, one level deep. Every saved file is checked
against what its link claimed (`content.refusal`), written atomically into
`<raw>/<source name>/` and recorded in the folder's manifest.

A URL fetched before is asked for conditionally (If-None-Match /
If-Modified-Since from the manifest): a 304, or a 200 with the SHA-256 the
manifest has, is "unchanged" and nothing is written. Hosts other than the
listing's (and the source's extra_hosts) and paths robots.txt disallows are
skipped; every other URL that gives no report is a failure with its reason.
A source that fails outright is recorded with its error and the run goes on
with the next.

Progress goes to `on_event(kind, fields)` (kinds: source, page, file, failed,
skipped, limit, source_done); a listener that raises is logged, never fatal.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import httpx

from .content import format_of, refusal
from .http import FetchError, PoliteClient, Response
from .links import Link, Page, is_attachment, is_pagination, is_report_link, parse_page
from .manifest import Entry, Manifest
from .names import choose_name, claimed_format, media_type, url_suffix
from .options import CollectOptions
from .results import CollectSummary, Failure, SourceSummary
from .robots import Robots
from .sources import Source, host_of
from .storage import publish, remove_stale_temps

Listener = Callable[[str, dict[str, Any]], None]

_log = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class _SourceRun:
    def __init__(
        self,
        source: Source,
        raw_dir: Path,
        client: PoliteClient,
        robots: Robots,
        notify: Callable[..., None],
    ):
        self.source = source
        self.raw_dir = raw_dir
        self.folder = raw_dir / source.name
        self.client = client
        self.robots = robots
        self.notify = notify
        self.summary = SourceSummary(source.name, source.listing_url)
        self.manifest: Manifest | None = None
        self.seen: set[str] = set()
        self.named: set[str] = set()  # file names given this run
        self.pattern = source.pattern

    # -- outcomes ---------------------------------------------------------------

    def _record(self, failure: Failure) -> None:
        target = self.summary.failures if failure.outcome == "failed" else self.summary.skipped
        target.append(failure)
        self.notify(
            failure.outcome,
            source=self.source.name,
            url=failure.url,
            reason=failure.reason,
            referring_page=failure.referring_page,
        )

    def fail(self, url: str, reason: str, referrer: str | None = None, status: int | None = None):
        self._record(Failure(url, reason, referrer, status))

    def _file_done(self, outcome: str, entry: Entry) -> None:
        {
            "new": self.summary.new_files,
            "changed": self.summary.changed_files,
            "unchanged": self.summary.unchanged_files,
        }[outcome].append(entry.local_path)
        self.notify(
            "file", source=self.source.name, url=entry.url, path=entry.local_path, outcome=outcome
        )

    # -- checks -----------------------------------------------------------------

    def refusal(self, url: str) -> tuple[str, str] | None:
        """(outcome, reason) when `url` is not to be fetched."""
        host = host_of(url)
        if host not in self.source.hosts:
            return "skipped", (
                f"on another host ({host}): not collected; the source's extra_hosts "
                "lists the hosts allowed besides the listing's"
            )
        problem = self.robots.problem(url)
        if problem is not None:
            return "failed", problem
        if not self.robots.allowed(url):
            return "skipped", "disallowed by robots.txt"
        return None

    def _hop_check(self, url: str) -> str | None:
        refused = self.refusal(url)
        return None if refused is None else refused[1]

    def _conditional(self, entry: Entry | None) -> dict[str, str]:
        if entry is None:
            return {}
        if entry.role == "file":
            path = self.raw_dir / entry.local_path if entry.local_path else None
            try:
                if path is None or path.stat().st_size != entry.size_bytes:
                    return {}
            except OSError:
                return {}  # the file is gone: fetch it whole again
        elif entry.links is None:
            return {}
        headers = {}
        if entry.etag:
            headers["If-None-Match"] = entry.etag
        if entry.last_modified:
            headers["If-Modified-Since"] = entry.last_modified
        return headers

    def _fetch(
        self,
        url: str,
        entry: Entry | None,
        referrer: str | None,
        folder: Path | None,
        max_bytes: int | None = None,
    ) -> Response | None:
        refused = self.refusal(url)
        if refused is not None:
            outcome, reason = refused
            if referrer is None:  # the listing itself
                outcome = "failed"
            self._record(Failure(url, reason, referrer, outcome=outcome))
            return None
        try:
            response = self.client.get(
                url,
                headers=self._conditional(entry),
                folder=folder,
                max_bytes=max_bytes,
                check=self._hop_check,
            )
        except FetchError as e:
            self.fail(url, e.reason, referrer, e.status)
            return None
        if response.status == 304 and not self._conditional(entry):
            response.discard()
            self.fail(url, "HTTP 304 Not Modified to an unconditional request", referrer, 304)
            return None
        return response

    # -- the walk ---------------------------------------------------------------

    def run(self) -> SourceSummary:
        before = self.client.requests
        self.notify("source", source=self.source.name, listing_url=self.source.listing_url)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            remove_stale_temps(self.folder)
            self.manifest = Manifest.load(self.folder)
            self._walk()
        except Exception as e:  # noqa: BLE001 - one site's failure never stops the run
            _log.exception("source %s failed", self.source.name)
            self.summary.error = f"{type(e).__name__}: {e}"
            self.fail(self.source.listing_url, f"source stopped: {self.summary.error}")
        finally:
            if self.manifest is not None:
                try:
                    self.manifest.save()
                except OSError as e:
                    self.summary.error = self.summary.error or f"manifest not written: {e}"
            self.summary.requests = self.client.requests - before
            self.summary.finished_at = datetime.now(UTC)
            self.notify("source_done", source=self.source.name, summary=self.summary)
        return self.summary

    def _walk(self) -> None:
        listing = self.source.listing_url
        queue, queued = deque([listing]), {listing}
        reports: dict[str, tuple[Link, str, str | None]] = {}
        base = listing
        fetched = 0
        while queue and fetched < self.source.max_pages:
            url = queue.popleft()
            fetched += 1
            page = self._listing_page(url)
            if page is None:
                continue
            if url == listing:
                base = page.url  # the listing after its redirects: pagination is beside it
            for link in page.links:
                if is_pagination(link, base):
                    if link.url not in queued:
                        queue.append(link.url)
                        queued.add(link.url)
                elif link.url not in reports and link.url not in queued and self._wanted(link):
                    reports[link.url] = (link, url, page.title)
        if queue:
            self.notify(
                "limit",
                source=self.source.name,
                reason=f"max_pages {self.source.max_pages} reached; {len(queue)} listing "
                "pages not read",
            )
        for link, referrer, title in reports.values():
            self._visit(link, referrer, title, depth=0)

    def _wanted(self, link: Link) -> bool:
        if not is_report_link(link):
            return False
        return self.pattern is None or self.pattern.search(link.url) is not None

    def _listing_page(self, url: str) -> Page | None:
        entry = self.manifest.get(url)
        listing = self.source.listing_url
        page_limit = self.client.options.max_page_bytes
        response = self._fetch(url, entry, None if url == listing else listing, None, page_limit)
        if response is None:
            return None
        self.summary.pages_fetched += 1
        self.notify("page", source=self.source.name, url=url, status=response.status)
        if response.status == 304:
            entry.checked_at, entry.http_status = _iso(response.fetched_at), 304
            links = tuple(Link(u, t) for u, t in entry.links)
            return Page(entry.final_url or url, entry.page_title, links, False)
        body = response.body()
        page = parse_page(body, response.final_url, response.content_type)
        self.manifest.put(self._entry(response, "listing", None, None, page.title, "html", page))
        return page

    def _entry(
        self,
        response: Response,
        role: str,
        referrer: str | None,
        link_text: str | None,
        title: str | None,
        fmt: str | None,
        page: Page | None = None,
        local_path: str | None = None,
    ) -> Entry:
        when = _iso(response.fetched_at)
        return Entry(
            url=response.url,
            role=role,
            final_url=response.final_url,
            referring_page=referrer,
            link_text=link_text or None,
            page_title=title,
            fetched_at=when,
            checked_at=when,
            http_status=response.status,
            etag=response.etag,
            last_modified=response.last_modified,
            content_type=response.content_type,
            size_bytes=response.size,
            sha256=response.sha256,
            format=fmt,
            local_path=local_path,
            links=None if page is None else [link.as_list() for link in page.links],
        )

    def _visit(self, link: Link, referrer: str, referrer_title: str | None, depth: int) -> None:
        if link.url in self.seen:
            return
        self.seen.add(link.url)
        response = None
        try:
            response = self._visit_url(link, referrer, referrer_title, depth)
        except Exception as e:  # noqa: BLE001 - one URL's failure never stops the source
            _log.exception("collecting %s failed", link.url)
            self.fail(link.url, f"{type(e).__name__}: {e}", referrer)
        finally:
            if response is not None:
                response.discard()

    def _visit_url(
        self, link: Link, referrer: str, referrer_title: str | None, depth: int
    ) -> Response | None:
        url = link.url
        entry = self.manifest.get(url)
        response = self._fetch(url, entry, referrer, self.folder)
        if response is None:
            return None
        if response.status == 304:
            entry.checked_at, entry.http_status = _iso(response.fetched_at), 304
            if entry.format == "html":
                self.summary.pages_fetched += 1
                self.notify("page", source=self.source.name, url=url, status=304)
            if entry.role == "file":
                self._file_done("unchanged", entry)
            if depth == 0 and entry.links:
                self._attachments([Link(u, t) for u, t in entry.links], url, entry.page_title)
            return response
        fmt = format_of(response.path)
        claimed = claimed_format(url, response.content_type, link.text)
        claim = url_suffix(url) or media_type(response.content_type) or "a link"
        why = refusal(fmt, claimed, f"{claim} (Content-Type {response.content_type or 'none'})")
        if why is not None:
            self.fail(url, why, referrer, response.status)
            return response
        if fmt != "html":
            self._store(response, entry, link, referrer, referrer_title, fmt)
            return response
        if response.size > self.client.options.max_page_bytes:
            limit = self.client.options.max_page_bytes / (1 << 20)
            self.fail(url, f"HTML page over the {limit:g} MB limit for pages; not read", referrer)
            return response
        self.summary.pages_fetched += 1
        self.notify("page", source=self.source.name, url=url, status=response.status)
        page = parse_page(response.body(), response.final_url, response.content_type)
        if page.holds_report or (entry is not None and entry.role == "file"):
            self._store(response, entry, link, referrer, page.title, fmt, page)
        else:
            self.manifest.put(
                self._entry(response, "page", referrer, link.text, page.title, fmt, page)
            )
        if depth == 0:
            self._attachments(page.links, url, page.title)
        return response

    def _attachments(self, links: Iterable[Link], page_url: str, title: str | None) -> None:
        for link in links:
            if is_attachment(link):
                self._visit(link, page_url, title, depth=1)

    def _taken(self, name: str) -> bool:
        return name in self.named or name in self.manifest.names() or (self.folder / name).exists()

    def _store(
        self,
        response: Response,
        entry: Entry | None,
        link: Link,
        referrer: str,
        title: str | None,
        fmt: str,
        page: Page | None = None,
    ) -> None:
        known = entry is not None and entry.role == "file" and entry.local_path
        target = self.raw_dir / entry.local_path if known else None
        if known and entry.sha256 == response.sha256 and target.is_file():
            entry.checked_at, entry.http_status = _iso(response.fetched_at), response.status
            entry.etag, entry.last_modified = response.etag, response.last_modified
            self._file_done("unchanged", entry)
            return
        if known:
            outcome = "changed" if target.is_file() else "new"
            local_path = entry.local_path
        else:
            disposition = response.headers.get("content-disposition")
            name = choose_name(response.url, fmt, disposition, self._taken)
            self.named.add(name)
            local_path = PurePosixPath(self.source.name, name).as_posix()
            target = self.raw_dir / local_path
            outcome = "new"
        publish(response.path, target)
        response.path = None  # published: nothing left to discard
        saved = self._entry(response, "file", referrer, link.text, title, fmt, page, local_path)
        self.manifest.put(saved)
        self.manifest.save()
        self._file_done(outcome, saved)


def collect(
    sources: Iterable[Source],
    raw_dir: Path | str,
    options: CollectOptions | None = None,
    *,
    on_event: Listener | None = None,
    transport: httpx.BaseTransport | None = None,
) -> CollectSummary:
    """Collect every source's reports into `raw_dir`/<source name>/; a summary per source.

    `on_event(kind, fields)` hears the progress; `transport` replaces the
    network (httpx.MockTransport in tests)."""
    raw_dir = Path(raw_dir)
    raw_dir.mkdir(parents=True, exist_ok=True)

    def notify(kind: str, **fields: Any) -> None:
        if on_event is None:
            return
        try:
            on_event(kind, fields)
        except Exception:  # noqa: BLE001 - a display problem must not stop a collection
            _log.exception("collect listener failed")

    summary = CollectSummary()
    with PoliteClient(options, transport=transport) as client:
        robots = Robots(client)
        for source in sources:
            summary.sources.append(_SourceRun(source, raw_dir, client, robots, notify).run())
    return summary
