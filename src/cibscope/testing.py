"""Test kit for traces, importable by plugin authors (after scikit-learn's ``check_estimator``).

>>> from cibscope.testing import check_trace
>>> from cibscope.traces import get_trace
>>> check_trace(get_trace("co_retweet"))      # raises AssertionError on the first broken rule

:func:`check_trace` checks the Trace contract on a small built-in case (:func:`demo_rows`):

* the output has the contract's columns and types, and no NULL account or key;
* the builder makes no self-pairs and orients every pair ``account_a < account_b``;
* edges and evidence are identical when the case's rows are inserted in another order;
* an empty case gives no trace rows and no edges;
* every invalid parameter value generated from ``parameter_constraints`` raises ParameterError;
* every SQL statement of the trace transpiles to Spark SQL (:func:`cibscope.sql.transpile`).

:func:`insert_rows` fills a case's tables from plain dicts with defaults for everything else,
which is how the tests build tiny hand-checkable cases.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .errors import ParameterError
from .case import engine_or_connection
from .schema import ACCOUNTS, POST_HASHTAGS, POST_IMAGES, POST_MENTIONS, POST_URLS, POSTS, Table

if TYPE_CHECKING:
    from .case import Case
    from .engine.base import Engine

__all__ = ["check_trace", "insert_rows", "demo_rows", "snowflake", "T0"]

#: Time origin of the demo and test fixtures (UTC, naive).
T0 = datetime(2020, 1, 1, 12, 0, 0)
_SNOWFLAKE_EPOCH_MS = 1288834974657


def snowflake(at: datetime, seq: int = 0) -> str:
    """A Twitter-style snowflake id (as text) encoding ``at`` (UTC, naive), for fixtures."""
    ms = int(round((at - datetime(1970, 1, 1)).total_seconds() * 1000))
    return str(((ms - _SNOWFLAKE_EPOCH_MS) << 22) + seq)


_TABLES: dict[str, Table] = {t.name: t for t in (ACCOUNTS, POSTS, POST_HASHTAGS, POST_URLS, POST_MENTIONS, POST_IMAGES)}
_ENTITY_TABLES = ("post_hashtags", "post_urls", "post_mentions", "post_images")


def insert_rows(case: Case | Engine | Any, table: str, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert dict rows into a case table; missing columns are NULL, except a few defaults.

    Posts default to ``platform='twitter'``, ``time_precision='second'``, ``kind`` from the
    reference columns, ``source_file='fixture.csv'`` and ``source_line`` = 1-based row order.
    Entity rows (hashtags, urls, mentions, images) take ``account_id``/``created_at`` from their post.
    ``case``: a case or an engine; a bare DuckDB connection is accepted too, as temporary
    compatibility (issue 15) for the many tests that still pass ``case.con``.
    """
    engine = engine_or_connection(case)
    t = _TABLES[table]
    cols = t.column_names
    out = []
    for i, r in enumerate(rows, start=1):
        r = dict(r)
        unknown = set(r) - set(cols)
        if unknown:
            raise KeyError(f"{table} has no column(s) {sorted(unknown)}")
        if table == "posts":
            r.setdefault("platform", "twitter")
            r.setdefault("time_precision", "second")
            kind = "repost" if r.get("repost_of") else "quote" if r.get("quote_of") else "reply" if r.get("reply_to_post") else "post"
            r.setdefault("kind", kind)
        if table in ("posts", "accounts"):
            r.setdefault("source_file", f"{table}.csv")
            r.setdefault("source_line", i + 1)
        if table == "accounts":
            r.setdefault("platform", "twitter")
            r.setdefault("is_hashed", False)
        out.append([r.get(c) for c in cols])
    if not out:
        return 0
    import pyarrow as pa

    arrow_types = {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "INTEGER": pa.int32(), "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(), "TIMESTAMP": pa.timestamp("us")}
    arrays = {c: pa.array([row[j] for row in out], type=arrow_types[typ]) for j, (c, typ) in enumerate(t.columns)}
    engine.register_arrow("_cib_insert_rows", pa.table(arrays))
    try:
        engine.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _cib_insert_rows")
    finally:
        engine.unregister("_cib_insert_rows")
    if table in _ENTITY_TABLES:
        engine.execute(
            f"UPDATE {table} AS e SET account_id = p.account_id, created_at = p.created_at "
            "FROM posts AS p WHERE p.post_id = e.post_id AND e.account_id IS NULL"
        )
    return len(out)


def demo_rows(seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """A small case exercising every built-in trace: 4 coordinated accounts and 4 others.

    The coordinated accounts (c1..c4, created the same day with handles 'newsNNNN', one bio
    template) act together in 12 rounds 10 minutes apart: within a few seconds they retweet the
    round's original 2 s after it was posted, quote and reply to the same post, and post a
    near-copy of one text with the same link, five hashtags, a mention and the round's image.
    Two Facebook pages (f1, f2) cross-post each round's link, image, two of its hashtags and a
    near-copy of its text 12 minutes later. The others (o1..o4) do similar things at unrelated
    times.
    """
    rng = random.Random(seed)
    accounts = []
    for i in range(1, 5):
        accounts.append(
            dict(
                account_id=f"c{i}",
                screen_name=f"news{1000 + 7 * i}",
                display_name=f"Daily News {10 + i}",
                description=f"Patriot. Truth seeker #{i}. Follow for daily news!",
                created_at=datetime(2019, 6, 1, 3, i),
            )
        )
        accounts.append(
            dict(
                account_id=f"o{i}",
                screen_name=["alice", "bob_k", "carol77", "dave.x"][i - 1],
                display_name=["Alice", "Bob K", "Carol", "Dave"][i - 1],
                description=["Cat person.", "Engineer, runner, dad", None, "Opinions my own. Coffee first."][i - 1],
                created_at=datetime(2012 + i, i, 3 * i),
            )
        )
    for i in (1, 2):
        accounts.append(dict(account_id=f"f{i}", platform="facebook", screen_name=f"truthpage{i}", display_name=f"Truth Page {i}"))
    posts: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    urls: list[dict[str, Any]] = []
    ments: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    seq = 0

    def add(acc: str, at: datetime, **kw: Any) -> str:
        nonlocal seq
        seq += 1
        pid = snowflake(at, seq)
        posts.append(dict(post_id=pid, account_id=acc, created_at=at, **kw))
        return pid

    words = ["the", "truth", "about", "the", "election", "is", "finally", "out", "read", "it", "before", "it", "gets", "deleted"]
    for r in range(12):
        base = T0 + timedelta(minutes=10 * r)
        original = snowflake(base - timedelta(seconds=2), 999)
        target = snowflake(base - timedelta(minutes=5), 998)
        for i in range(1, 5):
            t = base + timedelta(seconds=i)
            add(f"c{i}", t, repost_of=original, repost_of_account="leader", text="RT leader")
            add(f"c{i}", t + timedelta(seconds=20), quote_of=target, text=f"look at this {r}")
            add(f"c{i}", t + timedelta(seconds=25), reply_to_post=target, reply_to_account="victim", text="@victim shame on you")
            variant = list(words)
            variant[i % len(variant)] = ["now", "today", "here", "again"][i - 1]
            pid = add(f"c{i}", t + timedelta(seconds=30), text=" ".join(variant) + f" round {r}")
            for pos, h in enumerate(["vote", "truth", "fraud", "usa", "news"]):
                tags.append(dict(post_id=pid, position=pos, hashtag=h, hashtag_raw=h))
            urls.append(dict(post_id=pid, position=0, url=f"https://fake.example/story{r}", url_raw=f"https://fake.example/story{r}", domain="fake.example", is_shortener=False))
            ments.append(dict(post_id=pid, position=0, mentioned="journalist1"))
            images.append(dict(post_id=pid, position=1, image_hash=f"ph{r:04d}"))
        for i in (1, 2):
            at = base + timedelta(minutes=12, seconds=7 * i)
            seq += 1
            pid = f"fb{r}_{i}"
            posts.append(dict(post_id=pid, account_id=f"f{i}", platform="facebook", created_at=at, text=" ".join(words) + f" round {r} share"))
            for pos, h in enumerate(["vote", "fraud"]):
                tags.append(dict(post_id=pid, position=pos + 1, hashtag=h, hashtag_raw=h))
            urls.append(dict(post_id=pid, position=1, url=f"https://fake.example/story{r}", url_raw=f"https://fake.example/story{r}", domain="fake.example", is_shortener=False))
            images.append(dict(post_id=pid, position=1, image_hash=f"ph{r:04d}"))
    for i in range(1, 5):
        for k in range(15):
            at = T0 + timedelta(hours=rng.randint(-48, 48), seconds=rng.randint(0, 3599))
            pid = add(f"o{i}", at, text=f"my own thoughts number {k} on {rng.choice(['cats', 'running', 'coffee', 'music'])} today ok")
            if k % 3 == 0:
                tags.append(dict(post_id=pid, position=0, hashtag="news", hashtag_raw="News"))
            if k % 4 == 0:
                urls.append(dict(post_id=pid, position=0, url="https://bigsite.example/home", url_raw="https://bigsite.example/home", domain="bigsite.example", is_shortener=False))
            if k % 5 == 0:
                ments.append(dict(post_id=pid, position=0, mentioned="journalist1"))
        add(f"o{i}", T0 + timedelta(minutes=10 * i, seconds=40), repost_of=snowflake(T0, 5), text="RT celeb")
    return {"accounts": accounts, "posts": posts, "post_hashtags": tags, "post_urls": urls, "post_mentions": ments, "post_images": images}


def _load(engine: Engine, rows: Mapping[str, list[dict[str, Any]]], shuffle: int | None) -> None:
    for table in ("accounts", "posts", *_ENTITY_TABLES):
        data = list(rows.get(table, []))
        if shuffle is not None:
            # keep each row's source_line: number rows first, then shuffle the insertion order
            if table in ("accounts", "posts"):
                data = [dict(r, source_line=r.get("source_line", i + 2)) for i, r in enumerate(data)]
            random.Random(shuffle).shuffle(data)
        insert_rows(engine, table, data)


def _layer_output(engine: Engine, trace: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]:
    from .networks import build_layer
    from .networks.cooccurrence import drop_temp, full_trace_sql
    from .networks.significance import SIGNIFICANCE_TEMP_TABLES

    try:
        st, _ = build_layer(engine, trace, all_pairs=True)
        edges = engine.execute(
            "SELECT account_a, account_b, n_shared, round(weight, 9), round(expected, 12), round(p_value, 12), "
            "first_at, last_at, kept FROM _cib_edges ORDER BY account_a, account_b"
        ).fetchall()
        ev = engine.execute(
            "SELECT ma.account_id, mb.account_id, pa.post_id, pb.post_id, pa.at, pb.at, r.dt, "
            "coalesce(pa.item, pb.item, pa.key), pa.source, pb.source FROM _cib_raw AS r "
            "JOIN _cib_act AS pa ON pa.key_i = r.key_i AND pa.rn = r.rn_a "
            "JOIN _cib_act AS pb ON pb.key_i = r.key_i AND pb.rn = r.rn_b "
            "JOIN _cib_accmap AS ma ON ma.acc_i = r.a_i JOIN _cib_accmap AS mb ON mb.acc_i = r.b_i ORDER BY ALL"
        ).fetchall()
        trace.prepare(engine)
        try:
            n_rows = engine.execute(f"SELECT count(*) FROM ({full_trace_sql(engine, trace)}) AS q").fetchall()[0]
        finally:
            trace.cleanup(engine)
        return edges, ev, int(n_rows[0]) if n_rows else 0
    finally:
        drop_temp(engine)
        for t in SIGNIFICANCE_TEMP_TABLES:
            engine.execute(f"DROP TABLE IF EXISTS {t}")


def check_trace(trace_cls: type, *, rows: Mapping[str, list[dict[str, Any]]] | None = None, expect_rows: bool = True) -> None:
    """Assert that ``trace_cls`` honours the Trace contract (see the module docstring).

    ``rows`` replaces the demo case (dicts per table, as :func:`insert_rows` takes);
    ``expect_rows`` requires the trace to produce at least one row and one pair on it.
    """
    from .case import _configure
    from .engine.duckdb import scratch
    from .networks.cooccurrence import full_trace_sql
    from .schema import ALL_TABLES
    from .sql import transpile
    from .traces.base import OPTIONAL_COLUMNS, TRACE_COLUMNS, Trace

    assert isinstance(trace_cls, type) and issubclass(trace_cls, Trace), f"{trace_cls!r} is not a Trace subclass"
    name = trace_cls.__name__
    assert trace_cls.name and trace_cls.layer, f"{name}: name and layer must be set"
    assert trace_cls.description, f"{name}: description is empty"
    assert trace_cls.benign_causes, f"{name}: benign_causes is empty"
    assert trace_cls.level in ("post", "account"), f"{name}: level must be 'post' or 'account'"
    constraints = trace_cls.parameter_constraints()
    defaults = trace_cls.defaults()
    assert set(constraints) == set(defaults), f"{name}: parameters {sorted(set(constraints) ^ set(defaults))} lack a default or a constraint"
    for p, c in constraints.items():
        assert c.accepts(defaults[p]), f"{name}: default {p}={defaults[p]!r} violates its own constraint"

    # bad parameters rejected, generated from the constraints
    for p, c in constraints.items():
        for bad in c.invalid_examples():
            try:
                trace_cls(**{p: bad})
            except ParameterError:
                continue
            raise AssertionError(f"{name}: invalid value {p}={bad!r} was accepted")
    try:
        trace_cls(__no_such_parameter__=1)
    except ParameterError:
        pass
    else:
        raise AssertionError(f"{name}: an unknown parameter was accepted")

    trace = trace_cls()
    # every statement transpiles to Spark
    for stmt in trace.sql_statements("spark"):
        transpile(stmt, to="spark")
    assert trace.window is None or trace.window >= 0

    data = rows if rows is not None else demo_rows()

    def fresh() -> Any:
        engine = scratch()
        _configure(engine)
        for t in ALL_TABLES:
            engine.execute(t.ddl())
        return engine

    # empty in -> empty out
    engine = fresh()
    try:
        edges, ev, n = _layer_output(engine, trace)
        assert n == 0 and not edges and not ev, f"{name}: an empty case gave {n} rows, {len(edges)} pairs"
    finally:
        engine.close()

    # schema, no self pairs, orientation
    engine = fresh()
    try:
        _load(engine, data, None)
        trace.prepare(engine)
        try:
            sql = trace.sql()
            cur = engine.execute(f"SELECT * FROM ({sql}) AS q LIMIT 0")
            desc = cur.description
            cur.fetchall()
            got = {d[0]: str(d[1]).upper() for d in desc}
            for col, typ in TRACE_COLUMNS:
                assert col in got, f"{name}: output lacks column {col!r}"
                assert typ in got[col], f"{name}: column {col!r} is {got[col]}, expected {typ}"
            for col, typ in OPTIONAL_COLUMNS:
                if col in got:
                    assert typ in got[col] or (typ == "DOUBLE" and got[col] in ("DECIMAL", "FLOAT")) or got[col].startswith("DECIMAL"), (
                        f"{name}: optional column {col!r} is {got[col]}, expected {typ}"
                    )
            nulls = engine.execute(
                f"SELECT count(*) FILTER (WHERE account_id IS NULL), count(*) FILTER (WHERE source IS NULL) FROM ({full_trace_sql(engine, trace)}) AS q"
            ).fetchall()[0]
            assert nulls == (0, 0), f"{name}: rows without account or source: {nulls}"
        finally:
            trace.cleanup(engine)
        edges, ev, n = _layer_output(engine, trace)
        if expect_rows:
            assert n > 0, f"{name}: no rows on the demo case"
            assert edges, f"{name}: no pairs on the demo case"
        for e in edges:
            assert e[0] < e[1], f"{name}: pair not oriented account_a < account_b: {e[:2]}"
        for e in ev:
            assert e[0] < e[1], f"{name}: evidence pair not oriented: {e[:2]}"
    finally:
        engine.close()

    # deterministic under input row shuffling
    engine2 = fresh()
    try:
        _load(engine2, data, 12345)
        edges2, ev2, n2 = _layer_output(engine2, trace)
    finally:
        engine2.close()
    assert n2 == n, f"{name}: {n} rows in order, {n2} shuffled"
    assert edges2 == edges, f"{name}: edges differ when the input rows are shuffled"
    assert ev2 == ev, f"{name}: evidence differs when the input rows are shuffled"
