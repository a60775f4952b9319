"""Agent accounts as the platform manages them: read, deactivate (sessions end, sign-in refused, gone from the
console's agents list, held tickets back in the queue), reactivate, set a password (sessions end). Each test
makes its own agents: the demo agents are shared by the whole run. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from tests.backend.client import Backend
from tests.backend.test_tickets import console, conversation, escalate, sign_in

PASSWORD = "correct horse battery"


def new_agent(backend: Backend, role: str = "agent") -> dict:
    email = f"agent-{uuid.uuid4().hex[:10]}@alex.example"
    reply = backend.post("/v1/platform/agents", {"email": email, "name": f"Agent {email[6:12]}", "role": role,
                                                 "password": PASSWORD}, role="platform")
    assert reply.status_code == 201, reply.text
    return reply.json()


def sign_in_as(backend: Backend, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return backend.post("/v1/agent/sessions", {"email": email, "password": password}, role="console")


def _platform(backend: Backend, method: str, path: str, body: object = None):  # type: ignore[no-untyped-def]
    return backend.call(method, path, "platform", json_body=body)


@pytest.fixture(scope="module")
def supervisor(backend: Backend) -> str:
    return sign_in(backend, "supervisor@alex.example")


def _console_agents(backend: Backend, token: str) -> set[int]:
    return {a["id"] for a in console(backend, "GET", "/v1/agent/agents?limit=100", token).json()["items"]}


def test_a_deactivated_agent_is_signed_out_refused_and_gone_from_the_agents_list(
    backend: Backend, supervisor: str
) -> None:
    agent = new_agent(backend)
    tokens = [sign_in_as(backend, agent["email"]).json()["token"] for _ in range(2)]
    assert console(backend, "GET", "/v1/agent/me", tokens[0]).json()["id"] == agent["id"]
    assert agent["id"] in _console_agents(backend, supervisor)

    reply = _platform(backend, "POST", f"/v1/platform/agents/{agent['id']}/deactivate", {})
    assert reply.status_code == 200
    assert reply.json() == {"agent": {**agent, "active": False}, "sessions_ended": 2, "tickets_released": []}
    for token in tokens:
        refused = console(backend, "GET", "/v1/agent/me", token)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "session_invalid"
    wrong_password = sign_in_as(backend, agent["email"], "not the password at all")
    deactivated = sign_in_as(backend, agent["email"])
    assert deactivated.status_code == 401 and deactivated.content == wrong_password.content  # one answer for both
    assert agent["id"] not in _console_agents(backend, supervisor)
    assert _platform(backend, "GET", f"/v1/platform/agents/{agent['id']}").json()["active"] is False
    everyone = _platform(backend, "GET", "/v1/platform/agents?limit=100").json()
    assert {**agent, "active": False} in everyone["items"] and everyone["total"] >= 3

    number = escalate(backend, conversation()).json()["number"]
    to_inactive = console(backend, "POST", f"/v1/agent/tickets/{number}/reassign", supervisor,
                          {"agent_id": agent["id"]})
    assert to_inactive.status_code == 422 and to_inactive.json()["error"]["code"] == "agent_not_found"
    again = _platform(backend, "POST", f"/v1/platform/agents/{agent['id']}/deactivate", {})
    assert again.status_code == 200 and again.json()["sessions_ended"] == 0

    back = _platform(backend, "POST", f"/v1/platform/agents/{agent['id']}/activate", {})
    assert back.status_code == 200 and back.json() == agent
    assert console(backend, "GET", "/v1/agent/me", tokens[0]).status_code == 401  # old sessions stay ended
    fresh = sign_in_as(backend, agent["email"])
    assert fresh.status_code == 201
    assert console(backend, "GET", "/v1/agent/me", fresh.json()["token"]).status_code == 200

    audit = console(backend, "GET", "/v1/agent/audit?limit=100", supervisor).json()["items"]
    mine = [(e["action"], e["actor"]) for e in audit if e["details"].get("agent_id") == agent["id"]]
    assert mine[:2] == [("agent_activated", "platform"), ("agent_deactivated", "platform")]


def test_deactivating_an_agent_puts_the_tickets_they_held_back_in_the_queue(backend: Backend, supervisor: str) -> None:
    agent = new_agent(backend)
    token = sign_in_as(backend, agent["email"]).json()["token"]
    taken_over, handed_back = conversation(), conversation()
    numbers = [escalate(backend, c).json()["number"] for c in (taken_over, handed_back)]
    for number in numbers:
        assert console(backend, "POST", f"/v1/agent/tickets/{number}/claim", token).status_code == 200
    assert console(backend, "POST", f"/v1/agent/tickets/{numbers[1]}/hand-back", token, {}).status_code == 200

    reply = _platform(backend, "POST", f"/v1/platform/agents/{agent['id']}/deactivate", {})
    assert reply.json()["tickets_released"] == numbers
    # The conversation they had taken over waits for the next agent; the one handed back stays with the bot.
    assert backend.get(f"/v1/conversations/{taken_over}/ticket").json()["handoff"]["state"] == "waiting"
    assert backend.get(f"/v1/conversations/{handed_back}/ticket").json()["handoff"]["state"] == "returned"
    for number in numbers:
        detail = console(backend, "GET", f"/v1/agent/tickets/{number}", supervisor).json()
        assert detail["assignee"] is None and detail["ticket"]["status"] == "open"
        audit = console(backend, "GET", f"/v1/agent/tickets/{number}/audit", supervisor).json()["items"]
        assert (audit[0]["action"], audit[0]["actor"], audit[0]["details"]) == (
            "released", "platform", {"from_agent_id": agent["id"], "why": "agent_deactivated"})
    other = new_agent(backend)
    other_token = sign_in_as(backend, other["email"]).json()["token"]
    claimed = console(backend, "POST", f"/v1/agent/tickets/{numbers[0]}/claim", other_token)
    assert claimed.status_code == 200 and claimed.json()["assignee"]["id"] == other["id"]


def test_setting_a_password_ends_every_session_and_only_the_new_password_signs_in(backend: Backend) -> None:
    agent = new_agent(backend)
    token = sign_in_as(backend, agent["email"]).json()["token"]
    new_password = "a brand new passphrase"
    key = f"pw-{uuid.uuid4().hex}"
    reply = backend.put(f"/v1/platform/agents/{agent['id']}/password", {"password": new_password}, role="platform",
                        idempotency_key=key)
    assert reply.status_code == 200 and reply.json() == {"agent": agent, "sessions_ended": 1}
    assert console(backend, "GET", "/v1/agent/me", token).status_code == 401
    assert sign_in_as(backend, agent["email"]).status_code == 401
    assert sign_in_as(backend, agent["email"], new_password).status_code == 201
    # Never replayed (no fingerprint of a password is kept): a retry sets the same password again.
    retry = backend.put(f"/v1/platform/agents/{agent['id']}/password", {"password": new_password},
                        role="platform", idempotency_key=key)
    assert retry.status_code == 200 and "Idempotent-Replayed" not in retry.headers
    assert retry.json()["sessions_ended"] == 1
    assert sign_in_as(backend, agent["email"], new_password).status_code == 201


def test_bad_input_on_agent_accounts_is_a_client_error(backend: Backend) -> None:
    agent = new_agent(backend)
    path = f"/v1/platform/agents/{agent['id']}"
    for body in ({"password": "too short"}, {}, {"password": "long enough password", "extra": 1},
                 {"password": 123456789012345}, {"password": "x" * 201}):
        reply = backend.put(f"{path}/password", body, role="platform")
        assert reply.status_code == 422 and reply.json()["error"]["code"] == "validation_failed", body
    assert backend.post(f"{path}/deactivate", {"now": True}, role="platform").status_code == 422
    for unknown in ("999999999", "0", "-1", "abc", "1.5", "99999999999999999999", "%EF%BC%91"):
        for method, suffix, body in (("GET", "", None), ("POST", "/deactivate", {}), ("POST", "/activate", {}),
                                     ("PUT", "/password", {"password": "long enough password"})):
            reply = backend.call(method, f"/v1/platform/agents/{unknown}{suffix}", "platform", json_body=body)
            assert reply.status_code == 404 and reply.json()["error"]["code"] == "agent_not_found", (unknown, suffix)
    for method, suffix, body in (("POST", "/deactivate", {}), ("POST", "/activate", {}),
                                 ("PUT", "/password", {"password": "long enough password"})):
        no_key = backend.call(method, f"{path}{suffix}", "platform", json_body=body, idempotency_key=None)
        assert no_key.status_code == 400 and no_key.json()["error"]["code"] == "idempotency_key_required"
        assert backend.call(method, f"{path}{suffix}", "assistant", json_body=body).status_code == 403
    assert backend.get(f"{path}", role="platform").json() == agent  # nothing above changed it
    assert backend.get("/v1/platform/agents?limit=0", role="platform").json()["error"]["code"] == "bad_pagination"
    paths = backend.get("/v1/openapi.json", role="platform").json()["paths"]
    assert set(paths["/v1/platform/agents/{agent_id}/password"]) == {"put"}
    assert "agent_not_found" in paths["/v1/platform/agents/{agent_id}/deactivate"]["post"]["responses"]["404"][
        "description"]
