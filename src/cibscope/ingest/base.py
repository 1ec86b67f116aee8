"""The reader contract.

A reader turns one source file into rows of the *staging* tables below (temp tables in the
case's DuckDB connection) and quarantines what it cannot read. It never touches the final
tables: :mod:`cibscope.ingest.finalize` normalises staged rows (URLs, hashtags, text),
removes duplicates and inserts them, the same way for every format.

Row accounting: ``rows_read`` returned by ``read`` must equal the rows the reader put into
``stage_posts`` (or ``stage_accounts`` for account files) plus the rows it put into
``stage_quarantine`` plus the rows it merged into an earlier row's post (``stage_merged``: a
long format with one row per post and entity). Finalize may move staged rows to quarantine
(e.g. a post id already in the case, with the rows merged into it) and keeps the equation
true: read = kept + quarantined, merged rows counting as kept.
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Protocol


from ..case import LEAN_FIELDS_META, Case, engine_or_connection
from ..engine.base import Engine
from ..engine.duckdb import DuckDBEngine
from ..progress import Progress
from ..schema import ACCOUNTS, POSTS, QUARANTINE, Table

# Staged posts: the final `posts` columns minus text_norm, plus the raw entity lists.
STAGE_POSTS = Table(
    "stage_posts",
    tuple((n, t) for n, t in POSTS.columns if n != "text_norm")
    + (("hashtags", "VARCHAR[]"), ("urls", "VARCHAR[]"), ("mentions", "VARCHAR[]"), ("domains", "VARCHAR[]"), ("images", "VARCHAR[]")),
    "Posts as read, before normalisation. hashtags without '#', raw URLs, mention ids or handles; "
    "domains: the domain of the URL at the same position when the source gives it (a NULL URL there: "
    "a link known by its site only); images: image hashes as given.",
)
STAGE_ACCOUNTS = Table(
    "stage_accounts",
    ACCOUNTS.columns + (("from_users_file", "BOOLEAN"),),
    "Accounts as read. from_users_file is true for rows of a users/accounts file (they win over snapshots taken from posts).",
)
STAGE_QUARANTINE = Table("stage_quarantine", QUARANTINE.columns, "Rows the reader could not keep.")
STAGE_MERGED = Table(
    "stage_merged",
    (("source_file", "VARCHAR"), ("source_line", "BIGINT"), ("post_id", "VARCHAR"), ("raw", "VARCHAR")),
    "Rows kept as part of an earlier row's post (a long format with one row per post and entity, "
    "e.g. CooRTweet's german_elections): counted as kept, their entities added to the post.",
)
STAGE_TABLES = (STAGE_POSTS, STAGE_ACCOUNTS, STAGE_QUARANTINE, STAGE_MERGED)


#: stage_posts fields every read fills, whatever the caller needs: identity, time, kind (and the
#: links between posts it is derived from), platform and the place in the file (for evidence).
CORE_POST_FIELDS = frozenset(
    {
        "post_id", "account_id", "platform", "created_at", "time_precision", "kind",
        "repost_of", "repost_of_account", "reply_to_post", "reply_to_account", "quote_of",
        "source_file", "source_line",
    }
)
#: accounts columns every read fills; the others of an account snapshot taken from posts only
#: when asked for (a lean read's field ``accounts.<column>``: snapshot profiles cost a second scan)
CORE_ACCOUNT_COLUMNS = frozenset({"account_id", "platform", "source_file", "source_line"})
ACCOUNT_FIELD_PREFIX = "accounts."
# case tables filled from one stage_posts list column each
_ENTITY_FIELD = {"post_hashtags": "hashtags", "post_urls": "urls", "post_mentions": "mentions", "post_images": "images"}


def stage_fields(case_columns: dict[str, frozenset[str]] | dict[str, set[str]]) -> frozenset[str]:
    """The stage_posts fields a read must fill for the case columns ``case_columns`` (as
    :meth:`cibscope.traces.Trace.case_columns` gives them) to hold what a full read puts there.

    ``posts.text_norm`` comes from ``text``; ``post_hashtags``/``post_urls``/``post_mentions``
    from the lists of the same name (``post_urls.domain`` also from ``domains``), ``post_images``
    from ``images``. An ``accounts`` column other than the core ones
    (:data:`CORE_ACCOUNT_COLUMNS`) is the field ``accounts.<column>``: rows of an accounts file
    are always read in full, but an account snapshot taken from posts has only what is asked.
    """
    fields = set(CORE_POST_FIELDS)
    stage = {n for n, _ in STAGE_POSTS.columns}
    for table, cols in case_columns.items():
        if table == "posts":
            fields |= {"text" if c == "text_norm" else c for c in cols if c == "text_norm" or c in stage}
        elif table in _ENTITY_FIELD:
            fields.add(_ENTITY_FIELD[table])
            if table == "post_urls" and cols & {"domain", "is_shortener"}:
                fields.add("domains")  # a domain the source gives (without a URL, or for an id)
        elif table == "accounts":
            fields |= {ACCOUNT_FIELD_PREFIX + c for c in cols if c not in CORE_ACCOUNT_COLUMNS}
    return frozenset(fields)


def case_lean_fields(db: Case | Engine) -> frozenset[str] | None:
    """The fields every post of the case has after lean reads; None when none was lean.
    ``db``: the case (or its engine)."""
    rows = engine_or_connection(db).execute("SELECT value FROM meta WHERE key = ?", [LEAN_FIELDS_META]).fetchall()
    if not rows:
        return None
    return frozenset(f for f in str(rows[0][0]).split(",") if f)


def trimmed_sql(expr: str) -> str:
    """SQL: ``expr`` (text) without surrounding spaces (DuckDB's ``trim``), NULL when empty.

    The rule (:func:`cibscope.ingest.rules.trim`): a value holding a space loses the space
    separators around it. ``trim`` only changes a value whose first or last character is one,
    so it runs only then: most ids hold no space, and a time (``2019-08-13 10:15``) holds one
    in the middle; trimming it anyway costs ~0.15 s per million values, the two ``ord`` tests
    a tenth of that, and the test for a space (first: it rules out most ids) less.
    """
    from .rules import ZS_CODEPOINTS_SQL as zs

    edge = f"(ord({expr}) IN ({zs}) OR ord({expr}[-1]) IN ({zs}))"
    return f"CASE WHEN contains({expr}, ' ') AND {edge} THEN nullif(trim({expr}), '') ELSE nullif({expr}, '') END"


def finalize_may_quarantine(engine: DuckDBEngine, table: str, post_id: str, why: str) -> tuple[bool, bool]:
    """Could :mod:`.finalize` move a valid staged row of ``table`` to quarantine (a post id
    repeated in the file, or already in the case)? Returns (the valid rows' ids are distinct,
    some row may be quarantined). A read without lines (``ReadContext.lines`` False) numbers
    its lines when the answer is yes: finalize names the line of a repeated post.

    Checked on 64-bit hashes, sorted in numpy (~0.03 s per 1M ids; DuckDB's ``count(DISTINCT
    hash(...))`` ~0.1 s): no two equal hashes means no repeated id; a hash collision only costs
    the line numbering a read without lines would have skipped. ``why``: the column that is
    NULL for a valid row (else the reason it is not). ``engine``: the case's (DuckDB: ``hash``
    is its 64-bit hash).
    """
    import numpy as np

    eng = engine_or_connection(engine)
    h = eng.fetch_numpy(f"SELECT hash({post_id}) AS h FROM {table} WHERE {why} IS NULL AND {post_id} IS NOT NULL")["h"]
    h = np.sort(np.asarray(h, dtype=np.uint64))
    if len(h) > 1 and bool((h[1:] == h[:-1]).any()):
        return False, True
    if not eng.execute("SELECT count(*) FROM (SELECT 1 FROM posts LIMIT 1)").fetchall()[0][0]:
        return True, False
    # a join, not IN (...): DuckDB builds its hash table on the smaller side
    hit = eng.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} r JOIN posts p ON p.post_id = r.{post_id} WHERE r.{why} IS NULL LIMIT 1)"
    ).fetchall()
    return True, bool(hit[0][0])


def sql_ident(name: str) -> str:
    """A column name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def embedded_newlines_sql(columns: Iterable[str], alias: str | None = None) -> str:
    """SQL: the newlines inside a CSV record's fields (each makes the record span one more
    physical line), summed over ``columns`` (of table ``alias``, if given); '0' for none."""
    prefix = f"{alias}." if alias else ""
    parts = [
        f"CASE WHEN contains({c}, chr(10)) THEN strlen({c}) - strlen(replace({c}, chr(10), '')) ELSE 0 END"
        for c in (prefix + sql_ident(n) for n in columns)
    ]
    return " + ".join(parts) or "0"


