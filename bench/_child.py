"""Run a benchmark step in a fresh interpreter and read back its time, CPU and peak memory.

A fresh process per step makes each step's peak RSS its own (DuckDB runs in-process).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

PY = sys.executable


def run_child(code: str, *, stream_stderr: bool = False) -> dict:
    """Run ``code``; it may put extra results in the dict ``extra``. Returns wall ``seconds``,
    ``cpu`` (user + sys, all threads), ``peak_rss_mb`` and the ``extra`` entries.

    ``stream_stderr``: pass the child's stderr through (progress of a long step) instead of
    capturing it for the error message.
    """
    wrapper = (
        "import json, resource, time\nt0 = time.perf_counter()\nextra = {}\n"
        + textwrap.dedent(code).strip()
        + "\nru = resource.getrusage(resource.RUSAGE_SELF)"
        "\nout = dict(seconds=time.perf_counter() - t0, cpu=ru.ru_utime + ru.ru_stime,"
        " peak_rss_mb=ru.ru_maxrss / 1024)\n"
        "out.update(extra)\nprint(json.dumps(out))\n"
    )
    if stream_stderr:
        res = subprocess.run([PY, "-c", wrapper], stdout=subprocess.PIPE, text=True)
        if res.returncode != 0:
            raise SystemExit(f"benchmark step failed (exit code {res.returncode}); its error is above")
    else:
        res = subprocess.run([PY, "-c", wrapper], capture_output=True, text=True)
        if res.returncode != 0:
            raise SystemExit(f"benchmark step failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])
