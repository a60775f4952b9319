"""What every flow's form shares: reading answers from the seller's message, leaving, and checking numbers.

Each flow (cancel an order, open a dispute, ...) is a Rasa form whose slots use `custom` mappings, filled by the
flow's validation action, a subclass of `FlowForm`. One class decides for all of them:

- what answers the question asked (a number, a choice, yes/no, an email, a link, proof, free text) and what is a
  question on the side or another request (nothing is taken, so Rasa rejects the form and the rules answer the
  question and resume it, or offer to switch flows);
- corrections at any point ("actually a resend instead"): the slot changes, the rest of the form stays;
- leaving: "stop" (and "no" to a question that is not a yes/no question) ends the form with nothing written;
- a fresh start each time a form is activated (slots of an abandoned earlier attempt never leak in), except when
  a paused form is resumed (`flow_resume`);
- order and dispute numbers: normalised, one at a time (several -> a pick-list), checked against the backend for
  the verified seller; unknown and other sellers' numbers get the same answer.

Why a form ends early is kept in `flow_stop_reason`; the flow's submit action (a `FlowSubmit`) reads it. A
seller who fails the same question twice in a row (an answer Alex can't use, a number that isn't theirs) is not
asked a third time: the form ends and a person takes over (`flow_failures` counts, `open_ticket` escalates).
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendClient, BackendUnavailable, Dispute, NotFound, Order, Rejected
from actions.conversation import FLOW_INTENTS, LastAnswer, Turn, is_dispute_number, is_order_number
from actions.seller import verified_seller
from actions.tickets import open_ticket, refresh_waiting_ticket, ticket_waiting
from bot.order_numbers import MalformedNumber, canonical

STOP_REASON = "flow_stop_reason"
ORDER_FACTS = "order_facts"
DISPUTE_FACTS = "dispute_facts"
RESUME = "flow_resume"
FAILURES = "flow_failures"
PENDING_OFFER = "pending_offer"
OFFER_PENDING = "offer_pending"  # featurized: the rules route yes/no to the offer

STOPPED = "stopped"
IDENTITY = "identity"
INELIGIBLE = "ineligible"
UNAVAILABLE = "backend_unavailable"
FAILED = "failed"

FAILURES_BEFORE_A_PERSON = 2
# What Alex says when an answer can't be used (besides every `utter_<form>_<slot>_invalid`).
_REJECTIONS = frozenset({"utter_flow_not_understood", "utter_file_not_needed_here", "utter_order_not_found",
                         "utter_malformed_number", "utter_order_number_expected"})

# Messages that answer nothing while a form waits for an answer (questions on the side and other requests are
# handled by the rules instead).
NOT_AN_ANSWER = frozenset({"affirm", "inform", "inform_order_number", "nlu_fallback", "share_evidence", "thanks",
                           "acknowledge"})
# How a yes/no question reads the seller's answer: "ok, do it" is a yes where a yes is asked for.
YES_OR_NO = {"affirm": True, "acknowledge": True, "deny": False}

# Words that make a long message a change of an earlier answer ("oh wait, it's the wrong model, sorry").
_CORRECTING = re.compile(r"\b(?:actually|instead|change|wait|sorry|correction|i mean|rather|make it|reason is)\b",
                         re.IGNORECASE)
# A short go-ahead at a confirmation, whatever NLU made of it.
_GO_AHEAD = re.compile(r"^\W*(?:(?:ok(?:ay)?|yes|yep|yeah|sure|pls|please|then)\W+)*(?:submit|send|open|confirm|proceed|"
                       r"go ahead|do it|go for it|file|create|apply)\b"
                       r"(?:\W+(?:it|that|this|them|now|please|pls|the (?:dispute|case|request|return|message)))*\W*$",
                       re.IGNORECASE)
# A request that points back at what Alex just talked about ("cancel it", "that order", "the same one").
_POINTS_BACK = re.compile(r"\b(?:it|this|that|same|this one|that one|the order)\b", re.IGNORECASE)

PICK_LIST_SIZE = 10  # WhatsApp lists hold 10 rows; titles of up to 24 characters


class SlotKind(str, enum.Enum):
    """How a slot's answer is read from a message."""

    NUMBER = "number"  # one order or dispute number
    NUMBERS = "numbers"  # one or more (lookups)
    CHOICE = "choice"  # a value of an entity (buttons, or words the lookup tables know)
    CONFIRM = "confirm"  # yes / no
    EMAIL = "email"
    LINK = "link"
    IMAGE = "image"  # an uploaded image, or a link to one
    PROOF = "proof"  # uploads, links and the seller's words
    TEXT = "text"  # free text


