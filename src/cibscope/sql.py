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
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from .errors import BackendError

__all__ = ["transpile", "referenced_columns", "DIALECTS"]

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
        trees = sqlglot.parse(sql, read=source, error_level=ErrorLevel.RAISE)
        if source == "duckdb" and to == "spark":
            trees = [t.transform(_rowid_to_spark) if t is not None else t for t in trees]
        out = [
            t.sql(dialect=to, pretty=pretty, unsupported_level=ErrorLevel.RAISE)
            for t in trees
            if t is not None
        ]
    except SqlglotError as e:
        raise BackendError(f"cannot translate SQL from {source} to {to}: {e}") from e
    return ";\n".join(out)


def _rowid_to_spark(node: exp.Expression) -> exp.Expression:
    """DuckDB's ``rowid`` (a stored row's unique id) is Spark's ``monotonically_increasing_id()``.

    cibscope reads ``rowid`` only where it needs a unique id for each row of a table it has just
    materialised, never for an order: the builder's view ``_cib_trace`` reads ``rid`` from the
    stored ``_cib_trace0``. On Spark that table must be cached: the function depends only on
    the partition and the position in it, so every scan of the cached rows gives the same ids
    (over an uncached query each scan could draw new ones).
    """
    if isinstance(node, exp.Column) and node.name.lower() == "rowid":
        return exp.Anonymous(this="monotonically_increasing_id", expressions=[])
    return node


def referenced_columns(sql: str, schema: dict[str, dict[str, str]]) -> dict[str, frozenset[str]]:
    """The columns of ``schema``'s tables that ``sql`` (DuckDB, ``;``-separated) reads.

    Columns are resolved with sqlglot's qualifier (unqualified names and ``*`` are expanded
    against ``schema``, ``{table: {column: type}}``); tables outside ``schema`` (temp tables a
    statement creates) are left out. Used to know which parts of a case a trace needs.

    >>> cols = referenced_columns("SELECT p.a FROM t AS p WHERE b > 1", {"t": {"a": "INT", "b": "INT", "c": "INT"}})
    >>> sorted(cols["t"])
    ['a', 'b']
    """
    from sqlglot.optimizer.qualify import qualify

    try:
        trees = [t for t in sqlglot.parse(sql, read="duckdb", error_level=ErrorLevel.RAISE) if t is not None]
        out: dict[str, set[str]] = {}
        for tree in trees:
            q = qualify(tree, schema=schema, dialect="duckdb", validate_qualify_columns=False)
            for select in q.find_all(exp.Select):
                # an alias may name different tables in nested SELECTs: a column counts for
                # every table its alias names that has it (a superset, never a miss)
                alias: dict[str, set[str]] = {}
                for t in select.find_all(exp.Table):
                    if t.name in schema:
                        alias.setdefault(t.alias_or_name, set()).add(t.name)
                for col in select.find_all(exp.Column):
                    for table in alias.get(col.table, ()):
                        if col.name in schema[table]:
                            out.setdefault(table, set()).add(col.name)
    except SqlglotError as e:
        raise BackendError(f"cannot analyse SQL: {e}") from e
    return {t: frozenset(c) for t, c in sorted(out.items())}
