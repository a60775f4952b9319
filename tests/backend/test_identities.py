"""Help-page account identities, which the platform links to and unlinks from sellers as it does WhatsApp
numbers; the seller's profile lists them. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from tests.backend.client import Backend

HELP_PAGE = "/v1/platform/identities/help-page"


def _identities(backend: Backend, seller: str) -> list[tuple[str, str]]:
    reply = backend.get(f"/v1/sellers/{seller}")
    assert reply.status_code == 200, reply.text
    return [(i["kind"], i["external_id"]) for i in reply.json()["identities"]]


def test_the_platform_links_moves_and_unlinks_a_help_page_account(backend: Backend) -> None:
    first, second = backend.new_seller(), backend.new_seller()
    account = f"acct-{uuid.uuid4().hex[:12]}"
    linked = backend.put(f"{HELP_PAGE}/{account}", {"seller_id": first}, role="platform")
    assert linked.status_code == 200
    assert {k: v for k, v in linked.json().items() if k != "linked_at"} == {"account_id": account, "seller_id": first}
    assert ("help_page", account) in _identities(backend, first)
    assert backend.get(f"{HELP_PAGE}/{account}", role="platform").json() == linked.json()
    same = backend.put(f"{HELP_PAGE}/{account}", {"seller_id": first}, role="platform")
    assert same.json() == linked.json()  # relinking to the same seller keeps the first link time
    moved = backend.put(f"{HELP_PAGE}/{account}", {"seller_id": second}, role="platform")
    assert moved.status_code == 200 and moved.json()["seller_id"] == second
    assert ("help_page", account) not in _identities(backend, first)
    assert ("help_page", account) in _identities(backend, second)
    gone = backend.call("DELETE", f"{HELP_PAGE}/{account}", role="platform")
    assert gone.status_code == 200 and gone.json() == {"account_id": account, "unlinked": True}
    assert ("help_page", account) not in _identities(backend, second)
    for method in ("GET", "DELETE"):
        reply = backend.call(method, f"{HELP_PAGE}/{account}", role="platform")
        assert reply.status_code == 404 and reply.json()["error"]["code"] == "identity_not_found", method


def test_bad_input_on_help_page_links_is_a_client_error(backend: Backend) -> None:
    account = f"acct-{uuid.uuid4().hex[:12]}"
    unknown_seller = backend.put(f"{HELP_PAGE}/{account}", {"seller_id": "Tnobody"}, role="platform")
    assert unknown_seller.status_code == 404 and unknown_seller.json()["error"]["code"] == "seller_not_found"
    for bad in ("has%20space", "x" * 65, "%C3%A9t%C3%A9", "a%2Fb"):
        reply = backend.put(f"{HELP_PAGE}/{bad}", {"seller_id": "S1001"}, role="platform")
        assert reply.status_code == 404 and reply.json()["error"]["code"] == "identity_not_found", bad
        assert backend.call("DELETE", f"{HELP_PAGE}/{bad}", role="platform").status_code == 404, bad
    for body in ({}, {"seller_id": "S1001", "extra": 1}, {"seller_id": 5}, {"seller_id": "has space"}):
        reply = backend.put(f"{HELP_PAGE}/{account}", body, role="platform")
        assert reply.status_code == 422 and reply.json()["error"]["code"] == "validation_failed", body
    no_key = backend.put(f"{HELP_PAGE}/{account}", {"seller_id": "S1001"}, role="platform", idempotency_key=None)
    assert no_key.status_code == 400 and no_key.json()["error"]["code"] == "idempotency_key_required"
    no_key = backend.call("DELETE", f"{HELP_PAGE}/{account}", role="platform", idempotency_key=None)
    assert no_key.status_code == 400
    assert backend.put(f"{HELP_PAGE}/{account}", {"seller_id": "S1001"}, role="assistant").status_code == 403
    assert backend.get(f"{HELP_PAGE}/{account}", role="platform").status_code == 404  # nothing was linked
    document = backend.get("/v1/openapi.json", role="platform").json()["paths"][f"{HELP_PAGE}/{{account_id}}"]
    assert set(document) == {"get", "put", "delete"}
    assert "seller_not_found" in document["put"]["responses"]["404"]["description"]


def test_the_demo_sellers_help_page_accounts_are_readable(backend: Backend) -> None:
    reply = backend.get(f"{HELP_PAGE}/S1001", role="platform")
    assert reply.status_code == 200 and reply.json()["seller_id"] == "S1001"
