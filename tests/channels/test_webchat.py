"""The web chat channel over Socket.IO against the running stack (the widget's protocol, without a browser)."""

from __future__ import annotations

import uuid
from typing import Iterator

import pytest
import requests
import socketio

from bot.channels.attachments import sign_reference
from bot.identity import mint_seller_token
from bot.settings import Settings
from bot.stack import Stack
from tests.channels.webchat_client import ChatSocket
from tests.e2e.conversation import post_bot_event, tracker


@pytest.fixture
def chat(stack: tuple[Stack, Settings]) -> Iterator[ChatSocket]:
    client = ChatSocket(stack[1])
    yield client
    client.close()


def _name() -> str:
    return uuid.uuid4().hex[:16]


def test_a_refund_lookup_over_the_socket_gets_the_sellers_facts(chat: ChatSocket) -> None:
    chat.connect()
    confirm = chat.session(_name())
    assert confirm["conversation_id"] == f"web:{confirm['session_id']}:S1001"
    assert "42.50 USD" in chat.say("where is my refund for CJ2410180012345")


@pytest.mark.parametrize("token", ["", "not-a-jwt", "forged", "expired"])
def test_a_missing_forged_or_expired_token_cannot_connect(stack: tuple[Stack, Settings], token: str) -> None:
    _, settings = stack
    token = {
        "forged": mint_seller_token("S1001", "a-secret-the-platform-never-used-0123456789"),
        "expired": mint_seller_token("S1001", settings.identity_secret, ttl_seconds=-10),
    }.get(token, token)
    client = ChatSocket(settings)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(token=token, wait_timeout=2)
    assert "unauthenticated" in str(client.refusal)


def test_a_page_from_another_origin_cannot_connect(chat: ChatSocket) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        chat.connect(origin="https://evil.example", wait_timeout=2)
    assert "origin_not_allowed" in str(chat.refusal)


def test_after_a_reconnect_the_history_and_the_unfinished_form_come_back_from_the_server(
    stack: tuple[Stack, Settings],
) -> None:
    _, settings = stack
    name = _name()
    first = ChatSocket(settings)
    first.connect()
    first.session(name)
    first.say("hi")
    assert "Which order should I check" in first.say("where is my order")
    first.close()

    again = ChatSocket(settings)
    again.connect()
    history = again.session(name)["history"]
    assert [m["sender"] for m in history] == ["user", "bot", "user", "bot"]
    assert history[0]["text"] == "hi" and history[0]["attachments"] == []
    assert history[1]["buttons"] and "offered" not in history[1]  # the greeting's buttons are no longer live
    assert "Which order should I check" in history[-1]["text"] and history[-1]["offered"]
    assert "Order CJ2410180012347 is completed" in again.say("CJ2410180012347")  # the form continues
    again.close()


def test_a_clicked_button_shows_as_its_title_in_the_restored_history(chat: ChatSocket) -> None:
    name = _name()
    chat.connect()
    chat.session(name)
    greeting = chat.turn("hello")
    payload = next(b["payload"] for m in greeting for b in m.get("buttons", []) if b["title"] == "Where's my order?")
    assert "Which order should I check" in " ".join(m["text"] for m in chat.turn(payload))
    history = chat.session(name)["history"]
    assert history[2] == {**history[2], "sender": "user", "text": "Where's my order?"}


