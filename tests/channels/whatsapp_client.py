"""Webhook deliveries shaped like Meta's, signed like Meta signs them, for the WhatsApp channel tests."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import time
from typing import Any

import requests

from bot.settings import Settings
from tests.fakes.graph_api import FakeGraphApi

_ids = itertools.count(1)


def new_number() -> str:
    """A number no other test uses (E.164 digits without '+'), so each test has its own conversation."""
    return "1555" + "".join(random.choice("0123456789") for _ in range(7))


def text_message(number: str, body: str, message_id: str | None = None) -> dict[str, Any]:
    return {"from": number, "id": message_id or f"wamid.in-{next(_ids)}-{random.random()}",
            "timestamp": str(int(time.time())), "type": "text", "text": {"body": body}}


def reply_message(number: str, reply_id: str, title: str, kind: str = "button_reply") -> dict[str, Any]:
    interactive_type = "button_reply" if kind == "button_reply" else "list_reply"
    return {"from": number, "id": f"wamid.in-{next(_ids)}-{random.random()}", "timestamp": str(int(time.time())),
            "type": "interactive",
            "interactive": {"type": interactive_type, interactive_type: {"id": reply_id, "title": title}}}


def media_message(number: str, kind: str, media_id: str, mime_type: str, caption: str = "",
                  filename: str | None = None) -> dict[str, Any]:
    media: dict[str, Any] = {"id": media_id, "mime_type": mime_type, "sha256": "x"}
    if caption:
        media["caption"] = caption
    if filename:
        media["filename"] = filename
    return {"from": number, "id": f"wamid.in-{next(_ids)}-{random.random()}", "timestamp": str(int(time.time())),
            "type": kind, kind: media}


def delivery(settings: Settings, messages: list[dict[str, Any]] = (), statuses: list[dict[str, Any]] = ()
             ) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000000", "phone_number_id": settings.whatsapp_phone_number_id},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Seller"}, "wa_id": m["from"]} for m in messages]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "WABA-1", "changes": [{"value": value, "field": "messages"}]}]}


def post(settings: Settings, payload: dict[str, Any], secret: str | None = None,
         signature: str | None = None) -> requests.Response:
    """POST a delivery to the webhook, signed with the app secret (or the given secret / signature). A delivery
    signed as Meta signs it comes from Meta: the fake Graph API learns when each customer wrote (the window)."""
    body = json.dumps(payload).encode()
    fake = FakeGraphApi.at(settings.whatsapp_graph_url)
    if fake is not None and secret is None and signature is None:
        for change in (c for entry in payload.get("entry") or [] for c in entry.get("changes") or []):
            for message in change["value"].get("messages") or []:
                fake.customer_wrote(message.get("from") or message["user_id"], float(message["timestamp"]))
    if signature is None:
        digest = hmac.new((secret or settings.whatsapp_app_secret).encode(), body, hashlib.sha256).hexdigest()
        signature = f"sha256={digest}"
    return requests.post(
        f"{settings.rasa_url}/webhooks/whatsapp/webhook", data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature}, timeout=10,
    )


# The WhatsApp variant of utter_identity_required (domain.yml): it tells how to link the number.
IDENTITY_REQUIRED = "this number isn't linked yet"


def bodies(messages: list[dict[str, Any]]) -> str:
    """All the text a seller sees in these messages."""
    texts = []
    for message in messages:
        if message.get("type") == "text":
            texts.append(message["text"]["body"])
        elif message.get("type") == "interactive":
            texts.append(message["interactive"]["body"]["text"])
        elif message.get("type") == "template":
            texts.extend(p["text"] for c in message["template"]["components"] for p in c["parameters"])
    return " ".join(texts)


def answered(fake: FakeGraphApi, number: str, count: int = 1) -> list[dict[str, Any]]:
    """Wait for at least `count` messages to the number, then a moment for any that should not come."""
    fake.wait_for(lambda: len(fake.sent_to(number)) >= count)
    time.sleep(0.5)
    return fake.sent_to(number)


def say(settings: Settings, fake: FakeGraphApi, number: str, text: str) -> list[dict[str, Any]]:
    """Send one text; the messages the bot sent in answer."""
    before = len(fake.sent_to(number))
    assert post(settings, delivery(settings, [text_message(number, text)])).status_code == 200
    return answered(fake, number, before + 1)[before:]
