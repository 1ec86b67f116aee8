"""Platform policies as data: one versioned, documented TOML file per policy.

A policy file says who made the rule and when it was in force, quotes the published test,
and encodes it: a decision ``rule`` over named criteria, ``[[exemption]]`` carve-outs,
``[[scope]]`` phases (the countries covered from a date on), ``[[wording]]`` (the label
texts and when each is used) and ``[[source]]`` citations. Factors the platform named but
that no criterion can carry (a country's press-freedom score, an appeal's evidence) are
listed under ``not_encoded`` so every decision says what it could not weigh.

Shipped policies live in ``data/policies/`` (:func:`shipped_policies`); a user writes their
own in the same format (docs/media-policy.md) and passes its path.

Minimal file::

    schema = 1
    [policy]
    id = "my-policy"
    version = "1"
    platform = "Example"
    title = "Labels for state-controlled media"
    action = "label"
    in_force_from = 2020-01-01
    test = "media under the editorial control of the state"
    rule = "editorial_control"

    [[source]]
    title = "Our policy"
    url = "https://example.org/policy"
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..tomlfile import read_toml
from .expr import Expr, ExprError, parse
from .outlets import CRITERIA, canonical_country, name_key

__all__ = ["Policy", "Scope", "Exemption", "Wording", "Source", "load_policy", "parse_policy", "shipped_policies", "get_policy"]

SCHEMA = 1
_POLICY_KEYS = {
    "id": True, "version": True, "platform": True, "title": True, "action": True, "in_force_from": True,
    "test": True, "rule": True, "in_force_until": False, "reference_date": False, "effect": False,
    "published_list": False, "wording_rule_published": False, "not_encoded": False, "notes": False,
}
_SECTION_KEYS = {
    "exemption": ({"id", "when", "text"}, {"note"}),
    "scope": ({"id", "from"}, {"countries", "add_countries", "remove_countries", "note", "source"}),
    "wording": ({"id", "template", "when"}, {"match", "note"}),
    "source": ({"title"}, {"publisher", "date", "url", "kind", "quote", "note"}),
    "criterion": ({"name", "description"}, set()),
}


@dataclass(frozen=True)
class Exemption:
    id: str
    text: str
    when: Expr
    note: str = ""


@dataclass(frozen=True)
class Scope:
    """A phase: from ``start`` on, the policy covers outlets of ``countries`` (None: every country)."""

    id: str
    start: date
    countries: frozenset[str] | None
    note: str = ""
    source: str = ""

    def covers(self, country: str) -> bool:
        return self.countries is None or name_key(canonical_country(country)) in self.countries


@dataclass(frozen=True)
class Wording:
    id: str
    template: str
    when: Expr
    match: tuple[re.Pattern[str], ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Source:
    title: str
    publisher: str = ""
    date: str = ""
    url: str = ""
    kind: str = ""
    quote: str = ""
    note: str = ""


@dataclass(frozen=True)
class Policy:
    id: str
    version: str
    platform: str
    title: str
    action: str
    in_force_from: date
    test: str
    rule: Expr
    in_force_until: date | None = None  # exclusive: the first day it no longer applied
    reference_date: date | None = None
    effect: str = ""
    published_list: bool | None = None
    wording_rule_published: bool = True
    not_encoded: tuple[str, ...] = ()
    notes: str = ""
    exemptions: tuple[Exemption, ...] = ()
    scopes: tuple[Scope, ...] = ()
    wordings: tuple[Wording, ...] = ()
    sources: tuple[Source, ...] = ()
    extra_criteria: dict[str, str] = field(default_factory=dict)
    path: str = ""

    def in_force(self, d: date) -> bool:
        return d >= self.in_force_from and (self.in_force_until is None or d < self.in_force_until)

    def scope_at(self, d: date) -> Scope | None:
        """The phase in force at ``d`` (None when the policy has no country scope or is not yet in force)."""
        current = None
        for s in self.scopes:
            if s.start <= d:
                current = s
        return current

    @property
    def default_date(self) -> date:
        """Where the policy is evaluated when no as-of date is given: its reference date,
        else the day it came into force."""
        return self.reference_date or self.in_force_from

    @property
    def last_day(self) -> date | None:
        return None if self.in_force_until is None else self.in_force_until - timedelta(days=1)

    def criteria(self) -> tuple[str, ...]:
        """Every criterion the rule, the exemptions and the wordings read, in first-use order."""
        seen: dict[str, None] = {}
        for e in (self.rule, *(x.when for x in self.exemptions), *(w.when for w in self.wordings)):
            for n in e.names():
                seen.setdefault(n, None)
        return tuple(seen)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id, "version": self.version, "platform": self.platform, "title": self.title,
            "action": self.action, "in_force_from": self.in_force_from.isoformat(),
            "in_force_until": self.in_force_until.isoformat() if self.in_force_until else None,
            "test": self.test, "rule": self.rule.text, "effect": self.effect, "published_list": self.published_list,
            "exemptions": [{"id": e.id, "text": e.text, "when": e.when.text, "note": e.note} for e in self.exemptions],
            "scopes": [
                {"id": s.id, "from": s.start.isoformat(), "countries": sorted(s.countries) if s.countries is not None else None, "note": s.note}
                for s in self.scopes
            ],
            "wordings": [{"id": w.id, "template": w.template, "when": w.when.text, "note": w.note} for w in self.wordings],
            "wording_rule_published": self.wording_rule_published,
            "not_encoded": list(self.not_encoded), "notes": self.notes,
            "sources": [s.__dict__ for s in self.sources], "path": self.path,
        }


def load_policy(path: str | Path) -> Policy:
    """Read and check a policy TOML file; InputError names the file and what is wrong."""
    p = Path(path)
    data = read_toml(p, "policy file", hint="give a policy TOML file or a shipped policy id (cibscope media-policy --list-policies)")
    return parse_policy(data, source=str(p))


def _date(v: Any, what: str, source: str) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    raise InputError(f"{what} must be a TOML date (e.g. 2020-08-06), got {v!r}", file=source)


def _expr(text: Any, what: str, source: str, known: set[str]) -> Expr:
    try:
        e = parse(text)
    except ExprError as err:
        raise InputError(f"{what}: {err}", file=source, hint="a rule uses criterion names, and, or, not, true, false and parentheses") from err
    unknown = [n for n in e.names() if n not in known]
    if unknown:
        raise InputError(
            f"{what}: unknown criterion {', '.join(repr(n) for n in unknown)}",
            file=source,
            hint="built-in criteria: " + ", ".join(CRITERIA) + "; declare others in a [[criterion]] table",
        )
    return e


def _check_keys(table: dict[str, Any], required: set[str], optional: set[str], what: str, source: str) -> None:
    missing = sorted(k for k in required if k not in table)
    if missing:
        raise InputError(f"{what}: missing {', '.join(missing)}", file=source)
    unknown = sorted(set(table) - required - optional)
    if unknown:
        raise InputError(f"{what}: unknown key(s) {', '.join(unknown)}", file=source, hint="allowed: " + ", ".join(sorted(required | optional)))


def parse_policy(data: dict[str, Any], source: str = "<policy>") -> Policy:
    """A :class:`Policy` from parsed TOML; every problem is an InputError naming ``source``."""
    if data.get("schema", SCHEMA) != SCHEMA:
        raise InputError(f"policy schema {data.get('schema')!r}, this cibscope reads schema {SCHEMA}", file=source)
    unknown_top = sorted(set(data) - {"schema", "policy", *_SECTION_KEYS})
    if unknown_top:
        raise InputError(f"unknown table(s) {', '.join(unknown_top)}", file=source, hint="tables: [policy], [[exemption]], [[scope]], [[wording]], [[source]], [[criterion]]")
    pol = data.get("policy")
    if not isinstance(pol, dict):
        raise InputError("no [policy] table", file=source)
    _check_keys(pol, {k for k, req in _POLICY_KEYS.items() if req}, {k for k, req in _POLICY_KEYS.items() if not req}, "[policy]", source)
    sections: dict[str, list[dict[str, Any]]] = {}
    for name, (req, opt) in _SECTION_KEYS.items():
        items = data.get(name, [])
        if not isinstance(items, list):
            raise InputError(f"{name} must be an array of tables ([[{name}]])", file=source)
        for i, t in enumerate(items, 1):
            _check_keys(t, req, opt, f"[[{name}]] #{i}", source)
        sections[name] = items
    if not sections["source"]:
        raise InputError("no [[source]]: a policy must cite where its text comes from", file=source)
    extra = {str(c["name"]): str(c["description"]) for c in sections["criterion"]}
    known = set(CRITERIA) | set(extra)
    pid = str(pol["id"])
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", pid):
        raise InputError(f"policy id {pid!r}: use lower-case letters, digits, '-', '.' and '_'", file=source)
    start = _date(pol["in_force_from"], "in_force_from", source)
    until = _date(pol["in_force_until"], "in_force_until", source) if "in_force_until" in pol else None
    if until is not None and until <= start:
        raise InputError("in_force_until must be after in_force_from", file=source)
    ids = [x["id"] for x in sections["exemption"] + sections["wording"]]
    if len(ids) != len(set(ids)):
        raise InputError("duplicate exemption or wording id", file=source)
    return Policy(
        id=pid, version=str(pol["version"]), platform=str(pol["platform"]), title=str(pol["title"]),
        action=str(pol["action"]), in_force_from=start, test=str(pol["test"]),
        rule=_expr(pol["rule"], "rule", source, known), in_force_until=until,
        reference_date=_date(pol["reference_date"], "reference_date", source) if "reference_date" in pol else None,
        effect=str(pol.get("effect", "")), published_list=pol.get("published_list"),
        wording_rule_published=bool(pol.get("wording_rule_published", True)),
        not_encoded=tuple(str(x) for x in pol.get("not_encoded", [])), notes=str(pol.get("notes", "")).strip(),
        exemptions=tuple(
            Exemption(str(e["id"]), str(e["text"]), _expr(e["when"], f"exemption {e['id']!r}", source, known), str(e.get("note", "")))
            for e in sections["exemption"]
        ),
        scopes=_scopes(sections["scope"], source),
        wordings=tuple(_wording(w, source, known) for w in sections["wording"]),
        sources=tuple(
            Source(*(str(s.get(k, "")) for k in ("title", "publisher", "date", "url", "kind", "quote", "note")))
            for s in sections["source"]
        ),
        extra_criteria=extra, path=source,
    )


def _wording(w: dict[str, Any], source: str, known: set[str]) -> Wording:
    pats = []
    for m in w.get("match", []):
        try:
            pats.append(re.compile(str(m), re.IGNORECASE))
        except re.error as e:
            raise InputError(f"wording {w['id']!r}: bad match pattern {m!r} ({e})", file=source) from e
    return Wording(str(w["id"]), str(w["template"]), _expr(w["when"], f"wording {w['id']!r}", source, known), tuple(pats), str(w.get("note", "")))


def _scopes(items: list[dict[str, Any]], source: str) -> tuple[Scope, ...]:
    """Phases in date order; each phase's countries are the previous ones plus/minus its changes."""
    out: list[Scope] = []
    current: set[str] | None = None
    for s in sorted(items, key=lambda t: _date(t["from"], f"scope {t['id']!r} from", source)):
        start = _date(s["from"], f"scope {s['id']!r} from", source)
        if "countries" in s:
            current = {name_key(canonical_country(c)) for c in s["countries"]}
        elif current is None:
            raise InputError(f"scope {s['id']!r}: the first phase needs `countries`", file=source)
        else:
            current = set(current)
        current |= {name_key(canonical_country(c)) for c in s.get("add_countries", [])}
        current -= {name_key(canonical_country(c)) for c in s.get("remove_countries", [])}
        out.append(Scope(str(s["id"]), start, frozenset(current), str(s.get("note", "")), str(s.get("source", ""))))
    return tuple(out)


@cache
def shipped_policies() -> dict[str, Policy]:
    """The policies shipped in data/policies/, by id (in file-name order)."""
    folder = resources.files("cibscope.mediapolicy") / "data" / "policies"
    out: dict[str, Policy] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            pol = parse_policy(tomllib.loads(entry.read_text(encoding="utf-8")), source=f"cibscope/mediapolicy/data/policies/{entry.name}")
            out[pol.id] = pol
    return out


def get_policy(ref: str | Path) -> Policy:
    """A shipped policy by id, or a policy file by path."""
    shipped = shipped_policies()
    if str(ref) in shipped:
        return shipped[str(ref)]
    p = Path(ref)
    if p.suffix == ".toml" or p.exists():
        return load_policy(p)
    raise InputError(f"unknown policy {str(ref)!r}", hint="shipped policies: " + ", ".join(shipped) + "; or give the path of a policy TOML file")
