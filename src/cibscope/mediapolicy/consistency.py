"""Same attributes, different treatment: inconsistency groups, scope gaps, skew, policies compared.

* :func:`treatment_groups` -- from the observed rows: outlets with identical criteria, under
  one policy, treated differently over the same days. Each observation holds from its date
  until the next observation of the same outlet (or the end of the policy); the days where
  two outlets of a group were both observed are compared. Groups are formed twice: on every
  criterion (which, on the State Media Matrix, is the typology) and on the criteria the
  policy reads (outlets the policy itself cannot tell apart), the second only where it adds
  a group the first did not show.
* :func:`scope_gaps` -- from the decisions alone: outlets the rule would label that the
  policy's country scope leaves out, per phase (Twitter's 2020 phase 1: the five permanent
  members of the Security Council only).
* :func:`skew` -- counts per region (the State Media Matrix's own grouping) or per country,
  of decisions and of observed verdicts.
* :func:`compare_policies` -- every outlet under every policy, side by side.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .decide import Decision, apply_policy, fmt_value
from .observed import Classified
from .outlets import CRITERIA, OutletSet, name_key, resolve
from .policy import Policy

__all__ = ["Inconsistency", "compare_policies", "scope_gaps", "skew", "treatment_groups"]

_FAR = date.max


@dataclass
class Inconsistency:
    """A group of outlets with the same criteria treated differently (or a scope gap)."""

    policy: str
    kind: str  # "applied vs not applied", "wording differs", "country scope"
    basis: str  # "all criteria", "policy's criteria", "designation"
    group: str
    typologies: tuple[str, ...]
    start: date | None
    end: date | None  # exclusive; None = open
    sides: list[dict[str, Any]] = field(default_factory=list)
    explained_by: str = ""
    note: str = ""

    def as_row(self) -> dict[str, Any]:
        return {
            "policy": self.policy, "kind": self.kind, "basis": self.basis, "group": self.group,
            "typologies": ", ".join(self.typologies),
            "from": self.start.isoformat() if self.start else "", "until": self.end.isoformat() if self.end and self.end != _FAR else "",
            "sides": " || ".join(
                f"{s['treatment']}: " + "; ".join(
                    f"{m['outlet']} ({m['country']}{', ' + m['date'] if m.get('date') else ''}"
                    + (f", {m['classification']}" if m.get("classification") else "") + ")"
                    for m in s["outlets"]
                ) + (f" (+{s['more']} more)" if s.get("more") else "")
                for s in self.sides
            ),
            "explained_by": self.explained_by, "note": self.note,
        }


# ---- observed treatment groups ------------------------------------------------------------


def _treatment(c: Classified) -> tuple[bool, str | None]:
    """(applied, wording key): a policy wording id, else the label folded; None when not reported."""
    if not c.obs.applied:
        return (False, None)
    if c.observed_wording and c.observed_wording != "other":
        return (True, "wording " + c.observed_wording)
    if c.obs.label:
        return (True, re.sub(r"[^\w%]+", " ", c.obs.label.casefold()).strip())
    return (True, None)


def _treatment_text(t: tuple[bool, str | None], labels: set[str]) -> str:
    if not t[0]:
        return "not applied"
    if t[1] is None:
        return "applied (wording not reported)"
    return "applied: " + " / ".join(sorted(repr(x) for x in labels))


@dataclass(frozen=True)
class _State:
    item: Classified
    start: date
    end: date
    treatment: tuple[bool, str | None]
    undated: bool


def _states(items: Sequence[Classified], policy: Policy) -> list[_State]:
    """Each outlet's observations as half-open intervals [date, next date) within the policy's force."""
    by: dict[tuple[str, ...], list[Classified]] = defaultdict(list)
    for c in items:
        by[c.outlet_key].append(c)
    out: list[_State] = []
    stop = policy.in_force_until or _FAR
    for key in sorted(by):
        rows = by[key]
        dated = sorted((c for c in rows if c.obs.date is not None), key=lambda c: (c.obs.date, c.obs.line))
        if not dated:  # an undated row stands for the whole period, flagged
            out += [_State(c, policy.in_force_from, stop, _treatment(c), True) for c in rows]
            continue
        for i, c in enumerate(dated):
            start = c.obs.date
            end = dated[i + 1].obs.date if i + 1 < len(dated) else stop
            if start is None or start >= stop or c.classification == "not in force":
                continue
            out.append(_State(c, start, min(end, stop), _treatment(c), False))
    return out


def _differs(treatments: Iterable[tuple[bool, str | None]]) -> str:
    ts = set(treatments)
    if len({t[0] for t in ts}) > 1:
        return "applied vs not applied"
    wordings = {t[1] for t in ts if t[0] and t[1] is not None}
    return "wording differs" if len(wordings) > 1 else ""


def _vector_label(vec: tuple[tuple[str, bool | None], ...]) -> str:
    return ", ".join(f"{c}={fmt_value(v)}" for c, v in vec)


def treatment_groups(classified: Sequence[Classified], policies: Mapping[str, Policy]) -> list[Inconsistency]:
    """Groups of identically-rated outlets the platform treated differently over the same days."""
    out: list[Inconsistency] = []
    for pid in sorted({c.obs.policy for c in classified}):
        policy = policies.get(pid)
        usable = [c for c in classified if c.obs.policy == pid and c.decision is not None and c.classification not in ("ambiguous", "unmatched")]
        if policy is None or not usable:
            continue
        states = _states(usable, policy)
        full = {id(s): _full_values(s.item) for s in states}
        reported: list[set[str]] = []
        known = tuple(c for c in CRITERIA if any(full[id(st)].get(c) is not None for st in states))
        for basis, crits in (("all criteria", known), ("policy's criteria", policy.criteria())):
            groups: dict[tuple[tuple[str, bool | None], ...], list[_State]] = defaultdict(list)
            for st in states:
                vals = full[id(st)] if basis == "all criteria" else dict(st.item.decision.criteria)  # type: ignore[union-attr]
                groups[tuple((c, vals.get(c)) for c in crits)].append(st)
            for vec, members in sorted(groups.items(), key=lambda kv: _vector_label(kv[0])):
                for inc in _segments(policy, basis, vec, members):
                    ids = {m["outlet_id"] for side in inc.sides for m in side["outlets"]}
                    if basis == "policy's criteria" and any(ids <= r for r in reported):
                        continue  # the same outlets already make a group on every criterion
                    if basis == "all criteria":
                        reported.append(ids)
                    out.append(inc)
    return out


def _full_values(c: Classified) -> dict[str, bool | None]:
    """Every criterion of the (first) matched outlet on the observation's date."""
    if not c.outlets or c.as_of is None:
        return {}
    return resolve(c.outlets[0], c.as_of).values


