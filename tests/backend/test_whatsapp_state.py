"""WhatsApp identities and the channel state the backend keeps for every replica: linked numbers, inbound
message ids recorded once (even when Meta delivers twice at the same moment), last inbound times, statuses."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.backend.client import Backend


def test_a_linked_number_names_its_seller_and_unknown_or_unlinked_numbers_answer_alike(backend: Backend) -> None:
    reply = backend.get("/v1/identities/whatsapp/+15550101001")
    assert reply.status_code == 200 and reply.json()["seller_id"] == "S1001"
    assert backend.get("/v1/identities/whatsapp/15550102001").json()["seller_id"] == "S1002"
    unlinked = backend.get("/v1/identities/whatsapp/+15550109999")
    unknown = backend.get("/v1/identities/whatsapp/+4915112345678")
    garbage = backend.get("/v1/identities/whatsapp/not-a-number")
    assert unlinked.status_code == unknown.status_code == garbage.status_code == 404
    assert unlinked.content == unknown.content == garbage.content


def test_the_platform_links_and_unlinks_numbers(backend: Backend) -> None:
    number = f"+1555{uuid.uuid4().int % 10**7:07d}"
    linked = backend.put(f"/v1/platform/identities/whatsapp/{number}", {"seller_id": "S1002"}, role="platform")
    assert linked.status_code == 200 and linked.json()["seller_id"] == "S1002"
    assert backend.get(f"/v1/identities/whatsapp/{number}").json()["seller_id"] == "S1002"
    moved = backend.put(f"/v1/platform/identities/whatsapp/{number}", {"seller_id": "S1001"}, role="platform")
    assert moved.json()["seller_id"] == "S1001"
    gone = backend.call("DELETE", f"/v1/platform/identities/whatsapp/{number}", role="platform")
    assert gone.status_code == 200
    assert backend.get(f"/v1/identities/whatsapp/{number}").status_code == 404


def test_an_inbound_message_is_recorded_once_and_sets_the_last_inbound_time(backend: Backend) -> None:
    message_id = f"wamid.{uuid.uuid4().hex}"
    body = {"number": "+15550101002", "received_at": "2030-01-01T12:00:00Z"}
    first = backend.put(f"/v1/channels/whatsapp/inbound/{message_id}", body)
    again = backend.put(f"/v1/channels/whatsapp/inbound/{message_id}", body)
    assert (first.status_code, first.json()["duplicate"]) == (201, False)
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    identity = backend.get("/v1/identities/whatsapp/+15550101002").json()
    assert identity["last_inbound_at"] == "2030-01-01T12:00:00+00:00"
    older = backend.put(f"/v1/channels/whatsapp/inbound/wamid.{uuid.uuid4().hex}",
                        {"number": "+15550101002", "received_at": "2029-01-01T00:00:00+00:00"})
    assert older.status_code == 201
    assert backend.get("/v1/identities/whatsapp/+15550101002").json()["last_inbound_at"] == "2030-01-01T12:00:00+00:00"


def test_a_seller_known_only_by_a_business_scoped_user_id_is_a_sender_like_a_number(backend: Backend) -> None:
    """Meta's business-scoped user ids (a country code, a dot, up to 128 letters and digits:
    https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/)."""
    user_id = "US." + "7" * 128
    message_id = f"wamid.{uuid.uuid4().hex}"
    body = {"number": user_id, "received_at": "2030-01-01T12:00:00Z"}
    assert backend.put(f"/v1/channels/whatsapp/inbound/{message_id}", body).status_code == 201
    assert backend.put(f"/v1/channels/whatsapp/inbound/{message_id}", body).json()["duplicate"] is True
    sent = {"status": "sent", "at": "2030-01-01T12:00:01Z", "recipient": user_id}
    assert backend.put(f"/v1/channels/whatsapp/statuses/wamid.{uuid.uuid4().hex}", sent).status_code == 200
    not_an_id = {**body, "number": "us.12345"}
    assert backend.put(f"/v1/channels/whatsapp/inbound/wamid.{uuid.uuid4().hex}", not_an_id).status_code == 422


def test_two_concurrent_deliveries_of_one_message_get_one_201(backend: Backend) -> None:
    message_id = f"wamid.{uuid.uuid4().hex}"
    body = {"number": "+15550109999", "received_at": "2030-01-02T00:00:00Z"}
    with ThreadPoolExecutor(max_workers=6) as pool:
        replies = list(pool.map(lambda _: backend.put(f"/v1/channels/whatsapp/inbound/{message_id}", body,
                                                      session=requests.Session()), range(6)))
    assert sorted(r.status_code for r in replies) == [200] * 5 + [201]


def test_outbound_statuses_are_recorded_once_per_status(backend: Backend) -> None:
    message_id = f"wamid.{uuid.uuid4().hex}"
    sent = {"status": "sent", "at": "2030-01-01T12:00:01Z", "recipient": "+15550101001"}
    assert backend.put(f"/v1/channels/whatsapp/statuses/{message_id}", sent).json()["duplicate"] is False
    assert backend.put(f"/v1/channels/whatsapp/statuses/{message_id}", sent).json()["duplicate"] is True
    failed = {"status": "failed", "at": "2030-01-01T12:00:02Z", "recipient": "+15550101001",
              "errors": [{"code": 131047, "title": "Re-engagement message"}]}
    reply = backend.put(f"/v1/channels/whatsapp/statuses/{message_id}", failed)
    # The message carried no agent reply, so there is nothing to resend as the template.
    assert reply.status_code == 200 and reply.json() == {"message_id": message_id, "status": "failed",
                                                         "duplicate": False, "resend_as_template": False,
                                                         "agent_reply": None}
