"""Reading a user's TOML file (a policy, a claims file, a preset): every failure an InputError naming the file."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = ["read_toml"]


def read_toml(path: str | Path, what: str, *, hint: str | None = None) -> dict[str, Any]:
    """The parsed TOML of ``path``; ``what`` names the file's role in errors ("policy file", ...).

    A missing file, a folder, text that is not UTF-8 and invalid TOML (with its line) are
    InputErrors; ``hint`` is given with the first two.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise InputError(f"no such {what}", file=str(p), hint=hint) from e
    except IsADirectoryError as e:
        raise InputError(f"is a folder, not a {what}", file=str(p), hint=hint) from e
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text ({e.reason} at byte {e.start})", file=str(p), hint="save the file as UTF-8") from e
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line = getattr(e, "lineno", None)
        if line is None:  # Python < 3.14: the line is only in the message
            m = re.search(r"at line (\d+)", str(e))
            line = int(m.group(1)) if m else None
        raise InputError(f"not valid TOML ({e})", file=str(p), line=line) from e
