"""Disputes: open one (seeds 001 §12, 002 §1), follow it (status, outcome, refund or resend, the latest word from
CJ), agree to a proposed resend (seed 002 §5), add a message, and close it (seed 002 §6: processing resumes).

Which results, reasons and proof an order allows comes from the backend's eligibility (`order_facts`), so the
bot asks for exactly what the platform's rules need and never re-implements them.
"""

from __future__ import annotations

import re
from typing import Any, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, Dispute, NotFound, Rejected
from actions.conversation import day, excerpt, idempotency_key, is_dispute_number, label
from actions.forms import (
    DISPUTE_FACTS,
    INELIGIBLE,
    ORDER_FACTS,
    RESUME,
    STOP_REASON,
    Context,
    FlowForm,
    FlowSubmit,
    AskWithPickList,
    NumberLookup,
    SlotKind,
    backend_failure,
    dispute_facts,
    offer,
    order_facts,
    well_formed_numbers,
)
from actions.orders import AskForOrder, ValidateOrderStatusForm
from actions.refunds import tell_refund

EXPECTED_RESULTS = ("refund", "resend")
REFUND_TYPES = ("balance", "original")
REASONS_BEFORE_DISPATCH = ("cancel_before_dispatch", "destination_limitation", "shipping_method_limitation")
REASONS_AFTER_DISPATCH = ("delayed_order", "lost_package", "damaged_product", "wrong_product", "missing_product",
                          "destination_limitation", "shipping_method_limitation")
# Used only if the backend sends no proof table: seed 002 §1c (buyer email and complaint screenshots for store
# orders), seeds 000 §2.3 / 001 §12 (photos or videos of damaged or wrong products).
_FALLBACK_PROOF = {"damaged_product": ["buyer_email", "buyer_complaint", "product_media"],
                   "wrong_product": ["buyer_email", "buyer_complaint", "product_media"]}
_DEFAULT_PROOF = ["buyer_email", "buyer_complaint"]
_SELLER_MAY_CLOSE = ("open", "resend_proposed")


# Words that say which result a seller wants when they don't name it ("send her the right one", "she wants her
# money"): strong words count twice, and a tie means the answer is unclear.
_RESULT_WORDS = {
    "resend": {"resend": 2, "replacement": 2, "replace": 2, "reship": 2, "new": 2, "another": 2, "exchange": 2,
               "correct": 2, "right": 1, "send": 1, "ship": 1, "again": 1},
    "refund": {"refund": 2, "money": 2, "cash": 2, "credit": 2, "wallet": 2, "balance": 2, "reimburse": 2,
               "repay": 2, "back": 1, "pay": 1, "paid": 1},
}


def expected_result_in_words(text: str) -> str | None:
    """Refund or resend from a seller's own words, or None when the words don't decide it."""
    words = re.findall(r"[a-z]+", text.lower())
    scores = {result: sum(weights.get(word, 0) for word in words) for result, weights in _RESULT_WORDS.items()}
    best = max(scores, key=lambda result: scores[result])
    return best if scores[best] > 0 and scores[best] > min(scores.values()) else None


def allowed_reasons(facts: dict[str, Any]) -> tuple[str, ...]:
    return REASONS_BEFORE_DISPATCH if facts.get("status") == "paid" else REASONS_AFTER_DISPATCH


def proof_needed(facts: dict[str, Any], reason: str | None) -> list[str]:
    if not reason:
        return []
    table = facts.get("proof") or {}
    if reason in table:
        return list(table[reason])
    return _FALLBACK_PROOF.get(reason, _DEFAULT_PROOF)


# ------------------------------------------------------------------------------------------ open a dispute


