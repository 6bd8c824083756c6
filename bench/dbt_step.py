"""One dbt command as the dbt asset runs it: in this process (DbtInProcess),
after the imports a Dagster run's process has made before its dbt step.

    .venv/bin/python -m bench.dbt_step DBT_ARGS...

dbt's console lines go to stdout; the last line is JSON: the seconds of the
imports and of the dbt command alone (what the step pays), and its exit code,
which is also this process's.
"""

import json
import os
import sys
import time
from pathlib import Path


def main(args: list[str]) -> int:
    t0 = time.perf_counter()
    import orchestration.definitions  # noqa: F401 - what a run's process imports first
    from orchestration.dbt_in_process import DbtInProcess
    from orchestration.project import DBT_EXECUTABLE

    t1 = time.perf_counter()
    process = DbtInProcess([DBT_EXECUTABLE, *args], env=dict(os.environ), cwd=Path.cwd())
    for line in process.stdout:
        sys.stdout.write(line.decode(errors="replace"))
    code = process.wait()
    t2 = time.perf_counter()
    timing = {"import_seconds": round(t1 - t0, 2), "dbt_seconds": round(t2 - t1, 2), "exit": code}
    print(json.dumps(timing), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
