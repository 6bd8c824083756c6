"""Chart primitives drawn as inline SVG: horizontal stacked bars, a heat colour."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from orchestration.pictures.text import e


@dataclass(frozen=True)
class Bar:
    """One bar: its key (data-key), label, tooltip, and count per segment."""

    key: str
    label: str
    tip: str
    segments: dict[str, int]


def hbar_svg(
    bars: list[Bar],
    color_of: Callable[[str], str],
    klass: str,
    label_w: int = 300,
    bar_w: int = 420,
) -> str:
    """Horizontal bars, one per row, split into coloured segments."""
    row_h, pad = 22, 6
    total_max = max((sum(bar.segments.values()) for bar in bars), default=0) or 1
    height = pad * 2 + row_h * len(bars)
    width = label_w + bar_w + 60
    parts = [
        f'<svg class="{klass}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role=img>'
    ]
    for i, bar in enumerate(bars):
        yy = pad + i * row_h
        parts.append(
            f'<text class=blabel x="{label_w - 8}" y="{yy + 15}">{e(bar.label)}'
            f"<title>{e(bar.tip)}</title></text>"
        )
        xx = float(label_w)
        for seg, count in bar.segments.items():
            if not count:
                continue
            w = bar_w * count / total_max
            parts.append(
                f'<rect class=bar x="{xx:.1f}" y="{yy + 3}" width="{w:.1f}" height="{row_h - 6}" '
                f'fill="{color_of(seg)}" data-key="{e(bar.key)}" data-segment="{e(seg)}" '
                f'data-count="{count}"><title>{e(bar.tip)} · {e(seg)}：{count}</title></rect>'
            )
            xx += w
        total = sum(bar.segments.values())
        parts.append(
            f'<text class=bcount x="{xx + 5:.1f}" y="{yy + 15}" data-key="{e(bar.key)}">{total}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def heat(share: float) -> str:
    """Light to dark blue."""
    lo, hi = (222, 235, 247), (8, 48, 107)
    rgb = (round(a + (b - a) * (0.15 + 0.85 * share)) for a, b in zip(lo, hi))
    return "#" + "".join(f"{c:02x}" for c in rgb)