class ValidateOpenDisputeForm(FlowForm, Action):
    """Order, expected result, reason, refund type, the proof the reason needs, a message, then a yes."""

    form_name = "open_dispute_form"
    trigger_intents = frozenset({"request_open_dispute", "ask_open_dispute"})
    slot_kinds = {
        "dispute_order": SlotKind.NUMBER,
        "expected_result": SlotKind.CHOICE,
        "dispute_reason": SlotKind.CHOICE,
        "refund_type": SlotKind.CHOICE,
        "buyer_email": SlotKind.EMAIL,
        "complaint_proof": SlotKind.PROOF,
        "product_proof": SlotKind.PROOF,
        "dispute_message": SlotKind.TEXT,
        "dispute_confirmed": SlotKind.CONFIRM,
    }
    choice_entities = {"expected_result": "expected_result", "dispute_reason": "dispute_reason",
                       "refund_type": "refund_type"}
    extra_uploads_slot = "extra_evidence"
    extra_slots = (ORDER_FACTS,)
    prose_is_proof = frozenset({"complaint_proof"})

    def required_slots(self, values: dict[str, Any]) -> list[str]:
        facts = values.get(ORDER_FACTS)
        if not facts:
            return ["dispute_order"]
        slots = ["dispute_order", "expected_result", "dispute_reason"]
        if values.get("expected_result") == "refund":
            slots.append("refund_type")
        needed = proof_needed(facts, values.get("dispute_reason"))
        slots += [slot for need, slot in (("buyer_email", "buyer_email"), ("buyer_complaint", "complaint_proof"),
                                          ("product_media", "product_proof")) if need in needed]
        return slots + ["dispute_message", "dispute_confirmed"]

    async def validate_dispute_order(self, value: Any, ctx: Context) -> dict[str, Any]:
        order = await self.verified_order(value, "dispute_order", ctx)
        if order is None:
            return {"dispute_order": None, ORDER_FACTS: None}
        verdict = order.can_dispute
        if not verdict.allowed:
            open_ones = verdict.details.get("dispute_numbers") or [d.number for d in order.active_disputes]
            ctx.say(_NOT_DISPUTABLE.get(verdict.reason or "", "utter_dispute_order_not_disputable"),
                    order_number=order.number, dispute_number=(open_ones or [""])[0])
            if open_ones:  # where that dispute stands is what the seller needs next
                try:
                    tell_dispute(ctx.dispatcher, ctx.domain, await ctx.backend.dispute(ctx.seller_id, open_ones[0]))
                except (BackendUnavailable, NotFound, Rejected):
                    pass  # the refusal itself stands; its status can be asked for
            return {"dispute_order": order.number, STOP_REASON: INELIGIBLE}
        facts = order_facts(order)
        updates: dict[str, Any] = {"dispute_order": order.number, ORDER_FACTS: facts, "dispute_confirmed": None}
        wanted = ctx.candidates.get("expected_result") or ctx.values.get("expected_result")
        if facts["expected_results"] == ["refund"]:  # paid, not dispatched: nothing could be resent
            if wanted not in (None, "refund"):
                ctx.say("utter_dispute_refund_only", order_number=order.number)
            updates["expected_result"] = "refund"
            ctx.candidates.pop("expected_result", None)
        if ctx.values.get("dispute_reason") not in (None, *allowed_reasons(facts)):
            updates["dispute_reason"] = None
        return updates

    def choice_in_words(self, slot: str, text: str) -> str | None:
        return expected_result_in_words(text) if slot == "expected_result" else None

    async def validate_expected_result(self, value: Any, ctx: Context) -> dict[str, Any]:
        facts = ctx.values.get(ORDER_FACTS) or {}
        if isinstance(value, dict) and "unrecognised" in value:
            value = expected_result_in_words(str(value["unrecognised"]))
        if value not in EXPECTED_RESULTS:
            ctx.say("utter_open_dispute_form_expected_result_invalid")
            return {"expected_result": None}
        if value not in facts.get("expected_results", EXPECTED_RESULTS):
            ctx.say("utter_dispute_refund_only", order_number=facts.get("number", ""))
            value = "refund"
        updates: dict[str, Any] = {"expected_result": value}
        previous = ctx.tracker.get_slot("expected_result")
        if previous and previous != value:
            ctx.say("utter_flow_answer_changed", choice=label(ctx.domain, "expected_result", value))
            updates["dispute_confirmed"] = None
        if value == "resend":
            updates["refund_type"] = None
        return updates

    async def validate_dispute_reason(self, value: Any, ctx: Context) -> dict[str, Any]:
        facts = ctx.values.get(ORDER_FACTS) or {}
        reasons = allowed_reasons(facts)
        if value == "delayed_order" and "cancel_before_dispatch" in reasons:
            value = "cancel_before_dispatch"  # "taking too long" before dispatch: the buyer is cancelling
        if value not in reasons:
            if isinstance(value, str):
                ctx.say("utter_dispute_reason_not_for_order", reason=label(ctx.domain, "dispute_reason", value),
                        order_number=facts.get("number", ""))
            else:
                ctx.say("utter_open_dispute_form_dispute_reason_invalid")
            return {"dispute_reason": None}
        updates: dict[str, Any] = {"dispute_reason": value}
        previous = ctx.tracker.get_slot("dispute_reason")
        if previous and previous != value:
            ctx.say("utter_flow_answer_changed", choice=label(ctx.domain, "dispute_reason", value))
            updates["dispute_confirmed"] = None
        return updates

    async def validate_refund_type(self, value: Any, ctx: Context) -> dict[str, Any]:
        if value not in REFUND_TYPES:
            ctx.say("utter_open_dispute_form_refund_type_invalid")
            return {"refund_type": None}
        updates: dict[str, Any] = {"refund_type": value}
        previous = ctx.tracker.get_slot("refund_type")
        if previous and previous != value:
            ctx.say("utter_flow_answer_changed", choice=label(ctx.domain, "refund_type", value))
            updates["dispute_confirmed"] = None
        if ctx.values.get("expected_result") != "refund" and ctx.tracker.get_slot("requested_slot") != "refund_type":
            # "back in balance, please" can only mean a refund
            updates["expected_result"] = "refund"
        return updates

    async def validate_buyer_email(self, value: Any, ctx: Context) -> dict[str, Any]:
        if not isinstance(value, str):
            ctx.say("utter_open_dispute_form_buyer_email_invalid")
            return {"buyer_email": None}
        return {"buyer_email": value, "dispute_confirmed": None}

    async def validate_complaint_proof(self, value: Any, ctx: Context) -> dict[str, Any]:
        items = value if isinstance(value, list) else []
        if not any(i["kind"] != "note" or len(i.get("text", "")) >= 10 for i in items):
            ctx.say("utter_open_dispute_form_complaint_proof_invalid")
            return {"complaint_proof": None}
        return {"complaint_proof": items}

    async def validate_product_proof(self, value: Any, ctx: Context) -> dict[str, Any]:
        items = value if isinstance(value, list) else []
        shows = [i for i in items if i["kind"] == "link" or str(i.get("content_type") or "").startswith(
            ("image/", "video/"))]
        if not shows:
            ctx.say("utter_open_dispute_form_product_proof_invalid")
            return {"product_proof": None}
        return {"product_proof": items}

    async def validate_dispute_message(self, value: Any, ctx: Context) -> dict[str, Any]:
        if not isinstance(value, str) or len(value.strip()) < 10:
            ctx.say("utter_open_dispute_form_dispute_message_invalid")
            return {"dispute_message": None}
        return {"dispute_message": value.strip()[:4000]}

    async def validate_extra_evidence(self, value: Any, ctx: Context) -> dict[str, Any]:
        ctx.say("utter_evidence_kept")
        return {"extra_evidence": value}


