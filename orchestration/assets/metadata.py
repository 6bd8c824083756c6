"""Rows of a frame as Dagster table metadata: the UI shows them as a table
with typed columns (not text wrapped over lines)."""

import dagster as dg
import polars as pl

SCALARS = (str, int, float, bool)


def _value(v):
    return v if v is None or isinstance(v, SCALARS) else str(v)


def column_schema(frame: pl.DataFrame) -> dg.TableSchema:
    """The frame's columns and their types."""
    return dg.TableSchema(
        columns=[dg.TableColumn(name, str(dtype)) for name, dtype in frame.schema.items()]
    )


def table_preview(
    frame: pl.DataFrame, columns: list[str] | None = None, rows: int = 10
) -> dg.MetadataValue:
    """The first `rows` rows of `frame` (only `columns`, when given)."""
    head = frame.select([c for c in (columns or frame.columns) if c in frame.columns]).head(rows)
    schema = column_schema(head)
    records = [
        dg.TableRecord({k: _value(v) for k, v in row.items()}) for row in head.iter_rows(named=True)
    ]
    return dg.MetadataValue.table(records=records, schema=schema)
