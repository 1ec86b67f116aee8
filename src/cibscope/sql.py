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
            trees = [t.transform(_to_spark) if t is not None else t for t in trees]
        out = [
            t.sql(dialect=to, pretty=pretty, unsupported_level=ErrorLevel.RAISE)
            for t in trees
            if t is not None
        ]
    except SqlglotError as e:
        raise BackendError(f"cannot translate SQL from {source} to {to}: {e}") from e
    return ";\n".join(out)


#: DuckDB (RE2) Unicode script classes and their Java (Spark) names
_SCRIPT_CLASSES = {f"\\p{{{n}}}": f"\\p{{Is{n}}}" for n in ("Han", "Hiragana", "Katakana", "Hangul")}
#: RE2's ``\s`` is ``[\t\n\f\r ]``; Java's also matches the vertical tab (\x0B): spelled out on Spark
_RE2_SPACE = "\\t\\n\\f\\r "


def spark_regex(pattern: str) -> str:
    r"""A DuckDB (RE2) regular expression as Java (Spark) reads it, matching the same strings.

    ``\p{Han}`` (and the other CJK scripts cibscope uses) is ``\p{IsHan}`` in Java; ``\s`` and
    ``\S`` are spelled out as RE2's four whitespace characters and the space (Java's ``\s``
    also takes the vertical tab).

    >>> print(spark_regex(r"[\s\p{Han}]+|\S+"))
    [\t\n\f\r \p{IsHan}]+|[^\t\n\f\r ]+
    """
    for k, v in _SCRIPT_CLASSES.items():
        pattern = pattern.replace(k, v)
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "s":
                out.append(_RE2_SPACE if in_class else f"[{_RE2_SPACE}]")
            elif nxt == "S" and not in_class:
                out.append(f"[^{_RE2_SPACE}]")
            elif nxt == "S":
                raise BackendError(f"cannot translate \\S inside a character class for Spark: {pattern!r}")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class and out and out[-1] != "[":
            in_class = False
        out.append(c)
        i += 1
    return "".join(out)


#: functions whose second argument is a regular expression
_REGEX_FUNCS = (exp.RegexpReplace, exp.RegexpExtract, exp.RegexpExtractAll, exp.RegexpLike, exp.RegexpSplit)


def _as_ltz(e: exp.Expression) -> exp.Expression:
    # DuckDB's TIMESTAMP is Spark's TIMESTAMP_NTZ; unix_micros takes a TIMESTAMP (the session
    # runs in UTC, so the cast keeps the instant)
    return exp.Cast(this=e.copy(), to=exp.DataType.build("TIMESTAMPLTZ"))


def _unix_micros(e: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="unix_micros", expressions=[_as_ltz(e)])


def _to_spark(node: exp.Expression) -> exp.Expression:
    """The rewrites sqlglot does not make (each one tested in tests/test_engine.py)."""
    node = _rowid_to_spark(node)
    if isinstance(node, exp.CTE) and node.args.get("materialized"):
        # Spark has no MATERIALIZED hint (it reuses an exchange on its own)
        node.set("materialized", None)
    elif isinstance(node, exp.TimeToUnix):
        # DuckDB's epoch(ts) is DOUBLE seconds with the microseconds; sqlglot's UNIX_TIMESTAMP
        # drops them. micros / 1e6 in double, as DuckDB computes it
        return exp.Div(
            this=exp.Cast(this=_unix_micros(node.this), to=exp.DataType.build("DOUBLE")),
            expression=exp.Cast(this=exp.Literal.number(1000000), to=exp.DataType.build("DOUBLE")),
        )
    elif isinstance(node, exp.Anonymous) and str(node.this).lower() == "epoch_us":
        return _unix_micros(node.expressions[0])
    elif isinstance(node, exp.DateDiff) and str(node.args.get("unit") or "").upper() in ("MICROSECOND", "'MICROSECOND'"):
        return exp.Sub(this=_unix_micros(node.this), expression=_unix_micros(node.expression))
    elif isinstance(node, exp.DataType) and node.this in (exp.DataType.Type.INT128, exp.DataType.Type.UINT128):
        return exp.DataType.build("DECIMAL(38, 0)")
    elif isinstance(node, exp.Anonymous) and str(node.this).lower() == "hash":
        raise BackendError(
            "DuckDB's 64-bit hash() has no Spark equal (Spark's hash is 32-bit): "
            "hash on the driver instead (Engine.capabilities.hash64)"
        )
    elif isinstance(node, _REGEX_FUNCS):
        pat = node.args.get("expression")
        if isinstance(pat, exp.Literal) and pat.is_string:
            node.set("expression", exp.Literal.string(spark_regex(pat.this)))
    return node


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
