"""`cibscope media-policy`: apply state-media policies uniformly and show where platforms did not."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich import box
from rich.table import Table

from ..errors import InputError, ParameterError
from .common import RichProgress, console

if TYPE_CHECKING:
    from ..mediapolicy import MediaPolicyResult


_DECISIONS = ("applies", "exempt", "does not apply", "out of scope", "undetermined", "not in force")
_HEADERS = {"does not apply": "does not\napply", "out of scope": "out of\nscope", "not in force": "not in\nforce"}


def _date(value: Optional[str], option: str) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise ParameterError(f"{option} must be a date YYYY-MM-DD, got {value!r}") from e


def render_result(r: MediaPolicyResult) -> None:
    """Print decisions per policy, the observed verdicts, the inconsistencies and the outputs."""
    s = r.summary()
    console.print(f"[bold]{s['outlets']:,} outlets[/] under {len(r.policies)} policies, as of {s['as_of']}")
    # Decisions no policy reached are left out, and ids and dates never wrap: in 80 columns the
    # full table cut both to "twitte…" / "2023-0…".
    cols = [d for d in _DECISIONS if d == "applies" or any(info["decisions"].get(d) for info in s["policies"].values())]
    t = Table(title="decisions", box=box.SIMPLE)
    t.add_column("policy", no_wrap=True)
    t.add_column("as of", no_wrap=True)
    for dec in cols:
        t.add_column(_HEADERS.get(dec, dec), justify="right")
    for pid, info in s["policies"].items():
        t.add_row(pid, info["as_of"], *(f"{info['decisions'].get(d, 0):,}" for d in cols))
    console.print(t)
    if r.classified:
        console.print(f"observed treatment ({s['observed_rows']} rows, {s['observed_table']}): " + ", ".join(f"{k} {v}" for k, v in s["observed"].items()))
    if r.inconsistencies:
        console.print(f"[bold]same criteria, different treatment[/] ({len(r.inconsistencies)}; inconsistencies.csv):")
        for inc in r.inconsistencies:
            when = f"{inc.start.isoformat() if inc.start else '?'} -> {inc.end.isoformat() if inc.end and inc.end != date.max else 'open'}"
            sides = " vs ".join(
                f"{side['treatment']} [" + ", ".join(m["outlet"] for m in side["outlets"][:4]) + (", ..." if len(side["outlets"]) > 4 or side.get("more") else "") + "]"
                for side in inc.sides
            )
            why = f" (explained by {inc.explained_by})" if inc.explained_by else ""
            console.print(f"  {inc.policy} · {inc.kind} · {', '.join(inc.typologies)} · {when}: {sides}{why}", highlight=False, soft_wrap=True)
    if r.case_path:
        console.print(f"case accounts that are outlets: {s['case_accounts']:,} (table state_media_accounts in {r.case_path})")
    if r.problems:
        console.print(f"[yellow]{len(r.problems):,} input rows or values not used as given[/] (problems.csv)")
        for pr in r.problems[:_SHOWN_PROBLEMS]:  # the first few with their lines (a broken quote's span)
            where = f"{pr.file}:{pr.line}" if pr.line is not None else pr.file
            console.print(f"  {where}: {pr.reason} ({pr.action})", highlight=False, markup=False, soft_wrap=True)
        if len(r.problems) > _SHOWN_PROBLEMS:
            console.print(f"  ... and {len(r.problems) - _SHOWN_PROBLEMS:,} more in problems.csv", highlight=False)
    if r.files:
        console.print("[bold]outputs[/]")
        for name, path in r.files.items():
            console.print(f"  {name}: {path}", highlight=False)


_SHOWN_PROBLEMS = 5  # problems printed under the summary (all of them in problems.csv)


def register(app: typer.Typer) -> None:
    @app.command("media-policy")
    def media_policy_cmd(
        outlets: Annotated[Optional[list[Path]], typer.Option("--outlets", "-i", help="Outlets file: the State Media Matrix CSV or an outlet evidence CSV (docs/media-policy.md). Repeat to merge several.")] = None,
        policy: Annotated[Optional[list[str]], typer.Option("--policy", "-p", help="A shipped policy id or a policy TOML file. Repeat for several; default: every shipped policy.")] = None,
        as_of: Annotated[Optional[str], typer.Option("--as-of", help="Apply every policy on this date (YYYY-MM-DD); default: each policy on its reference date.")] = None,
        observed: Annotated[str, typer.Option("--observed", help="Observed-treatment table: 'shipped' (the cited table shipped with cibscope), a CSV path, or 'none'.")] = "shipped",
        case: Annotated[Optional[Path], typer.Option("--case", "-c", help="A case whose accounts are matched to the outlets' handles (stored in its table state_media_accounts).")] = None,
        blocs: Annotated[Optional[Path], typer.Option("--blocs", help="CSV with columns country,bloc: skew counts per bloc besides region and country.")] = None,
        outlets_date: Annotated[Optional[str], typer.Option("--outlets-date", help="Date of the ratings in a State Media Matrix other than the known 2023-08-24 version (YYYY-MM-DD).")] = None,
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("media-policy"),
        report: Annotated[bool, typer.Option("--report/--no-report", help="Also write index.html, the offline report page.")] = True,
        list_policies: Annotated[bool, typer.Option("--list-policies", help="List the shipped policies and exit.")] = False,
    ) -> None:
        """Apply state-media policies uniformly to outlets, as of a date, and compare with observed treatment."""
        from ..mediapolicy import run_media_policy, shipped_policies  # here: the other commands do not load it

        if list_policies:
            for p in shipped_policies().values():
                until = p.last_day.isoformat() if p.last_day else "no end known"
                console.print(f"[bold]{p.id}[/] v{p.version}  {p.platform}: {p.title} ({p.action}; {p.in_force_from.isoformat()} -> {until}); rule: {p.rule.text}", highlight=False)
            return
        if not outlets:
            raise InputError("no outlets file", hint="give --outlets State_Media_Matrix.csv (or an outlet evidence CSV)")
        with RichProgress() as progress:
            result = run_media_policy(
                outlets, policies=policy or None, as_of=_date(as_of, "--as-of"),
                observed=None if observed.lower() == "none" else observed, case=case, blocs=blocs,
                outlets_date=_date(outlets_date, "--outlets-date"), out=out, report=report, progress=progress,
            )
        render_result(result)
