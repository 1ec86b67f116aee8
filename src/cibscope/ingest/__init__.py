"""Ingest: read source files of any supported format into the case's normalized tables.

>>> report = ingest(["users.csv", "tweets.csv.gz"], case="c.duckdb")   # doctest: +SKIP
>>> report.totals()                                                        # doctest: +SKIP

Each file is read by the reader its first bytes match (or the one ``format`` forces) into
staging tables, then normalised and inserted by :mod:`.finalize`, inside one transaction per
file. A file already ingested (same content hash) is skipped, so re-ingesting never duplicates.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


from ..case import LEAN_FIELDS_META, Case, open_case
from ..engine.base import Engine
from ..engine.duckdb import Error as DuckDBError, IOException as DuckDBIOException
from ..errors import EmptyFileError, InputError, StrictModeError, UnknownFormatError
from ..progress import Progress, step
from .base import GZIP_BROKEN, STAGE_TABLES, ReadContext, Reader, Source, compression_of, gunzip, read_prefix
from .normalize import install_macros
from .registry import get_reader, readers

__all__ = ["FileReport", "IngestReport", "ingest", "sniff"]

# Quarantine reasons grouped for the summary: drop quoted values and parenthesised details,
# so "duplicate post_id '123' (first at f:3)" counts as "duplicate post_id".
_REASON_SUMMARY_SQL = r"""
SELECT reason, count(*) FROM (
  SELECT trim(regexp_replace(regexp_replace(reason, ' \(.*$', ''), '\s*''[^'']*''', '', 'g')) AS reason
  FROM stage_quarantine
) GROUP BY 1 ORDER BY 2 DESC
"""

_SKIP_NAMES = {"SOURCE.md", "README.md", "LICENSE", ".DS_Store", "SHA256SUMS"}


@dataclass
class FileReport:
    source_file: str
    format: str | None
    status: str  # "ingested", "already ingested", "skipped" (not data: documentation, empty, unknown format), "unreadable"
    rows_read: int = 0
    rows_kept: int = 0
    rows_quarantined: int = 0
    seconds: float = 0.0
    message: str = ""
    quarantine_reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class IngestReport:
    case_path: str
    files: list[FileReport] = field(default_factory=list)

    def unreadable(self) -> list[FileReport]:
        """Files inside a folder that could not be read (an unreadable file named on its own is an error)."""
        return [f for f in self.files if f.status == "unreadable"]

    def nothing_read(self) -> bool:
        """No file was ingested, nor found already ingested: nothing in the inputs was data."""
        return not any(f.status in ("ingested", "already ingested") for f in self.files)

    def totals(self) -> dict[str, int]:
        return {
            "files": sum(1 for f in self.files if f.status == "ingested"),
            "rows_read": sum(f.rows_read for f in self.files),
            "rows_kept": sum(f.rows_kept for f in self.files),
            "rows_quarantined": sum(f.rows_quarantined for f in self.files),
        }


def _iter_sources(paths: Iterable[str | Path], stack: ExitStack) -> Iterator[tuple[Source | None, FileReport | None]]:
    """Expand folders and zips into sources; yield (source, None) or (None, skip report)."""
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise InputError("no such file or folder", file=str(p))
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            if not files:
                raise InputError("folder contains no files", file=str(p))
            for f in files:
                if f.name in _SKIP_NAMES or f.name.startswith("LICENSE"):
                    yield None, FileReport(str(f), None, "skipped", message="documentation file")
                    continue
                yield from _file_sources(f, stack, in_folder=True)
        else:
            yield from _file_sources(p, stack, in_folder=False)


def _file_sources(p: Path, stack: ExitStack, *, in_folder: bool) -> Iterator[tuple[Source | None, FileReport | None]]:
    try:
        size = p.stat().st_size
        with open(p, "rb") as f:
            f.read(1)
    except OSError as e:
        why = f"cannot be read ({e.strerror or e})"
        if in_folder:
            yield None, FileReport(str(p), None, "unreadable", message=why)
            return
        raise InputError(why, file=str(p)) from e
    if size == 0:
        if in_folder:
            yield None, FileReport(str(p), None, "skipped", message="empty file")
            return
        raise EmptyFileError("file is empty", file=str(p))
    if p.suffix.lower() == ".zip":
        try:
            zf = stack.enter_context(zipfile.ZipFile(p))
        except zipfile.BadZipFile as e:
            raise InputError(f"not a readable zip archive ({e})", file=str(p)) from e
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cibscope-zip-")))
        members = [m for m in zf.infolist() if not m.is_dir() and not Path(m.filename).name.startswith(".")]
        if not members:
            raise InputError("zip archive contains no files", file=str(p))
        for i, m in enumerate(members):
            name = f"{p}!{m.filename}"
            if m.file_size == 0:
                yield None, FileReport(name, None, "skipped", message="empty file")
                continue
            target = tmp / f"{i}_{Path(m.filename).name}"
            try:
                with zf.open(m) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as e:
                raise InputError(f"member {m.filename!r} cannot be extracted ({e})", file=str(p)) from e
            yield Source(target, name, compression_of(target)), None
        return
    # gzip by content, not by name: a plain file named .gz is read as it is
    yield Source(p, str(p), compression_of(p)), None


def _content_hash(
    path: Path, count_lines: bool = False, stop: threading.Event | None = None, digest: bool = True, gz: bool = False
) -> tuple[str | None, int | None]:
    """sha1 of the file's bytes (None if not ``digest``) and, if asked, its physical lines (one
    pass over the file; at 1M tweets the sha1 is 0.5 s of CPU, the line count 0.15 s).

    ``gz``: the file is gzip; its lines are those of the decompressed text (what the reader
    parses), counted in a second pass (None if the stream is broken: the lines are then unknown).
    ``stop`` set (from another thread) ends the pass early; the result is then meaningless.
    """
    return _scan(path, count_lines, stop, digest, gz and count_lines)[:2]


def _scan(
    path: Path, count_lines: bool = False, stop: threading.Event | None = None, digest: bool = True, gz: bool = False
) -> tuple[str | None, int | None, str | None, bool]:
    """:func:`_content_hash`, and for a gzip file (``gz``) the state of its stream, checked in
    the pass that counts its lines (made whether they are asked for or not): None when sound,
    else the quarantine reason of what is lost (:func:`.base.gunzip`); and whether all that
    decompressed is right (a stream cut off, or followed by bytes that are not gzip)."""
    h = hashlib.sha1() if digest else None
    newlines = 0
    last = b""
    plain = count_lines and not gz
    if h is not None or plain:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 22):
                if stop is not None and stop.is_set():
                    break
                if h is not None:
                    h.update(chunk)
                if plain:
                    newlines += chunk.count(b"\n")
                last = chunk[-1:]
    hexdigest = h.hexdigest() if h is not None else None
    broken: str | None = None
    whole = True
    if gz:
        last = b""

        def tally(data: bytes) -> bool:
            nonlocal newlines, last
            newlines += data.count(b"\n")
            last = data[-1:]
            return False

        got, good, broken = gunzip(path, tally, stop)
        whole = good == got
    if not count_lines or broken is not None:
        return hexdigest, None, broken, whole
    return hexdigest, newlines + (1 if last not in (b"", b"\n") else 0), None, whole


def sniff(source: Source, forced: str | None = None) -> Reader:
    """Pick the reader for ``source``: the forced one, else the first whose ``sniff`` matches."""
    if forced is not None:
        return get_reader(forced)
    head, broken = read_prefix(source, 65536)
    if not head.strip():
        if broken:
            raise InputError(broken, file=source.name)
        raise EmptyFileError("file is empty", file=source.name)
    if head.startswith(b"PK\x03\x04"):  # (a stored member's text would match a CSV reader)
        raise UnknownFormatError(
            "a zip archive inside a zip archive: not read", file=source.name, hint="extract the inner archive and give it (or its files) to cibscope"
        )
    for reader in readers():
        if reader.sniff(source, head):
            return reader
    if broken:  # the stream breaks before the first lines could tell the format
        raise InputError(broken, file=source.name)
    first_line = head.split(b"\n", 1)[0]
    if b"Typology" in first_line and b"Main assets" in first_line:
        raise UnknownFormatError(
            "the State Media Matrix: ratings of media outlets, not posts or accounts", file=source.name,
            hint="audit state-media policies with it: cibscope media-policy --outlets FILE (docs/media-policy.md)",
        )
    for reader in readers():  # a known file that holds no posts: say what it is
        identify = getattr(reader, "identify", None)
        what = identify(source, head) if identify is not None else None
        if what is not None:
            raise UnknownFormatError(what, file=source.name, hint="cibscope reads posts and account files; see `cibscope formats`")
    names = ", ".join(r.name for r in readers())
    raise UnknownFormatError(
        "unknown format: the first bytes match none of the readers",
        file=source.name,
        hint=f"force one with --format (one of: {names}); for other platforms' CSV/Parquet give a --mapping TOML",
    )


def _create_staging(case: Case) -> None:
    for t in STAGE_TABLES:
        case.engine.execute(f"CREATE OR REPLACE TEMP TABLE {t.name} AS SELECT * FROM ({_empty_select(t)})")


def _empty_select(t: Any) -> str:
    cols = ", ".join(f"CAST(NULL AS {typ}) AS {name}" for name, typ in t.columns)
    return f"SELECT {cols} WHERE false"


def ingest(
    paths: Iterable[str | Path] | str | Path,
    case: str | Path | Case,
    *,
    format: str | None = None,
    strict: bool = False,
    mapping: str | Path | None = None,
    progress: Progress | None = None,
    fields: Iterable[str] | None = None,
    content_hash: bool = True,
    lines: bool = True,
    named: Iterable[str | Path] | None = None,
) -> IngestReport:
    """Ingest files or folders into the case at ``case`` (created if absent).

    Parameters
    ----------
    paths : files, folders (read recursively) or .zip archives.
    case : path of the case database, or an open :class:`Case`.
    format : force a reader by name (see ``cibscope formats``) instead of sniffing.
    strict : raise :class:`StrictModeError` (and keep nothing of that file) if any row is quarantined.
    mapping : TOML column mapping for the generic CSV/Parquet reader.
    fields : a *lean* read: fill only these ``stage_posts`` fields (plus the core ones:
        ids, time, kind, links between posts, place in the file); the rest of ``posts`` is
        NULL and no hashtags/URLs/mentions are exploded unless asked for. For one analysis
        that needs little of the data (``cibscope network``: one trace,
        :func:`cibscope.ingest.base.stage_fields` of its :meth:`~cibscope.traces.Trace.case_columns`).
        The case records the fields (meta ``lean_fields``) and ``build_networks`` refuses a
        trace that needs more. Rows are validated and counted as in a full read. An account
        column other than the id and platform is the field ``accounts.<column>``: account
        snapshots taken from posts fill only those asked for (accounts files: every column).
    content_hash : False for a case that ends with this call (``cibscope network``'s in-memory
        case): nothing will be ingested into it later, so the files' contents are not hashed
        (``ingest_log.content_hash`` NULL); a file given twice is still read once: files of
        equal size are hashed and compared. Ignored when the case already has files.
    lines : False (with ``fields``) for a case that ends with this call and shows no post's
        place in its file (``cibscope network --counts``): posts' ``source_line`` may stay
        NULL, so the readers need not count the newlines inside records (the text columns are
        then never materialised). Every quarantined row still gets its exact line (the lines
        are numbered when a row is quarantined; a post already in the case names the earlier
        post's line as ``?`` when that file's lines were not numbered), and the case records
        the missing field (``build_networks`` refuses it: evidence needs the lines).
    named : the files the user named (default: every path given that is not a folder). A named
        file must be readable (else the ingest stops); any other file is a folder's: skipped
        when it holds no data cibscope reads, listed as ``unreadable`` when it breaks. For a
        caller that lists a folder's files itself (``cibscope run`` on a generated folder).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = list(paths)
    for raw in paths:  # fail on a missing input before creating a case file
        if not Path(raw).exists():
            raise InputError("no such file or folder", file=str(raw))
    from .finalize import finalize  # the shared normalise + insert step

    owns = not isinstance(case, Case)
    c = open_case(case) if not isinstance(case, Case) else case
    report = IngestReport(case_path=c.path)
    lean = _lean_fields(fields)
    if not lines:
        if lean is None:
            from ..errors import ParameterError

            raise ParameterError("lines=False needs fields (a lean read): a full read keeps every post's line")
        lean = lean - {"source_line"}
    overlap = not c.engine.execute("SELECT count(*) FROM (SELECT 1 FROM ingest_log LIMIT 1)").fetchall()[0][0]
    # a lean read into an in-memory case that ends with this call: the staged posts become the
    # posts table instead of being copied into it (finalize.adopt_stage_posts)
    adopt = not content_hash and lean is not None and c.path == ":memory:"
    # content_hash=False (a fresh case): file size -> [(source, its sha1 once computed)] of this call
    by_size: dict[int, list[list[Any]]] | None = None if (content_hash or not overlap) else {}
    options: dict[str, Any] = {}
    if mapping is not None:
        from .generic import load_mapping

        options["mapping"] = load_mapping(mapping)
    try:
        with ExitStack() as stack:
            sources = list(_iter_sources(paths, stack))
            # a file named on the command line must be readable; unknown files inside a folder are reported and skipped
            explicit = {str(Path(p)) for p in (paths if named is None else named) if not Path(p).is_dir()}
            # users/accounts files first, so their rows win over snapshots taken from posts
            ordered: list[tuple[Source, Reader]] = []
            for src, skipped in sources:
                if src is None:
                    assert skipped is not None
                    report.files.append(skipped)
                    continue
                try:
                    reader = sniff(src, format if format else (_mapping_reader(options["mapping"]) if mapping is not None else None))
                except InputError as e:
                    if src.name in explicit:
                        raise
                    report.files.append(_folder_file_failed(src, None, e))
                    continue
                ordered.append((src, reader))
            ordered.sort(key=lambda sr: 0 if sr[1].kind == "accounts" else 1)
            for src, reader in ordered:
                if by_size is not None:
                    repeat = _repeat_by_size(by_size, src)
                    if repeat is not None:
                        report.files.append(
                            FileReport(src.name, reader.name, "already ingested", message=f"same content as {repeat}; nothing added")
                        )
                        continue
                args = (reader, strict, options, progress, finalize, lean, overlap)
                readable, notes, gunzip = src, [], False
                while True:
                    try:
                        if gunzip:  # a damaged gzip stream: its readable part, decompressed, and the row of the rest
                            readable, notes = _gunzipped_copy(src, stack)
                        report.files.append(
                            _ingest_one(c, readable, *args, hash_content=by_size is None, notes=notes, lines=lines, adopt=adopt)
                        )
                    except StrictModeError:
                        raise
                    except _GunzipFirst:
                        gunzip = True  # (once: the copy is not gzip)
                        continue
                    except InputError as e:
                        if src.name in explicit:
                            raise
                        # nothing of it kept: its transaction was rolled back
                        report.files.append(_folder_file_failed(src, reader.name, e))
                    break
    finally:
        if owns:
            c.close()
    return report


