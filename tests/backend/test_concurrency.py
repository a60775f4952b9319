"""Idempotency keys and concurrent writers, on SQLite (WAL + BEGIN IMMEDIATE) and PostgreSQL (row locks and
UNIQUE constraints): retries never write twice, races never make two of a thing that may exist once, concurrent
payments never overdraw a wallet, and the UNIQUE constraints hold on their own, without the API's locks."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.backend.db import make_engine
from tests.backend.client import Backend

N = 8


def _together(calls: list) -> list[requests.Response]:
    """Run the calls at the same time, each on its own connection."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(requests.Session()), calls))


def test_a_repeated_write_replays_the_first_response(backend: Backend) -> None:
    seller = backend.new_seller()
    order = backend.new_order(seller, "dispatched")
    body = backend.dispute_body(seller, order["number"])
    first = backend.post(f"/v1/sellers/{seller}/disputes", body, idempotency_key="open-1")
    again = backend.post(f"/v1/sellers/{seller}/disputes", {**body}, idempotency_key="open-1")
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert backend.get(f"/v1/sellers/{seller}/disputes?order_number={order['number']}").json()["total"] == 1


def test_a_key_reused_for_another_request_is_refused(backend: Backend) -> None:
    seller = backend.new_seller()
    key = "reuse-" + uuid.uuid4().hex
    assert backend.post(f"/v1/sellers/{seller}/evidence/notes", {"text": "a", "purpose": "other"},
                        idempotency_key=key).status_code == 201
    reused = backend.post(f"/v1/sellers/{seller}/evidence/notes", {"text": "b", "purpose": "other"},
                          idempotency_key=key)
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    other_path = backend.post(f"/v1/sellers/S1002/evidence/notes", {"text": "a", "purpose": "other"},
                              idempotency_key=key)
    assert other_path.status_code == 422


def test_keys_are_scoped_to_the_caller(backend: Backend) -> None:
    key = "shared-" + uuid.uuid4().hex
    seller = backend.new_seller()
    order = backend.new_order(seller, "unpaid")
    assert backend.post(f"/v1/sellers/{seller}/orders/{order['number']}/cancel", idempotency_key=key).status_code == 200
    platform = backend.post("/v1/platform/sellers/S1001/wallet/top-ups", {"amount": "1.00"}, role="platform",
                            idempotency_key=key)
    assert platform.status_code == 201 and "Idempotent-Replayed" not in platform.headers


def test_a_refused_write_is_not_stored_so_a_retry_may_succeed_later(backend: Backend) -> None:
    seller = backend.new_seller()
    order = backend.new_order(seller, "dispatched")
    body = backend.dispute_body(seller, order["number"], buyer_email=None)
    assert backend.post(f"/v1/sellers/{seller}/disputes", body, idempotency_key="k-proof").status_code == 422
    fixed = backend.post(f"/v1/sellers/{seller}/disputes", {**body, "buyer_email": "b@mail.example"},
                         idempotency_key="k-proof")
    assert fixed.status_code == 201


def test_concurrent_open_dispute_calls_with_different_keys_create_one_dispute(backend: Backend) -> None:
    seller = backend.new_seller()
    order = backend.new_order(seller, "delivered")
    body = backend.dispute_body(seller, order["number"])
    path = f"/v1/sellers/{seller}/disputes"
    replies = _together([lambda s: backend.post(path, body, session=s) for _ in range(N)])
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [201] + [409] * (N - 1), [r.text for r in replies]
    assert {r.json()["error"]["code"] for r in replies if r.status_code == 409} == {"dispute_already_open"}
    assert backend.get(f"{path}?order_number={order['number']}").json()["total"] == 1


def test_concurrent_open_dispute_calls_with_the_same_key_create_one_dispute_and_answer_alike(backend: Backend) -> None:
    seller = backend.new_seller()
    order = backend.new_order(seller, "delivered")
    body = backend.dispute_body(seller, order["number"])
    path = f"/v1/sellers/{seller}/disputes"
    key = "same-" + uuid.uuid4().hex
    replies = _together([lambda s: backend.post(path, body, session=s, idempotency_key=key) for _ in range(N)])
    assert {r.status_code for r in replies} == {201}, [r.text for r in replies]
    assert len({r.content for r in replies}) == 1
    assert sum(1 for r in replies if "Idempotent-Replayed" not in r.headers) == 1
    assert backend.get(f"{path}?order_number={order['number']}").json()["total"] == 1


