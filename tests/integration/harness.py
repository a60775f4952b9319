"""Running Alex's actions against the real backend, the way Rasa calls them: a tracker with the seller's signed
binding in the latest message's metadata, and the domain read from domain.yml (the actions read labels there).

A form's turn is run like Rasa runs it: the validation action sees the tracker with the form active, the slot
being asked for, and the seller's message; its events are applied before the next turn."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.identity import bind_conversation
from bot.settings import PROJECT_ROOT, Settings

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
_MESSAGE_IDS = itertools.count(1)


@dataclass
class Conversation:
    """One seller's conversation as the actions see it: slots, the active form, the events so far."""

    settings: Settings
    seller: str = "S1001"
    session: str = "main"
    slots: dict[str, Any] = field(default_factory=dict)
    active_loop: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    message: dict[str, Any] = field(default_factory=dict)
    bound: bool = True

    @property
    def sender(self) -> str:
        return f"web:{self.session}:{self.seller}"

    def says(self, text: str, intent: str, entities: dict[str, Any] | list[tuple[str, str]] | None = None,
             attachments: list[dict[str, Any]] | None = None) -> "Conversation":
        """The seller's next message, as NLU parsed it (entities: {name: value} or [(name, value), ...])."""
        pairs = list(entities.items()) if isinstance(entities, dict) else list(entities or [])
        metadata: dict[str, Any] = (
            bind_conversation(self.sender, self.seller, self.settings.identity_secret) if self.bound else {})
        if attachments:
            metadata["attachments"] = attachments
        self.message = {"text": text, "intent": {"name": intent, "confidence": 0.9},
                        "entities": [{"entity": n, "value": v} for n, v in pairs], "metadata": metadata,
                        "message_id": f"m{next(_MESSAGE_IDS)}"}
        self.events.append({"event": "user", "timestamp": time.time(), "text": text,
                            "message_id": self.message["message_id"], "parse_data": {
                                "intent": self.message["intent"], "entities": self.message["entities"]},
                            "metadata": metadata})
        return self

    def tracker(self) -> Tracker:
        loop = {"name": self.active_loop} if self.active_loop else {}
        return Tracker(self.sender, dict(self.slots), self.message, list(self.events), False, None, loop,
                       "action_listen")

    def run(self, action: Action) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Run one action; apply its slot events; return (messages, events)."""
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action.run(dispatcher, self.tracker(), DOMAIN))
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
            elif event.get("event") == "active_loop":
                self.active_loop = event.get("name")
        self.events += [{"event": "bot", "text": m.get("response")} for m in dispatcher.messages]
        return dispatcher.messages, events

    def fill(self, form: Action, *, activating: bool = False) -> tuple[list[str], list[dict[str, Any]]]:
        """Run a form's validation action for the latest message, as the form does; returns response names."""
        if activating:  # as Rasa does: the form is marked active first, then asked about the starting message
            self.active_loop = form.name().removeprefix("validate_")
            self.events.append({"event": "active_loop", "name": self.active_loop})
            self.slots["requested_slot"] = None
        messages, events = self.run(form)
        return [m.get("response") for m in messages], events

    @property
    def asking(self) -> str | None:
        return self.slots.get("requested_slot")


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("response") for m in messages]


def use_backend(monkeypatch: Any, settings: Settings, url: str | None = None) -> None:
    """Point the actions (which read the environment, like the action server) at this backend."""
    # Settings.backend_url reads ALEX_BACKEND_URL itself, so the real address comes from the port.
    monkeypatch.setenv("ALEX_BACKEND_URL", url or f"http://127.0.0.1:{settings.backend_port}")
    monkeypatch.setenv("ALEX_BACKEND_KEY", settings.backend_key)
    monkeypatch.setenv("ALEX_IDENTITY_SECRET", settings.identity_secret)
    monkeypatch.setenv("ALEX_BACKEND_TIMEOUT", "3")
