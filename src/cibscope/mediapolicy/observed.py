"""What a platform actually did, compared with what its written policy says it should have done.

The observed-treatment table has one row per outlet, policy and date: the label text (or
none), and the citation that reports it. ``data/observed-treatment.csv`` ships about forty
rows built by hand from the press coverage of the Facebook (June 2020), Twitter (August 2020,
February 2021, April 2023) and YouTube (February 2018) announcements; every row cites its
source. Twitter's 2019 advertising ban has no rows: Twitter published no list.

Columns: ``policy, outlet, date, treatment, source_url`` (required) and ``country, outlet_id,
label, source_title, source_date, evidence, note``. ``date`` is ``YYYY-MM-DD``, ``YYYY-MM`` or
``YYYY`` (a period is read as its last day, the latest the source vouches for) or empty when
the source gives none (compared with the policy at its reference date). ``treatment`` is
``applied`` or ``not applied`` (``labelled``/``unlabelled`` and the like are accepted).

Each row is classified against the policy's decision for the outlet on that date:

* **applied as written**: treated as the rule says (labelled when it applies, not labelled
  when it does not, is exempt or out of scope);
* **missed**: the rule applies and no exemption or scope excuses the outlet, yet no label;
* **over-applied**: labelled although the rule does not apply, an exemption holds, the
  country is out of scope, or the policy was not in force;
* **wording inconsistent**: labelled as the rule says, but not in the wording the policy uses
  for such an outlet;
* **undetermined** (the evidence leaves the rule open), **not in force** (no label and no
  policy), **unmatched** (no outlet of that name), **ambiguous** (the name matches outlets the
  policy treats differently), **policy not loaded**.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import MissingColumnsError
from .decide import Decision, decide
from .outlets import _COLUMNS_HINT, Outlet, OutletSet, Problem, _existing_file, _header, _rows, canonical_country, find_outlets, parse_date
from .policy import Policy

__all__ = ["CLASSES", "Classified", "Observation", "classify_observed", "observed_wording", "read_observed", "shipped_observed"]

CLASSES = (
    "applied as written", "missed", "over-applied", "wording inconsistent", "undetermined",
    "not in force", "unmatched", "ambiguous", "policy not loaded",
)
OBS_REQUIRED = ("policy", "outlet", "date", "treatment", "source_url")
OBS_OPTIONAL = ("country", "outlet_id", "label", "source_title", "source_date", "evidence", "note")
_APPLIED = {"applied", "labelled", "labeled", "label", "banned", "shown", "yes", "true"}
_NOT_APPLIED = {"not applied", "unlabelled", "unlabeled", "no label", "none", "not banned", "not shown", "removed", "no", "false"}


@dataclass(frozen=True)
class Observation:
    """One row of an observed-treatment table."""

    file: str
    line: int
    policy: str
    outlet: str
    country: str
    outlet_id: str
    date_text: str
    date: date | None
    applied: bool
    label: str
    source_title: str
    source_url: str
    source_date: str
    evidence: str
    note: str


def shipped_observed() -> Path:
    """The shipped observed-treatment table (a file inside the installed package)."""
    return Path(str(resources.files("cibscope.mediapolicy") / "data" / "observed-treatment.csv"))


def read_observed(path: str | Path) -> tuple[list[Observation], list[Problem]]:
    """The rows of an observed-treatment table, and the rows that could not be read (with why)."""
    p = Path(path)
    _existing_file(p, "an observed-treatment file", "see docs/media-policy.md for its columns")
    header = _header(p)
    missing = [c for c in OBS_REQUIRED if c not in header]
    if missing:
        raise MissingColumnsError(str(p), missing, "observed-treatment table", hint=_COLUMNS_HINT)
    idx = {c: i for i, c in enumerate(header)}
    rows: list[Observation] = []
    problems: list[Problem] = []
    for r in _rows(p):
        if r.line == 1:
            continue
        problem = r.problem(p.name, len(header))
        if problem is not None:
            problems.append(problem)
            continue
        line = r.line
        rec = {c: r.fields[i].strip() for c, i in idx.items()}
        obs, why = _observation(p.name, line, rec)
        if obs is None:
            problems.append(Problem(p.name, line, why, value=rec.get("outlet", "")))
        else:
            rows.append(obs)
    return rows, problems


def _observation(file: str, line: int, rec: dict[str, str]) -> tuple[Observation | None, str]:
    if not rec["policy"] or not (rec["outlet"] or rec.get("outlet_id")):
        return None, "no policy or no outlet"
    if not rec["source_url"]:
        return None, "no source_url: every observed row needs its citation"
    t = re.sub(r"\s+", " ", rec["treatment"].lower())
    if t not in _APPLIED and t not in _NOT_APPLIED:
        return None, f"treatment must be 'applied' or 'not applied', got {rec['treatment']!r}"
    try:
        when = parse_date(rec["date"], end=True)
    except ValueError as e:
        return None, str(e)
    applied = t in _APPLIED
    if not applied and rec.get("label"):
        return None, f"treatment {rec['treatment']!r} with a label {rec['label']!r}"
    g = rec.get
    return Observation(
        file, line, rec["policy"], rec["outlet"], canonical_country(g("country", "")), g("outlet_id", ""), rec["date"], when,
        applied, g("label", ""), g("source_title", ""), rec["source_url"], g("source_date", ""), g("evidence", ""), g("note", ""),
    ), ""


def observed_wording(policy: Policy, label: str) -> str:
    """The id of the first wording whose pattern matches ``label``; 'other' if none does; '' without a label."""
    if not label or not policy.wordings:
        return ""
    for w in policy.wordings:
        if any(p.search(label) for p in w.match):
            return w.id
    return "other"


@dataclass(frozen=True)
class Classified:
    """An observation with its outlet(s), the policy's decision on its date and the verdict."""

    obs: Observation
    outlets: tuple[Outlet, ...]
    decision: Decision | None
    classification: str
    reason: str
    observed_wording: str
    as_of: date | None

    @property
    def outlet_key(self) -> tuple[str, ...]:
        return tuple(sorted(o.outlet_id for o in self.outlets))

    def as_row(self) -> dict[str, Any]:
        o, d = self.obs, self.decision
        return {
            "line": o.line, "policy": o.policy, "outlet": o.outlet, "country": o.country, "date": o.date_text,
            "as_of": self.as_of.isoformat() if self.as_of else "", "treatment": "applied" if o.applied else "not applied",
            "label": o.label, "observed_wording": self.observed_wording,
            "outlet_ids": " | ".join(self.outlet_key), "typology": d.typology if d else "",
            "criteria": d.as_row()["criteria"] if d else "", "predicted": d.decision if d else "",
            "predicted_wording": d.wording if d else "", "trace": d.trace() if d else "",
            "classification": self.classification, "reason": self.reason,
            "evidence_after_as_of": ", ".join(d.evidence_after_as_of) if d else "",
            "source_title": o.source_title, "source_url": o.source_url, "source_date": o.source_date,
            "evidence": o.evidence, "note": o.note,
        }


