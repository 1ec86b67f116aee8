#!/usr/bin/env bash
# Install cibscope, generate a demo dataset, and run the whole pipeline on it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
OUT="${1:-demo-out}"
.venv/bin/cibscope generate --accounts 1500 --tweets 150000 --seed 7 --out "$OUT/data"
.venv/bin/cibscope run "$OUT/data" --out "$OUT"
