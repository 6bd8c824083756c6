"""The page's stylesheet (inline: the page loads nothing)."""

from __future__ import annotations

from orchestration.pictures.font import FONT_STACK

CSS = """
body { font-family: %(stack)s; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 28px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 8px 0; }
p.lead, p.note, p.empty { font-size: 13px; color: #555; margin: 4px 0 10px; }
.stats { display: flex; gap: 14px; flex-wrap: wrap; margin: 10px 0; }
.stat { border: 1px solid #ddd; border-radius: 4px; padding: 6px 12px; }
.stat b { font-size: 20px; display: block; }
.stat span { font-size: 12px; color: #555; }
.legend { font-size: 12px; margin: 6px 0; }
.sym { color: #777; margin: 0 3px 0 10px; }
.sw { display: inline-block; width: 12px; height: 12px; vertical-align: -2px; margin: 0 3px 0 10px; }
table.multiples { border-collapse: collapse; }
table.multiples th { font-weight: normal; text-align: left; vertical-align: bottom; padding: 4px 6px; border-bottom: 1px solid #ccc; }
table.multiples td { padding: 2px 6px; border-bottom: 1px solid #eee; vertical-align: middle; }
.ind { font-size: 13px; font-weight: bold; } .col, .comp { font-size: 11px; color: #666; }
td.region { min-width: 110px; max-width: 150px; }
.rname { font-size: 14px; font-weight: bold; } .rwhere, .rtpl { font-size: 11px; color: #666; }
svg text { font-family: %(stack)s; }
svg .axis { stroke: #999; stroke-width: 1; }
svg .tchange { stroke: #333; stroke-width: 1.2; stroke-dasharray: 3 2; }
svg .val { font-size: 10px; text-anchor: middle; fill: #222; }
svg .vmax { font-size: 9px; fill: #999; }
svg .year { font-size: 10px; text-anchor: middle; fill: #555; }
svg .blank { fill: #fff; stroke: #999; stroke-width: 1.2; }
svg .absent { font-size: 11px; text-anchor: middle; fill: #999; }
svg .blabel { font-size: 12px; text-anchor: end; fill: #222; }
svg .bcount { font-size: 12px; fill: #222; }
svg .lvl { font-size: 12px; text-anchor: middle; fill: #222; }
svg .grp { stroke: #bbb; }
svg .tpl { font-size: 11px; text-anchor: middle; }
svg .yr { font-size: 12px; text-anchor: end; fill: #222; }
svg .cnt { font-size: 12px; text-anchor: middle; }
.pair { display: flex; gap: 32px; flex-wrap: wrap; align-items: flex-start; }
details { margin: 12px 0; font-size: 12px; }
table.findings { border-collapse: collapse; margin-top: 6px; }
table.findings th, table.findings td { border: 1px solid #ddd; padding: 3px 6px; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; } td.cells { font-family: monospace; max-width: 520px; }
.sub { color: #777; font-size: 11px; }
footer { margin-top: 30px; font-size: 11px; color: #888; }
"""


def stylesheet() -> str:
    return CSS % {"stack": FONT_STACK}