def test_concurrent_cancel_and_pay_leave_one_consistent_outcome(backend: Backend) -> None:
    seller = backend.new_seller()
    order = backend.new_order(seller, "unpaid")
    number = order["number"]
    replies = _together([
        lambda s: backend.post(f"/v1/sellers/{seller}/orders/{number}/cancel", session=s),
        lambda s: backend.post(f"/v1/platform/orders/{number}/pay", {"method": "paypal"}, role="platform", session=s),
    ] * 3)
    successes = [r for r in replies if r.status_code == 200]
    assert len(successes) == 1, [r.text for r in replies]
    final = backend.get(f"/v1/sellers/{seller}/orders/{number}").json()
    assert final["status"] == successes[0].json()["status"]


def test_concurrent_new_numbers_never_collide(backend: Backend) -> None:
    seller = backend.new_seller()
    replies = _together([lambda s: backend.post("/v1/platform/orders", {
        "seller_id": seller, "lines": [{"sku": "S", "product": "P", "quantity": 1, "unit_price": "1.00"}]},
        role="platform", session=s) for _ in range(N)])
    assert [r.status_code for r in replies] == [201] * N
    assert len({r.json()["number"] for r in replies}) == N


def test_concurrent_wallet_payments_never_overdraw_the_wallet(backend: Backend) -> None:
    """Each payment checks the balance, then debits it: without a lock on the seller's wallet, concurrent
    payments all see the same balance and together spend more than it holds (PostgreSQL, READ COMMITTED)."""
    for _ in range(4):
        seller = backend.new_seller(top_up="20.00")
        # 15.00 plus 1.00 shipping: the wallet covers one of the four
        numbers = [backend.new_order(seller, "unpaid", lines=[(1, "15.00")])["number"] for _ in range(4)]
        replies = _together([
            lambda s, n=n: backend.post(f"/v1/platform/orders/{n}/pay", {"method": "balance"}, role="platform",
                                        session=s)
            for n in numbers])
        assert sorted(r.status_code for r in replies) == [200, 409, 409, 409], \
            [r.json().get("error", {}).get("code", r.json().get("status")) for r in replies]
        assert {r.json()["error"]["code"] for r in replies if r.status_code == 409} == {"insufficient_balance"}
        wallet = backend.get(f"/v1/sellers/{seller}/wallet?limit=100").json()
        assert wallet["balance"] == "4.00"
        paid = [r.json()["number"] for r in replies if r.status_code == 200]
        assert [(e["kind"], e["amount"], e["order_number"]) for e in wallet["items"]
                if e["kind"] == "order_payment"] == [("order_payment", "-16.00", paid[0])]


def _raw_insert_refused(backend: Backend, statements: list[tuple[str, dict]], constraint: str,
                        columns: str) -> str:
    """Run the statements in one transaction straight on the database (no API, no locks) and return the
    error of the one the database refused; the transaction is rolled back either way."""
    engine = make_engine(backend.db_url)
    try:
        with pytest.raises(IntegrityError) as refused, engine.begin() as connection:
            for sql, params in statements:
                connection.execute(text(sql), params)
        message = str(refused.value.orig)
        if backend.db_kind == "postgresql":
            assert refused.value.orig.pgcode == "23505" and constraint in message, message
        else:
            assert message == f"UNIQUE constraint failed: {columns}", message
        return message
    finally:
        engine.dispose()


def _copy_dispute(number: str, copy: str) -> tuple[str, dict]:
    return ("INSERT INTO disputes (number, order_id, expected_result, refund_type, reason, buyer_email, status, "
            "opened_at) SELECT :copy, order_id, expected_result, refund_type, reason, buyer_email, status, opened_at "
            "FROM disputes WHERE number = :number", {"number": number, "copy": copy})


_SECOND_LINE = ("INSERT INTO dispute_lines (dispute_id, order_line_id, active_line_id, quantity) "
                "SELECT c.id, l.order_line_id, {active}, 1 FROM disputes c, dispute_lines l JOIN disputes d "
                "ON d.id = l.dispute_id WHERE c.number = :copy AND d.number = :number")


def test_the_database_itself_refuses_a_second_active_dispute_on_an_order_line(backend: Backend) -> None:
    """The API's row locks serialise "open dispute" calls, so the UNIQUE constraint behind our
    one-active-dispute-per-line rule never fires there: prove it holds on its own, by inserting straight into
    the database a second dispute whose line is active on the same order line."""
    seller = backend.new_seller()
    order = backend.new_order(seller, "delivered", lines=[(1, "10.00")])
    first = backend.open_dispute(seller, order["number"])["number"]
    copy = f"SH{uuid.uuid4().int % 10**12:012d}"
    params = {"number": first, "copy": copy}
    _raw_insert_refused(backend, [_copy_dispute(first, copy), (_SECOND_LINE.format(active="l.order_line_id"), params)],
                        "uq_dispute_lines_one_active_dispute_per_order_line", "dispute_lines.active_line_id")
    # The same rows with the line not active (how an ended dispute keeps its lines) are accepted: the refusal
    # above was the one-active-line constraint, nothing else about the rows.
    engine = make_engine(backend.db_url)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            connection.execute(text(_copy_dispute(first, copy)[0]), params)
            connection.execute(text(_SECOND_LINE.format(active="NULL")), params)
            transaction.rollback()
    finally:
        engine.dispose()
    assert backend.get(f"/v1/sellers/{seller}/disputes?order_number={order['number']}").json()["total"] == 1