#: The first words of the quarantine reason of a gzip stream that ends early or is followed by
#: bytes that are not gzip (every reader: what came before is read, the rest is one row).
GZIP_BROKEN = "truncated or corrupt gzip stream"
GZIP_MAGIC = b"\x1f\x8b"


def is_utf8_file(path: Path, chunk: int = 1 << 24) -> bool:
    """Are all of the (uncompressed) file's bytes valid UTF-8?

    A lean read names only a few columns, and DuckDB checks a field's UTF-8 only when its
    column is read; a full read quarantines a record with invalid UTF-8 in any field. When the
    whole file is valid, no record can be, and the lean read need not read the other columns
    to find out. Checked by Arrow's UTF-8 validation over the memory-mapped file, a slice
    at a time, each cut after a newline byte (never inside a character): ~0.1-0.3 s per
    1M tweets, where reading every column in DuckDB costs ~1 s. An empty file is valid.
    """
    import mmap

    import pyarrow as pa

    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        if not size:
            return True
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        return _utf8_slices_valid(mm, size, chunk)
    finally:
        mm.close()  # the Arrow buffers over it are gone with the function's frame


def _utf8_slices_valid(mm: Any, size: int, chunk: int) -> bool:
    import pyarrow as pa

    buf = pa.py_buffer(mm)
    start = 0
    while start < size:
        end = size
        if start + chunk < size:
            end = mm.rfind(b"\n", start, start + chunk) + 1
            if end <= start:  # no newline in the slice: up to the next one
                nl = mm.find(b"\n", start + chunk)
                end = size if nl < 0 else nl + 1
        offsets = pa.py_buffer((0).to_bytes(8, "little") + (end - start).to_bytes(8, "little"))
        try:
            pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, buf.slice(start, end - start)]).validate(full=True)
        except pa.ArrowInvalid:
            return False
        start = end
    return True