_NOT_DISPUTABLE = {
    "unpaid": "utter_dispute_order_unpaid",
    "closed": "utter_dispute_order_closed",
    "cancelled": "utter_dispute_order_cancelled",
    "dispute_already_open": "utter_dispute_already_open",
}


class AskDisputeOrder(AskForOrder, Action):
    """Which order the dispute is for: recent orders the backend says can be disputed."""

    form_name, slot, eligible_for = "open_dispute_form", "dispute_order", "dispute"


class AskDisputeReason(Action):
    """Offers the reasons this order allows (before dispatch: cancelling or a limitation; after: the rest)."""

    def name(self) -> Text:
        return "action_ask_open_dispute_form_dispute_reason"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        facts = tracker.get_slot(ORDER_FACTS) or {}
        dispatcher.utter_message(response="utter_ask_dispute_reason_before_dispatch" if facts.get("status") == "paid"
                                 else "utter_ask_dispute_reason_after_dispatch")
        return []


class AskDisputeConfirmation(Action):
    """Shows what will be opened and asks for an explicit yes."""

    def name(self) -> Text:
        return "action_ask_open_dispute_form_dispute_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        proof = sum(len(tracker.get_slot(s) or []) for s in ("complaint_proof", "product_proof", "extra_evidence"))
        refund = tracker.get_slot("expected_result") == "refund"
        dispatcher.utter_message(
            response="utter_ask_dispute_confirmed_refund" if refund else "utter_ask_dispute_confirmed_resend",
            order_number=tracker.get_slot("dispute_order"),
            reason=label(domain, "dispute_reason", tracker.get_slot("dispute_reason")),
            refund_type=label(domain, "refund_type", tracker.get_slot("refund_type")),
            buyer_email=tracker.get_slot("buyer_email") or label(domain, "misc", "not_needed"),
            proof_count=proof,
            message=excerpt(tracker.get_slot("dispute_message") or "", 100),
        )
        return []


