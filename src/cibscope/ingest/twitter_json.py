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
* **Documents**: a file is a sequence of JSON values, so JSON lines, arrays and pretty-printed
  objects may follow one another in any mix (``cat a.json b.json``, ``jq . tweets.jsonl``, an
  array then JSON lines); an array at the top level gives its elements. A file that starts with
  a document is read whole, from the line where one starts the rest of the file is, but only up
  to :data:`MAX_DOCUMENT_BYTES` (decompressed): a larger file that starts with one is refused
  with a hint to convert it to JSON lines, because holding it would cost several times its size
  in Python objects; a larger rest is read on as JSON lines, the document's first line
  quarantined saying why.

Streaming: JSON lines are parsed one at a time and staged in Arrow batches of
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

import pyarrow as pa

from ..case import engine_or_connection
from ..engine.duckdb import DuckDBEngine
from ..errors import InputError, UnknownFormatError
from ..progress import step
from ..schema import Table
from . import rules
from .rules import BadValue, json_type
from .base import GZIP_BROKEN, STAGE_ACCOUNTS, STAGE_POSTS, STAGE_QUARANTINE, ReadContext, Reader, Source, read_prefix

import orjson  # parses several times faster than the stdlib

_loads: Callable[[bytes], Any] = orjson.loads
_DecodeError: tuple[type[Exception], ...] = (orjson.JSONDecodeError,)

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

    def __init__(self, engine: DuckDBEngine, source_file: str, batch_rows: int = BATCH_ROWS) -> None:
        self.engine = engine_or_connection(engine)  # the case's DuckDB engine (ctx.engine)
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
    def _insert(self, table: Table, rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
        """Insert ``rows``; return the rows Arrow cannot hold, each with the reason (text with a
        lone surrogate, which the stdlib's JSON parser lets through, say). The batch is inserted
        whole; only when that fails is it retried row by row."""
        if not rows:
            return []
        try:
            self._insert_batch(table, rows)
            return []
        except (pa.ArrowException, UnicodeError, OverflowError, TypeError, ValueError):
            pass
        bad: list[tuple[dict[str, Any], str]] = []
        good: list[dict[str, Any]] = []
        for row in rows:
            try:
                pa.Table.from_pylist([row], schema=arrow_schema(table))
                good.append(row)
            except (pa.ArrowException, UnicodeError, OverflowError, TypeError, ValueError) as e:
                bad.append((row, f"cannot be stored ({type(e).__name__}: {str(e)[:120]})"))
        self._insert_batch(table, good)
        return bad

    def _insert_batch(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        batch = pa.Table.from_pylist(rows, schema=arrow_schema(table))
        name = "_cibscope_batch"
        self.engine.register_arrow(name, batch)
        try:
            self.engine.execute(f"INSERT INTO {table.name} BY NAME SELECT * FROM {name}")
        finally:
            self.engine.unregister(name)

    def _flush_posts(self) -> None:
        posts, self._posts = self._posts, []
        for row, reason in self._insert(STAGE_POSTS, posts):
            self.n_posts -= 1
            self.quarantine(row.get("source_line"), _dump({k: v for k, v in row.items() if isinstance(v, (str, int, list))}), reason)

    def _flush_quarantine(self) -> None:
        rows, self._quarantine = self._quarantine, []
        for row, reason in self._insert(STAGE_QUARANTINE, rows):
            # raw text Arrow cannot hold: keep the row with its text made storable
            row = {**row, "raw": str(row["raw"]).encode("utf-8", "replace").decode("utf-8"), "reason": f"{row['reason']}; {reason}"}
            self._insert_batch(STAGE_QUARANTINE, [row])

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
            for row, _ in self._insert(STAGE_ACCOUNTS, rows[i : i + self.batch_rows]):
                # a profile Arrow cannot hold: the account keeps its id and nothing else of the snapshot
                keep = ("account_id", "source_file", "source_line", "from_users_file", "platform", "is_hashed")
                self._insert_batch(STAGE_ACCOUNTS, [{k: row[k] for k in keep}])
        self._accounts = {}
        return self.n_posts + self.n_quarantined


# ---- small parsers ---------------------------------------------------------------------
# Field rules (cibscope.ingest.rules) and JSON types. A field that makes the row -- ids, time,
# text, links between posts, entities -- of the wrong JSON type or refused by its rule puts the
# record in quarantine with the field named; metadata (counts, coordinates, language, client,
# the author's profile) of the wrong type or refused is NULL, as in every reader.


class BadRecord(BadValue):
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


def parse_time(value: Any, field: str = "created_at") -> datetime:
    """Parse a Twitter time: v2 ISO 8601 (``2021-09-22T16:37:29.000Z``) or v1.1 (``Wed Oct 10
    20:19:24 +0000 2018``), in UTC, within the rules' time range."""
    if not isinstance(value, str) or not value:
        raise BadRecord(f"missing or non-text {field} ({_show(value)})")
    v = value.strip()
    try:
        dt = _utc_naive(datetime.fromisoformat(v.replace("Z", "+00:00"))) if v[:1].isdigit() else _v1_time(v)
    except (ValueError, OverflowError) as e:
        raise BadRecord(f"unparseable {field} ({_show(value)})") from e
    if not rules.time_in_range(dt):
        raise BadRecord(f"{field} out of range ({_show(value)}; kept from {rules.TIME_MIN:%Y-%m-%d} to before {rules.TIME_MAX:%Y-%m-%d})")
    return dt


def _show(value: Any) -> str:
    """A value for a quarantine reason: short, no control characters."""
    s = repr(value)
    s = "".join(ch if ch.isprintable() else "?" for ch in s)
    return s if len(s) <= 60 else s[:59] + "…"


def _obj(value: Any, field: str) -> dict[str, Any]:
    """A JSON object field that makes the row: absent -> {}, an object -> it, else quarantine."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise BadRecord(f"{field} is {json_type(value)}, expected an object")


def _arr(value: Any, field: str) -> list[Any]:
    """A JSON list field that makes the row: absent -> [], a list -> it, else quarantine."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise BadRecord(f"{field} is {json_type(value)}, expected a list")


def _text(value: Any, field: str) -> str | None:
    """A text field that makes the row (the post's text): absent or empty -> None, else text or quarantine."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    raise BadRecord(f"{field} is {json_type(value)}, expected text")


def _meta(value: Any) -> dict[str, Any]:
    """A metadata object: an object, else (absent or of another type) empty."""
    return value if isinstance(value, dict) else {}


def _meta_text(value: Any) -> str | None:
    """A metadata text (language, profile fields): text, else NULL."""
    return value if isinstance(value, str) and value else None


def _id(value: Any, field: str) -> str | None:
    """A Twitter id (rules.decimal_id); quarantine when refused."""
    try:
        return rules.decimal_id(value, field)
    except BadValue as e:
        raise BadRecord(str(e)) from None


def _id_of(obj: dict[str, Any], field: str, *keys: str) -> str | None:
    """The id under the first of ``keys`` present in ``obj`` (``id_str`` before ``id``)."""
    for k in keys:
        if obj.get(k) not in (None, ""):
            return _id(obj[k], f"{field}.{k}" if field else k)
    return None


_int = rules.count


_TAG = re.compile(r"<[^>]*>")


def _client(source: Any) -> str | None:
    """v1.1 ``source`` is an HTML anchor; keep the client name only, as the IO archive does."""
    if not isinstance(source, str) or not source.strip():
        return None
    return _TAG.sub("", source).strip() or None


def _profile_url(user: dict[str, Any]) -> str | None:
    urls = _meta(_meta(_meta(user.get("entities")).get("url"))).get("urls")
    for u in urls if isinstance(urls, list) else []:
        url = _meta_text(_meta(u).get("expanded_url")) or _meta_text(_meta(u).get("url"))
        if url:
            return url
    return _meta_text(user.get("url"))


def _opt_time(value: Any) -> datetime | None:
    """An account time (created_at): NULL when absent, unparseable or out of range."""
    try:
        return parse_time(value) if value else None
    except BadRecord:
        return None


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
    row["latitude"] = rules.coordinate(latitude, "latitude")
    row["longitude"] = rules.coordinate(longitude, "longitude")
    return row


def _lon_lat(coords: Any, order: str) -> tuple[Any, Any]:
    """(longitude, latitude) from a two-number list in ``order`` ('lonlat' GeoJSON, 'latlon' v1.1 geo)."""
    if not isinstance(coords, list) or len(coords) != 2:
        return None, None
    return (coords[0], coords[1]) if order == "lonlat" else (coords[1], coords[0])


def _entity_lists(entities: Any, *, v2: bool, field: str = "entities") -> tuple[list[str], list[str], list[str]]:
    """Raw hashtags (no '#'), URLs (expanded when known) and mentions (id, else lower-cased
    handle). Entities feed the traces: one of the wrong type quarantines the record."""
    entities = _obj(entities, field)
    tag_key = "tag" if v2 else "text"
    hashtags: list[str] = []
    for h in _arr(entities.get("hashtags"), f"{field}.hashtags"):
        tag = _text(_obj(h, f"{field}.hashtags item").get(tag_key), f"{field}.hashtags item {tag_key}")
        if tag:
            hashtags.append(tag)
    urls: list[str] = []
    for u in _arr(entities.get("urls"), f"{field}.urls"):
        u = _obj(u, f"{field}.urls item")
        url = _text(u.get("expanded_url"), f"{field}.urls item expanded_url") or _text(u.get("url"), f"{field}.urls item url")
        if url:
            urls.append(url)
    mentions: list[str] = []
    key = "mentions" if v2 else "user_mentions"
    for m in _arr(entities.get(key), f"{field}.{key}"):
        m = _obj(m, f"{field}.{key} item")
        mid = _id_of(m, f"{field}.{key} item", "id") if v2 else _id_of(m, f"{field}.{key} item", "id_str", "id")
        handle = _text(m.get("username" if v2 else "screen_name"), f"{field}.{key} item handle")
        if mid is not None:
            mentions.append(mid)
        elif handle:
            mentions.append(handle.lower())
    return hashtags, urls, mentions


def _dump(obj: Any) -> str:
    """A parsed record back as JSON text (for the quarantine's raw column), at most RAW_LIMIT characters."""
    try:
        return orjson.dumps(obj).decode("utf-8")[:RAW_LIMIT]
    except (TypeError, ValueError):  # nested deeper than the encoder goes, or not JSON-able
        return repr(obj)[:RAW_LIMIT]


# ---- record iteration --------------------------------------------------------------------
# A file is a sequence of JSON values: JSON lines, and documents spread over lines (arrays,
# pretty-printed objects), one after another in any mix, as `jq`, twarc and `cat` write them.


def _open_binary(source: Source) -> Any:
    return gzip.open(source.path, "rb") if source.compression == "gzip" else open(source.path, "rb")


_WS = re.compile(r"\s*")
_BOM = b"\xef\xbb\xbf"
#: A line where a document may start after text that is not JSON: one that opens an object or
#: an array at column 0, as JSON lines, `jq` and twarc start every document (the nested lines of
#: pretty-printed JSON are indented).
_RESTART = re.compile(r"\n(?=[\[{])")
#: orjson's messages for a line whose JSON value goes on past its end, or is followed by another.
_INCOMPLETE = "unexpected end of data"
_MORE = "unexpected content after document"


def _document_mode(head: bytes) -> bool:
    """True for a file that starts with a JSON document: an array, or an object spread over lines.

    A first line that is a whole JSON value (or one nested too deeply to tell) is a record of
    JSON lines: a one-line array reads the same either way, and a too-deep first line must not
    make a JSON lines file one unreadable document."""
    s = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    first = s.split(b"\n", 1)[0].strip()
    if s.startswith(b"["):
        try:
            orjson.loads(first)
        except orjson.JSONDecodeError as e:
            return "depth limit" not in str(e)
        return False
    return first == b"{"


def _opens_document(line: bytes, e: Exception) -> bool:
    """True for a line of JSON lines where a document spread over lines starts: an array (``[``
    alone, or ``[{...},`` with its first element) or a lone ``{`` (an object as ``jq .`` prints
    it), whose JSON goes on past the end of the line. A JSON line that is cut off (the last line
    of an interrupted stream) holds more than ``{`` and stays one quarantined line."""
    if not str(e).startswith(_INCOMPLETE):
        return False
    s = line.strip()
    return s == b"{" or s.startswith(b"[")


def _iter_records(source: Source, writer: StageWriter) -> Iterator[tuple[int, Any, bytes | str]]:
    """Yield (line, parsed JSON, raw) for each record; quarantine what is not JSON.

    A file that starts with a document is read whole (:func:`_iter_document`). Any other file
    is read line by line, one JSON value a line -- the fast path, memory flat whatever the file
    size -- until a line opens a document (:func:`_opens_document`): from there the rest of the
    file is read whole as a sequence of values (:func:`_iter_values`), when it is at most
    :data:`MAX_DOCUMENT_BYTES`; else that line is quarantined and reading goes on line by line.
    Several values on one line are each a record of that line.
    """
    head = source.head(4096)
    if _document_mode(head):
        yield from _iter_document(source, writer)
        return
    n = 0
    try:
        with _open_binary(source) as f:
            if f.peek(3)[:3] == _BOM:
                f.read(3)
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue  # blank lines hold no record
                try:
                    obj = _loads(line)
                except _DecodeError as e:
                    if _opens_document(line, e):
                        mark = f.tell()
                        rest, broken = _read_rest(f, MAX_DOCUMENT_BYTES - len(line))
                        if rest is not None:
                            text = _decode(line + rest, n, source.name)
                            del rest
                            yield from _iter_values(text, n, writer, broken)
                            return
                        f.seek(mark)  # too much to hold: go on line by line
                        writer.quarantine(n, line, f"invalid JSON ({_json_error(e)}); {_too_big()}")
                    elif str(e).startswith(_MORE):
                        yield from _iter_line(line, n, e, writer)
                    else:
                        writer.quarantine(n, line, f"invalid JSON ({_json_error(e)})")
                    continue
                yield n, obj, line
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        writer.quarantine(n + 1, "", f"{GZIP_BROKEN} (after line {n}: {e})")


def _too_big() -> str:
    """Why a document that starts in a file of JSON lines is not read as one."""
    return (
        "a JSON document over several lines starts here, but the file from this line on is larger than "
        f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB and is read as JSON lines (convert it to JSON lines, e.g. with `jq -c`)"
    )


def _read_rest(f: Any, limit: int) -> tuple[bytes | None, str | None]:
    """The rest of the open file ``f``: (its bytes, None), or (what a broken gzip stream still
    held, the reason); (None, None) when it is longer than ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            chunk = f.read1(1 << 20)  # at most one read of the stream: nothing before a break is lost
            if not chunk:
                return b"".join(chunks), None
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                return None, None
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        return b"".join(chunks), f"{GZIP_BROKEN} ({e})"


def _decode(data: bytes, line: int, name: str) -> str:
    """UTF-8 text of a document whose first byte is on line ``line``; refused (the whole file)
    when it is not UTF-8, as a document cannot be cut into lines to quarantine."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        at = line + data.count(b"\n", 0, e.start)
        raise InputError(f"not UTF-8 text ({e.reason} on line {at})", file=name, hint="save the file as UTF-8") from e


def _iter_line(line: bytes, n: int, e: Exception, writer: StageWriter) -> Iterator[tuple[int, Any, bytes | str]]:
    """The records of line ``n`` that holds several JSON values (``{...}{...}``), each with that line."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        writer.quarantine(n, line, f"invalid JSON ({_json_error(e)})")
        return
    yield from _iter_values(text, n, writer)


def _json_error(e: Exception, where: str = "column", base: int = 0) -> str:
    """The parser's message and position (``where``: 'column' for a line, 'line' for a document
    whose first line is ``base + 1``)."""
    if isinstance(e, RecursionError):
        return "nested too deeply"
    if isinstance(e, json.JSONDecodeError):
        return f"{e.msg}; column {e.colno}" if where == "column" else f"{e.msg}; line {base + e.lineno} column {e.colno}"
    return str(e)


def _iter_document(source: Source, writer: StageWriter) -> Iterator[tuple[int, Any, bytes | str]]:
    """The records of a file that starts with a document, read whole (up to :data:`MAX_DOCUMENT_BYTES`)."""
    data, broken = read_prefix(source, MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(
            f"a single JSON document larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB is not read whole",
            file=source.name,
            hint="convert it to JSON lines, one tweet per line, e.g. `jq -c '.[]' FILE > FILE.jsonl`",
        )
    text = _decode(data[3:] if data.startswith(_BOM) else data, 1, source.name)
    del data
    yield from _iter_values(text, 1, writer, broken)


def _iter_values(text: str, line: int, writer: StageWriter, broken: str | None = None) -> Iterator[tuple[int, Any, bytes | str]]:
    """Yield (line, parsed JSON, raw) for each record of ``text`` (:func:`_scan`), whose first
    character is on line ``line``; quarantine each stretch that is not JSON, with the line where
    it starts. ``broken`` says why the text stops short (a gzip stream cut off): it is added to
    the reason of a stretch that runs to the end, else it is one quarantined row of its own."""
    told = broken is None
    for ln, obj, start, end, reason in _scan(text, line):
        if reason is None:
            yield ln, obj, text[start:end]
            continue
        if end >= len(text) and not told:
            reason, told = f"{reason}; {broken}", True
        writer.quarantine(ln, text[start : min(end, start + RAW_LIMIT + 1)], reason)
    if not told:
        j = len(text)
        while j and text[j - 1].isspace():
            j -= 1
        writer.quarantine(line + text.count("\n", 0, j), "", str(broken))


def _scan(text: str, line: int = 1) -> Iterator[tuple[int, Any, int, int, str | None]]:
    """The records of ``text``, a sequence of JSON values separated by whitespace: yields
    (line, value, start, end, None) for each record, text[start:end], and (line, None, start,
    end, reason) for each stretch that is not JSON; ``line`` is the physical line where it
    starts, text[0] being on line ``line``.

    * An array at the top level gives its elements (one level), each with its own line; the
      other values are records as they are, and so is an empty array (which says it holds no
      tweet, as on a JSON line).
    * A value at the start of a line that holds nothing else is parsed as a JSON line is
      (orjson), so a line reads the same here as in a JSON lines file; a value spread over
      lines or sharing its line, and an array's elements, by the stdlib's ``raw_decode``.
    * After a stretch that is not JSON, reading resumes at :func:`_restart`.
    """
    dec = json.JSONDecoder()
    base = line - 1
    n = len(text)
    pos = 0
    in_array = False
    while True:
        nxt = _WS.match(text, pos).end()  # type: ignore[union-attr]
        line += text.count("\n", pos, nxt)
        pos = nxt
        if in_array and text.startswith("]", pos):
            pos += 1
            in_array = False
            continue
        if not in_array:
            if pos >= n:
                return
            if text.startswith("[", pos):
                inner = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
                if text.startswith("]", inner):  # an empty array is a record, as on a JSON line
                    yield line, [], pos, inner + 1, None
                    line += text.count("\n", pos, inner)
                    pos = inner + 1
                    continue
                pos += 1
                in_array = True
                continue
        reason = None
        end = -1
        if not in_array and (pos == 0 or text[pos - 1] == "\n"):
            eol = text.find("\n", pos)
            eol = n if eol < 0 else eol
            try:
                obj, end = _loads(text[pos:eol]), eol
            except _DecodeError as e:
                if not str(e).startswith((_INCOMPLETE, _MORE)):
                    reason = f"invalid JSON ({_json_error(e)})"
        if reason is None and end < 0:
            try:
                obj, end = dec.raw_decode(text, pos)
            except (json.JSONDecodeError, RecursionError) as e:
                reason = f"invalid JSON{' in array' if in_array else ''} ({_json_error(e, 'line', base)})"
        if reason is None:
            yield line, obj, pos, end, None
            line += text.count("\n", pos, end)
            pos = end
            if not in_array:
                continue
            nxt = _WS.match(text, pos).end()  # type: ignore[union-attr]
            line += text.count("\n", pos, nxt)
            pos = nxt
            if text.startswith(",", pos):
                pos += 1
                continue
            if text.startswith("]", pos):
                continue
            reason = "invalid JSON in array (expected ',' or ']')"
        stop = _restart(text, pos, in_array)
        yield line, None, pos, stop, reason
        line += text.count("\n", pos, stop)
        pos = stop
        in_array = False


def _restart(text: str, pos: int, in_array: bool) -> int:
    """Where reading resumes after text that is not JSON at ``pos``: the next line that opens an
    object or an array at column 0 (:data:`_RESTART`), the end of the text when there is none.

    Inside an array, the first such line that does not follow a ',' or a '[': the elements after
    a broken one cannot be located reliably (an element may start at column 0 too), so the rest
    of the array is one stretch with it, and reading resumes at the next document."""
    for m in _RESTART.finditer(text, pos):
        at = m.end()
        if in_array:
            j = at - 1
            while j > pos and text[j].isspace():
                j -= 1
            if text[j] in ",[":
                continue
        return at
    return len(text)


def _raw(raw: bytes | str, obj: Any = None) -> bytes | str:
    return raw if raw else _dump(obj)


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
    """'tweets', 'users', 'counts', 'empty', 'malformed' (``data`` is a number, text or
    boolean) or 'other' for a v2 response page."""
    data = page.get("data")
    if data is not None and not isinstance(data, (list, dict)):
        return "malformed"
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    if not items:
        return "empty"
    first = items[0]
    if any(_is_v2_tweet(item) for item in items):
        return "tweets"
    if isinstance(first, dict) and "tweet_count" in first and "start" in first:
        return "counts"
    if isinstance(first, dict) and "username" in first:
        return "users"
    return "other"


def classify(o: Any) -> str | None:
    """What a parsed JSON record is: 'v2' (tweet or tweets page), 'v2-users', 'v2-counts',
    'v2-empty', 'v2-malformed', 'v2-other', 'v1', 'v1-notice' or None."""
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
    if _document_mode(head):
        # documents, as they are read: the records up to the first one the head cuts off
        for _, obj, _, _, reason in _scan(text):
            if reason is not None or len(out) >= 20:
                break
            out.extend(obj if isinstance(obj, list) else [obj])
        return out
    for ln in text.split("\n")[:50]:
        if not ln.strip():
            continue
        try:
            obj = json.loads(ln)
            out.extend(obj if isinstance(obj, list) else [obj])  # a list on a line: its items (one level)
        except RecursionError:
            continue  # nested too deeply to be a tweet
        except json.JSONDecodeError:
            # A line cut off by the head (or malformed): a page's first tweet may still be readable.
            m = _DATA_KEY.search(ln)
            if m:
                try:
                    obj, _ = dec.raw_decode(ln, m.end())
                    out.append({"data": [obj], "__partial__": True})
                except (json.JSONDecodeError, RecursionError):
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

    def _list(self, line: int, items: list[Any], writer: StageWriter) -> None:
        """A list on one JSON line (pages or tweets written as one array): its items are the
        records of that line, one level deep; an empty list or a list inside it is quarantined."""
        if not items:
            writer.quarantine(line, "[]", "an empty list, not a tweet")
        for item in items:
            if isinstance(item, list):
                writer.quarantine(line, _dump(item), "a list inside a list, not a tweet" if item else "an empty list, not a tweet")
            else:
                self._convert(line, item, b"", writer)

    def _refuse(self, source: Source) -> None:
        """Raise a clear error when the file is JSON of another kind (checked before reading)."""
        what = self.identify(source, source.head())
        if what is not None:
            raise UnknownFormatError(what, file=source.name)

    def identify(self, source: Source, head: bytes) -> str | None:
        """What the file is when it is a known file that holds no posts (for the error), else None."""
        return None

    def read(self, ctx: ReadContext) -> int:
        self._refuse(ctx.source)
        writer = StageWriter(ctx.engine, ctx.source.name)
        with step(ctx.progress, f"parsing {self.name} JSON") as task:
            for i, (line, obj, raw) in enumerate(_iter_records(ctx.source, writer)):
                self._convert(line, obj, raw, writer)
                if i % 1000 == 999:
                    task.advance(1000)
        return writer.close()


_V2_NOT_TWEETS = {
    "v2-users": "user objects (twarc2 users/followers output)",
    "v2-counts": "tweet counts (the counts endpoint)",
}


class TwitterV2(_JsonReader):
    """Twitter API v2 JSON as written by twarc2: response pages or flattened tweets, one per line."""

    name: ClassVar[str] = "twitter-v2"
    description: ClassVar[str] = "Twitter API v2 JSON lines (twarc2 response pages or `twarc2 flatten` output)"

    def sniff(self, source: Source, head: bytes) -> bool:
        return _first_kind(head, skip=("v2-empty", "v2-malformed")) == "v2"

    def identify(self, source: Source, head: bytes) -> str | None:
        k = _first_kind(head, skip=("v2-empty", "v2-malformed"))
        return f"a Twitter API v2 file of {_V2_NOT_TWEETS[k]}, not tweets" if k in _V2_NOT_TWEETS else None

    def _convert(self, line: int, obj: Any, raw: bytes | str, writer: StageWriter) -> None:
        if isinstance(obj, list):  # a list of pages or tweets on one line
            self._list(line, obj, writer)
            return
        kind = classify(obj)
        if kind == "v2" and isinstance(obj, dict) and "data" in obj:
            self._page(line, obj, raw, writer)
        elif kind == "v2":
            self._tweet(line, obj, {}, {}, writer)
        elif kind == "v2-empty":
            return  # a page with no data (only errors/meta): holds no row
        elif kind == "v2-malformed":
            writer.quarantine(line, _raw(raw, obj), f"a v2 response page whose data is {json_type(obj['data'])}, not tweets")
        elif kind in ("v2-users", "v2-counts", "v2-other"):
            writer.quarantine(line, _raw(raw, obj), f"not tweets: a v2 response page of {kind[3:]}")
        elif kind in ("v1", "v1-notice"):
            writer.quarantine(line, _raw(raw, obj), "a v1.1 record, not a v2 tweet (read this file with --format twitter-v1)")
        else:
            writer.quarantine(line, _raw(raw, obj), "not a tweet (JSON without v2 tweet fields id/text)")

    def _page(self, line: int, page: dict[str, Any], raw: bytes | str, writer: StageWriter) -> None:
        data = page["data"]
        items = data if isinstance(data, list) else [data]
        try:
            includes = _obj(page.get("includes"), "page includes")
            users = {str(u.get("id")): u for u in _arr(includes.get("users"), "page includes.users") if isinstance(u, dict)}
            tweets = {str(t.get("id")): t for t in _arr(includes.get("tweets"), "page includes.tweets") if isinstance(t, dict)}
        except BadValue as e:  # the page's expansions are unusable: each of its tweets is quarantined
            for t in items:
                writer.quarantine(line, _dump(t), str(e))
            return
        for t in items:
            if _is_v2_tweet(t):
                self._tweet(line, t, users, tweets, writer)
            else:
                writer.quarantine(line, _dump(t), "not a tweet (data item without id/text)")

    def _tweet(self, line: int, t: dict[str, Any], users: dict[str, Any], tweets: dict[str, Any], writer: StageWriter) -> None:
        try:
            row, user = self._row(t, users, tweets)
        except BadValue as e:
            writer.quarantine(line, _dump(t), str(e))
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
        pid = _id(t.get("id"), "id")
        author = _obj(t.get("author"), "author") if "author" in t else None
        account = _id_of(t, "", "author_id") or (_id_of(author, "author", "id") if author else None)
        if not pid or not account:
            raise BadRecord("tweet without id or author_id")
        created = parse_time(t.get("created_at"))
        repost_of = repost_of_account = reply_to = quote_of = None
        for ref in _arr(t.get("referenced_tweets"), "referenced_tweets"):
            rid, typ, ref = _reference(ref)
            if typ == "retweeted":
                repost_of = rid
                target = tweets.get(rid or "") or ref  # flattened output inlines the referenced tweet
                ref_author = _obj(target.get("author"), "retweeted tweet author")
                repost_of_account = _id_of(target, "retweeted tweet", "author_id") or _id_of(ref_author, "retweeted tweet author", "id")
            elif typ == "quoted":
                quote_of = rid
            elif typ == "replied_to":
                reply_to = rid
        text = _text(t.get("text"), "text")
        hashtags, urls, mentions = _entity_lists(t.get("entities"), v2=True)
        if repost_of and not repost_of_account:
            repost_of_account = _rt_author(text, mentions, t, users)
        reply_user = _obj(t.get("in_reply_to_user"), "in_reply_to_user")
        reply_to_account = _id_of(t, "", "in_reply_to_user_id") or _id_of(reply_user, "in_reply_to_user", "id")
        # Long posts carry their full text and entities in note_tweet.
        note = _obj(t.get("note_tweet"), "note_tweet")
        if note.get("text") not in (None, ""):
            text = _text(note.get("text"), "note_tweet.text")
        if note.get("entities") is not None:
            hashtags, urls, mentions = _entity_lists(note.get("entities"), v2=True, field="note_tweet.entities")
        pm = _meta(t.get("public_metrics"))
        lon, lat = _lon_lat(_meta(_meta(t.get("geo")).get("coordinates")).get("coordinates"), "lonlat")
        row = _post_row(
            post_id=pid,
            account_id=account,
            created_at=created,
            text=text,
            lang=_meta_text(t.get("lang")),
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


_REF_TYPES = ("retweeted", "quoted", "replied_to")


def _reference(ref: Any) -> tuple[str, str, dict[str, Any]]:
    """(id, type, item) of a v2 ``referenced_tweets`` item. A link between posts makes the row:
    an item that does not name both what it links to (an id) and how (one of the API's three
    types) is quarantined, rather than the post kept as a plain post without its link."""
    ref = _obj(ref, "referenced_tweets item")
    typ = ref.get("type")
    if typ not in _REF_TYPES:
        raise BadRecord(f"referenced_tweets item type {_show(typ)} is none of retweeted, quoted, replied_to")
    rid = _id_of(ref, "referenced_tweets item", "id")
    if rid is None:
        raise BadRecord(f"referenced_tweets item ({typ}) without id")
    return rid, typ, ref


def _rt_author(text: str | None, mentions: list[str], t: dict[str, Any], users: dict[str, Any]) -> str | None:
    """The retweeted account when the retweeted tweet is missing from ``includes`` (it happens:
    deleted or withheld originals): a v2 retweet's text starts ``RT @handle:`` and its first
    mention is that handle, with the account id (else the lower-cased handle, as for mentions)."""
    if not text or not text.startswith("RT @"):
        return None
    handle = text[4:].split(":", 1)[0].strip().lower()
    for m in _meta(t.get("entities")).get("mentions") or []:
        if isinstance(m, dict) and str(m.get("username", "")).lower() == handle and m.get("id"):
            return _id(m["id"], "entities.mentions item id")
    for uid, u in users.items():
        if str(u.get("username", "")).lower() == handle:
            return _id(uid, "includes.users item id")
    return handle or None  # like mentions: the lower-cased handle when the id is unknown


def _v2_account(u: dict[str, Any]) -> dict[str, Any]:
    pm = _meta(u.get("public_metrics"))
    return {
        "screen_name": _meta_text(u.get("username")),
        "display_name": _meta_text(u.get("name")),
        "description": _meta_text(u.get("description")),
        "location": _meta_text(u.get("location")),
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

    def identify(self, source: Source, head: bytes) -> str | None:
        recs = head_records(head)
        if recs and all(_is_v1_user(r) for r in recs[:5]):
            return "a Twitter API v1.1 file of user objects (users/lookup output), not statuses"
        return None

    def _convert(self, line: int, obj: Any, raw: bytes | str, writer: StageWriter) -> None:
        if isinstance(obj, list):  # statuses written as one array on one line
            self._list(line, obj, writer)
            return
        kind = classify(obj)
        if kind == "v1":
            try:
                row, user = self._row(obj)
            except BadValue as e:
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
        pid = _id_of(s, "", "id_str", "id")
        user = _obj(s.get("user"), "user")
        account = _id_of(user, "user", "id_str", "id")
        if not pid or not account:
            raise BadRecord("status without id or user id")
        created = parse_time(s.get("created_at"))
        ext = _obj(s.get("extended_tweet"), "extended_tweet")
        text = _text(ext.get("full_text"), "extended_tweet.full_text") or _text(s.get("full_text"), "full_text") or _text(s.get("text"), "text")
        if ext.get("entities") is not None:
            hashtags, urls, mentions = _entity_lists(ext.get("entities"), v2=False, field="extended_tweet.entities")
        else:
            hashtags, urls, mentions = _entity_lists(s.get("entities"), v2=False)
        rs = _obj(s.get("retweeted_status"), "retweeted_status") if s.get("retweeted_status") is not None else None
        repost_of = repost_of_account = quote_of = None
        if rs is not None:
            repost_of = _id_of(rs, "retweeted_status", "id_str", "id")
            if repost_of is None:  # a retweet that does not say of what: not a plain post
                raise BadRecord("retweeted_status without id_str or id")
            repost_of_account = _id_of(_obj(rs.get("user"), "retweeted_status.user"), "retweeted_status.user", "id_str", "id")
        else:
            # A retweet of a quote also carries quoted_status, but the retweeter quoted nothing.
            qs = _obj(s.get("quoted_status"), "quoted_status")
            quote_of = _id_of(s, "", "quoted_status_id_str") or _id_of(qs, "quoted_status", "id_str", "id")
            if qs and quote_of is None:  # a quote that does not say of what
                raise BadRecord("quoted_status without id_str or id")
        reply_to = _id_of(s, "", "in_reply_to_status_id_str", "in_reply_to_status_id")
        reply_to_account = _id_of(s, "", "in_reply_to_user_id_str", "in_reply_to_user_id")
        lon, lat = _lon_lat(_meta(s.get("coordinates")).get("coordinates"), "lonlat")
        if lon is None and lat is None:
            lon, lat = _lon_lat(_meta(s.get("geo")).get("coordinates"), "latlon")
        row = _post_row(
            post_id=pid,
            account_id=account,
            created_at=created,
            text=text,
            lang=_meta_text(s.get("lang")),
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


def _is_v1_user(o: Any) -> bool:
    """A v1.1 user object (users/lookup, followers/list output): a profile, no status text."""
    return isinstance(o, dict) and "screen_name" in o and "followers_count" in o and "text" not in o and "full_text" not in o


def _v1_account(u: dict[str, Any]) -> dict[str, Any]:
    return {
        "screen_name": _meta_text(u.get("screen_name")),
        "display_name": _meta_text(u.get("name")),
        "description": _meta_text(u.get("description")),
        "location": _meta_text(u.get("location")),
        "profile_url": _profile_url(u),
        "follower_count": _int(u.get("followers_count")),
        "following_count": _int(u.get("friends_count")),
        "created_at": _opt_time(u.get("created_at")),
        "account_language": _meta_text(u.get("lang")),
    }


READERS: list[Reader] = [TwitterV2(), TwitterV1()]
