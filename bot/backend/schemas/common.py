"""Shared pieces of the schemas: a strict base model, text and identifier types, pages, errors."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Generic, List, Optional, TypeVar

from pydantic import BaseModel, Extra, conint, constr, validator
from pydantic.generics import GenericModel

from bot.backend.money import AMOUNT_PATTERN, CURRENCIES

# Visible text: no NUL or other control characters (PostgreSQL refuses NUL), at least one non-space character.
_CTRL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
TEXT_PATTERN = rf"^[^{_CTRL}]*[^\s{_CTRL}][^{_CTRL}]*$"
IDENTIFIER_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
# A WhatsApp sender: a number (E.164), or Meta's business-scoped user id for a seller known only by a username
# (country code, dot, optionally ENT., up to 128 letters and digits; WhatsApp's business-scoped-user-ids docs).
WHATSAPP_SENDER_PATTERN = r"^(\+[1-9][0-9]{6,14}|[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128})$"
EMAIL_PATTERN = r"^[^@\s\x00-\x1f]{1,64}@[^@\s\x00-\x1f]{1,190}\.[^@\s.\x00-\x1f]{2,63}$"
URL_PATTERN = r"^https?://[^\s\x00-\x1f\x7f]{1,1990}$"
CURRENCY_PATTERN = "^(" + "|".join(CURRENCIES) + ")$"


def matching(pattern: str, min_length: int | None = None, max_length: int | None = None) -> Any:
    """A strict string that matches `pattern` as JSON Schema means it: the whole string. (pydantic 1 uses
    re.match, whose `$` also matches before a trailing newline: "USD\n" would pass as a currency.)"""
    base = constr(strict=True, regex=pattern, min_length=min_length, max_length=max_length)

    class WholeMatch(base):  # type: ignore[misc, valid-type]
        @classmethod
        def __get_validators__(cls):  # type: ignore[no-untyped-def]
            yield from base.__get_validators__()
            yield cls._whole

        @classmethod
        def _whole(cls, value: str) -> str:
            if cls.regex.fullmatch(value) is None:  # type: ignore[union-attr]
                raise ValueError(f"string does not match the pattern {pattern}")
            return value

    return WholeMatch


def text(max_length: int) -> Any:
    return matching(TEXT_PATTERN, 1, max_length)


SellerId = matching(IDENTIFIER_PATTERN)
E164 = matching(E164_PATTERN)
WhatsAppSender = matching(WHATSAPP_SENDER_PATTERN, max_length=140)
Email = matching(EMAIL_PATTERN, max_length=254)
Url = matching(URL_PATTERN, max_length=2000)
Amount = matching(AMOUNT_PATTERN, max_length=12)
Currency = matching(CURRENCY_PATTERN)
NumberText = text(40)  # an order/dispute number as typed; the handler normalises it
EvidenceId = matching(r"^ev_[A-Za-z0-9_-]{22}$")
ExternalId = matching(r"^[\x21-\x7e]{1,128}$", 1, 128)


def _document_nulls(schema: dict[str, Any], model: type[BaseModel], all_required: bool) -> None:
    """pydantic 1 leaves `null` out of Optional fields' schemas; say it, so the document matches the JSON."""
    properties = schema.get("properties", {})
    for name, model_field in model.__fields__.items():
        key = model_field.alias
        if model_field.allow_none and key in properties:
            prop = properties[key]
            description = prop.pop("description", None)
            title = prop.pop("title", None)
            properties[key] = {"anyOf": [prop, {"type": "null"}]}
            if title:
                properties[key]["title"] = title
            if description:
                properties[key]["description"] = description
    if all_required and properties:
        schema["required"] = list(properties)


def _reject_unstorable(value: Any) -> Any:
    """Strings must be storable on every database: no NUL, no lone surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError("text must be valid Unicode") from error
    elif isinstance(value, (list, tuple)):
        for item in value:
            _reject_unstorable(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _reject_unstorable(key)
            _reject_unstorable(item)
    return value


class Model(BaseModel):
    """Request bodies: unknown fields are refused, strings must be storable."""

    class Config:
        extra = Extra.forbid
        allow_population_by_field_name = True

        @staticmethod
        def schema_extra(schema: dict[str, Any], model: type[BaseModel]) -> None:
            _document_nulls(schema, model, all_required=False)

    _storable = validator("*", pre=True, allow_reuse=True)(_reject_unstorable)


def utc_naive(value: datetime) -> datetime:
    """Times are stored as naive UTC; a time without an offset is taken as UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


class Page(Model):
    """`?limit=1..100` (default 20) `&offset>=0`."""

    limit: conint(ge=1, le=100) = 20  # type: ignore[valid-type]
    offset: conint(ge=0, le=1_000_000) = 0  # type: ignore[valid-type]


class Out(BaseModel):
    """Response bodies (documented; the handlers build the same shapes as plain dicts). Every key is always
    present; Optional ones may be null."""

    class Config:
        extra = Extra.forbid

        @staticmethod
        def schema_extra(schema: dict[str, Any], model: type[BaseModel]) -> None:
            _document_nulls(schema, model, all_required=True)


T = TypeVar("T")


class Paged(GenericModel, Generic[T]):
    items: List[T]
    limit: int
    offset: int
    total: int

    class Config:
        extra = Extra.forbid

        @staticmethod
        def schema_extra(schema: dict[str, Any], model: type[BaseModel]) -> None:
            _document_nulls(schema, model, all_required=True)


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Optional[dict] = None  # present only where there is something to say

    class Config:
        extra = Extra.forbid


class ErrorBody(Out):
    error: ErrorDetail


class Empty(Model):
    """A write that takes no body (an empty body or `{}`)."""
