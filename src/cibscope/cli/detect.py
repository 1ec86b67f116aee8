"""`cibscope detect`, `explain`, `evaluate` and `run` (ingest + detect + audit + report)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.table import Table
from rich.text import Text

from ..errors import ParameterError
from ..export import DEFAULT_EXPORT_FORMATS
from .common import (
    CaseOption,
    EngineOption,
    RichProgress,
    SparkDriverMemoryOption,
    SparkMasterOption,
    compute_engine,
    console,
    safe,
    text,
)
from .report import ExportFormatsOption, export_formats_of

if TYPE_CHECKING:  # the library is imported inside the commands, so `cibscope --help` stays light
    from ..pipeline import PipelineResult
    from ..evaluate import EvaluationResult
    from ..evidence.explain import Explanation

ParamOption = Annotated[
    Optional[list[str]],
    typer.Option(
        "--param", "-p",
        help="Override a parameter: NAME=VALUE, e.g. groups.resolution=0.1, score.threshold=0.6, "
        "co_retweet.window=30, multiplex.weight.co_hashtag=0.5 (see docs/detection.md). Repeatable.",
    ),
]
WindowOption = Annotated[Optional[int], typer.Option("--window", help="Co-occurrence window in seconds, for every windowed trace.")]
AlphaOption = Annotated[Optional[float], typer.Option("--alpha", help="False discovery rate per layer (default 0.01).")]
ResolutionOption = Annotated[Optional[float], typer.Option("--resolution", help="Leiden CPM resolution: minimum group density (default 0.01).")]
SeedOption = Annotated[Optional[int], typer.Option("--seed", help="Leiden seed (default 42).")]


def _parse_value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def parse_param_items(param: list[str] | None) -> dict[str, Any]:
    """``--param NAME=VALUE`` items as a mapping (values parsed as bool, int, float or text)."""
    out: dict[str, Any] = {}
    for item in param or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"The --param option must be NAME=VALUE. Got {item!r} instead.")
        out[name.strip()] = _parse_value(value)
    return out


def collect_params(
    param: list[str] | None, window: int | None, alpha: float | None, resolution: float | None, seed: int | None
) -> dict[str, Any]:
    """Turn the CLI options into the flat parameter mapping of :meth:`cibscope.DetectConfig.from_params`."""
    out = parse_param_items(param)
    for name, value in (("window", window), ("alpha", alpha), ("resolution", resolution), ("seed", seed)):
        if value is not None:
            out[name] = value
    return out


def render_detect(res: PipelineResult, case: Any = None) -> None:
    st = res.stats
    t = Table(title=text(f"detect: {res.case_path}"))
    for col in ("layer", "pairs tested", "significant"):
        t.add_column(col, justify="left" if col == "layer" else "right")
    tested = st.get("edges_tested", {})
    sig = st.get("edges_significant", {})
    for layer in sorted(set(tested) | set(sig)):
        t.add_row(text(layer), f"{tested.get(layer, 0):,}", f"{sig.get(layer, 0):,}")
    console.print(t)
    by = st.get("groups_by_verdict", {})
    null = st.get("null", {})
    console.print(
        f"{res.n_accounts:,} accounts scored, {res.n_groups:,} group(s): {by.get('operation', 0):,} flagged as operations "
        f"(coordinated + inauthentic), {by.get('coordinated', 0):,} coordinated without an inauthenticity signal, "
        f"{by.get('chance', 0):,} not beyond chance; {res.n_flagged:,} account(s) flagged in {res.seconds:.1f} s"
    )
    if null.get("replicates"):
        console.print(
            f"null: {null['replicates']} copies of the case (accounts shifted by whole {null.get('unit', 'week')}s) gave "
            f"{null.get('groups', 0):,} group(s), the strongest with internal evidence {null.get('max_evidence', 0.0):.1f}"
        )
    if case is not None and res.n_groups:
        g = Table(title="groups (flagged first, then by size)")
        for col in ("group", "verdict", "size", "evidence / E", "signals", "top items"):
            g.add_column(col)
        for gid, verdict, size, core, stat, ev, signals, items in case.engine.execute(
            "SELECT group_id, verdict, size, core_size, statistic, e_value, signals, top_items FROM groups "
            "ORDER BY flagged DESC, verdict = 'coordinated' DESC, size DESC, group_id LIMIT 12"
        ).fetchall():
            top = ", ".join(f"{i['item']} ({i['n']})" for i in json.loads(items)[:3])
            sizes = f"{size}" + (f" ({size - core} joined)" if core is not None and size != core else "")
            e_txt = "" if stat is None else f"{stat:.1f} / {ev:.2g}"
            g.add_row(str(gid), str(verdict or ""), sizes, e_txt, ", ".join(json.loads(signals or "[]")), text(top))
        console.print(g)
    for name, path in res.outputs.items():
        console.print(text(f"  {name}: {path}"))


def render_explanation(ex: Explanation) -> None:
    who = ex.account_id + (f" (@{ex.screen_name})" if ex.screen_name and ex.screen_name != ex.account_id else "")
    console.print(
        text(f"{who}: score {ex.score:.3f}, {'FLAGGED' if ex.flagged else 'not flagged'}"
             + (f", group {ex.group_id}" if ex.group_id is not None else ", in no group")
             + (f" ({ex.group_role})" if ex.group_role else ""), style="bold")
    )
    if ex.group_verdict:
        console.print(Text(f"group {ex.group_id}: {ex.group_verdict}"))
    for line in ex.state_media:
        console.print(text(f"state media: {line}"))
    if not ex.contributions:
        # the score ranks evidence of an operation: none here (a group that is only coordinated,
        # or chance, contributes no term)
        console.print(Text("score 0: no term (no evidence ties this account to a flagged group)"))
    t = Table(title="score = 1 - exp(-sum of terms)")
    for col, just in (("term", "left"), ("value", "right"), ("running sum", "right"), ("score so far", "right"), ("", "left"), ("evidence", "right"), ("detail", "left")):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    run = 0.0
    for c in ex.contributions:
        run += c.value
        bar = "█" * max(1, round(c.value * 20)) if c.value > 0 else ""
        t.add_row(text(c.name), f"{c.value:+.3f}", f"{run:.3f}", f"{1 - math.exp(-run):.3f}", Text(bar, style="cyan"), str(c.n_evidence), text(c.detail))
    if ex.contributions:
        console.print(t)
    if not ex.evidence:
        console.print("no evidence rows for this account")
        return
    e = Table(title="evidence, its group's defining items first (this account's post | the other account's post)", show_lines=True)
    for col in ("layer", "shared item", "this post", "other post", "apart"):
        e.add_column(col, overflow="fold")  # never cut a file:line short
    for r in ex.evidence:
        # cross-platform evidence names both platforms (this post's, the other's)
        mp, op = (f" [{r.platform}]", f" [{r.other_platform}]") if r.cross_platform else ("", "")
        mine = Text("\n").join([text(f"{r.post}{mp} at {r.at}"), text(r.source), text((r.text or "")[:140], newlines=True)])
        other = Text("\n").join([
            text(f"{r.other_account}{op}{' (same group)' if r.same_group else ''}: {r.other_post} at {r.other_at}"),
            text(r.other_source), text((r.other_text or "")[:140], newlines=True),
        ])
        layer = f"{r.layer}\n{r.platform} -> {r.other_platform}" if r.cross_platform else r.layer
        item = str(r.shared_item) + (f"\n(defining item #{r.item_rank} of the group)" if r.item_rank is not None else "")
        e.add_row(text(layer), text(item), mine, other, r.apart)
    console.print(e)
    n_cross = sum(r.cross_platform for r in ex.evidence)
    if n_cross:
        others = sorted({str(r.other_platform) for r in ex.evidence if r.cross_platform})
        console.print(f"{n_cross} of these evidence rows link this {ex.evidence[0].platform} account to accounts on {', '.join(others)}")


def render_evaluation(r: EvaluationResult) -> None:
    t = Table(title="evaluation against truth")
    t.add_column("metric")
    t.add_column("value", justify="right")
    rows = [
        ("accounts in truth", f"{r.n_accounts:,} ({r.n_positive:,} io; {r.missing_from_case:,} not in the case)"),
        ("flagged", f"{r.n_flagged:,} (tp {r.tp:,}, fp {r.fp:,}, fn {r.fn:,})"),
        ("precision", f"{r.precision:.4f}"),
        ("recall", f"{r.recall:.4f}"),
        ("F1", f"{r.f1:.4f}"),
        ("ROC-AUC (score)", f"{r.roc_auc:.4f}"),
        ("PR-AUC (score)", f"{r.pr_auc:.4f}"),
        ("in a group beyond chance", f"{r.n_grouped:,} (precision {r.grouped_precision:.4f}, recall {r.grouped_recall:.4f}, F1 {r.grouped_f1:.4f})"),
        ("FPR, hard negatives", f"{r.hard_negative_fpr:.4f} of {r.n_hard_negatives:,}"),
        ("FPR, all organic", f"{r.organic_fpr:.4f}"),
    ]
    for k, v in rows:
        t.add_row(k, v)
    console.print(t)
    pt = Table(title="per tactic (share flagged = recall for io, false-positive rate for organic)")
    for col in ("tactic", "label", "accounts", "flagged", "share flagged"):
        pt.add_column(col, justify="left" if col in ("tactic", "label") else "right")
    for d in r.per_tactic:
        pt.add_row(text(d["tactic"]), text(d["label"]), f"{d['n']:,}", f"{d['flagged']:,}", f"{d['share_flagged']:.3f}")
    console.print(pt)
    if r.ablation:
        at = Table(title="ablation: metrics with one layer removed")
        for col in ("without", "F1", "ΔF1", "ROC-AUC", "ΔROC-AUC", "PR-AUC", "ΔPR-AUC"):
            at.add_column(col, justify="left" if col == "without" else "right")
        for a in r.ablation:
            at.add_row(text(a.layer), f"{a.f1:.4f}", f"{a.d_f1:+.4f}", f"{a.roc_auc:.4f}", f"{a.d_roc_auc:+.4f}", f"{a.pr_auc:.4f}", f"{a.d_pr_auc:+.4f}")
        console.print(at)



def register(app: typer.Typer) -> None:
    @app.command("detect")
    def detect_cmd(
        case: CaseOption = Path("case.duckdb"),
        out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Export folder (accounts.csv, groups.csv, edges.parquet, network_layers.gexf).")] = None,
        param: ParamOption = None,
        window: WindowOption = None,
        alpha: AlphaOption = None,
        resolution: ResolutionOption = None,
        seed: SeedOption = None,
        reuse_edges: Annotated[bool, typer.Option("--reuse-edges", help="Keep the case's edges; only re-group and re-score.")] = False,
        trace: Annotated[Optional[list[str]], typer.Option("--trace", help="Build only this trace's layer (repeatable; default: all).")] = None,
        engine: EngineOption = "duckdb",
        spark_master: SparkMasterOption = None,
        spark_driver_memory: SparkDriverMemoryOption = None,
    ) -> None:
        """Find coordinated groups and score every account, with evidence.

        With --engine spark the layers are built on Spark (local[2], or the cluster of
        --spark-master); the null copies, groups, decisions and scores run on this machine, on
        the case: the results are the same as on DuckDB.
        """
        from ..case import open_case
        from ..pipeline import DetectConfig, run

        cfg = DetectConfig.from_params(collect_params(param, window, alpha, resolution, seed))  # before any work
        if reuse_edges and engine == "spark":  # before a Spark session starts
            raise ParameterError("--reuse-edges builds nothing: --engine spark would have no work")
        with open_case(case, create=False) as c, compute_engine(engine, spark_master, spark_driver_memory) as eng:
            with RichProgress() as progress:
                res = run(c, cfg, engine=eng, out=out, progress=progress, build=not reuse_edges, traces=trace or None)
            render_detect(res, c)

    @app.command("explain")
    def explain_cmd(
        account: Annotated[str, typer.Argument(help="Account id (or unambiguous screen name).")],
        case: CaseOption = Path("case.duckdb"),
        evidence: Annotated[int, typer.Option("--evidence", "-n", help="Evidence rows per layer.")] = 5,
    ) -> None:
        """Show why an account got its score: the named terms and the concrete evidence."""
        from ..case import open_case
        from ..evidence.explain import explain_account

        with open_case(case, create=False, read_only=True) as c:
            ex = explain_account(c, account, evidence_per_layer=evidence)
        render_explanation(ex)

    @app.command("evaluate")
    def evaluate_cmd(
        truth: Annotated[Path, typer.Option("--truth", "-t", help="Truth CSV: userid (or account_id), label (io = positive, anything else negative), optional tactic.")],
        case: CaseOption = Path("case.duckdb"),
        ablation: Annotated[bool, typer.Option("--ablation/--no-ablation", help="Re-score without each layer.")] = True,
    ) -> None:
        """Precision, recall, F1, ROC-AUC, PR-AUC, hard-negative FPR, per-tactic recall, ablation."""
        from ..evaluate import evaluate

        with RichProgress() as progress:
            r = evaluate(case, truth, ablation=ablation, progress=progress)
        render_evaluation(r)

    @app.command("run")
    def run_cmd(
        data: Annotated[list[Path], typer.Argument(help="Files or folders to read (a generator folder works as is).")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder; the case is kept at OUT/case.duckdb.")],
        claimed: Annotated[Optional[Path], typer.Option("--claimed", help="Takedown list to audit (default: DATA/takedown.txt when present).")] = None,
        param: ParamOption = None,
        window: WindowOption = None,
        alpha: AlphaOption = None,
        resolution: ResolutionOption = None,
        seed: SeedOption = None,
        export_formats: ExportFormatsOption = ",".join(DEFAULT_EXPORT_FORMATS),
        engine: EngineOption = "duckdb",
        spark_master: SparkMasterOption = None,
        spark_driver_memory: SparkDriverMemoryOption = None,
    ) -> None:
        """Ingest + detect (+ audit, + report) in one go."""
        import time
        from datetime import datetime, timezone

        from .. import __version__
        from ..audit import run_audit
        from ..case import open_case
        from ..evaluate import evaluate
        from ..export import out_dir
        from ..ingest import ingest
        from ..pipeline import DetectConfig, run, run_inputs
        from ..report import render_report
        from .ingest import check_ingest_report, render_ingest_report

        params = collect_params(param, window, alpha, resolution, seed)
        cfg = DetectConfig.from_params(params)  # a bad parameter fails before the read
        started = datetime.now(timezone.utc)
        seconds: dict[str, float] = {}
        out_dir(out)
        case_path = out / "case.duckdb"
        found = run_inputs(data)
        inputs, truth = found.data, found.truth
        claimed = claimed if claimed is not None else found.claimed
        outputs: dict[str, Any] = {"case": case_path}
        t = time.perf_counter()
        with RichProgress() as progress:
            report = ingest(inputs, case_path, progress=progress, named=found.named)
        render_ingest_report(report)
        check_ingest_report(report)
        seconds["ingest"] = time.perf_counter() - t
        with open_case(case_path, create=False) as c:
            t = time.perf_counter()
            with compute_engine(engine, spark_master, spark_driver_memory) as eng, RichProgress() as progress:
                res = run(c, cfg, engine=eng, out=out, progress=progress)
            render_detect(res, c)
            outputs.update(res.outputs)
            seconds["detect"] = time.perf_counter() - t
            if claimed is not None:
                t = time.perf_counter()
                with RichProgress() as progress:
                    ares = run_audit(c, claimed=claimed, out=out, progress=progress)
                outputs.update(_paths_of(ares, "audit"))
                seconds["audit"] = time.perf_counter() - t
            t = time.perf_counter()
            with RichProgress() as progress:
                outputs["report"] = render_report(c, out / "report", export_formats=export_formats_of(export_formats), progress=progress)
            seconds["report"] = time.perf_counter() - t
        evaluation: dict[str, Any] | None = None
        if truth is not None:
            t = time.perf_counter()
            r = evaluate(case_path, truth, ablation=False)
            seconds["evaluate"] = time.perf_counter() - t
            evaluation = {"truth": str(truth), "f1": r.f1, "precision": r.precision, "recall": r.recall, "roc_auc": r.roc_auc,
                          "pr_auc": r.pr_auc, "hard_negative_fpr": r.hard_negative_fpr,
                          "grouped_f1": r.grouped_f1, "grouped_precision": r.grouped_precision, "grouped_recall": r.grouped_recall}
            console.print(
                f"against {text(truth)}: F1 {r.f1:.3f}, precision {r.precision:.3f}, recall {r.recall:.3f}, "
                f"ROC-AUC {r.roc_auc:.3f}, PR-AUC {r.pr_auc:.3f}, hard-negative FPR {r.hard_negative_fpr:.3f}; "
                f"in a group beyond chance (flagged or only coordinated): F1 {r.grouped_f1:.3f}"
            )
        # the one file that differs between two runs of the same data: when and how long
        outputs["run metadata"] = _write_run_metadata(
            out, version=__version__, started=started, seconds=seconds, inputs=[str(p) for p in inputs],
            claimed=str(claimed) if claimed is not None else None, params=params, evaluation=evaluation, engine=engine,
        )
        console.print("[bold]outputs[/]")
        for name, path in outputs.items():
            console.print(text(f"  {name}: {path}"))


RUN_METADATA = "run.json"


def _write_run_metadata(out: Path, *, started: Any, seconds: dict[str, float], **fields: Any) -> Path:
    """``OUT/run.json``: what ran, on what, when and for how long. Every other output of
    ``cibscope run`` is the same, byte for byte, for the same data and parameters."""
    from datetime import datetime, timezone

    doc = {
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        **fields,
    }
    p = out / RUN_METADATA
    p.write_text(json.dumps(doc, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return p


def _paths_of(result: Any, prefix: str) -> dict[str, Any]:
    if result is None:
        return {}
    if isinstance(result, (str, Path)):
        return {prefix: result}
    outs = getattr(result, "outputs", None)
    if isinstance(outs, dict):
        return {f"{prefix} {k}": v for k, v in outs.items()}
    return {prefix: result}
