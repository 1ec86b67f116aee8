"""A policy applied uniformly to every outlet, as of a date, with a trace of each decision.

The order of the questions is the same for every policy and every outlet:

1. Was the policy in force on the date?            no  -> ``not in force``
2. Was the outlet's country in the policy's scope?  no  -> ``out of scope``
3. Does an exemption's condition hold?              yes -> ``exempt`` (the first that holds)
4. Does the rule hold?                              yes -> ``applies``, no -> ``does not apply``,
                                                    unknown -> ``undetermined``

Every decision records the criteria that decided the rule (``fired``), the exemption that
applied, the exemptions whose condition was unknown (``exemptions_untested``: an exemption
is never assumed), the phase of the scope, the wording the label would take, and the
evidence behind each value -- flagged when it is dated after the as-of date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .expr import evaluate
from .outlets import Outlet, OutletSet, Resolved, resolve
from .policy import Policy

__all__ = ["DECISIONS", "Decision", "apply_policy", "decide", "fmt_value"]

DECISIONS = ("applies", "does not apply", "exempt", "out of scope", "not in force", "undetermined")


def fmt_value(v: bool | None) -> str:
    return "unknown" if v is None else ("true" if v else "false")


@dataclass(frozen=True)
class Decision:
    policy_id: str
    policy_version: str
    action: str
    as_of: date
    outlet_id: str
    outlet: str
    company: str
    country: str
    region: str
    typology: str | None
    decision: str
    rule_value: bool | None
    fired: tuple[str, ...]
    exemption: str
    exemptions_untested: tuple[str, ...]
    scope: str
    in_scope: bool | None
    wording: str
    wording_template: str
    criteria: tuple[tuple[str, bool | None], ...]
    evidence: str
    evidence_after_as_of: tuple[str, ...]
    conflicts: tuple[str, ...]

    @property
    def applies(self) -> bool:
        return self.decision == "applies"

    def trace(self) -> str:
        """One line: why this decision."""
        crit = dict(self.criteria)
        why = ", ".join(f"{c}={fmt_value(crit.get(c))}" for c in self.fired)
        if self.decision == "not in force":
            return f"the policy was not in force on {self.as_of.isoformat()}"
        if self.decision == "out of scope":
            return f"{self.country or 'the country'} is not covered by the policy's scope ({self.scope or 'before the first phase'}) on {self.as_of.isoformat()}"
        if self.decision == "exempt":
            return f"exemption {self.exemption} applies"
        if self.decision == "undetermined":
            return f"the rule is undetermined: {why} (no evidence)"
        return f"the rule {'holds' if self.applies else 'does not hold'}: {why}"

    def as_row(self) -> dict[str, Any]:
        crit = dict(self.criteria)
        return {
            "policy": self.policy_id, "policy_version": self.policy_version, "action": self.action,
            "as_of": self.as_of.isoformat(), "outlet_id": self.outlet_id, "outlet": self.outlet,
            "company": self.company, "country": self.country, "region": self.region, "typology": self.typology,
            "decision": self.decision, "rule": fmt_value(self.rule_value),
            "criteria_fired": ", ".join(f"{c}={fmt_value(crit.get(c))}" for c in self.fired),
            "exemption": self.exemption, "exemptions_untested": ", ".join(self.exemptions_untested),
            "scope_phase": self.scope, "in_scope": self.in_scope, "wording": self.wording,
            "wording_template": self.wording_template, "trace": self.trace(),
            "criteria": ", ".join(f"{c}={fmt_value(v)}" for c, v in self.criteria),
            "evidence": self.evidence, "evidence_after_as_of": ", ".join(self.evidence_after_as_of),
            "conflicting_evidence": ", ".join(self.conflicts),
        }


def decide(policy: Policy, outlet: Outlet, as_of: date, resolved: Resolved | None = None) -> Decision:
    """The policy's decision for one outlet on ``as_of`` (see the module docstring for the order)."""
    r = resolved or resolve(outlet, as_of)
    values = r.values
    rule_value, fired = evaluate(policy.rule, values)
    exempt, untested = "", []
    ex_witness: tuple[str, ...] = ()
    for e in policy.exemptions:
        v, w = evaluate(e.when, values)
        if v is True and not exempt:
            exempt, ex_witness = e.id, w
        elif v is None:
            untested.append(e.id)
    phase = policy.scope_at(as_of)
    in_scope = None if not policy.scopes else (phase is not None and phase.covers(outlet.country))
    if not policy.in_force(as_of):
        decision = "not in force"
    elif in_scope is False:
        decision = "out of scope"
    elif exempt:
        decision = "exempt"
    else:
        decision = {True: "applies", False: "does not apply", None: "undetermined"}[rule_value]
    wording, template = _wording(policy, values) if decision == "applies" else ("", "")
    read = policy.criteria()
    shown = tuple(dict.fromkeys((*fired, *ex_witness)))
    evidence = "; ".join(r.used[c].describe() for c in shown if c in r.used)
    return Decision(
        policy.id, policy.version, policy.action, as_of, outlet.outlet_id, outlet.name, outlet.company,
        outlet.country, outlet.region, r.typology, decision, rule_value, fired, exempt,
        tuple(untested) if decision in ("applies", "undetermined") else (), phase.id if phase else "",
        in_scope, wording, template, tuple((c, values.get(c)) for c in read), evidence,
        tuple(c for c in r.after_as_of if c in read or c == "typology"), tuple(c for c in r.conflicts if c in read),
    )


def _wording(policy: Policy, values: dict[str, bool | None]) -> tuple[str, str]:
    """The first wording whose condition holds; ('', '') when an earlier one is unknown or none holds."""
    for w in policy.wordings:
        v, _ = evaluate(w.when, values)
        if v is True:
            return w.id, w.template
        if v is None:
            return "", ""
    return "", ""


def apply_policy(policy: Policy, outlets: OutletSet | Iterable[Outlet], as_of: date | None = None) -> list[Decision]:
    """Every outlet's decision under ``policy`` on ``as_of`` (default: the policy's reference date), by outlet id."""
    d = as_of or policy.default_date
    return [decide(policy, o, d) for o in sorted(outlets, key=lambda o: o.outlet_id)]
