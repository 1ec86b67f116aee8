"""The format-independent second half of ingest: normalise staged rows and insert them.

Every reader stages what it read into the temp tables ``stage_posts`` / ``stage_accounts`` /
``stage_quarantine`` (see :mod:`.base`). :func:`finalize` then, in the same transaction:

1. **Accounts.** One row per ``account_id`` ever: a users/accounts-file row
   (``from_users_file``) wins over a snapshot taken from posts, otherwise the first seen wins
   (earlier file, then earlier line). A staged snapshot that loses is dropped silently (it is
   not an input row of its file); a losing row of an *accounts* file is moved to quarantine
   (``duplicate account_id`` / ``account_id already in the case``). A users-file row replaces a
   snapshot already in the case.
2. **Posts.** A post whose ``post_id`` is already in the case, or repeats an earlier record of
   the same file, is moved to quarantine with the place of the first one; the rest go to
   ``posts`` with ``text_norm`` (NULL for reposts), and their hashtags, URLs (with the domains a
   source gives), mentions and image hashes are exploded into ``post_hashtags`` / ``post_urls`` /
   ``post_mentions`` / ``post_images``, normalised by the macros of :mod:`.normalize`
   (position = 1-based index in the post's list). Rows a reader merged into a post
   (``stage_merged``) go to quarantine with it when it is dropped.

"Moved to quarantine" means inserted into ``stage_quarantine`` *and* deleted from the stage
table, so the orchestrator's ``read = kept + quarantined`` still holds.

``stage_posts`` may lack columns that are NULL for every row (a reader's work table that
*became* the stage table, :func:`.base.become_stage_posts`); they are read as NULL.
"""

from __future__ import annotations


from ..case import engine_or_connection, insertion_order_off
from ..engine.duckdb import DuckDBEngine
from ..schema import ACCOUNTS, POSTS
from .base import CORE_POST_FIELDS
from .normalize import install_macros


def _one(eng: DuckDBEngine, sql: str) -> int:
    rows = eng.execute(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _reader_kinds_sql() -> str:
    """(format, kind) of every registered reader, as a VALUES list."""
    from .registry import readers

    rows = ", ".join(f"('{r.name}', '{r.kind}')" for r in readers()) or "(NULL, NULL)"
    return f"(VALUES {rows}) AS k(format, kind)"


def finalize(
    engine: DuckDBEngine, source_name: str, kind: str, *, adopt: bool = False, unique_ids: bool = False, macros: bool = False
) -> bool:
    """Normalise the staged rows of ``source_name`` and insert them into the case tables.

    ``kind`` is the reader's kind ("posts" or "accounts"): it says which stage table holds the
    file's counted rows, i.e. whether a dropped account row must be quarantined.

    ``adopt`` (an in-memory case that ends with this ingest, :func:`cibscope.ingest.ingest`):
    staged posts that need no normalisation are not copied into an empty ``posts``; returns
    True when they were left in ``stage_posts`` for :func:`adopt_stage_posts` to make the
    table itself ``posts`` (after the caller counted them). Otherwise returns False.

    ``unique_ids``: the reader proved the staged post ids distinct
    (:func:`.base.finalize_may_quarantine`): no check for ids repeated in the file. ``macros``:
    the caller installed the normalisation macros in this transaction (no catalog probe).
    ``engine``: the case's DuckDB engine (``case.engine``; the case itself is taken too).
    """
    eng = engine_or_connection(engine)
    # the case tables are sets: letting DuckDB insert in any order parallelises the writes
    with insertion_order_off(eng):
        _finalize_accounts(eng, counted=(kind == "accounts"))
        return _finalize_posts(eng, adopt=adopt, unique_ids=unique_ids, macros=macros)


def adopt_stage_posts(engine: DuckDBEngine, fields: frozenset[str]) -> None:
    """Make ``stage_posts`` the case's ``posts`` without copying a row (after
    :func:`finalize` returned True): the stage-only columns are dropped, the ``posts`` columns
    among the read's ``fields`` and the core ones (:data:`.base.CORE_POST_FIELDS`) that the
    reader left out added (NULL: ``source_line`` of a read without lines, say), and the table
    renamed ``posts``: a temp table, which the connection finds before the (empty) case table
    of the same name.

    Only for an in-memory case that ends with the ingest, a lean read's
    (:func:`cibscope.ingest.ingest` with ``fields``): the temp table is gone with the
    connection, its columns are in another order, and the ``posts`` columns outside
    ``fields`` are not there at all (adding them, NULL, cost ~5 ms per column per 1M rows,
    half of a lean read's work after the parse): what reads one on such a case fails loudly
    instead of reading NULL. A later file of the same ingest adds the ones it brings
    (:func:`_adopted_posts_take`).
    """
    eng = engine_or_connection(engine)
    have = _stage_columns(eng)
    for c in have - set(POSTS.column_names):
        eng.execute(f'ALTER TABLE stage_posts DROP COLUMN "{c}"')
    for c, t in POSTS.columns:
        if c in fields | CORE_POST_FIELDS and c not in have:
            eng.execute(f'ALTER TABLE stage_posts ADD COLUMN "{c}" {t}')
    eng.execute("ALTER TABLE stage_posts RENAME TO posts")


def _adopted_posts_take(eng: DuckDBEngine, cols: list[str]) -> None:
    """Before an ingest that may adopt (``finalize(adopt=True)``) inserts ``cols`` into
    ``posts``: if ``posts`` is an adopted stage table (:func:`adopt_stage_posts`, a temp
    table) lacking some of them, add those (NULL for the rows already there)."""
    rows = eng.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'posts' AND database_name = 'temp'"
    ).fetchall()
    if not rows:
        return
    have = {str(r[0]) for r in rows}
    types = dict(POSTS.columns)
    for c in cols:
        if c not in have:
            eng.execute(f'ALTER TABLE posts ADD COLUMN "{c}" {types[c]}')


