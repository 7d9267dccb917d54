"""The camera relay accepts only unexpired session tokens of enabled users (and the backend's own service
tokens): a long-lived enrolment token gets 401 while the session it opened plays; a session that expires is
refused from the next token push on; token_hashes holds unexpired sessions of enabled users only."""
import time

from backend import auth, store
from tests.helpers.backend_proc import start_backend
from tests.helpers.rtsp import json_status

TTL_S = 10.0  # short enough to watch a session expire, long enough for its first play on a busy machine


def _wait_status(url: str, want: int, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = json_status(url)
        if got == want:
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: still {got}, not {want}, after {timeout} s")


def test_token_hashes_hold_unexpired_sessions_of_enabled_users_only(tmp_path):
    db = tmp_path / "cc.db"
    store.create_schema(db)
    conn = store.connect(db)
    auth.ensure_schema(conn)
    enrol = {name: auth.add_user(conn, name, "wall_operator") for name in ("wall", "gone")}
    now = 1_000_000.0
    rows = [("live", "wall", now + 60), ("old", "wall", now - 1), ("off", "gone", now + 60)]
    conn.executemany("INSERT INTO auth_sessions (token_sha256, name, created, expires) VALUES (?,?,?,?)",
                     [(auth.hash_token(t), n, now - 100, e) for t, n, e in rows])
    auth.set_disabled(conn, "gone", True)  # ends its sessions; put one back to see it filtered anyway
    conn.execute("INSERT INTO auth_sessions VALUES (?,?,?,?)", (auth.hash_token("off"), "gone", now, now + 60))
    hashes = auth.token_hashes(conn, now)
    assert hashes == {auth.hash_token("live"): "wall"}
    assert auth.hash_token(enrol["wall"]) not in hashes


def test_relay_refuses_enrolment_tokens_and_expired_sessions(tmp_path):
    backend = start_backend(tmp_path, relay=True, extra_args=("--session-ttl", f"{TTL_S:g}"))
    try:
        relay = f"http://127.0.0.1:{backend.relay_port}/health?token="
        enrolment = backend.token("wall_operator")
        session = backend.session_token("wall_operator")
        assert json_status(relay + session) == 200  # a new session plays at once (the relay asks for a push)
        assert json_status(relay + enrolment) == 401  # the long-lived token that opened it does not
        assert json_status(relay + "not-a-token") == 401
        # nothing refreshes the session: once it expired, the next push drops it
        _wait_status(relay + session, 401, what="an expired session at the relay")
        fresh = backend.session_token("wall_operator")  # the enrolment token still opens new sessions
        assert json_status(relay + fresh) == 200
    finally:
        backend.stop()