def compression_of(path: Path) -> str | None:
    """'gzip' when the file's first bytes are gzip's (whatever its name), else None."""
    with open(path, "rb") as f:
        return "gzip" if f.read(2) == GZIP_MAGIC else None


# Decompression in pieces of this much compressed input, each giving at most this much output
# (a bound on memory whatever the compression ratio).
_GZ_IN = 1 << 20
_GZ_OUT = 1 << 24
# zlib's errors for a stream that decompressed to its end but whose trailer does not match
_CHECK_ERRORS = ("incorrect data check", "incorrect length check")


def gunzip(path: Path, emit: Callable[[bytes], bool], stop: threading.Event | None = None) -> tuple[int, int, str | None]:
    """Decompress the gzip file ``path`` as far as it goes, handing each piece of output to
    ``emit`` in order (``emit`` returns True to stop there). Returns the bytes handed on, how
    many of them are known to be right, and None when the stream is sound, else the reason it
    is not (the quarantine reason of what is lost, :data:`GZIP_BROKEN` first):

    * cut off: what decompressed before the cut is right;
    * followed by bytes that are not gzip: all of it is right;
    * compressed data that cannot be decompressed (a damaged block), or a checksum (CRC-32 or
      length) that does not match what decompressed: the damage may start anywhere in that
      gzip member (deflate decodes most damaged bits into other bytes, and the error shows
      later, often only at the checksum), so nothing of the member is right: only the members
      before it, each checked by its own checksum (a file of one member: nothing). What
      decompressed is handed on all the same, up to the failing bytes (a piece of input that
      fails is decompressed again a byte at a time).

    Concatenated members are read one after another; zero bytes after a member are padding,
    as for Python's gzip module. ``stop`` set ends the pass early (the result is then
    meaningless)."""
    got = 0
    member = 0  # where the member being read starts, in decompressed bytes
    with open(path, "rb") as f:
        d = zlib.decompressobj(wbits=31)
        buf = b""
        pending = False  # the last call filled its output bound: more output may be due
        while True:
            if stop is not None and stop.is_set():
                return got, got, None
            if not buf and not pending:
                buf = f.read(_GZ_IN)
                if not buf:
                    return got, got, f"{GZIP_BROKEN}: the file ends inside the compressed stream, after {got:,} bytes"
            before = d.copy()
            try:
                data = d.decompress(buf, _GZ_OUT)
            except zlib.error as e:
                got, why = _gunzip_slowly(before, buf, emit, got, e)
                return got, (got if why is None else member), why
            buf = d.unconsumed_tail
            pending = len(data) == _GZ_OUT
            if data:
                got += len(data)
                if emit(data):
                    return got, got, None
            if d.eof:
                rest = d.unused_data
                while True:
                    rest = rest.lstrip(b"\x00")
                    if len(rest) >= 2:
                        break
                    more = f.read(_GZ_IN)
                    if not more:
                        break
                    rest += more
                if not rest:
                    return got, got, None
                if rest[:2] != GZIP_MAGIC:
                    return got, got, f"{GZIP_BROKEN}: bytes after the end of the gzip stream are not gzip (after {got:,} bytes)"
                d = zlib.decompressobj(wbits=31)
                buf, pending, member = rest, False, got


