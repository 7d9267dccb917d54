"""The app's pattern, in a fresh process: make the qasync loop, start the store BEFORE the loop runs, run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r'''
import asyncio, json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import qasync
from backend_client.store import ClientStore

app = QApplication([])
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
store = ClientStore()
out = {"states": []}
store.connection_changed.connect(out["states"].append)

def on_reset():
    out["role"], out["walls"] = store.role, [w for w in store.records("walls")]
    loop.create_task(finish())

async def finish():
    out["result"] = await store.command("wall.take", {"layout": "cameras-4"})
    await store.stop()
    app.quit()

store.reset.connect(on_reset)
store.start(sys.argv[1], sys.argv[2], "app-pattern")   # before the loop runs
QTimer.singleShot(60_000, app.quit)                     # never hang the suite
with loop:
    loop.run_forever()
print(json.dumps(out))
'''


def test_start_before_run_forever_like_the_app(backend):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, backend.url, backend.token("wall_operator")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["role"] == "wall_operator" and out["walls"] == ["main"]
    assert out["result"]["layout"] == "cameras-4"
    assert out["states"] == ["connecting", "online", "offline"]
