#!/usr/bin/env bash
# `make test`'s runner: the suite one folder per pytest process — offscreen first, then the video tests
# under Xvfb — and one total at the end ("N passed, N failed, N skipped").
# Why one process per folder: Qt, libvlc and qasync objects of hundreds of tests in one process let a
# crash in one test take the whole run down (seen here once in several runs); this keeps a failure local
# and its report readable. Extra arguments go to every pytest call.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
XVFB=(xvfb-run -a -s "-screen 0 1920x1080x24 -nolisten tcp")

targets=()
for d in tests/*/; do
  case "$d" in tests/helpers/|tests/data/|tests/__pycache__/) continue ;; esac
  ls "$d"test_*.py >/dev/null 2>&1 && targets+=("$d")
done
targets+=(tests/test_*.py)

passed=0 failed=0 skipped=0 status=0
run() {  # label, marker, command prefix..., then the target last
  local label=$1 mark=$2; shift 2
  local target=${*: -1} out rc last n
  set -- "${@:1:$#-1}"
  out=$(mktemp)
  echo "== $label: $target"
  "$@" "$PY" -m pytest -q -p no:cacheprovider -m "$mark" "${EXTRA[@]}" $target 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  last=$(grep -E "[0-9]+ (passed|failed|skipped|deselected|errors?)( |,|$)|no tests ran" "$out" | tail -n 1)
  n=$(grep -oE "[0-9]+ passed" <<<"$last" | grep -oE "[0-9]+"); passed=$(( passed + ${n:-0} ))
  n=$(grep -oE "[0-9]+ skipped" <<<"$last" | grep -oE "[0-9]+"); skipped=$(( skipped + ${n:-0} ))
  n=$(grep -oE "[0-9]+ failed" <<<"$last" | grep -oE "[0-9]+"); failed=$(( failed + ${n:-0} ))
  n=$(grep -oE "[0-9]+ errors?" <<<"$last" | grep -oE "[0-9]+"); failed=$(( failed + ${n:-0} ))
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then  # 5: every test there deselected by -m
    echo "run-tests: $target exited with $rc" >&2
    status=1
    grep -qE "[0-9]+ (failed|errors?)" <<<"$last" || failed=$(( failed + 1 ))  # a crash counts once
  fi
  rm -f "$out"
}

EXTRA=("$@")
for t in "${targets[@]}"; do
  run offscreen "not xvfb and not slow" env CC_TEST_XVFB= "$t"
done
for t in $(grep -rlE "mark\.xvfb|pytestmark.*xvfb" --include='test_*.py' tests | sort); do
  run xvfb "xvfb and not slow" env CC_TEST_XVFB=1 "${XVFB[@]}" "$t"
done
echo
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
