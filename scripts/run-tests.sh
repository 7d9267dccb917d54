#!/usr/bin/env bash
# `make test`'s runner: the suite one folder per pytest process — offscreen first, then the video tests
# under Xvfb — and one total at the end ("N passed, N failed, N skipped").
# Why one process per folder: Qt, libvlc and qasync objects of hundreds of tests in one process let a
# crash in one test take the whole run down (seen here once in several runs); this keeps a failure local
# and its report readable. Extra arguments go to every pytest call.
# The Hypothesis property tests (marker `fuzz`, set in tests/conftest.py: ~8 minutes of one core, pure
# computation) run in one process of their own beside the rest, which mostly waits on processes, sockets and
# timers, and gets only the CPU time the rest leaves (`spare` below): its own scheduler autogroup at nice 19
# and SCHED_IDLE, so a test that wakes takes the core at once. Their "no case over 1 s" counts CPU time
# (tests/helpers/fuzz.py).
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
spare() {  # group file, command...: run the command on spare CPU time only (a session, hence an autogroup,
  # of its own; falls back to nice); its process group id goes into the group file (to end it when interrupted)
  local group_file=$1; shift
  SPARE_GROUP_FILE=$group_file setsid -w bash -c 'echo $$ >"$SPARE_GROUP_FILE"; echo 19 >/proc/self/autogroup 2>/dev/null
    if chrt --idle 0 true 2>/dev/null; then exec chrt --idle 0 nice -n 19 "$@"; else exec nice -n 19 "$@"; fi' \
    spare "$@"
}
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
fuzz_log=$(mktemp) fuzz_counts=$(mktemp) fuzz_group=$(mktemp)
(  # a subshell: its counts start at 0 and come back through $fuzz_counts; per-test timeout 20 min, not 5
  EXTRA=(-o timeout=1200 "${EXTRA[@]}")
  run fuzz "fuzz and not xvfb and not slow" spare "$fuzz_group" env CC_TEST_XVFB= tests
  echo "$passed $failed $skipped $status" >"$fuzz_counts"
) >"$fuzz_log" 2>&1 &
fuzz_pid=$!
trap 'g=$(cat "$fuzz_group" 2>/dev/null); [ -n "$g" ] && kill -- "-$g" 2>/dev/null' EXIT  # interrupted: end it too
trap 'exit 130' INT TERM  # so that the EXIT trap runs (bash takes it when the folder in progress ends)
for t in "${targets[@]}"; do
  run offscreen "not xvfb and not slow and not fuzz" env CC_TEST_XVFB= "$t"
done
for t in $(grep -rlE "mark\.xvfb|pytestmark.*xvfb" --include='test_*.py' tests | sort); do
  run xvfb "xvfb and not slow and not fuzz" env CC_TEST_XVFB=1 "${XVFB[@]}" "$t"
done
wait "$fuzz_pid"
echo "== fuzz lane (it ran beside the above):"
cat "$fuzz_log"
read -r p f k st <"$fuzz_counts" || { p=0 f=1 k=0 st=1; echo "run-tests: the fuzz lane left no counts" >&2; }
passed=$(( passed + p )) failed=$(( failed + f )) skipped=$(( skipped + k ))
[ "$st" -eq 0 ] || status=1
rm -f "$fuzz_log" "$fuzz_counts" "$fuzz_group"
trap - EXIT
echo
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