@dataclass
class Context:
    """Everything a validator may need for one turn."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    domain: DomainDict
    seller_id: str
    backend: BackendClient
    turn: Turn
    values: dict[str, Any]  # the flow's slots as they stand, updated as validators accept values
    candidates: dict[str, Any]  # what this message brings, before validation

    def say(self, response: str, **facts: Any) -> None:
        self.dispatcher.utter_message(response=response, **facts)

    def pick_list(self, response: str, numbers: list[str], intent: str = "inform_order_number", **facts: Any) -> None:
        """Ask the seller to choose one of several numbers, as buttons within the channels' list limits."""
        self.dispatcher.utter_message(response=response, buttons=number_buttons(numbers, intent), **facts)


def number_buttons(numbers: list[str], intent: str = "inform_order_number",
                   titles: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Buttons that answer with one number each (payload `/intent{"order_number": ...}`)."""
    return [
        {"title": (titles or {}).get(number, number)[:24],
         "payload": f"/{intent}" + json.dumps({"order_number": number}, separators=(",", ":"))}
        for number in numbers[:PICK_LIST_SIZE]
    ]


class FlowForm:
    """The validation action of one flow's form (named `validate_<form>`). A mixin: concrete forms add
    `Action` (rasa_sdk registers every concrete Action subclass, so shared bases must not be one)."""

    form_name: ClassVar[str]
    # Intents that start this flow: their entities pre-fill the form when it starts.
    trigger_intents: ClassVar[frozenset[str]]
    # Every slot the flow owns, in asking order, with how its answer is read.
    slot_kinds: ClassVar[dict[str, SlotKind]]
    # For CHOICE slots: which entity carries the value.
    choice_entities: ClassVar[dict[str, str]] = {}
    # PROOF slots where the seller's own words count as proof (a pasted complaint); elsewhere they are captions.
    prose_is_proof: ClassVar[frozenset[str]] = frozenset()
    # Where uploads go when the question asked is not about uploads (None: they are not kept).
    extra_uploads_slot: ClassVar[str | None] = None
    # Slots the flow keeps besides its questions (facts looked up on the way), reset with the flow.
    extra_slots: ClassVar[tuple[str, ...]] = ()
    # What its number question is about: an order, or a dispute (which may also be named by its order).
    number_in_play: ClassVar[str] = "order"

    def __init__(self) -> None:
        self.backend = BackendClient.from_environment()

    def name(self) -> Text:
        return f"validate_{self.form_name}"

    @classmethod
    def owned_slots(cls) -> tuple[str, ...]:
        return tuple(cls.slot_kinds) + cls.extra_slots + (
            (cls.extra_uploads_slot,) if cls.extra_uploads_slot else ()
        )

    # ------------------------------------------------------------------------------------------ the turn

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Read this turn's answers, validate them, and name the next question (or end the form)."""
        turn = Turn.of(tracker)
        current = {slot: tracker.get_slot(slot) for slot in self.owned_slots()}
        updates: dict[str, Any] = {}
        activating = self._activating(tracker)

        if tracker.get_slot(RESUME) == self.form_name:
            updates[RESUME] = None  # a paused form comes back: ask its next question again
            candidates = {}
        elif activating:
            candidates = self._start(tracker, domain, turn, current, updates)
            if ticket_waiting(tracker):  # the person who picks the ticket up sees what the seller asks now
                await refresh_waiting_ticket(self.backend, tracker)
        elif self._resuming_after_interruption(tracker):
            candidates = {}
        else:
            requested = tracker.get_slot("requested_slot")
            if self._wants_to_leave(turn, requested):
                return [SlotSet(STOP_REASON, STOPPED), SlotSet("requested_slot", None)]
            candidates = self._extract(requested, turn, current)
            if not candidates and turn.intent in NOT_AN_ANSWER and requested:
                # "ok", a stray word or a file where words are needed: say so and ask again (no rule is needed)
                if turn.files_not_stored:  # our failure, not the seller's: say so, ask again, count nothing
                    dispatcher.utter_message(response=turn.not_stored_response(), filename=turn.files_not_stored[0])
                    return [SlotSet(requested, None), SlotSet("requested_slot", requested)]
                dispatcher.utter_message(
                    response="utter_file_not_needed_here" if turn.intent == "share_evidence"
                    else "utter_flow_not_understood")
                return self._counted(tracker, dispatcher, {requested: None}, requested, activating=False)
            if not candidates:
                return []  # a question on the side or another request: Rasa rejects the form, the rules take over

        seller_id = verified_seller(tracker)
        if seller_id is None:
            dispatcher.utter_message(response="utter_identity_required")
            return [SlotSet(STOP_REASON, IDENTITY), SlotSet("requested_slot", None)]

        ctx = Context(dispatcher, tracker, domain, seller_id, self.backend, turn, {**current, **updates}, candidates)
        for slot in self.owned_slots():
            if slot not in candidates or ctx.values.get(STOP_REASON):
                continue
            result = await self.validate(slot, candidates[slot], ctx)
            updates.update(result)
            ctx.values.update(result)

        if ctx.values.get(STOP_REASON) and STOP_REASON not in updates:
            updates[STOP_REASON] = ctx.values[STOP_REASON]  # set by a number check (backend down)
        next_slot = None
        if not ctx.values.get(STOP_REASON):
            next_slot = next((s for s in self.required_slots(ctx.values) if ctx.values.get(s) is None), None)
        return self._counted(tracker, dispatcher, updates, next_slot, activating)

    @staticmethod
    def _counted(tracker: Tracker, dispatcher: CollectingDispatcher, updates: dict[str, Any],
                 next_slot: str | None, activating: bool) -> list[EventType]:
        """The turn's slot events, counting answers Alex could not use; the second in a row ends the form."""
        rejected = any(m.get("response") in _REJECTIONS or str(m.get("response") or "").endswith("_invalid")
                       for m in dispatcher.messages)
        before = 0 if activating else int(tracker.get_slot(FAILURES) or 0)
        failures = before + 1 if rejected else 0
        if failures >= FAILURES_BEFORE_A_PERSON:
            updates = {**updates, STOP_REASON: FAILED}
            next_slot = None
        if failures != before or (activating and tracker.get_slot(FAILURES)):
            updates = {**updates, FAILURES: failures or None}
        return [SlotSet(slot, value) for slot, value in updates.items()] + [SlotSet("requested_slot", next_slot)]

    def _start(self, tracker: Tracker, domain: DomainDict, turn: Turn, current: dict[str, Any],
               updates: dict[str, Any]) -> dict:
        """A fresh form: forget earlier attempts and unanswered offers; take what the starting message brings."""
        for slot in (PENDING_OFFER, OFFER_PENDING):
            if tracker.get_slot(slot) is not None:
                updates[slot] = None
        for slot, value in current.items():
            if value is not None:
                updates[slot] = None
                current[slot] = None
        if tracker.get_slot(STOP_REASON) is not None:
            updates[STOP_REASON] = None
        if turn.intent not in self.trigger_intents:
            return {}
        found = self._extract_on_start(turn)
        number_slot = next((s for s, k in self.slot_kinds.items() if k in (SlotKind.NUMBER, SlotKind.NUMBERS)), None)
        if number_slot and number_slot not in found and not turn.raw_numbers:
            mentioned = self._number_just_mentioned(tracker, domain, turn)
            if mentioned:
                found[number_slot] = [mentioned]
        return found

    def _number_just_mentioned(self, tracker: Tracker, domain: DomainDict, turn: Turn) -> str | None:
        """The number Alex just talked about, for a request that names none: a dispute flow takes the dispute
        Alex just named ("ok, add to that one"); an order flow the order, when the seller points back at it
        ("cancel it", "open a dispute for that order")."""
        last = LastAnswer.of(tracker, domain=domain)
        if self.number_in_play == "dispute":
            return last.dispute_number or last.order_number
        return last.order_number if _POINTS_BACK.search(turn.text) else None

    def _extract_on_start(self, turn: Turn) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for slot, kind in self.slot_kinds.items():
            if kind in (SlotKind.NUMBER, SlotKind.NUMBERS) and turn.raw_numbers and slot not in found:
                found[slot] = list(turn.raw_numbers)
            elif kind is SlotKind.CHOICE and turn.entity(self.choice_entities[slot]):
                found[slot] = turn.entity(self.choice_entities[slot])
        if turn.attachments and self.extra_uploads_slot:
            found[self.extra_uploads_slot] = [self._upload(a) for a in turn.attachments]
        return found

    def _activating(self, tracker: Tracker) -> bool:
        """True while the form is being activated: Rasa marks it active (an `active_loop` event after the
        seller's latest message) before it asks the validation action about the starting message."""
        if (tracker.active_loop or {}).get("name") != self.form_name:
            return True
        for event in reversed(tracker.events or []):
            if event.get("event") == "user":
                return False
            if event.get("event") == "active_loop" and event.get("name") == self.form_name:
                return True
        return False

    @staticmethod
    def _resuming_after_interruption(tracker: Tracker) -> bool:
        """True when the form was rejected this turn and is called again after a rule answered on the side."""
        for event in reversed(tracker.events or []):
            if event.get("event") == "user":
                return False
            if event.get("event") == "action_execution_rejected":
                return True
        return False

    def _wants_to_leave(self, turn: Turn, requested: str | None) -> bool:
        if turn.attachments:  # a seller sending files is answering, whatever their caption reads like
            return False
        entity = self.choice_entities.get(requested or "")
        if entity and turn.entity(entity):  # "ok whatever, refund then" answers the question it seems to drop
            return False
        if turn.intent in ("stop", "goodbye"):
            return True
        kind = self.slot_kinds.get(requested or "")
        return turn.intent == "deny" and kind in (SlotKind.NUMBER, SlotKind.NUMBERS, SlotKind.CHOICE, SlotKind.EMAIL,
                                                  SlotKind.LINK, SlotKind.IMAGE)

    # ------------------------------------------------------------------------------------------ extraction

    def _extract(self, requested: str | None, turn: Turn, current: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        other_request = turn.intent in FLOW_INTENTS - self.trigger_intents
        # Another request counts as an answer only when it is (nearly) just a number: "cancel CJ..." while Alex
        # asks which order to check is a new request, "CJ... pls" is an answer whatever NLU made of it.
        on_the_side = turn.is_question_on_the_side() or (other_request and turn.words_besides_numbers_and_links() > 0)
        kind = self.slot_kinds.get(requested or "")
        corrections = self._corrections(requested, turn, current, kind)
        if corrections and kind in (SlotKind.TEXT, SlotKind.PROOF):
            # "actually a resend instead" while Alex waits for free text is a correction; files sent with it
            # still answer the question
            if kind is SlotKind.PROOF and (turn.attachments or turn.urls):
                return {requested: self._proof_items(turn, with_prose=False), **corrections}
            return corrections

        if kind in (SlotKind.NUMBER, SlotKind.NUMBERS):
            if turn.raw_numbers and not on_the_side:
                found[requested] = list(turn.raw_numbers)
        elif kind is SlotKind.CHOICE:
            value = turn.entity(self.choice_entities[requested])
            # The option asked for answers it ("resend the 2 plates" reads like a request, and isn't one), unless
            # it is asked about ("refund or resend, what's the difference?") or names another order.
            if value and not turn.is_question_on_the_side() and not (other_request and turn.raw_numbers):
                found[requested] = value
            elif turn.text and not on_the_side and not other_request and turn.intent not in ("affirm", "deny"):
                found[requested] = {"unrecognised": turn.text}
            elif other_request and not turn.raw_numbers and self.choice_in_words(requested, turn.text):
                found[requested] = self.choice_in_words(requested, turn.text)  # "send the correct mat"
        elif kind is SlotKind.CONFIRM:
            if turn.intent in YES_OR_NO:
                found[requested] = YES_OR_NO[turn.intent]
            elif _GO_AHEAD.match(turn.text):  # "submit it", "ok send": a yes in the words of the question
                found[requested] = True
        elif kind is SlotKind.EMAIL:
            if turn.emails:
                found[requested] = turn.emails[0]
            elif turn.text and not on_the_side and not other_request:
                found[requested] = {"unrecognised": turn.text}
        elif kind is SlotKind.LINK:
            if turn.links_or_domains():
                found[requested] = turn.links_or_domains()[0]
            elif turn.text and not on_the_side and not other_request:
                found[requested] = {"unrecognised": turn.text}
        elif kind is SlotKind.IMAGE:
            images = [a for a in turn.attachments if str(a.get("content_type", "")).startswith("image/")]
            if images:
                found[requested] = self._upload(images[0])
            elif turn.urls:
                found[requested] = {"kind": "link", "url": turn.urls[0]}
            elif (turn.attachments or turn.text) and not on_the_side and not other_request:
                found[requested] = {"unrecognised": turn.text}
        elif kind is SlotKind.PROOF:
            words_count = requested in self.prose_is_proof
            # A pasted complaint reads like a request ("please cancel, I ordered by mistake"): it is another
            # request only if it names a number or is short.
            pasted = turn.prose() and not turn.is_question_on_the_side() and turn.intent != "deny" and not (
                other_request and (turn.raw_numbers or len(turn.text.split()) <= 4))
            if turn.attachments or turn.urls or (words_count and pasted):
                found[requested] = self._proof_items(turn, with_prose=words_count)
            elif turn.text and not on_the_side and not other_request:
                found[requested] = {"unrecognised": turn.text}
        elif kind is SlotKind.TEXT:
            if turn.text and not turn.is_question_on_the_side() and not (
                    other_request and (turn.raw_numbers or len(turn.text.split()) <= 4)):
                found[requested] = turn.text

        if turn.attachments and self.extra_uploads_slot and kind not in (SlotKind.PROOF, SlotKind.IMAGE):
            kept = list(current.get(self.extra_uploads_slot) or [])
            found[self.extra_uploads_slot] = kept + [self._upload(a) for a in turn.attachments]

        if corrections and isinstance(found.get(requested or ""), dict) and "unrecognised" in found[requested or ""]:
            del found[requested or ""]  # "wait, make it a resend" while the email is asked: a change, not an answer
        found.update(corrections)
        numbered = kind in (SlotKind.NUMBER, SlotKind.NUMBERS)
        if turn.intent == "inform_order_number" and turn.raw_numbers and not numbered:
            main = next((s for s, k in self.slot_kinds.items() if k is SlotKind.NUMBER), None)
            if main and current.get(main) is not None:
                found[main] = list(turn.raw_numbers)  # "sorry, it's CJ..." corrects the order
        return found

    def _corrections(self, requested: str | None, turn: Turn, current: dict[str, Any],
                     kind: SlotKind | None) -> dict[str, Any]:
        """Earlier answers changed in passing ("actually a resend instead", "make it original way"). While
        free text is asked for, only a short message counts: a long one is the text, whatever words it uses."""
        if turn.is_question_on_the_side() or turn.intent in FLOW_INTENTS - self.trigger_intents - {"agree_resend"}:
            return {}
        if kind in (SlotKind.TEXT, SlotKind.PROOF) and len(turn.text.split()) > 8 and not _CORRECTING.search(turn.text):
            return {}
        return {slot: turn.entity(entity) for slot, entity in self.choice_entities.items()
                if slot != requested and turn.entity(entity) and current.get(slot) not in (None, turn.entity(entity))}

    @staticmethod
    def _upload(attachment: dict[str, Any]) -> dict[str, Any]:
        return {"kind": "file", "evidence_id": attachment["evidence_id"],
                "content_type": attachment.get("content_type"), "filename": attachment.get("filename")}

    def _proof_items(self, turn: Turn, with_prose: bool) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = [self._upload(a) for a in turn.attachments]
        items += [{"kind": "link", "url": url} for url in turn.urls]
        if with_prose and len(turn.prose()) >= 10:
            items.append({"kind": "note", "text": turn.prose()})
        return items

    # ------------------------------------------------------------------------------------------ validation

    def choice_in_words(self, slot: str, text: str) -> str | None:
        """A choice told in the seller's own words, for a message that otherwise reads like another request
        (override for choices that have such words)."""
        return None

    def required_slots(self, values: dict[str, Any]) -> list[str]:
        """The questions this flow asks, given the answers so far (override for conditional questions)."""
        return list(self.slot_kinds)

    async def validate(self, slot: str, value: Any, ctx: Context) -> dict[str, Any]:
        """Check one answer; return the slot updates (None re-asks). Calls `validate_<slot>` when defined."""
        custom = getattr(self, f"validate_{slot}", None)
        if custom is not None:
            return await custom(value, ctx)
        kind = self.slot_kinds.get(slot)
        if isinstance(value, dict) and "unrecognised" in value and kind is not SlotKind.IMAGE:
            ctx.say(f"utter_{self.form_name}_{slot}_invalid")
            return {slot: None}
        return {slot: value}

    # ------------------------------------------------------------------------------------------ numbers

    async def verified_order(self, value: Any, slot: str, ctx: Context) -> Order | None:
        """The one order the seller means, checked against the backend; None after telling them why not
        (and after marking the flow stopped, if the backend is down)."""
        number = self._one_number(value, slot, ctx, "utter_pick_order")
        if number is None:
            return None
        if not is_order_number(number):
            ctx.say("utter_order_number_expected", order_number=number)
            return None
        try:
            return await ctx.backend.order(ctx.seller_id, number)
        except (NotFound, Rejected):
            ctx.say("utter_order_not_found", order_number=number)
        except BackendUnavailable:
            ctx.values[STOP_REASON] = UNAVAILABLE
        return None

    async def verified_dispute(self, value: Any, slot: str, ctx: Context, wanted: str = "active") -> Dispute | None:
        """The one dispute the seller means: a dispute number, or an order number whose disputes decide it
        (`wanted`: "active" for the open ones, "any" for all)."""
        number = self._one_number(value, slot, ctx, "utter_pick_dispute")
        if number is None:
            return None
        try:
            if is_dispute_number(number):
                return await ctx.backend.dispute(ctx.seller_id, number)
            order = await ctx.backend.order(ctx.seller_id, number)
        except (NotFound, Rejected):
            ctx.say("utter_order_not_found", order_number=number)
            return None
        except BackendUnavailable:
            ctx.values[STOP_REASON] = UNAVAILABLE
            return None
        candidates = list(order.active_disputes if wanted == "active" else order.disputes)
        if not candidates:
            ctx.say("utter_order_has_no_open_dispute" if wanted == "active" else "utter_order_has_no_dispute",
                    order_number=order.number)
            return None
        if len(candidates) > 1:
            ctx.pick_list("utter_pick_dispute", [d.number for d in candidates])
            return None
        try:
            return await ctx.backend.dispute(ctx.seller_id, candidates[0].number)
        except (NotFound, Rejected):
            ctx.say("utter_order_not_found", order_number=candidates[0].number)
        except BackendUnavailable:
            ctx.values[STOP_REASON] = UNAVAILABLE
        return None

    @staticmethod
    def _one_number(value: Any, slot: str, ctx: Context, pick_response: str) -> str | None:
        numbers = well_formed_numbers(value, ctx)
        if len(numbers) > 1:
            ctx.pick_list(pick_response, numbers)
            return None
        return numbers[0] if numbers else None


def well_formed_numbers(value: Any, ctx: Context) -> list[str]:
    """Every well-formed number in an answer, canonical and once each; malformed ones are explained and dropped."""
    numbers: list[str] = []
    for raw in value if isinstance(value, list) else [value]:
        try:
            number = canonical(str(raw))
        except MalformedNumber:
            ctx.say("utter_malformed_number", raw_number=str(raw)[:40])
            continue
        if number not in numbers:
            numbers.append(number)
    return numbers


def order_facts(order: Order) -> dict[str, Any]:
    """What a flow remembers about its order between turns (for summaries and conditional questions)."""
    dispute = order.can_dispute
    return {
        "number": order.number, "status": order.status, "kind": order.kind, "amount": order.amount,
        "currency": order.currency, "processing": order.processing, "dispatched_at": order.dispatched_at,
        "expected_results": list(dispute.details.get("expected_results") or ["refund", "resend"]),
        "proof": dict(dispute.details.get("proof") or {}),
        "active_disputes": [d.number for d in order.active_disputes],
        "cancel_allowed": order.can_cancel.allowed, "cancel_reason": order.can_cancel.reason,
        "dispute_allowed": dispute.allowed, "dispute_reason": dispute.reason,
        "return_allowed": order.can_return.allowed, "return_reason": order.can_return.reason,
    }


def dispute_facts(dispute: Dispute) -> dict[str, Any]:
    return {
        "number": dispute.number, "order_number": dispute.order_number, "status": dispute.status,
        "expected_result": dispute.expected_result, "reason": dispute.reason,
        "resend": dispute.resend.details if dispute.resend else None,
    }


class AskWithPickList:
    """Asks for a number, offering the seller's recent orders or disputes that the flow can act on as a pick-list
    (`utter_ask_<form>_<slot>_pick` plus buttons), or the plain question when there are none or the backend is
    unreachable (a mixin: concrete asks add `Action`)."""

    form_name = ""
    slot = ""

    def __init__(self) -> None:
        self.backend = BackendClient.from_environment()

    def name(self) -> Text:
        return f"action_ask_{self.form_name}_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        numbers: list[str] = []
        seller_id = verified_seller(tracker)
        if seller_id is not None:
            try:
                numbers = (await self.candidates(seller_id))[:5]
            except (BackendUnavailable, NotFound, Rejected):
                numbers = []  # the question still works without the list
        if numbers:
            dispatcher.utter_message(response=f"utter_ask_{self.form_name}_{self.slot}_pick",
                                     buttons=number_buttons(numbers))
        else:
            dispatcher.utter_message(response=f"utter_ask_{self.form_name}_{self.slot}")
        return []

    async def candidates(self, seller_id: str) -> list[str]:
        """The numbers to offer, most recent first."""
        raise NotImplementedError


class NumberLookup:
    """Answers for each number a lookup form collected (at most MAX_LOOKUPS): an unknown one, or another
    seller's, is told "not found"; an unreachable backend ends the answers and offers a person (a mixin)."""

    slot = ""
    MAX_LOOKUPS = 5  # answers per message; more would flood the chat

    def __init__(self) -> None:
        self.backend = BackendClient.from_environment()

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SlotSet(self.slot, None)]
        if tracker.get_slot(STOP_REASON) is not None:
            return events + [SlotSet(STOP_REASON, None)] + await ended_early(self.backend, dispatcher, tracker)
        seller_id = verified_seller(tracker)
        if seller_id is None:
            dispatcher.utter_message(response="utter_identity_required")
            return events
        for number in list(tracker.get_slot(self.slot) or [])[: self.MAX_LOOKUPS]:
            try:
                await self.tell(dispatcher, domain, seller_id, number)
            except (NotFound, Rejected):
                dispatcher.utter_message(response="utter_order_not_found", order_number=number)
            except BackendUnavailable:
                return events + backend_failure(dispatcher)
        return events

    async def tell(self, dispatcher: CollectingDispatcher, domain: DomainDict, seller_id: str, number: str) -> None:
        raise NotImplementedError


class FlowSubmit:
    """The action that ends a flow: it says why the flow stopped, or does the flow's work; then forgets it."""

    form: ClassVar[type[FlowForm]]

    def __init__(self) -> None:
        self.backend = BackendClient.from_environment()

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reason = tracker.get_slot(STOP_REASON)
        events: list[EventType] = []
        if reason in (STOPPED, UNAVAILABLE, FAILED):
            events = await ended_early(self.backend, dispatcher, tracker)
        elif reason is None:
            seller_id = verified_seller(tracker)
            if seller_id is None:
                dispatcher.utter_message(response="utter_identity_required")
            else:
                events = await self.submit(dispatcher, tracker, domain, seller_id)
        return self.forget(tracker) + events

    async def submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, seller_id: str
    ) -> list[EventType]:
        raise NotImplementedError

    def forget(self, tracker: Tracker) -> list[EventType]:
        """Reset the flow's slots so the next flow starts clean."""
        return [SlotSet(slot, None) for slot in self.form.owned_slots() + (STOP_REASON, FAILURES)
                if tracker.get_slot(slot) is not None]


