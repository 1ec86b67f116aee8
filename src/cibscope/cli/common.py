"""Shared CLI pieces: consoles, Rich progress adapter, option factories, terminal-safe text.

Terminal safety. Screen names, post texts, hashtags, file names and quarantine reasons come
from the data under investigation, which an operation controls. Printed raw, an ESC or OSC
sequence in a screen name sets the window title, clears the screen or writes a link; a
bidirectional override reorders what the reader sees; Rich markup (``[red]...``) in a name
restyles the output. Every value from the data goes through :func:`clean` (control characters
out) and is printed as :class:`rich.text.Text` (no markup) or through :func:`safe` (markup escaped).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

console = Console()
console_err = Console(stderr=True)

CaseOption = Annotated[Path, typer.Option("--case", "-c", help="The case database (DuckDB file).")]
OutOption = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
EngineOption = Annotated[
    str,
    typer.Option("--engine", help="Where the trace, co-occurrence builder and significance test run: duckdb or spark (PySpark; bash scripts/install.sh spark)."),
]
SparkMasterOption = Annotated[
    Optional[str],
    typer.Option("--spark-master", help="Spark master URL with --engine spark (default local[2]; any cluster URL)."),
]
SparkDriverMemoryOption = Annotated[
    Optional[str],
    typer.Option(
        "--spark-driver-memory",
        help="Spark driver memory with --engine spark, e.g. 8g (default $CIBSCOPE_SPARK_DRIVER_MEMORY or 2g): the edges and evidence come back to the driver.",
    ),
]


@contextmanager
def compute_engine(name: str, spark_master: str | None, driver_memory: str | None) -> Iterator[Any]:
    """The engine of ``--engine`` (None for duckdb: the case's own), closed after the block."""
    from ..engine import start_engine

    eng = start_engine(name, spark_master=spark_master, driver_memory=driver_memory)
    try:
        yield eng
    finally:
        if eng is not None:
            eng.close()


# C0 and C1 controls (ESC, CSI, OSC among them; tab and newline handled apart), DEL, and the
# Unicode bidirectional controls (the "Trojan Source" characters) and line/paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean(value: Any, *, newlines: bool = False) -> str:
    """``value`` as text a terminal shows as it is: control characters removed, tabs as spaces,
    newlines as spaces (kept with ``newlines=True``, for a post's text in a table cell)."""
    s = "" if value is None else str(value)
    s = s.replace("\r\n", "\n").replace("\t", " ")
    s = _CONTROL.sub("", s)
    return s if newlines else s.replace("\n", " ")


def text(value: Any, *, newlines: bool = False, style: str = "") -> Text:
    """A Rich Text of a value from the data: cleaned, never read as markup."""
    return Text(clean(value, newlines=newlines), style=style)


def safe(value: Any) -> str:
    """A value from the data for a markup string: cleaned and its markup escaped."""
    return escape(clean(value))


class RichProgress:
    """Adapter from cibscope.progress.Progress to Rich bars on stderr."""

    def __init__(self) -> None:
        self._p = Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console_err,
            transient=False,
        )

    def __enter__(self) -> RichProgress:
        self._p.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._p.__exit__(*exc)

    def task(self, description: str, total: float | None = None) -> Any:
        tid = self._p.add_task(safe(description), total=total)  # descriptions name input files
        return _Handle(self._p, tid)

    def done(self, handle: Any) -> None:
        t = self._p.tasks[handle.tid]
        if t.total is None:
            self._p.update(handle.tid, total=max(t.completed, 1), completed=max(t.completed, 1))
        else:
            self._p.update(handle.tid, completed=t.total)


class _Handle:
    def __init__(self, p: Progress, tid: Any) -> None:
        self.p = p
        self.tid = tid

    def advance(self, n: float = 1) -> None:
        self.p.advance(self.tid, n)

    def update(self, *, total: float | None = None, description: str | None = None) -> None:
        kw: dict[str, Any] = {}
        if total is not None:
            kw["total"] = total
        if description is not None:
            kw["description"] = safe(description)
        self.p.update(self.tid, **kw)