def _new_return(backend: Backend, seller: str, order_number: str) -> Any:
    """A return with a store link and a linked store image, as the seller's flow creates it."""
    image = backend.post(f"/v1/sellers/{seller}/evidence/links", {"url": "https://shop.example/store.png",
                                                                  "media": "image", "purpose": "store_image"})
    return backend.post(f"/v1/sellers/{seller}/returns", {"order_number": order_number,
                                                          "store_link": "https://shop.example/p/1",
                                                          "store_image_evidence_id": image.json()["id"]})


def test_the_database_itself_refuses_a_second_open_return_for_an_order(backend: Backend) -> None:
    seller = backend.new_seller()
    order = backend.new_order(seller, "delivered")
    made = _new_return(backend, seller, order["number"])
    assert made.status_code == 201, made.text
    copy = ("INSERT INTO returns (number, order_id, active_order_id, store_link, store_image_evidence_id, token, "
            "status, created_at) SELECT :copy, order_id, active_order_id, store_link, store_image_evidence_id, :token, "
            "status, created_at FROM returns WHERE number = :number",
            {"number": made.json()["number"], "copy": f"RT{uuid.uuid4().int % 10**12:012d}",
             "token": uuid.uuid4().hex})
    _raw_insert_refused(backend, [copy], "uq_returns_one_open_return_per_order", "returns.active_order_id")


def test_concurrent_closes_of_a_return_close_it_once(backend: Backend) -> None:
    seller = backend.new_seller()
    order = backend.new_order(seller, "delivered")
    made = _new_return(backend, seller, order["number"]).json()
    replies = _together([lambda s: backend.post(f"/v1/platform/returns/{made['number']}/close", {}, role="platform",
                                                session=s) for _ in range(N)])
    assert sorted(r.status_code for r in replies) == [200] + [409] * (N - 1), [r.text for r in replies]
    log = backend.get(f"/v1/sellers/{seller}/orders/{order['number']}/log?limit=100").json()["items"]
    assert [e["event"] for e in log].count("return_closed") == 1


def test_an_agent_deactivated_while_claiming_holds_no_ticket_afterwards(backend: Backend) -> None:
    """Claims in flight when the platform deactivates the agent either finish first (and the deactivation then
    releases their tickets) or see the agent inactive: no active ticket is left with a deactivated agent."""
    email = f"racer-{uuid.uuid4().hex[:10]}@alex.example"
    agent = backend.post("/v1/platform/agents", {"email": email, "name": "Racer", "password": "correct horse battery"},
                         role="platform").json()
    token = backend.post("/v1/agent/sessions", {"email": email, "password": "correct horse battery"},
                         role="console").json()["token"]
    body = {"seller_id": "S1001", "channel": "web", "reason": "seller_request", "summary": "Race."}
    numbers = [backend.put(f"/v1/conversations/web:race{uuid.uuid4().hex[:8]}:S1001/ticket", body).json()["number"]
               for _ in range(N - 1)]
    claims = [lambda s, n=n: backend.call("POST", f"/v1/agent/tickets/{n}/claim", "console", json_body={},
                                          agent_session=token, session=s) for n in numbers]
    deactivate = [lambda s: backend.post(f"/v1/platform/agents/{agent['id']}/deactivate", {}, role="platform",
                                         session=s)]
    replies = _together(claims[: N // 2] + deactivate + claims[N // 2:])
    assert {r.status_code for r in replies} <= {200, 401}, [r.text for r in replies]
    released = next(r for r in replies if r.request.url.endswith("/deactivate")).json()["tickets_released"]
    claimed = [n for n, r in zip(numbers, replies[: N // 2] + replies[N // 2 + 1:]) if r.status_code == 200]
    assert sorted(released) == sorted(claimed)
    supervisor = backend.post("/v1/agent/sessions", {"email": "supervisor@alex.example",
                                                     "password": backend.settings.demo_agent_password},
                              role="console").json()["token"]
    for number in numbers:
        detail = backend.call("GET", f"/v1/agent/tickets/{number}", "console", agent_session=supervisor).json()
        assert detail["assignee"] is None and detail["ticket"]["handoff"]["state"] == "waiting", number
