"""Progress reporting without printing: library code calls a callback; the CLI draws Rich bars.

A step announces itself with ``progress.task(description, total)`` and returns a handle with
``advance(n)``. The default is a no-op, so library calls from a notebook stay quiet.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class TaskHandle(Protocol):
    def advance(self, n: float = 1) -> None: ...

    def update(self, *, total: float | None = None, description: str | None = None) -> None: ...


class Progress(Protocol):
    def task(self, description: str, total: float | None = None) -> TaskHandle: ...

    def done(self, handle: TaskHandle) -> None: ...


class _NullHandle:
    def advance(self, n: float = 1) -> None:
        return None

    def update(self, *, total: float | None = None, description: str | None = None) -> None:
        return None


class NullProgress:
    """Progress sink that drops everything (the library default)."""

    def task(self, description: str, total: float | None = None) -> TaskHandle:
        return _NullHandle()

    def done(self, handle: TaskHandle) -> None:
        return None


NULL_PROGRESS = NullProgress()


@contextmanager
def step(progress: Progress | None, description: str, total: float | None = None) -> Iterator[TaskHandle]:
    """Context manager: one named step of work, closed even on error."""
    p = progress or NULL_PROGRESS
    handle = p.task(description, total)
    try:
        yield handle
    finally:
        p.done(handle)
