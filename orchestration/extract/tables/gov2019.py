"""The grammar of the 2019 and 2021 tables (they share sections 三 and 四), over the token stream.

* Section 二 (from a 第二十条 band or an 信息内容 header): a row label of the
  template (规章, 行政许可, …) followed by its values; how many is the number of
  catalog cells the row has in the template (3, 2 or 1), in catalog order.
* Section 三 (from 申请人情况 or the first matrix row): row labels nest
  (本年度办理结果 › 不予公开 › 1.属于国家秘密); each row takes 7 values (8 when
  the header has a 小计 column), applicant columns in template order. Every
  reading must keep total = the six applicant columns where it can be checked.
* Section 四 (from 行政复议 after the matrix): 15 values, three groups of five
  whose 总计 is the sum of the four before it.

Values belong to the label they follow; a row whose values do not fit its
columns in exactly one way keeps its undetermined cells NULL with an issue.
"""

from __future__ import annotations

from functools import cache

from .. import catalog, vocabulary
from ..labels import numbering
from ..model import Cell, Issue
from .align import Alignment, align, cut_off, sums_to_last
from .stream import Tok
from .words import Lexicon, Word
from .words import key as label_key

SHARED = ("gov2019", "gov2021")


@cache
def _grammar():
    entries = [e for t in SHARED for e in catalog.for_template(t)]
    heads = {t: {} for t in SHARED}  # template → head key → entries in column order
    for e in entries:
        if e.section == "proactive":
            heads[e.template].setdefault(label_key(e.head), []).append(e)
    rows: dict[tuple[str, str], catalog.Entry] = {}  # (group key, leaf key) → entry
    groups = set()
    for e in entries:
        if e.section != "requests":
            continue
        if e.tail:
            rows.setdefault((label_key(e.head), label_key(e.tail)), e)
            groups.add(label_key(e.head))
        else:
            rows.setdefault(("", label_key(e.head)), e)
    review = [e for e in catalog.for_template("gov2019") if e.section in ("review", "litigation")]
    lex: list[tuple[str, str]] = []
    for t in SHARED:
        lex += [(k, "head") for k in heads[t]]
        lex += [(label_key(e.tail), "column") for e in catalog.for_template(t, "proactive")]
    lex += [(leaf, "mrow") for _, leaf in rows]
    lex += [(g, "mrow") for g in groups]
    lex += [(label_key(c.label), "applicant") for c in catalog.applicant_columns()]
    lex += [(label_key(w), "subtotal") for w in vocabulary.markers("subtotal_column", "gov2019")]
    for e in review:
        lex += [(label_key(p), "review") for p in e.label.split(" ")]
    lex += [
        (label_key(w), "proactive_start") for w in vocabulary.markers("proactive_start", "gov2019")
    ]
    lex += [
        (label_key(w), "requests_start") for w in vocabulary.markers("requests_start", "gov2019")
    ]
    lex += [(label_key(w), "column") for w in vocabulary.markers("column_header", "gov2019")]
    lex += [(label_key(w), "end") for w in vocabulary.markers("table_end", "gov2019")]
    numbered = {leaf: numbering(e.tail) for (_, leaf), e in rows.items()}
    numbers = {
        leaf: str(n.number) for leaf, n in numbered.items() if n.number and n.kind == "arabic"
    }
    return heads, rows, groups, review, Lexicon(lex, numbers)


def detect(toks: list[Tok]) -> str | None:
    """gov2019 or gov2021 from the header words (never from the year), or None."""
    text = "".join(label_key(t.text) for t in toks if t.kind == "text")
    votes = {
        t: sum(label_key(m) in text for m in ms) for t, ms in vocabulary.template_markers().items()
    }
    best = max(votes, key=lambda t: votes[t])
    if votes[best] >= 2 or (votes[best] >= 1 and _has_matrix(text)):
        return best
    if _has_matrix(text):
        return "gov2019"
    return None


