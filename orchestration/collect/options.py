"""How the collector behaves on the web: delays, timeouts, retries, limits, who it says it is."""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass

from orchestration.settings import COLLECT_CONTACT_PLACEHOLDER, Settings

PRODUCT = "disclosure-warehouse"  # the User-Agent's product token, and robots.txt's agent
DEFAULT_CONTACT = COLLECT_CONTACT_PLACEHOLDER
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: at least 500 KiB of robots.txt is read


def _version() -> str:
    try:
        return importlib.metadata.version(PRODUCT)
    except importlib.metadata.PackageNotFoundError:
        return "0"


@dataclass(frozen=True)
class CollectOptions:
    """Defaults are the polite ones; tests set the delays to 0."""

    contact: str = DEFAULT_CONTACT  # a URL or mail address site owners can reach
    delay: float = 1.0  # seconds between two requests to one host (robots.txt may ask more)
    max_crawl_delay: float = 60.0  # the most a robots.txt Crawl-delay is obeyed
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # seconds without a byte before a response is given up
    max_seconds: float = 600.0  # the longest one download may take in all
    retries: int = 2  # tries after the first, on 5xx and connection errors (never on 4xx)
    backoff: float = 1.0  # seconds before the first retry, doubled for each next one
    max_retry_after: float = 60.0  # the most a 503's Retry-After is waited
    max_redirects: int = 5
    max_bytes: int = 200 << 20  # a larger download is abandoned (DISCLOSURE_MAX_FILE_MB)
    max_page_bytes: int = 5 << 20  # a larger HTML page is not read (DISCLOSURE_MAX_TEXT_MB)

    @property
    def user_agent(self) -> str:
        return f"{PRODUCT}/{_version()} (+{self.contact}; annual report collector)"

    @classmethod
    def from_settings(cls, settings: Settings, **overrides) -> CollectOptions:
        values = {
            "contact": settings.collect_contact,
            "delay": settings.collect_delay,
            "read_timeout": settings.collect_timeout,
            "max_bytes": settings.max_file_bytes,
            "max_page_bytes": settings.max_text_bytes,
        }
        return cls(**{**values, **overrides})
