"""The conversation benchmark: plays conversations written apart from the project through the running stack and
judges each by its outcome (what the backend holds afterwards, what the seller was told, whether a person was
needed), not by the intents on the way. The format is in bench/conversations/FORMAT.md.

    .venv/bin/python -m bench.conversations --split dev            # the development half (tune on this one)
    .venv/bin/python -m bench.conversations --split test --record  # the test half, once, results committed
    .venv/bin/python -m bench.conversations --split test2 --record # the fresh test set (fresh/), once, at the end
    .venv/bin/python -m bench.conversations --only p1-03 -v        # one conversation, with its transcript

It starts its own stack (backend, action server, Rasa) on free loopback ports with a fresh database, makes each
conversation's orders through the platform's API, and talks over the seller chat channel as the signed-in seller.
"""

from __future__ import annotations

import argparse
import base64
import re
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from bench.provenance import record
from bot.identity import mint_seller_token
from bot.settings import PROJECT_ROOT, Settings
from bot.stack import Stack
from bot.terminal_chat import SellerChatClient
from bot.training import ensure_model
from tests.conftest import make_settings
from tests.platform import TINY_PNG, Platform

CASES = PROJECT_ROOT / "bench" / "conversations" / "cases"
# Written apart after the test half had been run once: split test2, the next once-only measurement.
FRESH_CASES = PROJECT_ROOT / "bench" / "conversations" / "fresh"
SPLITS = ("dev", "test", "test2")
MAX_TURNS = 25
PATTERNS = {
    0: "everyday requests",
    1: "dispute requests told as a problem",
    2: "answers at a decision point",
    3: "follow-ups to Alex's own answer",
    4: "form answers out of order or changed",
    5: "dead ends",
    6: "tickets",
    7: "numbers",
}
FILES = {
    "photo": (TINY_PNG, "image/png", "photo.png"),
    "video": (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64), "video/mp4", "video.mp4"),
    "pdf": (b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "application/pdf", "proof.pdf"),
}
# The question Alex's last message asks, by the slot its form requests (FORMAT.md's answer keys).
SLOT_QUESTIONS = {
    "status_orders": "order_number", "status_disputes": "order_number", "cancel_order": "order_number",
    "dispute_order": "order_number", "resend_dispute": "order_number", "message_dispute": "order_number",
    "close_dispute": "order_number", "return_order": "order_number",
    "expected_result": "expected_result", "dispute_reason": "dispute_reason", "refund_type": "refund_type",
    "buyer_email": "buyer_email", "complaint_proof": "complaint_proof", "product_proof": "product_proof",
    "dispute_message": "dispute_message", "message_text": "message_text", "store_link": "store_link",
    "store_image": "store_image",
    "cancel_confirmed": "confirm", "dispute_confirmed": "confirm", "resend_confirmed": "confirm",
    "message_confirmed": "confirm", "close_confirmed": "confirm", "return_confirmed": "confirm",
}
# Responses that ask a question outside a form's slots.
RESPONSE_QUESTIONS = {"utter_clarify": "clarify", "utter_anything_else": "anything_else"}
ORDER_STATES = ("unpaid", "paid", "dispatched", "delivered", "completed", "closed", "cancelled")
DECISIONS = ("propose_resend", "ship_resend", "approve_refund", "pay_out", "reject")


class CaseError(ValueError):
    """A conversation that does not follow FORMAT.md."""