def _segments(policy: Policy, basis: str, vec: tuple[tuple[str, bool | None], ...], members: list[_State]) -> list[Inconsistency]:
    """Cut the group's intervals at every boundary; keep the stretches where treatments differ."""
    if len({m.item.outlet_key for m in members}) < 2:
        return []
    bounds = sorted({m.start for m in members} | {m.end for m in members})
    found: list[Inconsistency] = []
    prev_sig: tuple[Any, ...] | None = None
    for a, b in zip(bounds, bounds[1:]):
        active = [m for m in members if m.start <= a < m.end]
        kind = _differs(m.treatment for m in active)
        sig = tuple(sorted((m.item.outlet_key, m.item.obs.line) for m in active)) if kind else None
        if sig is not None and sig == prev_sig and found:
            found[-1].end = b
        elif sig is not None:
            found.append(_inconsistency(policy, basis, vec, active, kind, a, b))
        prev_sig = sig
    return found


def _inconsistency(
    policy: Policy, basis: str, vec: tuple[tuple[str, bool | None], ...], active: list[_State], kind: str, a: date, b: date
) -> Inconsistency:
    by_t: dict[tuple[bool, str | None], list[_State]] = defaultdict(list)
    for m in active:
        by_t[m.treatment].append(m)
    sides = []
    for t in sorted(by_t, key=lambda t: (not t[0], t[1] or "")):
        ms = sorted(by_t[t], key=lambda m: (m.item.obs.country, m.item.obs.outlet))
        sides.append({
            "treatment": _treatment_text(t, {m.item.obs.label for m in ms if m.item.obs.label}),
            "outlets": [_member(m) for m in ms], "more": 0,
        })
    classes = {m.item.classification for m in active}
    explained = ""
    if classes == {"applied as written"}:
        reasons = sorted({m.item.decision.decision for m in active if m.item.decision and not m.item.obs.applied})
        explained = "the policy as written: " + ", ".join(r for r in reasons if r != "does not apply") if reasons else "the policy as written"
        if "out of scope" in reasons:
            explained = "the policy's country scope"
    typs = tuple(sorted({m.item.decision.typology or "?" for m in active if m.item.decision}))
    undated = any(m.undated for m in active)
    return Inconsistency(
        policy.id, kind, basis, _vector_label(vec), typs, a, b, sides, explained,
        "includes an undated observation, taken to hold over the whole period" if undated else "",
    )


def _member(m: _State) -> dict[str, Any]:
    c = m.item
    return {
        "outlet": c.obs.outlet, "outlet_id": " | ".join(c.outlet_key), "country": c.obs.country,
        "label": c.obs.label, "date": c.obs.date_text or "undated", "classification": c.classification,
        "source_title": c.obs.source_title, "source_url": c.obs.source_url, "typology": c.decision.typology if c.decision else "",
    }


