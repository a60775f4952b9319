from bot.channels.command_guard import disarm
from bot.channels.verified import conversation_id


def test_a_payload_the_bot_offered_passes_unchanged() -> None:
    assert disarm("/check_refund_status", ["/check_refund_status", "/ask_open_dispute"]) == "/check_refund_status"


def test_a_command_the_bot_did_not_offer_becomes_plain_words() -> None:
    assert disarm("/restart", []) == "restart"
    assert disarm('/check_refund_status{"order_number": "CJ1"}', ["/check_refund_status"]) == (
        'check_refund_status{"order_number": "CJ1"}'
    )
    assert disarm("  //affirm@0.99", ["/affirm"]) == "affirm@0.99"


def test_ordinary_text_is_untouched() -> None:
    assert disarm("where is my refund", []) == "where is my refund"


def test_conversation_ids_of_different_sellers_never_collide() -> None:
    # A seller id may contain the separator; the session may not, so the pair is always recoverable.
    assert conversation_id("S1", "x") != conversation_id("S1:x", "main")
    assert conversation_id("S1001", "main") == "web:main:S1001"
