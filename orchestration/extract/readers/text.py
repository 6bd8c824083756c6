"""Plain text and Markdown reports (UTF-8, GB18030/GBK, or whatever charset detection finds).

Each line becomes a `Row` of the cells it holds. Web pages saved as text write
a table in several ways, and the parsers must see the same cells whatever the
way (`tables/stream.py` reads the cells, not the lines):

* pipe rows `| 规章 | 0 | 0 | 0 |` (or without the outer pipes; tab rows too):
  every piece between pipes is a cell, an empty piece an empty cell; a cell
  broken over lines (a line that stops inside a cell) is joined to the next;
* one cell per line ending in ` |` (`规章 |`, `0 |`): a line that is only `|`
  is then an empty cell, and `||` / `|||` lines close a row (no cell);
* one cell per line with `|` lines between the cells: those `|` lines are
  separators, not cells;
* one cell per line, no pipes at all (blank lines between cells are nothing).

A document cut off in the middle of a pipe table (a saved excerpt) ends in a
cell that no pipe closes: that last cell may be cut short and is dropped.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..encoding import decode
from ..model import Document, Row

_PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_ONLY_PIPES = re.compile(r"^\|+$")
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
# A line break between two CJK characters is no word gap: join without a space.
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])[^\S\n]*\n\s*(?=[{_CJK}])")
_SPACE = re.compile(r"\s+")
_MAX_WRAPS = 3  # continuation lines one cell may take; more is prose after a stray '|'


def unwrap(text: str) -> str:
    """Text broken over lines inside one cell, joined: CJK|CJK without a space, else one space."""
    return _SPACE.sub(" ", _CJK_BREAK.sub("", text)).strip()


def _terminated_cell(s: str) -> bool:
    """One cell, then its closing pipe(s): `自然人 |`."""
    at = s.find("|")
    return at > 0 and bool(s[:at].strip()) and not s[at:].strip("| \t")


def _pipe_cells(s: str) -> tuple[list[str], bool]:
    """Cells of a pipe row and whether its last cell is left open (no closing pipe)."""
    pieces = s.split("|")
    if s.startswith("|"):
        pieces = pieces[1:]
    is_open = not s.endswith("|")
    if not is_open:
        pieces = pieces[:-1]
    return [p.strip() for p in pieces], is_open


def rows_from_text(text: str) -> list[Row]:
    lines = text.splitlines()
    # One-cell-per-line with closing pipes: a lone '|' is an empty cell there.
    terminated = (
        sum(1 for line in lines if _terminated_cell(line.strip()) and line.count("|") == 1) >= 3
    )
    uses_pipes = sum("|" in line for line in lines) >= 3
    rows: list[Row] = []
    open_cell: list[str] | None = None  # pieces of a pipe cell continued on the next lines
    open_row: tuple[int, list[str]] | None = None

    def close_open(complete: bool) -> None:
        nonlocal open_cell, open_row
        if open_row is not None:
            n, cells = open_row
            if complete and open_cell is not None:
                cells.append(unwrap("\n".join(open_cell)))
            if cells:
                rows.append(Row(tuple(cells), f"line {n}", line=n, tabular=True))
        open_cell, open_row = None, None

    for n, line in enumerate(lines, start=1):
        s = line.strip()
        if open_cell is not None:
            if not s:
                continue
            if "|" not in s and len(open_cell) <= _MAX_WRAPS:
                open_cell.append(s)
                continue
            if "|" in s and not s.startswith("|"):
                # The open cell ends here; the rest of the line is the rest of its row.
                first, _, rest = s.partition("|")
                open_cell.append(first)
                n0, cells = open_row
                cells.append(unwrap("\n".join(open_cell)))
                more, still_open = _pipe_cells("|" + rest) if rest.strip(" |") else ([], False)
                cells += more[:-1] if still_open else more
                if still_open:
                    open_row, open_cell = (n0, cells), [more[-1]]
                else:
                    rows.append(Row(tuple(cells), f"line {n0}", line=n0, tabular=True))
                    open_cell, open_row = None, None
                continue
            close_open(True)
        if not s or _PIPE_SEPARATOR.match(line) and "-" in line:
            continue
        if "\t" in line:
            rows.append(
                Row(tuple(c.strip() for c in line.split("\t")), f"line {n}", line=n, tabular=True)
            )
            continue
        if "|" not in s:
            rows.append(Row((s,), f"line {n}", line=n, tabular=False))
            continue
        if _ONLY_PIPES.match(s):
            if s == "|" and terminated:
                rows.append(Row(("",), f"line {n}", line=n, tabular=True))
            continue
        content = [p for p in s.split("|") if p.strip()]
        if s.startswith("|") or len(content) >= 2:
            cells, is_open = _pipe_cells(s)
            if is_open:
                open_row, open_cell = (n, cells[:-1]), [cells[-1]]
                continue
            rows.append(Row(tuple(cells), f"line {n}", line=n, tabular=True))
        else:  # one cell closed by its pipe(s)
            rows.append(Row((content[0].strip(),), f"line {n}", line=n, tabular=True))
    # An excerpt that stops inside a pipe cell: the cell may be cut short.
    ended_in_cell = open_row is not None
    close_open(not uses_pipes)
    if rows and not text.rstrip().endswith("|") and not (ended_in_cell and uses_pipes):
        # The text stops on this row with no closing pipe: its last cell may be cut short.
        rows[-1] = replace(rows[-1], closed=False)
    return rows


def read_text(data: bytes, source_path: str) -> Document:
    text, notes = decode(data, source_path)
    return Document(
        source_path, "text", rows_from_text(text), line_count=text.count("\n") + 1, notes=notes
    )
