"""Write ``case_columns.json``: the case columns each registered trace's SQL reads, as sqlglot
finds them (see :meth:`cibscope.traces.base.Trace.case_columns`).

    python -m cibscope.traces.columns          # rewrite the file
    python -m cibscope.traces.columns --check  # exit 1 if it is not current

Run it after changing a trace's SQL or the case schema; tests/test_lean.py fails until then
(the library stays right meanwhile: SQL not in the file is analysed by sqlglot when used).
"""

from __future__ import annotations

import json
import sys

from . import TRACES
from .base import CASE_COLUMNS_FILE, shipped_case_columns


def render() -> str:
    """The file's text for the registered traces."""
    return json.dumps(shipped_case_columns(TRACES), indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        current = CASE_COLUMNS_FILE.exists() and CASE_COLUMNS_FILE.read_text(encoding="utf-8") == text
        if not current:
            print(f"{CASE_COLUMNS_FILE} is not current: run python -m cibscope.traces.columns", file=sys.stderr)
        return 0 if current else 1
    CASE_COLUMNS_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {CASE_COLUMNS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
