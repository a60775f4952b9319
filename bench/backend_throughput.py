"""How fast is the order and dispute backend on SQLite and on PostgreSQL? One run, one machine: order lookups
per second and dispute writes per second, with p50/p95 latency, each side by side with a baseline measured on
the same server in the same run (GET /v1/health: HTTP, auth-free, no database), so the ratio shows what the
database work costs.

    .venv/bin/python bench/backend_throughput.py [--threads 8] [--lookups 1500] [--writes 300] [--rounds 3]

Needs PostgreSQL the way the tests find it (ALEX_TEST_POSTGRES_URL, 127.0.0.1:5432, or a throwaway cluster
from the installed binaries); without one it measures SQLite only and says so. Writes
bench/results/backend_throughput.md. Each round measures every (database, workload) pair once, interleaved, so
machine noise hits all alike; the tables quote medians over rounds.
"""

from __future__ import annotations

import argparse
import platform
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import Settings  # noqa: E402
from bot.stack import Stack  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.postgres_server import find_postgres  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def settings_for(state: Path, db_url: str) -> Settings:
    return Settings(
        backend_port=free_port(), actions_port=free_port(), rasa_port=free_port(), backend_db_url=db_url,
        tracker_db_path=state / "tracker.db", identity_secret=secrets.token_urlsafe(32),
        backend_key=secrets.token_urlsafe(32), actions_token=secrets.token_urlsafe(32),
        rasa_token=secrets.token_urlsafe(32), backend_timeout_seconds=5, max_message_chars=2000,
        platform_key=secrets.token_urlsafe(32), console_key=secrets.token_urlsafe(32),
        demo_agent_password=secrets.token_urlsafe(16), evidence_dir=state / "evidence",
    )


class Target:
    """One running backend and the objects the workloads use."""

    def __init__(self, name: str, settings: Settings) -> None:
        self.name = name
        self.settings = settings
        self.url = settings.backend_url
        self.local = threading.local()

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def call(self, method: str, path: str, role: str = "assistant", json: dict | None = None) -> requests.Response:
        key = {"assistant": self.settings.backend_key, "platform": self.settings.platform_key}[role]
        headers = {"Authorization": f"Bearer {key}"}
        if method != "GET":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return self.session().request(method, self.url + path, json=json, headers=headers, timeout=60)

    def prepare(self, lookups: int, writes: int, threads: int) -> None:
        """A seller with orders to look up and dispatched orders waiting for disputes (one per write)."""
        self.seller = "B" + uuid.uuid4().hex[:10]
        assert self.call("POST", "/v1/platform/sellers", "platform", {
            "id": self.seller, "name": "Bench seller", "email": f"{self.seller}@example.com"}).status_code == 201

        def order(_: int) -> str:
            reply = self.call("POST", "/v1/platform/orders", "platform", {
                "seller_id": self.seller, "advance_to": "dispatched",
                "lines": [{"sku": "B-1", "product": "Bench item", "quantity": 1, "unit_price": "9.99"},
                          {"sku": "B-2", "product": "Bench extra", "quantity": 2, "unit_price": "1.50"}]})
            assert reply.status_code == 201, reply.text
            return reply.json()["number"]

        with ThreadPoolExecutor(threads) as pool:
            self.lookup_numbers = list(pool.map(order, range(min(lookups, 200))))
            self.write_numbers = list(pool.map(order, range(writes)))
        note = self.call("POST", f"/v1/sellers/{self.seller}/evidence/notes", json={
            "text": "From buyer@mail.example: still waiting", "purpose": "buyer_complaint"})
        self.evidence_id = note.json()["id"]


@dataclass
class Measurement:
    target: str
    workload: str
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] * 1000


def measure(target: Target, workload: str, calls: list[Callable[[], requests.Response]], threads: int,
            expect: int) -> Measurement:
    latencies: list[float] = []
    lock = threading.Lock()

    def run(call: Callable[[], requests.Response]) -> None:
        started = time.perf_counter()
        reply = call()
        elapsed = time.perf_counter() - started
        assert reply.status_code == expect, f"{workload}: {reply.status_code} {reply.text[:200]}"
        with lock:
            latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, calls))
    return Measurement(target.name, workload, len(calls), time.perf_counter() - started, latencies)


