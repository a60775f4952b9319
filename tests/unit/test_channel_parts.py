"""The parts the channels share: attachment references, the transcript rebuilt from tracker events, articles."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

from bot.channels.attachments import InvalidReference, sign_reference, verify_reference
from bot.channels.transcript import transcript
from bot.channels.verified import SESSION_NAME
from bot.helppage.articles import load_articles, render

ATTACHMENT = {"evidence_id": "ev_1", "content_type": "image/png", "filename": "parcel.png"}


def test_an_attachment_reference_is_valid_only_in_its_own_conversation() -> None:
    reference = sign_reference("web:a:S1001", ATTACHMENT, "secret")
    assert verify_reference("web:a:S1001", reference, "secret") == ATTACHMENT
    for conversation, secret in (("web:b:S1001", "secret"), ("web:a:S1002", "secret"), ("web:a:S1001", "other")):
        with pytest.raises(InvalidReference):
            verify_reference(conversation, reference, secret)


@pytest.mark.parametrize("reference", ["", "x", "a.b.c", None, 7, "!!!.00", "e30." + "0" * 64])
def test_malformed_or_tampered_references_are_refused(reference: object) -> None:
    with pytest.raises(InvalidReference):
        verify_reference("web:a:S1001", reference, "secret")


def test_the_transcript_shows_clicked_buttons_by_title_and_marks_the_live_buttons() -> None:
    buttons = [{"title": "Check a refund", "payload": "/check_refund_status"}]
    events = [
        ActionExecuted("action_listen"),
        UserUttered("hi"),
        BotUttered("Hi, I'm Alex.", {"buttons": buttons}),
        UserUttered("/check_refund_status"),
        SlotSet("requested_slot", "order_number"),
        BotUttered("Which order?"),
        UserUttered("/share_evidence", metadata={"attachments": [ATTACHMENT], "seller_binding": {"x": "y"}}),
        BotUttered("Got it.", {"buttons": [{"title": "Yes", "payload": "/affirm"}]}),
    ]
    messages = transcript(events)
    assert [(m["sender"], m["text"]) for m in messages] == [
        ("user", "hi"), ("bot", "Hi, I'm Alex."), ("user", "Check a refund"), ("bot", "Which order?"),
        ("user", ""), ("bot", "Got it."),
    ]
    assert messages[4]["attachments"] == [{"filename": "parcel.png", "content_type": "image/png"}]
    assert "seller_binding" not in str(messages)
    assert [m.get("offered", False) for m in messages] == [False] * 5 + [True]
    assert len(transcript(events, limit=2)) == 2


def test_the_help_articles_render_without_the_scraped_page_chrome() -> None:
    articles = load_articles()
    assert len(articles) == 3
    for article in articles.values():
        assert article.title and "<h2>" in article.html
        assert "${" not in article.html and "Verify Email" not in article.html


def test_article_markup_is_escaped() -> None:
    title, body = render("# T\n\n<script>alert(1)</script> **bold**")
    assert title == "T" and "<script>" not in body and "<strong>bold</strong>" in body


@pytest.mark.parametrize("name", ["main\n", "a" * 65, "", "web:main", "x y"])
def test_a_session_name_is_letters_digits_dashes_and_underscores_only(name: str) -> None:
    assert SESSION_NAME.match(name) is None
