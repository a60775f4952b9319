"""Generative test of the whole API, driven by the OpenAPI document the backend serves (hypothesis +
hypothesis-jsonschema), against a running backend over HTTP on SQLite and PostgreSQL.

Every operation of every role gets valid and hostile input: bodies drawn from the documented schemas, then
mutated (wrong types, missing and extra fields, arbitrary JSON, non-JSON bytes), path parameters that are
real numbers of this or another seller, unicode, traversal, NUL and huge strings, wrong or missing keys and
sessions, idempotency keys reused with other bodies. Properties: no 5xx ever; every response is what the
document says (the error shape for errors); a seller's path never returns another seller's numbers; every
2xx write is readable afterwards; the ledger, refund, dispute and ticket invariants hold at the end.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
import requests
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from bot.stack import Stack
from tests.backend.client import Backend
from tests.backend.conftest import database_url
from tests.conftest import make_settings
from tests.postgres_server import PostgresServer

EXAMPLES = 900  # per database; with derandomize the same inputs every run
NUMBER = re.compile(r"\b(?:CJ|ZF|SH|RT|TK)[0-9]{8,18}\b")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)
HOSTILE_TEXT = ["", " ", "..", "../../etc/passwd", "%2e%2e%2fetc", "S1001/../S1002", "\u202e\u0645\u0631\u062d\u0628\u0627",
                "😀" * 30, "x" * 5000, "'; DROP TABLE orders; --", "%00", "null", "-1", "0", "CJ" + "9" * 30,
                "cj 2410 1800 12345", "#SH2410200045", "ＣＪ２４１０", "+", "TK", "ev_" + "A" * 22]


@dataclass
class World:
    """What the fuzzer knows: two sellers of its own with objects in every state, and what it made."""

    backend: Backend
    sellers: list[str]
    numbers: dict[str, list[str]]  # seller -> order, dispute, return and ticket numbers
    evidence: dict[str, list[str]]
    conversations: list[str]
    tokens: list[str]
    keys: list[str] = field(default_factory=lambda: [f"fuzz-{i}" for i in range(6)])
    created: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, seller, id) of 2xx writes
    scoped_reads: list[tuple[str, str]] = field(default_factory=list)  # (seller in path, body) of 2xx
    requests: int = 0
    outcomes: Counter = field(default_factory=Counter)  # (status, error code)

    def all_numbers(self) -> list[str]:
        return [n for numbers in self.numbers.values() for n in numbers]


def _build_world(backend: Backend) -> World:
    sellers = [backend.new_seller(top_up="50.00") for _ in range(2)]
    numbers: dict[str, list[str]] = {s: [] for s in sellers}
    evidence: dict[str, list[str]] = {s: [] for s in sellers}
    for seller in sellers:
        for status in ("unpaid", "paid", "dispatched", "delivered", "completed", "closed", "cancelled"):
            numbers[seller].append(backend.new_order(seller, status)["number"])
        numbers[seller].append(backend.new_order(seller, "dispatched", kind="wholesale")["number"])
        evidence[seller] += [backend.note(seller), backend.photo_link(seller)]
        for status in ("dispatched", "delivered"):
            order = backend.new_order(seller, status)
            numbers[seller].append(backend.open_dispute(seller, order["number"])["number"])
        conversation = f"web:fuzz:{seller}"
        ticket = backend.put(f"/v1/conversations/{conversation}/ticket", {
            "seller_id": seller, "channel": "web", "reason": "seller_request", "summary": "Fuzz ticket."}).json()
        numbers[seller].append(ticket["number"])
    numbers["S1001"] = ["CJ2410180012345", "SH2410200049", "CJ2411050010001", "RT2411070001", "TK2411080001"]
    numbers["S1002"] = ["CJ2410190020001", "SH2410210001", "ZF2411050020101", "TK2411080002"]
    tokens = [backend.post("/v1/agent/sessions", {"email": email, "password": backend.settings.demo_agent_password},
                           role="console").json()["token"]
              for email in ("agent@alex.example", "supervisor@alex.example")]
    return World(backend, sellers, numbers, evidence,
                 [*(f"web:fuzz:{s}" for s in sellers), "wa:15550101001", "web:x:S1002", "wa:15550109999"], tokens)


def _resolve(schema: Any, components: dict[str, Any]) -> Any:
    """Inline every $ref (hypothesis-jsonschema wants self-contained schemas)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _resolve(components[schema["$ref"].rsplit("/", 1)[1]], components)
        return {k: _resolve(v, components) for k, v in schema.items() if k not in ("title", "description", "default")}
    if isinstance(schema, list):
        return [_resolve(item, components) for item in schema]
    return schema


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    role: str
    document: dict[str, Any]
    body_schema: dict[str, Any] | None
    query: list[dict[str, Any]]
    upload: bool


