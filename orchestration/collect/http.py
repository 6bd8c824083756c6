"""The polite HTTP client: one request at a time per host, with a delay between them.

Every request names the product and a contact in its User-Agent, has connect
and read timeouts and an overall time limit, and is retried with exponential
backoff on a 5xx answer or a connection error (a 503's Retry-After is
honoured up to a limit), never on a 4xx. Redirects are followed by hand, at
most `max_redirects` of them, each target checked like the first URL (robots
and hosts: `check`); a loop fails with the URLs of the loop. Bodies stream
into a hidden temporary file in the destination folder (or memory) and are
hashed on the way; a body past `max_bytes` (by Content-Length or by what
arrived) is abandoned and its temporary file deleted. The client answers a
`Response` for 200 and 304 only; anything else raises `FetchError` with the
reason in words.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from .names import CONTENT_TYPE_SUFFIX, media_type, url_suffix
from .options import CollectOptions
from .sources import host_of
from .storage import discard, temp_path

REDIRECTS = (301, 302, 303, 307, 308)
Check = Callable[[str], str | None]  # a URL -> why it may not be fetched (None: it may)


class FetchError(Exception):
    """A URL that gave no usable response; `reason` says why in words."""

    def __init__(self, reason: str, status: int | None = None, url: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.url = url


@dataclass
class Response:
    url: str  # as asked for
    final_url: str  # after redirects
    status: int  # 200 or 304
    headers: httpx.Headers
    fetched_at: datetime
    redirects: tuple[str, ...] = ()
    path: Path | None = None  # the body, in a temporary file the caller publishes or discards
    content: bytes | None = None  # the body, when no folder was given
    size: int = 0
    sha256: str | None = None
    tries: int = 1

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    def body(self) -> bytes:
        if self.content is not None:
            return self.content
        return self.path.read_bytes() if self.path is not None else b""

    def discard(self) -> None:
        discard(self.path)
        self.path = None


def _phrase(status: int) -> str:
    phrase = httpx.codes.get_reason_phrase(status)
    return f"HTTP {status} {phrase}".rstrip()


def _describe(error: Exception, options: CollectOptions) -> str:
    if isinstance(error, httpx.ConnectTimeout):
        return f"timed out connecting (after {options.connect_timeout:g} s)"
    if isinstance(error, httpx.TimeoutException):
        return f"timed out waiting for the response (no data for {options.read_timeout:g} s)"
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect: {error}"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"broken response: {error}"
    return f"{type(error).__name__}: {error}"


def _mb(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n >= (1 << 20) // 10 else f"{n} bytes"


def _temp_suffix(url: str, content_type: str | None) -> str:
    """The extension the temporary file keeps, so format detection reads it as the URL says."""
    return url_suffix(url) or CONTENT_TYPE_SUFFIX.get(media_type(content_type), "")


@dataclass
class _Host:
    delay: float
    last: float = -math.inf  # when its last request ended (monotonic)


class PoliteClient:
    """GETs with the manners above; `transport` replaces the network (tests),
    `sleep` and `clock` the waiting."""

    def __init__(
        self,
        options: CollectOptions | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.options = o = options or CollectOptions()
        self.sleep, self.clock = sleep, clock
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(o.read_timeout, connect=o.connect_timeout),
            headers={
                "User-Agent": o.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/pdf,*/*;q=0.8",
                "Accept-Language": "zh-CN,zh;q=0.9",
            },
            follow_redirects=False,
            trust_env=False,  # no proxies or certificates from the environment: settings decide
        )
        self._hosts: dict[str, _Host] = {}
        self._retry_after: dict[str, float] = {}  # a 503's Retry-After, seconds
        self.requests = 0  # HTTP requests sent, retries and redirects included

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _host(self, url: str) -> _Host:
        host = host_of(url)
        if host not in self._hosts:
            self._hosts[host] = _Host(self.options.delay)
        return self._hosts[host]

    def set_delay(self, url: str, seconds: float) -> None:
        """Wait at least `seconds` between requests to the host of `url` (robots' Crawl-delay)."""
        self._host(url).delay = max(self.options.delay, min(seconds, self.options.max_crawl_delay))

    def _wait_turn(self, host: _Host) -> None:
        due = host.last + host.delay
        now = self.clock()
        if due > now:
            self.sleep(due - now)

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        folder: Path | None = None,
        max_bytes: int | None = None,
        check: Check | None = None,
    ) -> Response:
        """GET `url`, following redirects; the body goes to a temporary file in
        `folder` (in memory when None). `check` is asked about every URL of
        the way, the first included."""
        limit = self.options.max_bytes if max_bytes is None else max_bytes
        seen = [url]
        current = url
        while True:
            if check is not None and (why := check(current)) is not None:
                where = "" if current == url else f" (redirected from {url})"
                raise FetchError(f"{why}{where}", url=current)
            response = self._get_one(current, headers or {}, folder, limit)
            if isinstance(response, Response):
                response.url, response.redirects = url, tuple(seen[1:])
                return response
            status, location = response
            if not location:
                raise FetchError(f"{_phrase(status)} redirect without a Location", status)
            target = str(httpx.URL(current).join(location).copy_with(fragment=None))
            if httpx.URL(target).scheme not in ("http", "https"):
                raise FetchError(f"redirect to a non-HTTP URL {target}", status)
            if target in seen:
                loop = " → ".join(seen[seen.index(target) :] + [target])
                raise FetchError(f"redirect loop: {loop}", status)
            if len(seen) > self.options.max_redirects:
                raise FetchError(
                    f"too many redirects (more than {self.options.max_redirects}): "
                    + " → ".join(seen + [target]),
                    status,
                )
            seen.append(target)
            current = target

    def _get_one(
        self, url: str, headers: dict[str, str], folder: Path | None, limit: int
    ) -> Response | tuple[int, str | None]:
        """One URL, with retries: a Response, or (status, Location) of a redirect."""
        o = self.options
        host = self._host(url)
        tries = o.retries + 1
        for attempt in range(tries):
            self._wait_turn(host)
            wait = o.backoff * (2**attempt)
            try:
                self.requests += 1
                result = self._request(url, headers, folder, limit, attempt + 1)
            except httpx.HTTPError as e:
                if isinstance(e, httpx.DecodingError) or attempt + 1 == tries:
                    raise FetchError(
                        _describe(e, o) + (f" ({tries} tries)" if tries > 1 else "")
                    ) from e
                self.sleep(wait)
                continue
            except httpx.InvalidURL as e:
                raise FetchError(f"invalid URL: {e}") from e
            finally:
                host.last = self.clock()
            if isinstance(result, int):  # a 5xx worth another try
                if attempt + 1 == tries:
                    raise FetchError(
                        f"{_phrase(result)}" + (f" ({tries} tries)" if tries > 1 else ""), result
                    )
                self.sleep(max(wait, self._retry_after.pop(url, 0.0)))
                continue
            return result
        raise AssertionError("unreachable")

    def _request(
        self, url: str, headers: dict[str, str], folder: Path | None, limit: int, tries: int
    ) -> Response | tuple[int, str | None] | int:
        o = self.options
        started = self.clock()
        with self._client.stream("GET", url, headers=headers) as r:
            status = r.status_code
            if status >= 500:
                after = r.headers.get("retry-after", "")
                if after.isdigit():
                    self._retry_after[url] = min(float(after), o.max_retry_after)
                return status
            if status in REDIRECTS:
                return status, r.headers.get("location")
            fetched_at = datetime.now(UTC)
            if status == 304:
                return Response(url, url, 304, r.headers, fetched_at, tries=tries)
            if status == 429:
                raise FetchError(
                    f"{_phrase(status)}: the site asks for fewer requests "
                    "(raise DISCLOSURE_COLLECT_DELAY)",
                    status,
                )
            if status not in (200, 203):
                raise FetchError(_phrase(status), status)
            declared = r.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise FetchError(
                    f"file too large: Content-Length {_mb(int(declared))}, over the "
                    f"{_mb(limit)} limit; not downloaded",
                    status,
                )
            digest = hashlib.sha256()
            size = 0
            path = (
                None
                if folder is None
                else temp_path(folder, _temp_suffix(url, r.headers.get("content-type")))
            )
            chunks: list[bytes] = []
            try:
                out = open(path, "xb") if path is not None else None
                try:
                    for chunk in r.iter_bytes():
                        size += len(chunk)
                        if size > limit:
                            raise FetchError(
                                f"file too large: over the {_mb(limit)} limit; download abandoned",
                                status,
                            )
                        if self.clock() - started > o.max_seconds:
                            raise FetchError(
                                f"download took longer than {o.max_seconds:g} s; abandoned", status
                            )
                        digest.update(chunk)
                        if out is not None:
                            out.write(chunk)
                        else:
                            chunks.append(chunk)
                    if out is not None:
                        out.flush()
                        os.fsync(out.fileno())
                finally:
                    if out is not None:
                        out.close()
            except BaseException:
                discard(path)
                raise
            return Response(
                url,
                url,
                status,
                r.headers,
                fetched_at,
                path=path,
                content=None if path is not None else b"".join(chunks),
                size=size,
                sha256=digest.hexdigest(),
                tries=tries,
            )
