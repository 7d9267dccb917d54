"""Lockout and expiry with an injected clock: Sessions on a real SQLite store (no hub, no waiting)."""
import pyotp
import pytest

from backend import auth, store
from backend.ratelimit import TokenBucket
from backend.sessions import LoginRefused, Policy, Sessions, locked_until


class Clock:
    def __init__(self, t: float = 1_800_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
async def sessions(tmp_path):
    db = tmp_path / "cc.db"
    store.create_schema(db)
    conn = store.connect(db)
    auth.ensure_schema(conn)
    auth.add_user(conn, "wang", "duty_officer")
    auth.set_password(conn, "wang", "a long password")
    secret = pyotp.parse_uri(auth.new_totp(conn, "wang")).secret
    conn.close()
    clock = Clock()
    s = await Sessions(db, Policy(), clock=clock).start()
    s.test_clock, s.test_totp = clock, pyotp.TOTP(secret)
    yield s
    await s.close()


def code(s, offset_steps: int = 0) -> str:
    return s.test_totp.at(s.test_clock.t + 30 * offset_steps)


async def test_five_failures_in_five_minutes_lock_for_fifteen(sessions):
    clock = sessions.test_clock
    for _ in range(5):
        with pytest.raises(LoginRefused) as info:
            await sessions.login("wang", "wrong", code(sessions))
        assert info.value.code == "auth_failed"
        clock.t += 50  # 5 failures within 200 s
    with pytest.raises(LoginRefused) as info:
        await sessions.login("wang", "a long password", code(sessions))
    assert info.value.code == "locked"
    clock.t += 14 * 60  # still inside the 15 minutes from the 5th failure
    with pytest.raises(LoginRefused) as info:
        await sessions.login("wang", "a long password", code(sessions))
    assert info.value.code == "locked"
    clock.t += 60
    user, token, expires = await sessions.login("wang", "a long password", code(sessions))
    assert user.name == "wang" and expires == clock.t + 1800


async def test_failures_spread_over_more_than_five_minutes_do_not_lock(sessions):
    for _ in range(6):
        with pytest.raises(LoginRefused):
            await sessions.login("wang", "wrong", "000000")
        sessions.test_clock.t += 100  # 5 failures span 400 s > 300 s
    user, _token, _exp = await sessions.login("wang", "a long password", code(sessions))
    assert user.role == "duty_officer"


async def test_session_expires_after_ttl_unless_used(sessions):
    clock = sessions.test_clock
    _user, token, _exp = await sessions.login("wang", "a long password", code(sessions))
    digest = auth.hash_token(token)
    for _ in range(5):  # used every 20 minutes: 100 minutes later still alive
        clock.t += 20 * 60
        sessions.touch(digest)
        user, got, new = await sessions.authenticate(token, "10.0.0.9")
        assert got == digest and new == ""
    clock.t += 30 * 60 + 1
    assert sessions.expired(digest)
    with pytest.raises(LoginRefused) as info:
        await sessions.authenticate(token, "10.0.0.9")
    assert info.value.code == "session_expired"


async def test_totp_code_is_single_use(sessions):
    c = code(sessions)
    await sessions.login("wang", "a long password", c)
    with pytest.raises(LoginRefused):
        await sessions.login("wang", "a long password", c)
    await sessions.login("wang", "a long password", code(sessions, +1))  # the next step is fine


def test_locked_until_pure():
    p = Policy()
    assert locked_until([0, 1, 2, 3], 5, p) is None
    assert locked_until([0, 1, 2, 3, 4], 5, p) == 904
    assert locked_until([0, 1, 2, 3, 4], 904, p) is None
    assert locked_until([0, 100, 200, 300, 301], 302, p) is None  # 301 s apart: not within 300 s


def test_token_bucket_with_a_clock():
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, abuse_limit=5, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] += 1.0
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    for _ in range(4):
        bucket.take()
    assert bucket.abusive