# ---- scope gaps ------------------------------------------------------------------------------


def scope_gaps(policy: Policy, outlets: OutletSet, *, examples: Sequence[str] = (), n_examples: int = 8) -> list[Inconsistency]:
    """Per scope phase: outlets the rule would label, in scope vs left out by country.

    examples : outlet ids to show first (e.g. the outlets of the observed table).
    """
    out: list[Inconsistency] = []
    first = {e: i for i, e in enumerate(dict.fromkeys(examples))}
    for phase in policy.scopes:
        ds = apply_policy(policy, outlets, phase.start)
        fires = [d for d in ds if d.rule_value is True and not d.exemption]
        inside = [d for d in fires if d.decision == "applies"]
        outside = [d for d in fires if d.decision == "out of scope"]
        if not outside:
            continue
        end = next((s.start for s in policy.scopes if s.start > phase.start), policy.in_force_until)
        sides = [_scope_side(f"in scope: {policy.action}", inside, first, n_examples), _scope_side("out of scope: no " + policy.action, outside, first, n_examples)]
        countries = Counter(d.country for d in outside)
        top = ", ".join(f"{c} ({n})" for c, n in sorted(countries.items(), key=lambda kv: (-kv[1], kv[0]))[:12])
        out.append(Inconsistency(
            policy.id, "country scope", "designation", f"the rule fires ({policy.rule.text}), no exemption holds",
            tuple(sorted({d.typology or "?" for d in fires})), phase.start, end, sides,
            "", f"{phase.id}: {len(inside):,} outlets in {len({d.country for d in inside})} countries in scope, "
            f"{len(outside):,} in {len(countries)} countries left out; most left out: {top}",
        ))
    return out


def _scope_side(label: str, ds: list[Decision], first: Mapping[str, int], n: int) -> dict[str, Any]:
    ranked = sorted(ds, key=lambda d: (first.get(d.outlet_id, len(first)), d.country, d.outlet))
    return {
        "treatment": f"{label} ({len(ds):,} outlets)",
        "outlets": [
            {"outlet": d.outlet, "outlet_id": d.outlet_id, "country": d.country, "typology": d.typology or "", "label": "",
             "date": "", "classification": "", "source_title": "", "source_url": ""}
            for d in ranked[:n]
        ],
        "more": max(0, len(ds) - n),
    }


# ---- skew -----------------------------------------------------------------------------------------


def skew(
    decisions: Mapping[str, Sequence[Decision]], classified: Sequence[Classified], outlets: OutletSet,
    *, blocs: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Counts per bloc (region, or the given country->bloc map) and per country, long format:
    policy, basis (designation | observed), level (region | bloc | country), group, category, n."""
    rows: Counter[tuple[str, str, str, str, str]] = Counter()

    def groups(country: str, region: str) -> list[tuple[str, str]]:
        g = [("region", region or "unknown region"), ("country", country or "unknown country")]
        if blocs is not None:
            g.append(("bloc", blocs.get(name_key(country), "unassigned")))
        return g

    for pid, ds in decisions.items():
        for d in ds:
            for level, grp in groups(d.country, d.region):
                rows[(pid, "designation", level, grp, d.decision)] += 1
    for c in classified:
        if not c.outlets:
            continue
        o = c.outlets[0]
        for level, grp in groups(o.country, o.region):
            rows[(c.obs.policy, "observed", level, grp, c.classification)] += 1
            rows[(c.obs.policy, "observed", level, grp, "applied" if c.obs.applied else "not applied")] += 1
    keys = ("policy", "basis", "level", "group", "category")
    return [dict(zip(keys, k), n=n) for k, n in sorted(rows.items())]


# ---- policies side by side --------------------------------------------------------------------------


def compare_policies(decisions: Mapping[str, Sequence[Decision]]) -> list[dict[str, Any]]:
    """One row per outlet: its decision (and wording) under each policy, and whether they agree."""
    by: dict[str, dict[str, Decision]] = defaultdict(dict)
    for pid, ds in decisions.items():
        for d in ds:
            by[d.outlet_id][pid] = d
    rows = []
    for oid in sorted(by):
        per = by[oid]
        any_d = next(iter(per.values()))
        row: dict[str, Any] = {"outlet_id": oid, "outlet": any_d.outlet, "country": any_d.country, "typology": any_d.typology}
        for pid in decisions:
            d = per.get(pid)
            row[pid] = "" if d is None else d.decision + (f": {d.wording}" if d.wording else "")
        acts = {per[p].applies for p in per if per[p].decision not in ("not in force", "undetermined")}
        row["policies_agree"] = len(acts) <= 1
        rows.append(row)
    return rows
