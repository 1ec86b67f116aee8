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
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

console = Console()
console_err = Console(stderr=True)

CaseOption = Annotated[Path, typer.Option("--case", "-c", help="The case database (DuckDB file).")]
OutOption = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]


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
