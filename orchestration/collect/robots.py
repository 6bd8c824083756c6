"""robots.txt, read once per site (scheme and host) and obeyed for every URL.

As RFC 9309 says: a robots.txt that is missing or forbidden (4xx) allows
everything; one that cannot be fetched (5xx, no connection, after the
client's retries) forbids everything, so a site that is down is not walked
blind. A Crawl-delay for our agent (or '*') lengthens the client's delay for
that host, up to the options' limit. Parsing is urllib.robotparser's.
"""

from __future__ import annotations

from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from .http import FetchError, PoliteClient
from .options import PRODUCT, ROBOTS_MAX_BYTES


class _Rules:
    def __init__(self, parser: RobotFileParser | None, problem: str | None = None):
        self.parser = parser  # None: everything allowed, or (problem set) forbidden
        self.problem = problem


class Robots:
    def __init__(self, client: PoliteClient, agent: str = PRODUCT):
        self.client = client
        self.agent = agent
        self._sites: dict[str, _Rules] = {}

    def _site(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}"

    def _load(self, site: str) -> _Rules:
        robots_url = site + "/robots.txt"
        try:
            response = self.client.get(robots_url, max_bytes=ROBOTS_MAX_BYTES)
        except FetchError as e:
            if e.status is not None and 400 <= e.status < 500:
                return _Rules(None)
            return _Rules(None, f"robots.txt could not be read ({e.reason}): site not walked")
        lines = response.body().decode("utf-8", errors="replace").splitlines()
        parser = RobotFileParser(robots_url)
        parser.parse(lines)
        delay = parser.crawl_delay(self.agent)
        if delay is not None:
            self.client.set_delay(site, float(delay))
        return _Rules(parser)

    def _rules(self, url: str) -> _Rules:
        site = self._site(url)
        if site not in self._sites:
            self._sites[site] = self._load(site)
        return self._sites[site]

    def problem(self, url: str) -> str | None:
        """Why the site of `url` is not walked at all (its robots.txt unreadable), or None."""
        return self._rules(url).problem

    def allowed(self, url: str) -> bool:
        rules = self._rules(url)
        if rules.problem is not None:
            return False
        return rules.parser is None or rules.parser.can_fetch(self.agent, url)