def _media_of(url: str) -> str:
    path = url.lower().split("?")[0]
    if path.endswith((".jpg", ".jpeg", ".png", ".gif", ".webp")):
        return "image"
    if path.endswith((".mp4", ".mov", ".webm")):
        return "video"
    if path.endswith(".pdf"):
        return "document"
    return "page"


class ActionOpenDispute(FlowSubmit, Action):
    """Opens the dispute after the seller's yes: proof first (links and notes become evidence), then exactly
    one dispute, both under idempotency keys derived from the confirming message."""

    form = ValidateOpenDisputeForm

    def name(self) -> Text:
        return "action_open_dispute"

    async def submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, seller_id: str
    ) -> list[EventType]:
        number = tracker.get_slot("dispute_order")
        if not number:
            return []
        if tracker.get_slot("dispute_confirmed") is not True:
            dispatcher.utter_message(response="utter_dispute_not_opened")
            return []
        try:
            evidence_ids = await self._evidence(tracker, seller_id)
            request = {
                "order_number": number,
                "expected_result": tracker.get_slot("expected_result"),
                "reason": tracker.get_slot("dispute_reason"),
                "message": tracker.get_slot("dispute_message"),
                "evidence_ids": evidence_ids,
            }
            if tracker.get_slot("expected_result") == "refund":
                request["refund_type"] = tracker.get_slot("refund_type")
            if tracker.get_slot("buyer_email"):
                request["buyer_email"] = tracker.get_slot("buyer_email")
            dispute = await self.backend.open_dispute(seller_id, request, idempotency_key(tracker, f"dispute:{number}"))
        except BackendUnavailable:
            return backend_failure(dispatcher)
        except NotFound:
            dispatcher.utter_message(response="utter_order_not_found", order_number=number)
            return []
        except Rejected as refusal:
            return self._refused(dispatcher, tracker, domain, number, refusal)
        dispatcher.utter_message(response="utter_dispute_opened", dispute_number=dispute.number, order_number=number)
        return []

    async def _evidence(self, tracker: Tracker, seller_id: str) -> list[str]:
        """Evidence ids for every piece of proof; links and the seller's words are stored as evidence first."""
        ids: list[str] = []
        pieces = [("buyer_complaint", item) for item in tracker.get_slot("complaint_proof") or []]
        pieces += [("product_media", item) for item in tracker.get_slot("product_proof") or []]
        pieces += [("other", item) for item in tracker.get_slot("extra_evidence") or []]
        for index, (purpose, item) in enumerate(pieces):
            key = idempotency_key(tracker, f"evidence:{index}:{purpose}")
            if item["kind"] == "file":
                if purpose != "other":  # the channel uploaded it before anyone knew what it proves
                    await self.backend.set_evidence_purpose(seller_id, item["evidence_id"], purpose, key)
                ids.append(item["evidence_id"])
            elif item["kind"] == "link":
                ids.append((await self.backend.add_link_evidence(
                    seller_id, item["url"], _media_of(item["url"]), purpose, key)).id)
            else:
                ids.append((await self.backend.add_note_evidence(seller_id, item["text"], purpose, key)).id)
        return list(dict.fromkeys(ids))

    def _refused(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, number: str,
                 refusal: Rejected) -> list[EventType]:
        details = refusal.details
        if refusal.code == "dispute_already_open":
            dispatcher.utter_message(response="utter_dispute_already_open", order_number=number,
                                     dispute_number=(details.get("dispute_numbers") or [""])[0])
            return []
        if refusal.code == "order_not_disputable":
            dispatcher.utter_message(
                response=_NOT_DISPUTABLE.get(details.get("reason", ""), "utter_dispute_order_not_disputable"),
                order_number=number)
            return []
        if refusal.code == "proof_required":
            # Ask for what is missing, keep every other answer, and confirm again.
            missing = [m for m in details.get("missing") or [] if m in _PROOF_SLOTS]
            dispatcher.utter_message(response="utter_dispute_needs_proof", missing=", ".join(
                label(domain, "proof", m) for m in missing))
            kept = [SlotSet(slot, tracker.get_slot(slot)) for slot in ValidateOpenDisputeForm.owned_slots()
                    if slot not in {_PROOF_SLOTS[m] for m in missing} | {"dispute_confirmed"}
                    and tracker.get_slot(slot) is not None]
            return kept + [SlotSet(RESUME, "open_dispute_form"), ActiveLoop("open_dispute_form")]
        dispatcher.utter_message(response="utter_dispute_could_not_open", order_number=number)
        return offer(dispatcher, {"kind": "human", "reason": "form_failed"}, "utter_offer_human")


