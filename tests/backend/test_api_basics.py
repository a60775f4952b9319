"""The API's ground rules over real HTTP, on both databases: keys and roles, scoping to one seller, the error
shape, pagination, size limits, and the served OpenAPI document."""

from __future__ import annotations

import time

import requests

from tests.backend.client import Backend


def test_an_order_is_read_with_its_lines_disputes_refunds_and_eligibility(backend: Backend) -> None:
    order = backend.get("/v1/sellers/S1001/orders/CJ2410180012345").json()
    assert (order["status"], order["amount"], order["currency"], order["kind"]) == ("completed", "42.50", "USD", "store")
    assert order["lines"] == [{"line_no": 1, "sku": "GD-EARBUD-01", "product": "Wireless earbuds", "quantity": 2,
                               "unit_price": "21.25", "amount": "42.50", "dispute_number": None}]
    [dispute] = order["disputes"]
    assert dispute["number"] == "SH2410200045" and dispute["status"] == "refunded"
    assert dispute["refund"]["method"] == "balance" and dispute["refund"]["status"] == "done"
    assert dispute["refund"]["ledger_entry_id"] is not None
    assert order["eligibility"]["cancel"] == {"allowed": False, "reason": "dispatched"}
    assert order["shipping"]["tracking_number"] == "YT2410180012345"


def test_another_sellers_objects_answer_byte_for_byte_like_unknown_ones(backend: Backend) -> None:
    pairs = [
        ("/v1/sellers/S1002/orders/CJ2410180012345", "/v1/sellers/S1002/orders/CJ2499999999999"),
        ("/v1/sellers/S1002/disputes/SH2410200045", "/v1/sellers/S1002/disputes/SH2499999999"),
        ("/v1/sellers/S1002/orders/CJ2410180012345/log", "/v1/sellers/S1002/orders/CJ2499999999999/log"),
        ("/v1/sellers/S1002/returns/RT2411070001", "/v1/sellers/S1002/returns/RT2499999999"),
        ("/v1/sellers/S9999/orders/CJ2410180012345", "/v1/sellers/S9999/orders/CJ2499999999999"),
    ]
    for foreign, unknown in pairs:
        a, b = backend.get(foreign), backend.get(unknown)
        assert a.status_code == b.status_code == 404, foreign
        assert a.content == b.content, foreign


def test_writes_on_another_sellers_order_answer_like_an_unknown_order(backend: Backend) -> None:
    foreign = backend.post("/v1/sellers/S1002/orders/CJ2410180012353/cancel")
    unknown = backend.post("/v1/sellers/S1002/orders/CJ2499999999999/cancel")
    assert foreign.status_code == unknown.status_code == 404 and foreign.content == unknown.content
    body = backend.dispute_body("S1002", "CJ2410180012355")
    foreign = backend.post("/v1/sellers/S1002/disputes", body)
    unknown = backend.post("/v1/sellers/S1002/disputes", {**body, "order_number": "CJ2499999999999"})
    assert foreign.status_code == unknown.status_code == 404 and foreign.content == unknown.content
    assert backend.get("/v1/sellers/S1001/orders/CJ2410180012353").json()["status"] == "unpaid"


def test_no_key_or_a_wrong_key_is_401_and_another_roles_key_is_403(backend: Backend) -> None:
    path = "/v1/sellers/S1001/orders/CJ2410180012345"
    for key in (None, "wrong-key"):
        reply = backend.get(path, role=None, key=key)
        assert reply.status_code == 401 and reply.json()["error"]["code"] == "unauthenticated"
    for role in ("console", "platform"):
        reply = backend.get(path, role=role)
        assert reply.status_code == 403 and reply.json()["error"]["code"] == "forbidden"
    reply = backend.post("/v1/platform/orders", {"seller_id": "S1001", "lines": []}, role="assistant")
    assert reply.status_code == 403


def test_malformed_numbers_and_bad_pagination_are_client_errors(backend: Backend) -> None:
    assert backend.get("/v1/sellers/S1001/orders/hello").json()["error"]["code"] == "malformed_number"
    assert backend.get("/v1/sellers/S1001/disputes/CJ2410180012345").status_code == 422
    for query in ("limit=0", "limit=1000", "offset=-1", "limit=abc", "limit=1&limit=2"):
        reply = backend.get(f"/v1/sellers/S1001/disputes?{query}")
        assert reply.status_code == 422, query
        assert reply.json()["error"]["code"] in ("bad_pagination", "validation_failed")


