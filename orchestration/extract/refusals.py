"""Why a file is not loaded: the refusal table, and the exception raised by its codes.

The table is the dbt seed `dbt_project/seeds/refusals.csv`, one row per reason:

    code        stable snake_case name (marts.ingest_error.code)
    stage       where the build gives up on the file: discover, read, identify,
                extract, timeout, deduplicate, conflict (marts.ingest_error.stage)
    message     the reason as a str.format template (marts.ingest_error.reason)

It is loaded into the warehouse as `seeds.refusals`, so every code of
marts.ingest_error is tested against it; this module is its one reader in
Python. Code refuses a file by code, and the stage and the words come from
the table:

    raise Refusal("too_large", size="31.0 MB", limit="30.0 MB")

A place that records a reason without raising (discovery, a worker that timed
out) builds the same object and reads its `code`, `stage` and `reason`. The
last two rows are written by dbt (int_reports__deduplicated words the reason);
their templates say what those words are.
"""

from __future__ import annotations

import csv
import string
from dataclasses import dataclass
from pathlib import Path

from .model import IngestError

REFUSALS_PATH = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "refusals.csv"
STAGES = ("discover", "read", "identify", "extract", "timeout", "deduplicate", "conflict")


@dataclass(frozen=True)
class Reason:
    """One row of the refusal table."""

    code: str
    stage: str
    message: str  # str.format template

    @property
    def fields(self) -> frozenset[str]:
        """The names the message template takes."""
        return frozenset(
            name for _, name, _, _ in string.Formatter().parse(self.message) if name is not None
        )


def _load(path: Path) -> dict[str, Reason]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = [Reason(r["code"], r["stage"], r["message"]) for r in csv.DictReader(f)]
    table = {r.code: r for r in rows}
    if len(table) != len(rows):
        raise ValueError(f"{path}: a code is listed twice")
    if unknown := sorted({r.stage for r in rows} - set(STAGES)):
        raise ValueError(f"{path}: unknown stages {unknown}")
    return table


# code -> Reason, in the order of the seed.
REFUSALS: dict[str, Reason] = _load(REFUSALS_PATH)


class Refusal(IngestError):
    """A file that is not loaded, for the reason `code` of the refusal table;
    `fields` fill the reason's message template (exactly its placeholders)."""

    def __init__(self, code: str, **fields: object):
        try:
            reason = REFUSALS[code]
        except KeyError:
            raise ValueError(f"{code!r} is not a code of {REFUSALS_PATH.name}") from None
        if set(fields) != reason.fields:
            raise TypeError(
                f"refusal {code!r} takes {sorted(reason.fields)}, was given {sorted(fields)}"
            )
        super().__init__(reason.stage, reason.message.format(**fields))
        self.code = code
        self.fields = fields

    def __reduce__(self):
        return _rebuild, (self.code, self.fields)


def _rebuild(code: str, fields: dict) -> Refusal:
    return Refusal(code, **fields)


def error_text(e: BaseException) -> str:
    """An exception as `Type: message` (the type alone when it has no message)."""
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def unexpected(e: BaseException) -> Refusal:
    """An exception the extractor did not expect, as a refusal (not cached)."""
    return Refusal("unexpected_error", error=error_text(e))
