"""The backend's read API over real HTTP: authenticated callers only, every read scoped to one seller."""

import requests

from bot.settings import Settings


def get(settings: Settings, path: str, key: str | None = "default") -> requests.Response:
    headers = {} if key is None else {"Authorization": f"Bearer {settings.backend_key if key == 'default' else key}"}
    return requests.get(settings.backend_url + path, headers=headers, timeout=5)


def test_an_order_is_read_with_its_disputes_and_refunds(backend_only: Settings) -> None:
    order = get(backend_only, "/v1/sellers/S1001/orders/CJ2410180012345").json()
    assert order["status"] == "completed"
    assert order["amount"] == "42.50" and order["currency"] == "USD"
    [dispute] = order["disputes"]
    assert dispute["number"] == "SH2410200045" and dispute["status"] == "refunded"
    assert dispute["refund"]["method"] == "balance" and dispute["refund"]["status"] == "done"
    assert dispute["refund"]["wallet_entry_id"] is not None


def test_another_sellers_order_answers_exactly_like_an_unknown_one(backend_only: Settings) -> None:
    foreign = get(backend_only, "/v1/sellers/S1002/orders/CJ2410180012345")
    unknown = get(backend_only, "/v1/sellers/S1002/orders/CJ2499999999999")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()
    foreign_dispute = get(backend_only, "/v1/sellers/S1002/disputes/SH2410200045")
    assert foreign_dispute.status_code == 404


def test_every_call_needs_the_service_key(backend_only: Settings) -> None:
    for key in (None, "wrong-key"):
        reply = get(backend_only, "/v1/sellers/S1001/orders/CJ2410180012345", key=key)
        assert reply.status_code == 401
        assert reply.json()["error"]["code"] == "unauthenticated"


def test_malformed_numbers_and_pagination_are_client_errors(backend_only: Settings) -> None:
    assert get(backend_only, "/v1/sellers/S1001/orders/hello").status_code == 422
    assert get(backend_only, "/v1/sellers/S1001/disputes/CJ2410180012345").status_code == 422
    for query in ("limit=0", "limit=1000", "offset=-1", "limit=abc"):
        reply = get(backend_only, f"/v1/sellers/S1001/disputes?{query}")
        assert reply.status_code == 422, query
        assert reply.json()["error"]["code"] == "bad_pagination"


def test_disputes_are_listed_newest_first_and_paged(backend_only: Settings) -> None:
    first = get(backend_only, "/v1/sellers/S1001/disputes?limit=3").json()["items"]
    second = get(backend_only, "/v1/sellers/S1001/disputes?limit=3&offset=3").json()["items"]
    opened = [d["opened_at"] for d in first + second]
    assert opened == sorted(opened, reverse=True)
    assert not {d["number"] for d in first} & {d["number"] for d in second}
    assert all(d["order_number"].startswith("CJ24101800") for d in first + second)


def test_a_huge_request_body_is_refused(backend_only: Settings) -> None:
    reply = requests.post(
        backend_only.backend_url + "/v1/sellers/S1001/disputes",
        data=b"x" * (200 * 1024),
        headers={"Authorization": f"Bearer {backend_only.backend_key}"},
        timeout=5,
    )
    assert reply.status_code in (405, 413)
