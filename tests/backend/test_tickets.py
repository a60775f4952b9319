"""Tickets and the agent console: escalation (one active ticket per conversation), sessions that expire, the
queue, atomic claims, replies only from the agent holding the conversation, statuses, reassigning, handing
back, and the audit log; on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.backend.client import Backend


def conversation() -> str:
    return f"web:{uuid.uuid4().hex[:10]}:S1001"


def escalate(backend: Backend, conversation_id: str, **overrides: object) -> requests.Response:
    body = {"seller_id": "S1001", "channel": "web", "reason": "seller_request", "summary": "Wants a person.",
            "order_numbers": ["cj 2410 1800 12349"], "dispute_numbers": ["SH2410200049"]}
    body.update(overrides)
    return backend.put(f"/v1/conversations/{conversation_id}/ticket", body)


def sign_in(backend: Backend, email: str = "agent@alex.example", **extra: object) -> str:
    reply = backend.post("/v1/agent/sessions", {"email": email, "password": backend.settings.demo_agent_password,
                                                **extra}, role="console")
    assert reply.status_code == 201, reply.text
    return reply.json()["token"]


@pytest.fixture(scope="module")
def agent(backend: Backend) -> str:
    return sign_in(backend)


@pytest.fixture(scope="module")
def supervisor(backend: Backend) -> str:
    return sign_in(backend, "supervisor@alex.example")


def console(backend: Backend, method: str, path: str, token: str, body: object = None) -> requests.Response:
    return backend.call(method, path, "console", json_body=body, agent_session=token)


def test_escalating_twice_updates_the_one_active_ticket(backend: Backend) -> None:
    conv = conversation()
    first = escalate(backend, conv)
    assert first.status_code == 201
    ticket = first.json()
    assert (ticket["status"], ticket["handoff"]["state"], ticket["priority"]) == ("new", "waiting", "normal")
    assert ticket["order_numbers"] == ["CJ2410180012349"]
    again = escalate(backend, conv, reason="frustration", summary="Getting angry.", order_numbers=["CJ2410180012355"])
    assert again.status_code == 200
    updated = again.json()
    assert updated["number"] == ticket["number"]
    assert updated["reasons"] == ["seller_request", "frustration"] and updated["priority"] == "high"
    assert updated["order_numbers"] == ["CJ2410180012349", "CJ2410180012355"]
    lower = escalate(backend, conv, priority="low").json()
    assert lower["priority"] == "high"
    read = backend.get(f"/v1/conversations/{conv}/ticket").json()
    assert read["number"] == ticket["number"] and read["summary"] == "Wants a person."
    assert backend.get(f"/v1/sellers/S1001/tickets/{ticket['number']}").status_code == 200
    assert backend.get(f"/v1/sellers/S1002/tickets/{ticket['number']}").status_code == 404


def test_two_concurrent_escalations_of_one_conversation_make_one_ticket(backend: Backend) -> None:
    conv = conversation()
    with ThreadPoolExecutor(max_workers=6) as pool:
        replies = list(pool.map(lambda _: backend.call(
            "PUT", f"/v1/conversations/{conv}/ticket", json_body={
                "seller_id": "S1001", "channel": "web", "reason": "needs_agent", "summary": "Help."},
            session=requests.Session()), range(6)))
    assert sorted(r.status_code for r in replies) == [200] * 5 + [201]
    assert len({r.json()["number"] for r in replies}) == 1


def test_an_unlinked_whatsapp_conversation_gets_a_ticket_without_a_seller(backend: Backend) -> None:
    reply = escalate(backend, "wa:15550109999" + uuid.uuid4().hex[:4], seller_id=None, channel="whatsapp",
                     reason="account_blocked", order_numbers=[], dispute_numbers=[])
    assert reply.status_code == 201
    assert (reply.json()["seller_id"], reply.json()["priority"]) == (None, "urgent")


def test_sign_in_needs_the_right_password_and_a_session_expires(backend: Backend) -> None:
    wrong = backend.post("/v1/agent/sessions", {"email": "agent@alex.example", "password": "not-the-password"},
                         role="console")
    unknown = backend.post("/v1/agent/sessions", {"email": "nobody@alex.example", "password": "not-the-password"},
                           role="console")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    short = sign_in(backend, ttl_seconds=1)
    assert console(backend, "GET", "/v1/agent/me", short).status_code == 200
    time.sleep(1.2)
    expired = console(backend, "GET", "/v1/agent/me", short)
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "session_invalid"
    assert backend.get("/v1/agent/me", role="console").status_code == 401  # no session at all
    assert backend.get("/v1/agent/me", role="assistant").status_code == 403


def test_signing_out_ends_the_session(backend: Backend) -> None:
    token = sign_in(backend)
    assert console(backend, "DELETE", "/v1/agent/sessions/current", token).status_code == 200
    assert console(backend, "GET", "/v1/agent/me", token).status_code == 401


def test_the_queue_is_sorted_by_priority_then_age_with_sla_due_times(backend: Backend, agent: str) -> None:
    low = escalate(backend, conversation(), priority="low").json()
    urgent = escalate(backend, conversation(), reason="chargeback").json()
    items = console(backend, "GET", "/v1/agent/queue?limit=100", agent).json()["items"]
    ranks = {"urgent": 3, "high": 2, "normal": 1, "low": 0}
    keys = [(-ranks[i["priority"]], i["created_at"]) for i in items]
    assert keys == sorted(keys)
    numbers = [i["number"] for i in items]
    assert numbers.index(urgent["number"]) < numbers.index(low["number"])
    item = next(i for i in items if i["number"] == urgent["number"])
    assert item["first_response_due_at"] < item["resolution_due_at"] and item["first_response_overdue"] is False


def test_two_agents_claiming_at_once_one_wins_and_the_other_gets_already_claimed(
    backend: Backend, agent: str, supervisor: str
) -> None:
    number = escalate(backend, conversation()).json()["number"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        replies = list(pool.map(lambda token: backend.call("POST", f"/v1/agent/tickets/{number}/claim", "console",
                                                           agent_session=token, session=requests.Session()),
                                [agent, supervisor]))
    assert sorted(r.status_code for r in replies) == [200, 409]
    loser = next(r for r in replies if r.status_code == 409)
    assert loser.json()["error"]["code"] == "already_claimed"
    winner = next(r for r in replies if r.status_code == 200).json()
    assert winner["ticket"]["status"] == "open" and winner["ticket"]["handoff"]["state"] == "agent"


def test_the_agent_holding_the_conversation_replies_and_the_seller_sees_no_internal_notes(
    backend: Backend, agent: str, supervisor: str
) -> None:
    conv = conversation()
    number = escalate(backend, conv).json()["number"]
    assert console(backend, "POST", f"/v1/agent/tickets/{number}/messages", agent,
                   {"body": "Hello!"}).json()["error"]["code"] == "conversation_moved_on"  # not claimed yet
    detail = console(backend, "POST", f"/v1/agent/tickets/{number}/claim", agent).json()
    assert detail["context"]["seller"]["id"] == "S1001"
    assert "CJ2410180012349" in [o["number"] for o in detail["context"]["orders"]]
    reply = console(backend, "POST", f"/v1/agent/tickets/{number}/messages", agent, {"body": "Hi, I'm Dana."})
    assert reply.status_code == 201
    note = console(backend, "POST", f"/v1/agent/tickets/{number}/messages", agent,
                   {"body": "Refund looks due.", "internal": True})
    thread = note.json()["ticket"]["messages"]
    assert [m["author_kind"] for m in thread] == ["bot", "agent", "agent"]
    assert thread[1]["delivery_state"] == "pending" and thread[2]["internal"] is True
    assert note.json()["ticket"]["first_responded_at"] is not None
    seller_view = backend.get(f"/v1/conversations/{conv}/ticket").json()
    assert [m["body"] for m in seller_view["messages"]] == ["Wants a person.", "Hi, I'm Dana."]
    assert seller_view["handoff"] == {"state": "agent", "agent_name": "Dana Agent"}
    other = console(backend, "POST", f"/v1/agent/tickets/{number}/messages", supervisor, {"body": "Me too"})
    assert other.status_code == 409 and other.json()["error"]["code"] == "conversation_moved_on"
    delivered = console(backend, "PUT", f"/v1/agent/tickets/{number}/messages/{thread[1]['id']}/delivery", agent,
                        {"delivery_state": "delivered"})
    assert delivered.json()["delivery_state"] == "delivered"


def test_seller_messages_during_a_takeover_are_recorded_once(backend: Backend, agent: str) -> None:
    conv = conversation()
    number = escalate(backend, conv).json()["number"]
    console(backend, "POST", f"/v1/agent/tickets/{number}/claim", agent)
    path = f"/v1/conversations/{conv}/ticket/messages"
    first = backend.post(path, {"body": "Thanks, here is the photo", "external_id": "wamid.1"})
    again = backend.post(path, {"body": "Thanks, here is the photo", "external_id": "wamid.1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True and first.json()["handoff"]["state"] == "agent"
    bodies = [m["body"] for m in console(backend, "GET", f"/v1/agent/tickets/{number}", agent).json()["ticket"]["messages"]]
    assert bodies.count("Thanks, here is the photo") == 1
    assert backend.post(f"/v1/conversations/web:nobody:{uuid.uuid4().hex}/ticket/messages",
                        {"body": "hello?"}).status_code == 404


def test_statuses_follow_the_allowed_transitions_and_solving_hands_the_conversation_back(
    backend: Backend, agent: str
) -> None:
    conv = conversation()
    number = escalate(backend, conv).json()["number"]
    console(backend, "POST", f"/v1/agent/tickets/{number}/claim", agent)
    pending = console(backend, "POST", f"/v1/agent/tickets/{number}/status", agent, {"status": "pending"}).json()
    assert pending["ticket"]["status"] == "pending" and "solved" in pending["allowed_statuses"]
    back_to_new = console(backend, "POST", f"/v1/agent/tickets/{number}/status", agent, {"status": "new"})
    assert back_to_new.status_code == 409 and back_to_new.json()["error"]["code"] == "invalid_transition"
    solved = console(backend, "POST", f"/v1/agent/tickets/{number}/resolve", agent, {"note": "Refund explained."})
    assert solved.json()["ticket"]["status"] == "solved" and solved.json()["ticket"]["handoff"]["state"] == "returned"
    assert backend.get(f"/v1/conversations/{conv}/ticket").status_code == 404  # no active ticket now
    newer = escalate(backend, conv)
    assert newer.status_code == 201 and newer.json()["number"] != number
    reopen = console(backend, "POST", f"/v1/agent/tickets/{number}/status", agent, {"status": "open"})
    assert reopen.status_code == 409 and reopen.json()["error"]["code"] == "conversation_has_active_ticket"
    closed = console(backend, "POST", f"/v1/agent/tickets/{number}/status", agent, {"status": "closed"})
    assert closed.json()["ticket"]["status"] == "closed" and closed.json()["allowed_statuses"] == []


def test_handing_back_ends_the_takeover_and_later_replies_are_refused(backend: Backend, agent: str) -> None:
    conv = conversation()
    number = escalate(backend, conv).json()["number"]
    console(backend, "POST", f"/v1/agent/tickets/{number}/claim", agent)
    back = console(backend, "POST", f"/v1/agent/tickets/{number}/hand-back", agent, {"note": "Bot can finish."})
    assert back.json()["ticket"]["handoff"]["state"] == "returned"
    assert backend.get(f"/v1/conversations/{conv}/ticket").json()["handoff"]["state"] == "returned"
    late = console(backend, "POST", f"/v1/agent/tickets/{number}/messages", agent, {"body": "One more thing"})
    assert late.status_code == 409 and late.json()["error"]["code"] == "conversation_moved_on"
    assert escalate(backend, conv).json()["handoff"]["state"] == "waiting"  # escalated again


def test_only_supervisors_reassign_and_the_former_holder_is_locked_out(
    backend: Backend, agent: str, supervisor: str
) -> None:
    number = escalate(backend, conversation()).json()["number"]
    console(backend, "POST", f"/v1/agent/tickets/{number}/claim", agent)
    agents = console(backend, "GET", "/v1/agent/agents", supervisor).json()["items"]
    supervisor_id = next(a["id"] for a in agents if a["role"] == "supervisor")
    agent_id = next(a["id"] for a in agents if a["email"] == "agent@alex.example")
    refused = console(backend, "POST", f"/v1/agent/tickets/{number}/reassign", agent, {"agent_id": supervisor_id})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "supervisor_only"
    moved = console(backend, "POST", f"/v1/agent/tickets/{number}/reassign", supervisor, {"agent_id": supervisor_id})
    assert moved.json()["assignee"]["id"] == supervisor_id
    locked_out = console(backend, "POST", f"/v1/agent/tickets/{number}/messages", agent, {"body": "Still me?"})
    assert locked_out.json()["error"]["code"] == "conversation_moved_on"
    assert console(backend, "POST", f"/v1/agent/tickets/{number}/messages", supervisor,
                   {"body": "Sam here."}).status_code == 201
    audit = console(backend, "GET", f"/v1/agent/tickets/{number}/audit", agent).json()["items"]
    assert [e["action"] for e in audit][:3] == ["replied", "reassigned", "claimed"]
    assert audit[1]["details"] == {"from_agent_id": agent_id, "to_agent_id": supervisor_id}
    assert console(backend, "GET", "/v1/agent/audit", agent).status_code == 403
    assert console(backend, "GET", "/v1/agent/audit?limit=5", supervisor).json()["total"] >= 3


def test_the_demo_queue_holds_tickets_from_every_channel(backend: Backend, agent: str) -> None:
    items = console(backend, "GET", "/v1/agent/queue?limit=100", agent).json()["items"]
    demo = {i["number"]: i for i in items if i["number"].startswith("TK241108")}
    assert set(demo) >= {"TK2411080001", "TK2411080002", "TK2411080003"}
    assert demo["TK2411080003"]["seller_id"] is None and demo["TK2411080003"]["priority"] == "urgent"


def test_another_seller_cannot_take_over_a_conversations_ticket(backend: Backend) -> None:
    conversation = f"web:{uuid.uuid4().hex[:12]}:S1001"
    assert escalate(backend, conversation).status_code == 201
    other = escalate(backend, conversation, seller_id="S1002", order_numbers=[], dispute_numbers=[])
    assert other.status_code == 409 and other.json()["error"]["code"] == "conversation_seller_mismatch"
    assert backend.get(f"/v1/conversations/{conversation}/ticket").json()["seller_id"] == "S1001"
