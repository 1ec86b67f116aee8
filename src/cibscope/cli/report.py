"""`cibscope report`: the offline HTML report of a case."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..export import DEFAULT_EXPORT_FORMATS
from .common import CaseOption, RichProgress, console, text


ExportFormatsOption = Annotated[
    str,
    typer.Option(
        "--export-formats",
        help="Comma-separated formats of the report's exported tables: parquet (default), csv, json; graphml adds the fused network as GraphML.",
    ),
]


def export_formats_of(value: str) -> tuple[str, ...]:
    """``parquet,csv`` -> ("parquet", "csv") (render_report checks each name)."""
    return tuple(f.strip().lower() for f in value.split(",") if f.strip())


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_cmd(
        case: CaseOption = Path("case.duckdb"),
        out: Annotated[Path, typer.Option("--out", "-o", help="Report folder (index.html goes here).")] = Path("report"),
        top_n: Annotated[int, typer.Option("--top-n", help="Flagged accounts (highest score first) that get their own page.")] = 500,
        top_groups: Annotated[int, typer.Option("--top-groups", help="Group cards shown (largest first).")] = 25,
        exports: Annotated[bool, typer.Option("--exports/--no-exports", help="Also write the exports (tables, and the networks as GEXF).")] = True,
        export_formats: ExportFormatsOption = ",".join(DEFAULT_EXPORT_FORMATS),
    ) -> None:
        """Write a self-contained HTML report (opens from file://, no network) and print its path."""
        formats = export_formats_of(export_formats)
        with RichProgress() as progress:
            from ..report import render_report  # heavy (scipy, plotting): only when a report is made

            index = render_report(case, out, top_n=top_n, top_groups=top_groups, exports=exports, export_formats=formats, progress=progress)
        console.print(text(index), highlight=False, soft_wrap=True)
