"""Text on the pictures: escaped data, numbers in full and in short."""

from __future__ import annotations

import html


def e(value) -> str:
    """Text from the warehouse, escaped for HTML and SVG."""
    return html.escape("" if value is None else str(value), quote=True)


def num(value) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def short(value) -> str:
    """A value in few characters, for labels on the charts (the exact one is in the tooltip)."""
    if value is None:
        return ""
    v = float(value)
    if abs(v) >= 100_000_000:
        return f"{v / 100_000_000:.3g}亿"
    if abs(v) >= 10_000:
        return f"{v / 10_000:.3g}万"
    return str(int(v)) if v.is_integer() else f"{v:.1f}"


def cut(text, n: int) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= n else text[: n - 1] + "…"