def _operations(document: dict[str, Any]) -> list[Op]:
    components = document["components"]["schemas"]
    ops = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            role = op.get("x-role")
            if role is None:
                continue
            content = op.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            ops.append(Op(method.upper(), path, role, op, _resolve(body, components) if body else None,
                          [_resolve(p, components) for p in op["parameters"] if p["in"] == "query"],
                          "multipart/form-data" in content))
    return ops


_KIND_OF_SEGMENT = {"orders": ("CJ", "ZF"), "disputes": ("SH",), "returns": ("RT",), "tickets": ("TK",)}


def _path_value(draw: st.DrawFn, world: World, name: str, owner: str, friendly: bool, path: str) -> str:
    if friendly:
        segment = path.split("/{number}")[0].rsplit("/", 1)[-1] if name == "number" else ""
        kinds = _KIND_OF_SEGMENT.get(segment, ("CJ", "ZF", "SH", "RT", "TK"))
        numbers = [n for n in world.numbers.get(owner, []) if n[:2] in kinds]
        if not numbers or draw(st.integers(0, 4)) == 0:  # now and then another seller's number of that kind
            numbers = [n for n in world.all_numbers() if n[:2] in kinds] or world.all_numbers()
        own = {"seller_id": [owner], "number": numbers,
               "evidence_id": world.evidence.get(owner) or ["ev_" + "A" * 22]}
        if name in own:
            return draw(st.sampled_from(own[name]))
    pools = {
        "seller_id": [*world.sellers, "S1001", "S1002"],
        "number": world.all_numbers(),
        "evidence_id": [e for items in world.evidence.values() for e in items],
        "conversation_id": world.conversations,
        "e164": ["+15550101001", "15550102001", "+15550109999"],
        "message_id": ["wamid.fuzz1", "wamid.fuzz2", "1", "2"],
    }
    pool = pools.get(name, ["x"])
    if name == "number" and draw(st.booleans()):
        pool = world.numbers.get(owner, pool) or pool
    choice = "pool" if friendly else draw(st.sampled_from(["pool", "pool", "hostile", "text"]))
    if choice == "pool":
        return draw(st.sampled_from(pool))
    if choice == "hostile":
        return draw(st.sampled_from(HOSTILE_TEXT))
    return draw(st.text(min_size=1, max_size=40))


def _realistic(draw: st.DrawFn, world: World, body: Any, owner: str) -> Any:
    """Point some generated fields at real objects (this seller's or another's), so the rules get exercised."""
    if not isinstance(body, dict):
        return body
    body = copy.deepcopy(body)
    if "order_number" in body and draw(st.integers(0, 9)) < 8:
        mine = [n for n in world.numbers.get(owner, []) if n[:2] in ("CJ", "ZF")]
        body["order_number"] = draw(st.sampled_from(mine if mine and draw(st.booleans()) else world.all_numbers()))
    for key in ("evidence_ids",):
        if key in body and draw(st.booleans()):
            pool = [e for items in world.evidence.values() for e in items]
            body[key] = draw(st.lists(st.sampled_from(pool), max_size=3))
    if "store_image_evidence_id" in body and draw(st.booleans()):
        body["store_image_evidence_id"] = draw(st.sampled_from([e for items in world.evidence.values() for e in items]))
    if "seller_id" in body and draw(st.integers(0, 9)) < 8:
        body["seller_id"] = draw(st.sampled_from([owner, owner, *world.sellers, "S1001", "S1002"]))
    if "buyer_email" in body and draw(st.booleans()):
        body["buyer_email"] = "buyer@mail.example"
    for key, kinds in (("order_numbers", ("CJ", "ZF")), ("dispute_numbers", ("SH",))):
        if key in body and draw(st.booleans()):
            body[key] = draw(st.lists(st.sampled_from([n for n in world.all_numbers() if n[:2] in kinds]), max_size=3))
    if "password" in body and "email" in body and draw(st.booleans()):
        body.update(email="agent@alex.example", password=world.backend.settings.demo_agent_password)
    if "agent_id" in body and draw(st.booleans()):
        body["agent_id"] = draw(st.sampled_from([1, 2]))
    return body