async def ended_early(backend: BackendClient, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """What a flow says when its form ended before the work: stopped, the backend down, or failed twice (a
    person takes over). Ineligible orders were explained while the form ran."""
    reason = tracker.get_slot(STOP_REASON)
    if reason == STOPPED:
        dispatcher.utter_message(response="utter_flow_stopped")
    elif reason == UNAVAILABLE:
        return backend_failure(dispatcher)
    elif reason == FAILED:
        dispatcher.utter_message(response="utter_flow_failed_twice")
        return [SlotSet(FAILURES, None)] + await open_ticket(backend, dispatcher, tracker, "form_failed")
    return []


def backend_failure(dispatcher: CollectingDispatcher, reason: str = "backend_failure") -> list[EventType]:
    """Say the order system is unreachable and offer a person (the offer is answered by yes/no)."""
    dispatcher.utter_message(response="utter_backend_unavailable")
    return offer(dispatcher, {"kind": "human", "reason": reason}, "utter_offer_human")


def offer(dispatcher: CollectingDispatcher, pending: dict[str, Any], response: str, **facts: Any) -> list[EventType]:
    """Ask a yes/no question about something Alex can do next; the rules send the answer to
    `action_accept_offer` or `action_decline_offer` while `offer_pending` is set."""
    dispatcher.utter_message(response=response, **facts)
    return [SlotSet(PENDING_OFFER, pending), SlotSet(OFFER_PENDING, True)]


def clear_offer(tracker: Tracker) -> list[EventType]:
    """Forget an offer the seller did not answer (a new flow or request makes it stale)."""
    return [SlotSet(s, None) for s in (PENDING_OFFER, OFFER_PENDING) if tracker.get_slot(s) is not None]


def stop_form_events() -> list[EventType]:
    return [ActiveLoop(None), SlotSet("requested_slot", None)]

