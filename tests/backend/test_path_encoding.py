"""Percent-encoded path parameters mean what they spell: `web%3Amain%3AS1001` is `web:main:S1001`, `%2B1555…` is
`+1555…`, on every route and for every role; decoded exactly once; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.backend.client import Backend
from tests.backend.test_evidence import PNG, upload
from tests.backend.test_tickets import console, escalate, sign_in

# Values from the demo data (S1001's) for each path parameter name; `number` depends on the collection.
NUMBERS = {"orders": "CJ2410180012349", "disputes": "SH2410200049", "returns": "RT2411070001",
           "tickets": "TK2411080001"}
# Fields computed from the clock: two reads a moment apart may differ there, whatever the path looked like.
CLOCK_FIELDS = ("estimated_wait_minutes", "support_hours")


def encoded(value: str) -> str:
    """Every byte percent-encoded, letters and digits too."""
    return "".join(f"%{byte:02X}" for byte in value.encode())


def fill(template: str, values: dict[str, str], encode: bool) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "number":
            collection = template[: match.start()].rstrip("/").rsplit("/", 1)[-1]
            raw = NUMBERS[collection]
        else:
            raw = values[name]
        return encoded(raw) if encode else requests.utils.quote(raw, safe=":+")

    return re.sub(r"{([^}]+)}", value, template)


def comparable(reply: requests.Response) -> object:
    if not reply.headers.get("Content-Type", "").startswith("application/json"):
        return reply.content
    body = reply.json()
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in CLOCK_FIELDS}
    return body


@pytest.fixture(scope="module")
def agent(backend: Backend) -> str:
    return sign_in(backend)


def test_every_read_answers_the_same_for_an_encoded_and_a_plain_path(backend: Backend, agent: str) -> None:
    conversation = f"web:enc{uuid.uuid4().hex[:8]}:S1001"
    assert escalate(backend, conversation).status_code == 201
    values = {"seller_id": "S1001", "conversation_id": conversation, "e164": "+15550101001",
              "evidence_id": upload(backend, "S1001", PNG, "image/png").json()["id"], "account_id": "S1001",
              "agent_id": str(console(backend, "GET", "/v1/agent/me", agent).json()["id"])}
    document = backend.documented.document
    checked = 0
    for template, item in document["paths"].items():
        operation = item.get("get")
        if operation is None or "{" not in template:
            continue
        role = operation["x-role"]
        session = agent if role == "console" else None
        plain = backend.call("GET", fill(template, values, encode=False), role, agent_session=session)
        coded = backend.call("GET", fill(template, values, encode=True), role, agent_session=session)
        assert plain.status_code == 200, (template, plain.text[:300])
        assert coded.status_code == 200 and comparable(coded) == comparable(plain), template
        checked += 1
    assert checked >= 15


def test_an_encoded_conversation_id_names_the_same_ticket_for_writes_and_reads(backend: Backend) -> None:
    conversation = f"web:enc{uuid.uuid4().hex[:8]}:S1001"
    first = escalate(backend, encoded(conversation))
    assert first.status_code == 201 and first.json()["conversation_id"] == conversation
    read = backend.get(f"/v1/conversations/{conversation}/ticket")
    assert read.status_code == 200 and read.json()["number"] == first.json()["number"]
    message = backend.post(f"/v1/conversations/{conversation.replace(':', '%3A')}/ticket/messages",
                           {"body": "Still there?", "external_id": "enc-1"})
    assert message.status_code == 201 and message.json()["ticket_number"] == first.json()["number"]
    again = backend.post(f"/v1/conversations/{conversation}/ticket/messages",
                         {"body": "Still there?", "external_id": "enc-1"})
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert escalate(backend, conversation, reason="frustration").status_code == 200


def test_the_same_idempotency_key_on_an_encoded_and_a_plain_path_replays(backend: Backend) -> None:
    conversation = f"web:enc{uuid.uuid4().hex[:8]}:S1001"
    key = f"enc-{uuid.uuid4().hex}"
    body = {"seller_id": "S1001", "channel": "web", "reason": "seller_request", "summary": "Wants a person."}
    first = backend.put(f"/v1/conversations/{conversation.replace(':', '%3a')}/ticket", body, idempotency_key=key)
    replay = backend.put(f"/v1/conversations/{conversation}/ticket", body, idempotency_key=key)
    assert first.status_code == 201 and replay.status_code == 201, (first.text, replay.text)
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.content == first.content


def test_an_encoded_plus_links_and_unlinks_the_same_whatsapp_number(backend: Backend) -> None:
    number = "+1555077" + str(uuid.uuid4().int)[:4]
    linked = backend.put(f"/v1/platform/identities/whatsapp/{number.replace('+', '%2B')}", {"seller_id": "S1002"},
                         role="platform")
    assert linked.status_code in (200, 201), linked.text
    for spelled in (number, number[1:], "%2B" + number[1:]):
        reply = backend.get(f"/v1/identities/whatsapp/{spelled}")
        assert reply.status_code == 200 and reply.json()["seller_id"] == "S1002", spelled
    unlinked = backend.call("DELETE", f"/v1/platform/identities/whatsapp/%2B{number[1:]}", "platform")
    assert unlinked.status_code == 200, unlinked.text
    assert backend.get(f"/v1/identities/whatsapp/{number}").status_code == 404


def test_encoded_message_ids_evidence_ids_and_ticket_numbers_reach_the_same_objects(backend: Backend, agent: str) -> None:
    message_id = f"wamid.enc{uuid.uuid4().hex[:8]}=="
    body = {"number": "+15550101001", "received_at": "2024-11-08T10:00:00+00:00"}
    first = backend.put(f"/v1/channels/whatsapp/inbound/{encoded(message_id)}", body)
    second = backend.put(f"/v1/channels/whatsapp/inbound/{message_id}", body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == {"message_id": message_id, "duplicate": True}

    item = upload(backend, "S1001", PNG, "image/png", purpose="other").json()
    changed = backend.patch(f"/v1/sellers/{encoded('S1001')}/evidence/{encoded(item['id'])}",
                            {"purpose": "store_image"})
    assert changed.status_code == 200 and changed.json()["id"] == item["id"]
    assert backend.get(f"/v1/sellers/S1001/evidence/{item['id']}").json()["purpose"] == "store_image"

    number = escalate(backend, f"web:enc{uuid.uuid4().hex[:8]}:S1001").json()["number"]
    claimed = console(backend, "POST", f"/v1/agent/tickets/{encoded(number)}/claim", agent)
    assert claimed.status_code == 200 and claimed.json()["ticket"]["number"] == number
    assert console(backend, "GET", f"/v1/agent/tickets/{number}", agent).json()["ticket"]["handoff"]["state"] == "agent"


def test_a_path_is_decoded_once_and_undecodable_bytes_answer_like_unknown(backend: Backend) -> None:
    conversation = f"web:enc{uuid.uuid4().hex[:8]}:S1001"
    twice = escalate(backend, conversation.replace(":", "%253A"))
    assert twice.status_code == 201 and twice.json()["conversation_id"] == conversation.replace(":", "%3A")
    assert backend.get(f"/v1/conversations/{conversation}/ticket").status_code == 404
    unknown = backend.get("/v1/sellers/S1001/evidence/ev_unknown")
    for raw in ("ev_%FF%FE", "ev_%00", "%C0%AF"):
        reply = backend.get(f"/v1/sellers/S1001/evidence/{raw}")
        assert reply.status_code == 404 and reply.content == unknown.content, raw
