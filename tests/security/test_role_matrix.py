"""Authorisation: every registered action × every role over the real hub, against backend/permissions.py."""
import pytest

from backend.permissions import EXPECTED, FORBIDDEN_ACTIONS
from backend_client.models import ROLES
from tests.backend.wsclient import RawClient
from tests.helpers.backend_proc import start_backend


@pytest.fixture
def backend(tmp_path):
    # one command per action per client, back to back: more than the default bucket (40 + 20/s) allows
    proc = start_backend(tmp_path, extra_args=["--rate", "1000", "--burst", "1000"])
    try:
        yield proc
    finally:
        proc.stop()


async def test_every_action_as_every_role_matches_the_policy_table(backend):
    clients = {role: await RawClient.connect(backend.url, backend.token(role)) for role in ROLES}
    registered = {a for c in clients.values() for a in c.auth["actions"]}
    missing = sorted(registered - set(EXPECTED))
    assert not missing, f"actions with no row in backend/permissions.py EXPECTED (add them): {missing}"
    assert not registered & set(FORBIDDEN_ACTIONS), "an action that switches auditing off must not exist"
    checked = 0
    for action in sorted(registered):
        for role, client in clients.items():
            allowed = role in EXPECTED[action]
            assert (action in client.auth["actions"]) == allowed, f"{action} as {role}: auth_ok.actions"
            result = await client.command(action, {})
            code = None if result["ok"] else result["error"]["code"]
            assert (code != "forbidden") == allowed, f"{action} as {role}: expected " \
                f"{'allowed' if allowed else 'forbidden'}, got {code or 'ok'}"
            checked += 1
    # deny by default: an action nobody registered is refused for every role, and audited
    for role, client in clients.items():
        result = await client.command("audit.disable", {})
        assert result["error"]["code"] == "unknown_action"
    refused = [r for r in backend.audit_rows() if r["action"] != "login" and r["detail"] == "forbidden"]
    assert len(refused) == sum(len(set(ROLES) - EXPECTED[a]) for a in registered)
    print(f"\nrole matrix: {len(registered)} actions x {len(ROLES)} roles = {checked} checks")
    for client in clients.values():
        await client.ws.close()


@pytest.mark.parametrize("action", sorted(a for a, roles in EXPECTED.items() if a.startswith("audit.")))
def test_only_the_auditor_reads_or_exports_the_audit_log(action):
    assert EXPECTED[action] == {"auditor"}
