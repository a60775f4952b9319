"""How the flows read a seller's message, and the idempotency keys of writes."""

from __future__ import annotations

import yaml
from rasa_sdk import Tracker

from actions.conversation import Turn, channel_of, idempotency_key, label
from bot.settings import PROJECT_ROOT


def tracker(text: str, intent: str = "inform", entities: list[dict] | None = None, metadata: dict | None = None,
            events: list[dict] | None = None, sender: str = "web:main:S1001") -> Tracker:
    message = {"text": text, "intent": {"name": intent}, "entities": entities or [], "metadata": metadata or {}}
    return Tracker(sender, {}, message, events or [], False, None, {}, "action_listen")


def numbers(*values: str) -> list[dict]:
    return [{"entity": "order_number", "value": v} for v in values]


def test_several_numbers_in_one_message_are_read_in_order_once_each() -> None:
    turn = Turn.of(tracker("where are cj 2410 1800 12345 and #CJ2410180012346, and CJ2410180012345 again",
                           "check_order_status", numbers("cj 2410 1800 12345", "#CJ2410180012346", "CJ2410180012345")))
    good, bad = turn.numbers()
    assert good == ["CJ2410180012345", "CJ2410180012346"]
    assert bad == []


def test_malformed_numbers_are_kept_apart_to_be_explained() -> None:
    good, bad = Turn.of(tracker("CJ12", "inform_order_number", numbers("CJ12"))).numbers()
    assert (good, bad) == ([], ["CJ12"])


def test_links_emails_and_prose_are_separated() -> None:
    turn = Turn.of(tracker("buyer anna@example.com sent https://imgur.com/a/x1. and www.shop.com/p?x=1, it's broken"))
    assert turn.urls == ("https://imgur.com/a/x1", "www.shop.com/p?x=1")
    assert turn.emails == ("anna@example.com",)
    assert turn.prose() == "buyer anna@example.com sent and it's broken"


def test_attachments_come_from_the_channels_metadata_and_need_an_evidence_id() -> None:
    metadata = {"attachments": [{"evidence_id": "ev_1", "content_type": "image/png", "filename": "a.png"},
                                {"content_type": "image/png"}, "junk"]}
    turn = Turn.of(tracker("/share_evidence", "share_evidence", metadata=metadata))
    assert [a["evidence_id"] for a in turn.attachments] == ["ev_1"]
    assert turn.text == ""  # a command carries no words of the seller


def test_the_last_value_of_an_entity_wins_a_correction() -> None:
    turn = Turn.of(tracker("not a refund, a resend", entities=[
        {"entity": "expected_result", "value": "refund"}, {"entity": "expected_result", "value": "resend"}]))
    assert turn.entity("expected_result") == "resend"


def test_a_question_on_the_side_is_recognised_but_a_plain_answer_is_not() -> None:
    assert Turn.of(tracker("what does back in balance mean?", "ask_refund_types")).is_question_on_the_side()
    assert not Turn.of(tracker("back in balance", "ask_refund_types")).is_question_on_the_side()


def _user(timestamp: float, message_id: str) -> dict:
    return {"event": "user", "timestamp": timestamp, "message_id": message_id, "text": "yes"}


def test_the_same_confirmation_always_gives_the_same_key() -> None:
    events = [_user(1700000000.123, "m1")]
    first = idempotency_key(tracker("yes", "affirm", events=events), "dispute:CJ2410180012355")
    again = idempotency_key(tracker("yes", "affirm", events=list(events)), "dispute:CJ2410180012355")
    assert first == again
    assert first.startswith("alex-") and len(first) <= 128 and first.isascii() and " " not in first


def test_a_new_confirmation_another_write_or_another_conversation_gets_another_key() -> None:
    base = idempotency_key(tracker("yes", "affirm", events=[_user(1.0, "m1")]), "cancel:CJ1")
    assert base != idempotency_key(tracker("yes", "affirm", events=[_user(2.0, "m2")]), "cancel:CJ1")
    assert base != idempotency_key(tracker("yes", "affirm", events=[_user(1.0, "m1")]), "cancel:CJ2")
    assert base != idempotency_key(tracker("yes", "affirm", events=[_user(1.0, "m1")], sender="web:b:S1001"),
                                   "cancel:CJ1")


def test_channel_of_a_conversation_id() -> None:
    assert channel_of("wa:491701234567") == "whatsapp"
    assert channel_of("web:main:S1001") == "web"


def test_labels_come_from_the_domain() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    assert label(domain, "dispute_reason", "lost_package") == "lost package"
    assert label(domain, "refund_type", "balance") == "Back in Balance (CJ Wallet)"
    assert label(domain, "dispute_reason", None) == ""


def test_a_web_address_typed_without_http_counts_as_a_link_but_an_email_does_not() -> None:
    assert Turn.of(tracker("its gadgetcorner.myshopify.com/shop, ok?")).links_or_domains() == (
        "gadgetcorner.myshopify.com/shop",)
    assert Turn.of(tracker("mail me at anna@example.com")).links_or_domains() == ()


def test_a_question_without_its_question_mark_is_still_a_question_on_the_side() -> None:
    assert Turn.of(tracker("whats the difference between refund and resend", "ask_refund_types")
                   ).is_question_on_the_side()
    assert Turn.of(tracker("my buyer opened a paypal chargeback", "report_chargeback")).is_question_on_the_side()


def test_a_new_request_naming_a_number_is_told_apart_from_a_number_with_filler_words() -> None:
    assert Turn.of(tracker("cancel CJ2411050010001", "request_cancel_order",
                           numbers("CJ2411050010001"))).words_besides_numbers_and_links() == 1
    assert Turn.of(tracker("CJ2411050010001 pls", "request_cancel_order",
                           numbers("CJ2411050010001"))).words_besides_numbers_and_links() == 0
    assert Turn.of(tracker("it's CJ2411050010001", "inform_order_number",
                           numbers("CJ2411050010001"))).words_besides_numbers_and_links() == 0