# ---------------------------------------------------------------------------------------------
# accounts


def _finalize_accounts(eng: DuckDBEngine, *, counted: bool) -> None:
    if _one(eng, "SELECT count(*) FROM stage_accounts") == 0:
        return
    eng.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE cib_acc_plan AS
        WITH existing AS (
            SELECT a.account_id, a.source_file, a.source_line,
                   coalesce(any_value(k.kind) = 'accounts', false) AS from_users
            FROM accounts a
            LEFT JOIN (SELECT source_file, any_value(format) AS format FROM ingest_log GROUP BY 1) l
                   ON l.source_file = a.source_file
            LEFT JOIN {_reader_kinds_sql()} ON k.format = l.format
            WHERE a.account_id IN (SELECT account_id FROM stage_accounts)
            GROUP BY ALL
        ),
        ranked AS (
            SELECT s.rowid AS rid, s.account_id, s.from_users_file, s.source_file, s.source_line,
                   row_number() OVER w AS rn, first_value(s.source_line) OVER w AS first_line
            FROM stage_accounts s
            WINDOW w AS (PARTITION BY s.account_id ORDER BY s.from_users_file DESC NULLS LAST, s.source_line, s.rowid)
        )
        SELECT r.rid, r.account_id, r.source_file, r.source_line,
               CASE
                 WHEN r.account_id IS NULL THEN 'missing account_id'
                 WHEN r.rn > 1 THEN 'duplicate account_id ''' || r.account_id || ''' (first at line ' || coalesce(CAST(r.first_line AS VARCHAR), '?') || ')'
                 WHEN e.account_id IS NOT NULL AND (e.from_users OR NOT coalesce(r.from_users_file, false))
                   THEN 'account_id ''' || r.account_id || ''' already in the case (' || e.source_file || ':' || coalesce(CAST(e.source_line AS VARCHAR), '?') || ')'
               END AS reason,
               e.account_id IS NOT NULL AND NOT e.from_users AND coalesce(r.from_users_file, false) AS replaces
        FROM ranked r LEFT JOIN existing e ON e.account_id = r.account_id
        """
    )
    if _one(eng, "SELECT count(*) FROM cib_acc_plan WHERE reason IS NOT NULL"):
        if counted:
            eng.execute(
                """
                INSERT INTO stage_quarantine
                SELECT p.source_file, p.source_line,
                       concat_ws(',', s.account_id, s.screen_name, s.display_name, s.location, s.description), p.reason
                FROM cib_acc_plan p JOIN stage_accounts s ON s.rowid = p.rid
                WHERE p.reason IS NOT NULL
                """
            )
        eng.execute("DELETE FROM stage_accounts WHERE rowid IN (SELECT rid FROM cib_acc_plan WHERE reason IS NOT NULL)")
    eng.execute("DELETE FROM accounts WHERE account_id IN (SELECT account_id FROM cib_acc_plan WHERE replaces)")
    cols = ", ".join(ACCOUNTS.column_names)
    eng.execute(
        f"INSERT INTO accounts ({cols}) SELECT {cols.replace('is_hashed', 'coalesce(is_hashed, false)')} FROM stage_accounts"
    )
    eng.execute("DROP TABLE cib_acc_plan")


# ---------------------------------------------------------------------------------------------
# posts


def _stage_columns(eng: DuckDBEngine) -> frozenset[str]:
    return frozenset(str(r[0]) for r in eng.execute("DESCRIBE stage_posts").fetchall())


#: stage_posts list columns exploded into the entity tables (with the macros of .normalize)
_ENTITY_LISTS = frozenset({"hashtags", "domains", "urls", "mentions", "images"})
#: stage_posts fields whose finalizing needs the macros of .normalize (text: text_norm)
MACRO_FIELDS = _ENTITY_LISTS | {"text"}


def _finalize_posts(eng: DuckDBEngine, *, adopt: bool = False, unique_ids: bool = False, macros: bool = False) -> bool:
    if _one(eng, "SELECT count(*) FROM stage_posts") == 0:
        return False
    have = _stage_columns(eng)
    _quarantine_post_duplicates(eng, have, unique_ids=unique_ids)
    # the columns stage_posts has; the others are NULL in posts (their default)
    cols = [c for c in POSTS.column_names if c != "text_norm" and c in have]
    # text_norm = cib_text_norm(text), one step per subquery so each runs once per row; NULL
    # for reposts: a repost's text is the original's ("RT @user: ..."), near-duplicate
    # detection leaves reposts out (co-retweet covers them), and skipping them saves a third of
    # the normalisation and of the second text column on a typical archive
    normalise = "text" in have and bool(_one(
        eng, "SELECT count(*) FROM (SELECT 1 FROM stage_posts WHERE text IS NOT NULL AND kind IS DISTINCT FROM 'repost' LIMIT 1)"
    ))
    if not macros and (normalise or have & _ENTITY_LISTS):
        install_macros(eng)  # the caller did not: first needed here (a lean read without them needs none)
    if not normalise:
        # no text to normalise (e.g. a lean read without text)
        if adopt and not _one(eng, "SELECT count(*) FROM (SELECT 1 FROM posts LIMIT 1)"):
            _insert_entities(eng, have)
            return True  # the caller makes stage_posts the posts table (no copy)
        if adopt:
            _adopted_posts_take(eng, cols)
        eng.execute(f"INSERT INTO posts ({', '.join(cols)}) SELECT {', '.join(cols)} FROM stage_posts")
    else:
        if adopt:
            _adopted_posts_take(eng, [*cols, "text_norm"])
        _insert_posts_normalised(eng, cols)
    _insert_entities(eng, have)
    return False


def _insert_posts_normalised(eng: DuckDBEngine, cols: list[str]) -> None:
    eng.execute(
        f"""
        INSERT INTO posts ({', '.join(cols)}, text_norm)
        SELECT {', '.join(cols)}, cib_text_squash(t3) FROM (
            SELECT *, cib_text_strip_links(t2) AS t3 FROM (
                SELECT *, cib_text_strip_rt(t1) AS t2 FROM (
                    SELECT *, cib_fold(cib_nfkc(CASE WHEN kind IS DISTINCT FROM 'repost' THEN text END)) AS t1 FROM stage_posts
                )
            )
        )
        """
    )


def _insert_entities(eng: DuckDBEngine, have: frozenset[str]) -> None:
    """Hashtags, URLs, mentions and image hashes exploded; position = 1-based index of the item
    in the post's list. A list column stage_posts lacks (``have``: its columns) has nothing to explode."""
    if "hashtags" in have:
        _insert_hashtags(eng)
    if "domains" in have:
        _insert_urls_with_domains(eng, "urls" in have)
    elif "urls" in have:
        _insert_urls(eng)
    if "mentions" in have:
        _insert_mentions(eng)
    if "images" in have:
        _insert_images(eng)


def _insert_hashtags(eng: DuckDBEngine) -> None:
    eng.execute(
        """
        INSERT INTO post_hashtags (post_id, account_id, created_at, position, hashtag, hashtag_raw)
        SELECT post_id, account_id, created_at, position, hashtag, raw FROM (
            SELECT post_id, account_id, created_at, position, nullif(cib_fold(cib_nfkc(h1)), '') AS hashtag, raw FROM (
                SELECT *, cib_hashtag_strip(raw) AS h1 FROM (
                    SELECT post_id, account_id, created_at, unnest(hashtags) AS raw,
                           unnest(generate_series(1, len(hashtags))) AS position
                    FROM stage_posts WHERE len(hashtags) > 0
                )
            )
        ) WHERE hashtag IS NOT NULL
        """
    )


def _insert_urls(eng: DuckDBEngine) -> None:
    eng.execute(
        """
        INSERT INTO post_urls (post_id, account_id, created_at, position, url, url_raw, domain, is_shortener)
        SELECT post_id, account_id, created_at, position, cib_url_build(x, raw), raw, domain, cib_is_shortener(domain)
        FROM (
            SELECT *, cib_url_domain_of(x) AS domain FROM (
                SELECT *, cib_url_split(p) AS x FROM (
                    SELECT *, cib_url_parts(raw) AS p FROM (
                        SELECT post_id, account_id, created_at, unnest(urls) AS raw,
                               unnest(generate_series(1, len(urls))) AS position
                        FROM stage_posts WHERE len(urls) > 0
                    ) WHERE nullif(trim(raw), '') IS NOT NULL
                )
            )
        )
        """
    )


def _insert_urls_with_domains(eng: DuckDBEngine, urls: bool) -> None:
    """URLs with the domains the source gives (``domains``, aligned with ``urls`` by position):
    a given domain (trimmed, lower-cased, without a leading ``www.`` or a trailing dot) wins
    over the URL's host; a domain without a URL is a row with a NULL ``url``."""
    url_list = "urls" if urls else "CAST([] AS VARCHAR[])"
    eng.execute(
        f"""
        INSERT INTO post_urls (post_id, account_id, created_at, position, url, url_raw, domain, is_shortener)
        SELECT post_id, account_id, created_at, position, url, raw, domain, cib_is_shortener(domain) FROM (
            SELECT post_id, account_id, created_at, position, CASE WHEN has_url THEN cib_url_build(x, raw) END AS url,
                   CASE WHEN has_url THEN raw END AS raw,
                   coalesce(given, CASE WHEN has_url THEN cib_url_domain_of(x) END) AS domain
            FROM (
                SELECT *, cib_url_split(cib_url_parts(CASE WHEN has_url THEN raw ELSE '' END)) AS x,
                       nullif(rtrim(CASE WHEN starts_with(lower(trim(given_raw)), 'www.') THEN substr(lower(trim(given_raw)), 5)
                                    ELSE lower(trim(given_raw)) END, '.'), '') AS given
                FROM (
                    SELECT post_id, account_id, created_at, u AS raw, nullif(trim(u), '') IS NOT NULL AS has_url,
                           g AS given_raw, position FROM (
                        SELECT post_id, account_id, created_at, unnest({url_list}) AS u, unnest(domains) AS g,
                               unnest(generate_series(1, greatest(len({url_list}), len(domains)))) AS position
                        FROM stage_posts WHERE len({url_list}) > 0 OR len(domains) > 0
                    )
                ) WHERE has_url OR nullif(trim(given_raw), '') IS NOT NULL
            )
        )
        """
    )


def _insert_images(eng: DuckDBEngine) -> None:
    """Image hashes as given (trimmed; empty items dropped)."""
    eng.execute(
        """
        INSERT INTO post_images (post_id, account_id, created_at, position, image_hash)
        SELECT post_id, account_id, created_at, position, image_hash FROM (
            SELECT post_id, account_id, created_at, nullif(trim(raw), '') AS image_hash, position FROM (
                SELECT post_id, account_id, created_at, unnest(images) AS raw,
                       unnest(generate_series(1, len(images))) AS position
                FROM stage_posts WHERE len(images) > 0
            )
        ) WHERE image_hash IS NOT NULL
        """
    )


def _insert_mentions(eng: DuckDBEngine) -> None:
    eng.execute(
        """
        INSERT INTO post_mentions (post_id, account_id, created_at, position, mentioned)
        SELECT post_id, account_id, created_at, position, mentioned FROM (
            SELECT post_id, account_id, created_at, position, cib_mention(raw) AS mentioned FROM (
                SELECT post_id, account_id, created_at, unnest(mentions) AS raw,
                       unnest(generate_series(1, len(mentions))) AS position
                FROM stage_posts WHERE len(mentions) > 0
            )
        ) WHERE mentioned IS NOT NULL
        """
    )


def _quarantine_post_duplicates(eng: DuckDBEngine, have: frozenset[str], *, unique_ids: bool = False) -> None:
    """Move posts without ids, repeated within the file, or already in the case, to quarantine.
    ``have``: the columns of stage_posts (the raw text shown is empty without ``text``);
    ``unique_ids``: the reader proved the ids distinct (see :func:`finalize`)."""
    text = "s.text" if "text" in have else "CAST(NULL AS VARCHAR)"
    eng.execute(
        """
        CREATE OR REPLACE TEMP TABLE cib_post_drop (rid BIGINT, reason VARCHAR)
        """
    )
    # missing ids (a reader should not stage them; cheap to check)
    eng.execute(
        """
        INSERT INTO cib_post_drop
        SELECT rowid, CASE WHEN post_id IS NULL THEN 'missing post_id' ELSE 'missing account_id' END
        FROM stage_posts WHERE post_id IS NULL OR account_id IS NULL
        """
    )
    # repeated within the file: keep the first record (lowest line)
    # as many distinct 64-bit hashes as ids means no repeated id (an integer aggregate, cheaper
    # than grouping the strings); only otherwise are the strings grouped
    dup_ids = not unique_ids and _one(eng, "SELECT count(post_id) - count(DISTINCT hash(post_id)) FILTER (WHERE post_id IS NOT NULL) FROM stage_posts") and _one(
        eng,
        "SELECT count(*) FROM (SELECT post_id FROM stage_posts WHERE post_id IS NOT NULL GROUP BY post_id HAVING count(*) > 1)",
    )
    if dup_ids:
        eng.execute(
            """
            INSERT INTO cib_post_drop
            SELECT rid, 'duplicate post_id ''' || post_id || ''' (first at line ' || coalesce(CAST(first_line AS VARCHAR), '?') || ')'
            FROM (
                SELECT s.rowid AS rid, s.post_id, row_number() OVER w AS rn, first_value(s.source_line) OVER w AS first_line
                FROM stage_posts s
                WHERE s.post_id IN (SELECT post_id FROM stage_posts GROUP BY post_id HAVING count(*) > 1)
                WINDOW w AS (PARTITION BY s.post_id ORDER BY s.source_line, s.rowid)
            ) WHERE rn > 1 AND rid NOT IN (SELECT rid FROM cib_post_drop)
            """
        )
    # already in the case (an earlier file)
    if _one(eng, "SELECT count(*) FROM (SELECT 1 FROM posts LIMIT 1)"):
        eng.execute(
            """
            INSERT INTO cib_post_drop
            SELECT s.rowid, 'post_id ''' || s.post_id || ''' already in the case (' || p.source_file || ':' || coalesce(CAST(p.source_line AS VARCHAR), '?') || ')'
            FROM stage_posts s JOIN posts p ON p.post_id = s.post_id
            WHERE s.rowid NOT IN (SELECT rid FROM cib_post_drop)
            """
        )
    if _one(eng, "SELECT count(*) FROM cib_post_drop"):
        eng.execute(
            f"""
            INSERT INTO stage_quarantine
            SELECT s.source_file, s.source_line,
                   concat_ws(',', s.post_id, s.account_id, CAST(s.created_at AS VARCHAR), {text}), d.reason
            FROM (SELECT rid, any_value(reason) AS reason FROM cib_post_drop GROUP BY rid) d
            JOIN stage_posts s ON s.rowid = d.rid
            """
        )
        # rows merged into a dropped post (stage_merged) go to quarantine with it
        eng.execute(
            """
            INSERT INTO stage_quarantine
            SELECT m.source_file, m.source_line, m.raw, d.reason
            FROM stage_merged m JOIN (
                SELECT s.post_id, any_value(d.reason) AS reason FROM cib_post_drop d JOIN stage_posts s ON s.rowid = d.rid GROUP BY s.post_id
            ) d ON d.post_id = m.post_id
            WHERE m.post_id NOT IN (SELECT post_id FROM stage_posts WHERE post_id IS NOT NULL AND rowid NOT IN (SELECT rid FROM cib_post_drop))
            """
        )
        eng.execute(
            "DELETE FROM stage_merged WHERE post_id IN (SELECT s.post_id FROM stage_posts s JOIN cib_post_drop d ON d.rid = s.rowid) "
            "AND post_id NOT IN (SELECT post_id FROM stage_posts WHERE post_id IS NOT NULL AND rowid NOT IN (SELECT rid FROM cib_post_drop))"
        )
        eng.execute("DELETE FROM stage_posts WHERE rowid IN (SELECT rid FROM cib_post_drop)")
    eng.execute("DROP TABLE cib_post_drop")
