"""PDF reading speed against the naive pdfplumber pass, file by file.

    python -m bench.pdf_speed CORPUS [--fonts cid,embedded] [--extra FILE ...]
                              [--before DIR] [--repeat 3] [--out OUT.json]

Takes the PDFs of a `bench.corpus` corpus, one group per font kind of --fonts
(cid: the non-embedded STSong-Light ones, told apart by the ``cid_font`` hazard
of gold_reports.csv; embedded; all), and any --extra PDF (a real report such as
/work/shared/realdocs/docs/r25.pdf) as a group of its own. Each file is timed,
in turn and --repeat times, by:

* ``ours``: `orchestration.extract.extract_bytes` (the whole extraction);
* ``naive``: pdfplumber, every page, `extract_text()` then `extract_tables()`;
* ``before``: `extract_bytes` of the code under --before (a copy of an older
  tree: the same files, the same minutes of machine load).

Each side runs in its own long-lived worker process (imports and first calls
kept out by one untimed warm-up file); the timings are process_time (CPU) and
perf_counter (wall) inside the worker around one file. The 1-minute load
average is recorded before and after each file.

Untimed, per file and per code: the pages that went to pdfplumber proper
(`pdf._read_pages` gave None), and on the pages read fast every table row (or,
on a page read as an unruled table, every line) compared with pdfplumber
proper's (`pdf._placed_pdfplumber`): whitespace aside, and after the parsers'
normalisation (`labels.clean`, single spaces).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")

# Runs inside each worker: one JSON command per stdin line, one JSON answer per line.
WORKER = r"""
import json, sys, time

def ours(path):
    from orchestration.extract import extract_bytes
    data = open(path, "rb").read()
    t0, c0 = time.perf_counter(), time.process_time()
    x = extract_bytes(data, path.rsplit("/", 1)[-1])
    return time.perf_counter() - t0, time.process_time() - c0, x.page_count

def naive(path):
    import pdfplumber
    t0, c0 = time.perf_counter(), time.process_time()
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()
        n = len(pdf.pages)
    return time.perf_counter() - t0, time.process_time() - c0, n

def check(path):
    import pdfplumber
    from orchestration.extract.labels import clean, squash
    from orchestration.extract.readers import pdf as reader
    pages = reader._read_pages(open(path, "rb").read())
    fallback = [i + 1 for i, p in enumerate(pages) if p is None]
    rows = 0
    differ, spaces = [], []
    with pdfplumber.open(path) as pdf:
        for i, p in enumerate(pages):
            if p is None:
                continue
            ruled = any(ti > 0 for _, _, ti in p)
            unruled = not ruled and any(top > 0 for top, _, _ in p)  # lines of an unruled table
            if not (ruled or unruled):
                continue
            keep = (lambda ti: ti > 0) if ruled else (lambda ti: True)
            slow = reader._placed_pdfplumber(pdf.pages[i], i + 1)
            fast = [(ti, r.cells) for _, r, ti in p if keep(ti)]
            slow = [(ti, r.cells) for _, r, ti in slow if keep(ti)]
            rows += len(fast)
            norm = lambda rs, f: [(ti, tuple(f(c) for c in cells)) for ti, cells in rs]
            if norm(fast, squash) != norm(slow, squash):
                differ.append(i + 1)
            elif norm(fast, clean) != norm(slow, clean):
                spaces.append(i + 1)
    return {
        "fallback_pages": fallback,
        "rows_compared": rows,
        "pages_differing": differ,
        "pages_differing_in_spaces_only": spaces,
    }

for line in sys.stdin:
    cmd = json.loads(line)
    if cmd["do"] == "check":
        out = check(cmd["path"])
    else:
        s, c, n = {"ours": ours, "naive": naive}[cmd["do"]](cmd["path"])
        out = {"seconds": s, "cpu": c, "pages": n}
    print(json.dumps(out), flush=True)
