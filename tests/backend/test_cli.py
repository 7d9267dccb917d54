"""The cc-backend command line: user add prints exactly one token line; audit verify; the ready line."""
import hashlib
import sqlite3
import subprocess
import sys

from tests.helpers.backend_proc import ROOT


def run(*args, env_extra=None):
    import os
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "backend", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_user_add_prints_exactly_one_token_line_and_stores_only_its_hash(tmp_path):
    db = tmp_path / "cc.db"
    out = run("--db", str(db), "user", "add", "wang", "duty_officer")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 1 and out.stdout == lines[0] + "\n"
    token = lines[0]
    assert len(token) >= 40 and token.strip() == token
    assert token not in out.stderr
    row = sqlite3.connect(db).execute("SELECT name, role, token_sha256, disabled FROM users").fetchall()
    assert row == [("wang", "duty_officer", hashlib.sha256(token.encode()).hexdigest(), 0)]
    assert token.encode() not in db.read_bytes()


def test_user_add_refuses_bad_role_and_duplicate_name_with_nothing_on_stdout(tmp_path):
    db = tmp_path / "cc.db"
    bad = run("--db", str(db), "user", "add", "li", "superuser")
    assert bad.returncode != 0 and bad.stdout == "" and "superuser" in bad.stderr
    assert run("--db", str(db), "user", "add", "li", "leader").returncode == 0
    dup = run("--db", str(db), "user", "add", "li", "admin")
    assert dup.returncode == 1 and dup.stdout == "" and "already exists" in dup.stderr


def test_default_db_is_under_xdg_data_home(tmp_path):
    out = run("user", "add", "zhao", "admin", env_extra={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "xdg" / "command-centre" / "cc.db").is_file()


def test_audit_verify_reports_tampering(tmp_path, backend):
    import asyncio

    from tests.backend.wsclient import RawClient

    async def work():
        c = await RawClient.connect(backend.url, backend.token("duty_officer"))
        await c.recv()
        for i in range(3):
            assert (await c.command("incident.create", {"title": f"t{i}", "category": "自然灾害", "grade": 2}))["ok"]
        await c.close()
    asyncio.run(work())
    backend.stop()
    assert run("--db", str(backend.db), "audit", "verify").returncode == 0
    conn = sqlite3.connect(backend.db)
    conn.execute("UPDATE audit SET user = 'someone-else' WHERE seq = 2")
    conn.commit()
    conn.close()
    out = run("--db", str(backend.db), "audit", "verify")
    assert out.returncode == 1 and "audit seq 2" in out.stderr


def test_bad_camera_file_stops_the_backend_with_a_clear_error(tmp_path):
    cams = tmp_path / "cams.json"
    cams.write_text('[{"id": "cam-1", "name": "x", "url": "rtsp://u:pw@h/1"}, {"id": "cam-2", "name": "y"}]')
    out = run("--db", str(tmp_path / "cc.db"), "--port", "0", "--no-demo", "--no-relay", "--cameras", str(cams))
    assert out.returncode == 2
    assert f"{cams}: [1].url: expected a non-empty string" in out.stderr
    assert "pw@" not in out.stderr


def test_sigterm_stops_the_backend_cleanly(backend):
    assert backend.running
    assert backend.stop() == 0
    assert "stopping" in backend.log_tail()


def test_relay_and_cap_inbox_are_wired(tmp_path):
    import asyncio
    import json
    import time
    import urllib.error
    import urllib.request

    from tests.backend.wsclient import RawClient
    from tests.helpers.backend_proc import start_backend

    inbox = tmp_path / "inbox"
    proc = start_backend(tmp_path, relay=True, extra_args=["--cap-inbox", str(inbox)])
    try:
        token = proc.token("wall_operator")

        async def hello():
            c = await RawClient.connect(proc.url, token)
            await c.close()
            return c.auth
        auth_ok = asyncio.run(hello())
        assert auth_ok["relay"] == f"http://127.0.0.1:{proc.relay_port}"
        deadline = time.monotonic() + 60  # the supervisor pushes new token hashes every few seconds
        while True:
            try:
                with urllib.request.urlopen(f"{auth_ok['relay']}/health?token={auth_ok['session']}",
                                            timeout=30) as resp:
                    assert isinstance(json.loads(resp.read()), list)
                    break
            except urllib.error.HTTPError as exc:
                if exc.code != 401 or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert (inbox / "done").is_dir() or inbox.is_dir()
        assert "CAP inbox watching" in proc.log_tail(100)
    finally:
        assert proc.stop() == 0