def workloads(target: Target, lookups: int, writes: int, round_no: int, rounds: int) -> dict[str, tuple[list, int]]:
    numbers = target.lookup_numbers
    share = len(target.write_numbers) // rounds
    to_dispute = target.write_numbers[round_no * share:(round_no + 1) * share][:writes // rounds or 1]
    seller = target.seller
    return {
        "health (baseline)": ([lambda: target.call("GET", "/v1/health")] * lookups, 200),
        "order lookup": ([lambda n=numbers[i % len(numbers)]: target.call("GET", f"/v1/sellers/{seller}/orders/{n}")
                          for i in range(lookups)], 200),
        "dispute write": ([lambda n=n: target.call("POST", f"/v1/sellers/{seller}/disputes", json={
            "order_number": n, "expected_result": "refund", "refund_type": "balance", "reason": "delayed_order",
            "buyer_email": "buyer@mail.example", "message": "Still not delivered.",
            "evidence_ids": [target.evidence_id]}) for n in to_dispute], 201),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--lookups", type=int, default=1500, help="lookups (and health calls) per round")
    parser.add_argument("--writes", type=int, default=300, help="dispute writes over all rounds")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    postgres, how = find_postgres()
    print(f"PostgreSQL: {how}" if postgres else f"PostgreSQL: none ({how}); SQLite only")
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        urls = {"SQLite": f"sqlite:///{state / 'bench.db'}"}
        if postgres is not None:
            urls["PostgreSQL"] = postgres.create_database("alex_bench")
        stacks, targets = [], []
        try:
            for name, url in urls.items():
                settings = settings_for(state / name, url)
                (state / name).mkdir()
                stack = Stack(settings, None, state / name / "logs", only=("backend",))
                stack.start()
                stacks.append(stack)
                target = Target(name, settings)
                target.prepare(args.lookups, args.writes, args.threads)
                targets.append(target)
            results: list[Measurement] = []
            for round_no in range(args.rounds):
                for target in targets:
                    for workload, (calls, expect) in workloads(target, args.lookups, args.writes, round_no,
                                                               args.rounds).items():
                        results.append(measure(target, workload, calls, args.threads, expect))
                        m = results[-1]
                        print(f"round {round_no + 1} {m.target:10} {m.workload:18} {m.per_second:7.0f}/s "
                              f"p50 {m.percentile(0.5):6.1f} ms  p95 {m.percentile(0.95):6.1f} ms", flush=True)
        finally:
            for stack in stacks:
                stack.stop()
            if postgres is not None and "PostgreSQL" in urls:
                postgres.drop_database(urls["PostgreSQL"])
                postgres.stop()
    report(results, args, how if postgres else f"none available ({how})")


def report(results: list[Measurement], args: argparse.Namespace, postgres: str) -> None:
    def median(target: str, workload: str, value: Callable[[Measurement], float]) -> float:
        return statistics.median(value(m) for m in results if m.target == target and m.workload == workload)

    targets = list(dict.fromkeys(m.target for m in results))
    lines = [
        "# Backend throughput: SQLite vs PostgreSQL",
        "",
        f"One run of `bench/backend_throughput.py --threads {args.threads} --lookups {args.lookups} --writes "
        f"{args.writes} --rounds {args.rounds}` on this machine ({platform.machine()}, 2 shared cores, noisy: "
        "other work was running). Client and server on the same machine; one backend process each; "
        f"{args.threads} client threads. PostgreSQL: {postgres}. Medians over {args.rounds} rounds.",
        "",
        "Baseline: `GET /v1/health` on the same server (HTTP, routing, no database). `order lookup`: `GET "
        "/v1/sellers/{seller}/orders/{number}` (the full order view: lines, disputes, eligibility). `dispute write`: "
        "`POST /v1/sellers/{seller}/disputes` on a dispatched store order (rules, proof, idempotency record, "
        "order lock, dispute, lines, message, log, number; each on its own order).",
        "",
        "| database | workload | requests/s | p50 ms | p95 ms | throughput vs baseline |",
        "|---|---|---|---|---|---|",
    ]
    for target in targets:
        base = median(target, "health (baseline)", lambda m: m.per_second)
        for workload in ("health (baseline)", "order lookup", "dispute write"):
            rate = median(target, workload, lambda m: m.per_second)
            lines.append(f"| {target} | {workload} | {rate:.0f} | {median(target, workload, lambda m: m.percentile(0.5)):.1f} "
                         f"| {median(target, workload, lambda m: m.percentile(0.95)):.1f} | {rate / base:.2f} |")
    if len(targets) == 2:
        lines += ["", "| workload | PostgreSQL / SQLite (requests/s) |", "|---|---|"]
        for workload in ("health (baseline)", "order lookup", "dispute write"):
            ratio = median(targets[1], workload, lambda m: m.per_second) / median(targets[0], workload,
                                                                                   lambda m: m.per_second)
            lines.append(f"| {workload} | {ratio:.2f} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "backend_throughput.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
