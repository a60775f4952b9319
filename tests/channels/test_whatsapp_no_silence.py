"""Issue 12, end to end over the running stack and the fake Graph API: no seller message and no send goes silent.

The numbers are Meta's, written here from its documentation (never imported from the channel under test):
- reply buttons: at most 3, title at most 20 characters and unique within the message, id at most 256
  https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages
- lists: at most 10 rows in all, row title 24, row id 200, description 72, button label 20, section title 24
  https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-list-messages
- text body at most 4096 characters, an interactive body at most 1024; free-form messages only within the
  24-hour customer service window, else 131047 "Re-engagement message" in a failed status webhook; 130429
  "Rate limit hit", also reported in a webhook's `value.errors`
  https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
  https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/errors
- business-scoped user ids: a seller with a username comes as `user_id` (e.g. "US.13491208655302741918") with no
  `from`, and is written to with `recipient`
  https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from bot.settings import Settings
from bot.stack import Stack
from tests.channels.whatsapp_client import (
    IDENTITY_REQUIRED,
    answered,
    bodies,
    delivery,
    new_number,
    post,
    say,
    text_message,
)
from tests.e2e.conversation import post_bot_event
from tests.fakes.graph_api import FakeGraphApi

DAY = 24 * 3600


def _send(fake: FakeGraphApi, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{fake.url}/{fake.phone_number_id}/messages", json=body, timeout=10,
                         headers={"Authorization": f"Bearer {fake.access_token}"})


def _buttons(titles: list[str], ids: list[str] | None = None) -> dict[str, Any]:
    ids = ids or [f"id-{n}" for n in range(len(titles))]
    return {"type": "button", "body": {"text": "Pick one"}, "action": {"buttons": [
        {"type": "reply", "reply": {"id": i, "title": t}} for t, i in zip(titles, ids)]}}


def _list(rows: list[dict[str, Any]], button: str = "Options", body: str = "Pick one") -> dict[str, Any]:
    return {"type": "list", "body": {"text": body}, "action": {"button": button, "sections": [{"rows": rows}]}}


def _rows(count: int, **row: Any) -> list[dict[str, Any]]:
    return [{"id": f"row-{n}", "title": f"Row {n}", **row} for n in range(count)]


@pytest.mark.parametrize("interactive, accepted", [
    (_buttons(["a", "b", "c"]), True),
    (_buttons(["a", "b", "c", "d"]), False),  # at most 3 buttons
    (_buttons(["x" * 20]), True),
    (_buttons(["x" * 21]), False),  # title at most 20
    (_buttons(["Same", "Same"]), False),  # titles unique within the message
    (_buttons(["a", "b"], ["same", "same"]), False),  # ids unique
    (_buttons(["a"], ["i" * 256]), True),
    (_buttons(["a"], ["i" * 257]), False),  # id at most 256
    (_list(_rows(10)), True),
    (_list(_rows(11)), False),  # at most 10 rows
    (_list([{"id": "r", "title": "t" * 24}]), True),
    (_list([{"id": "r", "title": "t" * 25}]), False),  # row title at most 24
    (_list([{"id": "r" * 200, "title": "t"}]), True),
    (_list([{"id": "r" * 201, "title": "t"}]), False),  # row id at most 200
    (_list(_rows(1, description="d" * 72)), True),
    (_list(_rows(1, description="d" * 73)), False),  # description at most 72
    (_list([{"id": "r", "title": "a"}, {"id": "r", "title": "b"}]), False),  # row ids unique
    (_list(_rows(1), button="b" * 21), False),  # button label at most 20
    (_list(_rows(1), body="x" * 1024), True),
    (_list(_rows(1), body="x" * 1025), False),  # interactive body at most 1024
])
def test_the_fake_refuses_what_meta_refuses(fake_graph_api: FakeGraphApi, interactive: dict[str, Any],
                                            accepted: bool) -> None:
    number = new_number()
    fake_graph_api.customer_wrote(number, time.time())
    reply = _send(fake_graph_api, {"messaging_product": "whatsapp", "recipient_type": "individual", "to": number,
                                   "type": "interactive", "interactive": interactive})
    assert reply.status_code == (200 if accepted else 400), reply.text


def test_the_fake_refuses_a_send_without_messaging_product_and_a_text_over_4096(
    fake_graph_api: FakeGraphApi,
) -> None:
    number = new_number()
    fake_graph_api.customer_wrote(number, time.time())
    text = {"recipient_type": "individual", "to": number, "type": "text"}
    missing = _send(fake_graph_api, {**text, "text": {"body": "hi"}})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == 100
    assert _send(fake_graph_api, {"messaging_product": "whatsapp", **text, "text": {"body": "x" * 4096}}).ok
    assert _send(fake_graph_api, {"messaging_product": "whatsapp", **text,
                                  "text": {"body": "x" * 4097}}).status_code == 400


def test_buttons_with_repeated_titles_or_payloads_go_out_unique_and_meta_accepts_them(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    say(settings, fake_graph_api, number, "hi")  # opens the 24-hour window
    buttons = [{"title": "Order details", "payload": "/a"}, {"title": "Order details", "payload": "/b"},
               {"title": "Again", "payload": "/a"}]
    before = len(fake_graph_api.sent_to(number))
    post_bot_event(settings, f"wa:{number}", {"event": "bot", "text": "Which?", "data": {"buttons": buttons}},
                   "whatsapp")
    message = answered(fake_graph_api, number, before + 1)[-1]
    replies = [b["reply"] for b in message["interactive"]["action"]["buttons"]]
    titles, ids = [r["title"] for r in replies], [r["id"] for r in replies]
    assert len(replies) == 2 and len(set(titles)) == 2 and len(set(ids)) == 2
    assert all(len(t) <= 20 for t in titles)
    # Rows whose titles only differ after the 24th character.
    rows = [{"title": f"Order CJ2410180012345 line {n}", "payload": f"/line{n}"} for n in range(5)]
    post_bot_event(settings, f"wa:{number}", {"event": "bot", "text": "Which line?", "data": {"buttons": rows}},
                   "whatsapp")
    listed = fake_graph_api.wait_for(lambda: [m for _, m in fake_graph_api.accepted_to(number)
                                              if m.get("interactive", {}).get("type") == "list"])[-1]
    titles = [r["title"] for r in listed["interactive"]["action"]["sections"][0]["rows"]]
    assert len(set(titles)) == 5 and all(len(t) <= 24 for t in titles)


def test_a_message_meta_delivers_a_day_late_is_answered_with_the_template(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    late = text_message(number, "how do i open a dispute")
    late["timestamp"] = str(int(time.time()) - DAY - 3600)  # written 25 hours ago, retried by Meta until now
    assert post(settings, delivery(settings, [late])).status_code == 200
    sent = answered(fake_graph_api, number)
    assert sent and all(m["type"] == "template" for m in sent)
    assert "Open Dispute" in bodies(sent)


KINDS = {
    "audio": ({"id": "media-voice", "mime_type": "audio/ogg; codecs=opus", "voice": True}, "voice notes"),
    "sticker": ({"id": "media-sticker", "mime_type": "image/webp", "animated": False}, "sticker"),
    "location": ({"latitude": 22.54, "longitude": 114.05, "name": "Warehouse"}, "locations"),
    "contacts": ([{"name": {"formatted_name": "Ann Lee"}, "phones": [{"phone": "+15550100000"}]}], "contact cards"),
    "reaction": ({"message_id": "wamid.earlier", "emoji": "\U0001f44d"}, "reactions"),
    "unsupported": ({}, "this kind of message"),
}


def test_every_message_type_alex_does_not_read_gets_an_answer_saying_what_it_reads(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    for kind, (content, named) in KINDS.items():
        before = len(fake_graph_api.sent_to(number))
        message = {"from": number, "id": f"wamid.{kind}-{number}", "timestamp": str(int(time.time())),
                   "type": kind, kind: content}
        if kind == "unsupported":
            message["errors"] = [{"code": 131051, "title": "Message type unknown"}]
        assert post(settings, delivery(settings, [message])).status_code == 200
        answer = bodies(answered(fake_graph_api, number, before + 1)[before:])
        assert named in answer, (kind, answer)
        assert message["id"] in fake_graph_api.marked_read()


def test_a_seller_known_only_by_a_username_is_answered_and_told_to_link_the_account(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    bsuid = f"US.{int(time.time() * 1000)}{new_number()}"
    message = {"user_id": bsuid, "id": f"wamid.bsuid-{bsuid}", "timestamp": str(int(time.time())),
               "type": "text", "text": {"body": "where is my refund for CJ2410180012345"}}
    payload = delivery(settings)
    payload["entry"][0]["changes"][0]["value"].update(
        contacts=[{"profile": {"name": "Seller", "username": "@ava"}, "user_id": bsuid}], messages=[message])
    assert post(settings, payload).status_code == 200
    sent = answered(fake_graph_api, bsuid)
    assert all(m.get("recipient") == bsuid and "to" not in m for m in sent)
    answer = bodies(sent)
    assert IDENTITY_REQUIRED in answer and "42.50" not in answer


def _failures(settings: Settings) -> list[dict[str, Any]]:
    return requests.get(f"{settings.rasa_url}/webhooks/whatsapp/", timeout=10).json()["recent_failures"]


def test_a_rate_limited_send_is_retried_until_it_goes_through(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    say(settings, fake_graph_api, number, "hi")
    refusals_before = len(fake_graph_api.refusals)
    fake_graph_api.limit_rate(1, per_seconds=1.0)
    try:
        sentence = "Your parcel left the warehouse and is on its way. "
        post_bot_event(settings, f"wa:{number}", {"event": "bot", "text": sentence * 100}, "whatsapp")  # 2 parts
        fake_graph_api.wait_for(lambda: len([m for _, m in fake_graph_api.accepted_to(number)
                                             if m.get("type") == "text" and m["text"]["body"].startswith("Your")]) == 2)
    finally:
        fake_graph_api.limit_rate(None)
    assert any(r["code"] == 130429 for r in fake_graph_api.refusals[refusals_before:])


def test_a_send_still_rate_limited_after_the_retries_is_reported_with_its_conversation(
    stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi
) -> None:
    _, settings = stack
    number = new_number()
    say(settings, fake_graph_api, number, "hi")
    fake_graph_api.limit_rate(0)
    try:
        post_bot_event(settings, f"wa:{number}", {"event": "bot", "text": "Still there?"}, "whatsapp")
        failure = fake_graph_api.wait_for(lambda: [f for f in _failures(settings) if number in f["what"]])[-1]
    finally:
        fake_graph_api.limit_rate(None)
    assert "130429" in failure["detail"]
    # Meta's report of the same error at the top of a webhook (value.errors) is counted for the operator too.
    assert any(f["what"] == "webhook error report" and "130429" in f["detail"] for f in _failures(settings))
