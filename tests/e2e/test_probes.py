"""Probes that must get nothing: internal doors stay shut, identity can't be forged, typed commands don't act."""

from __future__ import annotations

import requests

from bot.identity import mint_seller_token
from bot.settings import Settings
from bot.stack import Stack
from bot.terminal_chat import SellerChatClient
from tests.e2e.conversation import say, seller, tracker


def events_of(settings: Settings, conversation_id: str) -> list[dict]:
    return tracker(settings, conversation_id)["events"]


def test_a_missing_forged_or_expired_token_gets_nothing(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    forged = mint_seller_token("S1001", "a-secret-the-platform-never-used-0123456789")
    expired = mint_seller_token("S1001", settings.identity_secret, ttl_seconds=-10)
    for token in ("", forged, expired):
        reply = SellerChatClient(settings.rasa_url, token).send("where is my refund for CJ2410180012345")
        assert reply.status_code == 401
        assert "42.50" not in reply.text


def test_rasas_stock_rest_channel_is_not_exposed(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    reply = requests.post(
        f"{settings.rasa_url}/webhooks/rest/webhook",
        json={"sender": "web:main:S1001", "message": "where is my refund for CJ2410180012345"},
        timeout=10,
    )
    assert reply.status_code == 404


def test_rasas_http_api_needs_its_token(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    say(seller(settings, session="apiprobe"), "hi")
    conversation = f"{settings.rasa_url}/conversations/web:apiprobe:S1001/tracker"
    assert requests.get(conversation, timeout=10).status_code == 401
    assert requests.get(conversation, params={"token": "guess"}, timeout=10).status_code == 401
    assert requests.post(f"{settings.rasa_url}/model/parse", json={"text": "hi"}, timeout=10).status_code == 401
    assert requests.get(conversation, params={"token": settings.rasa_token}, timeout=10).status_code == 200


def test_the_action_server_refuses_callers_without_the_shared_token(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    url = f"http://127.0.0.1:{settings.actions_port}"
    call = {
        "next_action": "action_refund_status",
        "sender_id": "web:main:S1001",
        "tracker": {"sender_id": "web:main:S1001", "slots": {"order_number": "CJ2410180012345"},
                    "latest_message": {"metadata": {}}, "events": []},
        "domain": {},
        "version": "3.6.2",
    }
    direct = requests.post(f"{url}/webhook", json=call, timeout=10)
    assert direct.status_code == 401
    assert "42.50" not in direct.text
    wrong = requests.post(f"{url}/webhook", json=call, headers={"Authorization": "Bearer guess"}, timeout=10)
    assert wrong.status_code == 401
    assert requests.get(f"{url}/actions", timeout=10).status_code == 401


def test_the_backend_refuses_callers_without_the_service_key(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    reply = requests.get(f"{settings.backend_url}/v1/sellers/S1001/orders/CJ2410180012345", timeout=10)
    assert reply.status_code == 401


def test_a_typed_restart_the_bot_never_offered_is_not_obeyed(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    chat = seller(settings, session="restartprobe")
    say(chat, "where is my refund")
    say(chat, "/restart")
    events = events_of(settings, "web:restartprobe:S1001")
    assert not [e for e in events if e["event"] == "restart"]
    texts = [e.get("text") for e in events if e["event"] == "user"]
    assert "/restart" not in texts and "restart" in texts


def test_a_typed_intent_with_entities_does_not_fill_slots_with_forged_confidence(
    stack: tuple[Stack, Settings]
) -> None:
    _, settings = stack
    chat = seller(settings, session="injectprobe")
    say(chat, '/check_refund_status{"order_number": "CJ2410190020001"}')
    user_events = [e for e in events_of(settings, "web:injectprobe:S1001") if e["event"] == "user"]
    assert not user_events[-1]["text"].startswith("/")
    assert "88.00" not in " ".join(say(chat, "CJ2410190020001"))


def test_a_button_the_bot_offered_works_as_a_command(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    chat = seller(settings, session="buttonprobe")
    reply = chat.send("hello")
    payloads = [b["payload"] for m in reply.json()["messages"] for b in m.get("buttons") or []]
    assert "/check_refund_status" in payloads
    assert "Your most recent refunds" in " ".join(say(chat, "/check_refund_status"))


def test_one_sellers_session_name_never_reaches_another_sellers_conversation(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    say(seller(settings, "S1001", session="shared"), "where is my refund for CJ2410180012345")
    reply = seller(settings, "S1002", session="shared").send("hi")
    assert reply.json()["conversation_id"] == "web:shared:S1002"
    theirs = [e.get("text") for e in events_of(settings, "web:shared:S1002") if e["event"] in ("user", "bot")]
    assert not [t for t in theirs if t and "CJ2410180012345" in t]


def test_empty_and_huge_messages_get_a_clear_refusal(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    chat = seller(settings)
    for text, status, code in (("   ", 400, "empty_message"), ("/", 400, "empty_message"),
                               ("x" * 5000, 413, "message_too_long")):
        reply = chat.send(text)
        assert reply.status_code == status
        assert reply.json()["error"]["code"] == code
    bad_body = requests.post(chat.url, data="not json", headers={"Authorization": f"Bearer {chat.token}"}, timeout=10)
    assert bad_body.status_code == 400
