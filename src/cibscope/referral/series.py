"""Daily counts by source, read from CSV exports: the long format and documented presets.

Why a small reader of its own (and not the case database): referral data is tiny (a few
thousand rows a year) and comes as spreadsheet exports with their own quirks -- comment lines
at the top (GA4), thousands separators (UA), one source per file (Search Console), extra
dimensions to sum over (Wikimedia's access method). A preset names the columns; anything else
is a *dimension* whose values are summed over, and whose coverage is tracked, because a
dimension value that starts mid-series (the apps' referrer classes, a new tracking property) is
a tracking change hidden inside the sum.

No row is lost silently: every data row is kept, filtered out by ``--filter``, or quarantined
with file, line and reason, and each file's summary satisfies read = kept + filtered +
quarantined. A whole-file problem (no header, no usable columns) is an :class:`InputError`.
"""

from __future__ import annotations

import gzip
import math
import re
import tomllib
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .. import csvrecords
from ..errors import InputError
from ..tomlfile import read_toml

__all__ = [
    "Panel",
    "Preset",
    "SeriesData",
    "list_presets",
    "load_preset",
    "read_series",
]

DEFAULT_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d")
_THOUSANDS = re.compile(r"^[+]?\d{1,3}([,\u00a0\u202f ]\d{3})+(\.\d+)?$")
_NUMBER = re.compile(r"^\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
#: No day before it holds web traffic: the web went public in 1991. Earlier dates are
#: placeholders (1900-01-01, Excel's day 1; 1970-01-01, Unix time 0) or typos.
FIRST_DAY = date(1990, 1, 1)
#: A daily count above it is an error (more than 100 times the world's Google searches in a
#: day, about 10^10), however large the site: 10^23 or 10^308 made the audit's intervals
#: +10^21 %. Below 2^53 a float also holds every count exactly.
MAX_DAILY = 1e12
#: A day part that is midnight (an ISO timestamp of a day: 2018-07-03T00:00:00Z)
_MIDNIGHT = re.compile(r"^[T ]00:00(:00(\.0+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_DATE_TOKENS = {"%Y": r"(?P<Y>\d{4})", "%y": r"(?P<y>\d{2})", "%m": r"(?P<m>\d{2})", "%d": r"(?P<d>\d{2})",
                "%-m": r"(?P<m>\d{1,2})", "%-d": r"(?P<d>\d{1,2})", "%%": "%"}
_SNIFF_ORDER = ("wikimedia-abtest", "wikimedia-pageviews", "gsc", "ga4", "ua", "long")


@dataclass(frozen=True)
class Preset:
    """How one export names its columns. A column entry is a list of candidate names (first found wins)."""

    name: str
    description: str
    date: tuple[str, ...]
    value: tuple[str, ...]
    source: tuple[str, ...] = ()
    source_name: str | None = None  # a file holding one source (Search Console)
    site: tuple[str, ...] = ()
    dimensions: tuple[str, ...] | None = None  # None: every unmapped column is a dimension
    ignore: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    bot_classes: tuple[str, ...] = ("none", "direct", "(none)", "(direct)", "unknown", "unassigned")
    incomplete_last_days: int = 0
    counts: bool = True  # the value columns (and metrics) hold counts: whole numbers
    path: str = ""

    def whole(self, metric: str | None) -> bool:
        """Must the values read be whole numbers? Yes for the preset's count columns; a
        ``--metric`` naming another column (a rate, a share, an average) may be fractional."""
        return self.counts and (metric is None or metric in self.value or metric in self.metrics)

    def resolve(self, header: Sequence[str], metric: str | None = None) -> dict[str, Any] | None:
        """Column indexes for this header, or None when the preset does not fit it."""
        cols = {h: i for i, h in enumerate(header)}

        def pick(cands: Sequence[str]) -> str | None:
            return next((c for c in cands if c in cols), None)

        d = pick(self.date)
        v = metric if metric is not None and metric in cols else pick(self.value)
        s = pick(self.source) if self.source else None
        if d is None or v is None or (self.source and s is None and self.source_name is None):
            return None
        st = pick(self.site) if self.site else None
        used = {d, v} | ({s} if s else set()) | ({st} if st else set())
        ignore = set(self.ignore) | set(self.metrics)
        if self.dimensions is None:
            dims = [h for h in header if h not in used and h not in ignore]
        else:
            dims = [h for h in self.dimensions if h in cols]
        return {
            "date": cols[d], "value": cols[v], "source": cols[s] if s else None, "site": cols[st] if st else None,
            "dims": [cols[h] for h in dims], "dim_names": dims, "value_name": v, "date_name": d,
            "source_name": s, "site_name": st,
        }


def _as_tuple(v: Any) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        return (v,)
    return tuple(str(x) for x in v)


def _preset_from_toml(text: str, path: str) -> Preset:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"not valid TOML ({e})", file=path) from e
    return _preset_from_data(data, path)


