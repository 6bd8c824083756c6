"""The project's benchmark: a synthetic corpus with gold values, and the run
that measures parsing, the naive pdfplumber baseline and the warehouse build.

    python -m bench.corpus OUTDIR --reports N --seed S     # corpus + gold only
    python -m bench.run --sizes 100,300,1000                # the whole benchmark

Modules: corpus (the generator), measure (the timed loops run in child
processes), run (orchestration, tables, bench/results.json).  Run from the
project root: the generator imports the fixture renderer from tests/fixtures.
"""