_PROOF_SLOTS = {"buyer_email": "buyer_email", "buyer_complaint": "complaint_proof", "product_media": "product_proof"}


# ------------------------------------------------------------------------------------------ dispute status


class ValidateDisputeStatusForm(ValidateOrderStatusForm):
    """Collects the dispute (or order) number(s) whose disputes to show."""

    number_in_play = "dispute"
    form_name = "dispute_status_form"
    trigger_intents = frozenset({"check_dispute_status"})
    slot_kinds = {"status_disputes": SlotKind.NUMBERS}

    async def validate_status_disputes(self, value: Any, ctx: Context) -> dict[str, Any]:
        return {"status_disputes": well_formed_numbers(value, ctx) or None}


class AskForDispute(AskWithPickList):
    """Asks which dispute, offering the seller's recent disputes in the states the flow can act on."""

    statuses: tuple[str, ...] = ()  # empty: any

    only_active = False  # ask the backend for active disputes only

    async def candidates(self, seller_id: str) -> list[str]:
        disputes = await self.backend.disputes(seller_id, active=True if self.only_active else None, limit=20)
        return [d.number for d in disputes if not self.statuses or d.status in self.statuses]


class AskDisputeToCheck(AskForDispute, Action):
    form_name = "dispute_status_form"
    slot = "status_disputes"


