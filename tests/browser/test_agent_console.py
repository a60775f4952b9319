"""The agent console, as support agents use it: headless chromium against the running stack.

What an agent sees is asserted in the page's DOM; what the console did is asserted where it lands: the ticket in
the backend (over its console API) and the seller's conversation in Rasa's tracker. Each test makes its own
ticket the way sellers do (asking for a person in the seller chat), so no test depends on another's.
"""

from __future__ import annotations

import uuid
from typing import Any, Iterator

import pytest
import requests

from bot.settings import Settings
from bot.stack import Stack
from tests.browser.conftest import shot
from tests.e2e.conversation import say, seller, tracker
from tests.platform import Platform

AGENT = "agent@alex.example"
SUPERVISOR = "supervisor@alex.example"
PRIORITY_RANK = {"urgent": 4, "high": 3, "normal": 2, "low": 1}
CLAIMED_ELSEWHERE = "Another agent has already claimed this ticket"


def expect() -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


class AgentBackend:
    """The backend's console API with a session of one agent: to set scenes and to check outcomes."""

    def __init__(self, settings: Settings, email: str = AGENT) -> None:
        self.url = settings.backend_url + "/v1/agent"
        self.headers = {"Authorization": f"Bearer {settings.console_key}"}
        reply = requests.post(f"{self.url}/sessions", json={"email": email, "password": settings.demo_agent_password},
                              headers={**self.headers, "Idempotency-Key": uuid.uuid4().hex}, timeout=10)
        assert reply.status_code == 201, reply.text
        self.headers["X-Agent-Session"] = reply.json()["token"]

    def ticket(self, number: str) -> dict[str, Any]:
        reply = requests.get(f"{self.url}/tickets/{number}", headers=self.headers, timeout=10)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def write(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        reply = requests.post(self.url + path, json=body or {}, timeout=10,
                              headers={**self.headers, "Idempotency-Key": uuid.uuid4().hex})
        assert reply.status_code in (200, 201), reply.text
        return reply.json()


def a_seller_asks_for_a_person(settings: Settings, seller_id: str = "S1001") -> tuple[str, str, Any]:
    """A fresh ticket made the way sellers make one: (ticket number, conversation id, the seller's chat)."""
    chat = seller(settings, seller_id)
    say(chat, "I want to talk to a human")
    conversation_id = f"web:{chat.session}:{seller_id}"
    ticket = Platform(settings).ticket_of(conversation_id)
    assert ticket is not None, "asking for a person opened no ticket"
    return ticket["number"], conversation_id, chat


def sign_in(page: Any, settings: Settings, email: str = AGENT) -> None:
    page.goto(settings.console_url + "/")
    page.fill("#sign-in-email", email)
    page.fill("#sign-in-password", settings.demo_agent_password)
    page.click("#sign-in-submit")
    page.wait_for_selector('body[data-screen="queue"]')


def open_ticket(page: Any, number: str) -> None:
    page.click(f'#queue-rows tr[data-ticket="{number}"] a.ticket-link')
    page.wait_for_selector(f'#ticket-screen[data-ticket="{number}"]')


def claim(page: Any) -> None:
    page.click("#claim")
    page.wait_for_selector('#ticket-screen[data-holder="me"]')


def the_agent_takes_over_a_fresh_ticket(page: Any, settings: Settings) -> tuple[str, str, Any]:
    """A seller asks for a person; the agent signs in, opens the ticket from the queue and claims it."""
    number, conversation_id, chat = a_seller_asks_for_a_person(settings)
    sign_in(page, settings)
    open_ticket(page, number)
    claim(page)
    return number, conversation_id, chat


def bot_events(settings: Settings, conversation_id: str) -> list[dict[str, Any]]:
    return [e for e in tracker(settings, conversation_id)["events"] if e["event"] == "bot"]


@pytest.fixture
def second_page(browser: Any) -> Iterator[Any]:
    """Another agent's browser: its own context, so its own session cookie."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_agent_signs_in_and_sees_the_queue_by_priority_then_age(page: Any, stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    a_seller_asks_for_a_person(settings)
    page.goto(settings.console_url + "/")
    expect()(page.locator("#sign-in-screen")).to_be_visible()
    shot(page, "console-sign-in")
    sign_in(page, settings)
    expect()(page.locator("#whoami")).to_have_attribute("data-agent-role", "agent")

    rows = page.locator("#queue-rows tr")
    expect()(rows.first).to_be_visible()
    seen = [(PRIORITY_RANK[r.get_attribute("data-priority")], r.get_attribute("data-created-at"))
            for r in rows.all()]
    assert seen == sorted(seen, key=lambda item: (-item[0], item[1])), "not by priority, then oldest first"
    assert len(seen) >= 4  # the three seeded tickets and this test's

    urgent = page.locator('#queue-rows tr[data-ticket="TK2411080003"]')
    expect()(urgent.locator(".badge")).to_have_text("urgent")
    expect()(urgent.locator(".seller")).to_have_text("not linked")
    expect()(urgent.locator(".channel")).to_have_text("whatsapp")
    expect()(urgent.locator(".reasons")).to_have_text("account_blocked")
    expect()(urgent.locator(".assignee")).to_have_text("unassigned")
    expect()(urgent.locator(".age")).to_contain_text("m")
    timer = '#queue-rows tr[data-ticket="TK2411080001"] .sla[data-kind="resolution"]'
    expect()(page.locator(timer)).to_contain_text("due in")
    page.wait_for_function("([selector, before]) => document.querySelector(selector).textContent !== before",
                           arg=[timer, page.locator(timer).text_content()], timeout=10_000)  # it counts down
    shot(page, "console-queue")

    page.click('#queue-filters [data-filter="unassigned"]')
    expect()(page.locator('#queue-filters [data-filter="unassigned"]')).to_have_attribute("aria-pressed", "true")
    page.wait_for_selector('#queue-rows[data-filter="unassigned"] tr')
    assert page.locator('#queue-rows tr:not([data-assignee=""])').count() == 0
    page.click('#queue-filters [data-filter="me"]')
    page.wait_for_selector('#queue-rows[data-filter="me"]', state="attached")
    assert page.locator('#queue-rows tr:not([data-assignee="Dana Agent"])').count() == 0

    cookie = next(c for c in page.context.cookies() if c["name"] == "alex_console_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "alex_console_session" not in page.evaluate("document.cookie"), "the session must be out of scripts' reach"


def test_wrong_password_is_refused_and_no_cookie_is_set(page: Any, stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    page.goto(settings.console_url + "/")
    page.fill("#sign-in-email", AGENT)
    page.fill("#sign-in-password", "not-the-password")
    page.click("#sign-in-submit")
    expect()(page.locator("#sign-in-error")).to_have_text("Wrong email or password.")
    expect()(page.locator("#sign-in-screen")).to_be_visible()
    expect()(page.locator("#queue-screen")).to_be_hidden()
    assert page.context.cookies() == []
    refused = page.request.get(settings.console_url + "/api/queue")
    assert refused.status == 401


def test_a_change_without_the_console_header_is_refused(page: Any, stack: tuple[Stack, Settings]) -> None:
    """What a forged cross-site form would send: the cookie, but not the header only our page sets."""
    _, settings = stack
    number, _, _ = a_seller_asks_for_a_person(settings)
    sign_in(page, settings)
    forged = page.request.post(f"{settings.console_url}/api/tickets/{number}/claim",
                               headers={"Idempotency-Key": uuid.uuid4().hex})
    assert forged.status == 403 and forged.json()["error"]["code"] == "console_header_missing"
    assert AgentBackend(settings).ticket(number)["assignee"] is None


def test_claim_is_atomic_second_agent_is_told_it_is_taken(
    page: Any, second_page: Any, stack: tuple[Stack, Settings]
) -> None:
    _, settings = stack
    number, _, _ = a_seller_asks_for_a_person(settings)
    sign_in(page, settings, AGENT)
    sign_in(second_page, settings, SUPERVISOR)
    for each in (page, second_page):
        each.goto(f"{settings.console_url}/#/tickets/{number}")
        each.wait_for_selector(f'#ticket-screen[data-ticket="{number}"][data-holder="nobody"]')
        expect()(each.locator("#claim")).to_be_visible()

    # Both agents click Claim at the same instant (one clock: both pages run on this machine).
    at = page.evaluate("Date.now()") + 700
    for each in (page, second_page):
        each.evaluate("at => setTimeout(() => document.getElementById('claim').click(), at - Date.now())", at)
    for each in (page, second_page):
        each.wait_for_function(
            "() => document.querySelector('#ticket-screen').dataset.holder === 'me' || "
            "!document.getElementById('error').hidden")

    winners = [each for each in (page, second_page)
               if each.locator("#ticket-screen").get_attribute("data-holder") == "me"]
    assert len(winners) == 1, "exactly one agent holds the conversation"
    loser = second_page if winners[0] is page else page
    expect()(loser.locator("#error")).to_contain_text(CLAIMED_ELSEWHERE)
    expect()(loser.locator("#error")).to_have_attribute("data-code", "already_claimed")
    winner_name = "Dana Agent" if winners[0] is page else "Sam Supervisor"
    expect()(loser.locator("#ticket-assignee")).to_have_text(f"Assigned to {winner_name}")
    expect()(loser.locator("#claim")).to_be_hidden()
    detail = AgentBackend(settings).ticket(number)
    assert detail["assignee"]["name"] == winner_name and detail["ticket"]["handoff"]["state"] == "agent"


def test_agent_reply_appears_in_transcript_and_reaches_the_seller(page: Any, stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    number, conversation_id, _ = a_seller_asks_for_a_person(settings)
    sign_in(page, settings)
    open_ticket(page, number)
    expect()(page.locator('#transcript li[data-sender="user"]').first).to_contain_text("I want to talk to a human")
    expect()(page.locator('#transcript li[data-sender="bot"]').first).to_be_visible()
    expect()(page.locator("#context-seller")).to_have_attribute("data-seller", "S1001")
    expect()(page.locator("#context-orders .context-item").first).to_be_visible()
    expect()(page.locator("#send-reply")).to_be_disabled()
    claim(page)

    reply = "Hi, this is Dana from support. I'm looking at your orders now."
    page.fill("#composer-body", reply)
    page.click("#send-reply")
    sent = page.locator('#thread li[data-author-kind="agent"][data-internal="false"]').filter(has_text=reply)
    expect()(sent).to_have_attribute("data-delivery", "sent")
    expect()(sent.locator(".delivery")).to_have_text("sent")
    expect()(page.locator('#transcript li[data-sender="agent"]').filter(has_text=reply)).to_contain_text(
        "Dana Agent (agent)")
    expect()(page.locator("#composer-body")).to_have_value("")
    shot(page, "console-ticket")

    message = next(m for m in AgentBackend(settings).ticket(number)["ticket"]["messages"] if m["body"] == reply)
    assert message["delivery_state"] == "sent" and not message["internal"]
    delivered = [e for e in bot_events(settings, conversation_id) if e.get("text") == reply]
    assert len(delivered) == 1, "the reply reached the seller's conversation once"
    assert delivered[0]["metadata"]["agent"] == {"name": "Dana Agent", "ticket": number, "message_id": message["id"]}


def test_internal_note_is_not_sent_to_the_seller(page: Any, stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    number, conversation_id, _ = the_agent_takes_over_a_fresh_ticket(page, settings)

    note = "Checked with the warehouse: parcel is stuck in customs. Do not promise a date."
    page.fill("#composer-body", note)
    page.click("#add-note")
    shown = page.locator('#thread li[data-internal="true"]').filter(has_text=note)
    expect()(shown).to_contain_text("Internal note")
    expect()(shown.locator(".delivery")).to_have_count(0)
    page.wait_for_timeout(3500)  # a poll later the transcript (Rasa's record) still doesn't have it
    expect()(page.locator("#transcript")).not_to_contain_text(note)

    message = next(m for m in AgentBackend(settings).ticket(number)["ticket"]["messages"] if m["body"] == note)
    assert message["internal"] and message["delivery_state"] == "recorded"
    assert not [e for e in bot_events(settings, conversation_id) if note in (e.get("text") or "")]


def test_hand_back_returns_the_conversation_to_alex(page: Any, stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    number, _, chat = the_agent_takes_over_a_fresh_ticket(page, settings)
    expect()(page.locator("#ticket-handoff")).to_have_text("with Dana Agent")

    page.click("#hand-back")
    expect()(page.locator("#ticket-screen")).to_have_attribute("data-handoff", "returned")
    expect()(page.locator("#ticket-handoff")).to_have_text("with Alex")
    expect()(page.locator("#hand-back")).to_be_hidden()
    expect()(page.locator("#send-reply")).to_be_disabled()

    detail = AgentBackend(settings).ticket(number)
    assert detail["ticket"]["handoff"]["state"] == "returned"
    assert detail["ticket"]["status"] == "open", "handing back keeps the ticket open"
    answered = chat.send("where is my refund for CJ2410180012345")
    assert answered.status_code == 200 and answered.json()["messages"], "Alex answers the seller again"


def test_resolving_a_ticket_with_a_note_takes_it_off_the_queue(page: Any, stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    number, _, _ = the_agent_takes_over_a_fresh_ticket(page, settings)
    page.fill("#settle-note", "Refund confirmed by finance.")
    page.click("#resolve")
    expect()(page.locator("#ticket-screen")).to_have_attribute("data-status", "solved")
    expect()(page.locator('#thread li[data-internal="true"]').filter(has_text="Refund confirmed by finance.")
             ).to_be_visible()
    detail = AgentBackend(settings).ticket(number)
    assert detail["ticket"]["status"] == "solved" and detail["ticket"]["handoff"]["state"] == "returned"
    page.click("#back-to-queue")
    expect()(page.locator("#queue-rows tr").first).to_be_visible()
    expect()(page.locator(f'#queue-rows tr[data-ticket="{number}"]')).to_have_count(0)


def test_a_reassigned_agent_is_told_they_no_longer_hold_the_conversation(
    page: Any, second_page: Any, stack: tuple[Stack, Settings]
) -> None:
    _, settings = stack
    number, _, _ = the_agent_takes_over_a_fresh_ticket(page, settings)
    page.fill("#composer-body", "One moment please.")

    sign_in(second_page, settings, SUPERVISOR)
    second_page.goto(f"{settings.console_url}/#/tickets/{number}")
    second_page.wait_for_selector(f'#ticket-screen[data-ticket="{number}"]')
    second_page.select_option("#reassign-select", label="Sam Supervisor (supervisor)")
    second_page.click("#reassign-apply")
    expect()(second_page.locator("#ticket-screen")).to_have_attribute("data-holder", "me")

    # The first agent sends what they had typed before their screen caught up.
    page.evaluate("document.getElementById('composer').requestSubmit()")
    expect()(page.locator("#error")).to_contain_text("You no longer hold this conversation")
    expect()(page.locator("#ticket-assignee")).to_have_text("Assigned to Sam Supervisor")
    expect()(page.locator("#send-reply")).to_be_disabled()
    bodies = [m["body"] for m in AgentBackend(settings).ticket(number)["ticket"]["messages"]]
    assert "One moment please." not in bodies


def test_expired_session_returns_to_sign_in(page: Any, stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    sign_in(page, settings)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "alex_console_session")
    ended = requests.delete(f"{settings.backend_url}/v1/agent/sessions/current", timeout=10, headers={
        "Authorization": f"Bearer {settings.console_key}", "X-Agent-Session": token,
        "Idempotency-Key": uuid.uuid4().hex})
    assert ended.status_code == 200, ended.text

    page.wait_for_selector('body[data-screen="sign-in"]')
    expect()(page.locator("#sign-in-notice")).to_have_attribute("data-reason", "expired")
    expect()(page.locator("#sign-in-notice")).to_contain_text("Please sign in again")
    assert [c for c in page.context.cookies() if c["name"] == "alex_console_session"] == []
    sign_in(page, settings)
    expect()(page.locator("#queue-rows tr").first).to_be_visible()


def test_supervisor_reads_the_audit_log_and_an_agent_cannot(
    page: Any, second_page: Any, stack: tuple[Stack, Settings]
) -> None:
    _, settings = stack
    number, _, _ = a_seller_asks_for_a_person(settings)
    AgentBackend(settings, AGENT).write(f"/tickets/{number}/claim")

    sign_in(second_page, settings, SUPERVISOR)
    second_page.click("#nav-audit")
    claimed = second_page.locator(f'#audit-rows tr[data-action="claimed"][data-ticket="{number}"]')
    expect()(claimed).to_contain_text("Dana Agent")
    expect()(second_page.locator(f'#audit-rows tr[data-action="ticket_created"][data-ticket="{number}"]')
             ).to_have_count(1)
    shot(second_page, "console-audit")

    sign_in(page, settings, AGENT)
    expect()(page.locator("#nav-audit")).to_be_hidden()
    page.goto(f"{settings.console_url}/#/audit")
    expect()(page.locator("#error")).to_have_text("Only supervisors can do that.")
    expect()(page.locator("#audit-rows tr")).to_have_count(0)
    assert page.request.get(settings.console_url + "/api/audit").status == 403

    page.goto(f"{settings.console_url}/#/tickets/{number}")
    page.click("#show-audit")
    expect()(page.locator('#ticket-audit-rows tr[data-action="claimed"]')).to_contain_text("Dana Agent")


def test_while_rasa_is_down_the_ticket_still_shows_and_a_failed_reply_is_retried_once(
    page: Any, stack: tuple[Stack, Settings]
) -> None:
    running, settings = stack
    number, conversation_id, _ = the_agent_takes_over_a_fresh_ticket(page, settings)
    reply = "Sorry for the wait, checking your refund now."
    running.halt("rasa")
    try:
        expect()(page.locator("#transcript-unavailable")).to_be_visible()
        expect()(page.locator("#context-seller")).to_have_attribute("data-seller", "S1001")
        page.fill("#composer-body", reply)
        page.click("#send-reply")
        failed = page.locator('#thread li[data-author-kind="agent"]').filter(has_text=reply)
        expect()(failed).to_have_attribute("data-delivery", "failed")
        expect()(page.locator('#notices [data-notice="reply_not_delivered"]')).to_be_visible()
        shot(page, "console-ticket-rasa-down")
        message = next(m for m in AgentBackend(settings).ticket(number)["ticket"]["messages"] if m["body"] == reply)
        assert message["delivery_state"] == "failed"
    finally:
        running.resume("rasa")

    failed.locator("button.retry").click()
    expect()(failed).to_have_attribute("data-delivery", "sent")
    expect()(page.locator("#transcript-unavailable")).to_be_hidden()
    expect()(page.locator('#transcript li[data-sender="agent"]').filter(has_text=reply)).to_have_count(1)
    bodies = [m["body"] for m in AgentBackend(settings).ticket(number)["ticket"]["messages"]]
    assert bodies.count(reply) == 1, "a retry sends the same message, it doesn't write another"
    assert [e["metadata"]["agent"]["message_id"] for e in bot_events(settings, conversation_id)
            if e.get("text") == reply] == [message["id"]]


def test_a_whatsapp_reply_that_never_reaches_the_seller_shows_why_and_flags_the_ticket(
    page: Any, stack: tuple[Stack, Settings], fake_graph_api: Any
) -> None:
    """Meta refuses it outside the 24-hour window (131047, in a failed status webhook) and then refuses the
    template too (132001): the page shows the reply failed with WhatsApp's reason, and the ticket's flag
    (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes)."""
    from tests.channels.whatsapp_client import new_number
    from tests.channels.whatsapp_client import say as whatsapp_say

    _, settings = stack
    number = new_number()
    Platform(settings).link_whatsapp(number, "S1001")
    whatsapp_say(settings, fake_graph_api, number, "i need to speak to a person please")
    ticket = Platform(settings).ticket_of(f"wa:{number}")
    assert ticket is not None
    sign_in(page, settings)
    open_ticket(page, ticket["number"])
    claim(page)
    expect()(page.locator("#undelivered")).to_be_hidden()
    fake_graph_api.close_window(number)
    fake_graph_api.refuse_templates(True)
    try:
        reply = "Your replacement ships tomorrow."
        page.fill("#composer-body", reply)
        page.click("#send-reply")
        item = page.locator('#thread li[data-author-kind="agent"]').filter(has_text=reply)
        expect()(item).to_have_attribute("data-delivery", "failed")
    finally:
        fake_graph_api.refuse_templates(False)
    expect()(item.locator(".delivery-error")).to_contain_text("132001")
    expect()(page.locator("#undelivered")).to_contain_text("1 reply did not reach the seller")
    expect()(item.locator("button.retry")).to_be_visible()
    shot(page, "console-whatsapp-reply-undelivered")