def _preset_from_data(data: dict[str, Any], path: str) -> Preset:
    p = data.get("preset")
    if not isinstance(p, dict) or not p.get("name") or not p.get("date") or not p.get("value"):
        raise InputError("a preset needs a [preset] table with name, date and value", file=path)
    if not p.get("source") and not p.get("source_name"):
        raise InputError("a preset needs source (the column) or source_name (one source per file)", file=path)
    known = {"name", "description", "date", "value", "source", "source_name", "site", "dimensions", "ignore", "metrics",
             "date_formats", "bot_classes", "incomplete_last_days", "counts"}
    unknown = sorted(set(p) - known)
    if unknown:
        raise InputError(f"unknown preset key(s): {', '.join(unknown)}", file=path, hint="known: " + ", ".join(sorted(known)))
    kw: dict[str, Any] = {
        "name": str(p["name"]), "description": str(p.get("description", "")), "path": path,
        "date": _as_tuple(p["date"]), "value": _as_tuple(p["value"]), "source": _as_tuple(p.get("source")),
        "source_name": p.get("source_name"), "site": _as_tuple(p.get("site")), "ignore": _as_tuple(p.get("ignore")),
        "metrics": _as_tuple(p.get("metrics")),
        "dimensions": _as_tuple(p["dimensions"]) if "dimensions" in p else None,
        "incomplete_last_days": int(p.get("incomplete_last_days", 0)),
    }
    if "counts" in p:
        if not isinstance(p["counts"], bool):
            raise InputError(f"counts must be true or false, got {p['counts']!r}", file=path)
        kw["counts"] = p["counts"]
    if "date_formats" in p:
        kw["date_formats"] = _as_tuple(p["date_formats"])
    if "bot_classes" in p:
        kw["bot_classes"] = _as_tuple(p["bot_classes"])
    return Preset(**kw)


def list_presets() -> list[Preset]:
    """The shipped presets, in the order files are sniffed (most specific first)."""
    folder = resources.files("cibscope.referral") / "presets"
    out = []
    for name in _SNIFF_ORDER:
        f = folder / f"{name}.toml"
        out.append(_preset_from_toml(f.read_text(encoding="utf-8"), f"presets/{name}.toml"))
    return out


def load_preset(name_or_path: str | Path) -> Preset:
    """A shipped preset by name, or a preset TOML file by path."""
    for p in list_presets():
        if p.name == str(name_or_path):
            return p
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return _preset_from_data(read_toml(path, "preset file"), str(path))
    raise InputError(
        f"unknown preset {name_or_path!r}",
        hint="shipped presets: " + ", ".join(p.name for p in list_presets()) + "; or give a preset TOML file",
    )


# -- reading -------------------------------------------------------------------------------------
@dataclass
class FileSummary:
    file: str
    preset: str
    columns: dict[str, Any]
    rows_read: int = 0
    kept: int = 0
    filtered: int = 0
    quarantined: int = 0


@dataclass(frozen=True)
class QuarantinedRow:
    file: str
    line: int
    reason: str