def _mutate(draw: st.DrawFn, body: Any) -> Any:
    how = draw(st.sampled_from(["keep", "keep", "keep", "wrong_type", "extra", "drop", "junk"]))
    if not isinstance(body, dict) or how == "keep":
        return body
    body = dict(body)
    if how == "wrong_type" and body:
        body[draw(st.sampled_from(sorted(body)))] = draw(json_values)
    elif how == "extra":
        body[draw(st.text(min_size=1, max_size=12))] = draw(json_values)
    elif how == "drop" and body:
        body.pop(draw(st.sampled_from(sorted(body))))
    elif how == "junk":
        return draw(json_values)
    return body


def _request(draw: st.DrawFn, world: World, op: Op) -> dict[str, Any]:
    """Half the requests are friendly (the right key and session, this seller's objects, a body of the
    documented shape pointed at real objects), half hostile."""
    owner = draw(st.sampled_from(world.sellers))
    friendly = draw(st.booleans())
    path = op.path
    params = re.findall(r"{([^}]+)}", path)
    values = {name: _path_value(draw, world, name, owner, friendly, path) for name in params}
    url_path = path
    for name, value in values.items():
        # Dots escaped too: "..", sent as data, must reach the server (clients resolve bare dot segments).
        url_path = url_path.replace("{" + name + "}", requests.utils.quote(value, safe="").replace(".", "%2E"))
    query = {}
    for parameter in op.query:
        if draw(st.booleans()):
            junk = st.text(max_size=8) if not friendly else st.nothing()
            query[parameter["name"]] = draw(st.one_of(from_schema(parameter["schema"]), junk))
    headers: dict[str, str] = {}
    key_choice = "right" if friendly else draw(st.sampled_from(["right"] * 4 + ["none", "wrong", "other_role"]))
    if key_choice != "none":
        role = op.role if key_choice == "right" else draw(st.sampled_from(["assistant", "console", "platform"]))
        key = world.backend.keys[role] if key_choice != "wrong" else "not-a-key"
        headers["Authorization"] = f"Bearer {key}"
    if op.role == "console" and (friendly or draw(st.integers(0, 9)) < 8):
        headers["X-Agent-Session"] = draw(st.sampled_from(world.tokens if friendly else
                                                          [*world.tokens, "expired-or-made-up"]))
        if op.document["operationId"] == "sign_out":  # never sign out the sessions the fuzzer works with
            headers["X-Agent-Session"] = world.backend.post("/v1/agent/sessions", {
                "email": "agent@alex.example", "password": world.backend.settings.demo_agent_password},
                role="console").json()["token"]
    if op.method != "GET" and (friendly or draw(st.integers(0, 9)) < 9):
        headers["Idempotency-Key"] = (draw(st.sampled_from(world.keys)) if draw(st.integers(0, 4)) == 0
                                      else uuid.uuid4().hex)
    data: bytes | None = None
    if op.upload:
        data = draw(st.sampled_from([PNG, b"GIF89a" + bytes(10), b"", b"plain text", bytes(range(256))]))
        headers["Content-Type"] = draw(st.sampled_from(["image/png", "image/gif", "application/octet-stream",
                                                       "text/plain", "multipart/form-data; boundary=x"]))
        headers["X-Filename"] = draw(st.sampled_from(["a.png", "../../x", "ü.png"]))
    elif op.body_schema is not None or op.method != "GET":
        if op.body_schema is not None and (friendly or draw(st.integers(0, 9)) < 8):
            body = _realistic(draw, world, draw(from_schema(op.body_schema)), owner)
            body = body if friendly else _mutate(draw, body)
            data = json.dumps(body).encode()
        else:
            data = draw(st.sampled_from([b"", b"{", b"[]", b"\xff\xfe", b'{"a": 1}', b"null"]))
        headers["Content-Type"] = "application/json"
    return {"method": op.method, "path": url_path, "params": values, "query": query, "headers": headers,
            "data": data, "op": op}


