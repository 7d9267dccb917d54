"""A pytest run stopped with SIGTERM (a CI time limit) stops the processes its tests started (tests/conftest.py)."""
import os
import signal
import subprocess
import sys
import textwrap
import time

from tests.conftest import ROOT

INNER = textwrap.dedent('''
    import time
    from tests.helpers.backend_proc import start_backend

    def test_holds_a_backend(tmp_path):
        with start_backend(tmp_path) as backend:
            (tmp_path.parent / "backend.pid").write_text(str(backend.proc.pid))
            time.sleep(120)
''')


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_sigterm_to_pytest_stops_the_backend_its_test_started(tmp_path):
    test_file = tmp_path / "test_inner.py"
    test_file.write_text(INNER)
    basetemp = tmp_path / "inner"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # the inner file lies outside tests/, so the suite's conftest is named as a plugin
    args = ["-q", "-p", "no:cacheprovider", "-p", "tests.conftest", "--basetemp", str(basetemp),
            "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), str(test_file)]
    inner = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    backend_pid = None
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and inner.poll() is None:
            pid_files = list(basetemp.glob("**/backend.pid")) if basetemp.exists() else []
            if pid_files and pid_files[0].read_text():
                backend_pid = int(pid_files[0].read_text())
                break
            time.sleep(0.2)
        if backend_pid is None:
            inner.kill()
            raise AssertionError(f"the inner test did not start its backend:\n{inner.communicate()[0][-3000:]}")
        assert _alive(backend_pid)
        inner.send_signal(signal.SIGTERM)
        out = inner.communicate(timeout=60)[0]
        deadline = time.monotonic() + 30
        while _alive(backend_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(backend_pid), f"the backend (pid {backend_pid}) outlived pytest:\n{out[-3000:]}"
        assert inner.returncode != 0 and "KeyboardInterrupt" in out  # the run says it was stopped
    finally:
        if inner.poll() is None:
            inner.kill()
            inner.wait()
        if backend_pid is not None and _alive(backend_pid):
            os.kill(backend_pid, signal.SIGKILL)
