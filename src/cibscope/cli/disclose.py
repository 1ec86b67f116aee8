"""`cibscope disclose`: a finding published as a disclosure package (IO-archive format)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
