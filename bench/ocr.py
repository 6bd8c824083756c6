"""OCR throughput and accuracy on scanned fixture reports.

    python -m bench.ocr [--dpi 150,200] [--render-dpi 200] [--reports gov2021|all] [--workdir DIR]

Renders the reports as image-only scans (tests/fixtures/render_scan.py: seal, skew,
noise, JPEG pages) at each dpi, then times `extract_bytes` on each in this process
(the OCR engine runs on one thread, so CPU seconds are seconds of one core) after one
untimed warm-up page (pages rendered for OCR at --render-dpi, the reader's OCR_DPI
by default), and scores the cells against the gold. Prints one line per
file and a total per dpi: pages, wall and CPU seconds, pages per CPU second (pages
per second per core), cells right of gold cells, wrong numbers, NULLs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from orchestration.extract import extract_bytes
    from orchestration.extract.readers import ocr
    from tests.fixtures import render_scan
    from tests.test_ocr import _gold, score

    ap = argparse.ArgumentParser(prog="python -m bench.ocr", description=__doc__)
    ap.add_argument("--dpi", default="150,200")
    ap.add_argument("--reports", default="gov2021", choices=["gov2021", "all"])
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--render-dpi", type=int, default=ocr.OCR_DPI)
    a = ap.parse_args(argv)
    ocr.OCR_DPI = a.render_dpi
    work = a.workdir or Path(tempfile.mkdtemp(prefix="bench-ocr-"))
    work.mkdir(parents=True, exist_ok=True)
    reports = render_scan.all_reports()
    if a.reports == "gov2021":
        reports = [r for r in reports if r.template == "gov2021"]
    render_scan.render_scans(work, folders=())  # the gold files
    values, _ = _gold(work)
    ocr.engine()
    print(f"load average before: {os.getloadavg()[0]:.2f}; pages rendered at {ocr.OCR_DPI} dpi")
    for dpi in (int(d) for d in a.dpi.split(",")):
        pages = cpu = wall = right = total = wrong = null = 0
        for report in reports:
            path = work / f"scan{dpi}" / f"{report.stem}.pdf"
            if not path.exists():
                render_scan.render_scanned_pdf(report, path, dpi)
            data = path.read_bytes()
            if not pages:
                extract_bytes(data, path.name)  # warm-up: imports, first inference
            t0, c0 = time.perf_counter(), time.process_time()
            x = extract_bytes(data, path.name)
            w, c = time.perf_counter() - t0, time.process_time() - c0
            r, bad, nulls = score(x, values[report.stem])
            pages += x.ocr_pages
            cpu += c
            wall += w
            right += r
            total += len(values[report.stem])
            wrong += len(bad)
            null += len(nulls)
            print(
                f"{dpi} dpi {path.name:34} {x.ocr_pages:3} pages {w:6.1f} s wall {c:6.1f} s CPU "
                f"{r}/{len(values[report.stem])} right, {len(bad)} wrong, {len(nulls)} NULL"
            )
        print(
            f"{dpi} dpi total: {pages} pages, {wall:.1f} s wall, {cpu:.1f} s CPU, "
            f"{pages / cpu:.2f} pages per CPU second ({cpu / pages:.2f} s a page), "
            f"{right}/{total} cells right, {wrong} wrong, {null} NULL"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