class _GunzipFirst(Exception):
    """Raised by :func:`_ingest_one` (its transaction rolled back) for a gzip file whose stream
    is damaged (unless the reader quarantined a cut-off stream itself), or that DuckDB cannot
    read though it is sound: :func:`ingest` then has the reader read a decompressed copy of
    what is right instead (:func:`_gunzipped_copy`). One rule for every reader, whatever its
    parser makes of the damage."""


def _gunzipped_copy(src: Source, stack: ExitStack) -> tuple[Source, list[tuple[int | None, str, str]]]:
    """The gzip file ``src`` decompressed into a plain file, for its reader to read again: all
    of it when the stream is sound (one that DuckDB does not read, e.g. zero bytes after a
    member); for a damaged stream, the part known to be right (:func:`.base.gunzip`) up to its
    last complete line, and the quarantine row of what is not read: its first line, its first
    4 KB as decompressed (raw) and the reason. The copy may be empty (nothing is right)."""
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cibscope-gzip-")))
    target = tmp / Path(src.name).name.removesuffix(".gz")
    with open(target, "wb") as out:

        def write(data: bytes) -> bool:
            out.write(data)
            return False

        _, good, why = gunzip(src.path, write)
    if why is None:
        return Source(target, src.name, None, origin=src.path), []
    with open(target, "rb+") as f:  # cut after the last newline of the right part
        keep = 0
        end = good
        while end > 0:
            start = max(0, end - (1 << 22))
            f.seek(start)
            nl = f.read(end - start).rfind(b"\n")
            if nl >= 0:
                keep = start + nl + 1
                break
            end = start
        f.seek(keep)
        raw = f.read(4096)
        f.truncate(keep)
        f.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 22), b""))
    return Source(target, src.name, None, origin=src.path), [(lines + 1, raw.decode("utf-8", "replace"), why)]