"""


class Worker:
    def __init__(self, code_root: Path):
        env = dict(os.environ, PYTHONPATH=str(code_root))
        self.proc = subprocess.Popen(
            [PYTHON, "-c", WORKER],
            cwd=code_root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, do: str, path: Path) -> dict:
        self.proc.stdin.write(json.dumps({"do": do, "path": str(path)}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"worker died on {do} {path}")
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def corpus_pdfs(corpus: Path, font: str) -> list[Path]:
    with open(corpus / "gold_reports.csv", encoding="utf-8") as f:
        reports = [r for r in csv.DictReader(f) if r["format"] == "pdf"]
    keep = {
        "cid": lambda h: "cid_font" in h,
        "embedded": lambda h: "cid_font" not in h,
        "all": lambda h: True,
    }[font]
    return [corpus / "raw" / r["source_path"] for r in reports if keep(r["hazards"])]


def summary(files: list[dict], sides: list[str]) -> dict:
    pages = sum(f["pages"] for f in files)
    out: dict = {"files": len(files), "pages": pages}
    for side in sides:
        cpu = sum(f[side]["cpu"] for f in files)
        wall = sum(f[side]["seconds"] for f in files)
        out[side] = {
            "cpu_s": round(cpu, 3),
            "wall_s": round(wall, 3),
            "cpu_ms_per_page": round(cpu / pages * 1e3, 2) if pages else None,
            "wall_ms_per_page": round(wall / pages * 1e3, 2) if pages else None,
        }
    for side in sides:
        if side != "naive":
            out[side]["speedup_cpu"] = round(out["naive"]["cpu_s"] / out[side]["cpu_s"], 2)
            out[side]["speedup_wall"] = round(out["naive"]["wall_s"] / out[side]["wall_s"], 2)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.pdf_speed", description=__doc__)
    ap.add_argument("corpus", type=Path, nargs="?")
    ap.add_argument("--fonts", default="cid", help="comma-separated: cid, embedded, all")
    ap.add_argument("--extra", type=Path, nargs="*", default=[])
    ap.add_argument("--before", type=Path, default=None, help="root of an older code tree")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)

    groups: dict[str, list[Path]] = {str(p): [p] for p in a.extra}
    for font in a.fonts.split(",") if a.corpus else ():
        groups[f"corpus {font}-font PDFs"] = corpus_pdfs(a.corpus, font)
    paths = [p for ps in groups.values() for p in ps]
    if not paths:
        ap.error("no PDF to measure")

    workers = {"ours": Worker(ROOT), "naive": Worker(ROOT)}
    if a.before:
        workers["before"] = Worker(a.before.resolve())
    sides = list(workers)
    for side, w in workers.items():  # warm-up, untimed
        w.ask("naive" if side == "naive" else "ours", paths[0])

    results = {}
    for path in paths:
        load = os.getloadavg()[0]
        runs: dict[str, list[dict]] = {side: [] for side in sides}
        for _ in range(a.repeat):
            for side, w in workers.items():
                runs[side].append(w.ask("naive" if side == "naive" else "ours", path))
        entry: dict = {"pages": runs["naive"][0]["pages"]}
        for side in sides:
            entry[side] = {
                "cpu": sum(r["cpu"] for r in runs[side]) / a.repeat,
                "seconds": sum(r["seconds"] for r in runs[side]) / a.repeat,
            }
        entry["load_before_after"] = [round(load, 2), round(os.getloadavg()[0], 2)]
        for side in [s for s in sides if s != "naive"]:
            entry[f"check_{side}"] = workers[side].ask("check", path)
        results[str(path)] = entry
        print(
            path.name,
            entry["pages"],
            *(f"{s} {entry[s]['cpu'] / entry['pages'] * 1e3:.1f}" for s in sides),
            "ms/page CPU; fallback",
            *(entry[f"check_{s}"]["fallback_pages"] for s in sides if s != "naive"),
            "differing",
            *(entry[f"check_{s}"]["pages_differing"] for s in sides if s != "naive"),
            file=sys.stderr,
        )
    for w in workers.values():
        w.close()

    report: dict = {
        "command": " ".join(sys.argv),
        "repeat": a.repeat,
        "load_1min_min_max": [
            min(e["load_before_after"][0] for e in results.values()),
            max(e["load_before_after"][1] for e in results.values()),
        ],
        "groups": {},
        "files": results,
    }
    for name, ps in groups.items():
        files = [results[str(p)] for p in ps]
        g = summary(files, sides)
        for side in [s for s in sides if s != "naive"]:
            checks = [f[f"check_{side}"] for f in files]
            g[side]["fallback_pages"] = sum(len(c["fallback_pages"]) for c in checks)
            g[side]["rows_compared"] = sum(c["rows_compared"] for c in checks)
            g[side]["pages_differing"] = sum(len(c["pages_differing"]) for c in checks)
            g[side]["pages_differing_in_spaces_only"] = sum(
                len(c["pages_differing_in_spaces_only"]) for c in checks
            )
        report["groups"][name] = g
    text = json.dumps(report, indent=1, ensure_ascii=False)
    if a.out:
        a.out.write_text(text + "\n", encoding="utf-8")
    print(json.dumps(report["groups"], indent=1, ensure_ascii=False))
    print("load (1 min) between", *report["load_1min_min_max"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
