"""What the channels do with the backend's help: linked WhatsApp numbers, dedup that outlives the process,
status records, and evidence files stored as the verified seller (web upload and WhatsApp media)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests

from bot.identity import mint_seller_token
from bot.settings import Settings
from bot.stack import Stack
from tests.channels.webchat_client import ChatSocket
from tests.channels.whatsapp_client import (
    IDENTITY_REQUIRED,
    answered,
    bodies,
    delivery,
    media_message,
    new_number,
    post,
    say,
    text_message,
)
from tests.e2e.conversation import tracker
from tests.fakes.graph_api import FakeGraphApi
from tests.images import PNG
from tests.platform import Platform



def _backend(settings: Settings, method: str, path: str, key: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
    if method != "GET":
        headers.setdefault("Idempotency-Key", uuid.uuid4().hex)
    return requests.request(method, f"{settings.backend_url}{path}", headers=headers, timeout=10, **kwargs)


def link(settings: Settings, number: str, seller_id: str) -> None:
    """What CJ's staff do: link a WhatsApp number to a seller account."""
    Platform(settings).link_whatsapp(number, seller_id)


def test_a_linked_number_gets_its_own_sellers_facts_and_another_sellers_get_not_found(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    link(settings, number, "S1001")
    answer = bodies(say(settings, fake_graph_api, number, "where is my refund for CJ2410180012345"))
    assert "42.50 USD" in answer and IDENTITY_REQUIRED not in answer
    assert tracker(settings, f"wa:{number}")["latest_message"]["metadata"]["seller_binding"]["seller_id"] == "S1001"
    assert "88.00" not in bodies(say(settings, fake_graph_api, number, "where is my refund for CJ2410190020001"))


def test_a_message_another_replica_already_recorded_is_not_answered_again(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    """The backend, not this process's memory, decides what is a duplicate (so restarts and replicas agree)."""
    _, settings = stack
    number = new_number()
    message = text_message(number, "how do i open a dispute")
    recorded = _backend(settings, "PUT", f"/v1/channels/whatsapp/inbound/{message['id']}", settings.backend_key,
                        json={"number": f"+{number}", "received_at": "2026-01-01T00:00:00Z"})
    assert recorded.status_code == 201, recorded.text
    assert post(settings, delivery(settings, [message])).status_code == 200
    fresh = text_message(number, "how do i close a dispute")
    post(settings, delivery(settings, [fresh]))
    sent = answered(fake_graph_api, number)
    time.sleep(1.0)
    assert len(fake_graph_api.sent_to(number)) == len(sent) == 1 and "Cancel" in bodies(sent)


def test_status_updates_are_recorded_in_the_backend(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    status_id = f"wamid.out-{uuid.uuid4().hex}"
    statuses = [
        {"id": status_id, "status": "delivered", "timestamp": str(int(time.time())), "recipient_id": number},
        {"id": f"{status_id}-failed", "status": "failed", "timestamp": str(int(time.time())), "recipient_id": number,
         "errors": [{"code": 131047, "title": "Re-engagement message", "message": "More than 24 hours have passed",
                     "error_data": {"details": "Message failed to send because more than 24 hours have passed"}}]},
    ]
    assert post(settings, delivery(settings, statuses=statuses)).status_code == 200

    def recorded_before(message_id: str, status: str) -> bool:
        """Recording it again answers duplicate=true only if the channel recorded it first."""
        again = _backend(settings, "PUT", f"/v1/channels/whatsapp/statuses/{message_id}", settings.backend_key,
                         json={"status": status, "at": "2026-01-01T00:00:00Z", "recipient": f"+{number}"})
        return again.ok and again.json().get("duplicate") is True

    fake_graph_api.wait_for(lambda: recorded_before(status_id, "delivered"), timeout=10)
    fake_graph_api.wait_for(lambda: recorded_before(f"{status_id}-failed", "failed"), timeout=10)
    assert fake_graph_api.sent_to(number) == []


def test_a_photo_from_a_linked_number_is_stored_as_that_sellers_evidence(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    link(settings, number, "S1002")
    media_id = f"media-{uuid.uuid4().hex}"
    fake_graph_api.add_media(media_id, PNG, "image/png")
    post(settings, delivery(settings, [media_message(number, "image", media_id, "image/png", caption="broken")]))
    latest = fake_graph_api.wait_for(
        lambda: (tracker(settings, f"wa:{number}").get("latest_message") or {}).get("metadata", {}).get("attachments")
    )
    [attachment] = latest
    assert attachment["content_type"] == "image/png"
    # The seller's own message carries the caption (Alex may act on it after: "broken" starts a dispute).
    sent = [e for e in tracker(settings, f"wa:{number}")["events"]
            if e.get("event") == "user" and (e.get("metadata") or {}).get("attachments")]
    assert sent[0]["text"] == "broken"
    stored = _backend(settings, "GET", f"/v1/sellers/S1002/evidence/{attachment['evidence_id']}", settings.backend_key)
    assert stored.status_code == 200 and stored.json()["sha256"]
    foreign = _backend(settings, "GET", f"/v1/sellers/S1001/evidence/{attachment['evidence_id']}", settings.backend_key)
    assert foreign.status_code == 404


def test_a_document_the_evidence_store_refuses_is_said_so_not_thanked_for(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    link(settings, number, "S1001")
    media_id = f"media-{uuid.uuid4().hex}"
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    fake_graph_api.add_media(media_id, b"PK\x03\x04 a word file, not evidence we keep", docx)
    post(settings, delivery(settings, [media_message(number, "document", media_id, docx, filename="invoice.docx")]))
    answer = bodies(answered(fake_graph_api, number))
    assert "couldn't keep the file you sent (invoice.docx)" in answer and "received your file" not in answer
    latest = tracker(settings, f"wa:{number}")["latest_message"]
    assert latest["metadata"]["files_not_stored"] == ["invoice.docx"] and "attachments" not in latest["metadata"]
    assert latest["metadata"]["file_refusals"] == ["unsupported_media_type"]


def test_a_web_upload_is_stored_as_the_sellers_evidence_and_reaches_the_bot_in_metadata(
    stack: tuple[Stack, Settings],
) -> None:
    _, settings = stack
    session = uuid.uuid4().hex[:16]
    token = mint_seller_token("S1001", settings.identity_secret)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/png", "X-Session": session,
               "X-Upload-Id": "upload-1", "X-Filename": "parcel photo.png"}
    url = f"{settings.rasa_url}/webhooks/webchat/evidence"
    first = requests.post(url, data=PNG, headers=headers, timeout=30)
    assert first.status_code == 201, first.text
    retried = requests.post(url, data=PNG, headers=headers, timeout=30)
    assert retried.json()["evidence_id"] == first.json()["evidence_id"]  # a retried upload stores nothing twice
    not_an_image = requests.post(url, data=b"MZ\x90\x00 not a picture", headers={**headers, "X-Upload-Id": "u2"},
                                 timeout=30)
    assert not_an_image.status_code == 415

    chat = ChatSocket(settings)
    chat.connect(token=token)
    chat.session(session)
    chat.turn("here is the damaged parcel", attachments=[first.json()["reference"]])
    chat.close()
    latest = tracker(settings, f"web:{session}:S1001")["latest_message"]
    assert latest["metadata"]["attachments"] == [
        {"evidence_id": first.json()["evidence_id"], "content_type": "image/png", "filename": "parcel photo.png"}
    ]
    content = _backend(settings, "GET", f"/v1/sellers/S1001/evidence/{first.json()['evidence_id']}/content",
                       settings.backend_key)
    assert content.status_code == 200 and content.content == PNG
