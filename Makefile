# One command each: `make run` (set-up + backend + demo city + console, wall, consultation windows),
# `make test` (set-up + the whole suite), `make bench` (set-up + every benchmark).
.PHONY: setup run test bench soak lint translations clean

VENV := .venv
PY := $(VENV)/bin/python
XVFB := xvfb-run -a -s "-screen 0 1920x1080x24 -nolisten tcp"

setup:
	@bash scripts/setup.sh

run: setup
	@bash scripts/run-demo.sh

# Widgets render offscreen; the video tests need a real X server and run under Xvfb (scripts/run-tests.sh).
test: setup
	$(VENV)/bin/lint-imports
	bash scripts/run-tests.sh

lint:
	$(VENV)/bin/lint-imports

bench: setup
	$(XVFB) $(PY) bench/run_all.py

# Not in CI: 30 minutes at 500 messages/s to 50 clients (the suite runs a 2-minute version).
soak: setup
	$(PY) bench/bench_soak.py --minutes 30

translations: setup
	$(PY) -m app.i18n --update

clean:
	rm -rf var/ bench/results/*.json
