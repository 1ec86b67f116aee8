"""Outlets and the evidence for each criterion: the State Media Matrix, or your own CSV.

An *outlet* is one media asset (a channel, a news agency, a language edition) of a media
company in a country. Every criterion value an outlet has is an :class:`Evidence` row with
its source (file and line, or your citation), a URL, a date and a confidence, so a decision
can always be traced back to where its premises came from.

Two input formats, told apart by their header:

* **State Media Matrix** (``State_Media_Matrix.csv`` of ASD-at-GMF/state-media-profiles,
  seeded from MJRC's State Media Monitor): one row per asset with a ``Typology`` code that
  decodes to the criteria (``data/smm-typology.toml``) and up to ten social-media links.
  Rows repeating an asset (same country, company and asset) are one outlet; their lines,
  URLs and handles are merged.
* **Outlet evidence CSV** (long format, one row per outlet and criterion): ``outlet_id,
  criterion, value, source, date, confidence`` and optionally ``name, company, country,
  region, source_url, note, aliases, handles``. ``criterion = typology`` with a State Media
  Matrix code stands for the criteria that code decodes to; a row with no criterion and no
  value only adds outlet fields (handles, aliases). See docs/media-policy.md.

Time: classifications change (MJRC re-rates outlets every year). :func:`resolve` picks, per
criterion, the latest evidence dated on or before the as-of date, then undated evidence,
and only then the earliest evidence dated after it -- flagged, so a 2023 rating applied to a
2020 decision says so.

No row is dropped silently: a row that cannot be used, and a value (a malformed handle, a
conflicting name) that is ignored, become :class:`Problem` rows with file, line and reason.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .. import csvrecords
from ..errors import InputError, MissingColumnsError

__all__ = [
    "CONFIDENCES",
    "CRITERIA",
    "Evidence",
    "Handle",
    "Outlet",
    "OutletSet",
    "Problem",
    "Resolved",
    "canonical_country",
    "find_outlets",
    "merge_outlets",
    "parse_date",
    "parse_handle",
    "read_outlet_csv",
    "read_outlets",
    "read_smm",
    "resolve",
]

#: The criteria the shipped policies read. An outlets CSV may add others; a policy that
#: declares them (``[[criterion]]``) can read them.
CRITERIA: dict[str, str] = {
    "state_funding": "the state funds the outlet directly (majority funding from the state budget)",
    "state_governance": "the state controls the outlet's ownership or governance (owner, board, management appointments)",
    "editorial_control": "the state controls the outlet's editorial line (directly, or through funding, political pressure, or control of production and distribution)",
    "public_funding": "the outlet receives public money of any kind: state budget, licence fee, public grants",
    "entertainment_only": "the outlet carries only entertainment, sports or travel content",
}
CONFIDENCES = ("high", "medium", "low")
_CONF_RANK = {c: i for i, c in enumerate(CONFIDENCES)}

#: The State Media Matrix file this module was written against (sha256 of the copy in
#: shared/data/real, identical to ASD-at-GMF/state-media-profiles at d911508, 2023-08-24).
SMM_KNOWN = {
    "6742bd02308b8e944f28097f428282beb24e9e45e3d0c5ad635699fdd624b483": {
        "date": date(2023, 8, 24),
        "url": "https://github.com/ASD-at-GMF/state-media-profiles/blob/d91150805c0dcd0262bf6d269b5ea8dc5d4a92cf/State_Media_Matrix.csv?plain=1#L{line}",
    }
}
SMM_REQUIRED = ("Country", "Media company", "Main assets", "Typology")
SMM_LINK_COLUMNS = (
    "Twitter Link", "Facebook Link", "Youtube Link", "Instagram Link", "Telegram Link", "VK Link",
    "Linkedin link", "Ok.ru link", "Tiktok Link", "Rutube Link",
)
CSV_REQUIRED = ("outlet_id", "criterion", "value", "source", "date", "confidence")
CSV_OPTIONAL = ("name", "company", "country", "region", "source_url", "note", "aliases", "handles")


@dataclass(frozen=True)
class Problem:
    """An input row (or one value of it) that was not used as given, and why."""

    file: str
    line: int | None
    reason: str
    action: str = "row skipped"
    value: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason, "action": self.action, "value": self.value}


@dataclass(frozen=True)
class Evidence:
    """One criterion value of one outlet, with where it comes from."""

    criterion: str
    value: bool | str | None  # bool for criteria, the code for `typology`, None = unknown
    confidence: str
    source: str
    date: date | None = None
    source_url: str = ""
    note: str = ""
    order: int = 0  # input order, the last tie-breaker

    def describe(self) -> str:
        v = "unknown" if self.value is None else str(self.value).lower() if isinstance(self.value, bool) else str(self.value)
        when = self.date.isoformat() if self.date else "undated"
        return f"{self.criterion}={v} [{self.confidence}; {self.source}; {when}]"


@dataclass(frozen=True)
class Handle:
    """A social-media account of an outlet: platform and handle (or channel id)."""

    platform: str
    handle: str
    source: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """Compared case-insensitively, except YouTube channel ids."""
        h = self.handle if self.platform == "youtube" and self.handle.startswith("UC") else self.handle.casefold()
        return (self.platform, h)


@dataclass
class Outlet:
    outlet_id: str
    name: str
    company: str = ""
    country: str = ""
    region: str = ""
    status: str = ""
    aliases: list[str] = field(default_factory=list)
    handles: list[Handle] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    def add_handle(self, h: Handle) -> None:
        if all(x.key != h.key for x in self.handles):
            self.handles.append(h)


@dataclass
class OutletSet:
    """Outlets by id, the problems met reading them, and what was read."""

    outlets: dict[str, Outlet] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.outlets)

    def __iter__(self):  # noqa: ANN204 - an iterator of Outlet
        return iter(self.outlets.values())

    def get(self, outlet_id: str) -> Outlet | None:
        return self.outlets.get(outlet_id)


# ---- names, countries, dates ------------------------------------------------------------


def name_key(s: str) -> str:
    """A name folded for matching: accents dropped, case-folded, punctuation as spaces."""
    s = unicodedata.normalize("NFKD", s or "")
    s = "".join(c for c in s if not unicodedata.combining(c)).casefold().replace("&", " and ")
    s = re.sub(r"[^\w]+", " ", s).strip()
    return s[4:] if s.startswith("the ") else s


def slug(s: str) -> str:
    """A URL-safe id part; a name with letters outside a-z gets a short hash so that
    'CGTN العربية' and 'CGTN Русский' stay apart."""
    folded = name_key(s).replace("_", " ")
    k = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if re.search(r"[^a-z0-9\s]", folded) or not k:
        k = (k + "-" if k else "") + hashlib.sha1(s.encode("utf-8")).hexdigest()[:6]
    return k


@cache
def _country_aliases() -> dict[str, str]:
    data = tomllib.loads((resources.files("cibscope.mediapolicy") / "data" / "countries.toml").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for canon, aliases in data["aliases"].items():
        out[name_key(canon)] = canon
        for a in aliases:
            out[name_key(a)] = canon
    return out


def canonical_country(name: str) -> str:
    """The country's canonical spelling (aliases in data/countries.toml), else the name as given."""
    s = (name or "").strip()
    return _country_aliases().get(name_key(s), s)


