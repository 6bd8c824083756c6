"""Progress events of a build, for whoever listens in this process.

The assets run in the process that launched the job (the in-process executor:
`disclosure build`, or the run worker of `dagster dev` / the daemon), so a
listener registered before the run sees every event: the CLI draws its
progress bar from them. Nobody listening costs nothing, and a listener that
fails never fails the build.

Events (kind, fields):

    stage    name: discover | extract | dbt | publish
    extract  files (handed to the extractor), to_parse (new contents), cached
    file     path, ok, reason (one per file parsed now)
    dbt      name (a dbt node finished: model, seed or test), status
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Listener = Callable[[str, dict[str, Any]], None]

_listeners: list[Listener] = []
_log = logging.getLogger(__name__)


def emit(kind: str, **fields: Any) -> None:
    for listener in tuple(_listeners):
        try:
            listener(kind, fields)
        except Exception:  # noqa: BLE001 - a display problem must not fail a build
            _log.exception("progress listener failed")


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)
