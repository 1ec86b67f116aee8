"""The Spark engine: cibscope's DuckDB SQL on Apache Spark (PySpark), transpiled per statement.

>>> eng = SparkEngine.start(master="local[2]")          # doctest: +SKIP
>>> eng.load_case(case.con, {"posts": None})            # doctest: +SKIP

Each statement goes through :func:`cibscope.sql.transpile` (sqlglot plus cibscope's tested
rewrites). What sqlglot turns into something else is handled here, not in the SQL:

* ``CREATE [OR REPLACE] TEMP TABLE x AS q`` (sqlglot: an unmaterialised ``TEMPORARY VIEW``)
  runs ``q``, persists the rows (memory and disk) and counts them, then names them ``x``:
  later statements read the stored rows, as on DuckDB;
* a view that reads ``rowid`` (``monotonically_increasing_id()`` on Spark: a function of the
  partition and the position in it) is stored the same way, so its ids never change;
* ``DROP TABLE/VIEW IF EXISTS`` unpersists and forgets the name;
* ``?`` parameters are Spark's positional parameters.

The case tables come from the DuckDB case as Parquet (:meth:`SparkEngine.load_case`); results
go back as Arrow. The session runs in UTC (DuckDB's ``TIMESTAMP`` is Spark's ``TIMESTAMP_NTZ``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import sqlglot
from sqlglot import exp

from ..errors import BackendError
from ..sql import transpile
from .base import Capabilities, Engine, Result

__all__ = ["SparkEngine", "DEFAULT_MASTER"]

#: Spark master of ``--engine spark`` unless ``--spark-master`` says otherwise
DEFAULT_MASTER = "local[2]"


def _plain_ts(t: pa.Table) -> pa.Table:
    """Spark gives TIMESTAMP columns as UTC-zoned Arrow timestamps; DuckDB's are naive."""
    cols, changed = [], False
    for f, c in zip(t.schema, t.columns):
        if pa.types.is_timestamp(f.type) and f.type.tz is not None:
            c = c.cast(pa.timestamp(f.type.unit))
            changed = True
        cols.append(c)
    return pa.table(cols, names=t.column_names) if changed else t


def _store(df: Any) -> Any:
    """The rows of ``df`` computed now and kept (memory, then disk), without their lineage: a
    later query plans over a flat scan of them, not over every statement that led to them (the
    nested plans of persisted tables made Spark plan for tens of seconds per query)."""
    from pyspark import StorageLevel

    return df.localCheckpoint(eager=True, storageLevel=StorageLevel.MEMORY_AND_DISK)


