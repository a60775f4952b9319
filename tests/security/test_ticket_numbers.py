"""A ticket names only the seller's own orders and disputes as the numbers in play: another seller's number
typed in the conversation (by mistake or as a probe) must not reach the agent as if it were this seller's."""

from __future__ import annotations

from actions.escalation import ActionHandoff
from tests.integration.conftest import chat, platform  # noqa: F401 (the actions' fixtures: real backend)
from tests.integration.harness import Conversation
from tests.platform import Platform

OWN_ORDER = "CJ2410180012349"  # S1001's
OTHER_SELLERS_ORDER = "CJ2410190020001"  # S1002's


def test_the_ticket_summary_lists_only_the_sellers_own_numbers(chat: Conversation, platform: Platform) -> None:
    chat.session = "numbers-owned"
    chat.says(f"agent please, about {OWN_ORDER} and {OTHER_SELLERS_ORDER}", "request_human_agent",
              [("order_number", OWN_ORDER), ("order_number", OTHER_SELLERS_ORDER)])
    chat.run(ActionHandoff())
    ticket = platform.ticket_of(chat.sender)
    assert ticket["seller_id"] == "S1001" and ticket["order_numbers"] == [OWN_ORDER]
    written_by_alex = [line for line in ticket["summary"].splitlines() if not line.startswith("Seller's last")]
    assert not any(OTHER_SELLERS_ORDER in line for line in written_by_alex), ticket["summary"]
