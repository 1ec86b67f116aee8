"""State-controlled-media policy audit: platform policies as data, applied uniformly, inconsistencies shown.

>>> r = run_media_policy(["State_Media_Matrix.csv"], out="mp/")          # doctest: +SKIP
>>> r.summary()["observed"]                                              # doctest: +SKIP
{'applied as written': 17, 'over-applied': 15, 'missed': 1, ...}

Steps, each a plain function over plain data:

1. :mod:`.outlets` -- outlets and per-criterion evidence (the State Media Matrix, or your CSV);
2. :mod:`.policy` -- the policies (shipped TOML files, or yours);
3. :mod:`.decide` -- every outlet under every policy as of a date, with a decision trace;
4. :mod:`.observed` -- what the platforms did (the shipped, cited table, or yours), classified
   as applied as written / missed / over-applied / wording inconsistent;
5. :mod:`.consistency` -- identically-rated outlets treated differently, scope gaps, skew per
   region and country, the policies side by side;
6. :mod:`.case_link` -- a case's accounts that are outlets' accounts (table ``state_media_accounts``);
7. :mod:`.report` -- one offline HTML page.

What it can tell and what it cannot: it checks a *designation* (what the policy as written
says about an outlet, given the evidence) against the *treatment* the press reported. It
cannot see the platforms' private evidence, appeals or unpublished lists, and its premises
are the outlet ratings it is given (the State Media Matrix is MJRC's expert judgement of
2023). See docs/media-policy.md.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..export import write_csv
from ..progress import Progress, step
from .consistency import Inconsistency, compare_policies, scope_gaps, skew, treatment_groups
from .decide import Decision, apply_policy
from .observed import Classified, classify_observed, read_observed, shipped_observed
from .outlets import CRITERIA, OutletSet, Problem, _existing_file, _header, _rows, canonical_country, merge_outlets, name_key, read_outlets, resolve
from .policy import Policy, get_policy, shipped_policies

__all__ = [
    "MediaPolicyResult", "apply_policy", "classify_observed", "get_policy", "read_observed", "read_outlets",
    "run_media_policy", "shipped_observed", "shipped_policies",
]

DECISION_COLUMNS = (
    "policy", "policy_version", "action", "as_of", "outlet_id", "outlet", "company", "country", "region", "typology",
    "decision", "rule", "criteria_fired", "exemption", "exemptions_untested", "scope_phase", "in_scope", "wording",
    "wording_template", "trace", "criteria", "evidence", "evidence_after_as_of", "conflicting_evidence",
)
OBSERVED_COLUMNS = (
    "line", "policy", "outlet", "country", "date", "as_of", "treatment", "label", "observed_wording", "outlet_ids",
    "typology", "criteria", "predicted", "predicted_wording", "trace", "classification", "reason", "evidence_after_as_of",
    "source_title", "source_url", "source_date", "evidence", "note",
)
INCONSISTENCY_COLUMNS = ("policy", "kind", "basis", "group", "typologies", "from", "until", "sides", "explained_by", "note")
EVIDENCE_COLUMNS = ("outlet_id", "criterion", "value", "confidence", "source", "source_url", "date", "note")
CASE_COLUMNS = (
    "account_id", "platform", "screen_name", "matched_on", "outlet_id", "outlet", "country", "typology", "policy",
    "as_of", "decision", "wording", "score", "flagged", "group_id", "claimed", "verdict",
)


@dataclass
class MediaPolicyResult:
    """Everything one run found; the CLI prints a summary, the files hold it in full."""

    policies: dict[str, Policy]
    outlets: OutletSet
    as_of: date | None
    decisions: dict[str, list[Decision]]
    classified: list[Classified] = field(default_factory=list)
    inconsistencies: list[Inconsistency] = field(default_factory=list)
    compare: list[dict[str, Any]] = field(default_factory=list)
    skew: list[dict[str, Any]] = field(default_factory=list)
    case_accounts: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    observed_source: str = ""
    observed_skipped: int = 0
    case_path: str = ""
    files: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else "each policy's reference date",
            "inputs": self.outlets.inputs,
            "outlets": len(self.outlets),
            "policies": {
                pid: {
                    "version": p.version, "as_of": (self.as_of or p.default_date).isoformat(),
                    "decisions": dict(sorted(Counter(d.decision for d in self.decisions[pid]).items())),
                }
                for pid, p in self.policies.items()
            },
            "observed_table": self.observed_source,
            "observed_rows": len(self.classified),
            "observed_rows_for_other_policies": self.observed_skipped,
            "observed": dict(sorted(Counter(c.classification for c in self.classified).items())),
            "inconsistencies": dict(sorted(Counter(i.kind for i in self.inconsistencies).items())),
            "case": self.case_path or None,
            "case_accounts": len({r["account_id"] for r in self.case_accounts}),
            "problems": len(self.problems),
        }


def _policies(refs: Sequence[str | os.PathLike[str]] | None) -> dict[str, Policy]:
    if not refs:
        return dict(shipped_policies())
    out: dict[str, Policy] = {}
    for ref in refs:
        p = get_policy(ref)
        if p.id in out:
            raise InputError(f"policy id {p.id!r} given twice", hint="each policy file needs its own id")
        out[p.id] = p
    return out


def read_blocs(path: str | os.PathLike[str]) -> tuple[dict[str, str], list[Problem]]:
    """A country -> bloc map from a CSV with columns ``country,bloc`` (one row per country)."""
    p = Path(path)
    _existing_file(p, "a blocs file", "a CSV with the columns country,bloc")
    header = _header(p)
    if not {"country", "bloc"} <= set(header):
        raise InputError("a blocs file needs the columns country,bloc", file=str(p))
    ic, ib = header.index("country"), header.index("bloc")
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for rec in _rows(p):
        if rec.line == 1:
            continue
        problem = rec.problem(p.name, len(header))
        row = rec.fields
        if problem is None and (not row[ic].strip() or not row[ib].strip()):
            problem = Problem(p.name, rec.line, "needs a country and a bloc")
        if problem is not None:
            problems.append(problem)
            continue
        out[name_key(canonical_country(row[ic]))] = row[ib].strip()
    return out, problems


def run_media_policy(
    outlets: Sequence[str | os.PathLike[str]],
    *,
    policies: Sequence[str | os.PathLike[str]] | None = None,
    as_of: date | None = None,
    observed: str | os.PathLike[str] | None = "shipped",
    case: str | os.PathLike[str] | None = None,
    blocs: str | os.PathLike[str] | None = None,
    outlets_date: date | None = None,
    out: str | os.PathLike[str] | None = None,
    report: bool = True,
    progress: Progress | None = None,
) -> MediaPolicyResult:
    """Apply policies to outlets, compare with observed treatment, find inconsistencies, write the outputs.

    outlets : outlet files (State Media Matrix or outlet evidence CSV), merged by outlet id.
    policies : shipped policy ids or policy TOML paths; default: every shipped policy.
    as_of : apply every policy on this date; default: each policy on its reference date.
    observed : "shipped" (the cited table shipped with cibscope), a path, or None.
    case : a case whose accounts are matched to the outlets (table ``state_media_accounts``).
    blocs : a CSV country,bloc for the skew counts (besides region and country).
    outlets_date : the date of a State Media Matrix whose version is not the known 2023 one.
    out : folder for the CSV/JSON outputs and, with ``report``, index.html.
    """
    if not outlets:
        raise InputError("no outlets file", hint="give the State Media Matrix CSV or an outlet evidence CSV (--outlets)")
    pols = _policies(policies)
    with step(progress, "media-policy: outlets and policies", len(outlets) + len(pols)) as h:
        sets = []
        for path in outlets:
            sets.append(read_outlets(path, dated=outlets_date))
            h.advance()
        outs = merge_outlets(sets)
        if not len(outs):
            first = next((p for p in outs.problems if p.action == "row skipped"), None)
            where = f"line {first.line}" if first and len(outlets) == 1 else f"{first.file}:{first.line}" if first else ""
            raise InputError(
                "no outlet read: " + (f"{len(outs.problems):,} row(s) refused, the first ({where}): {first.reason}" if first else "no data rows"),
                file=str(outlets[0]) if len(outlets) == 1 else None,
                hint="see docs/media-policy.md for the outlet evidence CSV schema",
            )
        decisions: dict[str, list[Decision]] = {}
        for pid, pol in pols.items():
            decisions[pid] = apply_policy(pol, outs, as_of)
            h.advance()
    result = MediaPolicyResult(pols, outs, as_of, decisions, problems=list(outs.problems))
    with step(progress, "media-policy: observed treatment and inconsistencies", 3) as h:
        if observed is not None:
            path = shipped_observed() if str(observed) == "shipped" else Path(observed)
            rows, probs = read_observed(path)
            result.problems += probs
            result.observed_source = "shipped: cibscope/mediapolicy/data/observed-treatment.csv" if str(observed) == "shipped" else str(path)
            mine = [r for r in rows if r.policy in pols]
            result.observed_skipped = len(rows) - len(mine)
            result.classified = classify_observed(mine, outs, pols)
        h.advance()
        examples = [o.outlet_id for c in result.classified for o in c.outlets]
        result.inconsistencies = treatment_groups(result.classified, pols)
        for pol in pols.values():
            result.inconsistencies += scope_gaps(pol, outs, examples=examples)
        h.advance()
        bloc_map = None
        if blocs is not None:
            bloc_map, probs = read_blocs(blocs)
            result.problems += probs
        result.skew = skew(decisions, result.classified, outs, blocs=bloc_map)
        result.compare = compare_policies(decisions)
        h.advance()
    if case is not None:
        from ..case import open_case
        from .case_link import case_accounts, link_case

        with step(progress, "media-policy: case accounts", 1), open_case(case, create=False) as c:
            link_case(c, outs, decisions)
            result.case_accounts = case_accounts(c)
            result.case_path = str(case)
    if out is not None:
        _write(result, Path(out), report=report, progress=progress)
    return result


def _outlet_rows(outs: OutletSet, as_of: date | None, policies: dict[str, Policy]) -> list[dict[str, Any]]:
    when = as_of or max(p.default_date for p in policies.values())
    rows = []
    for o in sorted(outs, key=lambda o: o.outlet_id):
        r = resolve(o, when)
        row: dict[str, Any] = {
            "outlet_id": o.outlet_id, "outlet": o.name, "company": o.company, "country": o.country, "region": o.region,
            "status": o.status, "typology": r.typology,
        }
        for c in CRITERIA:
            e = r.used.get(c)
            row[c] = None if e is None or e.value is None else e.value
            row[c + "_confidence"] = e.confidence if e else None
        row["as_of"] = when.isoformat()
        row["handles"] = " | ".join(f"{h.platform}:{h.handle}" for h in o.handles)
        row["urls"] = " | ".join(o.urls)
        row["sources"] = " | ".join(o.sources)
        rows.append(row)
    return rows


def _write(result: MediaPolicyResult, out: Path, *, report: bool, progress: Progress | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    files = result.files
    with step(progress, "media-policy: writing", 9) as h:
        files["decisions"] = str(write_csv(out / "decisions.csv", [d.as_row() for ds in result.decisions.values() for d in ds], DECISION_COLUMNS))
        orows = _outlet_rows(result.outlets, result.as_of, result.policies)
        ocols = list(orows[0]) if orows else ["outlet_id"]
        files["outlets"] = str(write_csv(out / "outlets.csv", orows, ocols))
        ev = [
            {"outlet_id": o.outlet_id, "criterion": e.criterion, "value": "unknown" if e.value is None else e.value,
             "confidence": e.confidence, "source": e.source, "source_url": e.source_url,
             "date": e.date.isoformat() if e.date else "", "note": e.note}
            for o in sorted(result.outlets, key=lambda o: o.outlet_id) for e in o.evidence
        ]
        files["evidence"] = str(write_csv(out / "evidence.csv", ev, EVIDENCE_COLUMNS))
        h.advance(3)
        files["observed"] = str(write_csv(out / "observed.csv", [c.as_row() for c in result.classified], OBSERVED_COLUMNS))
        files["inconsistencies"] = str(write_csv(out / "inconsistencies.csv", [i.as_row() for i in result.inconsistencies], INCONSISTENCY_COLUMNS))
        _json(out / "inconsistencies.json", [{**i.as_row(), "sides": i.sides} for i in result.inconsistencies])
        files["inconsistencies_json"] = str(out / "inconsistencies.json")
        h.advance(2)
        ccols = ["outlet_id", "outlet", "country", "typology", *result.decisions, "policies_agree"]
        files["compare"] = str(write_csv(out / "compare.csv", result.compare, ccols))
        files["skew"] = str(write_csv(out / "skew.csv", result.skew, ("policy", "basis", "level", "group", "category", "n")))
        files["problems"] = str(write_csv(out / "problems.csv", [p.as_dict() for p in result.problems], ("file", "line", "reason", "action", "value")))
        if result.case_path:
            files["case_accounts"] = str(write_csv(out / "case_accounts.csv", result.case_accounts, CASE_COLUMNS))
        _json(out / "policies.json", [p.describe() for p in result.policies.values()])
        files["policies"] = str(out / "policies.json")
        h.advance(3)
        files["summary"] = str(out / "summary.json")
        if report:
            from .report import render_media_policy_report

            files["report"] = str(render_media_policy_report(result, out))
        _json(out / "summary.json", {**result.summary(), "files": {k: Path(v).name for k, v in sorted(files.items())}})
        h.advance()


def _json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