def test_lists_are_paged_newest_first_with_a_total(backend: Backend) -> None:
    first = backend.get("/v1/sellers/S1001/disputes?limit=3").json()
    second = backend.get("/v1/sellers/S1001/disputes?limit=3&offset=3").json()
    opened = [d["opened_at"] for d in first["items"] + second["items"]]
    assert opened == sorted(opened, reverse=True)
    assert not {d["number"] for d in first["items"]} & {d["number"] for d in second["items"]}
    assert first["total"] == second["total"] >= 6 and first["limit"] == 3 and second["offset"] == 3
    orders = backend.get("/v1/sellers/S1001/orders?status=unpaid&kind=store&limit=100").json()
    assert orders["total"] >= 5 and {o["status"] for o in orders["items"]} == {"unpaid"}


def test_a_huge_json_body_is_refused_before_it_is_read(backend: Backend) -> None:
    reply = backend.post("/v1/sellers/S1001/evidence/notes", data=b"{" + b" " * (200 * 1024) + b"}")
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "payload_too_large"


def test_every_write_needs_an_idempotency_key(backend: Backend) -> None:
    reply = backend.post("/v1/sellers/S1001/evidence/notes", {"text": "x", "purpose": "other"}, idempotency_key=None)
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "idempotency_key_required"
    reply = backend.post("/v1/sellers/S1001/evidence/notes", {"text": "x", "purpose": "other"},
                         idempotency_key="has space")
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "idempotency_key_invalid"


def test_the_openapi_document_is_served_and_names_every_operation_once(backend: Backend) -> None:
    document = backend.get("/v1/openapi.json", role="assistant").json()
    assert document["openapi"].startswith("3.")
    operation_ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids)) >= 40
    dispute_post = document["paths"]["/v1/sellers/{seller_id}/disputes"]["post"]
    assert "dispute_already_open" in dispute_post["responses"]["409"]["description"]
    assert requests.get(backend.url + "/v1/openapi.json", timeout=5).status_code == 401


def test_unknown_routes_and_methods_answer_in_the_error_shape(backend: Backend) -> None:
    reply = backend.get("/v1/nothing/here")
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "not_found"
    reply = backend.call("PATCH", "/v1/sellers/S1001")
    assert reply.status_code == 405 and reply.json()["error"]["code"] == "method_not_allowed"


def test_the_dispute_list_keeps_active_or_ended_disputes_combined_with_status_and_order(backend: Backend) -> None:
    seller = backend.new_seller()
    first = backend.new_order(seller, "dispatched")["number"]
    second = backend.new_order(seller, "delivered")["number"]
    still_open = backend.open_dispute(seller, first, lines=[{"line_no": 1, "quantity": 1}])["number"]
    cancelled = backend.open_dispute(seller, first, lines=[{"line_no": 2, "quantity": 2}])["number"]
    assert backend.post(f"/v1/sellers/{seller}/disputes/{cancelled}/cancel").status_code == 200
    proposed = backend.open_dispute(seller, second, expected_result="resend", refund_type=None)["number"]
    assert backend.post(f"/v1/platform/disputes/{proposed}/propose-resend", {"details": "New pair by ePacket."},
                        role="platform").status_code == 200

    def numbers(query: str) -> list[str]:
        reply = backend.get(f"/v1/sellers/{seller}/disputes?{query}")
        assert reply.status_code == 200, reply.text
        assert reply.json()["total"] == len(reply.json()["items"])
        return [d["number"] for d in reply.json()["items"]]

    assert numbers("active=true") == [proposed, still_open]
    assert numbers("active=false") == [cancelled]
    assert numbers(f"active=true&order_number={first}") == [still_open]
    assert numbers("active=true&status=resend_proposed") == [proposed]
    assert numbers("active=true&status=cancelled") == []
    assert numbers(f"active=false&status=cancelled&order_number={first}") == [cancelled]
    assert backend.get(f"/v1/sellers/{seller}/disputes?active=maybe").status_code == 422


def test_a_write_that_arrives_after_its_callers_deadline_is_refused_and_changes_nothing(backend: Backend) -> None:
    """A backend that hung and resumed must not carry out what the bot already told the seller had failed."""
    seller = backend.new_seller()
    number = backend.new_order(seller)["number"]
    late = backend.post(f"/v1/sellers/{seller}/orders/{number}/cancel", check=False,
                        headers={"X-Request-Deadline": f"{time.time() - 1:.3f}"})
    assert late.status_code == 503 and late.json()["error"]["code"] == "deadline_passed"
    assert backend.get(f"/v1/sellers/{seller}/orders/{number}").json()["status"] == "unpaid"
    in_time = backend.post(f"/v1/sellers/{seller}/orders/{number}/cancel",
                           headers={"X-Request-Deadline": f"{time.time() + 30:.3f}"})
    assert in_time.status_code == 200 and in_time.json()["status"] == "cancelled"
