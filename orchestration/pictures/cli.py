"""`python -m orchestration.pictures [WAREHOUSE] [OUT_DIR]`: the pictures of a
published warehouse (default warehouse/disclosure.duckdb), written beside it."""

from __future__ import annotations

import argparse
from pathlib import Path

from orchestration.pictures.write import write_report_page


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m orchestration.pictures")
    parser.add_argument(
        "warehouse", nargs="?", type=Path, default=Path("warehouse/disclosure.duckdb")
    )
    parser.add_argument("out_dir", nargs="?", type=Path, default=None)
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        parser.error(f"no warehouse at {args.warehouse}")
    page = write_report_page(args.warehouse, args.out_dir)
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in page.counts().items())
    print(f"{page.html}\n{page.png}\n{counts}")
