"""Small helpers over an engine (``case.engine``), shared by the audit modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..schema import Table

if TYPE_CHECKING:
    from ..engine.base import Engine


def fetch_dicts(engine: Engine, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows as dicts (plain DB-API, so it works the same on every supported DuckDB version)."""
    cur = engine.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def replace_rows(engine: Engine, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Replace the contents of a case table with ``rows`` (dicts keyed by column), via Arrow.

    Arrow instead of executemany: one vectorised insert, fast for 100k+ accounts. A table of
    another shape (an audit table of a case written by an earlier cibscope) is created anew.
    """
    names = table.column_names
    have = [r[0] for r in engine.execute(f"DESCRIBE {table.name}").fetchall()]
    if have != names:
        # a case written by an earlier cibscope (the audit owns the table: it is rewritten whole)
        engine.execute(f"DROP TABLE {table.name}")
        engine.execute(table.ddl())
    schema = table.arrow_schema()
    tbl = pa.table({n: pa.array([r.get(n) for r in rows], type=schema.field(n).type) for n in names})
    engine.execute(f"DELETE FROM {table.name}")
    view = f"_audit_arrow_{table.name}"
    engine.register_arrow(view, tbl)
    try:
        engine.execute(f"INSERT INTO {table.name} SELECT {', '.join(names)} FROM {view}")
    finally:
        engine.unregister(view)
