"""The Trace contract: a behavioural trace says only *which key an action shares and when*.

A trace is a SQL ``SELECT`` over the case tables (posts, post_hashtags, post_urls,
post_mentions, post_images, accounts), written once in DuckDB's dialect, producing one row per action::

    account_id VARCHAR    who acted
    key        VARCHAR    what the action shares with others (retweeted id, URL, hashtag, text cluster, ...)
    at         TIMESTAMP  when (account-level traces: the creation time, or a constant)
    post_id    VARCHAR    which post (NULL for account-level traces)
    source     VARCHAR    source_file || ':' || source_line of the row the action came from

and two optional columns the builder fills in when a trace leaves them out:

    item       VARCHAR    what to show as the shared item in evidence (default: key)
    tolerance  DOUBLE     seconds of imprecision of ``at`` (0 for second precision, 60 for minute)

The one co-occurrence builder (:mod:`cibscope.networks.cooccurrence`) turns any such table into
weighted account pairs within the trace's time window, so a new behaviour is one small class,
not another copy of a self-join (the QUT toolkit has six). Because traces are plain SQL, the
same definition runs on Spark through :func:`cibscope.sql.transpile`.

Parameters follow scikit-learn: the instance stores them, ``parameter_constraints`` declares
them, and they are validated with :func:`cibscope.params.validate` (one message format).
Every trace also carries the builder's parameters (window, min_shared, alpha, ...), because
what counts as "together" and "significant" differs per behaviour.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ParameterError
from ..params import Constraint, Interval, IsBool, Options, validate

if TYPE_CHECKING:
    from ..case import Case
    from ..engine import Engine

__all__ = [
    "TRACE_COLUMNS",
    "OPTIONAL_COLUMNS",
    "BUILDER_CONSTRAINTS",
    "BUILDER_DEFAULTS",
    "Trace",
    "source_expr",
    "tolerance_expr",
    "NULL_SHIFT_TABLE",
    "NULL_PERM_TABLE",
    "NULL_TEXT",
    "shifted_time_sql",
]

#: Required output columns of a trace, with their types.
TRACE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("account_id", "VARCHAR"),
    ("key", "VARCHAR"),
    ("at", "TIMESTAMP"),
    ("post_id", "VARCHAR"),
    ("source", "VARCHAR"),
)
#: Optional output columns (filled by the builder when absent).
OPTIONAL_COLUMNS: tuple[tuple[str, str], ...] = (("item", "VARCHAR"), ("tolerance", "DOUBLE"))

#: Parameters of the co-occurrence builder and significance test that every trace carries.
BUILDER_CONSTRAINTS: dict[str, Constraint] = {
    "min_shared": Interval(int, 1, None),
    "alpha": Interval(float, 0, 1, closed="right"),
    "correction": Options({"bh", "bonferroni", "none"}),
    "max_neighbors": Interval(int, 1, None),
    "evidence_per_edge": Interval(int, 0, None),
}
BUILDER_DEFAULTS: dict[str, Any] = {
    "min_shared": 2,
    "alpha": 0.001,
    "correction": "bh",
    "max_neighbors": 200,
    # ten closest post pairs per edge are enough to check it (n_shared says how many there are
    # in all); twenty doubled the evidence rows (30M at 10M tweets) and their writing time
    "evidence_per_edge": 10,
}
#: The window parameter, for traces whose co-occurrence is time-bounded.
WINDOW_CONSTRAINT: Constraint = Interval(float, 0, None)


def source_expr(alias: str) -> str:
    """SQL for the 'file:line' pointer of a posts/accounts row aliased ``alias``."""
    return f"({alias}.source_file || ':' || CAST({alias}.source_line AS VARCHAR))"


def tolerance_expr(alias: str) -> str:
    """SQL for the seconds of imprecision of a post's ``created_at`` (see schema.TIME_PRECISIONS).

    Minute-precision times (IO archive ``tweet_time`` without a usable snowflake id) are the
    start of their minute, so the true time lies up to 60 s later; day precision up to a day.
    """
    return (
        f"(CASE {alias}.time_precision WHEN 'minute' THEN 60.0 WHEN 'day' THEN 86400.0 ELSE 0.0 END)"
    )


#: A null copy of the case (:mod:`cibscope.groups.null`) provides these temp tables to
#: :meth:`Trace.null_sql`: every account's time shift in microseconds (a whole number of
#: weeks, days or hours), and a random permutation of the account ids (account-level traces).
NULL_SHIFT_TABLE = "_cib_null_shift"  # account_id VARCHAR, shift_us BIGINT
NULL_PERM_TABLE = "_cib_null_perm"  # account_id VARCHAR, null_id VARCHAR


#: what a null copy's trace rows carry instead of the evidence strings (item, source)
NULL_TEXT = "CAST(NULL AS VARCHAR)"


def shifted_time_sql(at: str, shift: str, origin_us: int, period_us: int) -> str:
    """SQL: the time ``at`` moved ``shift`` microseconds later, circularly within the case's
    span ``[origin, origin + period)`` (so nothing leaves the span and every account keeps its
    own rhythm when the shift is a whole number of weeks or days)."""
    o, per = int(origin_us), int(period_us)
    return f"make_timestamp({o} + ((epoch_us({at}) - {o} + {shift}) % {per}))"


class Trace:
    """Base class of every behavioural trace. Subclasses set the class attributes and ``sql``.

    Class attributes
    ----------------
    name : registry name, also the ``edges.layer`` value unless ``layer`` says otherwise.
    level : ``"post"`` (actions are posts) or ``"account"`` (one row per account attribute).
    description : what the trace measures (one or two sentences).
    benign_causes : known innocent reasons for the pattern (false positives), for docs and reports.
    windowed : True when co-occurrence is bounded by ``window`` seconds; False when the key
        itself already fixes the time span (a day, a time bin) or time does not matter.
    own_constraints / own_defaults : the trace's own parameters.
    stores_keys : True when the trace computes its keys (they are not a column of the case, e.g.
        near_duplicate's text clusters): the builder then stores each post's key, for keys of
        at least two posts, in the case table ``post_keys`` (read by the group-membership test).
    cross_platform : True when only pairs of accounts on *different* platforms count (the
        ``xp_*`` traces, :mod:`.cross_platform`): the builder drops same-platform pairs, and
        ``build_networks`` skips the layer on a case of one platform.
    """

    name: ClassVar[str] = ""
    layer: ClassVar[str] = ""
    level: ClassVar[str] = "post"
    description: ClassVar[str] = ""
    benign_causes: ClassVar[tuple[str, ...]] = ()
    windowed: ClassVar[bool] = True
    default_window: ClassVar[float | None] = 60.0
    own_constraints: ClassVar[dict[str, Constraint]] = {}
    own_defaults: ClassVar[dict[str, Any]] = {}
    builder_overrides: ClassVar[dict[str, Any]] = {}
    stores_keys: ClassVar[bool] = False
    cross_platform: ClassVar[bool] = False

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "layer" not in cls.__dict__ or not cls.layer:
            cls.layer = cls.name  # a subclass (co_domain of co_link) is its own layer

    # -- parameters ------------------------------------------------------------------
    @classmethod
    def parameter_constraints(cls) -> dict[str, Constraint]:
        """All parameters: the window (if any), the builder's, then the trace's own."""
        out: dict[str, Constraint] = {}
        if cls.windowed:
            out["window"] = WINDOW_CONSTRAINT
        out.update(BUILDER_CONSTRAINTS)
        out.update(cls.own_constraints)
        return out

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if cls.windowed:
            out["window"] = cls.default_window
        out.update(BUILDER_DEFAULTS)
        out.update(cls.builder_overrides)
        out.update(cls.own_defaults)
        return out

    def __init__(self, **params: Any) -> None:
        constraints = self.parameter_constraints()
        unknown = sorted(set(params) - set(constraints))
        if unknown:
            raise ParameterError(
                f"Unknown parameter(s) of {type(self).__name__}: {', '.join(unknown)}. "
                f"Known: {', '.join(sorted(constraints))}."
            )
        validate(type(self).__name__, constraints, params)
        merged = self.defaults()
        merged.update(params)
        self.params: dict[str, Any] = merged
        self._check()

    def _check(self) -> None:
        """Cross-parameter checks (override; raise ParameterError)."""

    def get_params(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def window(self) -> float | None:
        """Seconds within which two actions on the same key co-occur; None = any time."""
        return float(self.params["window"]) if self.windowed else None

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.params.items() if self.defaults().get(k) != v}
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(changed.items()))
        return f"{type(self).__name__}({args})"

    # -- the trace itself --------------------------------------------------------------
    def sql(self) -> str:
        """The DuckDB ``SELECT`` producing the trace rows (see the module docstring)."""
        raise NotImplementedError

    def prepare(self, db: Case | Engine) -> None:
        """Create helper temp tables the SQL reads (most traces need none), on ``db``: the
        engine the trace runs on (a :class:`~cibscope.case.Case`: its own engine), through
        :func:`cibscope.case.engine_or_connection`.

        Only work that plain SQL cannot do well belongs here (near-duplicate text computes
        MinHash signatures in numpy). Must be deterministic given the case tables.
        """

    def cleanup(self, db: Case | Engine) -> None:
        """Drop what :meth:`prepare` created (``db`` as there)."""

    def sql_statements(self, dialect: str = "duckdb") -> list[str]:
        """Every SQL statement this trace runs on an engine of ``dialect`` (DuckDB SQL; for
        transpilation checks and :meth:`case_columns`)."""
        return [self.sql()]

    def null_sql(self, rows: str, origin_us: int, period_us: int) -> str:
        """The SELECT of this trace's actions in a *null copy* of the case (see
        :mod:`cibscope.groups.null`), from ``rows``: the trace's own rows as the builder kept
        them (:func:`cibscope.networks.kept_trace_table`).

        A null copy keeps every account's actions, keys and rhythm and breaks only *when
        accounts act relative to each other*: a post-level action moves by its account's shift
        (:data:`NULL_SHIFT_TABLE`, circularly within the case's span, :func:`shifted_time_sql`);
        an account-level attribute (creation day, profile template) goes to another account
        (:data:`NULL_PERM_TABLE`). Traces whose key or filter depends on the time (time bins,
        days, delays after another account's post) override this.
        """
        # the null needs no evidence, so no item or source strings (a fifth of the work at 10M)
        cols = f"r.key, r.post_id, {NULL_TEXT} AS source, {NULL_TEXT} AS item, r.tolerance"
        if self.level == "account":
            return (
                f"SELECT pm.null_id AS account_id, {cols}, r.at FROM {rows} AS r "
                f"JOIN {NULL_PERM_TABLE} AS pm ON pm.account_id = r.account_id"
            )
        at = shifted_time_sql("r.at", "sh.shift_us", origin_us, period_us)
        return (
            f"SELECT r.account_id, {cols}, {at} AS at FROM {rows} AS r "
            f"JOIN {NULL_SHIFT_TABLE} AS sh ON sh.account_id = r.account_id"
        )

    def case_columns(self) -> dict[str, frozenset[str]]:
        """The case tables and columns this trace reads, found in :meth:`sql_statements` by
        sqlglot (no hand-kept list): ``{"posts": {"account_id", "repost_of", ...}, ...}``.

        A lean read (:func:`cibscope.ingest.ingest` with ``fields``) stages only what these
        need; a trace contract test checks that the trace finds the same pairs on such a case.
        sqlglot's answers for the shipped traces' SQL are kept in ``case_columns.json``
        (:func:`shipped_case_columns`, keyed by a digest of the SQL and the schema): importing
        sqlglot and qualifying the SQL cost ~0.07 s, a fifth of what ``cibscope network
        --counts`` spends besides reading and counting. Other SQL (other options, a trace
        registered elsewhere) is analysed here.
        """
        schema = case_schema()
        sql = ";\n".join(self.sql_statements())
        known = _known_case_columns().get(_case_columns_key(sql, schema))
        if known is not None:
            return {table: frozenset(cols) for table, cols in known.items()}
        from ..sql import referenced_columns

        return referenced_columns(sql, schema)


#: sqlglot's :meth:`Trace.case_columns` of the shipped traces (default options); written by
#: ``python -m cibscope.traces.columns``, checked against sqlglot by tests/test_lean.py
CASE_COLUMNS_FILE = Path(__file__).with_name("case_columns.json")


def case_schema() -> dict[str, dict[str, str]]:
    """The case tables' columns and types, ``{table: {column: type}}`` (what
    :func:`cibscope.sql.referenced_columns` resolves a trace's SQL against)."""
    from ..schema import ALL_TABLES

    return {t.name: dict(t.columns) for t in ALL_TABLES}


def _case_columns_key(sql: str, schema: dict[str, dict[str, str]]) -> str:
    """The digest a trace's SQL and the case schema are known by in :data:`CASE_COLUMNS_FILE`."""
    return hashlib.sha256(json.dumps([sql, schema], sort_keys=True).encode()).hexdigest()


@functools.cache
def _known_case_columns() -> dict[str, dict[str, list[str]]]:
    if not CASE_COLUMNS_FILE.exists():
        return {}
    known: dict[str, dict[str, list[str]]] = json.loads(CASE_COLUMNS_FILE.read_text(encoding="utf-8"))["by_sql"]
    return known


def shipped_case_columns(traces: dict[str, type[Trace]]) -> dict[str, Any]:
    """What :data:`CASE_COLUMNS_FILE` holds for ``traces`` (name -> class, default options):
    each trace's SQL digest and its columns as sqlglot finds them (sorted, for a stable file)."""
    from ..sql import referenced_columns

    schema = case_schema()
    by_sql: dict[str, dict[str, list[str]]] = {}
    names: dict[str, str] = {}
    for name, cls in traces.items():
        sql = ";\n".join(cls().sql_statements())
        key = _case_columns_key(sql, schema)
        by_sql[key] = {table: sorted(cols) for table, cols in sorted(referenced_columns(sql, schema).items())}
        names[name] = key
    return {"traces": dict(sorted(names.items())), "by_sql": dict(sorted(by_sql.items()))}


# re-exported for trace modules
__all__ += ["Interval", "Options", "IsBool", "Constraint", "WINDOW_CONSTRAINT"]