def parse_date(text: str, *, end: bool = False) -> date | None:
    """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (a period: its first day, or its last with end=True).

    Empty text is None; anything else raises ValueError.
    """
    s = (text or "").strip()
    if not s:
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", s)
    if m is None:
        raise ValueError(f"not a date (YYYY-MM-DD, YYYY-MM or YYYY): {s!r}")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if mo is None:
            return date(y, 12, 31) if end else date(y, 1, 1)
        if d is None:
            if not end:
                return date(y, int(mo), 1)
            nxt = date(y + (int(mo) == 12), int(mo) % 12 + 1, 1)
            return date.fromordinal(nxt.toordinal() - 1)
        return date(y, int(mo), int(d))
    except ValueError as e:  # 2020-13-01: the message names the text, not only "month must be in 1..12"
        raise ValueError(f"not a date: {s!r} ({e})") from e


# ---- handles ------------------------------------------------------------------------------

_HOSTS = {
    "twitter.com": "twitter", "x.com": "twitter", "mobile.twitter.com": "twitter",
    "facebook.com": "facebook", "fb.com": "facebook", "m.facebook.com": "facebook",
    "youtube.com": "youtube", "m.youtube.com": "youtube",
    "instagram.com": "instagram", "t.me": "telegram", "telegram.me": "telegram",
    "vk.com": "vk", "tiktok.com": "tiktok", "linkedin.com": "linkedin", "ok.ru": "ok", "rutube.ru": "rutube",
}
_VALID = {
    "twitter": re.compile(r"[A-Za-z0-9_]{1,15}"),
    "instagram": re.compile(r"[A-Za-z0-9._]{1,30}"),
    "telegram": re.compile(r"[A-Za-z0-9_]{4,32}"),
    "tiktok": re.compile(r"[A-Za-z0-9._]{2,24}"),
}


