"""The `cibscope` command: a thin Typer layer over the library.

Each command module registers its commands on :data:`app`. Errors raised by the library
(:class:`cibscope.errors.CibscopeError`) become one red line, a hint, and exit code 1.
"""

from __future__ import annotations

import sys
from importlib import import_module

import typer
from rich.text import Text

from ..errors import CibscopeError
from .common import clean, console_err

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


_OS_REASONS: dict[type[OSError], str] = {
    FileExistsError: "exists and is not a folder (a folder is needed here)",
    IsADirectoryError: "is a folder (a file is needed here)",
    NotADirectoryError: "a part of the path is a file, not a folder",
    PermissionError: "permission denied",
}


def _error(message: str, hint: str | None) -> None:
    # The texts are data (file names, "[policy]", "[[claim]]"): never Rich markup, and cleaned of
    # terminal control characters.
    console_err.print(Text.assemble(("error:", "bold red"), " ", clean(message)), highlight=False, soft_wrap=True)
    if hint:
        console_err.print(Text("hint: " + clean(hint), style="dim"), highlight=False, soft_wrap=True)


def main() -> None:
    """Console entry point: library errors become one line and exit code 1, no traceback.

    An operating-system error about a path (an output folder that is a file, an input that is a
    folder, no permission) is the user's to fix, not a bug: one line too."""
    try:
        app()  # standalone: usage errors are printed by Typer with exit code 2
    except CibscopeError as e:
        _error(str(e), e.hint)
        sys.exit(e.exit_code)
    except OSError as e:
        if e.filename is None:
            raise
        _error(f"{e.filename}: {_OS_REASONS.get(type(e), e.strerror or str(e))}", "check the path and its permissions")
        sys.exit(1)