@dataclass
class Outcome:
    """One conversation played: the transcript, and every check that failed (none: it passed)."""

    case: dict[str, Any]
    transcript: list[tuple[str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    unconfirmed_writes: int = 0
    duplicates: int = 0
    leaks: int = 0
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures


# ---- loading ---------------------------------------------------------------------------------------------------
def load_cases(split: str | None, only: set[str] | None = None, folder: Path = CASES) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yml")):
        for case in yaml.safe_load(path.read_text()) or []:
            check_case(case, path.name)
            if (split in (None, "all") or case["split"] == split) and (not only or case["id"] in only):
                cases.append(case)
    ids = Counter(c["id"] for c in cases)
    if duplicated := [i for i, n in ids.items() if n > 1]:
        raise CaseError(f"duplicate ids: {duplicated}")
    return cases


def check_case(case: Any, source: str) -> None:
    """Refuse a conversation the runner could only misjudge (FORMAT.md)."""
    where = f"{source}:{case.get('id') if isinstance(case, dict) else case!r}"
    if not isinstance(case, dict) or not case.get("id") or case.get("split") not in SPLITS:
        raise CaseError(f"{where}: needs an id and a split ({', '.join(SPLITS)})")
    if not case.get("script"):
        raise CaseError(f"{where}: needs a script")
    if "ticket" not in (case.get("expect") or {}):
        raise CaseError(f"{where}: expect.ticket is required")
    for name, order in ((case.get("setup") or {}).get("orders") or {}).items():
        if order.get("state", "delivered") not in ORDER_STATES:
            raise CaseError(f"{where}: order {name} has an unknown state")


# ---- the scene -------------------------------------------------------------------------------------------------
class Scene:
    """A conversation's orders and disputes, made fresh through the platform's API, and their placeholders."""

    def __init__(self, platform: Platform, case: dict[str, Any]) -> None:
        self.platform = platform
        self.seller = case.get("seller", "S1001")
        setup = case.get("setup") or {}
        self.orders: dict[str, str] = {}
        self.order_sellers: dict[str, str] = {}
        for name, spec in (setup.get("orders") or {}).items():
            seller = spec.get("seller", self.seller)
            self.orders[name] = platform.new_order(seller, spec.get("state", "delivered"), spec.get("kind", "store"),
                                                   int(spec.get("lines", 1)))
            self.order_sellers[name] = seller
        self.disputes: dict[str, str] = {}
        for name, spec in (setup.get("disputes") or {}).items():
            order = spec["order"]
            number = platform.open_dispute(self.order_sellers[order], self.orders[order],
                                           spec.get("expected_result", "resend"), spec.get("reason", "lost_package"))
            for step in spec.get("then") or []:
                self._decide(number, str(step))
            self.disputes[name] = number
        self.before = self.snapshot()

    def _decide(self, dispute: str, step: str) -> None:
        if step.startswith("message:"):
            self.platform.message_from_cj(dispute, step.split(":", 1)[1].strip())
            return
        bodies = {"propose_resend": {"details": "1x the same item, shipped again by YunExpress"},
                  "ship_resend": {"carrier": "YunExpress", "tracking_number": "YT" + uuid.uuid4().hex[:12].upper()},
                  "approve_refund": {}, "pay_out": {}, "reject": {"note": "The proof does not show the problem."}}
        if step not in bodies:
            raise CaseError(f"unknown dispute step {step!r}")
        path = "refund/pay-out" if step == "pay_out" else step.replace("_", "-")
        self.platform._write(f"/v1/platform/disputes/{dispute}/{path}", bodies[step])

    def fill(self, text: str) -> str:
        """Placeholders ({A}, {A.lower}, {A.spaced}, {A.digits}, {D}) become the scene's numbers."""
        def number(match: re.Match[str]) -> str:
            name, form = match.group(1), match.group(2)
            value = self.orders.get(name) or self.disputes.get(name)
            if value is None:
                return match.group(0)
            if form == "lower":
                return value.lower()
            if form == "digits":
                return value[2:]
            if form == "spaced":
                digits = value[2:]
                return f"{value[:2]} {digits[:4]} {digits[4:8]} {digits[8:]}"
            return value
        return re.sub(r"\{([A-Z][A-Z0-9_]*)(?:\.(lower|spaced|digits))?\}", number, text)

    def foreign_secrets(self, after: dict[str, dict[str, Any]]) -> set[str]:
        """What only another seller may see of their orders: their disputes' numbers and tracking numbers."""
        secrets: set[str] = set()
        for name, seller in self.order_sellers.items():
            if seller != self.seller:
                secrets.update(after[name]["disputes"])
                secrets.update(t for t in [after[name].get("tracking")] if t)
        return secrets

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """What the backend holds about every order of the scene: state, disputes (with messages), returns."""
        state: dict[str, dict[str, Any]] = {}
        for name, number in self.orders.items():
            order = self.platform.order(number)
            disputes = {d["number"]: self.platform.dispute(d["number"]) for d in order["disputes"]}
            state[name] = {"status": order["status"], "disputes": disputes, "returns": order["returns"],
                           "tracking": (order.get("shipping") or {}).get("tracking_number")}
        return state


# ---- playing ---------------------------------------------------------------------------------------------------
class Player:
    """Plays one conversation: the script in order, and the answers whenever Alex asks their question."""

    def __init__(self, stack: Stack, settings: Settings, scene: Scene, case: dict[str, Any], verbose: bool) -> None:
        self.stack, self.settings, self.scene, self.case, self.verbose = stack, settings, scene, case, verbose
        token = mint_seller_token(scene.seller, settings.identity_secret)
        self.client = SellerChatClient(settings.rasa_url, token, "bench" + uuid.uuid4().hex[:10])
        self.conversation = f"web:{self.client.session}:{scene.seller}"
        self.answers = {key: list(value) if isinstance(value, list) else [value]
                        for key, value in (case.get("answers") or {}).items()}
        self.said: list[str] = []
        self.transcript: list[tuple[str, str]] = []
        self.reply_failures: list[str] = []
        self.backend_down = False

    def play(self) -> None:
        script = list(self.case["script"])
        turns = 0
        question: str | None = None
        while turns < MAX_TURNS:
            answer = self.answers.get(question or "")
            if question and answer:
                step: Any = answer.pop(0)
                step = step if isinstance(step, dict) else {"say": step}
            elif script:
                step = script.pop(0)
            else:
                break
            if "backend" in step:
                self._backend(step["backend"])
                continue
            reply = self._send(step)
            turns += 1
            for group in step.get("expect_reply") or []:
                if not _any_in(self.scene, group, " ".join(reply)):
                    self.reply_failures.append(f"reply to {step.get('say', step)!r} lacks one of {group}")
            question = self._question_asked()
        if self.backend_down:
            self._backend("up")

    def _send(self, step: dict[str, Any]) -> list[str]:
        text = self.scene.fill(str(step.get("say", "")))
        references = []
        if "attach" in step:
            content, content_type, filename = FILES[step["attach"]]
            references.append(self.client.upload(content, content_type, filename))
        self.transcript.append(("seller", text + (f" [{step['attach']}]" if "attach" in step else "")))
        response = self.client.send(text, attachments=references or None)
        if response.status_code != 200:
            self.transcript.append(("channel", f"{response.status_code} {response.text[:200]}"))
            return []
        body = response.json()
        texts = []
        for message in body.get("messages", []):
            shown = message.get("text") or ""
            buttons = [b.get("title", "") for b in message.get("buttons") or []]
            texts.append(shown + (" " + " | ".join(buttons) if buttons else ""))
            self.transcript.append(("alex", shown + (f"  [{' | '.join(buttons)}]" if buttons else "")))
        self.said.extend(texts)
        return texts

    def _backend(self, state: str) -> None:
        if state == "down" and not self.backend_down:
            self.stack.halt("backend")
            self.backend_down = True
        elif state == "up" and self.backend_down:
            self.stack.resume("backend")
            self.backend_down = False
        self.transcript.append(("bench", f"order system {state}"))

    def _question_asked(self) -> str | None:
        """The question Alex's last message asks (FORMAT.md's keys), read from the tracker."""
        tracker = requests.get(f"{self.settings.rasa_url}/conversations/{self.conversation}/tracker",
                               params={"token": self.settings.rasa_token}, timeout=30).json()
        events = tracker.get("events") or []
        last_bot = next((e for e in reversed(events) if e.get("event") == "bot"), None)
        response = ((last_bot or {}).get("metadata") or {}).get("utter_action") or ""
        if response in RESPONSE_QUESTIONS:
            return RESPONSE_QUESTIONS[response]
        slots = tracker.get("slots") or {}
        if (tracker.get("active_loop") or {}).get("name") and slots.get("requested_slot"):
            return SLOT_QUESTIONS.get(slots["requested_slot"])
        if slots.get("offer_pending"):
            return "offer"
        return None


# ---- judging ---------------------------------------------------------------------------------------------------
def _any_in(scene: Scene, group: Any, text: str) -> bool:
    options = group if isinstance(group, list) else [group]
    return any(scene.fill(str(option)).lower() in text.lower() for option in options)


def judge(scene: Scene, player: Player, platform: Platform, outcome: Outcome) -> None:
    expect = outcome.case.get("expect") or {}
    after = scene.snapshot()
    failures = outcome.failures
    failures.extend(player.reply_failures)
    said = "\n".join(player.said)
    confirmed = _seller_confirmed(player)

    wanted_disputes = expect.get("disputes") or {}
    for name, state in after.items():
        new = [d for n, d in state["disputes"].items() if n not in scene.before[name]["disputes"]]
        if name in wanted_disputes:
            if len(new) != 1:
                failures.append(f"order {name}: {len(new)} new disputes, wanted 1")
                outcome.duplicates += max(0, len(new) - 1)
            else:
                failures.extend(_dispute_mismatches(name, new[0], wanted_disputes[name]))
        elif new:
            failures.append(f"order {name}: a dispute nobody asked for ({new[0]['number']})")
            outcome.unconfirmed_writes += 0 if confirmed else 1
        wanted_state = (expect.get("order_state") or {}).get(name, scene.before[name]["status"])
        if state["status"] != wanted_state:
            failures.append(f"order {name}: {state['status']}, wanted {wanted_state}")
            if state["status"] != scene.before[name]["status"] and not confirmed:
                outcome.unconfirmed_writes += 1
        returns = len(state["returns"]) - len(scene.before[name]["returns"])
        wanted_returns = int((expect.get("returns") or {}).get(name, 0))
        if returns != wanted_returns:
            failures.append(f"order {name}: {returns} new returns, wanted {wanted_returns}")
            outcome.duplicates += max(0, returns - max(1, wanted_returns))
        for number, dispute in state["disputes"].items():
            old = scene.before[name]["disputes"].get(number)
            if old is None:
                continue
            dispute_name = next((k for k, v in scene.disputes.items() if v == number), number)
            wanted = (expect.get("dispute_state") or {}).get(dispute_name, old["status"])
            if dispute["status"] != wanted:
                failures.append(f"dispute {dispute_name}: {dispute['status']}, wanted {wanted}")
            added = _seller_messages(dispute) - _seller_messages(old)
            wanted_messages = int((expect.get("dispute_messages") or {}).get(dispute_name, 0))
            if added != wanted_messages:
                failures.append(f"dispute {dispute_name}: {added} seller messages added, wanted {wanted_messages}")
                outcome.duplicates += max(0, added - max(1, wanted_messages))

    ticket = platform.ticket_of(player.conversation)
    if bool(ticket) != bool(expect["ticket"]):
        failures.append(f"ticket: {'one' if ticket else 'none'}, wanted {'one' if expect['ticket'] else 'none'}")
    if ticket:
        _judge_ticket(scene, ticket, expect, failures)

    for group in expect.get("said") or []:
        if not _any_in(scene, group, said):
            failures.append(f"Alex never said one of {group}")
    for text in expect.get("not_said") or []:
        if scene.fill(str(text)).lower() in said.lower():
            failures.append(f"Alex said {scene.fill(str(text))!r}")
    outcome.leaks = sum(1 for secret in scene.foreign_secrets(after) if secret in said)


def _seller_confirmed(player: Player) -> bool:
    """Whether the seller said anything like a yes (for counting writes nobody confirmed)."""
    yes = re.compile(r"\b(yes|yep|yeah|ok|okay|sure|go|do it|confirm|submit|proceed|please|pls)\b", re.I)
    return any(who == "seller" and yes.search(text) for who, text in player.transcript)


def _seller_messages(dispute: dict[str, Any]) -> int:
    return sum(1 for m in dispute.get("messages") or [] if m.get("author") == "seller")


def _dispute_mismatches(name: str, dispute: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    problems = []
    for key in ("expected_result", "refund_type", "buyer_email"):
        if key in wanted and str(dispute.get(key) or "").lower() != str(wanted[key]).lower():
            problems.append(f"order {name}: dispute {key} {dispute.get(key)!r}, wanted {wanted[key]!r}")
    reasons = wanted.get("reason")
    if reasons and dispute.get("reason") not in (reasons if isinstance(reasons, list) else [reasons]):
        problems.append(f"order {name}: dispute reason {dispute.get('reason')!r}, wanted one of {reasons}")
    return problems


def _judge_ticket(scene: Scene, ticket: dict[str, Any], expect: dict[str, Any], failures: list[str]) -> None:
    reasons = expect.get("ticket_reasons")
    if reasons and not set(reasons) & set(ticket.get("reasons") or []):
        failures.append(f"ticket reasons {ticket.get('reasons')}, wanted one of {reasons}")
    carried = set(ticket.get("order_numbers") or []) | set(ticket.get("dispute_numbers") or [])
    for name in expect.get("ticket_numbers") or []:
        if scene.fill("{" + name + "}") not in carried:
            failures.append(f"ticket lacks number {name} ({scene.fill('{' + name + '}')}); it has {sorted(carried)}")
    text = (ticket.get("summary") or "") + "\n" + "\n".join(m.get("body", "") for m in ticket.get("messages") or [])
    for mention in expect.get("ticket_mentions") or []:
        if not _any_in(scene, mention, text):
            failures.append(f"ticket never mentions {mention}")


# ---- running ---------------------------------------------------------------------------------------------------
def run_case(stack: Stack, settings: Settings, platform: Platform, case: dict[str, Any], verbose: bool) -> Outcome:
    outcome = Outcome(case)
    started = time.monotonic()
    try:
        scene = Scene(platform, case)
        player = Player(stack, settings, scene, case, verbose)
        player.play()
        outcome.transcript = player.transcript
        judge(scene, player, platform, outcome)
    except (requests.RequestException, AssertionError, CaseError, KeyError) as error:
        outcome.failures.append(f"could not be played: {type(error).__name__}: {error}")
    outcome.seconds = time.monotonic() - started
    return outcome


def summarise(outcomes: list[Outcome], split: str) -> dict[str, Any]:
    by_pattern: dict[int, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_pattern[int(outcome.case.get("pattern", 0))].append(outcome)
    return {
        "split": split,
        "conversations": len(outcomes),
        "passed": sum(o.passed for o in outcomes),
        "pass_rate": round(sum(o.passed for o in outcomes) / max(1, len(outcomes)), 3),
        "patterns": {str(p): {"name": PATTERNS.get(p, "?"), "conversations": len(os_),
                              "passed": sum(o.passed for o in os_),
                              "pass_rate": round(sum(o.passed for o in os_) / len(os_), 3)}
                     for p, os_ in sorted(by_pattern.items())},
        "writes_without_a_yes": sum(o.unconfirmed_writes for o in outcomes),
        "duplicate_writes": sum(o.duplicates for o in outcomes),
        "other_seller_data_shown": sum(o.leaks for o in outcomes),
        "failures": {o.case["id"]: o.failures for o in outcomes if not o.passed},
        "median_seconds_per_conversation": round(sorted(o.seconds for o in outcomes)[len(outcomes) // 2], 2)
        if outcomes else 0,
    }


def print_report(summary: dict[str, Any], outcomes: list[Outcome], verbose: bool) -> None:
    for outcome in outcomes:
        mark = "PASS" if outcome.passed else "FAIL"
        print(f"{mark} {outcome.case['id']:<8} {outcome.case.get('note', '')[:90]}")
        if verbose or not outcome.passed:
            for failure in outcome.failures:
                print(f"       - {failure}")
        if verbose:
            for who, text in outcome.transcript:
                print(f"         {who:>6}: {text}")
    print(f"\n{summary['split']}: {summary['passed']}/{summary['conversations']} conversations pass "
          f"({summary['pass_rate']:.0%})")
    for pattern, row in summary["patterns"].items():
        print(f"  pattern {pattern} {row['name']:<40} {row['passed']:>3}/{row['conversations']:<3} "
              f"{row['pass_rate']:.0%}")
    print(f"  writes without a yes: {summary['writes_without_a_yes']}, duplicates: {summary['duplicate_writes']}, "
          f"other sellers' data shown: {summary['other_seller_data_shown']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="dev")
    parser.add_argument("--only", nargs="*", help="conversation ids")
    parser.add_argument("--pattern", type=int, help="only this pattern")
    parser.add_argument("--record", action="store_true", help="write bench/results/conversations_<split>.json")
    parser.add_argument("--cases", type=Path, help="the folder of conversation files (default: the split's)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every transcript")
    args = parser.parse_args()
    folder = args.cases or (FRESH_CASES if args.split == "test2" else CASES)
    cases = load_cases(args.split, set(args.only) if args.only else None, folder)
    if args.pattern is not None:
        cases = [c for c in cases if int(c.get("pattern", 0)) == args.pattern]
    model = ensure_model()
    with tempfile.TemporaryDirectory(prefix="alex-bench-") as directory:
        state = Path(directory)
        settings = make_settings(state)
        stack = Stack(settings, model, state / "logs", only=("backend", "actions", "rasa"))
        stack.start()
        try:
            platform = Platform(settings)
            outcomes = [run_case(stack, settings, platform, case, args.verbose) for case in cases]
        finally:
            stack.stop()
    summary = summarise(outcomes, args.split)
    print_report(summary, outcomes, args.verbose)
    if args.record:
        record(f"conversations_{args.split}", summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
