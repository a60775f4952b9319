"""Do the abuse limits keep one abuser from slowing everybody else? Two measurements, each against a baseline
taken in the same run, interleaved round by round so machine noise hits both alike:

- flood: other sellers chatting at a person's pace, alone (quiet) and while one seller sends 200 messages at
  once (flood); their turn latency's p50/p95 in both, and the ratio (target: p95 <= 2x quiet);
- sign-ins: a seller's dispute write alone (quiet) and while 30 wrong sign-ins for one account arrive at once
  (storm); its latency's p50/p95 in both, and the ratio (target: <= 2x).

    .venv/bin/python bench/abuse_limits.py [--rounds 3] [--others 6] [--flood 200] [--sign-in-rounds 15]

The stack runs with the default limits (bot/settings.py). Writes bench/results/abuse_limits.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.backend_throughput import Target  # noqa: E402
from bench.provenance import record  # noqa: E402
from bot.identity import mint_seller_token  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.stack import Stack  # noqa: E402
from bot.terminal_chat import SellerChatClient  # noqa: E402
from bot.training import ensure_model  # noqa: E402
from tests.conftest import make_settings  # noqa: E402

_LIMITS = ("message_limit", "message_window_seconds", "message_burst", "messages_in_flight",
           "sign_in_free_failures", "sign_in_lockout_seconds", "sign_in_max_lockout_seconds")
OTHER_MESSAGES = ("where is my refund", "status of CJ2410180012349", "how do I open a dispute?",
                  "can I cancel after paying?")


def with_default_limits(settings: Settings) -> Settings:
    """The test settings (free ports, fresh secrets) with the limits a real deployment gets by default."""
    defaults = {f.name: f.default for f in dataclasses.fields(Settings) if f.name in _LIMITS}
    return dataclasses.replace(settings, **defaults)


def stats(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000, 1)}


def ratios(quiet: dict[str, float], loaded: dict[str, float]) -> dict[str, float]:
    return {"p50": round(loaded["p50_ms"] / quiet["p50_ms"], 2), "p95": round(loaded["p95_ms"] / quiet["p95_ms"], 2)}


# ------------------------------------------------------------------ (a) one seller's flood vs everybody else


def _chat_at_a_persons_pace(settings: Settings, seller_id: str, until: float, latencies: list[float]) -> None:
    """A seller who reads each answer, then thinks a moment (1-2 s) before the next message."""
    client = SellerChatClient(settings.rasa_url, mint_seller_token(seller_id, settings.identity_secret))
    while time.monotonic() < until:
        started = time.perf_counter()
        reply = client.send(random.choice(OTHER_MESSAGES))
        assert reply.status_code == 200, f"{seller_id}: {reply.status_code} {reply.text[:200]}"
        latencies.append(time.perf_counter() - started)
        time.sleep(random.uniform(1.0, 2.0))


def _flood(settings: Settings, seller_id: str, messages: int) -> dict[str, Any]:
    client = SellerChatClient(settings.rasa_url, mint_seller_token(seller_id, settings.identity_secret))
    started = time.perf_counter()
    with ThreadPoolExecutor(messages) as pool:
        statuses = list(pool.map(lambda n: client.send(f"hello number {n}").status_code, range(messages)))
    return {"answered": statuses.count(200), "refused_429": statuses.count(429),
            "other": len(statuses) - statuses.count(200) - statuses.count(429),
            "all_answered_after_s": round(time.perf_counter() - started, 2)}


def phase(settings: Settings, others: int, seconds: float, flood: int | None, round_no: int) -> tuple[list, dict]:
    latencies: list[float] = []
    until = time.monotonic() + seconds
    sellers = [f"Q{round_no}{n:02d}{random.randrange(10**6):06d}" for n in range(others)]
    threads = [threading.Thread(target=_chat_at_a_persons_pace, args=(settings, s, until, latencies))
               for s in sellers]
    for thread in threads:
        thread.start()
    flooded: dict[str, Any] = {}
    if flood:
        time.sleep(1.0)  # the others are mid-conversation when the flood arrives
        flooded = _flood(settings, f"F{round_no}{random.randrange(10**6):06d}", flood)
    for thread in threads:
        thread.join()
    return latencies, flooded


def bench_flood(rounds: int, others: int, flood: int, seconds: float) -> dict[str, Any]:
    model = ensure_model()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        settings = with_default_limits(make_settings(state))
        with Stack(settings, model, state / "logs", only=("backend", "actions", "rasa")):
            phase(settings, others, 5, None, 99)  # warm-up: first turns load caches
            quiet: list[float] = []
            loaded: list[float] = []
            floods = []
            for round_no in range(rounds):
                quiet += phase(settings, others, seconds, None, round_no)[0]
                latencies, flooded = phase(settings, others, seconds, flood, round_no)
                loaded += latencies
                floods.append(flooded)
                print(f"  round {round_no + 1}: flood {flooded}", flush=True)
    result = {"others": others, "flood_messages": flood, "phase_seconds": seconds, "rounds": rounds,
              "quiet": stats(quiet), "flood": stats(loaded), "floods": floods}
    result["ratio"] = ratios(result["quiet"], result["flood"])
    return result


# ------------------------------------------------------------------ (b) a burst of wrong sign-ins vs a write


def _sign_in(settings: Settings, email: str) -> int:
    return requests.post(f"{settings.backend_url}/v1/agent/sessions", json={"email": email, "password": "wrong"},
                         headers={"Authorization": f"Bearer {settings.console_key}",
                                  "Idempotency-Key": uuid.uuid4().hex}, timeout=60).status_code


def bench_sign_ins(rounds: int, burst: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        settings = with_default_limits(make_settings(state))
        with Stack(settings, None, state / "logs", only=("backend",)):
            target = Target("SQLite", settings)
            target.prepare(lookups=1, writes=2 * rounds + 1, threads=4)
            orders = iter(target.write_numbers)

            def dispute_write() -> float:
                started = time.perf_counter()
                reply = target.call("POST", f"/v1/sellers/{target.seller}/disputes", json={
                    "order_number": next(orders), "expected_result": "refund", "refund_type": "balance",
                    "reason": "delayed_order", "buyer_email": "buyer@mail.example", "message": "Still not here.",
                    "evidence_ids": [target.evidence_id]})
                assert reply.status_code == 201, reply.text[:200]
                return time.perf_counter() - started

            dispute_write()  # warm-up
            quiet, storm, outcomes = [], [], {"401": 0, "429": 0}
            for round_no in range(rounds):
                quiet.append(dispute_write())
                # Each round guesses at an account of its own, so every round meets a fresh (unlocked) account.
                email = f"agent-{round_no}@alex.example"
                gate = threading.Barrier(burst + 1)

                def guess(_: int) -> int:
                    gate.wait()
                    return _sign_in(settings, email)

                with ThreadPoolExecutor(burst) as pool:
                    guesses = [pool.submit(guess, n) for n in range(burst)]
                    gate.wait()
                    time.sleep(0.01)  # the guesses are in the backend when the write arrives
                    storm.append(dispute_write())
                    for status in (g.result() for g in guesses):
                        outcomes[str(status)] = outcomes.get(str(status), 0) + 1
                time.sleep(0.2)
    result = {"rounds": rounds, "wrong_sign_ins_per_round": burst, "sign_in_answers": outcomes,
              "quiet": stats(quiet), "storm": stats(storm)}
    result["ratio"] = ratios(result["quiet"], result["storm"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3, help="quiet/flood phase pairs")
    parser.add_argument("--others", type=int, default=6, help="sellers chatting at a person's pace")
    parser.add_argument("--flood", type=int, default=200, help="messages the flooding seller sends at once")
    parser.add_argument("--seconds", type=float, default=20, help="length of each phase")
    parser.add_argument("--sign-in-rounds", type=int, default=15)
    parser.add_argument("--burst", type=int, default=30, help="wrong sign-ins at once")
    args = parser.parse_args()

    print("(b) wrong sign-ins vs a dispute write", flush=True)
    sign_ins = bench_sign_ins(args.sign_in_rounds, args.burst)
    print(f"  quiet {sign_ins['quiet']}  storm {sign_ins['storm']}  ratio {sign_ins['ratio']}  "
          f"sign-in answers {sign_ins['sign_in_answers']}", flush=True)
    print("(a) one seller's flood vs the others' turns", flush=True)
    flood = bench_flood(args.rounds, args.others, args.flood, args.seconds)
    print(f"  quiet {flood['quiet']}  flood {flood['flood']}  ratio {flood['ratio']}", flush=True)
    path = record("abuse_limits", {"flood": flood, "sign_ins": sign_ins,
                                   "targets": {"flood_p95_ratio": 2.0, "sign_in_write_ratio": 2.0}})
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
