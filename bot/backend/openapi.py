"""The OpenAPI 3.1 document, generated from the operations and the very pydantic models the handlers
validate with (served at GET /v1/openapi.json)."""

from __future__ import annotations

from typing import Any, Iterable

from pydantic import BaseModel
from pydantic.schema import get_flat_models_from_models, get_model_name_map
from pydantic.schema import schema as pydantic_schema

from bot.backend.idempotency import HEADER as IDEMPOTENCY_HEADER
from bot.backend.operations import Operation, Role
from bot.backend.schemas.common import ErrorBody
from bot.backend.schemas.responses import Health

_REF = "#/components/schemas/"
_SCHEMES = {Role.ASSISTANT: "assistantKey", Role.CONSOLE: "consoleKey", Role.PLATFORM: "platformKey"}
_KEY_NAMES = {Role.ASSISTANT: "ALEX_BACKEND_KEY", Role.CONSOLE: "ALEX_CONSOLE_KEY", Role.PLATFORM: "ALEX_PLATFORM_KEY"}
_UPLOAD_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf", "video/mp4",
                 "video/quicktime", "application/octet-stream")


def build(operations: Iterable[Operation]) -> dict[str, Any]:
    operations = list(operations)
    models = {ErrorBody, Health}
    for op in operations:
        models.update(m for m in (op.body, op.query, op.response) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    components = pydantic_schema(ordered, ref_prefix=_REF)["definitions"]
    names = get_model_name_map(get_flat_models_from_models(ordered))
    paths: dict[str, dict[str, Any]] = {
        "/v1/health": {"get": {
            "operationId": "health", "summary": "Liveness (no key needed).", "security": [],
            "responses": {"200": {"description": "Up.",
                                  "content": {"application/json": {"schema": {"$ref": _REF + "Health"}}}}}}},
        "/v1/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This document (any role's key).",
            "security": [{scheme: []} for scheme in _SCHEMES.values()],
            "responses": {"200": {"description": "The document.",
                                  "content": {"application/json": {"schema": {"type": "object"}}}},
                          "401": {"description": "Error codes: unauthenticated.",
                                  "content": {"application/json": {"schema": {"$ref": _REF + "ErrorBody"}}}}}}},
    }
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, components, names)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Alex order and dispute backend",
            "version": "1",
            "description": (
                "The platform's order and dispute service as Alex's assistant, agent console and platform staff "
                "systems call it. Money is a decimal string with an ISO currency; times are ISO 8601 UTC. Every "
                "write needs an Idempotency-Key. Errors: {\"error\": {\"code\", \"message\", \"details\"?}}."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                **{_SCHEMES[role]: {"type": "http", "scheme": "bearer",
                                    "description": f"The {role.value} role's key ({_KEY_NAMES[role]})."}
                   for role in Role},
                "agentSession": {"type": "apiKey", "in": "header", "name": "X-Agent-Session",
                                 "description": "The token from POST /v1/agent/sessions."},
            },
        },
    }


def _operation(op: Operation, components: dict[str, Any], names: dict[type[BaseModel], str]) -> dict[str, Any]:
    security: dict[str, list[str]] = {_SCHEMES[op.role]: []}
    if op.role is Role.CONSOLE and op.agent_session:
        security["agentSession"] = []
    document: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": list(op.tags),
        "security": [security],
        "parameters": _parameters(op, components, names),
        "responses": _responses(op, names),
        "x-role": op.role.value,
    }
    if op.upload:
        document["requestBody"] = {
            "required": True,
            "content": {
                **{t: {"schema": {"type": "string", "contentMediaType": t}} for t in _UPLOAD_TYPES},
                "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                                   "properties": {"file": {"type": "string",
                                                                           "contentMediaType": "application/octet-stream"}}}},
            },
        }
    elif op.body is not None:
        document["requestBody"] = {"required": True,
                                   "content": {"application/json": {"schema": {"$ref": _REF + names[op.body]}}}}
    return document


def _parameters(op: Operation, components: dict[str, Any], names: dict[type[BaseModel], str]) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 128}}
        for name in op.path_params
    ]
    if op.query is not None:
        query_schema = components[names[op.query]]
        required = set(query_schema.get("required", []))
        for name, prop in query_schema.get("properties", {}).items():
            parameters.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    if op.writes:
        parameters.append({"name": IDEMPOTENCY_HEADER, "in": "header", "required": True,
                           "description": "1-128 visible ASCII characters; the same key and request replays the "
                                          "first response." + ("" if op.replay else
                                                               " (This operation is never replayed.)"),
                           "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,128}$"}})
    if op.upload:
        parameters.append({"name": "X-Filename", "in": "header", "required": False,
                           "schema": {"type": "string", "maxLength": 200}})
    return parameters


def _responses(op: Operation, names: dict[type[BaseModel], str]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in (op.status, *op.also):
        if op.file_response:
            responses[str(status)] = {"description": "The stored file.",
                                      "content": {"application/octet-stream": {"schema": {"type": "string"}}}}
        else:
            schema = {"$ref": _REF + names[op.response]} if op.response is not None else {"type": "object"}
            responses[str(status)] = {"description": "Success.", "content": {"application/json": {"schema": schema}}}
    codes: dict[int, list[str]] = {}
    standard = [(400, "idempotency_key_required"), (400, "malformed_json")] if op.writes else []
    standard += [(401, "unauthenticated"), (403, "forbidden"), (422, "validation_failed")]
    if op.upload:
        standard.append((400, "malformed_multipart"))
    if op.query is not None and "limit" in op.query.__fields__:
        standard.append((422, "bad_pagination"))
    if op.role is Role.CONSOLE and op.agent_session:
        standard.append((401, "session_invalid"))
    if op.writes:
        standard += [(400, "idempotency_key_invalid"), (409, "conflict"), (413, "payload_too_large"),
                     (422, "idempotency_key_reused")]
    if op.not_found is not None:
        standard.append((404, op.not_found[0]))
    for error in (*[(s, c) for s, c in standard], *[(e.status, e.code) for e in op.errors]):
        codes.setdefault(error[0], [])
        if error[1] not in codes[error[0]]:
            codes[error[0]].append(error[1])
    for status, names in sorted(codes.items()):
        responses[str(status)] = {
            "description": "Error codes: " + ", ".join(names) + ".",
            "content": {"application/json": {"schema": {"$ref": _REF + "ErrorBody"}}},
        }
    return responses