class ActionDisputeStatus(NumberLookup, Action):
    """Tells each dispute's state: outcome, refund or resend details, a proposal to agree to, CJ's latest word;
    for an order number, the order's (three latest) disputes."""

    slot = "status_disputes"

    def name(self) -> Text:
        return "action_dispute_status"

    async def tell(self, dispatcher: CollectingDispatcher, domain: DomainDict, seller_id: str, number: str) -> None:
        if is_dispute_number(number):
            tell_dispute(dispatcher, domain, await self.backend.dispute(seller_id, number))
            return
        order = await self.backend.order(seller_id, number)
        if not order.disputes:
            dispatcher.utter_message(response="utter_order_has_no_dispute", order_number=order.number)
        for summary in order.disputes[-3:]:
            tell_dispute(dispatcher, domain, await self.backend.dispute(seller_id, summary.number))


_DISPUTE_STATUS_RESPONSES = {
    "open": "utter_dispute_status_open",
    "resend_proposed": "utter_dispute_status_resend_proposed",
    "resend_agreed": "utter_dispute_status_resend_agreed",
    "resent": "utter_dispute_status_resent",
    "rejected": "utter_dispute_status_rejected",
    "cancelled": "utter_dispute_status_cancelled",
}


def tell_dispute(dispatcher: CollectingDispatcher, domain: DomainDict, dispute: Dispute) -> None:
    """One dispute's state from the backend's facts."""
    if dispute.status == "refunded" and dispute.refund is not None:
        tell_refund(dispatcher, dispute)
    else:
        resend = dispute.resend
        dispatcher.utter_message(
            response=_DISPUTE_STATUS_RESPONSES.get(dispute.status, "utter_dispute_status_open"),
            dispute_number=dispute.number, order_number=dispute.order_number,
            expected_result=label(domain, "expected_result", dispute.expected_result),
            reason=label(domain, "dispute_reason", dispute.reason),
            opened_date=day(dispute.opened_at), resolved_date=day(dispute.resolved_at),
            proposal=resend.details if resend else "", proposed_date=day(resend.proposed_at) if resend else "",
        )
        if resend is not None and resend.tracking_number:
            dispatcher.utter_message(response="utter_dispute_resend_tracking", carrier=resend.carrier or "",
                                     tracking_number=resend.tracking_number, shipped_date=day(resend.shipped_at))
    latest = next((m for m in reversed(dispute.messages) if m.author != "seller"), None)
    if latest is not None:
        dispatcher.utter_message(response="utter_dispute_latest_message", dispute_number=dispute.number,
                                 date=day(latest.created_at), message=excerpt(latest.body, 300))


# ------------------------------------------------------------------------------------------ flows on one dispute


class DisputeFlowForm(FlowForm):
    """A flow about one existing dispute: which dispute (a dispute number, or an order with one open
    dispute), checked to be in a state the flow can act on, then the flow's own questions."""

    dispute_slot = ""
    actionable: tuple[str, ...] = ("open", "resend_proposed", "resend_agreed")
    not_actionable_response = "utter_dispute_not_open"
    extra_slots = (DISPUTE_FACTS,)
    number_in_play = "dispute"

    async def validate_dispute(self, value: Any, ctx: Context) -> dict[str, Any]:
        dispute = await self.verified_dispute(value, self.dispute_slot, ctx)
        if dispute is None:
            return {self.dispute_slot: None, DISPUTE_FACTS: None}
        if dispute.status not in self.actionable:
            ctx.say(self.not_actionable_response, dispute_number=dispute.number, order_number=dispute.order_number,
                    status=label(ctx.domain, "dispute_status", dispute.status))
            return {self.dispute_slot: dispute.number, STOP_REASON: INELIGIBLE}
        return {self.dispute_slot: dispute.number, DISPUTE_FACTS: dispute_facts(dispute)}


