"""How `disclosure query`, `tables` and `describe` print a result.

`table` is for reading: a rich table, NULL as a dim `NULL` (an empty string
prints as nothing), one block of `column: value` lines per row when the rows
are wider than the terminal. `csv`, `json` and `markdown` are for other
programs and documents, and keep NULL apart from '' too:

- csv: text, dates and other non-numeric values quoted, numbers and booleans
  bare, NULL an empty unquoted field; so '' is `""` and NULL is nothing;
- json: an array of one object per row, NULL as null, numbers as numbers
  (a decimal a double cannot hold exactly as a string), dates and times as
  ISO 8601 strings, Chinese as it is (not \\u escapes);
- markdown: a GitHub table, NULL as `NULL`, `|` escaped, line breaks as <br>.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "csv", "json", "markdown")

NULL = "NULL"


class Rows:
    """The rows of a cursor, `limit` at most (0: all), fetched in batches;
    after iterating, `more` says whether the result had more than `limit`."""

    def __init__(self, cursor, limit: int, batch: int = 10_000):
        self.cursor, self.limit, self.batch = cursor, limit, batch
        self.more = False

    def __iter__(self) -> Iterator[tuple]:
        left = self.limit
        while True:
            size = self.batch if not self.limit else min(self.batch, left + 1)
            rows = self.cursor.fetchmany(size)
            if not rows:
                return
            if self.limit and len(rows) > left:
                self.more = True
                yield from rows[:left]
                return
            yield from rows
            if self.limit:
                left -= len(rows)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _blob(value: bytes) -> str:
    """A BLOB as DuckDB prints it: printable ASCII as is, other bytes as \\xNN."""
    return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02X}" for b in bytes(value))


def json_value(value: Any) -> Any:
    """`value` as JSON holds it (see the module's docstring)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        number = float(value)
        return number if math.isfinite(number) and Decimal(repr(number)) == value else str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return _blob(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return str(value)  # intervals, UUIDs, ...


def text(value: Any) -> str | None:
    """`value` as one cell of text (None for NULL)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray | memoryview):
        return _blob(value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(json_value(value), ensure_ascii=False)
    return str(value)


# -- csv, json, markdown: streamed, row by row ------------------------------


class _Bare:
    """A field the csv writer leaves unquoted: with QUOTE_NONNUMERIC it quotes
    every field but numbers, and an object with __float__ counts as one."""

    __slots__ = ("value",)

    def __init__(self, value: str):
        self.value = value

    def __str__(self) -> str:
        return self.value

    def __float__(self) -> float:  # pragma: no cover - only its presence matters
        return 0.0


_CSV_NULL = _Bare("")


def _csv_field(value: Any) -> Any:
    if value is None:
        return _CSV_NULL
    if isinstance(value, bool):
        return _Bare("true" if value else "false")
    if _is_number(value):
        return value
    return text(value)


def write_csv(columns: Sequence[str], rows: Iterable[tuple], out: TextIO) -> None:
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_field(v) for v in row])


def _json_object(columns: Sequence[str], row: tuple) -> str:
    # Written pair by pair: a result may name two columns alike.
    return (
        "{"
        + ", ".join(
            f"{json.dumps(name, ensure_ascii=False)}: "
            f"{json.dumps(json_value(v), ensure_ascii=False, allow_nan=False)}"
            for name, v in zip(columns, row, strict=True)
        )
        + "}"
    )


def write_json(columns: Sequence[str], rows: Iterable[tuple], out: TextIO) -> None:
    first = True
    for row in rows:
        out.write(("[\n  " if first else ",\n  ") + _json_object(columns, row))
        first = False
    out.write("[]\n" if first else "\n]\n")


def _markdown_cell(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("\r\n", "<br>")
        .replace("\n", "<br>")
    )


def write_markdown(columns: Sequence[str], rows: Iterable[tuple], out: TextIO) -> None:
    out.write("| " + " | ".join(_markdown_cell(c) for c in columns) + " |\n")
    out.write("|" + "|".join(" --- " for _ in columns) + "|\n")
    for row in rows:
        cells = (NULL if v is None else _markdown_cell(text(v)) for v in row)
        out.write("| " + " | ".join(cells) + " |\n")


WRITERS = {"csv": write_csv, "json": write_json, "markdown": write_markdown}


# -- table: the rows at hand, laid out for the console ----------------------


def _cell(value: Any) -> Text:
    return Text(NULL, style="dim") if value is None else Text(text(value))


def _widest_line(value: str) -> int:
    return max((cell_len(line) for line in value.splitlines()), default=0)


def table_width(columns: Sequence[str], rows: Sequence[tuple]) -> int:
    """The width a box table of these rows takes with every cell whole."""
    widths = [_widest_line(name) for name in columns]
    for row in rows:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], _widest_line(NULL if value is None else text(value)))
    return sum(widths) + 3 * len(columns) + 1  # "│ " before each cell, " " after, a last "│"


def table(columns: Sequence[str], rows: Sequence[tuple], wrap: str | None = None) -> Table:
    """A box table; numbers right-aligned; `wrap` names a column whose text
    folds onto more lines when the table is wider than the console (the others
    are cut with an ellipsis)."""
    result = Table(header_style="bold")
    for i, name in enumerate(columns):
        values = [row[i] for row in rows if row[i] is not None]
        numeric = bool(values) and all(_is_number(v) for v in values)
        folds = name == wrap
        result.add_column(
            Text(name),
            justify="right" if numeric else "left",
            no_wrap=not folds,
            overflow="fold" if folds else "ellipsis",
            min_width=min(cell_len(name), 12),
            ratio=1 if folds else None,
        )
    for row in rows:
        result.add_row(*(_cell(v) for v in row))
    return result


def print_vertical(console: Console, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """One block per row, a `column: value` line per column (psql's \\x)."""
    if not rows:
        console.print(Text("(no rows)", style="dim"))
    for n, row in enumerate(rows, 1):
        if n > 1:
            console.print()
        console.print(Text(f"── row {n} ──", style="dim"))
        block = Table.grid(padding=(0, 1))
        block.add_column(no_wrap=True)
        block.add_column(overflow="fold")
        for name, value in zip(columns, row, strict=True):
            block.add_row(Text(f"{name}:", style="bold"), _cell(value))
        console.print(block)