def _gunzip_slowly(d: Any, buf: bytes, emit: Callable[[bytes], bool], got: int, error: zlib.error) -> tuple[int, str | None]:
    """The rest of :func:`gunzip` for a piece of input ``buf`` on which the decompressor
    failed: ``buf`` again from ``d`` (the decompressor as it was before it), 4 KB at a time,
    then byte by byte from the 4 KB that fails, so that what decompresses before the failing
    bytes is handed on. Returns the bytes handed on in all and the reason (None: ``emit``
    asked to stop)."""
    pos = 0
    for size in (1 << 12, 1):
        while pos < len(buf):
            piece = buf[pos : pos + size]
            before = d.copy()
            try:
                data = d.decompress(piece)  # at most ~1,032 times the piece
            except zlib.error as e:
                d, error = before, e
                break
            pos += len(piece)
            if data:
                got += len(data)
                if emit(data):
                    return got, None
    what = str(error).rsplit(": ", 1)[-1]  # "Error -3 while decompressing data: invalid block type"
    if what in _CHECK_ERRORS:
        found = f"the checksum does not match the {got:,} bytes it decompresses to ({what})"
    else:
        found = f"damaged compressed data ({what}, after {got:,} decompressed bytes)"
    return got, f"{GZIP_BROKEN}: {found}; the damage may start anywhere in the gzip member, so nothing is read from its start on"


def gunzip_prefix(path: Path, limit: int) -> tuple[bytes, str | None]:
    """The first ``limit`` decompressed bytes of the gzip file ``path`` and None; or, when the
    stream breaks before them, what decompressed and the reason (:func:`gunzip`)."""
    out = bytearray()

    def take(data: bytes) -> bool:
        out.extend(data)
        return len(out) >= limit

    why = gunzip(path, take)[2]
    return bytes(out[:limit]), (None if len(out) >= limit else why)


def read_prefix(source: Source, limit: int) -> tuple[bytes, str | None]:
    """The first ``limit`` bytes of ``source``, decompressed; for a broken gzip stream, what
    could be decompressed and the reason."""
    if source.compression == "gzip":
        return gunzip_prefix(source.path, limit)
    with open(source.path, "rb") as f:
        return f.read(limit), None