class ValidateAgreeResendForm(DisputeFlowForm, Action):
    """Which dispute's resend proposal, then the seller's yes to it."""

    form_name = "agree_resend_form"
    trigger_intents = frozenset({"agree_resend"})
    slot_kinds = {"resend_dispute": SlotKind.NUMBER, "resend_confirmed": SlotKind.CONFIRM}
    dispute_slot = "resend_dispute"
    actionable = ("resend_proposed",)
    not_actionable_response = "utter_no_resend_proposed"

    async def validate_resend_dispute(self, value: Any, ctx: Context) -> dict[str, Any]:
        return await self.validate_dispute(value, ctx)


class ValidateDisputeMessageForm(DisputeFlowForm, Action):
    """Which open dispute, the message (uploads may come with it), then the seller's yes."""

    form_name = "dispute_message_form"
    trigger_intents = frozenset({"add_dispute_message"})
    slot_kinds = {"message_dispute": SlotKind.NUMBER, "message_text": SlotKind.TEXT,
                  "message_confirmed": SlotKind.CONFIRM}
    dispute_slot = "message_dispute"
    extra_uploads_slot = "message_evidence"

    async def validate_message_dispute(self, value: Any, ctx: Context) -> dict[str, Any]:
        return await self.validate_dispute(value, ctx)

    async def validate_message_text(self, value: Any, ctx: Context) -> dict[str, Any]:
        return {"message_text": str(value).strip()[:4000], "message_confirmed": None}

    async def validate_message_evidence(self, value: Any, ctx: Context) -> dict[str, Any]:
        ctx.say("utter_evidence_kept")
        return {"message_evidence": value, "message_confirmed": None}


class ValidateCloseDisputeForm(DisputeFlowForm, Action):
    """Which open dispute to close, then the seller's yes (after hearing that processing resumes)."""

    form_name = "close_dispute_form"
    trigger_intents = frozenset({"request_close_dispute", "ask_close_dispute"})
    slot_kinds = {"close_dispute": SlotKind.NUMBER, "close_confirmed": SlotKind.CONFIRM}
    dispute_slot = "close_dispute"
    actionable = _SELLER_MAY_CLOSE
    not_actionable_response = "utter_dispute_cannot_close"

    async def validate_close_dispute(self, value: Any, ctx: Context) -> dict[str, Any]:
        return await self.validate_dispute(value, ctx)


class AskResendDispute(AskForDispute, Action):
    form_name = "agree_resend_form"
    slot = "resend_dispute"
    only_active = True
    statuses = ("resend_proposed",)


class AskMessageDispute(AskForDispute, Action):
    form_name = "dispute_message_form"
    slot = "message_dispute"
    only_active = True
    statuses = ("open", "resend_proposed", "resend_agreed")


class AskCloseDispute(AskForDispute, Action):
    form_name = "close_dispute_form"
    slot = "close_dispute"
    only_active = True
    statuses = _SELLER_MAY_CLOSE


class AskConfirmation:
    """Asks for the yes of a flow on one dispute, naming the dispute and what will happen."""

    form_name = ""
    slot = ""
    response = ""

    def name(self) -> Text:
        return f"action_ask_{self.form_name}_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        facts = tracker.get_slot(DISPUTE_FACTS) or {}
        uploads = len(tracker.get_slot("message_evidence") or [])
        dispatcher.utter_message(
            response=self.response + ("_with_files" if uploads and self.form_name == "dispute_message_form" else ""),
            dispute_number=facts.get("number", ""), order_number=facts.get("order_number", ""),
            expected_result=label(domain, "expected_result", facts.get("expected_result")),
            proposal=facts.get("resend") or "", message=excerpt(tracker.get_slot("message_text") or "", 200),
            file_count=uploads,
        )
        return []


class AskResendConfirmation(AskConfirmation, Action):
    form_name = "agree_resend_form"
    slot = "resend_confirmed"
    response = "utter_ask_resend_confirmed"


