"""The WhatsApp channel end to end: signed webhook deliveries in, the fake Graph API records what goes out."""

from __future__ import annotations

import time

import requests

from bot.channels.whatsapp_graph import (
    BODY_LIMIT,
    MAX_LIST_ROWS,
    MAX_REPLY_BUTTONS,
    REPLY_TITLE_LIMIT,
    ROW_TITLE_LIMIT,
    TEXT_LIMIT,
    reply_id,
)
from bot.settings import Settings
from bot.stack import Stack
from tests.channels.whatsapp_client import (
    IDENTITY_REQUIRED,
    answered,
    bodies,
    delivery,
    media_message,
    new_number,
    post,
    reply_message,
    say,
    text_message,
)
from tests.e2e.conversation import post_bot_event, tracker
from tests.fakes.graph_api import FakeGraphApi

def test_the_webhook_verification_handshake_answers_the_challenge_only_with_the_verify_token(
    stack: tuple[Stack, Settings],
) -> None:
    _, settings = stack
    url = f"{settings.rasa_url}/webhooks/whatsapp/webhook"
    good = {"hub.mode": "subscribe", "hub.verify_token": settings.whatsapp_verify_token, "hub.challenge": "1158201444"}
    reply = requests.get(url, params=good, timeout=10)
    assert (reply.status_code, reply.text) == (200, "1158201444")
    assert requests.get(url, params={**good, "hub.verify_token": "guess"}, timeout=10).status_code == 403
    assert requests.get(url, params={**good, "hub.mode": "unsubscribe"}, timeout=10).status_code == 403


