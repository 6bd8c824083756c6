"""The progress of `disclosure build` on the console, drawn from orchestration.progress events.

On a terminal: rich progress bars (files parsed with the failures so far, dbt
nodes done). Elsewhere (`--progress` with output to a file or a pipe): one
plain line per file parsed and per stage, for a log.
"""

from __future__ import annotations

from typing import Any, Self

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

STAGES = {
    "discover": "finding and hashing files",
    "dbt": "dbt models and tests",
    "publish": "publishing",
}


class BuildProgress:
    """A listener for orchestration.progress; use as a context manager."""

    def __init__(self, console: Console, live: bool):
        self.console = console
        self.live = live
        self.progress = (
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description:<28}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[note]}", style="dim"),
                console=console,
                transient=False,
            )
            if live
            else None
        )
        self.tasks: dict[str, TaskID] = {}
        self.parsed = self.failed = self.to_parse = 0
        self.dbt_done = self.dbt_total = 0

    def __enter__(self) -> Self:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self._finish_all()
            self.progress.stop()

    # --- events ---------------------------------------------------------------

    def __call__(self, kind: str, fields: dict[str, Any]) -> None:
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(**fields)

    def _on_stage(self, name: str, total: int | None = None, **_) -> None:
        if name == "dbt":
            self.dbt_total = total or 0
        if self.progress is None:
            extra = f" ({total})" if total else ""
            self._line(f"{name}: {STAGES.get(name, name)}{extra}")
            return
        self._finish_all()
        self.tasks[name] = self.progress.add_task(STAGES.get(name, name), total=total, note="")

    def _on_extract(self, files: int, to_parse: int, cached: int, **_) -> None:
        self.to_parse = to_parse
        if self.progress is None:
            self._line(f"extract: {files} files, {to_parse} to parse, {cached} from the cache")
            return
        self._finish_all()
        self.tasks["extract"] = self.progress.add_task(
            f"parsing ({cached} from cache)", total=to_parse, note=""
        )

    def _on_file(self, path: str, ok: bool, reason: str | None = None, **_) -> None:
        self.parsed += 1
        self.failed += not ok
        if self.progress is None:
            status = "ok" if ok else f"FAILED: {reason}"
            self._line(f"extract [{self.parsed}/{self.to_parse}] {path}: {status}")
            return
        task = self.tasks.get("extract")
        if task is not None:
            failed = f"[red]{self.failed} failed[/red] · " if self.failed else ""
            self.progress.update(task, advance=1, note=f"{failed}{escape(path)}")

    def _on_dbt(self, name: str = "", **_) -> None:
        self.dbt_done += 1
        if self.progress is None:
            total = self.dbt_total or "?"
            if self.dbt_done % 25 == 0 or self.dbt_done == self.dbt_total:
                self._line(f"dbt [{self.dbt_done}/{total}]")
            return
        task = self.tasks.get("dbt")
        if task is not None:
            self.progress.update(task, advance=1, note=escape(name))

    # --- helpers --------------------------------------------------------------

    def _line(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def _finish_all(self) -> None:
        assert self.progress is not None
        for task in self.tasks.values():
            t = self.progress.tasks[task]
            if t.total is None:
                self.progress.update(task, total=1, completed=1)
            elif not t.finished:
                self.progress.update(task, completed=t.total)