def _resolve(obs: Observation, outlets: OutletSet) -> list[Outlet]:
    if obs.outlet_id:
        o = outlets.get(obs.outlet_id)
        if o is not None:
            return [o]
    return find_outlets(outlets, obs.outlet, obs.country or None) if obs.outlet else []


def classify_observed(
    observations: Sequence[Observation], outlets: OutletSet, policies: Mapping[str, Policy]
) -> list[Classified]:
    """Each observation against its policy's decision for the outlet on the observation's date."""
    return [_classify(obs, outlets, policies.get(obs.policy)) for obs in observations]


def _classify(obs: Observation, outlets: OutletSet, policy: Policy | None) -> Classified:
    ow = observed_wording(policy, obs.label) if policy else ""
    if policy is None:
        return Classified(obs, (), None, "policy not loaded", f"policy {obs.policy!r} is not among the policies applied", ow, None)
    matched = tuple(_resolve(obs, outlets))
    if not matched:
        where = f" in {obs.country}" if obs.country else ""
        return Classified(obs, (), None, "unmatched", f"no outlet called {obs.outlet or obs.outlet_id!r}{where}", ow, None)
    as_of = obs.date or policy.default_date
    decisions = [decide(policy, o, as_of) for o in matched]
    if len({(d.decision, d.wording) for d in decisions}) > 1:
        kinds = "; ".join(f"{d.outlet}: {d.decision}" for d in decisions)
        return Classified(obs, matched, decisions[0], "ambiguous", f"the name matches outlets the policy treats differently ({kinds}); give outlet_id", ow, as_of)
    d = decisions[0]
    cls, reason = _verdict(obs, d, ow, policy)
    if obs.date is None:
        reason += f" (undated: compared with the policy on its reference date {as_of.isoformat()})"
    return Classified(obs, matched, d, cls, reason, ow, as_of)


def _verdict(obs: Observation, d: Decision, ow: str, policy: Policy) -> tuple[str, str]:
    seen = f"labelled {obs.label!r}" if obs.applied and obs.label else ("applied" if obs.applied else "not applied")
    if d.decision == "not in force":
        if obs.applied:
            return "over-applied", f"{seen}, but {d.trace()}"
        return "not in force", f"{seen}; {d.trace()}"
    if d.decision == "undetermined":
        return "undetermined", f"{seen}; {d.trace()}"
    if d.applies:
        if not obs.applied:
            return "missed", f"not applied, but {d.trace()} and no exemption or scope excuses it"
        if obs.label and policy.wordings and ow != d.wording:
            tmpl = f" ({d.wording_template})" if d.wording_template else ""
            inferred = "" if policy.wording_rule_published else " (wording rule inferred, not published)"
            return "wording inconsistent", f"{seen}: the policy's wording for this outlet is {d.wording or 'undetermined'}{tmpl}{inferred}"
        return "applied as written", f"{seen}; {d.trace()}"
    if obs.applied:
        return "over-applied", f"{seen}, but {d.trace()}"
    return "applied as written", f"{seen}; {d.trace()}"
