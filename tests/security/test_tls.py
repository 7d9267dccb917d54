"""Transport: wss:// with TLS 1.3 and a pinned CA beyond loopback; plain, TLS 1.2 and wrong-CA clients
refused; the exact Origin allow-list; plain ws:// refused off loopback."""
import ssl
import stat

import pytest
from websockets.exceptions import InvalidStatus

from backend_client import protocol
from backend_client.client import client_ssl_context
from tests.helpers.backend_proc import start_backend
from tests.security.conftest import first_answer, start_tls_backend, tls_init, wss

ORIGIN = "https://cc.yk.example"


@pytest.fixture
def tls_hub(tmp_path):
    proc, ca = start_tls_backend(tmp_path, extra=["--allow-remote-tokens", "--origin", ORIGIN])
    try:
        yield proc, ca
    finally:
        proc.stop()


def test_tls_init_writes_a_ca_and_a_private_key_only_the_owner_reads(tmp_path):
    ca = tls_init(tmp_path)
    folder = ca.parent
    assert sorted(p.name for p in folder.iterdir()) == ["ca.key", "ca.pem", "server.key", "server.pem"]
    for key in ("ca.key", "server.key"):
        assert stat.S_IMODE((folder / key).stat().st_mode) == 0o600
    again = start_backend.__globals__["BackendProc"](tmp_path, demo=False, relay=False, cameras=None,
                                                      extra_args=()).cli("tls", "init", check=False)
    assert again.returncode == 1 and "--force" in again.stderr


def test_hub_beyond_loopback_refuses_to_start_plain(tmp_path):
    with pytest.raises(RuntimeError, match="tls init"):  # no certificate yet: no plain fallback
        start_backend(tmp_path, extra_args=["--host", "127.0.0.2"])
    with pytest.raises(RuntimeError, match="tls off: refused"):
        start_backend(tmp_path, extra_args=["--host", "127.0.0.2", "--tls", "off"])


async def test_pinned_ca_tls13_client_logs_in_and_sees_tls13(tls_hub):
    proc, ca = tls_hub
    msg, ws = await first_answer(wss(proc), protocol.auth(proc.token("duty_officer")), client_ssl_context(ca))
    assert msg["type"] == "auth_ok"
    assert ws.transport.get_extra_info("ssl_object").version() == "TLSv1.3"
    await ws.close()


async def test_tls12_client_is_refused(tls_hub):
    proc, ca = tls_hub
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises((ssl.SSLError, ConnectionResetError)):  # the hub aborts the handshake
        await first_answer(wss(proc), protocol.auth(proc.token("duty_officer")), ctx)


async def test_client_pinning_another_ca_is_refused(tls_hub, tmp_path):
    proc, _ca = tls_hub
    other = tls_init(tmp_path / "other")
    with pytest.raises(ssl.SSLCertVerificationError):
        await first_answer(wss(proc), protocol.auth(proc.token("duty_officer")), client_ssl_context(other))


async def test_client_trusting_the_system_store_is_refused(tls_hub):
    proc, _ca = tls_hub
    with pytest.raises(ssl.SSLCertVerificationError):
        await first_answer(wss(proc), protocol.auth(proc.token("duty_officer")), ssl.create_default_context())


async def test_tls13_client_without_the_ca_file_is_refused_on_a_forced_tls_loopback_hub(tmp_path):
    ca = tls_init(tmp_path)
    proc = start_backend(tmp_path, extra_args=["--tls", "on"])
    try:
        msg, ws = await first_answer(f"wss://127.0.0.1:{proc.port}", protocol.auth(proc.token("admin")),
                                     client_ssl_context(ca))
        assert msg["type"] == "auth_ok"
        await ws.close()
        with pytest.raises(Exception):
            await first_answer(proc.url, protocol.auth(proc.token("admin")))  # plain ws://
    finally:
        proc.stop()


async def test_plain_ws_client_is_refused_by_a_tls_hub(tls_hub):
    proc, _ca = tls_hub
    with pytest.raises(Exception) as info:
        await first_answer(f"ws://127.0.0.2:{proc.port}", protocol.auth(proc.token("duty_officer")))
    assert not isinstance(info.value, AssertionError)


async def test_origin_allow_list_is_exact(tls_hub):
    proc, ca = tls_hub
    token = proc.token("duty_officer")
    for bad in ("https://evil.example", ORIGIN + ".evil.example", "http://cc.yk.example", ORIGIN + ":443"):
        with pytest.raises(InvalidStatus) as info:
            await first_answer(wss(proc), protocol.auth(token), client_ssl_context(ca), origin=bad)
        assert info.value.response.status_code == 403
    for good in (ORIGIN, None):  # listed, or no Origin at all (the desktop app)
        msg, ws = await first_answer(wss(proc), protocol.auth(token), client_ssl_context(ca), origin=good)
        assert msg["type"] == "auth_ok"
        await ws.close()


async def test_origin_refused_on_a_loopback_hub_too(backend):
    with pytest.raises(InvalidStatus):
        await first_answer(backend.url, protocol.auth(backend.token("leader")), origin="http://localhost:8000")
