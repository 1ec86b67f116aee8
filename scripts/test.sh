#!/usr/bin/env bash
# Install the test dependencies and run the whole test suite.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh test || exit 1
.venv/bin/python -m pytest "$@"
rc=$?
if [[ $rc -eq 5 ]]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit $rc
