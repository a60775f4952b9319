"""The platform's rules, enforced by the backend (seeds 000-002) and our own (one active dispute per line),
each on a fresh order made through the platform API, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.backend.client import Backend


@pytest.fixture(scope="module")
def seller(backend: Backend) -> str:
    return backend.new_seller()


def _order(backend: Backend, seller: str, number: str) -> dict:
    return backend.get(f"/v1/sellers/{seller}/orders/{number}").json()


def test_an_unpaid_order_can_be_cancelled_once(backend: Backend, seller: str) -> None:
    order = backend.new_order(seller, "unpaid")
    assert order["eligibility"]["cancel"] == {"allowed": True, "reason": None}
    cancelled = backend.post(f"/v1/sellers/{seller}/orders/{order['number']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = backend.post(f"/v1/sellers/{seller}/orders/{order['number']}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["details"] == {"status": "cancelled", "reason": "already_cancelled"}


def test_a_paid_order_cannot_be_cancelled_and_the_answer_points_to_a_refund_dispute(backend: Backend, seller: str) -> None:
    order = backend.new_order(seller, "paid")
    reply = backend.post(f"/v1/sellers/{seller}/orders/{order['number']}/cancel")
    assert reply.status_code == 409
    error = reply.json()["error"]
    assert error["code"] == "order_not_cancellable"
    assert error["details"] == {"status": "paid", "reason": "paid_not_dispatched"}
    assert "dispute for a refund" in error["message"]


def test_a_paid_undispatched_order_takes_a_refund_dispute_only(backend: Backend, seller: str) -> None:
    order = backend.new_order(seller, "paid")
    assert order["eligibility"]["dispute"]["expected_results"] == ["refund"]
    resend = backend.post(f"/v1/sellers/{seller}/disputes",
                          backend.dispute_body(seller, order["number"], expected_result="resend", refund_type=None))
    assert resend.status_code == 422 and resend.json()["error"]["code"] == "refund_only_before_dispatch"
    refund = backend.post(f"/v1/sellers/{seller}/disputes",
                          backend.dispute_body(seller, order["number"], reason="cancel_before_dispatch"))
    assert refund.status_code == 201 and refund.json()["expected_result"] == "refund"


@pytest.mark.parametrize("status", ["unpaid", "closed", "cancelled"])
def test_no_dispute_on_an_unpaid_closed_or_cancelled_order(backend: Backend, seller: str, status: str) -> None:
    order = backend.new_order(seller, status)
    assert order["eligibility"]["dispute"]["allowed"] is False
    assert order["eligibility"]["dispute"]["reason"] == status
    reply = backend.post(f"/v1/sellers/{seller}/disputes", backend.dispute_body(seller, order["number"]))
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "order_not_disputable"
    assert reply.json()["error"]["details"]["reason"] == status


def test_opening_a_dispute_stops_processing_and_cancelling_it_resumes(backend: Backend, seller: str) -> None:
    order = backend.new_order(seller, "paid")
    assert order["processing"] == "running"
    dispute = backend.open_dispute(seller, order["number"], reason="cancel_before_dispatch")
    assert dispute["order_processing"] == "stopped_by_dispute"
    blocked = backend.post(f"/v1/platform/orders/{order['number']}/dispatch",
                           {"carrier": "YunExpress", "tracking_number": "YT1"}, role="platform")
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "processing_stopped"
    cancelled = backend.post(f"/v1/sellers/{seller}/disputes/{dispute['number']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["order_processing"] == "running"
    assert _order(backend, seller, order["number"])["processing"] == "running"
    again = backend.post(f"/v1/sellers/{seller}/disputes/{dispute['number']}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "dispute_not_open"
    events = [e["event"] for e in backend.get(f"/v1/sellers/{seller}/orders/{order['number']}/log").json()["items"]]
    assert events[-2:] == ["dispute_opened", "dispute_cancelled"]


def test_at_most_one_active_dispute_per_order_line_our_own_rule(backend: Backend, seller: str) -> None:
    order = backend.new_order(seller, "delivered", lines=[(1, "10.00"), (1, "20.00"), (3, "1.00")])
    first = backend.open_dispute(seller, order["number"], lines=[{"line_no": 1, "quantity": 1}])
    assert first["line_nos"] == [1]
    clash = backend.post(f"/v1/sellers/{seller}/disputes", backend.dispute_body(
        seller, order["number"], lines=[{"line_no": 1, "quantity": 1}, {"line_no": 2, "quantity": 1}]))
    assert clash.status_code == 409
    assert clash.json()["error"]["code"] == "dispute_already_open"
    assert clash.json()["error"]["details"] == {"line_nos": [1], "dispute_numbers": [first["number"]]}
    second = backend.open_dispute(seller, order["number"], lines=[{"line_no": 3, "quantity": 2}])
    view = _order(backend, seller, order["number"])
    assert [line["dispute_number"] for line in view["lines"]] == [first["number"], None, second["number"]]
    assert view["eligibility"]["dispute"]["line_nos"] == [2]
    backend.post(f"/v1/sellers/{seller}/disputes/{first['number']}/cancel")
    assert _order(backend, seller, order["number"])["processing"] == "stopped_by_dispute"  # the second still holds it
    again = backend.open_dispute(seller, order["number"], lines=[{"line_no": 1, "quantity": 1}])
    assert again["status"] == "open"


def test_lines_and_quantities_must_exist_on_the_order(backend: Backend, seller: str) -> None:
    order = backend.new_order(seller, "dispatched", lines=[(2, "3.00")])
    for lines in ([{"line_no": 2, "quantity": 1}], [{"line_no": 1, "quantity": 3}],
                  [{"line_no": 1, "quantity": 1}, {"line_no": 1, "quantity": 1}]):
        reply = backend.post(f"/v1/sellers/{seller}/disputes", backend.dispute_body(seller, order["number"], lines=lines))
        assert reply.status_code == 422 and reply.json()["error"]["code"] == "validation_failed", lines


def test_store_orders_need_the_buyers_complaint_and_email(backend: Backend, seller: str) -> None:
    order = backend.new_order(seller, "dispatched")
    reply = backend.post(f"/v1/sellers/{seller}/disputes",
                         backend.dispute_body(seller, order["number"], buyer_email=None, evidence_ids=[]))
    assert reply.status_code == 422
    assert reply.json()["error"] == {"code": "proof_required", "message": reply.json()["error"]["message"],
                                     "details": {"missing": ["buyer_email", "buyer_complaint"]}}


def test_damaged_or_wrong_items_need_photos_or_video(backend: Backend, seller: str) -> None:
    order = backend.new_order(seller, "delivered")
    for reason in ("damaged_product", "wrong_product"):
        reply = backend.post(f"/v1/sellers/{seller}/disputes", backend.dispute_body(seller, order["number"], reason=reason))
        assert reply.json()["error"]["details"] == {"missing": ["product_media"]}, reason
    photo = backend.photo_link(seller)
    dispute = backend.open_dispute(seller, order["number"], reason="damaged_product",
                                   evidence_ids=[backend.note(seller), photo])
    assert {e["id"] for e in dispute["evidence"]} >= {photo}


def test_sample_wholesale_and_preorder_disputes_need_the_same_proof_as_store_orders(
    backend: Backend, seller: str
) -> None:
    for kind in ("sample", "wholesale", "preorder"):
        order = backend.new_order(seller, "dispatched", kind=kind)
        assert order["number"].startswith("ZF" if kind == "wholesale" else "CJ")
        proof = order["eligibility"]["dispute"]["proof"]
        assert proof["delayed_order"] == ["buyer_email", "buyer_complaint"]
        assert proof["damaged_product"] == ["buyer_email", "buyer_complaint", "product_media"]
        reply = backend.post(f"/v1/sellers/{seller}/disputes",
                             backend.dispute_body(seller, order["number"], buyer_email=None, evidence_ids=[]))
        assert reply.json()["error"]["details"] == {"missing": ["buyer_email", "buyer_complaint"]}, kind


def test_another_sellers_evidence_is_refused_like_unknown_evidence(backend: Backend, seller: str) -> None:
    order = backend.new_order(seller, "dispatched")
    foreign = backend.note("S1002")
    reply = backend.post(f"/v1/sellers/{seller}/disputes",
                         backend.dispute_body(seller, order["number"], evidence_ids=[foreign]))
    unknown = backend.post(f"/v1/sellers/{seller}/disputes",
                           backend.dispute_body(seller, order["number"], evidence_ids=["ev_" + "x" * 22]))
    assert reply.status_code == unknown.status_code == 422
    assert reply.json()["error"]["code"] == unknown.json()["error"]["code"] == "evidence_not_found"


def test_a_seller_may_add_messages_to_an_open_dispute_only(backend: Backend, seller: str) -> None:
    order = backend.new_order(seller, "dispatched")
    dispute = backend.open_dispute(seller, order["number"])
    more = backend.photo_link(seller)
    reply = backend.post(f"/v1/sellers/{seller}/disputes/{dispute['number']}/messages",
                         {"body": "Here is a photo of the parcel.", "evidence_ids": [more]})
    assert reply.status_code == 201
    messages = reply.json()["messages"]
    assert [m["body"] for m in messages] == ["Where is it?", "Here is a photo of the parcel."]
    assert messages[1]["evidence_ids"] == [more]
    backend.post(f"/v1/platform/disputes/{dispute['number']}/reject", {"note": "Within the delivery window."},
                 role="platform")
    closed = backend.post(f"/v1/sellers/{seller}/disputes/{dispute['number']}/messages", {"body": "Why?"})
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "dispute_not_open"


def test_a_proposed_resend_waits_for_the_sellers_agreement(backend: Backend, seller: str) -> None:
    order = backend.new_order(seller, "delivered")
    dispute = backend.open_dispute(seller, order["number"], expected_result="resend", refund_type=None,
                                   reason="missing_product")
    number = dispute["number"]
    early = backend.post(f"/v1/sellers/{seller}/disputes/{number}/resend/agree")
    assert early.status_code == 409 and early.json()["error"]["code"] == "no_resend_proposed"
    not_yet = backend.post(f"/v1/platform/disputes/{number}/ship-resend", {"carrier": "YunExpress",
                                                                           "tracking_number": "YT9"}, role="platform")
    assert not_yet.status_code == 409
    proposed = backend.post(f"/v1/platform/disputes/{number}/propose-resend",
                            {"details": "Resend 1 x Product 1 with YunExpress."}, role="platform").json()
    assert proposed["status"] == "resend_proposed" and proposed["resend"]["agreed_at"] is None
    agreed = backend.post(f"/v1/sellers/{seller}/disputes/{number}/resend/agree")
    assert agreed.status_code == 200 and agreed.json()["status"] == "resend_agreed"
    assert agreed.json()["resend"]["agreed_at"] is not None
    assert backend.post(f"/v1/sellers/{seller}/disputes/{number}/cancel").status_code == 409
    shipped = backend.post(f"/v1/platform/disputes/{number}/ship-resend", {"carrier": "YunExpress",
                                                                           "tracking_number": "YT9"}, role="platform")
    assert shipped.json()["status"] == "resent" and shipped.json()["order_processing"] == "running"


@pytest.mark.parametrize("method, account", [("balance", "balance"), ("original", "original")])
def test_a_paid_out_refund_has_exactly_one_ledger_entry_on_the_right_account(
    backend: Backend, seller: str, method: str, account: str
) -> None:
    balance_before = backend.get(f"/v1/sellers/{seller}/wallet").json()["balance"]
    order = backend.new_order(seller, "dispatched", lines=[(1, "10.00"), (1, "5.00")])
    dispute = backend.open_dispute(seller, order["number"], refund_type=method, lines=[{"line_no": 2, "quantity": 1}])
    number = dispute["number"]
    approved = backend.post(f"/v1/platform/disputes/{number}/approve-refund", {}, role="platform").json()
    assert approved["refund"]["amount"] == "5.00" and approved["refund"]["status"] == "pending"
    paid = backend.post(f"/v1/platform/disputes/{number}/refund/pay-out", role="platform").json()
    assert paid["refund"]["status"] == "done" and paid["refund"]["ledger_entry_id"] is not None
    twice = backend.post(f"/v1/platform/disputes/{number}/refund/pay-out", role="platform")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "refund_not_pending"
    entries = [e for e in backend.get(f"/v1/sellers/{seller}/wallet?account={account}&limit=100").json()["items"]
               if e["dispute_number"] == number]
    assert [(e["amount"], e["kind"]) for e in entries] == [("5.00", "refund")]
    wallet = backend.get(f"/v1/sellers/{seller}/wallet").json()
    expected = float(balance_before) + (5.0 if method == "balance" else 0.0)
    assert float(wallet["balance"]) == pytest.approx(expected)
    refunds = backend.get(f"/v1/sellers/{seller}/refunds").json()["items"]
    assert refunds[0]["dispute_number"] == number and refunds[0]["method"] == method


def test_a_refund_never_exceeds_what_the_disputed_lines_are_worth(backend: Backend, seller: str) -> None:
    order = backend.new_order(seller, "dispatched", lines=[(2, "4.00")])
    dispute = backend.open_dispute(seller, order["number"])
    too_much = backend.post(f"/v1/platform/disputes/{dispute['number']}/approve-refund", {"amount": "9.01"},
                            role="platform")
    assert too_much.status_code == 422 and too_much.json()["error"]["details"] == {"max_amount": "9.00"}
    assert too_much.json()["error"]["code"] == "refund_amount_invalid"


def test_a_return_link_is_made_for_a_delivered_store_order_once(backend: Backend, seller: str) -> None:
    image = backend.post(f"/v1/sellers/{seller}/evidence/links", {"url": "https://shop.example/store.png",
                                                                  "media": "image", "purpose": "store_image"}).json()["id"]
    undelivered = backend.new_order(seller, "dispatched")
    body = {"order_number": undelivered["number"], "store_link": "https://shop.example/p/1",
            "store_image_evidence_id": image}
    early = backend.post(f"/v1/sellers/{seller}/returns", body)
    assert early.status_code == 409 and early.json()["error"]["details"]["reason"] == "not_delivered"
    assert early.json()["error"]["code"] == "order_not_returnable"
    order = backend.new_order(seller, "delivered")
    created = backend.post(f"/v1/sellers/{seller}/returns", {**body, "order_number": order["number"]})
    assert created.status_code == 201
    made = created.json()
    assert made["number"].startswith("RT") and made["return_link"].startswith("https://")
    assert backend.get(f"/v1/sellers/{seller}/returns/{made['number']}").json() == made
    second = backend.post(f"/v1/sellers/{seller}/returns", {**body, "order_number": order["number"]})
    assert second.status_code == 409 and second.json()["error"]["details"]["reason"] == "return_open"
    sample = backend.new_order(seller, "delivered", kind="sample")
    assert sample["eligibility"]["return"] == {"allowed": False, "reason": "not_a_store_order"}
    note = backend.note(seller)
    not_image = backend.post(f"/v1/sellers/{seller}/returns", {**body, "order_number": backend.new_order(
        seller, "completed")["number"], "store_image_evidence_id": note})
    assert not_image.status_code == 422 and not_image.json()["error"]["code"] == "store_image_required"


def test_paying_from_the_wallet_debits_it_and_refuses_what_it_cannot_cover(backend: Backend) -> None:
    seller = backend.new_seller(top_up="20.00")
    order = backend.new_order(seller, "unpaid", lines=[(1, "15.00")])
    paid = backend.post(f"/v1/platform/orders/{order['number']}/pay", {"method": "balance"}, role="platform")
    assert paid.status_code == 200
    assert backend.get(f"/v1/sellers/{seller}/wallet").json()["balance"] == "4.00"
    other = backend.new_order(seller, "unpaid", lines=[(1, "15.00")])
    refused = backend.post(f"/v1/platform/orders/{other['number']}/pay", {"method": "balance"}, role="platform")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "insufficient_balance"