@dataclass
class SeriesData:
    """Daily counts summed by (site, source); coverage kept per dimension value."""

    values: dict[tuple[str, str], dict[date, float]] = field(default_factory=dict)
    # (site, source, dims) -> {date: value}: the parts of a sum, for coverage checks
    components: dict[tuple[str, str, tuple[str, ...]], dict[date, float]] = field(default_factory=dict)
    dim_names: dict[str, list[str]] = field(default_factory=dict)  # site -> dimension column names
    files: list[FileSummary] = field(default_factory=list)
    quarantine: list[QuarantinedRow] = field(default_factory=list)
    bot_classes: set[str] = field(default_factory=set)
    incomplete_last_days: dict[str, int] = field(default_factory=dict)
    metric: str = ""

    @property
    def sites(self) -> list[str]:
        return sorted({s for s, _ in self.values})

    def sources(self, site: str) -> list[str]:
        return sorted({src for s, src in self.values if s == site})

    def panel(self, site: str) -> Panel:
        """The site's sources on one contiguous daily calendar (NaN where a source has no row)."""
        srcs = self.sources(site)
        if not srcs:
            raise InputError(f"no rows for site {site!r}", hint="sites in the input: " + ", ".join(repr(s) for s in self.sites))
        days = sorted({d for src in srcs for d in self.values[(site, src)]})
        first, last = days[0], days[-1]
        n = (last - first).days + 1
        vals = np.full((n, len(srcs)), np.nan)
        for j, src in enumerate(srcs):
            for d, v in self.values[(site, src)].items():
                vals[(d - first).days, j] = v
        comps = {k[1:]: v for k, v in self.components.items() if k[0] == site}
        return Panel(site=site, start=first, sources=srcs, values=vals, components=comps,
                     dim_names=self.dim_names.get(site, []), incomplete_last_days=self.incomplete_last_days.get(site, 0))


@dataclass
class Panel:
    """One site's daily counts: ``values[i, j]`` is source ``sources[j]`` on day ``start + i``."""

    site: str
    start: date
    sources: list[str]
    values: np.ndarray
    components: dict[tuple[str, tuple[str, ...]], dict[date, float]] = field(default_factory=dict)
    dim_names: list[str] = field(default_factory=list)
    incomplete_last_days: int = 0

    @property
    def n_days(self) -> int:
        return int(self.values.shape[0])

    @property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.n_days)]

    def index(self, d: date) -> int:
        return (d - self.start).days

    def date_at(self, i: int) -> date:
        return self.start + timedelta(days=int(i))

    def column(self, source: str) -> np.ndarray:
        return self.values[:, self.sources.index(source)]

    def total(self) -> np.ndarray:
        """All traffic of the site: the sum over sources, NaN where every source is missing."""
        v = self.values
        out = np.nansum(v, axis=1)
        out[np.all(np.isnan(v), axis=1)] = np.nan
        return out


