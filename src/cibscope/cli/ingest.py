"""`cibscope ingest` and `cibscope formats`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..errors import InputError
from ..ingest import IngestReport, ingest
from ..ingest.registry import readers
from .common import CaseOption, RichProgress, console, text


def _shown_path(name: str) -> str:
    """A file as the table shows it: relative to the working folder when inside it, else as given."""
    p = Path(name.split("!", 1)[0])
    try:
        rel = str(p.resolve().relative_to(Path.cwd().resolve())) if p.is_absolute() else str(p)
    except ValueError:
        rel = str(p)
    return rel + name[len(name.split("!", 1)[0]):]


def render_ingest_report(report: IngestReport) -> None:
    table = Table(title=text(f"ingest into {report.case_path}"), show_lines=False)
    for col, just in (("file", "left"), ("format", "left"), ("status", "left"), ("read", "right"), ("kept", "right"), ("quarantined", "right")):
        # whole paths: files of a folder differ by their folders, so never cut a name short
        table.add_column(col, justify=just, overflow="fold", min_width=24 if col == "file" else None)  # type: ignore[arg-type]
    for f in report.files:
        status = f.status if not f.message else f"{f.status}: {f.message}"
        q = str(f.rows_quarantined)
        if f.quarantine_reasons:
            q += " (" + "; ".join(f"{k}: {v}" for k, v in list(f.quarantine_reasons.items())[:3]) + ")"
        table.add_row(text(_shown_path(f.source_file)), f.format or "-", text(status), f"{f.rows_read:,}", f"{f.rows_kept:,}", text(q))
    console.print(table)
    t = report.totals()
    console.print(
        f"{t['files']} file(s) ingested: {t['rows_read']:,} rows read = {t['rows_kept']:,} kept + {t['rows_quarantined']:,} quarantined"
    )


def check_ingest_report(report: IngestReport) -> None:
    """After the table: a non-zero exit when nothing was read, or when a file of a folder could not be read."""
    bad = report.unreadable()
    if bad:
        first = bad[0]
        raise InputError(
            f"{len(bad)} file(s) could not be read, first: {first.message}",
            file=first.source_file,
            hint="the other files were ingested; fix the file (or remove it) and ingest again: files already in the case are skipped",
        )
    if report.nothing_read():
        skipped = [f for f in report.files if f.status == "skipped"]
        raise InputError(
            f"nothing ingested: {len(skipped)} file(s) skipped, none holds data cibscope reads"
            + (f" (first: {skipped[0].source_file}: {skipped[0].message})" if skipped else ""),
            hint="see `cibscope formats`; force a format with --format, or give a --mapping TOML for other CSV/Parquet",
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
        check_ingest_report(report)

    @app.command("formats")
    def formats_cmd() -> None:
        """List the input formats cibscope reads."""
        table = Table(title="formats")
        table.add_column("name")
        table.add_column("kind")
        table.add_column("description")
        for r in readers():
            table.add_row(r.name, r.kind, text(r.description))
        console.print(table)
