"""Plain text and Markdown reports (UTF-8, GB18030/GBK, or whatever charset detection finds).

Each line becomes a `Row`. Lines holding a table row copied from a web page or
a spreadsheet (tab-separated, or `|`-separated as in Markdown pipe tables and
text copied from HTML tables) are split into cells and marked tabular; other
lines stay whole and the table parsers read them token by token.
"""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

from ..model import Document, IngestError, Row

_PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_DASH_ROW = re.compile(r"^[\s\t|:\-]*$")


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


def rows_from_text(text: str) -> list[Row]:
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or _PIPE_SEPARATOR.match(line) or (("---" in line) and _DASH_ROW.match(line)):
            continue
        cells, tabular = split_cells(line)
        rows.append(Row(cells, f"line {n}", line=n, tabular=tabular))
    return rows


def read_text(data: bytes, source_path: str) -> Document:
    text = decode(data, source_path)
    return Document(source_path, "text", rows_from_text(text), line_count=text.count("\n") + 1)