@dataclass
class Source:
    """One input: a file on disk, possibly a member extracted from a .zip."""

    path: Path  # readable file (.csv, .csv.gz, .json, .jsonl, .json.gz, .parquet, ...)
    name: str  # what to show and store as source_file, e.g. "tweets.zip!tweets.csv"
    compression: str | None = None  # "gzip" or None
    # the file whose bytes identify the content (its hash in ingest_log), when ``path`` is a
    # copy made for reading (the readable part of a broken gzip file)
    origin: Path | None = None

    def head(self, n: int = 65536) -> bytes:
        """The first ``n`` bytes, decompressed (as far as a broken gzip stream goes)."""
        return read_prefix(self, n)[0]


@dataclass
class ReadContext:
    # the case's DuckDB engine (``case.engine``; a Case given here is replaced by its engine):
    # the readers stage their rows through it, DuckDB-specific by nature (read_csv, rowid)
    engine: DuckDBEngine
    source: Source
    progress: Progress | None = None
    options: dict[str, Any] = field(default_factory=dict)  # e.g. {"mapping": Mapping} for generic
    # Physical lines of the file (newlines, plus one for an unterminated last line), counted in
    # the same pass as the content hash when the reader asks for it (``counts_lines = True``)
    # and the file is not compressed; None when unknown. A CSV reader can then check that the
    # newlines it found inside fields account for every line instead of searching every field.
    # May be a function (the hash still running in a thread): read it with line_count(), after
    # the parse; ``physical_lines is not None`` says beforehand whether it will be known.
    physical_lines: int | Callable[[], int | None] | None = None
    # The stage_posts fields the caller needs (see stage_fields); None = every field. A reader
    # may fill more; it must fill these exactly as a full read would. Account columns appear as
    # "accounts.<column>" (see ACCOUNT_FIELD_PREFIX): what account snapshots taken from posts need.
    fields: frozenset[str] | None = None
    # False: the caller needs no post's source_line (a case that ends with the call and writes
    # no evidence: ``cibscope network --counts``); the reader may leave it NULL, and then must
    # still give every row it or finalize quarantines its exact line (see ``ingest(lines=...)``).
    lines: bool = True
    # Set by a reader that proved the post ids of its valid staged rows distinct (see
    # :func:`finalize_may_quarantine`): finalize then skips its own check for repeated ids.
    unique_ids: bool = False
    # The orchestrator installed the normalisation macros on ``engine`` before this file's
    # transaction: the reader need not probe the catalog again (``install_macros``). False
    # also for a lean read that normalises nothing (no text, no lists): a reader that needs a
    # macro all the same installs it.
    macros: bool = False
    # what must live as long as the read: a rewritten copy of the file the reader made
    # (``source`` then points to it), removed when the context is dropped
    held: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.engine = engine_or_connection(self.engine)  # type: ignore[assignment]

    def line_count(self) -> int | None:
        """The file's physical lines (waits for the hash thread if it still runs)."""
        v = self.physical_lines
        return v() if callable(v) else v

    def wants(self, field_name: str) -> bool:
        """Must this read fill stage_posts field ``field_name``?"""
        return self.fields is None or field_name in self.fields

    def wants_account(self, column: str) -> bool:
        """Must account snapshots taken from posts fill ``accounts`` column ``column``?"""
        return self.fields is None or column in CORE_ACCOUNT_COLUMNS or ACCOUNT_FIELD_PREFIX + column in self.fields


