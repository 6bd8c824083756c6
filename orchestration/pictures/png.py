"""The PNG: the key chart of the page, drawn by matplotlib with the page's
font, small enough for Dagster's asset metadata. Left: requests received per
region over the years; right: the findings per rule."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.pictures.data import WarehouseData
from orchestration.pictures.labels import RULES, TEMPLATES, all_rules, region_label, rule_colors

MAX_PNG_REGIONS = 8
MARKERS = {"gov2008": "s", "gov2019": "o", "gov2021": "^", None: "x"}  # per template


@dataclass(frozen=True)
class Fonts:
    """How matplotlib is told the font: keyword arguments for text, and the
    legends' (smaller) font."""

    text: dict = field(default_factory=dict)
    small: object = field(default_factory=lambda: {"size": 8})

    @classmethod
    def of(cls, font: Path | None) -> Fonts:
        if font is None:
            return cls()
        from matplotlib import font_manager

        return cls(
            {"fontproperties": font_manager.FontProperties(fname=str(font))},
            font_manager.FontProperties(fname=str(font), size=8),
        )

    @property
    def title(self):
        return self.text.get("fontproperties")


def mpl_text(text: str) -> str:
    """Text from the data as matplotlib draws it literally: no mathtext between
    dollar signs, and a legend label not hidden by a leading underscore."""
    text = text.replace("$", r"\$")
    return " " + text if text.startswith("_") else text


def png(data: WarehouseData, font: Path | None) -> bytes:
    """Requests received per region over the years, and the findings per rule."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fonts = Fonts.of(font)
    fig = Figure(figsize=(11, 4.2), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    ax, bx = fig.subplots(1, 2, width_ratios=[1.6, 1])
    _requests(ax, data, fonts)
    _findings(bx, data, fonts)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    return buf.getvalue()


def _requests(ax, data: WarehouseData, fonts: Fonts) -> None:
    """The MAX_PNG_REGIONS regions with the longest series of requests received."""
    by_region: dict[str, list[dict]] = defaultdict(list)
    for row in data.rows:
        if row.get("requests_received") is not None:
            by_region[row["region_id"]].append(row)
    picked = sorted(
        by_region,
        key=lambda rid: (
            -len(by_region[rid]),
            -max(r["requests_received"] for r in by_region[rid]),
            rid,
        ),
    )[:MAX_PNG_REGIONS]
    top = 0.0
    for i, rid in enumerate(picked):
        rows = sorted(by_region[rid], key=lambda r: r["report_year"])
        top = max(top, _region_line(ax, rows, f"C{i % 10}"))
    years = sorted({r["report_year"] for r in data.rows})
    if years:
        ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(0, max(top, 1) * 1.12)
    ax.set_title("本年收到申请数（各地区，按年度）", **fonts.text)
    ax.grid(True, alpha=0.3)
    if picked:
        _legends(ax, fonts)
    else:
        ax.text(0.5, 0.5, "无数据", ha="center", transform=ax.transAxes, **fonts.text)


def _region_line(ax, rows: list[dict], color: str) -> float:
    """One region's requests, a marker per template; returns its highest value."""
    # Solid within one template; across a template change only a faint dotted line.
    for a, b in zip(rows, rows[1:]):
        same = a["template"] == b["template"]
        ax.plot(
            [a["report_year"], b["report_year"]],
            [a["requests_received"], b["requests_received"]],
            "-" if same else ":",
            color=color if same else "#999",
            lw=1.6 if same else 1.0,
        )
    top = 0.0
    for r in rows:
        marker = MARKERS.get(r["template"], "x")
        ax.plot(r["report_year"], r["requests_received"], marker, color=color, ms=6)
        top = max(top, r["requests_received"])
    ax.plot([], [], "-", color=color, label=mpl_text(region_label(rows[0])))
    return top


def _legends(ax, fonts: Fonts) -> None:
    """The regions (upper right, outside), and the templates' markers (lower right)."""
    from matplotlib.lines import Line2D

    regions_legend = ax.legend(
        prop=fonts.small,
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        title="地区",
        title_fontproperties=fonts.title,
    )
    ax.add_artist(regions_legend)
    ax.legend(
        handles=[Line2D([], [], ls="", marker=MARKERS[t], color="#555", label=t) for t in TEMPLATES]
        + [Line2D([], [], ls=":", color="#999", label="模板变更")],
        prop=fonts.small,
        loc="lower left",
        bbox_to_anchor=(1.01, 0),
        title="模板",
        title_fontproperties=fonts.title,
    )


def _findings(bx, data: WarehouseData, fonts: Fonts) -> None:
    """One bar per rule found, in the rules' order, coloured as on the page."""
    by_rule = Counter(f["rule"] for f in data.findings)
    rules = [r for r in RULES if by_rule[r]] + sorted(set(by_rule) - set(RULES))
    colors = rule_colors(all_rules(set(by_rule)))
    if rules:
        counts = [by_rule[r] for r in rules]
        bars = bx.barh(range(len(rules)), counts, height=0.6, color=[colors[r] for r in rules])
        bx.set_yticks(range(len(rules)), [f"{r}\n{RULES.get(r, '')}" for r in rules], **fonts.text)
        bx.invert_yaxis()
        bx.bar_label(bars, padding=3)
        bx.set_xlim(0, max(counts) * 1.15)
    else:
        bx.text(0.5, 0.5, "没有一致性问题", ha="center", transform=bx.transAxes, **fonts.text)
        bx.set_yticks([])
    bx.set_title(f"一致性问题（按规则，共 {len(data.findings)} 条）", **fonts.text)
    for tick in bx.get_yticklabels():
        tick.set_fontsize(8)
