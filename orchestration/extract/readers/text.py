"""Plain text and Markdown reports (UTF-8, GB18030/GBK, or whatever charset detection finds).

Each line becomes a `Row`. Lines holding a table row copied from a web page or
a spreadsheet (tab-separated, or `|`-separated as in Markdown pipe tables and
text copied from HTML tables) are split into cells and marked tabular; other
lines stay whole and the table parsers read them token by token.

Web-to-text converters also break one table row over several lines: a cell
holding a line break continues on the next line (`| 标签（不同` / `渠道）| 条 | 5 |`),
or every cell stands on its own line (`| 统计指标 |`, `| 单位` …) with a line
that is only `|`/`||`, or a blank line, ending the row. Such runs are joined
back into one row.
"""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

from ..model import Document, IngestError, Row

_PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_DASH_ROW = re.compile(r"^[\s\t|:\-]*$")
_ROW_END = re.compile(r"^\|\|?$")
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
# A line break between two CJK characters is no word gap: join without a space.
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])[^\S\n]*\n\s*(?=[{_CJK}])")
_SPACE = re.compile(r"\s+")
_MAX_WRAPS = 3  # continuation lines one cell may take; more is prose after a stray '|'


def decode(data: bytes, source: str) -> str:
    """Decode report bytes: UTF-8 first, then the GB family, then detection."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    best = from_bytes(data).best()
    if best is None:
        raise IngestError("read", f"cannot determine the text encoding of {source}")
    return str(best)


def split_cells(line: str) -> tuple[tuple[str, ...], bool]:
    """The cells of one line and whether the line is a table row."""
    if "\t" in line:
        return tuple(c.strip() for c in line.split("\t")), True
    stripped = line.strip()
    if stripped.count("|") >= 2 or (stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1):
        cells = [c.strip() for c in stripped.split("|")]
        if cells and cells[0] == "":
            cells = cells[1:]
        if cells and cells[-1] == "":
            cells = cells[:-1]
        return tuple(cells), True
    return (line.strip(),), False


def unwrap(text: str) -> str:
    """Text broken over lines inside one cell, joined: CJK|CJK without a space, else one space."""
    return _SPACE.sub(" ", _CJK_BREAK.sub("", text)).strip()


def _full_row(s: str) -> bool:
    return len(s) > 1 and s[0] == "|" and s[-1] == "|" and "|" in s[1:-1]


def _starts_pipe_row(s: str) -> bool:
    """A line that opens a row assembled over several lines (see the module doc)."""
    return (s.startswith("|") and not _full_row(s)) or (s.endswith("|") and s.count("|") == 1)


class _PipeRow:
    """A table row whose cells arrive over several lines, `|` separating cells."""

    def __init__(self, line: int):
        self.line = line
        self.cells: list[str] = []
        self.open: list[str] | None = None  # pieces of a cell not yet closed by '|'
        self.wraps = 0
        self.multi = False  # a line held several cells: rows end with the line that ends in '|'
        self.done = False

    def _close(self):
        if self.open is not None:
            self.cells.append(unwrap("\n".join(self.open)))
            self.open = None

    def take(self, s: str) -> bool:
        """Add stripped line `s`; False when it does not belong to this row."""
        if not s or _ROW_END.match(s):
            self.done = True
            return True
        if "|" not in s:
            if self.open is None or self.wraps >= _MAX_WRAPS:
                return False
            self.open.append(s)
            self.wraps += 1
            return True
        if (self.cells or self.open is not None) and _full_row(s):
            return False  # a complete row of its own
        first, *rest = s.split("|")
        if self.open is not None:
            self.open.append(first)
            self._close()
        elif first.strip():
            self.cells.append(first.strip())
        self.cells += [c.strip() for c in rest[:-1]]
        if not s.endswith("|"):
            self.open, self.wraps = [rest[-1]], 0
        self.multi = self.multi or "|" in s.strip("|")
        self.done = self.multi and s.endswith("|")
        return True

    def row(self) -> Row | None:
        self._close()
        if not self.cells:
            return None
        return Row(tuple(self.cells), f"line {self.line}", line=self.line, tabular=True)


def rows_from_text(text: str) -> list[Row]:
    rows: list[Row] = []
    run: _PipeRow | None = None
    for n, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if run is not None:
            taken = run.take(s)
            if taken and not run.done:
                continue
            if row := run.row():
                rows.append(row)
            run = None
            if taken:
                continue
        if not s or _ROW_END.match(s) or _PIPE_SEPARATOR.match(line) or (("---" in line) and _DASH_ROW.match(line)):
            continue
        if _starts_pipe_row(s) and "\t" not in line:
            run = _PipeRow(n)
            run.take(s)
            if run.done:
                if row := run.row():
                    rows.append(row)
                run = None
            continue
        cells, tabular = split_cells(line)
        rows.append(Row(cells, f"line {n}", line=n, tabular=tabular))
    if run is not None and (row := run.row()):
        rows.append(row)
    return rows


def read_text(data: bytes, source_path: str) -> Document:
    text = decode(data, source_path)
    return Document(source_path, "text", rows_from_text(text), line_count=text.count("\n") + 1)
