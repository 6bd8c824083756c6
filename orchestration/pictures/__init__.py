"""Pictures of the published warehouse: one self-contained HTML page and a PNG.

`write_report_page(warehouse, out_dir)` reads the warehouse read-only and
writes, beside it by default:

* ``<stem>.html``: each region's series across years and templates (small
  multiples, the template of each year marked and a template change drawn as
  a break), the consistency findings per rule and per report, and the
  coverage of reports by year × administrative level × template. Charts are
  inline SVG made here; no script, no stylesheet or font from elsewhere: the
  page works offline. A Content-Security-Policy forbids every resource but the
  inline style and the embedded font. Chinese renders on a machine without
  CJK fonts: the page embeds Noto Sans SC (SIL Open Font License 1.1, from the
  pylopdf-fonts-zh-cn package) cut down with fontTools to the characters the
  page uses. Every text from the data is escaped (report titles come from
  untrusted files).
* ``<stem>.png``: the key chart (requests received per region over the years,
  and the findings per rule), drawn by matplotlib with the same font, small
  enough for Dagster's asset metadata (`png_markdown`).

Both files are written next to their target and moved over it with
os.replace, so a reader never sees half a page.

The modules: `data` reads the warehouse, `series`, `findings` and `coverage`
draw the page's three sections (with `svg` and `text`), `font` embeds the
font, `page` assembles the HTML, `png` draws the PNG, `write` writes both,
`metadata` shows them in Dagster, `cli` is `python -m orchestration.pictures`.
"""

from orchestration.pictures.metadata import metadata, png_markdown
from orchestration.pictures.write import ReportPage, write_report_page

__all__ = ["ReportPage", "metadata", "png_markdown", "write_report_page"]