def _repeat_by_size(by_size: dict[int, list[list[Any]]], src: Source) -> str | None:
    """The name of an earlier file of this call with ``src``'s content, or None (and ``src``
    noted). Only files of equal size are hashed (``ingest(content_hash=False)``)."""
    size = src.path.stat().st_size
    same = by_size.setdefault(size, [])
    if same:
        mine = _content_hash(src.path)[0]
        for entry in same:
            if entry[1] is None:
                entry[1] = _content_hash(entry[0].path)[0]
            if entry[1] == mine:
                return str(entry[0].name)
        same.append([src, mine])
    else:
        same.append([src, None])
    return None


def _folder_file_failed(src: Source, format: str | None, error: InputError) -> FileReport:
    """The report of a folder's file that could not be sniffed (``format`` None) or read: not
    data (unknown format, empty) is skipped, any other failure (no permission, a header
    missing a required column, a file the parser gives up on) listed as unreadable; the other
    files are read. (A file the user named stops the ingest instead.)"""
    status = "skipped" if isinstance(error, (UnknownFormatError, EmptyFileError)) else "unreadable"
    return FileReport(src.name, format, status, message=str(error).split(": ", 1)[-1])


def _lean_fields(fields: Iterable[str] | None) -> frozenset[str] | None:
    """A lean read's ``fields``, validated, with the core fields added."""
    if fields is None:
        return None
    from ..errors import ParameterError
    from .base import CORE_POST_FIELDS, STAGE_POSTS

    from ..schema import ACCOUNTS
    from .base import ACCOUNT_FIELD_PREFIX, CORE_ACCOUNT_COLUMNS

    known = {n for n, _ in STAGE_POSTS.columns}
    accounts = {ACCOUNT_FIELD_PREFIX + n for n in ACCOUNTS.column_names if n not in CORE_ACCOUNT_COLUMNS}
    wanted = frozenset(fields) | CORE_POST_FIELDS
    unknown = sorted(wanted - known - accounts)
    if unknown:
        raise ParameterError(
            f"fields: unknown stage_posts field(s) {', '.join(unknown)}; expected some of {', '.join(sorted(known))} "
            f"(or accounts columns as {ACCOUNT_FIELD_PREFIX}NAME)"
        )
    return wanted


