"""The seller's identity: a signed token issued by the platform, verified on our side.

The help page already knows who is logged in; it hands the chat a short-lived token signed with the identity
secret. Every channel verifies it and binds the conversation to its subject, and the actions verify it again
before they touch the backend, so no message text, client metadata or sender id can choose the seller.
The terminal chat and the tests mint tokens for demo sellers and go through the same checks.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import jwt

ISSUER = "platform"
AUDIENCE = "alex"
_ALGORITHM = "HS256"
DEFAULT_TTL_SECONDS = 8 * 3600


class InvalidIdentity(Exception):
    """The token is missing, forged, expired or meant for someone else."""


def mint_seller_token(seller_id: str, secret: str, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> str:
    """Sign a token that says: this client is seller `seller_id` (what the platform does at login)."""
    now = int(time.time())
    claims = {"sub": seller_id, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def verify_seller_token(token: str | None, secret: str) -> str:
    """Return the seller id a valid token names, or raise InvalidIdentity."""
    return verified_seller_claims(token, secret)[0]


def verified_seller_claims(token: str | None, secret: str) -> tuple[str, int]:
    """The seller id and expiry (Unix time) of a valid token, or raise InvalidIdentity.

    A long-lived connection (the web chat's socket) keeps the expiry, so the token keeps mattering after the
    handshake instead of only gating it.
    """
    if not token or not secret:
        raise InvalidIdentity("no token")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat", "iss", "aud"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidIdentity(str(error)) from error
    seller_id = claims["sub"]
    if not isinstance(seller_id, str) or not seller_id:
        raise InvalidIdentity("no subject")
    return seller_id, int(claims["exp"])


_BINDING_KEY = "seller_binding"


def _binding_signature(sender_id: str, seller_id: str, secret: str) -> str:
    message = f"alex-conversation-binding\x1f{sender_id}\x1f{seller_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def bind_conversation(sender_id: str, seller_id: str, secret: str) -> dict[str, dict[str, str]]:
    """Message metadata that ties this conversation to a verified seller.

    A channel adds it after verifying the seller's token; the actions check the signature before they act.
    Unlike the token itself it is no bearer credential: it is only valid for this one conversation id.
    """
    signature = _binding_signature(sender_id, seller_id, secret)
    return {_BINDING_KEY: {"seller_id": seller_id, "signature": signature}}


def seller_of_conversation(sender_id: str, metadata: dict | None, secret: str) -> str:
    """The seller a channel bound to this conversation, or raise InvalidIdentity."""
    binding = (metadata or {}).get(_BINDING_KEY)
    if not isinstance(binding, dict):
        raise InvalidIdentity("conversation not bound to a seller")
    seller_id, signature = binding.get("seller_id"), binding.get("signature")
    if not isinstance(seller_id, str) or not isinstance(signature, str) or not secret:
        raise InvalidIdentity("malformed binding")
    if not hmac.compare_digest(signature, _binding_signature(sender_id, seller_id, secret)):
        raise InvalidIdentity("binding signature mismatch")
    return seller_id
