"""WhatsApp message shapes: within the Cloud API's limits, whatever the bot says."""

from __future__ import annotations

import hashlib
import hmac

import pytest
import yaml

from bot.channels.whatsapp import signature_valid
from bot.channels.whatsapp_graph import (
    BODY_LIMIT,
    LIST_BUTTON_LIMIT,
    MAX_LIST_ROWS,
    MAX_REPLY_BUTTONS,
    REPLY_TITLE_LIMIT,
    ROW_DESCRIPTION_LIMIT,
    ROW_TITLE_LIMIT,
    TEXT_LIMIT,
    button_messages,
    payload_for,
    reply_id,
    split_text,
    template_message,
)
from bot.settings import PROJECT_ROOT


def test_a_long_text_is_cut_at_a_paragraph_then_a_sentence_then_a_word() -> None:
    paragraph = "First paragraph. " * 10
    assert split_text(paragraph.strip() + "\n" + "x " * 40, 200)[0] == paragraph.strip()
    sentences = "One sentence here. " * 20
    parts = split_text(sentences, 100)
    assert all(len(p) <= 100 and p.endswith("here.") for p in parts)
    words = "word " * 100
    assert all(len(p) <= 42 and not p.endswith(" ") and "wor " not in p for p in split_text(words, 42))
    assert split_text("x" * 250, 100) == ["x" * 100, "x" * 100, "x" * 50]
    assert " ".join(split_text(sentences, 100)) == sentences.strip()


def test_short_texts_stay_whole() -> None:
    assert split_text("hello", TEXT_LIMIT) == ["hello"]
    assert split_text("  ", TEXT_LIMIT) == []


def test_three_short_buttons_are_reply_buttons_with_digest_ids() -> None:
    [message] = button_messages("Pick one", [
        {"title": "Check a refund", "payload": "/check_refund_status"},
        {"title": "Open a dispute", "payload": "/ask_open_dispute"},
    ], "Options")
    buttons = message["interactive"]["action"]["buttons"]
    assert message["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in buttons] == [reply_id("/check_refund_status"), reply_id("/ask_open_dispute")]
    assert "/check" not in str(buttons)  # the payload never leaves the server


@pytest.mark.parametrize("count, long_title", [(4, False), (2, True), (15, True)])
def test_more_or_longer_buttons_become_a_list_within_the_limits(count: int, long_title: bool) -> None:
    title = "An order title that is far too long for a row" if long_title else "Short"
    buttons = [{"title": f"{title} {n}", "payload": f"/pick{n}"} for n in range(count)]
    [message] = button_messages("Which one?", buttons, "Choose an order please")
    interactive = message["interactive"]
    rows = interactive["action"]["sections"][0]["rows"]
    assert interactive["type"] == "list"
    assert len(rows) == min(count, MAX_LIST_ROWS)
    assert all(len(r["title"]) <= ROW_TITLE_LIMIT for r in rows)
    assert all(len(r.get("description", "")) <= ROW_DESCRIPTION_LIMIT for r in rows)
    assert len(interactive["action"]["button"]) <= LIST_BUTTON_LIMIT


def test_a_body_longer_than_an_interactive_allows_goes_out_as_text_first() -> None:
    text = "This sentence explains the refund. " * 60  # 2100 characters
    messages = button_messages(text, [{"title": "OK", "payload": "/affirm"}], "Options")
    assert messages[0]["type"] == "text" and messages[-1]["type"] == "interactive"
    assert len(messages[-1]["interactive"]["body"]["text"]) <= BODY_LIMIT
    shown = " ".join([m["text"]["body"] for m in messages[:-1]] + [messages[-1]["interactive"]["body"]["text"]])
    assert shown == text.strip()


def test_a_reply_id_maps_back_only_to_a_payload_the_bot_offered() -> None:
    offered = ["/check_refund_status", '/inform{"expected_result": "refund"}']
    assert payload_for(reply_id(offered[1]), offered) == offered[1]
    assert payload_for(reply_id("/restart"), offered) is None
    assert payload_for("/restart", offered) is None


def test_the_template_carries_the_text_as_its_body_parameter() -> None:
    message = template_message("alex_agent_reply", "en", "Hello\n\nthere " + "x" * 2000)
    [component] = message["template"]["components"]
    assert message["template"]["language"] == {"code": "en"}
    assert component["parameters"][0]["text"].startswith("Hello there")
    assert len(component["parameters"][0]["text"]) <= 1024 and "\n" not in component["parameters"][0]["text"]


def test_the_webhook_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"entry": []}'
    good = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    assert signature_valid(body, good, "app-secret")
    assert not signature_valid(body + b" ", good, "app-secret")
    assert not signature_valid(body, good, "another-secret")
    assert not signature_valid(body, good.removeprefix("sha256="), "app-secret")
    assert not signature_valid(body, None, "app-secret")
    assert not signature_valid(body, good, "")


def _domain_responses() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]


@pytest.mark.parametrize("name", sorted(_domain_responses()))
def test_every_domain_response_renders_within_whatsapps_limits(name: str) -> None:
    for variant in _domain_responses()[name]:
        text, buttons = variant.get("text", ""), variant.get("buttons") or []
        messages = button_messages(text, buttons, "Options") if buttons else []
        for message in messages:
            if message["type"] == "text":
                assert len(message["text"]["body"]) <= TEXT_LIMIT
                continue
            interactive = message["interactive"]
            assert len(interactive["body"]["text"]) <= BODY_LIMIT
            if interactive["type"] == "button":
                assert len(interactive["action"]["buttons"]) <= MAX_REPLY_BUTTONS
                assert all(len(b["reply"]["title"]) <= REPLY_TITLE_LIMIT for b in interactive["action"]["buttons"])
            else:
                # A list only shortens titles; the domain should not rely on that.
                assert all(len(b["title"]) <= ROW_TITLE_LIMIT for b in buttons), f"{name}: a title over 24"
        assert len(buttons) <= MAX_LIST_ROWS, f"{name}: more than {MAX_LIST_ROWS} buttons"
