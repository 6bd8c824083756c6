"""Real documents with their statistics table re-rendered from gold in many layouts.

`tests/fixtures/perturb.py` rebuilds every table of the realdocs set (r01–r24) and the
five seeds from gold and puts it back into the document's own prose in one of
`perturb.LAYOUTS`. For every (document, layout):

- zero wrong values (hard): no cell may carry a number other than gold's, nor a number
  where the rendered table prints a blank cell or no cell at all;
- on the clean layouts (`perturb.CLEAN_LAYOUTS`) every non-blank gold cell is recovered
  (`Doc.required`: with one cell per line, not the cells of rows that mix blank and
  non-blank cells, which that layout makes ambiguous).

The share recovered per layout is printed by `test_recovery_summary` (run with ``-s``) and
written to ``<pytest basetemp>/perturbation_recovery.txt``.
Deselect with ``-m "not perturbation"``.
"""

from __future__ import annotations

import pytest

from orchestration.extract import extract_bytes
from tests.fixtures import perturb

DOCS = perturb.load_docs()
# (layout, doc) -> (recovered, non-blank gold cells, wrong cells)
RESULTS: dict[tuple[str, str], tuple[int, int, int]] = {}

# e2e: every document rendered in every layout and read whole (hundreds of cases).
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not DOCS, reason="no documents with gold found"),
]


def _fmt(v: float | None) -> str:
    if v is None:
        return "blank"
    return str(int(v)) if v == int(v) else str(v)


def _short(text: str | None, n: int = 40) -> str | None:
    return text if text is None or len(text) <= n else text[:n] + "…"


def check(doc: perturb.Doc, layout: str) -> tuple[list[str], set[tuple[str, str]], str | None]:
    """(wrong cells as readable lines, gold keys recovered, detected template)."""
    data, name = perturb.render(doc, layout)
    x = extract_bytes(data, name)
    expected = doc.expected()
    wrong, recovered = [], set()
    for c in x.cells:
        if not c.indicator_code or c.value is None:
            continue
        key = (c.indicator_code, c.applicant_type)
        want = expected.get(key)
        if want is not None and abs(c.value - want) < 1e-9:
            recovered.add(key)
            continue
        where = "no such cell" if key not in expected else f"gold {_fmt(want)}"
        wrong.append(
            f"{key[0]}/{key[1]} = {_fmt(c.value)} ({where}); text {_short(c.value_text)!r}, "
            f"row {_short(c.row_label)!r}, column {_short(c.column_label)!r}, at {c.source_locator}"
        )
    return wrong, recovered, x.template


@pytest.mark.perturbation
@pytest.mark.parametrize("layout", perturb.LAYOUTS)
@pytest.mark.parametrize("name", sorted(DOCS))
def test_perturbed_table(name, layout, record_property):
    doc = DOCS[name]
    nonblank = doc.nonblank()
    try:
        wrong, recovered, template = check(doc, layout)
    except Exception:
        RESULTS[(layout, name)] = (0, len(nonblank), -1)  # the extractor raised
        raise
    RESULTS[(layout, name)] = (len(recovered), len(nonblank), len(wrong))
    record_property("recovered", f"{len(recovered)}/{len(nonblank)}")
    record_property("wrong", len(wrong))

    assert template == doc.template, f"{name} as {layout}: template {template}, gold {doc.template}"
    assert not wrong, f"{name} as {layout}: {len(wrong)} wrong value(s):\n  " + "\n  ".join(wrong)
    if layout in perturb.CLEAN_LAYOUTS:
        required = doc.required(layout)
        missed = sorted(set(required) - recovered)
        assert not missed, (
            f"{name} as {layout}: {len(missed)} of {len(required)} gold cells not recovered: "
            + ", ".join(f"{c}/{a}={_fmt(required[(c, a)])}" for c, a in missed[:20])
            + (" …" if len(missed) > 20 else "")
        )


def test_generator_prints_every_gold_value():
    """The renderer itself: every non-blank gold value is in each rendering, the
    original table is gone, and the prose before it is kept."""
    for name, doc in DOCS.items():
        blocks = doc.blocks()
        assert sum(1 for b in blocks if isinstance(b, perturb.Table)) in (1, 3)
        before, _, located = perturb.split_document(doc)
        assert located, name
        start, end = perturb.locate_table(doc)
        original = doc.text[start:end]
        for layout in perturb.LAYOUTS:
            text = perturb.render_text(doc, layout)
            if layout != "traditional":
                for line in before.splitlines()[-3:]:
                    assert layout == "html" or line in text, (name, layout, line)
            if len(original) > 200 and layout not in ("traditional", "glued_digits"):
                assert original not in text, (name, layout)
            for key, value in doc.gold.items():
                if value.strip():
                    assert value.strip() in text, (name, layout, key, value)


@pytest.mark.perturbation
def test_recovery_summary(tmp_path_factory):
    """The share of gold cells recovered per layout (printed with -s)."""
    if not RESULTS:
        pytest.skip("no perturbation test ran")
    lines = [
        f"{'layout':<22}{'docs':>5}{'clean':>6}{'wrong':>7}{'recovered':>11}{'of':>6}{'share':>8}",
    ]
    for layout in perturb.LAYOUTS:
        rows = [v for (lay, _), v in RESULTS.items() if lay == layout]
        if not rows:
            continue
        rec = sum(r for r, _, _ in rows)
        tot = sum(t for _, t, _ in rows)
        wrong = sum(w for _, _, w in rows if w > 0)
        clean = sum(1 for _, _, w in rows if w == 0)
        raised = sum(1 for _, _, w in rows if w < 0)
        share = f"{100 * rec / tot:.1f}%" if tot else "-"
        mark = (" *" if layout in perturb.CLEAN_LAYOUTS else "") + (
            f" ({raised} raised)" if raised else ""
        )
        lines.append(
            f"{layout:<22}{len(rows):>5}{clean:>6}{wrong:>7}{rec:>11}{tot:>6}{share:>8}{mark}"
        )
    lines.append("clean = documents with zero wrong values; * = full recovery required")
    table = "\n".join(lines)
    out = tmp_path_factory.getbasetemp() / "perturbation_recovery.txt"
    out.write_text(table + "\n", encoding="utf-8")
    print("\nperturbation recovery per layout\n" + table + f"\n(written to {out})")