def _has_matrix(text: str) -> bool:
    return any(label_key(w) in text for w in vocabulary.markers("requests_start", "gov2019"))


class _Parser:
    def __init__(self, toks: list[Tok], template: str):
        self.heads, self.rows, self.groups, self.review, self.lex = _grammar()
        self.template = template
        self.toks = toks
        self.cells: list[Cell] = []
        self.issues: list[Issue] = []
        self.seen_sections: set[str] = set()
        self.applicant_keys = {label_key(c.label) for c in catalog.applicant_columns()}
        self.first_column = label_key(catalog.applicant_columns()[0].label)
        # (row width, cell index) of the first applicant column when the header is a grid
        self.grid: tuple[int | None, int] | None = None
        self.review_keys = {label_key(p) for e in self.review for p in e.label.split(" ")}
        # Matrix rows in the template's printed order, and value rows read with no row label
        # since the last placed row (`prev`): placed by that order only if the arithmetic holds.
        self.order = catalog.for_template(template, "requests")
        self.prev: str | None = None
        self.pending: list[tuple[Word | None, list[Tok]]] = []

    # ------------------------------------------------------------ the walk

    def words(self) -> list[tuple[Word | None, Tok]]:
        """The stream with text tokens cut into words (values stay tokens)."""
        out: list[tuple[Word | None, Tok]] = []
        for t in self.toks:
            if t.kind == "text":
                out += [(w, t) for w in self.lex.words(t, fuzzy_kinds=("head", "mrow"))]
            else:
                out.append((None, t))
        return out

    def run(self) -> tuple[list[Cell], list[Issue]]:
        stream = self.words()
        section = None
        group = ""
        header: list[str] = []
        review_header = 0
        i = 0
        while i < len(stream):
            w, _ = stream[i]
            if w is None:
                i += 1
                continue
            if w.kind == "end" and (
                section == "review" or self.seen_sections >= {"proactive", "requests"}
            ):
                break
            if w.kind in ("proactive_start", "band") and section in (None, "proactive"):
                section = "proactive"
            elif w.kind == "requests_start" or (
                w.kind == "mrow"
                and section in (None, "proactive")
                and self._row(w, "")
                and w.key == self._first_row_key()
            ):
                if section != "requests":
                    section, group, header = "requests", "", []
            elif w.kind == "review" and section == "requests" and self._matrix_done():
                section, review_header = "review", 0
            values, rest, j = self._values(stream, i + 1)
            if section != "requests" and self.pending:
                self._flush(None, header)
            if section == "proactive" and w.kind == "head":
                self._proactive_row(w, values)
            elif section == "requests":
                if not self._matrix_started() and (
                    w.kind in ("applicant", "subtotal")
                    or (w.key in self.applicant_keys and not w.numbering)
                ):
                    header.append(w.kind if w.kind == "subtotal" else w.key)
                    if w.key == self.first_column and w.tok.col is not None:
                        self.grid = (w.tok.width, w.tok.col)
                    if header and (values or rest):  # a row before the first row label
                        self.pending.append((None, values + rest))
                elif w.kind == "unknown" and self._matrix_started() and (values or rest):
                    self.pending.append((None, values + rest))  # a row label past reading
                elif w.kind == "mrow":
                    entry = self._row(w, group)
                    if w.key in self.groups and not values:
                        group = w.key
                    elif entry is None and w.key in self.groups:
                        # a group's own row: a subtotal, or its first row's label lost
                        self.pending.append((w, values))
                        group = w.key
                    elif values or entry:
                        self._flush(entry, header)
                        self._matrix_row(w, group, values, header, at_end=j >= len(stream))
                        if w.key in self.groups:
                            group = w.key
                    if rest:
                        self.pending.append((None, rest))
                    if self._row(w, group) is None and self._row(w, "") is not None:
                        group = "" if w.key not in self.groups else w.key
            elif section == "review" and w.key in self.review_keys:
                review_header += 1
                if not any(v.kind == "num" for v in values):
                    values = values + rest  # the header row's padding cell, then the values row
                if review_header >= 3 and any(v.kind == "num" for v in values):
                    self._review_row(w, values)
                    section = "done"
            i = j if values else i + 1
        self._flush(None, header)
        for name, wanted in (
            ("proactive", "section 二 (第二十条)"),
            ("requests", "section 三 matrix"),
            ("review", "section 四 (行政复议/行政诉讼)"),
        ):
            if name not in self.seen_sections:
                self.issues.append(Issue("table", f"{wanted}: no cells read"))
        return self.cells, self.issues

    def _values(self, stream, start: int) -> tuple[list[Tok], list[Tok], int]:
        """The value tokens after a word, up to the next word. A label with values
        beside it in its table row takes only those: the row's end is a boundary
        (the next row's empty label cells are no values of this one); the values of
        the rows after it, which have no label of their own, are returned apart."""
        j = start
        out = []
        while j < len(stream) and stream[j][0] is None:
            out.append(stream[j][1])
            j += 1
        label = stream[start - 1][1] if start > 0 else None
        rest: list[Tok] = []
        if label is not None and label.col is not None:
            same_row = [t for t in out if t.row == label.row]
            if same_row:
                out, rest = same_row, [t for t in out if t.row != label.row]
        if not any(t.kind == "num" for t in rest):
            rest = []
        if not any(t.kind == "num" for t in out) and not (out and all(t.in_cell for t in out)):
            return ([] if not out else out if all(t.kind == "blank" for t in out) else []), rest, j
        return out, rest, j

    def _first_row_key(self) -> str:
        return next(leaf for (g, leaf), e in self.rows.items() if e.code == "a_new")

    def _matrix_started(self) -> bool:
        return any(c.section == "requests" for c in self.cells)

    def _matrix_done(self) -> bool:
        return (
            any(c.indicator_code == "a_carried_out" for c in self.cells) or self._matrix_started()
        )

    def _row(self, w: Word, group: str) -> catalog.Entry | None:
        e = self.rows.get((group, w.key)) or self.rows.get(("", w.key))
        if e is None and not group:
            # a leaf whose group line was lost: unique leaf keys still name their row
            found = [e for (g, leaf), e in self.rows.items() if leaf == w.key]
            e = found[0] if len({x.code for x in found}) == 1 else None
        if (
            e is not None
            and e.template not in (self.template, "gov2019+gov2021")
            and e.code in ("a_other",)
        ):
            return e
        return e

    # ------------------------------------------------------------ section 二

    def _proactive_row(self, w: Word, values: list[Tok]) -> None:
        entries = self.heads[self.template].get(w.key)
        if entries is None:  # the other template's name for the row (规范性文件 in a 2021 table)
            entries = self.heads[self.template].get(vocabulary.label_variants().get(w.key, ""))
        if entries is None:
            other = "gov2021" if self.template == "gov2019" else "gov2019"
            if w.key in self.heads[other]:
                self.issues.append(
                    Issue(
                        "table",
                        f"section 二 row {w.text!r} belongs to the {other} table; cells left NULL",
                        w.tok.locator,
                    )
                )
            return
        self.seen_sections.add("proactive")
        if not values:
            return
        a = align(values, len(entries))
        self._emit(
            w,
            "proactive",
            [(e.code, "total", e.tail, e.unit) for e in entries],
            a,
            values,
            "section 二",
        )

    # ------------------------------------------------------------ section 三

    def _columns(self, header: list[str]) -> list[str]:
        order = [c.applicant_type for c in catalog.applicant_columns()]
        if "subtotal" not in header:
            return order
        known = {label_key(c.label): c.applicant_type for c in catalog.applicant_columns()}
        idx = header.index("subtotal")
        orgs_before = [
            h for h in header[:idx] if known.get(h) not in (None, "natural_person", "total")
        ]
        at = order.index("total") if orgs_before else order.index("commercial_enterprise")
        return [*order[:at], "subtotal", *order[at:]]

    def _matrix_row(
        self, w: Word, group: str, values: list[Tok], header: list[str], at_end: bool = False
    ) -> None:
        entry = self._row(w, group)
        self.seen_sections.add("requests")
        if not values or (entry is None and w.key not in self.groups):
            return
        if entry is not None:
            self.prev = entry.code
        columns = self._columns(header)
        a = self._align_matrix(values, columns)
        if a.readings == 0 and at_end:
            a = cut_off(values, len(columns)) or a
        # A group's own row (a subtotal some publishers print) has no code: kept uncatalogued.
        self._emit(w, "requests", self._matrix_specs(entry, columns), a, values, "section 三")

    def _align_matrix(self, values: list[Tok], columns: list[str]) -> Alignment:
        if self.grid and all(t.width == self.grid[0] and t.row == values[0].row for t in values):
            # The row lies on the header's grid: cells left of the first column are label
            # padding, and so are empty cells right of the last.
            first, end = self.grid[1], self.grid[1] + len(columns)
            values = [t for t in values if t.col >= first and (t.col < end or t.kind != "blank")]

        def check(vals):
            named = dict(zip(columns, vals))
            orgs = [named[c] for c in columns if c not in ("natural_person", "total", "subtotal")]
            parts = [named["natural_person"], *orgs]
            if any(v is None for v in [*parts, named["total"]]):
                return None
            ok = abs(sum(parts) - named["total"]) < 1e-6
            if "subtotal" in named and named["subtotal"] is not None:
                ok = ok and abs(sum(orgs) - named["subtotal"]) < 1e-6
            return ok

        return align(values, len(columns), check)

    def _matrix_specs(self, entry: catalog.Entry | None, columns: list[str]):
        code, unit = (entry.code, entry.unit) if entry is not None else (None, "件")
        subtotal = vocabulary.markers("subtotal_column", "gov2019")[0]
        return [
            (None, "total", subtotal, unit) if c == "subtotal" else (code, c, c, unit)
            for c in columns
        ]

    def _flush(self, entry: catalog.Entry | None, header: list[str]) -> None:
        """The value rows read with no row label since the last placed row. When the
        template prints exactly as many rows between that row and `entry` and every one
        of them is a whole row its arithmetic confirms, they are those rows, in order
        (match_method 'template_order'). Otherwise a group's own row is kept uncatalogued
        and other unlabelled values are left out, with an issue."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        codes = [e.code for e in self.order]
        after = codes.index(self.prev) + 1 if self.prev in codes else 0
        between = (
            self.order[after : codes.index(entry.code)]
            if entry is not None and entry.code in codes
            else []
        )
        runs = [
            run
            for _, toks in pending
            for run in _source_rows(toks)
            if any(t.kind == "num" for t in run)  # not the empty label cells of a next row
        ]
        columns = self._columns(header)
        aligned = [self._align_matrix(run, columns) for run in runs]
        if (
            between
            and len(runs) == len(between)
            and all(a.arithmetic == "confirmed" and not a.ambiguous for a in aligned)
        ):
            for e, run, a in zip(between, runs, aligned):
                self.issues.append(
                    Issue(
                        "table",
                        f"section 三: a row with no label placed as {e.label!r} by the "
                        "template's row order (its row total confirms it)",
                        run[0].locator,
                    )
                )
                self._emit_cells(
                    e.label,
                    run[0],
                    "template_order",
                    "requests",
                    self._matrix_specs(e, columns),
                    a,
                )
            return
        for w, toks in pending:
            if w is not None:
                self._matrix_row(w, "", toks, header)
            elif sum(t.kind == "num" for t in toks) >= 3:
                where = f"after {self.prev}" if self.prev else "before the first row"
                self.issues.append(
                    Issue(
                        "table",
                        f"section 三: values with no row label {where} left out",
                        toks[0].locator,
                    )
                )

    # ------------------------------------------------------------ section 四

    def _review_row(self, w: Word, values: list[Tok]) -> None:
        self.seen_sections.add("review")
        n = len(self.review)

        def check(vals):
            verdicts = [sums_to_last(vals[k : k + 5]) for k in range(0, n, 5)]
            if False in verdicts:
                return False
            return True if all(verdicts) else None

        a = align(values, n, check)
        specs = [(e.code, "total", e.label, e.unit) for e in self.review]
        self._emit(
            w, "review", specs, a, values, "section 四", sections=[e.section for e in self.review]
        )

    # ------------------------------------------------------------ cells

    def _emit(
        self,
        w: Word,
        section: str,
        specs,
        a: Alignment,
        values: list[Tok],
        where: str,
        sections=None,
    ) -> None:
        label = w.printed if w.key not in self.review_keys else "行政复议/行政诉讼"
        if not any(t.kind == "num" for t in values) and (a.readings == 0 or a.ambiguous):
            return  # a row of empty cells: nothing to place
        if a.arithmetic == "cut_off":
            self.issues.append(
                Issue(
                    "table",
                    f"{where} row {label!r} is cut off by the end of the document: its "
                    f"{len(specs) - len(a.ambiguous)} cells are placed from the first column, "
                    f"the other {len(a.ambiguous)} left NULL",
                    w.tok.locator,
                )
            )
        elif a.readings == 0:
            n_vals = sum(1 for t in values if t.kind == "num")
            self.issues.append(
                Issue(
                    "table",
                    f"{where} row {label!r}: {n_vals} values for {len(specs)} columns; cells left NULL",
                    w.tok.locator,
                )
            )
        elif a.ambiguous:
            self.issues.append(
                Issue(
                    "table",
                    f"{where} row {label!r}: {a.readings} readings of {' '.join(_printed(t) for t in values)!r} fit its "
                    f"{len(specs)} columns; the {len(a.ambiguous)} cells they disagree on are left NULL",
                    w.tok.locator,
                )
            )
        method = "fuzzy_label" if w.fuzzy else "label"
        self._emit_cells(label, w.tok, method, section, specs, a, sections)

    def _emit_cells(
        self, label: str, label_tok: Tok, method: str, section: str, specs, a, sections=None
    ) -> None:
        for k, ((code, applicant, column, unit), part) in enumerate(zip(specs, a.parts)):
            tok = part.tok if part is not None else label_tok
            value = part.value if part is not None else None
            self.cells.append(
                Cell(
                    section=sections[k] if sections else section,
                    row_label=label,
                    column_label=column,
                    indicator_code=code,
                    applicant_type=applicant,
                    value=value,
                    unit=(
                        tok.unit
                        if part is not None and part.text is not None and tok.unit
                        else unit
                    ),
                    value_text=_part_text(part),
                    source_locator=tok.locator,
                    page=tok.page,
                    line=tok.line,
                    approximate=bool(part is not None and tok.approximate),
                    match_method=method,
                )
            )


def _source_rows(toks: list[Tok]) -> list[list[Tok]]:
    """Tokens cut into their source rows (one run when the cells stand one per line)."""
    if any(t.col is None for t in toks):
        return [toks]
    runs: list[list[Tok]] = []
    for t in toks:
        if runs and runs[-1][-1].row == t.row:
            runs[-1].append(t)
        else:
            runs.append([t])
    return runs


def _part_text(part) -> str:
    """The cell's text as printed: the cell itself, or its digits cut from a glued run."""
    if part is None or part.text is None:
        return ""
    if part.tok.in_cell:
        return part.tok.raw.strip()
    return f"{part.text}{part.tok.unit or ''}"


def _printed(t: Tok) -> str:
    return "(empty)" if t.kind == "blank" else f"{t.value_text}{t.unit or ''}"


def parse(toks: list[Tok], template: str) -> tuple[list[Cell], list[Issue]]:
    return _Parser(toks, template).run()