def parse_handle(text: str, platform: str | None = None) -> tuple[Handle | None, str]:
    """A handle from a profile URL or ``platform:handle``; (None, reason) when it is not one.

    >>> parse_handle("https://www.twitter.com/rt")[0]
    Handle(platform='twitter', handle='rt', source='')
    >>> parse_handle("https://www.twitter.com/1tv.ge")[1]
    "not a valid twitter handle: '1tv.ge'"
    """
    s = (text or "").strip()
    if not s:
        return None, "empty"
    m = re.match(r"^(?:https?://)?(?:www\.)?([^/\s]+)/+(.*)$", s)
    if m and (m.group(1).lower() in _HOSTS):
        plat = _HOSTS[m.group(1).lower()]
        path = [p for p in re.split(r"[/?#]", m.group(2)) if p]
        if (plat == "youtube" and len(path) >= 2 and path[0] in ("channel", "c", "user")) or (
            plat == "rutube" and len(path) >= 2 and path[0] == "channel"
        ):
            handle = path[1]
        elif path:
            handle = path[0]
        else:
            return None, f"no account in the URL: {s!r}"
        handle = handle.lstrip("@")
    else:
        pm = re.match(r"^([a-z]+):@?(\S+)$", s)
        if pm and pm.group(1) in set(_HOSTS.values()):
            plat, handle = pm.group(1), pm.group(2)
        elif platform and re.fullmatch(r"@?\S+", s) and "/" not in s:
            plat, handle = platform, s.lstrip("@")
        else:
            return None, f"not a profile URL or platform:handle: {s!r}"
    rx = _VALID.get(plat)
    if rx is not None and not rx.fullmatch(handle):
        return None, f"not a valid {plat} handle: {handle!r}"
    if not handle or any(c.isspace() for c in handle):
        return None, f"not a valid {plat} handle: {handle!r}"
    return Handle(plat, handle), ""


# ---- typology -----------------------------------------------------------------------------


@cache
def typology_table() -> dict[str, Any]:
    """data/smm-typology.toml: per State Media Matrix code, the criteria it decodes to."""
    return tomllib.loads((resources.files("cibscope.mediapolicy") / "data" / "smm-typology.toml").read_text(encoding="utf-8"))


def typology_code(raw: str) -> tuple[str | None, bool]:
    """(code, uncertain): 'ISFM?' -> ('ISFM', True); an unknown code -> (None, False)."""
    s = (raw or "").strip()
    uncertain = s.endswith("?")
    s = s.rstrip("?").strip()
    codes = {c.casefold(): c for c in typology_table()["code"]}
    return codes.get(s.casefold()), uncertain


def _lower(conf: str, steps: int = 1) -> str:
    return CONFIDENCES[min(len(CONFIDENCES) - 1, _CONF_RANK.get(conf, 2) + steps)]


