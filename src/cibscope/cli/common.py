"""Shared CLI pieces: consoles, Rich progress adapter, option factories."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

console = Console()
console_err = Console(stderr=True)

CaseOption = Annotated[Path, typer.Option("--case", "-c", help="The case database (DuckDB file).")]
OutOption = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]


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
        tid = self._p.add_task(description, total=total)
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
            kw["description"] = description
        self.p.update(self.tid, **kw)
