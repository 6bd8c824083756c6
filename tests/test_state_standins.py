"""Stand-in extractors for the tests of tests/test_state_*.py that use worker
processes: a worker imports this module to unpickle them, so it imports as
little as possible (a timeout's clock may include the worker's start)."""

import time
from pathlib import Path

from orchestration.extract.model import Cell, Extraction, Identity


def one_cell_report(path: Path, raw_root: Path) -> Extraction:
    """A one-cell report named after the file's text; 'CRASH' raises,
    'HANG' outlasts any timeout."""
    text = path.read_text(encoding="utf-8")
    if text.startswith("CRASH"):
        raise RuntimeError("boom")
    if text.startswith("HANG"):
        time.sleep(600)
    return Extraction(
        source_path=path.relative_to(raw_root).as_posix(),
        source_sha256="ignored",
        source_format="text",
        template="gov2008",
        identity=Identity(organization=text, report_year=2018),
        cells=[Cell("proactive", "主动公开", None, "p_total", "total", 1.0, "条", "1", "line 1")],
        line_count=1,
    )


class Listed:
    """A folder's entries as os.scandir gives them, read before a file went."""

    def __init__(self, entries):
        self.entries = iter(list(entries))

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.entries)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def close(self):
        pass
