"""What the seller is told to expect once a ticket is open: the queue and the wait, or when the team is back."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.backend import Ticket
from actions.tickets import tell_expectations


def told(ticket: Ticket) -> list[dict]:
    dispatcher = CollectingDispatcher()
    tell_expectations(dispatcher, ticket)
    return dispatcher.messages


def test_during_support_hours_the_seller_hears_the_place_in_the_queue_and_the_usual_wait() -> None:
    [message] = told(Ticket("TK2411080001", "new", True, queue_position=3, estimated_wait_minutes=12.4))
    assert message["response"] == "utter_handoff_wait"
    assert message["queue_position"] == 3 and message["wait_minutes"] == 12


def test_outside_support_hours_the_seller_hears_when_the_team_is_back() -> None:
    [message] = told(Ticket("TK2411080001", "new", True, queue_position=1, estimated_wait_minutes=5,
                            open_now=False, next_open_at="2024-11-11T01:00:00Z"))
    assert message["response"] == "utter_handoff_after_hours"
    assert message["next_open"] == "Mon 11 Nov, 01:00 UTC"


def test_a_wait_under_a_minute_is_said_as_one_minute_and_no_estimate_says_nothing() -> None:
    [message] = told(Ticket("TK1", "new", True, queue_position=1, estimated_wait_minutes=0))
    assert message["wait_minutes"] == 1
    assert told(Ticket("TK1", "new", True)) == []
