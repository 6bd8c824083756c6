"""The timed loops.  `bench.run` starts each in its own process so that the
process's peak RSS (ru_maxrss from wait4) belongs to that loop alone.

    python -m bench.measure parse    CORPUS OUT.json   # extract_file on every report
    python -m bench.measure baseline CORPUS OUT.json   # naive pdfplumber on every PDF

CORPUS holds raw/ and the gold CSVs written by `bench.corpus`.  Both loops run
in one process, one file after another, and time each file with
perf_counter (wall) and process_time (CPU: what a shared machine does not
inflate); the first file of each format is extracted once, untimed, so
that import and first-call costs stay out of the rates (for both sides).
"""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

IDENTITY_FIELDS = {  # gold_reports.csv column -> Identity attribute (score_gold.py's fields + organization)
    "year": "report_year",
    "organization": "organization",
    "region": "region_name",
    "region_level": "region_level",
    "region_code": "region_code",
    "parent_region": "parent_region_name",
}


def load_gold(corpus: Path) -> tuple[list[dict], dict[str, dict[tuple[str, str], float | None]]]:
    with open(corpus / "gold_reports.csv", encoding="utf-8") as f:
        reports = list(csv.DictReader(f))
    values: dict[str, dict[tuple[str, str], float | None]] = {}
    with open(corpus / "gold_values.csv", encoding="utf-8") as f:
        for g in csv.DictReader(f):
            values.setdefault(g["report"], {})[(g["code"], g["applicant_type"])] = (
                None if g["value"] == "" else float(g["value"])
            )
    return reports, values


def compare(x, gold: dict[tuple[str, str], float | None]) -> tuple[int, list[dict], list[dict]]:
    """(right cells, wrong cells, catalogued cells the gold does not have).  A blank gold
    cell is right when nothing or a NULL came out (score_gold.py's rule); any other
    cell needs exactly one value equal to the gold."""
    got: dict[tuple[str, str], list] = {}
    for c in x.cells:
        if c.indicator_code:
            got.setdefault((c.indicator_code, c.applicant_type), []).append(c)
    right, wrong = 0, []
    for key, want in gold.items():
        vals = [c.value for c in got.get(key, [])]
        if want is None:
            ok = len(vals) <= 1 and all(v is None for v in vals)
        else:
            ok = (
                len(vals) == 1
                and vals[0] is not None
                and math.isclose(vals[0], want, rel_tol=1e-9, abs_tol=1e-9)
            )
        if ok:
            right += 1
        else:
            wrong.append(
                {
                    "code": key[0],
                    "applicant_type": key[1],
                    "expected": "" if want is None else want,
                    "got": [
                        (c.value, c.value_text, c.row_label, c.source_locator)
                        for c in got.get(key, [])
                    ]
                    or "missing",
                }
            )
    extra = [
        {
            "code": k[0],
            "applicant_type": k[1],
            "got": [(c.value, c.row_label, c.source_locator) for c in cs],
        }
        for k, cs in got.items()
        if k not in gold
    ]
    return right, wrong, extra


def parse_loop(corpus: Path) -> dict:
    from orchestration.extract import IngestError, extract_file

    raw = corpus / "raw"
    reports, gold = load_gold(corpus)
    for fmt in sorted({r["format"] for r in reports}):  # warm-up, untimed
        extract_file(raw / next(r["source_path"] for r in reports if r["format"] == fmt), raw)
    files, mismatches, extra, identity, errors = [], [], [], [], []
    issues: Counter = Counter()
    right = total = id_right = id_total = 0
    for r in reports:
        path = raw / r["source_path"]
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            x = extract_file(path, raw)
        except IngestError as e:
            errors.append({"report": r["report"], "error": str(e)})
            x = None
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        want = gold.get(r["report"], {})
        ok, wrong, more = compare(x, want) if x is not None else (0, [], [])
        files.append(
            {
                "report": r["report"],
                "format": r["format"],
                "pages": int(r["pages"]),
                "seconds": seconds,
                "cpu": cpu,
                "cells": len(want),
                "right": ok,
                "hazards": r["hazards"],
            }
        )
        if wrong:  # what the extractor said about a report it got wrong
            files[-1]["issues"] = [(i.reason, i.source_locator) for i in x.issues]
        total += len(want)
        if x is None:
            continue
        right += ok
        where = {
            "report": r["report"],
            "format": r["format"],
            "template": r["template"],
            "hazards": r["hazards"],
        }
        mismatches += [dict(where, **w) for w in wrong]
        extra += [dict(where, **e) for e in more]
        issues.update(i.reason for i in x.issues)
        fields = [("template", r["template"], x.template)] + [
            (k, r[k], str(getattr(x.identity, attr) or "")) for k, attr in IDENTITY_FIELDS.items()
        ]
        for name, want_v, got_v in fields:
            id_total += 1
            if want_v == got_v:
                id_right += 1
            else:
                identity.append(dict(where, field=name, expected=want_v, got=got_v))
    return {
        "files": files,
        "cells_right": right,
        "cells_total": total,
        "mismatches": mismatches,
        "unexpected_cells": extra,
        "identity_right": id_right,
        "identity_total": id_total,
        "identity_mismatches": identity,
        "errors": errors,
        "issues": issues.most_common(20),
    }


def baseline_loop(corpus: Path) -> dict:
    """The naive way: pdfplumber, every page, extract_text() then extract_tables()."""
    import pdfplumber

    raw = corpus / "raw"
    pdfs = [r for r in load_gold(corpus)[0] if r["format"] == "pdf"]

    def run(path: Path) -> int:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.extract_tables()
            return len(pdf.pages)

    if pdfs:
        run(raw / pdfs[0]["source_path"])  # warm-up, untimed
    files = []
    for r in pdfs:
        t0, c0 = time.perf_counter(), time.process_time()
        pages = run(raw / r["source_path"])
        files.append(
            {
                "report": r["report"],
                "format": "pdf",
                "pages": pages,
                "seconds": time.perf_counter() - t0,
                "cpu": time.process_time() - c0,
            }
        )
    return {"files": files}


def main(argv: list[str]) -> int:
    mode, corpus, out = argv[0], Path(argv[1]), Path(argv[2])
    result = {"parse": parse_loop, "baseline": baseline_loop}[mode](corpus)
    out.write_text(json.dumps(result, ensure_ascii=False, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
