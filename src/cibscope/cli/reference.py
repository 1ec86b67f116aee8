"""The CLI reference (docs/cli.md) generated from the commands themselves, so it cannot drift.

``python -m cibscope.cli.reference > docs/cli.md`` rewrites it; tests/test_docs.py checks it.
"""

from __future__ import annotations

import inspect

import typer

from . import app

# what the library reads from the environment (tests/test_docs.py checks that each is read)
ENVIRONMENT: dict[str, str] = {
    "CIBSCOPE_THREADS": "DuckDB threads of every case (default: DuckDB's, one per core).",
    "CIBSCOPE_MEMORY_LIMIT": "DuckDB memory limit of every case, e.g. `9GB` (default: half of DuckDB's own default, "
    "i.e. 40 % of the RAM or of a container's limit: the rest is for the arrays and graphs detect holds beside DuckDB); "
    "above it DuckDB spills to disk. Full detect on 10M tweets peaked at 13.95 GiB with DuckDB's default "
    "(docs/benchmarks.md).",
    "CIBSCOPE_SPARK_DRIVER_MEMORY": "Spark driver memory with --engine spark when --spark-driver-memory is not given (default 2g).",
}


def cli_reference() -> str:
    root = typer.main.get_command(app)
    lines = [
        "# CLI reference",
        "",
        "Generated from the commands by `python -m cibscope.cli.reference > docs/cli.md`; a test fails when it is out of date.",
        "",
    ]
    commands = getattr(root, "commands", {})
    for name in sorted(commands):
        cmd = commands[name]
        lines += [f"## `cibscope {name}`", ""]
        help_text = inspect.cleandoc(cmd.help or "").strip()
        if help_text:
            lines += [help_text, ""]
        args = [p for p in cmd.params if p.param_type_name == "argument"]
        opts = [p for p in cmd.params if p.param_type_name == "option" and p.name != "help"]
        usage = " ".join([f"cibscope {name}"] + [f"[OPTIONS]"] * bool(opts) + [p.name.upper() + ("..." if p.nargs == -1 else "") for p in args])
        lines += ["```", usage, "```", ""]
        if opts:
            lines += ["| option | meaning | default |", "| --- | --- | --- |"]
            for p in opts:
                flags = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
                default = p.default
                shown = "" if default is None or callable(default) or default == () or default == [] else f"`{default}`"
                helptext = (getattr(p, "help", "") or "").replace("|", "\\|").replace("\n", " ")
                lines.append(f"| {flags} | {helptext} | {shown} |")
            lines.append("")
    lines += ["## Environment variables", "", "| variable | meaning |", "| --- | --- |"]
    lines += [f"| `{name}` | {meaning} |" for name, meaning in ENVIRONMENT.items()]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(cli_reference(), end="")