def _send(world: World, request: dict[str, Any]) -> requests.Response:
    backend = world.backend
    reply = backend.http.request(request["method"], backend.url + request["path"], params=request["query"],
                                 data=request["data"], headers=request["headers"], timeout=60)
    world.requests += 1
    code = reply.json().get("error", {}).get("code", "") if reply.headers.get(
        "Content-Type", "").startswith("application/json") and reply.status_code >= 400 else ""
    world.outcomes[(reply.status_code, code)] += 1
    assert reply.status_code < 500, f"{request['method']} {request['path']} -> {reply.status_code} {reply.text[:300]}"
    if reply.headers.get("Content-Type", "").startswith("application/json"):
        body = reply.json()
        backend.documented.check(request["method"], request["path"], reply.status_code, body)
        if reply.status_code >= 400:
            assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    return reply


def _remember(world: World, request: dict[str, Any], reply: requests.Response) -> None:
    op: Op = request["op"]
    if reply.status_code >= 300 or not reply.headers.get("Content-Type", "").startswith("application/json"):
        return
    body = reply.json()
    seller = request["params"].get("seller_id")
    if op.path.startswith("/v1/sellers/{seller_id}"):
        world.scoped_reads.append((seller, reply.text))
    if op.method == "GET":
        return
    if op.path == "/v1/sellers/{seller_id}/disputes":
        world.created.append(("dispute", seller, body["number"]))
    elif op.path.startswith("/v1/sellers/{seller_id}/evidence"):
        world.created.append(("evidence", seller, body["id"]))
    elif op.path == "/v1/sellers/{seller_id}/returns":
        world.created.append(("return", seller, body["number"]))
    elif op.path == "/v1/platform/orders":
        world.created.append(("order", body["seller_id"], body["number"]))
    elif op.path == "/v1/conversations/{conversation_id}/ticket":
        world.created.append(("ticket", body["seller_id"] or "", body["number"]))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 postgres: PostgresServer | None) -> Iterator[Backend]:
    """A backend of its own: the fuzzer may cancel and dispute the demo orders other tests read."""
    state = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    url = database_url(request.param, state, postgres)
    settings = make_settings(state, backend_db_url=url)
    stack = Stack(settings, None, state / "logs", only=("backend",))
    stack.start()
    try:
        yield Backend(settings, request.param, url)
    finally:
        stack.stop()
        log = (state / "logs" / "backend.log").read_text()
        if request.param == "postgresql" and postgres is not None:
            postgres.drop_database(url)
        assert "Traceback" not in log, log[-3000:]


def test_random_and_hostile_requests_never_5xx_leak_or_lose_anything(fuzz_backend: Backend) -> None:
    world = _build_world(fuzz_backend)
    operations = _operations(fuzz_backend.documented.document)
    assert len({(o.role) for o in operations}) == 3 and len(operations) >= 60
    assert {o.method for o in operations} == {"GET", "POST", "PUT", "PATCH", "DELETE"}

    # The server's state moves on with every request, so a failing example can't be replayed or shrunk
    # faithfully: report the first failure as it happened.
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate], report_multiple_bugs=False)
    @given(st.data())
    def one_request(data: st.DataObject) -> None:
        op = data.draw(st.sampled_from(operations))
        request = _request(data.draw, world, op)
        reply = _send(world, request)
        _remember(world, request, reply)
        if request["method"] != "GET" and "Idempotency-Key" in request["headers"] and data.draw(st.integers(0, 5)) == 0:
            again = _send(world, request)  # the same request again: the same answer, or an honest refusal
            if reply.status_code < 300 and request["op"].document.get("operationId") not in (
                    "sign_in", "sign_out", "record_inbound", "record_status"):
                assert again.status_code == reply.status_code and again.content == reply.content

    one_request()
    _check_nothing_lost(world)
    _check_no_cross_seller_reads(world)
    _check_invariants(fuzz_backend.db_url)
    print(f"\nfuzz[{fuzz_backend.db_kind}]: {world.requests} requests over {len(operations)} operations, "
          f"{len(world.created)} objects created, {len(world.scoped_reads)} seller-scoped 2xx answers checked; "
          f"outcomes: {', '.join(f'{s} {c}'.strip() + f' x{n}' for (s, c), n in world.outcomes.most_common())}")


