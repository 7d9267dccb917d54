#!/usr/bin/env bash
# `make run`: demo clips → RTSP server (the demo city's cameras) → backend (hub, relay, demo city) → windows.
# Stops everything it started on Ctrl-C. Without a display it starts Xvfb and tells you so.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
VAR=${CC_DEMO_DIR:-var/demo}
HUB_PORT=${CC_HUB_PORT:-8765}
RELAY_PORT=${CC_RELAY_PORT:-8780}
RTSP_PORT=${CC_RTSP_PORT:-8554}
LANG_ARG=${CC_LANG:+--lang $CC_LANG}
mkdir -p "$VAR/logs"

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_port() {  # host port seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    (exec 3<>/dev/tcp/"$1"/"$2") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "run: nothing listens on $1:$2 after $3 s; see $VAR/logs/" >&2; return 1
}

if [ -z "${DISPLAY:-}" ]; then
  export DISPLAY=:${CC_XVFB_DISPLAY:-77}
  Xvfb "$DISPLAY" -screen 0 ${CC_XVFB_SIZE:-3840x1080x24} -nolisten tcp >"$VAR/logs/xvfb.log" 2>&1 &
  pids+=($!)
  echo "run: no display, so the windows go to Xvfb on $DISPLAY (screenshots: xwd -root -display $DISPLAY)"
  sleep 1
fi

echo "run: making demo clips (first run only) …"
$PY -m backend.demo.clips --out "$VAR/clips" --cameras 20 >"$VAR/logs/clips.log" 2>&1
/usr/bin/python3 backend/demo/rtsp_server.py --port "$RTSP_PORT" --clips "$VAR/clips" >"$VAR/logs/rtsp.log" 2>&1 &
pids+=($!)
$PY -m backend.demo.cameras --rtsp "rtsp://127.0.0.1:$RTSP_PORT" >"$VAR/cameras.json"
wait_port 127.0.0.1 "$RTSP_PORT" 20

DB="$VAR/cc.db"
token() {  # name role: one token per demo user, kept (0600) across runs
  local f="$VAR/token-$1"
  if [ ! -s "$f" ]; then (umask 077; $PY -m backend --db "$DB" user add "$1" "$2" >"$f"); fi
  cat "$f"
}
T_DUTY=$(token duty duty_officer); T_WALL=$(token wall wall_operator); T_LEAD=$(token leader leader)

# The demo radio gateway on a real pseudo-terminal pair: the backend owns one end, our simulated
# gateway (12 radios reporting positions and statuses, answering calls) the other.
socat pty,raw,echo=0,link="$VAR/radio-a" pty,raw,echo=0,link="$VAR/radio-b" >"$VAR/logs/socat.log" 2>&1 &
pids+=($!)
$PY -m backend.demo.radio_sim "$VAR/radio-b" >"$VAR/logs/radio-sim.log" 2>&1 &
pids+=($!)
# Demo phones: sipp answers every call (with RTP echo) so the telephony bridge has a real peer.
SIP_ARGS=()
if command -v sipp >/dev/null; then
  sipp -sn uas -i 127.0.0.1 -p "${CC_SIP_PORT:-5070}" -rtp_echo -nostdin >"$VAR/logs/sipp.log" 2>&1 &
  pids+=($!)
  SIP_ARGS=(--sip-target "127.0.0.1:${CC_SIP_PORT:-5070}")
fi
mkdir -p "$VAR/cap-inbox"

$PY -m backend --db "$DB" --port "$HUB_PORT" --relay-port "$RELAY_PORT" --cameras "$VAR/cameras.json" \
  --cap-inbox "$VAR/cap-inbox" --radio "$VAR/radio-a" "${SIP_ARGS[@]}" --demo-notice-gateway --room-sim --correlate-sources 3 \
  >"$VAR/logs/backend.log" 2>&1 &
pids+=($!)
wait_port 127.0.0.1 "$HUB_PORT" 30
echo "run: backend on ws://127.0.0.1:$HUB_PORT, relay on http://127.0.0.1:$RELAY_PORT, logs in $VAR/logs/"
echo "run: drop CAP 1.2 files into $VAR/cap-inbox/ to raise alerts"

HUB=ws://127.0.0.1:$HUB_PORT
# The demo's users log in with tokens and have no password, so an idle lock could only log them out:
# it is off unless CC_IDLE_LOCK (minutes) is set. Real consoles log in with password + code and lock.
IDLE=(--idle-lock "${CC_IDLE_LOCK:-0}")
$PY -m app --role wall --backend "$HUB" --token "$T_WALL" $LANG_ARG ${CC_WALL_SCREENS:+--screens $CC_WALL_SCREENS} >"$VAR/logs/wall.log" 2>&1 &
pids+=($!)
$PY -m app --role console --backend "$HUB" --token "$T_DUTY" "${IDLE[@]}" $LANG_ARG >"$VAR/logs/console.log" 2>&1 &
pids+=($!)
$PY -m app --role consultation --backend "$HUB" --token "$T_LEAD" "${IDLE[@]}" $LANG_ARG >"$VAR/logs/consultation.log" 2>&1 &
pids+=($!)
echo "run: console, wall and consultation windows started; Ctrl-C stops everything"
wait -n "${pids[@]}" || true
