"""Twitter API JSON readers: v2 as written by twarc2 and v1.1 (stream / timeline statuses).

Both produce the same staged rows as the IO archive reader, so every later stage is blind to
where a post came from.

Input shapes
------------
* **v2, twarc2 response pages**: one API response per line, ``{data, includes{users, tweets,
  media, places}, meta, errors?, __twarc}``. ``data`` is a list (search/timeline pages) or one
  tweet (filtered stream). Expansions are looked up in ``includes``; every tweet of a page gets
  the page's line as ``source_line`` (the page is what a human can find in the file).
* **v2, flattened** (``twarc2 flatten``): one tweet per line with ``author``,
  ``referenced_tweets[*]`` and ``in_reply_to_user`` inlined.
* **v1.1**: one status per line (``created_at`` like ``Wed Oct 10 20:19:24 +0000 2018``,
  ``id_str``, ``extended_tweet``, ``retweeted_status``, ``quoted_status``). Stream notices
  (``limit``, ``delete``, ...) are rows too: they are quarantined with a reason, so nothing
  disappears without a trace.
* A file that is **one JSON array** (or one pretty-printed object) is read whole, but only up
  to :data:`MAX_DOCUMENT_BYTES` (decompressed); a larger one is refused with a hint to convert
  it to JSON lines, because holding it would cost several times its size in Python objects.

Streaming: lines are parsed one at a time and staged in Arrow batches of
:data:`BATCH_ROWS` rows, so memory stays flat whatever the file size.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

from ..errors import InputError, UnknownFormatError
from ..progress import step
from ..schema import Table
from .base import STAGE_ACCOUNTS, STAGE_POSTS, STAGE_QUARANTINE, ReadContext, Reader, Source

try:  # orjson parses several times faster; the stdlib parser is the fallback
    import orjson

    _loads: Callable[[bytes], Any] = orjson.loads
    _DecodeError: tuple[type[Exception], ...] = (orjson.JSONDecodeError,)
except ImportError:  # pragma: no cover - orjson is a declared dependency
    _loads = json.loads
    _DecodeError = (json.JSONDecodeError, UnicodeDecodeError)

__all__ = ["READERS", "TwitterV1", "TwitterV2", "MAX_DOCUMENT_BYTES", "BATCH_ROWS", "StageWriter", "arrow_schema"]

#: Largest single-document JSON file (an array of tweets) read whole, in decompressed bytes.
MAX_DOCUMENT_BYTES = 100 * 1024 * 1024
#: Rows per Arrow batch inserted into the staging tables.
BATCH_ROWS = 5000
#: Raw text kept for a quarantined line (characters).
RAW_LIMIT = 4096
PLATFORM = "twitter"


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema matching a staging table, so batches insert without casts."""
    return table.arrow_schema()


