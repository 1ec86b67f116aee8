"""The `cibscope` command: a thin Typer layer over the library.

Each command module registers its commands on :data:`app`. Errors raised by the library
(:class:`cibscope.errors.CibscopeError`) become one red line, a hint, and exit code 1.
"""

from __future__ import annotations

import sys
from importlib import import_module

import typer

from ..errors import CibscopeError
from .common import console_err, safe

app = typer.Typer(
    name="cibscope",
    help="Find coordinated inauthentic behaviour in social-media data and audit platform takedowns, with evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# One module per command family; each defines register(app).
_COMMAND_MODULES = ("ingest", "detect", "network", "report", "audit", "generate", "media_policy", "platforms", "disclose", "referral")
for _mod in _COMMAND_MODULES:
    import_module(f"{__name__}.{_mod}").register(app)


def main() -> None:
    """Console entry point: library errors become one line and exit code 1, no traceback."""
    try:
        app()  # standalone: usage errors are printed by Typer with exit code 2
    except CibscopeError as e:
        console_err.print(f"[bold red]error:[/] {safe(e)}", highlight=False, soft_wrap=True)
        if e.hint:
            console_err.print(f"[dim]hint: {safe(e.hint)}[/]", highlight=False, soft_wrap=True)
        sys.exit(e.exit_code)