def _mark_lean(c: Case, fields: frozenset[str]) -> None:
    """Record what every post of the case has once a lean read added posts: the fields of
    every lean read so far (a full read has them all, and never clears the mark)."""
    from .base import STAGE_POSTS, case_lean_fields

    from ..schema import ACCOUNTS
    from .base import ACCOUNT_FIELD_PREFIX, CORE_ACCOUNT_COLUMNS

    before = case_lean_fields(c)
    every = frozenset(n for n, _ in STAGE_POSTS.columns) | {
        ACCOUNT_FIELD_PREFIX + n for n in ACCOUNTS.column_names if n not in CORE_ACCOUNT_COLUMNS
    }
    c.set_meta(LEAN_FIELDS_META, ",".join(sorted(fields & (before if before is not None else every))))


def _ingest_one(
    c: Case, src: Source, reader: Reader, strict: bool, options: dict[str, Any], progress: Progress | None, finalize: Any,
    fields: frozenset[str] | None = None,
    overlap: bool = False,
    hash_content: bool = True,
    notes: list[tuple[int | None, str, str]] = [],  # noqa: B006 - read only
    lines: bool = True,
    adopt: bool = False,
) -> FileReport:
    """Read one file into the case in one transaction. ``overlap``: the case had no files
    before this ingest call (the content hash may then run alongside the parse). ``hash_content``
    False: no content hash (``ingest(content_hash=False)``; the caller compared the files),
    only the line count, alongside the parse. ``notes``: rows to quarantine besides the
    reader's, (line, raw, reason) -- what a broken gzip stream lost. ``lines``: see :func:`ingest`.
    ``adopt``: staged posts may become the (in-memory, ending) case's posts table without a
    copy (:func:`.finalize.adopt_stage_posts`).

    A gzip file's stream is checked in the pass that hashes the file (and counts its lines).
    When it is damaged, the read stands only if all that decompressed is right (a stream cut
    off) and the reader quarantined the damage itself (a row :data:`GZIP_BROKEN`...: the JSON
    reader, which decompresses on its own); otherwise (the reader failed, read what the damage
    made of the data, or read a damaged member) :class:`_GunzipFirst` is raised, as it is when
    DuckDB cannot read a sound stream."""
    t0 = time.perf_counter()
    # the line count is only meaningful for the bytes the reader parses (gzip's decompressed
    # text, not a copy's); a read without lines needs no count from a reader that numbers
    # them on demand only
    on_demand = not lines and getattr(reader, "lines_on_demand", False)
    count = bool(getattr(reader, "counts_lines", False) and src.compression in (None, "gzip") and src.origin is None and not on_demand)
    gz = src.compression == "gzip"
    hashed = src.origin or src.path
    eng = c.engine
    hashing: Future[tuple[str | None, int | None, str | None, bool]] | None = None
    hexdigest: str | None = None
    stop = threading.Event()  # tells the hash thread to give up when the read fails
    line_count: int | Callable[[], int | None] | None
    # a gzip stream's damage (None: sound) and whether all that decompresses is right (_scan)
    damage: Callable[[], tuple[str | None, bool]] = lambda: (None, True)  # noqa: E731
    if not overlap:
        hexdigest, line_count, broken, whole = _scan(hashed, count, gz=gz)
        prev = _same_content(eng, str(hexdigest))
        if prev is not None:
            return FileReport(src.name, reader.name, "already ingested", message=f"same content as {prev}; nothing added")
        damage = lambda: (broken, whole)  # noqa: E731
    else:
        # The case had no files before this call, so the file can only repeat one read in this
        # call: hash it in a thread while the reader parses (hashlib and DuckDB both release the
        # GIL) and check for a repeat after the parse (a wasted parse only for a file given twice).
        # Without hash_content only the line count is taken (if the reader wants it).
        # A gzip file is decompressed in the thread, to check its stream, in any case.
        line_count = None
        if hash_content or count or gz:
            pool = ThreadPoolExecutor(1, thread_name_prefix="cibscope-hash")
            running = hashing = pool.submit(_scan, hashed, count, stop, hash_content, gz)
            pool.shutdown(wait=False)
            damage = lambda: running.result()[2:]  # noqa: E731
            if count:
                line_count = lambda: running.result()[1]  # noqa: E731
    if on_demand and src.compression in (None, "gzip") and src.origin is None:
        # a reader that numbers its lines only when it must may still want the count then:
        # counted on the first call, in this thread
        line_count = _count_on_demand(hashed, gz)
    from .finalize import MACRO_FIELDS

    _create_staging(c)
    # outside the file's transaction: a rollback must not take the UDF with it; not for a lean
    # read that normalises nothing (no text, no lists: ~0.04 s of catalog work per file)
    macros = fields is None or bool(fields & MACRO_FIELDS)
    if macros:
        install_macros(eng)
    eng.execute("BEGIN TRANSACTION")
    try:
        with step(progress, f"reading {Path(src.name).name} ({reader.name})") as _:
            try:
                ctx = ReadContext(c.engine, src, progress, options, physical_lines=line_count, fields=fields, lines=lines, macros=macros)
                # a damaged gzip file of which nothing is right: only its quarantine row (notes)
                rows_read = 0 if notes and src.origin is not None and not src.path.stat().st_size else reader.read(ctx)
            except DuckDBError as e:
                # the parser gave up on the file as a whole (a record it cannot even reject)
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                raise InputError(
                    f"cannot be read as {reader.name} ({first})", file=src.name,
                    hint="the file is damaged beyond what can be quarantined row by row; check its encoding and line endings",
                ) from e
            for line, raw, reason in notes:
                eng.execute("INSERT INTO stage_quarantine VALUES (?, ?, ?, ?)", [src.name, line, raw, reason])
                rows_read += 1
        with step(progress, f"normalising {Path(src.name).name}") as _:
            adopted = finalize(eng, src.name, reader.kind, adopt=adopt, unique_ids=ctx.unique_ids, macros=macros)
        if hashing is not None:
            hexdigest = hashing.result()[0]
            prev = _same_content(eng, hexdigest) if hexdigest is not None else None
            if prev is not None:
                eng.execute("ROLLBACK")
                return FileReport(src.name, reader.name, "already ingested", message=f"same content as {prev}; nothing added")
        broken, whole = damage()
        if broken is not None and not (whole and _damage_quarantined(eng)):
            raise _GunzipFirst()  # the reader read what the damage made of the data
        kept = _staged_count(eng, reader.kind)
        q = eng.execute("SELECT count(*) FROM stage_quarantine").fetchone()
        quarantined = int(q[0]) if q else 0
        reasons = dict(
            eng.execute(
                _REASON_SUMMARY_SQL
            ).fetchall()
        )
        if rows_read != kept + quarantined:
            raise AssertionError(
                f"row accounting broken for {src.name}: read {rows_read} != kept {kept} + quarantined {quarantined}"
            )
        if strict and quarantined:
            first = eng.execute(
                "SELECT source_line, reason FROM stage_quarantine ORDER BY source_line LIMIT 1"
            ).fetchone()
            raise StrictModeError(
                f"--strict: {quarantined} row(s) could not be read, first: {first[1] if first else '?'}",
                file=src.name,
                line=int(first[0]) if first and first[0] is not None else None,
            )
        eng.execute("INSERT INTO quarantine SELECT * FROM stage_quarantine")
        if fields is not None and reader.kind == "posts" and kept:
            _mark_lean(c, fields)  # in the file's transaction: only when lean posts are kept
        seconds = time.perf_counter() - t0
        eng.execute(
            "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [src.name, hexdigest, reader.name, rows_read, kept, quarantined, datetime.now(timezone.utc).replace(tzinfo=None), seconds],
        )
        merged = int(eng.execute("SELECT count(*) FROM stage_merged").fetchall()[0][0])
        if adopted:
            from .finalize import adopt_stage_posts

            adopt_stage_posts(eng, fields or frozenset())  # after the rows were counted in stage_posts
        eng.execute("COMMIT")
    except BaseException as e:
        eng.execute("ROLLBACK")
        if gz and isinstance(e, Exception) and not isinstance(e, (_GunzipFirst, StrictModeError)):
            # the reader failed on a gzip file: read a decompressed copy if the stream is damaged
            # (the hash thread's verdict, waited for) or DuckDB does not read it
            try:
                damaged = damage()[0] is not None
            except Exception:  # the check itself failed (the file cannot be read): the reader's error stands
                damaged = False
            if damaged or _duckdb_gzip_error(e):
                raise _GunzipFirst() from e
        stop.set()
        raise
    message = f"{merged:,} kept row(s) merged into their post's first row" if merged else ""
    return FileReport(src.name, reader.name, "ingested", rows_read, kept, quarantined, seconds, message, quarantine_reasons=reasons)