class StageWriter:
    """Buffers staged rows and flushes them as Arrow batches into the staging tables.

    Posts and quarantine rows are flushed every ``batch_rows`` rows; account snapshots are
    kept per account (the newest wins) and written once at :meth:`close`, since a file holds
    far fewer accounts than posts.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, source_file: str, batch_rows: int = BATCH_ROWS) -> None:
        self.con = con
        self.source_file = source_file
        self.batch_rows = batch_rows
        self._posts: list[dict[str, Any]] = []
        self._quarantine: list[dict[str, Any]] = []
        self._accounts: dict[str, tuple[tuple[Any, ...], Callable[[], dict[str, Any]]]] = {}
        self.n_posts = 0
        self.n_quarantined = 0

    # -- rows -------------------------------------------------------------------------
    def post(self, row: dict[str, Any]) -> None:
        row["source_file"] = self.source_file
        self._posts.append(row)
        self.n_posts += 1
        if len(self._posts) >= self.batch_rows:
            self._flush_posts()

    def quarantine(self, line: int | None, raw: str | bytes, reason: str) -> None:
        if isinstance(raw, bytes):
            raw = raw[: RAW_LIMIT * 4].decode("utf-8", errors="replace")
        raw = raw.rstrip("\r\n")
        if len(raw) > RAW_LIMIT:
            raw = raw[:RAW_LIMIT] + "…"
        self._quarantine.append({"source_file": self.source_file, "source_line": line, "raw": raw, "reason": reason})
        self.n_quarantined += 1
        if len(self._quarantine) >= self.batch_rows:
            self._flush_quarantine()

    def account(self, account_id: str, rank: tuple[Any, ...], snapshot: Callable[[], dict[str, Any]]) -> None:
        """Offer a snapshot of ``account_id``; the one with the highest ``rank`` is staged.

        ``snapshot`` builds the row only when it wins, so a prolific account costs one build.
        """
        prev = self._accounts.get(account_id)
        if prev is None or rank >= prev[0]:
            self._accounts[account_id] = (rank, snapshot)

    # -- flushing ---------------------------------------------------------------------
    def _insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        schema = arrow_schema(table)
        batch = pa.Table.from_pylist(rows, schema=schema)
        name = "_cibscope_batch"
        self.con.register(name, batch)
        try:
            self.con.execute(f"INSERT INTO {table.name} BY NAME SELECT * FROM {name}")
        finally:
            self.con.unregister(name)

    def _flush_posts(self) -> None:
        self._insert(STAGE_POSTS, self._posts)
        self._posts = []

    def _flush_quarantine(self) -> None:
        self._insert(STAGE_QUARANTINE, self._quarantine)
        self._quarantine = []

    def close(self) -> int:
        """Flush everything; return rows read (posts staged + rows quarantined)."""
        self._flush_posts()
        self._flush_quarantine()
        rows = []
        for account_id, (_, snapshot) in self._accounts.items():
            row = snapshot()
            row.update(account_id=account_id, source_file=self.source_file, from_users_file=False)
            row.setdefault("platform", PLATFORM)
            row.setdefault("is_hashed", False)
            rows.append(row)
        for i in range(0, len(rows), self.batch_rows):
            self._insert(STAGE_ACCOUNTS, rows[i : i + self.batch_rows])
        self._accounts = {}
        return self.n_posts + self.n_quarantined


# ---- small parsers ---------------------------------------------------------------------


class BadRecord(ValueError):
    """A record that is JSON but cannot be kept; the message is the quarantine reason."""


_V1_TIME = "%a %b %d %H:%M:%S %z %Y"


def _utc_naive(dt: datetime) -> datetime:
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


def _v1_time(v: str) -> datetime:
    """``Wed Oct 10 20:19:24 +0000 2018`` without strptime (ten times faster; it is per row)."""
    parts = v.split()
    if len(parts) == 6 and parts[1] in _MONTHS and parts[4] == "+0000":
        hh, mm, ss = parts[3].split(":")
        return datetime(int(parts[5]), _MONTHS[parts[1]], int(parts[2]), int(hh), int(mm), int(ss))
    return _utc_naive(datetime.strptime(v, _V1_TIME))


def parse_time(value: Any) -> datetime:
    """Parse a Twitter time: v2 ISO 8601 (``2021-09-22T16:37:29.000Z``) or v1.1 (``Wed Oct 10 20:19:24 +0000 2018``)."""
    if not isinstance(value, str) or not value:
        raise BadRecord(f"missing or non-text created_at ({value!r})")
    v = value.strip()
    try:
        if v[:1].isdigit():
            return _utc_naive(datetime.fromisoformat(v.replace("Z", "+00:00")))
        return _v1_time(v)
    except ValueError as e:
        raise BadRecord(f"unparseable created_at ({value!r})") from e


def _id(value: Any) -> str | None:
    """An id as an exact decimal string (JSON ints are exact in Python; never via float)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or isinstance(value, float):
        raise BadRecord(f"id is not an integer or string ({value!r})")
    return str(value)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_TAG = re.compile(r"<[^>]*>")


def _client(source: Any) -> str | None:
    """v1.1 ``source`` is an HTML anchor; keep the client name only, as the IO archive does."""
    if not isinstance(source, str) or not source.strip():
        return None
    return _TAG.sub("", source).strip() or None


def _profile_url(user: dict[str, Any]) -> str | None:
    urls = (((user.get("entities") or {}).get("url") or {}).get("urls")) or []
    for u in urls:
        if isinstance(u, dict) and (u.get("expanded_url") or u.get("url")):
            return str(u.get("expanded_url") or u.get("url"))
    url = user.get("url")
    return str(url) if url else None


def _opt_time(value: Any) -> datetime | None:
    try:
        return parse_time(value) if value else None
    except BadRecord:
        return None


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _kind(repost_of: str | None, reply_to_post: str | None, reply_to_account: str | None, quote_of: str | None) -> str:
    """One label per post: repost, else reply, else quote, else post (the columns keep all links)."""
    if repost_of:
        return "repost"
    if reply_to_post or reply_to_account:
        return "reply"
    if quote_of:
        return "quote"
    return "post"