def _read_bytes(path: Path) -> bytes:
    """The bytes of ``path``, gunzipped when it ends in .gz."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except FileNotFoundError as e:
        raise InputError("no such file", file=str(path)) from e
    except IsADirectoryError as e:
        raise InputError("is a folder, not a CSV file", file=str(path)) from e


def _date_pattern(fmt: str) -> re.Pattern[str] | None:
    """``fmt`` as a full-match pattern when it uses only %Y %y %m %d %-m %-d (None otherwise)."""
    out, i = [], 0
    while i < len(fmt):
        tok = fmt[i:i + 3] if fmt[i:i + 2] == "%-" else fmt[i:i + 2]
        if fmt[i] == "%":
            if tok not in _DATE_TOKENS:
                return None
            out.append(_DATE_TOKENS[tok])
            i += len(tok)
        else:
            out.append(re.escape(fmt[i]))
            i += 1
    try:
        return re.compile("".join(out))
    except re.error:  # a field twice (%m ... %m): leave it to strptime
        return None


def _strict_date(t: str, fmt: str) -> date | None:
    """``t`` read with ``fmt`` exactly: %m and %d are two digits (01), %-m and %-d one or two
    (1 or 01), %Y four, %y two (2000-2068, 1969-1999 as Python reads them). A format with other
    directives (%b, %j, ...) must give back the text unchanged when the date is written with it."""
    rx = _date_pattern(fmt)
    if rx is None:
        try:
            d = datetime.strptime(t, fmt).date()
        except ValueError:
            return None
        return d if d.strftime(fmt) == t else None
    m = rx.fullmatch(t)
    if m is None:
        return None
    g = m.groupdict()
    year = int(g["Y"]) if g.get("Y") else datetime.strptime(g["y"], "%y").year if g.get("y") else None
    if year is None or not g.get("m") or not g.get("d"):
        return None
    try:
        return date(year, int(g["m"]), int(g["d"]))
    except ValueError:
        return None


def _parse_date(text: str, formats: Sequence[str]) -> date | None:
    """A day in one of ``formats`` (exactly: 2016-1-5 is not 2016-01-05), or an ISO timestamp of
    its midnight; None otherwise."""
    return _dated(text, formats)[0]


def _dated(text: str, formats: Sequence[str]) -> tuple[date | None, int]:
    """(day, index of the format that reads it) or (None, -1)."""
    t = text.strip()
    if not t:
        return None, -1
    if len(t) > 10 and t[4:5] == "-" and t[10:11] in ("T", " "):  # an ISO timestamp: only of a midnight
        if not _MIDNIGHT.fullmatch(t[10:]):
            return None, -1
        t = t[:10]
    for i, fmt in enumerate(formats):
        d = _strict_date(t, fmt)
        if d is not None:
            return d, i
    return None, -1


def _date_problem(text: str, formats: Sequence[str], name: str, d: date | None, today: date) -> str:
    """Why the date of a row is not usable ('' when it is)."""
    if d is None:
        t = text.strip()
        if not t:
            return f"no date in {name!r} (a totals row?)"
        if len(t) > 10 and t[4:5] == "-" and t[10:11] in ("T", " ") and not _MIDNIGHT.fullmatch(t[10:]):
            return f"a time of day in {name!r}: {text!r} (daily counts need one row per day: sum the hours first)"
        return f"not a date in {name!r}: {text!r} (expected " + " or ".join(_shown(f) for f in formats) + ")"
    if d < FIRST_DAY:
        return f"date {d.isoformat()} in {name!r} is before {FIRST_DAY.year}: no web traffic to count (a placeholder date such as 1900-01-01?)"
    if d > today + timedelta(days=1):
        return f"date {d.isoformat()} in {name!r} is in the future: no day after tomorrow has counts yet"
    return ""


def _shown(fmt: str) -> str:
    """'%Y-%m-%d' -> 'YYYY-MM-DD', '%-m/%-d/%y' -> 'M/D/YY' (for messages)."""
    for a, b in (("%Y", "YYYY"), ("%y", "YY"), ("%-m", "M"), ("%-d", "D"), ("%m", "MM"), ("%d", "DD")):
        fmt = fmt.replace(a, b)
    return fmt


def parse_count(text: str, *, whole: bool = False) -> float | None:
    """A non-negative count: ``1234``, ``1,234``, ``1 234``, ``12.5`` (not with ``whole``); None if not one."""
    return _parse_value(text, whole)[0]


def _parse_value(text: str, whole: bool) -> tuple[float | None, str]:
    """(value, '') or (None, why not): a plain non-negative decimal number, thousands separators
    allowed, at most :data:`MAX_DAILY`, and a whole number when ``whole``."""
    t = text.strip().strip('"').strip()
    if not t:
        return None, "empty"
    if _THOUSANDS.match(t):
        t = re.sub(r"[,\u00a0\u202f ]", "", t)
    body = t[1:] if t.startswith("-") else t
    if not _NUMBER.match(body):
        return None, "not a number"
    v = float(body)
    if body is not t and v != 0:  # -0 is 0
        return None, "negative"
    if not math.isfinite(v) or v > MAX_DAILY:
        return None, f"more than 10^{int(math.log10(MAX_DAILY))} a day: not a plausible daily count"
    if whole and not v.is_integer():
        return None, "not a whole number"
    return v, ""


def _parse_filters(filters: Mapping[str, str] | Iterable[str] | None) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    if not filters:
        return out
    items = filters.items() if isinstance(filters, Mapping) else (f.split("=", 1) if "=" in f else (f, None) for f in filters)
    for k, v in items:
        if v is None:
            raise InputError(f"bad filter {k!r}", hint="write a filter as column=value, e.g. access_method=desktop")
        out.setdefault(str(k).strip(), set()).update(x.strip() for x in str(v).split(","))
    return out


def _sniff(header: Sequence[str], path: str, metric: str | None) -> tuple[Preset, dict[str, Any]]:
    for p in list_presets():
        cols = p.resolve(header, metric)
        if cols is not None:
            return p, cols
    raise InputError(
        "cannot tell the columns of this file (no date, source and value columns found)",
        file=path,
        hint="name the columns date,source,value[,site], or pass --preset (" + ", ".join(p.name for p in list_presets()) + ") or a preset TOML",
    )


def read_series(
    paths: Sequence[str | Path],
    *,
    preset: str | Path | Preset | None = None,
    filters: Mapping[str, str] | Iterable[str] | None = None,
    metric: str | None = None,
    today: date | None = None,
) -> SeriesData:
    """Read daily-count CSV files (long format or a preset) into :class:`SeriesData`.

    preset : a shipped preset name, a preset TOML path, or None to recognise each file by its header.
    filters : keep only rows whose column equals one of the values (``{"access_method": "desktop"}``
        or ``["access_method=desktop"]``); filtered rows are counted, not quarantined.
    metric : read this value column instead of the preset's (e.g. ``Impressions`` of Search Console).
    today : the day the data is read on (default: today in UTC); rows dated after the next day
        are quarantined, as are rows before 1990 (:data:`FIRST_DAY`).
    """
    if not paths:
        raise InputError("no series file given", hint="pass --series FILE (daily counts by source)")
    fixed = preset if isinstance(preset, Preset) or preset is None else load_preset(preset)
    flt = _parse_filters(filters)
    data = SeriesData(metric=metric or "")
    seen: dict[tuple[str, str, tuple[str, ...], date], tuple[str, int]] = {}
    now = today or datetime.now(timezone.utc).date()
    for raw in paths:
        _read_one(Path(raw), fixed, flt, metric, data, seen, now)
    if not data.values:
        raise InputError(
            "no usable rows in the input", file=str(paths[0]) if len(paths) == 1 else None,
            hint="every row was filtered out or quarantined: check --filter and the quarantine list",
        )
    return data


def _skipped(row: list[str]) -> bool:
    """A blank line or a comment line (GA4's '#' header notes)."""
    return not row or not any(c.strip() for c in row) or row[0].lstrip().startswith("#")


def _read_one(path: Path, fixed: Preset | None, flt: dict[str, set[str]], metric: str | None, data: SeriesData,
              seen: dict[tuple[str, str, tuple[str, ...], date], tuple[str, int]], today: date) -> None:
    fname = str(path)
    try:
        # a record broken by a stray or unclosed quote is quarantined with its span, and the
        # lines after its first are read again; the header is the first record not _skipped
        records = csvrecords.records(csvrecords.decode(_read_bytes(path), file=fname), fate="quarantined",
                                     before_header=_skipped, file=fname)
        header: list[str] | None = None
        header_line = 0
        for rec in records:
            if _skipped(rec.fields):
                continue
            header, header_line = [c.strip() for c in rec.fields], rec.line
            break
        if header is None:
            raise InputError("empty file (no header row)", file=fname)
        if fixed is not None:
            p, cols = fixed, fixed.resolve(header, metric)
            if cols is None:
                raise InputError(
                    f"the header does not fit preset {fixed.name!r}: need a date column ({', '.join(fixed.date)}), "
                    f"a value column ({metric or ', '.join(fixed.value)})" + (f" and a source column ({', '.join(fixed.source)})" if fixed.source and not fixed.source_name else ""),
                    file=fname, line=header_line, hint="header: " + ", ".join(header),
                )
        else:
            p, cols = _sniff(header, fname, metric)
        if metric is not None and cols["value_name"] != metric:
            raise InputError(f"no column {metric!r} for --metric", file=fname, hint="columns: " + ", ".join(header))
        for name in flt:
            if name not in header:
                raise InputError(f"no column {name!r} to filter on", file=fname, hint="columns: " + ", ".join(header))
        summary = FileSummary(file=fname, preset=p.name, columns={k: cols[k] for k in ("date_name", "source_name", "value_name", "site_name", "dim_names")})
        data.files.append(summary)
        data.bot_classes.update(b.lower() for b in p.bot_classes)
        fidx = {name: header.index(name) for name in flt}
        width = len(header)
        whole = p.whole(metric)
        body = [(rec.line, rec.fields, rec.broken) for rec in records if rec.broken or not _skipped(rec.fields)]
        # One export writes its dates one way: the way most of the file's dates are written
        # (the first of the preset's formats on a tie) is the file's; a date written another
        # way is a row from elsewhere, not a second spelling of a day (2016-1-5, 20160105).
        fmt_rows = Counter(_dated(row[cols["date"]], p.date_formats)[1] for _line, row, broken in body if not broken and len(row) == width)
        fmt_rows.pop(-1, None)
        main = min(fmt_rows, key=lambda i: (-fmt_rows[i], i)) if fmt_rows else -1
        for line, row, broken in body:
            summary.rows_read += 1

            def bad(reason: str, line: int = line) -> None:
                summary.quarantined += 1
                data.quarantine.append(QuarantinedRow(fname, line, reason))

            if broken:
                bad(broken)
                continue
            if len(row) != width:
                bad(f"{len(row)} fields, the header has {width}")
                continue
            if any(row[i].strip() not in vals for (name, vals), i in zip(flt.items(), fidx.values(), strict=True)):
                summary.filtered += 1
                continue
            d, used = _dated(row[cols["date"]], p.date_formats)
            why = _date_problem(row[cols["date"]], p.date_formats, cols["date_name"], d, today)
            if not why and used != main:
                why = (f"date {row[cols['date']].strip()!r} in {cols['date_name']!r} written as {_shown(p.date_formats[used])}, "
                       f"the file's other dates as {_shown(p.date_formats[main])} ({fmt_rows[main]:,} rows): a row from another export?")
            if why:
                bad(why)
                continue
            v, why = _parse_value(row[cols["value"]], whole)
            if v is None:
                kind = "not a whole count" if why == "not a whole number" else "not a non-negative count"
                bad(f"{kind} in {cols['value_name']!r}: {row[cols['value']]!r} ({why})" + (
                    " -- a share or rate? read it with a preset that says counts = false" if why == "not a whole number" else ""))
                continue
            src = (p.source_name if metric is None else f"{p.source_name} {metric.lower()}") if cols["source"] is None else row[cols["source"]].strip()
            if not src:
                bad(f"empty source in {cols['source_name']!r}")
                continue
            site = row[cols["site"]].strip() if cols["site"] is not None else ""
            dims = tuple(row[i].strip() for i in cols["dims"])
            key = (site, src, dims, d)
            if key in seen:
                f0, l0 = seen[key]
                bad(f"duplicate of {f0}:{l0} (same date, source" + (", site" if site else "") + (", " + ", ".join(cols["dim_names"]) if dims else "") + ")")
                continue
            seen[key] = (fname, line)
            summary.kept += 1
            series = data.values.setdefault((site, src), {})
            series[d] = series.get(d, 0.0) + v
            data.components.setdefault((site, src, dims), {})[d] = v
            if cols["dim_names"]:
                data.dim_names.setdefault(site, list(cols["dim_names"]))
            if p.incomplete_last_days:
                data.incomplete_last_days[site] = max(data.incomplete_last_days.get(site, 0), p.incomplete_last_days)
        assert summary.rows_read == summary.kept + summary.filtered + summary.quarantined
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:
        raise InputError(f"not a readable gzip file ({e})", file=fname, hint="a .gz file must be gzip-compressed; otherwise rename it") from e
