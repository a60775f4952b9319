"""ActionRefundStatus against the real backend over HTTP, for every refund state of the demo data."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.refunds import ActionRefundStatus, ValidateRefundStatusForm
from bot.identity import bind_conversation
from bot.settings import Settings

SENDER = "web:main:S1001"


@pytest.fixture
def action(backend_only: Settings, monkeypatch: pytest.MonkeyPatch) -> ActionRefundStatus:
    monkeypatch.setenv("ALEX_BACKEND_URL", backend_only.backend_url)
    monkeypatch.setenv("ALEX_BACKEND_KEY", backend_only.backend_key)
    monkeypatch.setenv("ALEX_IDENTITY_SECRET", backend_only.identity_secret)
    return ActionRefundStatus()


def tracker_for(settings: Settings, number: str | None, seller: str = "S1001", bound: bool = True) -> Tracker:
    sender = f"web:main:{seller}"
    metadata = bind_conversation(sender, seller, settings.identity_secret) if bound else {}
    return Tracker(
        sender_id=sender,
        slots={"order_number": number},
        latest_message={"text": "where is my refund", "intent": {"name": "check_refund_status"}, "metadata": metadata},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="refund_status_form",
    )


def run(action: ActionRefundStatus, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


@pytest.mark.parametrize(
    "number, response, facts",
    [
        ("CJ2410180012345", "utter_refund_done_balance", {"amount": "42.50", "completed_date": "15 Oct 2024"}),
        ("CJ2410180012346", "utter_refund_pending_balance", {"amount": "18.90", "approved_date": "16 Oct 2024"}),
        ("CJ2410180012347", "utter_refund_done_original", {"amount": "65.00", "completed_date": "19 Oct 2024"}),
        ("CJ2410180012348", "utter_refund_pending_original", {"amount": "27.30", "approved_date": "22 Oct 2024"}),
        ("SH2410200045", "utter_refund_done_balance", {"order_number": "CJ2410180012345"}),
    ],
)
def test_each_refund_state_is_told_with_its_facts_and_where_to_see_it(
    action: ActionRefundStatus, backend_only: Settings, number: str, response: str, facts: dict
) -> None:
    messages, events = run(action, tracker_for(backend_only, number))
    assert [m["response"] for m in messages] == [response, "utter_refund_where_to_see"]
    assert facts.items() <= messages[0].items()
    assert messages[0]["currency"] == "USD"
    assert {"event": "slot", "name": "order_number", "value": None} in [
        {k: e[k] for k in ("event", "name", "value")} for e in events
    ]


@pytest.mark.parametrize(
    "number, response",
    [
        ("CJ2410180012349", "utter_no_refund_dispute_open"),
        ("CJ2410180012350", "utter_no_refund_dispute_resent"),
        ("CJ2410180012351", "utter_no_refund_dispute_rejected"),
        ("CJ2410180012352", "utter_no_refund_dispute_cancelled"),
        ("CJ2410180012353", "utter_no_refund_unpaid"),
        ("CJ2410180012354", "utter_no_refund_closed"),
        ("CJ2410180012355", "utter_no_refund_no_dispute"),
    ],
)
def test_orders_without_a_refund_say_why(
    action: ActionRefundStatus, backend_only: Settings, number: str, response: str
) -> None:
    messages, _ = run(action, tracker_for(backend_only, number))
    assert [m["response"] for m in messages] == [response]


def test_another_sellers_order_gets_the_same_answer_as_an_unknown_one(
    action: ActionRefundStatus, backend_only: Settings
) -> None:
    foreign, _ = run(action, tracker_for(backend_only, "CJ2410190020001"))
    unknown, _ = run(action, tracker_for(backend_only, "CJ2499999999999"))
    assert [m["response"] for m in foreign] == [m["response"] for m in unknown] == ["utter_order_not_found"]


def test_a_conversation_without_a_verified_seller_gets_no_data(
    action: ActionRefundStatus, backend_only: Settings
) -> None:
    messages, _ = run(action, tracker_for(backend_only, "CJ2410180012345", bound=False))
    assert [m["response"] for m in messages] == ["utter_identity_required"]


def test_a_backend_that_is_down_gets_its_own_answer(
    backend_only: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import free_port

    monkeypatch.setenv("ALEX_BACKEND_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("ALEX_BACKEND_KEY", backend_only.backend_key)
    monkeypatch.setenv("ALEX_IDENTITY_SECRET", backend_only.identity_secret)
    messages, _ = run(ActionRefundStatus(), tracker_for(backend_only, "CJ2410180012345"))
    assert [m["response"] for m in messages] == ["utter_backend_unavailable"]


@pytest.mark.parametrize(
    "typed, kept",
    [("cj 2410 1800 12345", "CJ2410180012345"), ("#sh2410200045", "SH2410200045"), ("CJ12", None)],
)
def test_the_form_normalises_numbers_and_explains_malformed_ones(typed: str, kept: str | None) -> None:
    dispatcher = CollectingDispatcher()
    result = asyncio.run(
        ValidateRefundStatusForm().validate_order_number(typed, dispatcher, tracker_for_form(), {})
    )
    assert result == {"order_number": kept}
    assert [m["response"] for m in dispatcher.messages] == ([] if kept else ["utter_malformed_number"])


def tracker_for_form() -> Tracker:
    return Tracker("web:main:S1001", {}, {}, [], False, None, {"name": "refund_status_form"}, None)