def test_another_sellers_session_name_leads_to_ones_own_empty_conversation(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    name = _name()
    owner = ChatSocket(settings)
    owner.connect(seller_id="S1001")
    owner.session(name)
    assert "42.50 USD" in owner.say("where is my refund for CJ2410180012345")

    intruder = ChatSocket(settings)
    intruder.connect(seller_id="S1002")
    confirm = intruder.session(name)
    assert confirm["history"] == []
    assert confirm["conversation_id"] == f"web:{name}:S1002"
    assert "42.50" not in intruder.say("where is my refund for CJ2410180012345")
    assert owner.quiet_for(1.0), "the other seller's conversation must not reach the owner's socket"
    for client in (owner, intruder):
        client.close()


def test_session_ids_and_metadata_sent_with_a_message_are_ignored(
    chat: ChatSocket, stack: tuple[Stack, Settings]
) -> None:
    _, settings = stack
    name = _name()
    chat.connect(seller_id="S1002")
    chat.session(name)
    forged_binding = {"seller_binding": {"seller_id": "S1001", "signature": "0" * 64}}
    answer = " ".join(m.get("text", "") for m in chat.turn(
        "where is my refund for CJ2410180012345",
        session_id=f"{name}:S1001", sender="web:main:S1001", metadata=forged_binding,
    ))
    assert "42.50" not in answer and "can't find" in answer
    latest = tracker(settings, f"web:{name}:S1002")["latest_message"]
    assert latest["metadata"]["seller_binding"]["seller_id"] == "S1002"


def test_typed_commands_the_bot_did_not_offer_do_nothing_special(
    chat: ChatSocket, stack: tuple[Stack, Settings]
) -> None:
    _, settings = stack
    name = _name()
    chat.connect()
    chat.session(name)
    chat.say("where is my refund")
    chat.turn("/restart")
    chat.turn('/check_refund_status{"order_number": "CJ2410190020001"}')
    events = tracker(settings, f"web:{name}:S1001")["events"]
    assert not [e for e in events if e["event"] == "restart"]
    user_texts = [e["text"] for e in events if e["event"] == "user"]
    assert "restart" in user_texts and not [t for t in user_texts if t.startswith("/")]


def test_empty_and_oversized_messages_are_refused_with_a_clear_error(chat: ChatSocket) -> None:
    chat.connect()
    chat.session(_name())
    assert chat.error("   ")["code"] == "empty_message"
    assert chat.error(None)["code"] == "bad_message"
    refused = chat.error("x" * 2001)
    assert refused["code"] == "message_too_long" and "2000" in refused["message"]


def test_a_message_before_the_session_request_is_refused(chat: ChatSocket) -> None:
    chat.connect()
    assert chat.error("hello")["code"] == "no_session"


def test_only_attachments_this_channel_signed_for_this_conversation_reach_the_bot(
    chat: ChatSocket, stack: tuple[Stack, Settings]
) -> None:
    _, settings = stack
    name = _name()
    conversation = f"web:{name}:S1001"
    attachment = {"evidence_id": "EV-test-1", "content_type": "image/png", "filename": "parcel.png"}
    chat.connect()
    chat.session(name)

    elsewhere = sign_reference(f"web:other:S1001", attachment, settings.identity_secret)
    forged = sign_reference(conversation, attachment, "not-the-identity-secret")
    for reference in (elsewhere, forged, "garbage", 42):
        assert chat.error("", attachments=[reference])["code"] == "bad_attachments"

    chat.turn("", attachments=[sign_reference(conversation, attachment, settings.identity_secret)],
              metadata={"attachments": [{"evidence_id": "EV-not-mine"}]})
    latest = tracker(settings, conversation)["latest_message"]
    assert latest["text"] == "/share_evidence"
    assert latest["metadata"]["attachments"] == [attachment]
    assert latest["metadata"]["seller_binding"]["seller_id"] == "S1001"
    history = chat.session(name)["history"]
    assert history[0]["text"] == "" and history[0]["attachments"] == [
        {"filename": "parcel.png", "content_type": "image/png"}
    ]


def test_a_typed_share_evidence_without_attachments_is_disarmed(
    chat: ChatSocket, stack: tuple[Stack, Settings]
) -> None:
    _, settings = stack
    name = _name()
    chat.connect()
    chat.session(name)
    chat.turn("/share_evidence")
    assert tracker(settings, f"web:{name}:S1001")["latest_message"]["text"] == "share_evidence"


def test_a_bot_event_posted_for_the_conversation_reaches_the_sellers_socket(
    chat: ChatSocket, stack: tuple[Stack, Settings]
) -> None:
    """How issue 6's agent replies reach the web chat: Rasa's API with output_channel=webchat."""
    _, settings = stack
    name = _name()
    chat.connect()
    chat.session(name)
    chat.say("hi")
    post_bot_event(settings, f"web:{name}:S1001", {"event": "bot", "text": "Hello, this is Mia from CJ support."},
                   "webchat")
    event, data = chat.next_event(timeout=10)
    assert (event, data) == ("bot_uttered", {"text": "Hello, this is Mia from CJ support."})


def test_uploads_need_a_valid_token_and_well_formed_headers(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    url = f"{settings.rasa_url}/webhooks/webchat/evidence"
    token = mint_seller_token("S1001", settings.identity_secret)
    headers = {"Content-Type": "image/png", "X-Session": "abc", "X-Upload-Id": "u1", "X-Filename": "a.png"}
    assert requests.post(url, data=b"\x89PNG", headers=headers, timeout=10).status_code == 401
    forged = mint_seller_token("S1001", "a-secret-the-platform-never-used-0123456789")
    reply = requests.post(url, data=b"\x89PNG", headers={**headers, "Authorization": f"Bearer {forged}"}, timeout=10)
    assert reply.status_code == 401
    reply = requests.post(url, data=b"\x89PNG", headers={**headers, "Authorization": f"Bearer {token}",
                                                            "X-Session": "web:abc:S1002"}, timeout=10)
    assert reply.status_code == 400
    too_big = b"x" * (settings.max_upload_bytes + 1)
    reply = requests.post(url, data=too_big, headers={**headers, "Authorization": f"Bearer {token}"}, timeout=10)
    assert reply.status_code == 413


def test_cors_admits_the_help_page_origin_only(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    url = f"{settings.rasa_url}/webhooks/webchat/evidence"

    def preflight(origin: str) -> requests.Response:
        return requests.options(url, headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-filename,x-session,x-upload-id",
        }, timeout=10)

    allowed = preflight(settings.help_page_origins[0])
    assert allowed.headers.get("Access-Control-Allow-Origin") == settings.help_page_origins[0]
    assert "Access-Control-Allow-Origin" not in preflight("https://evil.example").headers


def test_a_token_that_expires_during_the_connection_ends_it(stack: tuple[Stack, Settings]) -> None:
    """The server tells the socket and disconnects it (tests/security/test_web_chat_token_expiry.py has more)."""
    _, settings = stack
    chat = ChatSocket(settings)
    chat.connect(token=mint_seller_token("S1001", settings.identity_secret, ttl_seconds=3))
    chat.session(_name())
    event, data = chat.next_event(timeout=10)
    assert (event, data["code"]) == ("chat_error", "token_expired")
    chat.close()
