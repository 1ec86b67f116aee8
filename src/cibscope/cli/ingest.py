"""`cibscope ingest` and `cibscope formats`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..ingest import IngestReport, ingest
from ..ingest.registry import readers
from .common import CaseOption, RichProgress, console


def render_ingest_report(report: IngestReport) -> None:
    table = Table(title=f"ingest into {report.case_path}", show_lines=False)
    for col, just in (("file", "left"), ("format", "left"), ("status", "left"), ("read", "right"), ("kept", "right"), ("quarantined", "right")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for f in report.files:
        status = f.status if not f.message else f"{f.status}: {f.message}"
        q = str(f.rows_quarantined)
        if f.quarantine_reasons:
            q += " (" + "; ".join(f"{k}: {v}" for k, v in list(f.quarantine_reasons.items())[:3]) + ")"
        table.add_row(f.source_file, f.format or "-", status, f"{f.rows_read:,}", f"{f.rows_kept:,}", q)
    console.print(table)
    t = report.totals()
    console.print(
        f"{t['files']} file(s) ingested: {t['rows_read']:,} rows read = {t['rows_kept']:,} kept + {t['rows_quarantined']:,} quarantined"
    )


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest_cmd(
        data: Annotated[list[Path], typer.Argument(help="Files, folders or .zip archives to read.")],
        case: CaseOption = Path("case.duckdb"),
        format: Annotated[Optional[str], typer.Option("--format", "-f", help="Force a format (see `cibscope formats`).")] = None,
        mapping: Annotated[Optional[Path], typer.Option("--mapping", help="TOML column mapping for generic CSV/Parquet.")] = None,
        strict: Annotated[bool, typer.Option("--strict", help="Fail if any row is quarantined.")] = False,
    ) -> None:
        """Read source files into a case database (format auto-detected)."""
        with RichProgress() as progress:
            report = ingest(data, case, format=format, strict=strict, mapping=mapping, progress=progress)
        render_ingest_report(report)

    @app.command("formats")
    def formats_cmd() -> None:
        """List the input formats cibscope reads."""
        table = Table(title="formats")
        table.add_column("name")
        table.add_column("kind")
        table.add_column("description")
        for r in readers():
            table.add_row(r.name, r.kind, r.description)
        console.print(table)
