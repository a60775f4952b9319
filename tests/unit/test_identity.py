import time

import jwt
import pytest

from bot.identity import (
    InvalidIdentity,
    bind_conversation,
    mint_seller_token,
    seller_of_conversation,
    verify_seller_token,
)

SECRET = "test-identity-secret-0123456789abcdef"


def test_a_token_minted_for_a_seller_verifies_to_that_seller() -> None:
    assert verify_seller_token(mint_seller_token("S1001", SECRET), SECRET) == "S1001"


def test_a_token_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(InvalidIdentity):
        verify_seller_token(mint_seller_token("S1001", "someone-elses-secret-0123456789abcdef"), SECRET)


def test_an_expired_token_is_refused() -> None:
    with pytest.raises(InvalidIdentity):
        verify_seller_token(mint_seller_token("S1001", SECRET, ttl_seconds=-5), SECRET)


def test_a_token_for_another_audience_or_without_expiry_is_refused() -> None:
    now = int(time.time())
    other_audience = jwt.encode(
        {"sub": "S1001", "iss": "platform", "aud": "billing", "iat": now, "exp": now + 60}, SECRET, "HS256"
    )
    no_expiry = jwt.encode({"sub": "S1001", "iss": "platform", "aud": "alex", "iat": now}, SECRET, "HS256")
    for token in (other_audience, no_expiry, "", None, "not.a.token"):
        with pytest.raises(InvalidIdentity):
            verify_seller_token(token, SECRET)


def test_unsigned_tokens_are_refused() -> None:
    unsigned = jwt.encode({"sub": "S1001", "iss": "platform", "aud": "alex", "iat": 1, "exp": 2**40}, None, "none")
    with pytest.raises(InvalidIdentity):
        verify_seller_token(unsigned, SECRET)


def test_a_binding_names_the_seller_of_its_own_conversation_only() -> None:
    metadata = bind_conversation("web:main:S1001", "S1001", SECRET)
    assert seller_of_conversation("web:main:S1001", metadata, SECRET) == "S1001"
    with pytest.raises(InvalidIdentity):
        seller_of_conversation("web:main:S1002", metadata, SECRET)


def test_a_binding_with_a_swapped_seller_or_no_binding_is_refused() -> None:
    metadata = bind_conversation("web:main:S1001", "S1001", SECRET)
    metadata["seller_binding"]["seller_id"] = "S1002"
    for forged in (metadata, {}, None, {"seller_binding": "S1001"}):
        with pytest.raises(InvalidIdentity):
            seller_of_conversation("web:main:S1001", forged, SECRET)
