#!/usr/bin/env bash
# Install cibscope and everything it needs into ./.venv (idempotent).
#   scripts/install.sh          the package (run the main job)
#   scripts/install.sh test     + test dependencies, headless Chromium and its driver, and
#                               what `spark` installs (the Spark parity tests run in the suite)
#   scripts/install.sh spark    + PySpark and a Java runtime (Debian's openjdk-17-jre-headless)
set -euo pipefail
cd "$(dirname "$0")/.."
want="${1:-}"
PY="${PYTHON:-python3}"

need_apt=()
if [[ "$want" == "test" ]]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
  # a CJK font, so the report's screenshots show Chinese, Japanese and Korean names and texts
  # as glyphs (the browser tests check it); Debian's Noto CJK (Sans and Serif, SC/TC/JP/KR)
  if ! { command -v fc-list >/dev/null 2>&1 && [[ -n "$(fc-list :lang=zh family 2>/dev/null)" ]]; }; then
    need_apt+=(fonts-noto-cjk)
  fi
fi
if [[ "$want" == "spark" || "$want" == "test" ]]; then
  command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
fi
if (( ${#need_apt[@]} )); then
  if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
    echo "installing system packages: ${need_apt[*]}"
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "warning: please install ${need_apt[*]} (needs root and apt-get); the tests that need them will be skipped" >&2
  fi
fi

if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24" 2>/dev/null || true
extras=""
case "$want" in
  test) extras="[test,spark]" ;;
  spark) extras="[spark]" ;;
esac
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
.venv/bin/python -c "import cibscope" 
# byte-compile the package as a regular (not editable) install does: where PYTHONDONTWRITEBYTECODE
# is set, every command would otherwise compile the modules it imports (~0.05 s per process)
.venv/bin/python -m compileall -q src/cibscope >/dev/null || true
