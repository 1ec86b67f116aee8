"""The case's accounts and posts as Twitter's Information Operations archive files.

Everything is SQL over the case (DuckDB), one statement per file, so a package of millions of
tweets is written without Python loops over rows. Formats follow the real releases
(docs/formats.md, "Columns") and :mod:`cibscope.ingest.io_archive` (which reads them back):

* users CSV, 10 columns; tweets CSV, 31 columns in the archive's order;
* every value quoted, empty fields ``""``, UTF-8, ``\\n`` line ends (the generator's and the
  releases' quoting);
* ``tweet_time`` ``YYYY-MM-DD HH:MM`` (UTC, the minute); ``account_creation_date`` ``YYYY-MM-DD``;
* ``is_retweet`` ``true``/``false``; ``latitude``/``longitude`` ``absent`` when unknown;
  ``poll_choices`` empty;
* ``hashtags``, ``urls``, ``user_mentions`` bracketed lists: ``[]``, ``[a, b]``, or, when an item
  holds a comma, a bracket, a quote or surrounding spaces, every item quoted (``['a, b', "it's"]``);
  hashtags without ``#``, URLs as the source gave them (``url_raw``), mentions as account ids.

Hashing (:func:`hash_sql`): an account under the follower threshold (or with no follower count)
is written as one hash in ``userid``, ``user_screen_name`` and ``user_display_name``, and the
same hash replaces its id in every reference: ``retweet_userid``, ``in_reply_to_userid`` and
``user_mentions`` (a mention given as a handle is first resolved to the account of that handle
in the case). An id the case knows nothing about is hashed too: its follower count is unknown.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.csv as pacsv

from ..ingest.io_archive import TWEET_COLUMNS, USER_COLUMNS

if TYPE_CHECKING:
    from ..engine.base import Engine

__all__ = ["USER_COLUMNS", "TWEET_COLUMNS", "hash_sql", "prepare", "users_sql", "tweets_sql", "write_csv_all_quoted"]

_WRITE = pacsv.WriteOptions(quoting_style="all_valid", batch_size=16384)


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def hash_sql(expr: str, salt: str) -> str:
    """SQL: the release's hash of an id: 64 hex digits of SHA-256 of salt, a separator and the id
    (the IRA release's format). The same id always gives the same hash within a release; another
    salt gives unrelated hashes, so two releases cannot be joined on them."""
    return f"sha256({_lit(salt)} || chr(31) || {expr})"


def prepare(engine: Engine, accounts: list[str], *, threshold: int, salt: str, platform: str | None) -> None:
    """Temp tables the statements below read.

    ``_dc_acc``: the disclosed accounts (``account_id``, ``out_id``: the id written, hashed or
    not, ``hashed``); ``_dc_real``: every case account at or above ``threshold`` followers (kept
    as is wherever referenced); ``_dc_handle``: lower-cased screen names that name exactly one
    account (mentions given as handles); ``_dc_posts``: the disclosed accounts' posts (of
    ``platform``'s accounts only, when given).
    """
    from ..platforms import ACCOUNT_PLATFORM_SQL

    engine.register_arrow("_dc_list", pa.table({"account_id": pa.array(sorted(set(accounts)), pa.string())}))
    try:
        engine.execute(
            "CREATE OR REPLACE TEMP TABLE _dc_real AS SELECT DISTINCT account_id FROM accounts "
            f"WHERE follower_count >= {int(threshold)}"
        )
        on_platform = (
            f" WHERE l.account_id IN (SELECT x.account_id FROM ({ACCOUNT_PLATFORM_SQL}) x WHERE x.platform = {_lit(platform)})"
            if platform is not None else ""
        )
        engine.execute(
            "CREATE OR REPLACE TEMP TABLE _dc_acc AS SELECT l.account_id, "
            f"CASE WHEN r.account_id IS NULL THEN {hash_sql('l.account_id', salt)} ELSE l.account_id END AS out_id, "
            f"r.account_id IS NULL AS hashed FROM _dc_list l LEFT JOIN _dc_real r USING (account_id){on_platform}"
        )
    finally:
        engine.unregister("_dc_list")
    engine.execute(
        "CREATE OR REPLACE TEMP TABLE _dc_handle AS SELECT lower(screen_name) AS handle, min(account_id) AS account_id "
        "FROM accounts WHERE screen_name IS NOT NULL AND screen_name <> '' GROUP BY 1 HAVING count(DISTINCT account_id) = 1"
    )
    engine.execute(
        "CREATE OR REPLACE TEMP TABLE _dc_posts AS SELECT p.* FROM posts p WHERE p.account_id IN (SELECT account_id FROM _dc_acc)"
    )


def _ref(expr: str, salt: str) -> str:
    """SQL: a reference to an account, as written: kept when the account is at or above the
    threshold, else hashed; NULL stays NULL."""
    return (
        f"CASE WHEN {expr} IS NULL OR {expr} = '' THEN NULL WHEN {expr} IN (SELECT account_id FROM _dc_real) THEN {expr} "
        f"ELSE {hash_sql(expr, salt)} END"
    )


def _list_sql(items: str) -> str:
    """SQL: a VARCHAR[] (ordered) as the archive's bracketed list."""
    needs_quotes = f"len(list_filter({items}, lambda x: regexp_matches(x, '[,\\[\\]''\"]') OR x <> trim(x))) > 0"
    quoted = (
        f"'[' || array_to_string(list_transform({items}, lambda x: CASE WHEN contains(x, '''') "
        "THEN '\"' || replace(x, '\"', '%22') || '\"' ELSE '''' || x || '''' END), ', ') || ']'"
    )
    plain = f"'[' || array_to_string({items}, ', ') || ']'"
    return f"CASE WHEN {items} IS NULL OR len({items}) = 0 THEN '[]' WHEN {needs_quotes} THEN {quoted} ELSE {plain} END"


def _user_cols(alias: str, acc: str) -> list[str]:
    """The 10 user columns (SQL, as text) of account row ``alias`` written as ``acc`` (_dc_acc)."""

    def txt(e: str) -> str:
        return f"coalesce(CAST({e} AS VARCHAR), '')"

    name = f"CASE WHEN {acc}.hashed THEN {acc}.out_id ELSE coalesce({alias}.screen_name, '') END"
    display = f"CASE WHEN {acc}.hashed THEN {acc}.out_id ELSE coalesce({alias}.display_name, '') END"
    return [
        f"{acc}.out_id",
        display,
        name,
        txt(f"{alias}.location"),
        txt(f"{alias}.description"),
        txt(f"{alias}.profile_url"),
        txt(f"{alias}.follower_count"),
        txt(f"{alias}.following_count"),
        f"coalesce(strftime({alias}.created_at, '%Y-%m-%d'), '')",
        txt(f"{alias}.account_language"),
    ]


def users_sql() -> str:
    """SELECT of the users CSV rows (10 text columns), ordered by the written userid."""
    cols = _user_cols("a", "d")
    sel = ", ".join(f"{e} AS {c}" for e, c in zip(cols, USER_COLUMNS))
    return (
        f"SELECT {sel} FROM _dc_acc d LEFT JOIN (SELECT * FROM accounts QUALIFY row_number() OVER "
        "(PARTITION BY account_id ORDER BY source_file, source_line) = 1) a USING (account_id) ORDER BY 1"
    )


def tweets_sql(salt: str, *, drop_text: str) -> str:
    """SELECT of the tweets CSV rows (31 text columns), ordered by time then tweet id.

    ``drop_text``: ``none`` (texts kept), ``hashed`` (empty for hashed accounts' tweets) or
    ``all`` (every text empty).
    """
    user = _user_cols("a", "d")
    text = {"none": "coalesce(p.text, '')", "all": "''", "hashed": "CASE WHEN d.hashed THEN '' ELSE coalesce(p.text, '') END"}[drop_text]
    mention = (
        "coalesce(CASE WHEN m.mentioned IN (SELECT account_id FROM accounts) THEN m.mentioned END, "
        "(SELECT h.account_id FROM _dc_handle h WHERE h.handle = lower(m.mentioned)), m.mentioned)"
    )

    def txt(e: str) -> str:
        return f"coalesce(CAST({e} AS VARCHAR), '')"

    cols = [
        "p.post_id",
        *user,
        txt("p.lang"),
        text,
        "strftime(p.created_at, '%Y-%m-%d %H:%M')",
        txt("p.client"),
        f"coalesce({_ref('p.reply_to_account', salt)}, '')",
        txt("p.reply_to_post"),
        txt("p.quote_of"),
        "CASE WHEN p.kind = 'repost' OR p.repost_of IS NOT NULL THEN 'true' ELSE 'false' END",
        f"coalesce({_ref('p.repost_of_account', salt)}, '')",
        txt("p.repost_of"),
        "coalesce(CAST(p.latitude AS VARCHAR), 'absent')",
        "coalesce(CAST(p.longitude AS VARCHAR), 'absent')",
        txt("p.quote_count"),
        txt("p.reply_count"),
        txt("p.like_count"),
        txt("p.repost_count"),
        _list_sql("h.items"),
        _list_sql("u.items"),
        _list_sql("mm.items"),
        "''",
    ]
    sel = ", ".join(f"{e} AS {c}" for e, c in zip(cols, TWEET_COLUMNS))
    return (
        f"SELECT {sel} FROM _dc_posts p JOIN _dc_acc d USING (account_id) "
        "LEFT JOIN (SELECT a0.* FROM accounts a0 QUALIFY row_number() OVER (PARTITION BY a0.account_id "
        "ORDER BY a0.source_file, a0.source_line) = 1) a ON a.account_id = p.account_id "
        # hashtags without '#', as the source wrote them (the case keeps hashtag_raw)
        "LEFT JOIN (SELECT post_id, list(regexp_replace(trim(coalesce(hashtag_raw, hashtag)), '^[#＃]+', '') ORDER BY position) "
        "AS items FROM post_hashtags WHERE post_id IN (SELECT post_id FROM _dc_posts) GROUP BY post_id) h ON h.post_id = p.post_id "
        # URLs as the source gave them; a domain known without a URL has no place in the format
        "LEFT JOIN (SELECT post_id, list(url_raw ORDER BY position) AS items FROM post_urls "
        "WHERE url_raw IS NOT NULL AND post_id IN (SELECT post_id FROM _dc_posts) GROUP BY post_id) u ON u.post_id = p.post_id "
        f"LEFT JOIN (SELECT m.post_id, list({_ref(mention, salt)} ORDER BY m.position) AS items FROM post_mentions m "
        "WHERE m.post_id IN (SELECT post_id FROM _dc_posts) GROUP BY m.post_id) mm ON mm.post_id = p.post_id "
        "ORDER BY p.created_at, length(p.post_id), p.post_id"
    )


def write_csv_all_quoted(engine: Engine, sql: str, columns: tuple[str, ...], path: Path) -> int:
    """Run ``sql`` (text columns, no NULLs) and stream it into ``path`` with every value quoted;
    returns the rows written."""
    schema = pa.schema([(c, pa.string()) for c in columns])
    from ..engine.duckdb import arrow_batches

    reader = arrow_batches(engine, sql, 100_000)
    n = 0
    with open(path, "wb") as f, pacsv.CSVWriter(f, schema, write_options=_WRITE) as w:
        for batch in reader:
            w.write_table(pa.Table.from_batches([batch]).rename_columns(list(columns)).cast(schema))
            n += batch.num_rows
    return n
