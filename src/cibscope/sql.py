"""The one place that turns cibscope's generated SQL into another engine's dialect.

Traces and the co-occurrence builder write their SQL once, in DuckDB's dialect (DuckDB runs it
now). A second engine (Apache Spark) must run the *same* definitions, not a hand-kept copy, so
every statement goes through :func:`transpile`, which uses sqlglot and fails loudly on anything
sqlglot cannot express in the target dialect (``unsupported_level=RAISE``), instead of silently
emitting SQL the other engine would reject.

>>> transpile("SELECT least(a, b) AS x FROM t", to="spark")
'SELECT LEAST(a, b) AS x FROM t'
"""

from __future__ import annotations

import sqlglot
from sqlglot.errors import ErrorLevel, SqlglotError

from .errors import BackendError

__all__ = ["transpile", "DIALECTS"]

#: Engines cibscope generates SQL for (DuckDB is the source dialect).
DIALECTS = ("duckdb", "spark")


def transpile(sql: str, *, to: str = "spark", source: str = "duckdb", pretty: bool = False) -> str:
    """Translate one or more ``;``-separated DuckDB statements into ``to``'s dialect.

    Raises :class:`cibscope.errors.BackendError` when the SQL does not parse or uses a construct
    the target dialect cannot express.
    """
    if to not in DIALECTS:
        raise BackendError(f"unknown SQL dialect {to!r}; expected one of {', '.join(DIALECTS)}")
    try:
        out = sqlglot.transpile(
            sql,
            read=source,
            write=to,
            pretty=pretty,
            unsupported_level=ErrorLevel.RAISE,
            error_level=ErrorLevel.RAISE,
        )
    except SqlglotError as e:
        raise BackendError(f"cannot translate SQL from {source} to {to}: {e}") from e
    return ";\n".join(out)
