"""The pictures as Dagster asset metadata: the page's path, the PNG inline, the counts."""

from __future__ import annotations

import base64

from orchestration.pictures.write import ReportPage


def png_markdown(page: ReportPage) -> str:
    """The PNG as Markdown Dagster shows inline: `MetadataValue.md(png_markdown(page))`."""
    data = base64.b64encode(page.png.read_bytes()).decode("ascii")
    return f"![chart](data:image/png;base64,{data})"


def metadata(page: ReportPage) -> dict:
    """Asset metadata for the page: its path, the PNG inline, the counts."""
    import dagster as dg

    return {
        "report_page": dg.MetadataValue.path(str(page.html)),
        "report_chart": dg.MetadataValue.md(png_markdown(page)),
        **{f"report_page/{k}": v for k, v in page.counts().items()},
    }