def _check_nothing_lost(world: World) -> None:
    backend = world.backend
    for kind, seller, ident in world.created:
        path = {
            "dispute": f"/v1/sellers/{seller}/disputes/{ident}",
            "evidence": f"/v1/sellers/{seller}/evidence/{ident}",
            "return": f"/v1/sellers/{seller}/returns/{ident}",
            "order": f"/v1/sellers/{seller}/orders/{ident}",
            "ticket": f"/v1/sellers/{seller}/tickets/{ident}" if seller else None,
        }[kind]
        if path is not None:
            assert backend.get(path).status_code == 200, (kind, seller, ident)
        world.requests += 1


def _owners(db_url: str) -> dict[str, str | None]:
    engine = sa.create_engine(db_url, future=True)
    try:
        with engine.connect() as c:
            owners: dict[str, str | None] = dict(c.execute(sa.text("SELECT number, seller_id FROM orders")).all())
            owners.update(c.execute(sa.text(
                "SELECT d.number, o.seller_id FROM disputes d JOIN orders o ON o.id = d.order_id")).all())
            owners.update(c.execute(sa.text(
                "SELECT r.number, o.seller_id FROM returns r JOIN orders o ON o.id = r.order_id")).all())
            owners.update(c.execute(sa.text("SELECT number, seller_id FROM tickets")).all())
    finally:
        engine.dispose()
    return owners


def _check_no_cross_seller_reads(world: World) -> None:
    owners = _owners(world.backend.db_url)
    for seller, text in world.scoped_reads:
        for number in set(NUMBER.findall(text)):
            if number in owners:
                assert owners[number] == seller, f"{seller}'s answer shows {number} of {owners[number]}"


def _check_invariants(db_url: str) -> None:
    engine = sa.create_engine(db_url, future=True)
    checks = {
        "a paid-out refund without exactly one matching ledger entry":
            "SELECT r.id FROM refunds r LEFT JOIN ledger_entries e ON e.refund_id = r.id AND e.account = r.method "
            "AND e.amount_cents = r.amount_cents GROUP BY r.id, r.status HAVING (r.status = 'done') <> (COUNT(e.id) = 1)",
            "a pending refund with a ledger entry":
            "SELECT r.id FROM refunds r JOIN ledger_entries e ON e.refund_id = r.id WHERE r.status = 'pending'",
        "a dispute line whose activity differs from its dispute's":
            "SELECT l.id FROM dispute_lines l JOIN disputes d ON d.id = l.dispute_id WHERE "
            "(l.active_line_id IS NOT NULL) <> (d.status IN ('open', 'resend_proposed', 'resend_agreed'))",
        "an order whose processing disagrees with its active disputes":
            "SELECT o.id FROM orders o WHERE (o.processing = 'stopped_by_dispute') <> EXISTS (SELECT 1 FROM disputes d "
            "WHERE d.order_id = o.id AND d.status IN ('open', 'resend_proposed', 'resend_agreed'))",
        "refunds above their order's total":
            "SELECT o.id FROM orders o JOIN disputes d ON d.order_id = o.id JOIN refunds r ON r.dispute_id = d.id "
            "GROUP BY o.id, o.shipping_cents HAVING SUM(r.amount_cents) > o.shipping_cents + (SELECT SUM(l.quantity * "
            "l.unit_price_cents) FROM order_lines l WHERE l.order_id = o.id)",
        "a negative wallet balance":
            "SELECT seller_id FROM ledger_entries WHERE account = 'balance' GROUP BY seller_id "
            "HAVING SUM(amount_cents) < 0",
        "a refunded dispute without a refund":
            "SELECT d.id FROM disputes d LEFT JOIN refunds r ON r.dispute_id = d.id WHERE d.status = 'refunded' "
            "AND r.id IS NULL",
    }
    try:
        with engine.connect() as connection:
            for problem, query in checks.items():
                assert connection.execute(sa.text(query)).all() == [], problem
    finally:
        engine.dispose()