def _post_row(
    *, latitude: Any = None, longitude: Any = None, **cols: Any
) -> dict[str, Any]:
    """A staged post row from the columns a reader found: the columns every Twitter JSON post
    shares (platform, second precision, the kind derived from its links) are filled here, once
    for v2 and v1.1."""
    row = {"platform": PLATFORM, "time_precision": "second", **cols}
    row["kind"] = _kind(row["repost_of"], row["reply_to_post"], row["reply_to_account"], row["quote_of"])
    row["latitude"] = float(latitude) if latitude is not None else None
    row["longitude"] = float(longitude) if longitude is not None else None
    return row


def _entity_lists(entities: dict[str, Any] | None, *, v2: bool) -> tuple[list[str], list[str], list[str]]:
    """Raw hashtags (no '#'), URLs (expanded when known) and mentions (id, else lower-cased handle)."""
    entities = entities or {}
    tag_key = "tag" if v2 else "text"
    hashtags = [str(h[tag_key]) for h in entities.get("hashtags") or [] if isinstance(h, dict) and h.get(tag_key)]
    urls = [
        str(u.get("expanded_url") or u.get("url"))
        for u in entities.get("urls") or []
        if isinstance(u, dict) and (u.get("expanded_url") or u.get("url"))
    ]
    mentions: list[str] = []
    for m in entities.get("mentions" if v2 else "user_mentions") or []:
        if not isinstance(m, dict):
            continue
        mid = m.get("id") if v2 else (m.get("id_str") or m.get("id"))
        handle = m.get("username") if v2 else m.get("screen_name")
        if mid not in (None, ""):
            mentions.append(str(mid))
        elif handle:
            mentions.append(str(handle).lower())
    return hashtags, urls, mentions


# ---- record iteration --------------------------------------------------------------------


def _open_binary(source: Source) -> Any:
    return gzip.open(source.path, "rb") if source.compression == "gzip" else open(source.path, "rb")


_WS = re.compile(r"\s*")


def _document_mode(head: bytes) -> bool:
    """True for a file that is one JSON document: an array, or an object spread over lines."""
    s = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if s.startswith(b"["):
        return True
    first = s.split(b"\n", 1)[0].strip()
    return first == b"{"


def _iter_records(source: Source, writer: StageWriter) -> Iterator[tuple[int, Any, bytes | str]]:
    """Yield (line, parsed JSON, raw) for each record; quarantine lines that are not JSON."""
    head = source.head(4096)
    if _document_mode(head):
        yield from _iter_document(source, writer)
        return
    n = 0
    try:
        with _open_binary(source) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue  # blank lines hold no record
                try:
                    obj = _loads(line)
                except _DecodeError as e:
                    writer.quarantine(n, line, f"invalid JSON ({_json_error(e)})")
                    continue
                yield n, obj, line
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        writer.quarantine(n + 1, "", f"truncated or corrupt gzip stream (after line {n}: {e})")


def _json_error(e: Exception) -> str:
    if isinstance(e, json.JSONDecodeError):
        return f"{e.msg}; column {e.colno}"
    return str(e)