class Reader(Protocol):
    """A file format. Register instances in :data:`cibscope.ingest.registry.READERS`.

    Optional class attribute ``counts_lines = True``: the orchestrator then counts the file's
    physical lines while hashing it and passes them as :attr:`ReadContext.physical_lines`;
    with ``lines_on_demand = True`` too, not for a read without lines (``ReadContext.lines``
    False: the reader numbers lines only when it quarantines a row, by a scan of its own).
    A reader that ignores ``ReadContext.lines`` gets the count either way.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    kind: ClassVar[str]  # "posts" or "accounts"

    def sniff(self, source: Source, head: bytes) -> bool:
        """True when this reader recognises the file from its first bytes (header/first line)."""
        ...

    def read(self, ctx: ReadContext) -> int:
        """Stage the file's rows; return rows read (= staged + quarantined by the reader).

        Raise :class:`cibscope.errors.MissingColumnsError` for a missing or renamed column.
        """
        ...


def become_stage_posts(
    engine: DuckDBEngine,
    table: str,
    *,
    invalid: str | None = None,
    renames: dict[str, str] | None = None,
    constants: dict[str, str] | None = None,
) -> int:
    """Make the reader's work table ``table`` the ``stage_posts`` table; returns the rows staged.

    Copying every row (``INSERT INTO stage_posts SELECT ...``) would materialise the file a
    second time. Instead, when ``stage_posts`` is empty (it always is: the orchestrator
    recreates it for every file) and the types agree, the rows matching ``invalid`` (SQL) are
    deleted, columns renamed (``renames``: work name -> stage name), stage columns with a
    value for every row added (``constants``: stage name -> SQL default), the rest dropped, and
    the table renamed: metadata, rows untouched. Stage columns the table lacks and ``constants``
    does not give are left out: NULL for every row, and :mod:`.finalize` reads a missing stage
    column as NULL (adding it costs ~15 ms per column at 1M rows: 0.25 s for a lean read).
    Otherwise the valid rows are inserted by name. All of it inside the file's transaction.
    ``engine``: the case's (DuckDB: the table is altered in place).
    """
    eng = engine_or_connection(engine)
    renames, constants = dict(renames or {}), dict(constants or {})
    stage = dict(STAGE_POSTS.columns)
    have = {str(r[0]): str(r[1]) for r in eng.execute(f"DESCRIBE {table}").fetchall()}
    mapped = {renames.get(c, c): c for c in have}
    typed = all(have[mapped[n]] == t for n, t in stage.items() if n in mapped)
    empty = not eng.execute("SELECT count(*) FROM (SELECT 1 FROM stage_posts LIMIT 1)").fetchall()[0][0]
    if not (typed and empty):
        cols = ", ".join(
            f"{sql_ident(mapped[n])} AS {sql_ident(n)}" if n in mapped else f"CAST({constants.get(n, 'NULL')} AS {t}) AS {sql_ident(n)}"
            for n, t in stage.items()
        )
        where = f" WHERE NOT coalesce({invalid}, false)" if invalid else ""
        before = eng.execute("SELECT count(*) FROM stage_posts").fetchall()[0][0]
        eng.execute(f"INSERT INTO stage_posts BY NAME SELECT {cols} FROM {table}{where}")
        eng.execute(f"DROP TABLE {table}")
        return int(eng.execute("SELECT count(*) FROM stage_posts").fetchall()[0][0]) - int(before)
    if invalid:
        eng.execute(f"DELETE FROM {table} WHERE coalesce({invalid}, false)")
    for c in have:
        if renames.get(c, c) not in stage:
            eng.execute(f"ALTER TABLE {table} DROP COLUMN {sql_ident(c)}")
    for old, new in renames.items():
        if old in have and new in stage:
            eng.execute(f"ALTER TABLE {table} RENAME COLUMN {sql_ident(old)} TO {sql_ident(new)}")
    for n, t in stage.items():
        if n not in mapped:
            default = constants.get(n, "NULL")
            if default.upper() == "NULL" or default.upper().startswith("CAST(NULL"):
                continue  # NULL for every row: left out (see above)
            eng.execute(f"ALTER TABLE {table} ADD COLUMN {sql_ident(n)} {t} DEFAULT {default}")
    eng.execute("DROP TABLE stage_posts")
    eng.execute(f"ALTER TABLE {table} RENAME TO stage_posts")
    return int(eng.execute("SELECT count(*) FROM stage_posts").fetchall()[0][0])
