"""Returns after the link (seed 000 §4.3-4.4): the platform records that the buyer submitted the form and
closes the return, along `rules.RETURN_TRANSITIONS`, with each step in the order log; a closed return frees
the order for the next one. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.backend.client import Backend


@pytest.fixture(scope="module")
def seller(backend: Backend) -> str:
    return backend.new_seller()


@pytest.fixture(scope="module")
def store_image(backend: Backend, seller: str) -> str:
    reply = backend.post(f"/v1/sellers/{seller}/evidence/links", {"url": "https://shop.example/store.png",
                                                                  "media": "image", "purpose": "store_image"})
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def _new_return(backend: Backend, seller: str, image: str, order_number: str) -> dict:
    reply = backend.post(f"/v1/sellers/{seller}/returns", {"order_number": order_number,
                                                           "store_link": "https://shop.example/p/1",
                                                           "store_image_evidence_id": image})
    assert reply.status_code == 201, reply.text
    return reply.json()


def _step(backend: Backend, number: str, step: str, body: dict | None = None):  # type: ignore[no-untyped-def]
    return backend.post(f"/v1/platform/returns/{number}/{step}", body if body is not None else {}, role="platform")


def test_a_return_goes_from_link_to_buyer_form_to_closed_and_then_the_order_takes_another(
    backend: Backend, seller: str, store_image: str
) -> None:
    order = backend.new_order(seller, "delivered")["number"]
    made = _new_return(backend, seller, store_image, order)
    assert made["status"] == "link_sent"
    submitted = _step(backend, made["number"], "buyer-submitted")
    assert submitted.status_code == 200 and submitted.json() == {**made, "status": "buyer_submitted"}
    view = backend.get(f"/v1/sellers/{seller}/orders/{order}").json()
    assert view["eligibility"]["return"] == {"allowed": False, "reason": "return_open"}
    again = _step(backend, made["number"], "buyer-submitted")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    assert again.json()["error"]["details"] == {"status": "buyer_submitted", "target": "buyer_submitted",
                                                "allowed": ["closed"]}
    closed = _step(backend, made["number"], "close", {"note": "Refunded after the item came back."})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert backend.get(f"/v1/sellers/{seller}/returns/{made['number']}").json()["status"] == "closed"
    view = backend.get(f"/v1/sellers/{seller}/orders/{order}").json()
    assert view["eligibility"]["return"] == {"allowed": True, "reason": None}
    assert [r["status"] for r in view["returns"]] == ["closed"]
    log = backend.get(f"/v1/sellers/{seller}/orders/{order}/log").json()["items"]
    assert [(e["event"], e["actor"]) for e in log[-3:]] == [
        ("return_requested", "seller"), ("return_submitted", "platform"), ("return_closed", "platform")]
    assert log[-1]["message"] == f"Return {made['number']} closed: Refunded after the item came back."
    twice = _step(backend, made["number"], "close")
    assert twice.status_code == 409 and twice.json()["error"]["details"]["allowed"] == []
    second = _new_return(backend, seller, store_image, order)
    assert second["number"] != made["number"] and second["return_link"] != made["return_link"]
    assert second["status"] == "link_sent"


def test_the_platform_may_close_a_link_the_buyer_never_used(backend: Backend, seller: str, store_image: str) -> None:
    order = backend.new_order(seller, "completed")["number"]
    made = _new_return(backend, seller, store_image, order)
    closed = _step(backend, made["number"], "close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    late = _step(backend, made["number"], "buyer-submitted")
    assert late.status_code == 409 and late.json()["error"]["details"] == {
        "status": "closed", "target": "buyer_submitted", "allowed": []}
    log = backend.get(f"/v1/sellers/{seller}/orders/{order}/log").json()["items"]
    assert log[-1]["event"] == "return_closed" and log[-1]["message"] == f"Return {made['number']} closed."


def test_the_platform_reads_any_return_and_bad_input_is_a_client_error(
    backend: Backend, seller: str, store_image: str
) -> None:
    made = _new_return(backend, seller, store_image, backend.new_order(seller, "delivered")["number"])
    number = made["number"]
    assert backend.get(f"/v1/platform/returns/{number}", role="platform").json() == made
    assert backend.get(f"/v1/platform/returns/{number.lower()}", role="platform").json() == made
    unknown = backend.get("/v1/platform/returns/RT000000000000", role="platform")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "return_not_found"
    for step in ("buyer-submitted", "close"):
        assert _step(backend, "RT000000000000", step).status_code == 404
        malformed = _step(backend, "CJ2410180012345", step)
        assert malformed.status_code == 422 and malformed.json()["error"]["code"] == "malformed_number"
    assert _step(backend, number, "buyer-submitted", {"note": "x"}).status_code == 422  # takes no body
    for body in ({"note": "x" * 201}, {"note": ""}, {"note": "ok", "extra": 1}, {"note": 5}):
        reply = _step(backend, number, "close", body)
        assert reply.status_code == 422 and reply.json()["error"]["code"] == "validation_failed", body
    no_key = backend.post(f"/v1/platform/returns/{number}/close", {}, role="platform", idempotency_key=None)
    assert no_key.status_code == 400 and no_key.json()["error"]["code"] == "idempotency_key_required"
    assert backend.post(f"/v1/platform/returns/{number}/close", {}, role="assistant").status_code == 403
    assert backend.get(f"/v1/sellers/{seller}/returns/{number}").json()["status"] == "link_sent"
    replayed_key = f"close-{number}"
    first = backend.post(f"/v1/platform/returns/{number}/close", {}, role="platform", idempotency_key=replayed_key)
    replay = backend.post(f"/v1/platform/returns/{number}/close", {}, role="platform", idempotency_key=replayed_key)
    assert first.status_code == replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"


def test_the_new_operations_are_in_the_served_document(backend: Backend) -> None:
    paths = backend.get("/v1/openapi.json", role="platform").json()["paths"]
    for path, method in (("/v1/platform/returns/{number}", "get"),
                         ("/v1/platform/returns/{number}/buyer-submitted", "post"),
                         ("/v1/platform/returns/{number}/close", "post")):
        operation = paths[path][method]
        assert operation["x-role"] == "platform"
        if method != "get":
            assert "invalid_transition" in operation["responses"]["409"]["description"]
            assert any(p["name"] == "Idempotency-Key" and p["required"] for p in operation["parameters"])
