"""`cibscope network`: one trace's network straight from data files (no case on disk)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from .common import EngineOption, RichProgress, SparkDriverMemoryOption, SparkMasterOption, compute_engine, console, text


def register(app: typer.Typer) -> None:
    @app.command("network")
    def network_cmd(
        data: Annotated[list[Path], typer.Argument(help="Files, folders or .zip archives to read.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the network files.")],
        trace: Annotated[str, typer.Option("--trace", "-t", help="The trace whose network to build (see docs/traces.md).")] = "co_retweet",
        window: Annotated[Optional[float], typer.Option("--window", help="Co-occurrence window in seconds (windowed traces).")] = None,
        param: Annotated[
            Optional[list[str]],
            typer.Option("--param", "-p", help="A trace parameter NAME=VALUE, e.g. max_neighbors=1000 (see docs/traces.md). Repeatable."),
        ] = None,
        alpha: Annotated[Optional[float], typer.Option("--alpha", help="False discovery rate of the significant edges (default 0.01).")] = None,
        counts: Annotated[
            bool,
            typer.Option("--counts", help="Write every co-occurring pair's directed count (counts.csv), untested, instead of the significant edges."),
        ] = False,
        format: Annotated[Optional[str], typer.Option("--format", "-f", help="Force a format (see `cibscope formats`).")] = None,
        mapping: Annotated[Optional[Path], typer.Option("--mapping", help="TOML column mapping for generic CSV/Parquet.")] = None,
        strict: Annotated[bool, typer.Option("--strict", help="Fail if any row is quarantined.")] = False,
        engine: EngineOption = "duckdb",
        spark_master: SparkMasterOption = None,
        spark_driver_memory: SparkDriverMemoryOption = None,
    ) -> None:
        """Build one trace's network from data files, reading only the columns it needs.

        Writes edges.csv (significant pairs), evidence.csv (the posts behind them, with
        file:line) and network.gexf; or with --counts, counts.csv (directed counts of every
        co-occurring pair, as the coordination-network-toolkit computes them); and
        quarantine.csv (file, line, reason, record) when rows could not be read. Nothing is
        stored: for groups, scores and audits use `cibscope ingest` and `cibscope detect`.
        """
        from ..export import out_dir
        from ..onelayer import network_from_files, write_network
        from .detect import parse_param_items
        from .ingest import check_ingest_report, render_ingest_report

        out_dir(out)  # a bad --out fails before the read
        params = parse_param_items(param)
        if window is not None:
            params["window"] = window
        from ..errors import ParameterError

        if counts and engine != "duckdb":  # before a Spark session starts
            raise ParameterError("--counts runs on DuckDB only (the Spark engine builds the tested network)")
        with compute_engine(engine, spark_master, spark_driver_memory) as eng:
            with RichProgress() as progress:
                res = network_from_files(
                    data, trace, params=params, counts=counts, alpha=alpha, format=format, mapping=mapping,
                    strict=strict, progress=progress, engine=eng,
                )
                written = write_network(res, out)
        render_ingest_report(res.ingest)
        check_ingest_report(res.ingest)
        st = res.stats
        t = Table(title=f"network: {res.trace}")
        for col in ("actions", "keys", "co-occurring action pairs", "pairs tested", "significant edges", "bounded action pairs"):
            t.add_column(col, justify="right")
        sig = "-" if res.counts is not None else f"{res.edges.num_rows:,}"
        tested = "-" if res.counts is not None else f"{st.pairs_considered:,}"
        t.add_row(f"{st.rows:,}", f"{st.keys:,}", f"{st.action_pairs:,}", tested, sig, f"{st.bounded_action_pairs:,}")
        console.print(t)
        if st.bounded_action_pairs:
            console.print(
                f"[yellow]{st.bounded_action_pairs:,} action pairs on {st.bounded_keys:,} hot key(s) were left out "
                f"(max_neighbors={res.params.get('max_neighbors')}); raise it with -p max_neighbors=N for exact counts[/]"
            )
        if res.counts is not None:
            console.print(f"{res.counts.num_rows:,} directed edges")
        console.print(
            f"read in {res.seconds['ingest']:.1f} s, network in {res.seconds['network']:.1f} s; wrote "
            + text(", ".join(str(p) for p in written.values())).plain
        )