def _iter_document(source: Source, writer: StageWriter) -> Iterator[tuple[int, Any, bytes | str]]:
    with _open_binary(source) as f:
        data = f.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(
            f"a single JSON document larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB is not read whole",
            file=source.name,
            hint="convert it to JSON lines, one tweet per line, e.g. `jq -c '.[]' FILE > FILE.jsonl`",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text ({e.reason} at byte {e.start})", file=source.name) from e
    del data
    dec = json.JSONDecoder()
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
    line = 1 + text.count("\n", 0, pos)
    if not text.startswith("[", pos):
        try:
            obj, _ = dec.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            writer.quarantine(line, text[pos:], f"invalid JSON ({e.msg}; line {e.lineno} column {e.colno})")
            return
        yield line, obj, text[pos : pos + RAW_LIMIT]
        return
    pos += 1
    while True:
        nxt = _WS.match(text, pos).end()  # type: ignore[union-attr]
        line += text.count("\n", pos, nxt)
        pos = nxt
        if text.startswith("]", pos):
            return
        try:
            obj, end = dec.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            # Nothing after a broken element can be located reliably: quarantine the rest as one row.
            writer.quarantine(line, text[pos:], f"invalid JSON in array ({e.msg}; line {e.lineno} column {e.colno})")
            return
        yield line, obj, text[pos:end]
        line += text.count("\n", pos, end)
        pos = _WS.match(text, end).end()  # type: ignore[union-attr]
        line += text.count("\n", end, pos)
        if text.startswith(",", pos):
            pos += 1
        elif not text.startswith("]", pos):
            writer.quarantine(line, text[pos:], "invalid JSON in array (expected ',' or ']')")
            return


def _raw(raw: bytes | str, obj: Any = None) -> bytes | str:
    return raw if raw else json.dumps(obj)[:RAW_LIMIT]


# ---- classification (sniffing) -----------------------------------------------------------

_STREAM_NOTICES = (
    "limit",
    "delete",
    "scrub_geo",
    "status_withheld",
    "user_withheld",
    "disconnect",
    "warning",
    "friends",
    "friends_str",
    "event",
    "control",
    "for_user",
)


def _is_v1_status(o: Any) -> bool:
    return (
        isinstance(o, dict)
        and "created_at" in o
        and ("id_str" in o or "id" in o)
        and isinstance(o.get("user"), dict)
        and ("text" in o or "full_text" in o or "extended_tweet" in o)
    )


def _is_v2_tweet(o: Any) -> bool:
    return (
        isinstance(o, dict)
        and "id" in o
        and "text" in o
        and "id_str" not in o
        and not isinstance(o.get("user"), dict)
    )


def _stream_notice(o: Any) -> str | None:
    if isinstance(o, dict) and len(o) <= 3:
        for k in _STREAM_NOTICES:
            if k in o:
                return k
    return None


def _v2_page_kind(page: dict[str, Any]) -> str:
    """'tweets', 'users', 'counts', 'empty' or 'other' for a v2 response page."""
    data = page.get("data")
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    if not items:
        return "empty"
    first = items[0]
    if _is_v2_tweet(first):
        return "tweets"
    if isinstance(first, dict) and "tweet_count" in first and "start" in first:
        return "counts"
    if isinstance(first, dict) and "username" in first:
        return "users"
    return "other"


def classify(o: Any) -> str | None:
    """What a parsed JSON record is: 'v2' (tweet or tweets page), 'v2-users', 'v2-counts',
    'v2-empty', 'v1', 'v1-notice' or None."""
    if isinstance(o, dict) and "data" in o and ("includes" in o or "meta" in o or "__twarc" in o or "errors" in o or len(o) <= 2):
        kind = _v2_page_kind(o)
        return "v2" if kind == "tweets" else f"v2-{kind}"
    if _is_v1_status(o):
        return "v1"
    if _is_v2_tweet(o) and ("author_id" in o or "author" in o or "edit_history_tweet_ids" in o or "conversation_id" in o or "created_at" in o):
        return "v2"
    if _stream_notice(o):
        return "v1-notice"
    return None


_DATA_KEY = re.compile(r'"data"\s*:\s*(\[\s*)?')


def head_records(head: bytes) -> list[Any]:
    """Parsed JSON records visible in the first bytes of a file (a partial last line is ignored).

    A twarc2 page is often longer than the head: then the first element of its ``data`` is
    decoded on its own and returned wrapped as a one-tweet page.
    """
    s = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not s[:1] in (b"{", b"["):
        return []
    text = s.decode("utf-8", errors="ignore")
    dec = json.JSONDecoder()
    out: list[Any] = []
    if text.startswith("["):
        pos = 1
        while len(out) < 20:
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            try:
                obj, pos = dec.raw_decode(text, pos)
            except json.JSONDecodeError:
                break
            out.append(obj)
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            if not text.startswith(",", pos):
                break
            pos += 1
        return out
    for ln in text.split("\n")[:50]:
        if not ln.strip():
            continue
        try:
            out.append(json.loads(ln))
        except json.JSONDecodeError:
            # A line cut off by the head (or malformed): a page's first tweet may still be readable.
            m = _DATA_KEY.search(ln)
            if m:
                try:
                    obj, _ = dec.raw_decode(ln, m.end())
                    out.append({"data": [obj], "__partial__": True})
                except json.JSONDecodeError:
                    pass
    return out


def _first_kind(head: bytes, skip: tuple[str, ...] = ()) -> str | None:
    """Kind of the first informative record in ``head`` (records of kinds in ``skip`` are passed over)."""
    for rec in head_records(head):
        k = classify(rec)
        if k not in skip:
            return k
    return None


# ---- the readers ---------------------------------------------------------------------------


class _JsonReader:
    kind: ClassVar[str] = "posts"
    name: ClassVar[str]

    def _convert(self, line: int, obj: Any, raw: bytes | str, writer: StageWriter) -> None:
        raise NotImplementedError

    def _refuse(self, source: Source) -> None:
        """Raise a clear error when the file is JSON of another kind (checked before reading)."""

    def read(self, ctx: ReadContext) -> int:
        self._refuse(ctx.source)
        writer = StageWriter(ctx.con, ctx.source.name)
        with step(ctx.progress, f"parsing {self.name} JSON") as task:
            for i, (line, obj, raw) in enumerate(_iter_records(ctx.source, writer)):
                self._convert(line, obj, raw, writer)
                if i % 1000 == 999:
                    task.advance(1000)
        return writer.close()


class TwitterV2(_JsonReader):
    """Twitter API v2 JSON as written by twarc2: response pages or flattened tweets, one per line."""

    name: ClassVar[str] = "twitter-v2"
    description: ClassVar[str] = "Twitter API v2 JSON lines (twarc2 response pages or `twarc2 flatten` output)"

    def sniff(self, source: Source, head: bytes) -> bool:
        return _first_kind(head, skip=("v2-empty",)) == "v2"

    def _refuse(self, source: Source) -> None:
        k = _first_kind(source.head(), skip=("v2-empty",))
        if k in ("v2-users", "v2-counts"):
            what = "user objects (twarc2 users/followers output)" if k == "v2-users" else "tweet counts (the counts endpoint)"
            raise UnknownFormatError(f"a Twitter API v2 file of {what}, not tweets", file=source.name)

    def _convert(self, line: int, obj: Any, raw: bytes | str, writer: StageWriter) -> None:
        if isinstance(obj, list):  # a list of pages or tweets on one line
            for item in obj:
                self._convert(line, item, b"", writer)
            return
        kind = classify(obj)
        if kind == "v2" and isinstance(obj, dict) and "data" in obj:
            self._page(line, obj, raw, writer)
        elif kind == "v2":
            self._tweet(line, obj, {}, {}, writer)
        elif kind == "v2-empty":
            return  # a page with no data (only errors/meta): holds no row
        elif kind in ("v2-users", "v2-counts", "v2-other"):
            writer.quarantine(line, _raw(raw, obj), f"not tweets: a v2 response page of {kind[3:]}")
        elif kind in ("v1", "v1-notice"):
            writer.quarantine(line, _raw(raw, obj), "a v1.1 record, not a v2 tweet (read this file with --format twitter-v1)")
        else:
            writer.quarantine(line, _raw(raw, obj), "not a tweet (JSON without v2 tweet fields id/text)")

    def _page(self, line: int, page: dict[str, Any], raw: bytes | str, writer: StageWriter) -> None:
        includes = page.get("includes") or {}
        users = {str(u.get("id")): u for u in includes.get("users") or [] if isinstance(u, dict)}
        tweets = {str(t.get("id")): t for t in includes.get("tweets") or [] if isinstance(t, dict)}
        data = page["data"]
        for t in data if isinstance(data, list) else [data]:
            if _is_v2_tweet(t):
                self._tweet(line, t, users, tweets, writer)
            else:
                writer.quarantine(line, json.dumps(t)[:RAW_LIMIT], "not a tweet (data item without id/text)")

    def _tweet(self, line: int, t: dict[str, Any], users: dict[str, Any], tweets: dict[str, Any], writer: StageWriter) -> None:
        try:
            row, user = self._row(t, users, tweets)
        except BadRecord as e:
            writer.quarantine(line, json.dumps(t)[:RAW_LIMIT], str(e))
            return
        row["source_line"] = line
        writer.post(row)
        writer.account(
            row["account_id"],
            (bool(user), row["created_at"], line),
            lambda: {**(_v2_account(user) if user else {}), "source_line": line},
        )

    @staticmethod
    def _row(t: dict[str, Any], users: dict[str, Any], tweets: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        pid = _id(t.get("id"))
        author = t.get("author") if isinstance(t.get("author"), dict) else None
        account = _id(t.get("author_id")) or (_id(author.get("id")) if author else None)
        if not pid or not account:
            raise BadRecord("tweet without id or author_id")
        created = parse_time(t.get("created_at"))
        repost_of = repost_of_account = reply_to = quote_of = None
        for ref in t.get("referenced_tweets") or []:
            if not isinstance(ref, dict):
                continue
            rid = _id(ref.get("id"))
            typ = ref.get("type")
            if typ == "retweeted":
                repost_of = rid
                target = tweets.get(rid or "") or ref  # flattened output inlines the referenced tweet
                ref_author = target.get("author") if isinstance(target.get("author"), dict) else {}
                repost_of_account = _id(target.get("author_id")) or _id(ref_author.get("id"))
            elif typ == "quoted":
                quote_of = rid
            elif typ == "replied_to":
                reply_to = rid
        if repost_of and not repost_of_account:
            repost_of_account = _rt_author(t, users)
        reply_user = t.get("in_reply_to_user") if isinstance(t.get("in_reply_to_user"), dict) else {}
        reply_to_account = _id(t.get("in_reply_to_user_id")) or _id(reply_user.get("id"))
        # Long posts carry their full text and entities in note_tweet.
        note = t.get("note_tweet") if isinstance(t.get("note_tweet"), dict) else {}
        text = note.get("text") or t.get("text")
        hashtags, urls, mentions = _entity_lists(note.get("entities") or t.get("entities"), v2=True)
        pm = t.get("public_metrics") or {}
        coords = (((t.get("geo") or {}).get("coordinates")) or {}).get("coordinates")
        lon, lat = (coords[0], coords[1]) if isinstance(coords, list) and len(coords) == 2 else (None, None)
        row = _post_row(
            post_id=pid,
            account_id=account,
            created_at=created,
            text=text,
            lang=_str_or_none(t.get("lang")),
            client=_client(t.get("source")),
            repost_of=repost_of,
            repost_of_account=repost_of_account,
            reply_to_post=reply_to,
            reply_to_account=reply_to_account,
            quote_of=quote_of,
            like_count=_int(pm.get("like_count")),
            repost_count=_int(pm.get("retweet_count")),
            reply_count=_int(pm.get("reply_count")),
            quote_count=_int(pm.get("quote_count")),
            latitude=lat,
            longitude=lon,
            hashtags=hashtags,
            urls=urls,
            mentions=mentions,
        )
        return row, author or users.get(account)


def _rt_author(t: dict[str, Any], users: dict[str, Any]) -> str | None:
    """The retweeted account when the retweeted tweet is missing from ``includes`` (it happens:
    deleted or withheld originals): a v2 retweet's text starts ``RT @handle:`` and its first
    mention is that handle, with the account id (else the lower-cased handle, as for mentions)."""
    text = t.get("text") or ""
    if not text.startswith("RT @"):
        return None
    handle = text[4:].split(":", 1)[0].strip().lower()
    for m in ((t.get("entities") or {}).get("mentions")) or []:
        if isinstance(m, dict) and str(m.get("username", "")).lower() == handle and m.get("id"):
            return str(m["id"])
    for uid, u in users.items():
        if str(u.get("username", "")).lower() == handle:
            return uid
    return handle or None  # like mentions: the lower-cased handle when the id is unknown


def _v2_account(u: dict[str, Any]) -> dict[str, Any]:
    pm = u.get("public_metrics") or {}
    return {
        "screen_name": _str_or_none(u.get("username")),
        "display_name": _str_or_none(u.get("name")),
        "description": _str_or_none(u.get("description")),
        "location": _str_or_none(u.get("location")),
        "profile_url": _profile_url(u),
        "follower_count": _int(pm.get("followers_count")),
        "following_count": _int(pm.get("following_count")),
        "created_at": _opt_time(u.get("created_at")),
        "account_language": None,
    }


class TwitterV1(_JsonReader):
    """Twitter API v1.1 statuses, one per line (stream or timeline), or a JSON array of them."""

    name: ClassVar[str] = "twitter-v1"
    description: ClassVar[str] = "Twitter API v1.1 JSON statuses (one per line, or one JSON array), stream notices quarantined"

    def sniff(self, source: Source, head: bytes) -> bool:
        kinds = [classify(r) for r in head_records(head)]
        informative = [k for k in kinds if k != "v1-notice"]
        if informative:
            return informative[0] == "v1"
        return bool(kinds)  # only stream notices so far: a v1.1 stream

    def _convert(self, line: int, obj: Any, raw: bytes | str, writer: StageWriter) -> None:
        kind = classify(obj)
        if kind == "v1":
            try:
                row, user = self._row(obj)
            except BadRecord as e:
                writer.quarantine(line, _raw(raw, obj), str(e))
                return
            row["source_line"] = line
            writer.post(row)
            writer.account(row["account_id"], (True, row["created_at"], line), lambda: {**_v1_account(user), "source_line": line})
        elif kind == "v1-notice":
            writer.quarantine(line, _raw(raw, obj), f"not a tweet: stream notice '{_stream_notice(obj)}'")
        elif kind is not None and kind.startswith("v2"):
            writer.quarantine(line, _raw(raw, obj), "a v2 record, not a v1.1 status (read this file with --format twitter-v2)")
        else:
            writer.quarantine(line, _raw(raw, obj), "not a tweet (JSON without v1.1 status fields created_at/id/user/text)")

    @staticmethod
    def _row(s: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        pid = _id(s.get("id_str")) or _id(s.get("id"))
        user = s.get("user") or {}
        account = _id(user.get("id_str")) or _id(user.get("id"))
        if not pid or not account:
            raise BadRecord("status without id or user id")
        created = parse_time(s.get("created_at"))
        ext = s.get("extended_tweet") if isinstance(s.get("extended_tweet"), dict) else None
        text = (ext or {}).get("full_text") or s.get("full_text") or s.get("text")
        entities = (ext or {}).get("entities") or s.get("entities")
        hashtags, urls, mentions = _entity_lists(entities, v2=False)
        rs = s.get("retweeted_status") if isinstance(s.get("retweeted_status"), dict) else None
        repost_of = repost_of_account = quote_of = None
        if rs is not None:
            repost_of = _id(rs.get("id_str")) or _id(rs.get("id"))
            ru = rs.get("user") or {}
            repost_of_account = _id(ru.get("id_str")) or _id(ru.get("id"))
        else:
            # A retweet of a quote also carries quoted_status, but the retweeter quoted nothing.
            qs = s.get("quoted_status") if isinstance(s.get("quoted_status"), dict) else {}
            quote_of = _id(s.get("quoted_status_id_str")) or _id(qs.get("id_str")) or _id(qs.get("id"))
        reply_to = _id(s.get("in_reply_to_status_id_str")) or _id(s.get("in_reply_to_status_id"))
        reply_to_account = _id(s.get("in_reply_to_user_id_str")) or _id(s.get("in_reply_to_user_id"))
        lat = lon = None
        coords = (s.get("coordinates") or {}).get("coordinates") if isinstance(s.get("coordinates"), dict) else None
        if isinstance(coords, list) and len(coords) == 2:
            lon, lat = coords
        else:
            geo = (s.get("geo") or {}).get("coordinates") if isinstance(s.get("geo"), dict) else None
            if isinstance(geo, list) and len(geo) == 2:
                lat, lon = geo
        row = _post_row(
            post_id=pid,
            account_id=account,
            created_at=created,
            text=text,
            lang=_str_or_none(s.get("lang")),
            client=_client(s.get("source")),
            repost_of=repost_of,
            repost_of_account=repost_of_account,
            reply_to_post=reply_to,
            reply_to_account=reply_to_account,
            quote_of=quote_of,
            like_count=_int(s.get("favorite_count")),
            repost_count=_int(s.get("retweet_count")),
            reply_count=_int(s.get("reply_count")),
            quote_count=_int(s.get("quote_count")),
            latitude=lat,
            longitude=lon,
            hashtags=hashtags,
            urls=urls,
            mentions=mentions,
        )
        return row, user


def _v1_account(u: dict[str, Any]) -> dict[str, Any]:
    return {
        "screen_name": _str_or_none(u.get("screen_name")),
        "display_name": _str_or_none(u.get("name")),
        "description": _str_or_none(u.get("description")),
        "location": _str_or_none(u.get("location")),
        "profile_url": _profile_url(u),
        "follower_count": _int(u.get("followers_count")),
        "following_count": _int(u.get("friends_count")),
        "created_at": _opt_time(u.get("created_at")),
        "account_language": _str_or_none(u.get("lang")),
    }


READERS: list[Reader] = [TwitterV2(), TwitterV1()]
