"""Issue 12, an agent's reply on WhatsApp, end to end (the console's JSON API, the running stack, the fake Graph
API): the console shows how far each reply got; a reply Meta refuses outside the 24-hour customer service window
(a 200, then a failed status webhook with 131047 "Re-engagement message") goes out once more as the approved
template; a reply that still fails is failed with its reason and flagged on the ticket.
https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status

During a takeover, what Alex can't read (a voice note) reaches the agent's thread by name, and Alex says nothing.
"""

from __future__ import annotations

import time
from typing import Any, Iterator
from urllib.parse import quote

import pytest

from bot.settings import Settings
from bot.stack import Stack
from tests.channels.whatsapp_client import bodies, delivery, new_number, post, say
from tests.e2e.agent_desk import AgentDesk
from tests.fakes.graph_api import FakeGraphApi
from tests.platform import Platform


class Takeover:
    """A linked seller's WhatsApp conversation with a ticket an agent has claimed."""

    def __init__(self, settings: Settings, fake: FakeGraphApi) -> None:
        self.settings, self.fake = settings, fake
        self.number = new_number()
        self.platform = Platform(settings)
        self.platform.link_whatsapp(self.number, "S1001")
        say(settings, fake, self.number, "i need to speak to a person please")
        ticket = self.platform.ticket_of(quote(f"wa:{self.number}", safe=""))
        assert ticket is not None
        self.ticket = ticket["number"]
        self.desk = AgentDesk(settings)
        self.desk.claim(self.ticket)

    def reply(self, text: str) -> int:
        """The agent's reply; its message id."""
        detail = self.desk.reply(self.ticket, text)
        return max(m["id"] for m in detail["ticket"]["messages"] if m["body"] == text)

    def message(self, message_id: int) -> dict[str, Any]:
        return next(m for m in self.desk.ticket(self.ticket)["ticket"]["messages"] if m["id"] == message_id)

    def reaches(self, message_id: int, state: str) -> dict[str, Any]:
        """Wait until the console shows the reply in this delivery state (the channel reports off the request)."""
        return self.fake.wait_for(lambda: (lambda m: m if m["delivery_state"] == state else None)(
            self.message(message_id)))

    def wamid_of(self, text: str, kind: str = "text") -> str:
        return self.fake.wait_for(lambda: [w for w, m in self.fake.accepted_to(self.number)
                                           if m.get("type") == kind and text in bodies([m])])[-1]


@pytest.fixture
def takeover(stack: tuple[Stack, Settings], fake_graph_api: FakeGraphApi) -> Iterator[Takeover]:
    yield Takeover(stack[1], fake_graph_api)
    fake_graph_api.refuse_templates(False)


def test_the_console_follows_a_reply_to_delivered_and_read(takeover: Takeover) -> None:
    reply = takeover.reply("Hi, I'm looking at your order now.")
    takeover.reaches(reply, "delivered")
    takeover.fake.read_by_customer(takeover.wamid_of("looking at your order"), takeover.number)
    assert takeover.reaches(reply, "read")["delivery_error"] is None


def test_a_reply_refused_outside_the_window_goes_out_once_as_the_template(takeover: Takeover) -> None:
    takeover.fake.close_window(takeover.number)  # Meta counts the window closed, whatever the channel believes
    reply = takeover.reply("Your refund was approved today.")
    delivered = takeover.reaches(reply, "delivered")
    assert "131047" in delivered["delivery_error"]
    templates = [m for _, m in takeover.fake.accepted_to(takeover.number) if m["type"] == "template"]
    assert len(templates) == 1 and bodies(templates) == "Your refund was approved today."
    assert reply not in takeover.desk.ticket(takeover.ticket)["ticket"]["undelivered_replies"]


def test_a_reply_that_still_fails_is_failed_with_its_reason_and_flagged_on_the_ticket(takeover: Takeover) -> None:
    takeover.fake.close_window(takeover.number)
    takeover.fake.refuse_templates(True)
    reply = takeover.reply("Please send a photo of the parcel.")
    failed = takeover.reaches(reply, "failed")
    assert "132001" in failed["delivery_error"]
    assert reply in takeover.desk.ticket(takeover.ticket)["ticket"]["undelivered_replies"]
    refused_templates = [r for r in takeover.fake.refusals if r["code"] == 132001]
    assert refused_templates  # tried once as the template, and not again
    assert len([m for m in takeover.fake.sent_to(takeover.number) if m["type"] == "template"]) == 1


def test_a_voice_note_during_a_takeover_reaches_the_agent_and_alex_stays_quiet(takeover: Takeover) -> None:
    before = len(takeover.fake.sent_to(takeover.number))
    voice = {"from": takeover.number, "id": f"wamid.voice-{takeover.number}", "timestamp": str(int(time.time())),
             "type": "audio", "audio": {"id": f"media-voice-{takeover.number}", "mime_type": "audio/ogg",
                                        "voice": True}}
    takeover.fake.add_media(f"media-voice-{takeover.number}", b"OggS" + b"\0" * 64, "audio/ogg")
    assert post(takeover.settings, delivery(takeover.settings, [voice])).status_code == 200
    thread = takeover.fake.wait_for(lambda: [m for m in takeover.desk.ticket(takeover.ticket)["ticket"]["messages"]
                                             if m["author_kind"] == "seller" and "voice note" in m["body"]])
    assert thread[-1]["body"] == "[voice note]"
    # The thread has it, so the channel is done with the message: Alex said nothing to the seller.
    assert len(takeover.fake.sent_to(takeover.number)) == before


def test_a_reply_still_rate_limited_after_the_retries_is_failed_with_130429_and_flagged(takeover: Takeover) -> None:
    takeover.fake.limit_rate(0)  # Meta answers every send with 130429 "Rate limit hit"
    try:
        reply = takeover.reply("We have shipped the replacement.")
        failed = takeover.reaches(reply, "failed")
    finally:
        takeover.fake.limit_rate(None)
    assert "130429" in failed["delivery_error"]
    assert reply in takeover.desk.ticket(takeover.ticket)["ticket"]["undelivered_replies"]