def typology_evidence(
    code: str, uncertain: bool, *, confidence: str, source: str, when: date | None, url: str, order: int
) -> list[Evidence]:
    """The evidence rows a typology code stands for: the code itself and its criteria."""
    spec = typology_table()["code"][code]
    note = f"code {code}?: marked uncertain in the source" if uncertain else ""
    out = [Evidence("typology", code, confidence, source, when, url, note, order)]
    for crit in CRITERIA:
        if crit not in spec:
            continue
        v = spec[crit]
        value = None if v["value"] == "unknown" else bool(v["value"])
        conf = CONFIDENCES[max(_CONF_RANK[confidence], _CONF_RANK[v["confidence"]])]
        if uncertain:
            conf = _lower(conf)
        basis = f"from typology {code}" + (f": {v['basis']}" if v.get("basis") else "")
        out.append(Evidence(crit, value, conf, source, when, url, "; ".join(x for x in (basis, note) if x), order))
    return out


# ---- readers ------------------------------------------------------------------------------


_COLUMNS_HINT = "check the header row against docs/media-policy.md"


class Record(csvrecords.Record):
    """One CSV record (:class:`cibscope.csvrecords.Record`): its physical lines (first and last),
    its fields, and, when a quote broke it, why it is not a row (``broken``; ``fields`` is then its
    first line's text, and the lines after it are read again)."""

    def problem(self, file: str, width: int) -> Problem | None:
        """The Problem of a record that cannot be a row of a ``width``-column file, else None."""
        if self.broken:
            return Problem(file, self.line, self.broken, value=self.fields[0][:80] if self.fields else "")
        if not any(c.strip() for c in self.fields):
            return Problem(file, self.line, "empty row")
        if len(self.fields) != width:
            return Problem(file, self.line, f"{len(self.fields)} fields, the header has {width}")
        return None


def _rows(path: Path) -> Iterator[Record]:
    """Every CSV record, the header first (line 1), each with its physical lines; a record a
    stray or unclosed quote broke comes with its span and is skipped, and the lines after its
    first are read again (:func:`cibscope.csvrecords.records`). Not UTF-8: an InputError naming
    the line."""
    for r in csvrecords.read(path, fate="skipped"):
        yield Record(r.line, r.last, r.fields, r.broken)


def _existing_file(path: Path, what: str, hint: str) -> None:
    """InputError unless ``path`` is a file: a missing path and a folder are told apart."""
    if path.is_dir():
        raise InputError(f"is a folder, not {what}", file=str(path), hint=hint)
    if not path.is_file():
        raise InputError(f"no such {what}", file=str(path), hint=hint)


def _header(path: Path) -> list[str]:
    for rec in _rows(path):
        return [c.strip() for c in rec.fields]
    raise InputError("empty file", file=str(path))


def read_outlets(path: str | Path, *, dated: date | None = None) -> OutletSet:
    """Read a State Media Matrix or an outlet evidence CSV, told apart by the header."""
    p = Path(path)
    _existing_file(p, "an outlets file", "give the State Media Matrix CSV or an outlet evidence CSV (docs/media-policy.md)")
    cols = set(_header(p))
    if {"Typology", "Main assets"} <= cols:
        return read_smm(p, dated=dated)
    if {"outlet_id", "criterion"} <= cols:
        return read_outlet_csv(p)
    raise InputError(
        "not an outlets file: the header has neither the State Media Matrix columns (Typology, Main assets) "
        "nor the outlet evidence columns (outlet_id, criterion, ...)",
        file=str(p),
        hint="see docs/media-policy.md for the outlet evidence CSV schema",
    )