class AskMessageConfirmation(AskConfirmation, Action):
    form_name = "dispute_message_form"
    slot = "message_confirmed"
    response = "utter_ask_message_confirmed"


class AskCloseConfirmation(AskConfirmation, Action):
    form_name = "close_dispute_form"
    slot = "close_confirmed"
    response = "utter_ask_close_confirmed"


class DisputeWrite(FlowSubmit):
    """Submits a write on one dispute after the seller's yes; a "no" writes nothing."""

    dispute_slot = ""
    confirm_slot = ""
    done_response = ""
    declined_response = ""
    refused = {"dispute_not_open": "utter_dispute_not_open", "no_resend_proposed": "utter_no_resend_proposed"}

    async def submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, seller_id: str
    ) -> list[EventType]:
        facts = tracker.get_slot(DISPUTE_FACTS) or {}
        number = facts.get("number") or tracker.get_slot(self.dispute_slot)
        if not number:
            return []
        said = {"dispute_number": number, "order_number": facts.get("order_number", "")}
        if tracker.get_slot(self.confirm_slot) is not True:
            dispatcher.utter_message(response=self.declined_response, **said)
            return []
        try:
            await self.write(tracker, seller_id, number)
        except NotFound:
            dispatcher.utter_message(response="utter_order_not_found", order_number=number)
            return []
        except Rejected as refusal:
            dispatcher.utter_message(response=self.refused.get(refusal.code, "utter_dispute_not_open"),
                                     status=label(domain, "dispute_status", refusal.details.get("status")), **said)
            return []
        except BackendUnavailable:
            return backend_failure(dispatcher)
        dispatcher.utter_message(response=self.done_response, **said)
        return []

    async def write(self, tracker: Tracker, seller_id: str, number: str) -> None:
        raise NotImplementedError


class ActionAgreeResend(DisputeWrite, Action):
    """Agrees to the platform's resend proposal (seed 002 §5: CJ handles the rest)."""

    form = ValidateAgreeResendForm
    dispute_slot, confirm_slot = "resend_dispute", "resend_confirmed"
    done_response, declined_response = "utter_resend_agreed", "utter_resend_not_agreed"

    def name(self) -> Text:
        return "action_agree_resend"

    async def write(self, tracker: Tracker, seller_id: str, number: str) -> None:
        await self.backend.agree_resend(seller_id, number, idempotency_key(tracker, f"resend:{number}"))


class ActionAddDisputeMessage(DisputeWrite, Action):
    """Adds the seller's message (and uploads) to the dispute for CJ's dispute team."""

    form = ValidateDisputeMessageForm
    dispute_slot, confirm_slot = "message_dispute", "message_confirmed"
    done_response, declined_response = "utter_dispute_message_added", "utter_dispute_message_not_sent"

    def name(self) -> Text:
        return "action_add_dispute_message"

    async def write(self, tracker: Tracker, seller_id: str, number: str) -> None:
        uploads = [item["evidence_id"] for item in tracker.get_slot("message_evidence") or []]
        await self.backend.add_dispute_message(
            seller_id, number, tracker.get_slot("message_text") or "", uploads,
            idempotency_key(tracker, f"message:{number}"),
        )


class ActionCloseDispute(DisputeWrite, Action):
    """Cancels the dispute (seed 002 §6: the order is processed again)."""

    form = ValidateCloseDisputeForm
    dispute_slot, confirm_slot = "close_dispute", "close_confirmed"
    done_response, declined_response = "utter_dispute_closed", "utter_dispute_kept_open"
    refused = {"dispute_not_open": "utter_dispute_cannot_close"}

    def name(self) -> Text:
        return "action_close_dispute"

    async def write(self, tracker: Tracker, seller_id: str, number: str) -> None:
        await self.backend.cancel_dispute(seller_id, number, idempotency_key(tracker, f"close:{number}"))
