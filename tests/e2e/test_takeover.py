"""A person takes a conversation over and hands it back, end to end over the real servers: the seller writes on a
channel, the agent works in the console (its JSON API), and delivery is checked where the seller sees it (the
seller chat's answers, the fake Graph API's log). The takeover must outlive what Rasa's own pause does not: a
typed /restart, a session expiry, a restarted Rasa server."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest

from bot.settings import Settings
from bot.stack import Stack
from tests.channels.whatsapp_client import answered, bodies, delivery, new_number, post, text_message
from tests.channels.whatsapp_client import say as whatsapp_say
from tests.e2e.agent_desk import AgentDesk
from tests.e2e.conversation import force_session_expiry, say, seller, tracker
from tests.fakes.graph_api import FakeGraphApi
from tests.platform import Platform


@pytest.fixture
def platform(stack: tuple[Stack, Settings]) -> Platform:
    return Platform(stack[1])


def bot_texts(settings: Settings, conversation: str) -> list[str]:
    return [e.get("text") or "" for e in tracker(settings, conversation)["events"]
            if e.get("event") == "bot"]


def seller_messages(platform: Platform, conversation: str) -> list[str]:
    ticket = platform.ticket_of(quote(conversation, safe=""))
    return [m["body"] for m in ticket["messages"] if m["author_kind"] == "seller"]


def test_agent_takes_over_the_bot_stays_quiet_even_for_a_typed_restart_and_hand_back_brings_alex_back(
    stack: tuple[Stack, Settings], platform: Platform,
) -> None:
    _, settings = stack
    chat = seller(settings, "S1001")
    conversation = f"web:{chat.session}:S1001"
    asked = " ".join(say(chat, "I want to talk to a human about CJ2410180012349"))
    ticket = platform.ticket_of(conversation)
    assert ticket["number"] in asked and ticket["handoff"]["state"] == "waiting"

    desk = AgentDesk(settings)
    link = desk.http.get(ticket["transcript_url"], allow_redirects=False, timeout=30)
    assert link.status_code == 302 and link.headers["Location"] == f"/#/tickets/{ticket['number']}"
    desk.claim(ticket["number"])
    assert any(desk.name in text and "joined" in text for text in bot_texts(settings, conversation))

    bot_before = len(bot_texts(settings, conversation))
    reply = chat.send("my refund is 2 weeks late, what is going on?")
    assert reply.status_code == 200 and reply.json()["messages"] == [] and reply.json()["with_agent"] is True
    assert chat.send("/restart").json()["messages"] == []  # typed: words for the agent, not a command
    assert len(bot_texts(settings, conversation)) == bot_before  # Alex said nothing
    assert seller_messages(platform, conversation)[-2:] == ["my refund is 2 weeks late, what is going on?",
                                                            "restart"]
    user_texts = [e.get("text") for e in tracker(settings, conversation)["events"]
                  if e.get("event") == "user"]
    assert "my refund is 2 weeks late, what is going on?" in user_texts  # the transcript stays whole

    sent = desk.reply(ticket["number"], "Hi, I am checking the refund with finance now.")
    assert "Hi, I am checking the refund with finance now." in bot_texts(settings, conversation)
    agent_messages = [m for m in sent["ticket"]["messages"] if m["author_kind"] == "agent" and not m["internal"]]
    assert agent_messages[-1]["delivery_state"] == "sent"
    desk.reply(ticket["number"], "Finance says it was paid today.", internal=True)
    assert "Finance says it was paid today." not in bot_texts(settings, conversation)  # a note stays inside

    desk.hand_back(ticket["number"])
    assert "back with Alex" in bot_texts(settings, conversation)[-1]
    answer = " ".join(say(chat, "where is my refund for CJ2410180012345"))
    assert "42.50" in answer  # Alex answers again
    assert "back with Alex" not in answer
    refused = desk.reply_refused(ticket["number"], "One more thing...")
    assert refused["code"] == "conversation_moved_on" and "no longer hold" in refused["message"]


def test_whatsapp_takeover_survives_a_session_expiry_and_a_rasa_restart(
    stack: tuple[Stack, Settings], platform: Platform, fake_graph_api: FakeGraphApi,
) -> None:
    running, settings = stack
    number = new_number()
    platform.link_whatsapp(number, "S1001")
    conversation = f"wa:{number}"
    asked = bodies(whatsapp_say(settings, fake_graph_api, number, "i need to speak to a person please"))
    ticket = platform.ticket_of(quote(conversation, safe=""))
    assert ticket is not None, asked
    assert ticket["number"] in asked and ticket["channel"] == "whatsapp"

    desk = AgentDesk(settings)
    before = len(fake_graph_api.sent_to(number))
    desk.claim(ticket["number"])
    assert f"{desk.name} from CJ's support team has joined" in bodies(answered(fake_graph_api, number, before + 1)[before:])

    def seller_writes(text: str) -> None:
        sent_before = len(fake_graph_api.sent_to(number))
        assert post(settings, delivery(settings, [text_message(number, text)])).status_code == 200
        deadline = time.monotonic() + 30
        while text not in seller_messages(platform, conversation) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert text in seller_messages(platform, conversation)
        time.sleep(1.0)
        assert len(fake_graph_api.sent_to(number)) == sent_before, "Alex answered during the takeover"

    def agent_writes(text: str) -> None:
        sent_before = len(fake_graph_api.sent_to(number))
        desk.reply(ticket["number"], text)
        assert text in bodies(answered(fake_graph_api, number, sent_before + 1)[sent_before:])

    seller_writes("the parcel for CJ2410180012349 never came")
    agent_writes("I see it, let me check with the carrier.")

    force_session_expiry(settings, conversation)
    seller_writes("hello? still there?")
    agent_writes("Yes, still here: the carrier is looking for it.")

    running.halt("rasa")
    running.resume("rasa")
    seller_writes("any news after all this time?")
    agent_writes("They found it: it will be delivered tomorrow.")

    before = len(fake_graph_api.sent_to(number))
    desk.hand_back(ticket["number"])
    assert "back with Alex" in bodies(answered(fake_graph_api, number, before + 1)[before:])
    answer = bodies(whatsapp_say(settings, fake_graph_api, number, "where is my refund for CJ2410180012345"))
    assert "42.50" in answer