class SparkEngine(Engine):
    name = "spark"
    dialect = "spark"
    capabilities = Capabilities(
        hash64=False, one_based_lists=False, unicode_script_classes="\\p{IsHan}", rowid=False, shares_case=False
    )

    def __init__(self, spark: Any, *, workdir: str | None = None) -> None:
        self.spark = spark
        self._frames: dict[str, Any] = {}  # persisted DataFrames by temp name
        self._n_cte = 0
        self._own_dir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="cibscope-spark-")

    @classmethod
    def start(
        cls, master: str | None = None, *, driver_memory: str | None = None, conf: Mapping[str, str] | None = None,
        workdir: str | None = None,
    ) -> SparkEngine:
        """A Spark session (``master`` default :data:`DEFAULT_MASTER`; any cluster URL works).

        ``workdir``: where the case's tables are written as Parquet for Spark to read (a local
        temp folder by default; on a cluster, a path every executor reads, e.g. a shared mount).
        """
        try:
            from pyspark.sql import SparkSession
        except ImportError as e:  # pragma: no cover - the spark extra
            raise BackendError("PySpark is not installed", hint="bash scripts/install.sh spark") from e
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise BackendError("Spark needs a Java runtime and none was found", hint="bash scripts/install.sh spark")
        b = (
            SparkSession.builder.master(master or DEFAULT_MASTER)
            .appName("cibscope")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.ansi.enabled", "false")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.sql.autoBroadcastJoinThreshold", "-1")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            # the edges, evidence and post keys come back to the driver by design (groups and
            # scores run there); Spark's default 1 GiB cap on a collected result stopped the
            # evidence of a 10M-tweet case (1.17 GiB): the driver's memory is the limit instead
            .config("spark.driver.maxResultSize", "0")
            .config("spark.driver.memory", driver_memory or os.environ.get("CIBSCOPE_SPARK_DRIVER_MEMORY", "2g"))
        )
        for k, v in (conf or {}).items():
            b = b.config(k, v)
        try:
            spark = b.getOrCreate()
        except Exception as e:  # noqa: BLE001 - Py4J/JVM start-up failures have no common type
            raise BackendError(f"cannot start Spark ({master or DEFAULT_MASTER}): {e}", hint="bash scripts/install.sh spark") from e
        spark.sparkContext.setLogLevel("ERROR")
        return cls(spark, workdir=workdir)

    # -- statements --------------------------------------------------------------------
    def _sql(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        q = transpile(sql, to="spark")
        try:
            return self.spark.sql(q, args=list(params)) if params else self.spark.sql(q)
        except Exception as e:  # noqa: BLE001 - AnalysisException, ParseException, Py4JJavaError
            raise BackendError(f"Spark failed on: {q[:2000]}\n{e}") from e

    def _materialise_ctes(self, tree: exp.Expression, params: Sequence[Any] | None) -> list[str]:
        """Store each ``WITH x AS MATERIALIZED (...)`` of the statement as a temp table and point
        the statement at it (Spark has no such hint, and a CTE read three times -- the evidence
        query's -- was computed three times: 122 s instead of 3 on a 20k-post case)."""
        query = tree.expression if isinstance(tree, exp.Create) else tree
        w = query.args.get("with_") if query is not None else None
        if w is None or not any(c.args.get("materialized") for c in w.expressions):
            return []
        if params:
            raise BackendError("Spark engine: a MATERIALIZED CTE in a statement with parameters")
        made: list[str] = []
        for cte in list(w.expressions):
            if not cte.args.get("materialized"):
                continue
            self._n_cte += 1
            name = f"_cib_cte{self._n_cte}_{cte.alias}"
            self._create(name, cte.this.sql(dialect="duckdb"), None, stored=True)
            made.append(name)
            alias = cte.alias
            cte.pop()
            for t in query.find_all(exp.Table):
                if t.name == alias and not t.args.get("db"):
                    t.set("this", exp.to_identifier(name))
                    if not t.alias:
                        t.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        if not w.expressions:
            query.set("with_", None)
        return made

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Result:
        try:
            tree = sqlglot.parse_one(sql, read="duckdb")
        except sqlglot.errors.SqlglotError as e:
            raise BackendError(f"cannot parse SQL: {e}") from e
        made = self._materialise_ctes(tree, params)
        try:
            return self._execute(tree, sql if not made else tree.sql(dialect="duckdb"), params)
        finally:
            for name in made:
                self.drop(name)

    def _execute(self, tree: exp.Expression, sql: str, params: Sequence[Any] | None) -> Result:
        if isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() in ("TABLE", "VIEW"):
            name = tree.this.name if isinstance(tree.this, exp.Table) else tree.this.this.name
            query = tree.expression
            if query is None:
                raise BackendError(f"Spark engine: only CREATE ... AS SELECT is supported: {sql[:200]}")
            stored = str(tree.args["kind"]).upper() == "TABLE" or any(
                c.name.lower() == "rowid" for c in query.find_all(exp.Column)
            )
            if tree.args.get("exists") and self.exists(name):
                return Result(None)
            self._create(name, query.sql(dialect="duckdb"), params, stored=stored)
            return Result(None)
        if isinstance(tree, exp.Drop):
            self.drop(tree.this.name)
            return Result(None)
        if isinstance(tree, (exp.Select, exp.Union, exp.Query)):
            return Result(self._fetch(sql, params))
        raise BackendError(f"Spark engine: unsupported statement ({type(tree).__name__}): {sql[:200]}")

    def _create(self, name: str, sql: str, params: Sequence[Any] | None, *, stored: bool) -> None:
        df = self._sql(sql, params)
        old = self._frames.pop(name, None)
        if stored:
            df = _store(df)
        df.createOrReplaceTempView(name)
        if stored:
            self._frames[name] = df
        if old is not None:
            old.unpersist()

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        if "MATERIALIZED" in sql.upper():
            return self.execute(sql, params).arrow()
        return self._fetch(sql, params)

    def _fetch(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        df = self._sql(sql, params)
        try:  # the query runs here (Spark is lazy): its failures are the engine's too
            return _plain_ts(df.toArrow())
        except Exception as e:  # noqa: BLE001 - Py4JJavaError, SparkException
            raise BackendError(f"Spark failed on: {transpile(sql, to='spark')[:2000]}\n{str(e).splitlines()[0] if str(e) else e!r}") from e

    def columns(self, sql: str) -> list[str]:
        return list(self._sql(f"SELECT * FROM ({sql}) AS q LIMIT 0").columns)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def exists(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def drop(self, name: str) -> None:
        df = self._frames.pop(name, None)
        self.spark.catalog.dropTempView(name)
        if df is not None:
            df.unpersist()

    def write_parquet(self, sql: str, path: str) -> None:
        self._sql(sql).write.mode("overwrite").parquet(path)

    # -- the case ----------------------------------------------------------------------
    def load_case(self, con: Any, tables: Mapping[str, Sequence[str] | None]) -> None:
        """Give Spark the case's ``tables`` (name -> columns, None = all) under their own names:
        written by DuckDB as Parquet into :attr:`workdir`, read and persisted by Spark."""
        for table, cols in tables.items():
            path = os.path.join(self.workdir, f"{table}.parquet")
            sel = "*" if not cols else ", ".join(f'"{c}"' for c in cols)
            con.execute(f"COPY (SELECT {sel} FROM {table}) TO '{path.replace(chr(39), chr(39) * 2)}' (FORMAT parquet)")
            df = _store(self.spark.read.parquet(path))
            old = self._frames.pop(table, None)
            df.createOrReplaceTempView(table)
            self._frames[table] = df
            if old is not None:
                old.unpersist()

    def close(self) -> None:
        for name in list(self._frames):
            self.drop(name)
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def stop(self) -> None:
        """Close and stop the Spark session."""
        self.close()
        self.spark.stop()
