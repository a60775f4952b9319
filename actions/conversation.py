"""What the latest message brings (intent, numbers, entities, links, attachments), and the keys for writes.

Every flow reads the seller's message through `Turn`, so "what counts as an answer" is decided in one place.
Idempotency keys are derived from the conversation and the user event that confirmed a write: the same
confirmation always produces the same key, so a retried action (or a retried HTTP call) never writes twice,
while a new confirmation (a new event) is a new write.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, EventType, UserUttered
from rasa_sdk.types import DomainDict

from bot.order_numbers import MalformedNumber, NumberKind, canonical, find_numbers, kind_of

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_DOMAIN = re.compile(r"(?<![@\w.])(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/[^\s<>\"']*)?", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,190}\.[A-Za-z]{2,63}")
_NUMBER = re.compile(r"[#]?\b[CcSsZz][JjHhFf][\s-]?\d[\d\s-]{0,24}\d\b")

ORDER_KINDS = (NumberKind.STORE_ORDER, NumberKind.WHOLESALE_ORDER)

# Messages that never answer a flow's question, whatever words they use: small talk and getting a person.
ALWAYS_ASIDE_INTENTS = frozenset({
    "request_human_agent", "report_chargeback", "report_account_blocked", "complain", "bot_challenge", "greet",
    "thanks", "goodbye",
})
# Intents that never answer a flow's question when asked as a question: questions answered on the side.
SIDE_QUESTION_INTENTS = ALWAYS_ASIDE_INTENTS | frozenset({
    "ask_cancel_order", "ask_open_dispute", "ask_close_dispute", "ask_refund_types", "ask_dispute_cases",
    "ask_return_order", "ask_dispute_on_platform", "ask_dispute_proof", "ask_return_to_warehouse",
    "ask_avoid_returns", "out_of_scope", "nlu_fallback", "ask_why", "ask_what_now",
})
# A question without its "?": sellers often leave it out.
_QUESTION_START = re.compile(
    r"^(?:what|what's|whats|how|why|when|where|which|who|can|could|should|would|will|is|are|do|does|did|may|"
    r"difference)\b", re.IGNORECASE)
# Words around a number that still make the message just the number ("it's CJ…", "CJ… pls").
_FILLER_WORDS = frozenset({
    "it", "its", "it's", "is", "the", "this", "that", "one", "order", "number", "no", "nr", "ok", "okay", "sorry",
    "here", "my", "pls", "plz", "please", "thanks", "thx", "yes", "yeah", "and", "for", "of",
})
# Intents that start a flow of their own.
FLOW_INTENTS = frozenset({
    "check_order_status", "check_refund_status", "check_dispute_status", "request_cancel_order",
    "request_open_dispute", "request_close_dispute", "agree_resend", "add_dispute_message", "request_return",
})


# The evidence store's refusal codes (bot/backend/evidence_*.py) that need their own sentence
_NOT_STORED_RESPONSES = {"evidence_quota_exceeded": "utter_evidence_quota_exceeded",
                         "pdf_active_content": "utter_file_pdf_refused", "pdf_uncheckable": "utter_file_pdf_refused"}


@dataclass(frozen=True)
class Turn:
    """The seller's latest message, as the flows read it."""

    intent: str
    text: str
    raw_numbers: tuple[str, ...]
    entities: dict[str, tuple[str, ...]]
    attachments: tuple[dict[str, Any], ...] = ()
    urls: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    files_not_stored: tuple[str, ...] = ()  # files the channel could not keep (bot/channels/whatsapp.py)
    file_refusals: tuple[str, ...] = ()  # why: the evidence store's error code for each ("" when unknown)

    @classmethod
    def of(cls, tracker: Tracker) -> "Turn":
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        if text.startswith("/"):
            text = ""  # a button payload carries entities, not words
        entities: dict[str, list[str]] = {}
        for entity in message.get("entities") or []:
            value = entity.get("value")
            if isinstance(value, str) and value and not negated(text, entity):
                entities.setdefault(entity.get("entity", ""), []).append(value)
        metadata = message.get("metadata") or {}
        attachments = tuple(
            a for a in metadata.get("attachments") or []
            if isinstance(a, dict) and isinstance(a.get("evidence_id"), str) and a["evidence_id"]
        )
        return cls(
            intent=(message.get("intent") or {}).get("name") or "",
            text=text.strip(),
            raw_numbers=tuple(dict.fromkeys(entities.get("order_number", []))),
            entities={name: tuple(dict.fromkeys(values)) for name, values in entities.items()},
            attachments=attachments,
            urls=tuple(dict.fromkeys(u.rstrip(".,);!?") for u in _URL.findall(text))),
            emails=tuple(dict.fromkeys(_EMAIL.findall(text))),
            files_not_stored=tuple(str(f) for f in metadata.get("files_not_stored") or [] if isinstance(f, str)),
            file_refusals=tuple(str(f) for f in metadata.get("file_refusals") or [] if isinstance(f, str)),
        )

    def not_stored_response(self) -> str:
        """What to tell the seller about the first file the channel could not keep: over the evidence quota and
        a PDF with active content have answers of their own; anything else gets the list of what we take."""
        refusal = self.file_refusals[0] if self.file_refusals else ""
        return _NOT_STORED_RESPONSES.get(refusal, "utter_file_not_stored")

    def links_or_domains(self) -> tuple[str, ...]:
        """Links, or else web addresses typed without http:// ("mystore.com")."""
        if self.urls:
            return self.urls
        return tuple(d.rstrip(".,);!?") for d in _DOMAIN.findall(_EMAIL.sub(" ", self.text)))

    def entity(self, name: str) -> str | None:
        """The last value of an entity in this message (a correction names the new value last)."""
        values = self.entities.get(name) or ()
        return values[-1] if values else None

    def numbers(self) -> tuple[list[str], list[str]]:
        """(canonical numbers, raw texts that look like numbers but are malformed), each once, in order."""
        good: list[str] = []
        bad: list[str] = []
        for raw in self.raw_numbers:
            try:
                number = canonical(raw)
            except MalformedNumber:
                bad.append(raw)
                continue
            if number not in good:
                good.append(number)
        return good, bad

    def words_besides_numbers_and_links(self) -> int:
        """Words that say something besides the numbers and links ("cancel", not "pls" or "it's")."""
        rest = _URL.sub(" ", _NUMBER.sub(" ", self.text))
        return sum(1 for word in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", rest) if word.lower() not in _FILLER_WORDS)

    def prose(self) -> str:
        """The message without its links: what a seller wrote in their own words."""
        return re.sub(r"\s+", " ", _URL.sub(" ", self.text)).strip()

    def is_question_on_the_side(self) -> bool:
        """A question about the rules (asked as a question, "?" or not), small talk, or a call for a person:
        answered on the side, never taken as the answer to the flow's question, whatever choices it names."""
        if self.intent in ALWAYS_ASIDE_INTENTS:
            return True
        return self.intent in SIDE_QUESTION_INTENTS and (
            self.text.endswith("?") or bool(_QUESTION_START.match(self.text)))


# "not a refund", "no resend", "instead of money", "it's not damaged": the choice named is the one NOT meant.
_NEGATION_BEFORE = re.compile(
    r"(?:\b(?:not|no|don'?t|dont|never|instead of|rather than|than)\s+(?:an?\s+|the\s+|at all\s+)?)$",
    re.IGNORECASE)
_NEGATED_CHOICES = frozenset({"expected_result", "refund_type", "dispute_reason"})


def negated(text: str, entity: dict[str, Any]) -> bool:
    """Whether a choice in the message is named only to be refused ("resend, not refund")."""
    start = entity.get("start")
    if entity.get("entity") not in _NEGATED_CHOICES or not isinstance(start, int):
        return False
    return bool(_NEGATION_BEFORE.search(text[max(0, start - 20):start]))


def is_order_number(number: str) -> bool:
    return kind_of(number) in ORDER_KINDS


def is_dispute_number(number: str) -> bool:
    return kind_of(number) is NumberKind.DISPUTE


@dataclass(frozen=True)
class LastAnswer:
    """What Alex said lately (its last few turns before the seller's latest message): the responses it gave,
    newest last, and the newest order and dispute numbers they named."""

    responses: tuple[str, ...]
    order_number: str | None
    dispute_number: str | None

    @classmethod
    def of(cls, tracker: Tracker, turns: int = 1, domain: DomainDict | None = None) -> "LastAnswer":
        events = list(tracker.events or [])
        users = [i for i, e in enumerate(events) if e.get("event") == "user"]
        start = users[-1 - turns] if len(users) > turns else 0
        end = users[-1] if users else len(events)
        bots = [e for e in events[start:end] if e.get("event") == "bot"]
        responses = tuple(str((e.get("metadata") or {}).get("utter_action") or "") for e in bots)
        examples = example_numbers(domain)  # "like CJ2410180012345" in a response is no order of the seller's
        numbers = [n.canonical for e in bots for n in find_numbers(e.get("text") or "")
                   if n.canonical and n.canonical not in examples]
        return cls(
            responses=tuple(r for r in responses if r),
            order_number=next((n for n in reversed(numbers) if is_order_number(n)), None),
            dispute_number=next((n for n in reversed(numbers) if is_dispute_number(n)), None),
        )

    def newest(self, table: dict[str, Any]) -> Any:
        """The table's entry for the newest response that has one."""
        return next((table[r] for r in reversed(self.responses) if r in table), None)


def example_numbers(domain: DomainDict | None) -> frozenset[str]:
    """The numbers Alex's responses use as examples of the format (they are in the responses' own text)."""
    texts = [variant.get("text") or "" for variants in ((domain or {}).get("responses") or {}).values()
             for variant in variants]
    return frozenset(n.canonical for text in texts for n in find_numbers(text) if n.canonical)


def latest_user_event(tracker: Tracker) -> dict[str, Any]:
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            return event
    return {}


def replay(message: dict[str, Any]) -> list[EventType]:
    """Events that put a user message in the conversation as if just received, so the rules handle it
    (the seller's own words for a switch, or the request they accepted)."""
    user = UserUttered(message.get("text") or "", parse_data={
        "text": message.get("text") or "", "intent": message.get("intent") or {},
        "entities": message.get("entities") or [],
    }, input_channel="alex")
    user["metadata"] = message.get("metadata") or {}
    return [ActionExecuted("action_listen"), user]


def idempotency_key(tracker: Tracker, purpose: str) -> str:
    """A key for one write: this conversation, the user event that confirmed it, and what is written.

    Visible ASCII, at most 128 characters (the backend's limit)."""
    confirming = latest_user_event(tracker)
    material = "\x1f".join([
        tracker.sender_id,
        purpose,
        str(confirming.get("message_id") or ""),
        repr(confirming.get("timestamp")),
        (tracker.latest_message or {}).get("text") or "",
    ])
    return "alex-" + hashlib.sha256(material.encode()).hexdigest()[:48]


def channel_of(conversation_id: str) -> str:
    """The backend's channel name for a conversation id (`wa:<number>` is WhatsApp, everything else web)."""
    return "whatsapp" if conversation_id.startswith("wa:") else "web"


def label(domain: DomainDict, group: str, key: str | None) -> str:
    """A short label sellers see (a reason, a refund type), from the `utter_labels` response in domain.yml,
    so every word Alex shows lives in the domain file."""
    if not key:
        return ""
    responses = (domain or {}).get("responses", {}).get("utter_labels") or [{}]
    labels = (responses[0].get("custom") or {}).get(group) or {}
    return str(labels.get(key, key.replace("_", " ")))


def excerpt(text: str, limit: int = 120) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def day(moment: str | None) -> str:
    """'2024-10-15T10:00:00+00:00' -> '15 Oct 2024' (dates only: we never promise times we don't know)."""
    if not moment:
        return ""
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).strftime("%d %b %Y").lstrip("0")