def test_a_signed_text_gets_its_reply_through_the_graph_api_and_is_marked_read(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    message = text_message(number, "how do i open a dispute")
    started = time.monotonic()
    reply = post(settings, delivery(settings, [message]))
    assert reply.status_code == 200 and time.monotonic() - started < 2  # answered before the bot's turn ran
    sent = answered(fake_graph_api, number)
    assert "Open Dispute" in bodies(sent)
    assert all(m["messaging_product"] == "whatsapp" and m["recipient_type"] == "individual" for m in sent)
    assert message["id"] in fake_graph_api.marked_read()
    request = next(r for r in fake_graph_api.requests if isinstance(r.body, dict) and r.body.get("to") == number)
    assert request.path == f"/v21.0/{settings.whatsapp_phone_number_id}/messages"
    assert request.headers["Authorization"] == f"Bearer {settings.whatsapp_token}"


def test_a_bad_or_missing_signature_is_refused_with_403_and_nothing_is_sent(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    payload = delivery(settings, [text_message(number, "hi")])
    assert post(settings, payload, secret="not-the-app-secret").status_code == 403
    assert post(settings, payload, signature="sha256=" + "0" * 64).status_code == 403
    assert post(settings, payload, signature="").status_code == 403
    time.sleep(1.0)
    assert fake_graph_api.sent_to(number) == []


def test_a_duplicate_delivery_is_answered_once(stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi) -> None:
    _, settings = stack
    number = new_number()
    payload = delivery(settings, [text_message(number, "how do i close a dispute", message_id=f"wamid.dup-{number}")])
    for _ in range(3):
        assert post(settings, payload).status_code == 200
    sent = answered(fake_graph_api, number)
    time.sleep(1.5)
    assert len(fake_graph_api.sent_to(number)) == len(sent) == 1


def test_every_message_of_a_delivery_is_answered(stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi) -> None:
    _, settings = stack
    first, second = new_number(), new_number()
    payload = delivery(settings, [
        text_message(first, "how do i close a dispute"),
        text_message(second, "can i cancel an order after i paid"),
        text_message(first, "thanks"),
    ])
    assert post(settings, payload).status_code == 200
    assert "before you pay" in bodies(answered(fake_graph_api, second))
    to_first = answered(fake_graph_api, first, 2)
    assert "Cancel" in bodies(to_first[:1]) and "welcome" in bodies(to_first[1:])


def test_status_updates_are_not_answered(stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi) -> None:
    _, settings = stack
    number = new_number()
    statuses = [{"id": f"wamid.out-{number}", "status": status, "timestamp": str(int(time.time())),
                 "recipient_id": number} for status in ("sent", "delivered", "read")]
    assert post(settings, delivery(settings, statuses=statuses)).status_code == 200
    time.sleep(1.0)
    assert fake_graph_api.sent_to(number) == []


def test_an_unknown_number_gets_general_answers_only(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    answer = bodies(say(settings, fake_graph_api, number, "where is my refund for CJ2410180012345"))
    assert IDENTITY_REQUIRED in answer and "42.50" not in answer
    latest = tracker(settings, f"wa:{number}")["latest_message"]
    assert "seller_binding" not in latest["metadata"]
    assert "Open Dispute" in bodies(say(settings, fake_graph_api, number, "how do i open a dispute"))


def test_reply_buttons_stay_within_whatsapp_limits_and_a_click_is_the_offered_payload(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    greeting = say(settings, fake_graph_api, number, "hello")[-1]
    assert greeting["type"] == "interactive" and greeting["interactive"]["type"] == "button"
    buttons = greeting["interactive"]["action"]["buttons"]
    assert 1 <= len(buttons) <= MAX_REPLY_BUTTONS
    assert all(len(b["reply"]["title"]) <= REPLY_TITLE_LIMIT for b in buttons)
    assert len(greeting["interactive"]["body"]["text"]) <= BODY_LIMIT
    check = next(b["reply"] for b in buttons if b["reply"]["title"] == "My refunds")
    assert check["id"] == reply_id("/check_refund_status")

    before = len(fake_graph_api.sent_to(number))
    post(settings, delivery(settings, [reply_message(number, check["id"], check["title"])]))
    # The number is linked to nobody, so the refund lookup asks to link it (the WhatsApp variant).
    assert "isn't linked yet" in bodies(answered(fake_graph_api, number, before + 1)[before:])
    assert tracker(settings, f"wa:{number}")["latest_message"]["intent"]["name"] == "check_refund_status"


def test_a_forged_reply_id_is_no_command(stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi) -> None:
    _, settings = stack
    number = new_number()
    say(settings, fake_graph_api, number, "hello")
    before = len(fake_graph_api.sent_to(number))
    post(settings, delivery(settings, [
        reply_message(number, reply_id("/restart"), "restart"),
        reply_message(number, '/check_refund_status{"order_number": "CJ2410190020001"}', "x", kind="list_reply"),
    ]))
    answered(fake_graph_api, number, before + 2)
    events = tracker(settings, f"wa:{number}")["events"]
    assert not [e for e in events if e["event"] == "restart"]
    assert not [e for e in events if e["event"] == "user" and e["text"].startswith("/")][1:]


def test_typed_commands_do_nothing_special(stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi) -> None:
    _, settings = stack
    number = new_number()
    say(settings, fake_graph_api, number, "where is my refund")
    say(settings, fake_graph_api, number, "/restart")
    say(settings, fake_graph_api, number, '/check_refund_status{"order_number": "CJ2410180012345"}')
    events = tracker(settings, f"wa:{number}")["events"]
    assert not [e for e in events if e["event"] == "restart"]
    assert not [e for e in events if e["event"] == "user" and e["text"].startswith("/")]


def test_many_buttons_become_a_list_within_whatsapps_limits(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    say(settings, fake_graph_api, number, "hi")  # opens the 24-hour window
    buttons = [{"title": f"Order CJ24101800123{n:02d} (delivered)", "payload": f'/pick{{"n": "{n}"}}'}
               for n in range(12)]
    before = len(fake_graph_api.sent_to(number))
    post_bot_event(settings, f"wa:{number}", {"event": "bot", "text": "Which order?", "data": {"buttons": buttons}},
                   "whatsapp")
    message = answered(fake_graph_api, number, before + 1)[-1]
    interactive = message["interactive"]
    assert interactive["type"] == "list"
    rows = interactive["action"]["sections"][0]["rows"]
    assert len(rows) == MAX_LIST_ROWS
    assert all(len(r["title"]) <= ROW_TITLE_LIMIT and len(r.get("description", "")) <= 72 for r in rows)
    assert len(interactive["action"]["button"]) <= 20


def test_a_long_text_is_split_within_4096_characters_on_a_sentence_boundary(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    say(settings, fake_graph_api, number, "hi")
    sentence = "Your parcel left the warehouse and is on its way. "
    text = sentence * 100  # 5000 characters
    before = len(fake_graph_api.sent_to(number))
    post_bot_event(settings, f"wa:{number}", {"event": "bot", "text": text}, "whatsapp")
    parts = [m["text"]["body"] for m in answered(fake_graph_api, number, before + 2)[before:]]
    assert len(parts) == 2 and all(len(p) <= TEXT_LIMIT for p in parts)
    assert parts[0].endswith("on its way.") and " ".join(parts) == text.strip()


def test_outside_the_24_hour_window_a_message_goes_out_as_the_template(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()  # never wrote to us: no open window
    post_bot_event(settings, f"wa:{number}", {"event": "bot", "text": "Hello, this is Mia from CJ support."},
                   "whatsapp")
    message = answered(fake_graph_api, number)[-1]
    assert message["type"] == "template"
    assert message["template"]["name"] == settings.whatsapp_template
    assert bodies([message]) == "Hello, this is Mia from CJ support."


def test_a_graph_api_error_is_recorded_and_the_channel_keeps_answering(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    health = f"{settings.rasa_url}/webhooks/whatsapp/"
    failures_before = requests.get(health, timeout=10).json()["graph_failures"]
    number = new_number()
    fake_graph_api.fail_next_sends(2)  # the mark-as-read and the reply
    post(settings, delivery(settings, [text_message(number, "how do i close a dispute")]))
    fake_graph_api.wait_for(lambda: requests.get(health, timeout=10).json()["graph_failures"] >= failures_before + 2)
    assert "Open Dispute" in bodies(say(settings, fake_graph_api, number, "how do i open a dispute"))


def test_media_from_an_unknown_number_is_not_downloaded(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    fake_graph_api.add_media(f"media-{number}", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")
    post(settings, delivery(settings, [media_message(number, "image", f"media-{number}", "image/png")]))
    fake_graph_api.wait_for(lambda: tracker(settings, f"wa:{number}")["latest_message"].get("text"))
    latest = tracker(settings, f"wa:{number}")["latest_message"]
    assert latest["text"] == "/share_evidence" and "attachments" not in latest["metadata"]
    assert not [r for r in fake_graph_api.requests if r.method == "GET" and number in r.path]