def _sha256(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def name_aliases(name: str) -> list[str]:
    """'Deutsche Welle (DW)' -> ['Deutsche Welle', 'DW']; 'Television: CNC World' -> ['CNC World']."""
    out: list[str] = []
    m = re.match(r"^\s*([^:()]{2,20}):\s+(.+)$", name)
    base = m.group(2) if m else name
    if m:
        out.append(base.strip())
    pm = re.match(r"^(.*?)\s*\(([^()]+)\)\s*$", base)
    if pm:
        out += [pm.group(1).strip(), pm.group(2).strip()]
    return [a for a in dict.fromkeys(out) if a and name_key(a) != name_key(name)]


def read_smm(path: str | Path, *, dated: date | None = None) -> OutletSet:
    """Read the State Media Matrix: one outlet per (country, company, asset), evidence from the Typology.

    dated : the date of the classification; default: the known file's last change
        (2023-08-24), else undated.
    """
    p = Path(path)
    header = [c.strip() for c in _header(p)]
    missing = [c for c in SMM_REQUIRED if c not in header]
    if missing:
        raise MissingColumnsError(str(p), missing, "State Media Matrix", hint=_COLUMNS_HINT)
    digest = _sha256(p)
    known = SMM_KNOWN.get(digest)
    when = dated or (known["date"] if known else None)
    url_tmpl = known["url"] if known else ""
    out = OutletSet()
    idx = {c: i for i, c in enumerate(header)}
    n_rows = 0
    for rec in _rows(p):
        if rec.line == 1:
            continue
        n_rows += 1
        problem = rec.problem(p.name, len(idx))
        if problem is not None:
            out.problems.append(problem)
            continue
        _smm_row(out, p, rec.line, rec.fields, idx, when, url_tmpl)
    out.inputs.append({
        "file": str(p), "format": "State Media Matrix", "sha256": digest, "rows": n_rows, "outlets": len(out.outlets),
        "problems": len(out.problems), "dated": when.isoformat() if when else None, "known_version": bool(known),
    })
    return out


def _smm_row(out: OutletSet, p: Path, line: int, row: list[str], idx: dict[str, int], when: date | None, url_tmpl: str) -> None:
    get = lambda c: row[idx[c]].strip() if c in idx else ""  # noqa: E731
    country, company, asset = canonical_country(get("Country")), get("Media company"), get("Main assets")
    if not country or not asset:
        out.problems.append(Problem(p.name, line, "no Country or Main assets", value=asset or company))
        return
    code, uncertain = typology_code(get("Typology"))
    if code is None:
        out.problems.append(Problem(p.name, line, f"unknown Typology code {get('Typology')!r}", value=asset))
        return
    oid = f"{slug(country)}/{slug(company or asset)}/{slug(asset)}"
    o = out.outlets.get(oid)
    if o is None:
        o = out.outlets[oid] = Outlet(oid, asset, company, country, get("Region"), get("Status"))
        o.aliases = list(dict.fromkeys(name_aliases(asset)))
        url = url_tmpl.format(line=line) if url_tmpl else ""
        o.evidence += typology_evidence(
            code, uncertain, confidence="high", source=f"{p.name}:{line}", when=when, url=url, order=len(out.outlets)
        )
    elif o.evidence and o.evidence[0].value != code:  # cannot happen in the known file; reported if it does
        out.problems.append(Problem(p.name, line, f"asset repeated with another Typology ({code} vs {o.evidence[0].value}); the first kept", "value ignored", asset))
    o.sources.append(f"{p.name}:{line}")
    if get("URL") and get("URL") not in o.urls:
        o.urls.append(get("URL"))
    for col in SMM_LINK_COLUMNS:
        v = get(col)
        if not v:
            continue
        h, why = parse_handle(v)
        if h is None:
            out.problems.append(Problem(p.name, line, f"{col}: {why}", "value ignored", v))
        else:
            o.add_handle(Handle(h.platform, h.handle, f"{p.name}:{line}"))


def read_outlet_csv(path: str | Path) -> OutletSet:
    """Read an outlet evidence CSV (long format: one row per outlet and criterion)."""
    p = Path(path)
    header = _header(p)
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise MissingColumnsError(str(p), missing, "outlet evidence CSV", hint=_COLUMNS_HINT)
    idx = {c: i for i, c in enumerate(header)}
    out = OutletSet()
    n_rows = 0
    for r in _rows(p):
        if r.line == 1:
            continue
        n_rows += 1
        problem = r.problem(p.name, len(header))
        if problem is not None:
            out.problems.append(problem)
            continue
        rec = {c: r.fields[i].strip() for c, i in idx.items()}
        _csv_row(out, p, r.line, rec)
    out.inputs.append({
        "file": str(p), "format": "outlet evidence CSV", "sha256": _sha256(p), "rows": n_rows,
        "outlets": len(out.outlets), "problems": len(out.problems), "dated": None, "known_version": False,
    })
    return out


_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _csv_row(out: OutletSet, p: Path, line: int, rec: dict[str, str]) -> None:
    bad = lambda reason, value="": out.problems.append(Problem(p.name, line, reason, value=value))  # noqa: E731
    oid, crit, raw = rec["outlet_id"], rec["criterion"].strip().lower(), rec["value"]
    if not oid:
        return bad("no outlet_id")
    if not crit and not raw:  # an outlet-fields row: name, country, aliases, handles only
        o = out.outlets.get(oid)
        if o is None:
            o = out.outlets[oid] = Outlet(oid, rec.get("name") or oid, rec.get("company", ""), canonical_country(rec.get("country", "")), rec.get("region", ""))
        _merge_fields(out, p, line, o, rec)
        o.sources.append(f"{p.name}:{line}")
        return None
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", crit):
        return bad(f"criterion is not a name: {rec['criterion']!r}", oid)
    if not rec["source"]:
        return bad("no source: every value needs its citation", oid)
    conf = rec["confidence"].lower()
    if conf not in CONFIDENCES:
        return bad(f"confidence must be one of {', '.join(CONFIDENCES)}, got {rec['confidence']!r}", oid)
    try:
        when = parse_date(rec["date"])
    except ValueError as e:
        return bad(str(e), oid)
    src = f"{rec['source']} ({p.name}:{line})"
    code, uncertain, value = None, False, None
    if crit == "typology":
        code, uncertain = typology_code(raw)
        if code is None:
            return bad(f"unknown typology code {raw!r}", oid)
    else:
        low = raw.lower()
        if not (low in _TRUE or low in _FALSE or low in ("", "unknown")):
            return bad(f"value must be true, false or unknown, got {raw!r}", oid)
        value = True if low in _TRUE else False if low in _FALSE else None
    o = out.outlets.get(oid)
    if o is None:
        o = out.outlets[oid] = Outlet(oid, rec.get("name") or oid, rec.get("company", ""), canonical_country(rec.get("country", "")), rec.get("region", ""))
    _merge_fields(out, p, line, o, rec)
    o.sources.append(f"{p.name}:{line}")
    order = len(o.evidence) + 1
    if code is not None:
        o.evidence += typology_evidence(code, uncertain, confidence=conf, source=src, when=when, url=rec.get("source_url", ""), order=order)
        return None
    if crit not in CRITERIA:
        out.problems.append(Problem(p.name, line, f"{crit!r} is not a built-in criterion: only a policy that declares it reads it", "kept", oid))
    o.evidence.append(Evidence(crit, value, conf, src, when, rec.get("source_url", ""), rec.get("note", ""), order))
    return None


def _merge_fields(out: OutletSet, p: Path, line: int, o: Outlet, rec: dict[str, str]) -> None:
    """Outlet-level columns repeat on every row of an outlet: the first value wins, a different one is reported."""
    for col, attr in (("name", "name"), ("company", "company"), ("country", "country"), ("region", "region")):
        v = rec.get(col, "")
        if col == "country":
            v = canonical_country(v)
        cur = getattr(o, attr)
        if v and (not cur or (attr == "name" and cur == o.outlet_id)):
            setattr(o, attr, v)
        elif v and cur and name_key(v) != name_key(cur):
            out.problems.append(Problem(p.name, line, f"{col} {v!r} differs from {cur!r} given earlier for {o.outlet_id}; the first kept", "value ignored", v))
    for a in (x.strip() for x in rec.get("aliases", "").split("|")):
        if a and a not in o.aliases:
            o.aliases.append(a)
    for hv in (x.strip() for x in rec.get("handles", "").split("|")):
        if not hv:
            continue
        h, why = parse_handle(hv)
        if h is None:
            out.problems.append(Problem(p.name, line, f"handles: {why}", "value ignored", hv))
        else:
            o.add_handle(Handle(h.platform, h.handle, f"{p.name}:{line}"))


def merge_outlets(sets: Sequence[OutletSet]) -> OutletSet:
    """Several inputs as one: outlets with the same id pool their evidence, handles and sources.

    Evidence keeps its input order across files (a later file wins a tie of date and confidence).
    """
    out = OutletSet()
    order = 0
    for s in sets:
        out.problems += s.problems
        out.inputs += s.inputs
        for o in s:
            cur = out.outlets.get(o.outlet_id)
            if cur is None:
                cur = out.outlets[o.outlet_id] = Outlet(o.outlet_id, o.name, o.company, o.country, o.region, o.status)
            for attr in ("company", "country", "region", "status"):
                if not getattr(cur, attr):
                    setattr(cur, attr, getattr(o, attr))
            cur.aliases += [a for a in o.aliases if a not in cur.aliases]
            for h in o.handles:
                cur.add_handle(h)
            cur.urls += [u for u in o.urls if u not in cur.urls]
            cur.sources += o.sources
            for e in o.evidence:
                order += 1
                cur.evidence.append(Evidence(e.criterion, e.value, e.confidence, e.source, e.date, e.source_url, e.note, order))
    return out


# ---- as-of resolution -----------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """An outlet's criteria as of a date, and the evidence each value rests on."""

    values: dict[str, bool | None]
    typology: str | None
    used: dict[str, Evidence]
    after_as_of: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()

    def vector(self, criteria: Sequence[str]) -> tuple[bool | None, ...]:
        return tuple(self.values.get(c) for c in criteria)


def _pick(cands: list[Evidence]) -> tuple[Evidence, bool]:
    """The best of equally dated evidence: highest confidence, then the latest input; conflict flag."""
    best = min(cands, key=lambda e: (_CONF_RANK.get(e.confidence, 9), -e.order))
    top = [e for e in cands if e.confidence == best.confidence]
    return best, len({e.value for e in top}) > 1


def resolve(outlet: Outlet, as_of: date) -> Resolved:
    """Per criterion: the latest evidence on or before ``as_of``, else undated, else the earliest after."""
    by: dict[str, list[Evidence]] = {}
    for e in outlet.evidence:
        by.setdefault(e.criterion, []).append(e)
    values: dict[str, bool | None] = {}
    used: dict[str, Evidence] = {}
    after: list[str] = []
    conflicts: list[str] = []
    for crit, ev in by.items():
        before = [e for e in ev if e.date is not None and e.date <= as_of]
        undated = [e for e in ev if e.date is None]
        later = [e for e in ev if e.date is not None and e.date > as_of]
        if before:
            d = max(e.date for e in before if e.date)
            chosen, clash = _pick([e for e in before if e.date == d])
        elif undated:
            chosen, clash = _pick(undated)
        else:
            d = min(e.date for e in later if e.date)
            chosen, clash = _pick([e for e in later if e.date == d])
            after.append(crit)
        if clash:
            conflicts.append(crit)
        used[crit] = chosen
        if crit != "typology":
            values[crit] = chosen.value if isinstance(chosen.value, bool) else None
    typ = used.get("typology")
    return Resolved(values, str(typ.value) if typ else None, used, tuple(after), tuple(conflicts))


# ---- lookup -----------------------------------------------------------------------------------


def find_outlets(outlets: OutletSet, name: str, country: str | None = None) -> list[Outlet]:
    """Outlets called ``name`` (in ``country`` if given): an exact asset name first, then an
    asset alias ('DW' for 'Deutsche Welle (DW)'), then the company's name or alias.

    An outlet id matches first of all.
    """
    if name in outlets.outlets:
        return [outlets.outlets[name]]
    k = name_key(name)
    c = name_key(canonical_country(country)) if country else None
    pool = [o for o in outlets if c is None or name_key(o.country) == c]
    tiers = (
        lambda o: name_key(o.name) == k,
        lambda o: any(name_key(a) == k for a in o.aliases),
        lambda o: bool(o.company) and (name_key(o.company) == k or any(name_key(a) == k for a in name_aliases(o.company))),
    )
    for test in tiers:
        hits = [o for o in pool if test(o)]
        if hits:
            return hits
    return []