def _damage_quarantined(eng: Engine) -> bool:
    """Did the reader quarantine a row for a damaged gzip stream itself (one that decompresses
    the stream on its own, as the JSON reader does)?"""
    row = eng.execute("SELECT count(*) FROM stage_quarantine WHERE starts_with(reason, ?)", [GZIP_BROKEN]).fetchone()
    return bool(row and row[0])


def _duckdb_gzip_error(e: BaseException | None) -> bool:
    """Is ``e`` (or what caused it) DuckDB's I/O error on a gzip stream?"""
    seen = 0
    while e is not None and seen < 10:
        if isinstance(e, DuckDBIOException) and "gzip" in str(e).lower():
            return True
        e = e.__cause__ or e.__context__
        seen += 1
    return False


def _count_on_demand(path: Path, gz: bool) -> Callable[[], int | None]:
    """The file's physical lines, counted on the first call (see :func:`_content_hash`)."""
    got: list[int | None] = []

    def count() -> int | None:
        if not got:
            got.append(_content_hash(path, True, digest=False, gz=gz)[1])
        return got[0]

    return count


def _mapping_reader(mapping: Any) -> str:
    """The reader of a --mapping: generic-accounts for a mapping of account files, else generic."""
    return "generic-accounts" if getattr(mapping, "table", "posts") == "accounts" else "generic"


def _same_content(eng: Engine, digest: str) -> str | None:
    """The file already in the case with this content hash, if any."""
    row = eng.execute("SELECT source_file FROM ingest_log WHERE content_hash = ? LIMIT 1", [digest]).fetchone()
    return None if row is None else str(row[0])


def _staged_count(eng: Engine, kind: str) -> int:
    """Rows kept: staged rows, plus (posts) rows merged into an earlier row's post (stage_merged)."""
    table = "stage_accounts" if kind == "accounts" else "stage_posts"
    merged = " + (SELECT count(*) FROM stage_merged)" if kind != "accounts" else ""
    row = eng.execute(f"SELECT (SELECT count(*) FROM {table}){merged}").fetchone()
    return int(row[0]) if row else 0
