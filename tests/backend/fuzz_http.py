"""The API fuzzer's side of the wire: sending a request and checking every answer against the OpenAPI document
(the schema for that status, and the error code among the ones documented for it); hostile text, numbers and
percent-encodings; whether a body is valid by the document; and the schema-driven random requests for every
operation of every role."""

from __future__ import annotations

import copy
import json
import random
import re
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from urllib.parse import quote

import jsonschema
import requests
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from tests.backend.client import Backend
from tests.images import JPEG, PNG

NO_BODY = object()
PDF = b"%PDF-1.7\n" + bytes(40)
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(40)
# (content, declared Content-Type, expected status and code, stored content type)
FILES = [(PNG, "image/png", (201, ""), "image/png"), (JPEG, "application/octet-stream", (201, ""), "image/jpeg"),
         (PDF, "application/pdf", (201, ""), "application/pdf"), (MP4, "video/mp4", (201, ""), "video/mp4"),
         (PNG, "image/jpeg", (415, "content_type_mismatch"), None),
         (b"MZ\x90\x00 not a picture" + bytes(20), "image/png", (415, "unsupported_media_type"), None),
         (b"", "image/png", (422, "empty_file"), None)]


@dataclass
class Answer:
    """One request and what came back."""

    method: str
    path: str
    status: int
    content: bytes
    headers: Mapping[str, str]
    role: str | None
    key: str | None
    data: bytes | None
    request_headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    @property
    def is_json(self) -> bool:
        return self.headers.get("Content-Type", "").startswith("application/json")

    @property
    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def code(self) -> str:
        if self.status < 400 or not self.is_json:
            return ""
        body = self.json
        return body.get("error", {}).get("code", "") if isinstance(body, dict) else ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def __str__(self) -> str:
        sent = "" if self.data is None else " " + self.data[:400].decode("utf-8", "replace")
        return f"{self.method} {self.path}{sent}\n    -> {self.status} {self.text[:600]}"


class Wire:
    """Sends requests as any role; every answer is below 500 and what the document says it is."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.http = requests.Session()
        self.recent: deque[str] = deque(maxlen=12)
        self.outcomes: Counter[tuple[int, str]] = Counter()
        self.requests = 0
        self.codes: dict[tuple[str, str, int], set[str]] = {}
        for template, item in backend.documented.document["paths"].items():
            for method, operation in item.items():
                for status, response in operation.get("responses", {}).items():
                    described = response.get("description", "")
                    if described.startswith("Error codes:"):
                        codes = {c.strip(" .") for c in described.split(":", 1)[1].split(",")}
                        self.codes[(method.upper(), template, int(status))] = codes

    def send(self, method: str, path: str, body: Any = NO_BODY, *, role: str | None = "assistant",
             key: str | bool | None = True, data: bytes | None = None, headers: dict[str, str] | None = None,
             session: str | None = None, ascii_json: bool = True) -> Answer:
        sent: dict[str, str] = {}
        if role is not None:
            sent["Authorization"] = f"Bearer {self.backend.keys[role]}"
        idempotency_key = None
        if method != "GET" and key is not None and key is not False:
            idempotency_key = uuid.uuid4().hex if key is True else key
            sent["Idempotency-Key"] = idempotency_key
        if session is not None:
            sent["X-Agent-Session"] = session
        if body is not NO_BODY:
            try:
                data = json.dumps(body, ensure_ascii=ascii_json).encode()
            except UnicodeEncodeError:  # a lone surrogate travels only as a JSON escape
                data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        reply = self.http.request(method, self.backend.url + path, data=data, headers=sent, timeout=60)
        answer = Answer(method, path, reply.status_code, reply.content, reply.headers, role, idempotency_key, data,
                        sent)
        self.requests += 1
        self.recent.append(str(answer))
        self.outcomes[(answer.status, answer.code)] += 1
        assert answer.status < 500, f"5xx: {answer}"
        if answer.is_json:
            self.backend.documented.check(method, path, answer.status, answer.json)
            operation = self.template(method, path)
            if answer.status >= 400 and operation is not None:
                documented = self.codes.get((method, operation, answer.status))
                assert documented is None or answer.code in documented, (
                    f"{answer.code} is not among the documented {answer.status} codes {sorted(documented)}: {answer}")
        return answer

    def template(self, method: str, path: str) -> str | None:
        path = path.split("?")[0]
        for pattern, op_method, template in self.backend.documented._routes:
            if op_method == method and pattern.match(path):
                return template
        return None


# ------------------------------------------------------------------ paths


def encoded(value: str) -> str:
    """Every byte percent-encoded, letters and digits too."""
    return "".join(f"%{byte:02X}" for byte in value.encode())


def plain(value: str) -> str:
    return quote(value, safe="").replace(".", "%2E")  # dots too: "..", sent as data, must reach the server


def spelled(number: str, how: int) -> str:
    """An order/dispute number as sellers type it (the backend normalises it)."""
    prefix, digits = number[:2], number[2:]
    return [f"{prefix.lower()}{digits}", f"#{number}", f"{prefix} {digits[:4]} {digits[4:8]} {digits[8:]}",
            f"{prefix}-{digits[:6]}-{digits[6:]}", f" {number} ", f"{prefix.lower()}.{digits}"][how % 6]


# ------------------------------------------------------------------ text

REALISTIC = ["Where is my order?", "The buyer says the parcel never arrived.", "Item arrived broken, see photos.",
             "Please refund to my wallet.", "Wrong colour was sent.", "Ok"]
HOSTILE_VALID = [
    "Ünïcödé ✓ — 😀 𝕏 中文 العربية עברית", "\u202eevil right-to-left\u202c", "zero\u200bwidth\ufeffjoiner",
    "e\u0301\u0301\u0301 combining", "tab\tand\nnewline\r\nlines", "'; DROP TABLE disputes; --",
    "<script>alert(1)</script>", "%00%2e%2e%2fetc%2fpasswd", "{{7*7}} ${jndi:ldap://x} $(id)",
    "\u0085\u00a0\u2028 whitespace of every kind",
    "null", "../../etc/passwd", "x" * 4000, "😀" * 4000, "  leading and trailing  ", "\\\\server\\share",
]
HOSTILE_INVALID = ["", " ", "\t\n ", "nul\x00byte", "bell\x07", "esc\x1b[31mred", "del\x7f", "x" * 4001,
                   "lone \ud800 surrogate"]


# Code point ranges for random text: ASCII, controls (C0, DEL, C1), Latin, combining marks, Hebrew and Arabic,
# punctuation and invisible formatting (zero-width, bidi), CJK, variation selectors and BOM, emoji, math letters.
_RANGES = [(0x20, 0x7E), (0x00, 0x1F), (0x7F, 0x9F), (0xA0, 0x24F), (0x300, 0x36F), (0x590, 0x6FF), (0x2000, 0x206F),
           (0x4E00, 0x4E80), (0xFE00, 0xFEFF), (0x1F600, 0x1F64F), (0x1D400, 0x1D4FF)]


def text(r: random.Random, invalid: bool = True) -> str:
    """Mostly valid text (realistic, or hostile but valid: unicode, RTL, injections, the longest allowed); with
    `invalid`, now and then random code points or text the API must refuse."""
    roll = r.randrange(100)
    if roll < 55:
        return r.choice(REALISTIC)
    if roll < 85 or not invalid:
        return r.choice(HOSTILE_VALID)
    if roll < 93:
        return "".join(chr(r.randint(*r.choice(_RANGES))) for _ in range(r.randint(1, 30)))
    return r.choice(HOSTILE_INVALID)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterable[jsonschema.ValidationError]:
    """`pattern` as JSON Schema means it: `$` only at the very end (Python's re.search also allows it before a
    final newline, which the backend's whole-string match does not)."""
    if validator.is_type(instance, "string"):
        anchored = pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern
        if not re.search(anchored, instance):
            yield jsonschema.ValidationError(f"{instance[:40]!r} does not match {pattern!r}")


_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern})


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    return False


class Bodies:
    """Whether a body is valid for an operation, by the document (plus what a JSON schema can't say: no lone
    surrogates, which no database stores)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.resolver = jsonschema.RefResolver.from_schema(document)

    def schema(self, method: str, template: str) -> dict[str, Any]:
        operation = self.document["paths"][template][method.lower()]
        return operation["requestBody"]["content"]["application/json"]["schema"]

    def valid(self, method: str, template: str, body: Any) -> bool:
        validator = _Validator(self.schema(method, template), resolver=self.resolver)
        return validator.is_valid(body) and not _has_surrogate(body)

    def required(self, method: str, template: str) -> list[str]:
        schema = self.schema(method, template)
        if "$ref" in schema:
            schema = self.resolver.resolve(schema["$ref"])[1]
        return list(schema.get("required", []))


def wrong_type(value: Any) -> Any:
    """A JSON value no schema of the API accepts where `value` is (never null: null may be allowed)."""
    if isinstance(value, bool):
        return "true"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return {"items": value}
    return 12345


# ------------------------------------------------------------------ schema-driven requests for every operation

SCHEMA_NUMBER = re.compile(r"\b(?:CJ|ZF|SH|RT|TK)[0-9]{8,18}\b")
HOSTILE_PATH = ["", " ", "..", "../../etc/passwd", "%2e%2e%2fetc", "S1001/../S1002", "\u202e\u0645\u0631\u062d\u0628",
                "😀" * 30, "x" * 5000, "'; DROP TABLE orders; --", "%00", "null", "-1", "0", "CJ" + "9" * 30,
                "cj 2410 1800 12345", "#SH2410200045", "ＣＪ２４１０", "+", "TK", "ev_" + "A" * 22]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def _resolve(schema: Any, components: dict[str, Any]) -> Any:
    """Inline every $ref (hypothesis-jsonschema wants self-contained schemas)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _resolve(components[schema["$ref"].rsplit("/", 1)[1]], components)
        return {k: _resolve(v, components) for k, v in schema.items() if k not in ("title", "description", "default")}
    if isinstance(schema, list):
        return [_resolve(item, components) for item in schema]
    return schema


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    role: str
    document: dict[str, Any]
    body_schema: dict[str, Any] | None
    query: list[dict[str, Any]]
    upload: bool


def operations(document: dict[str, Any]) -> list[Op]:
    components = document["components"]["schemas"]
    ops = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            role = op.get("x-role")
            if role is None:
                continue
            content = op.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            ops.append(Op(method.upper(), path, role, op, _resolve(body, components) if body else None,
                          [_resolve(p, components) for p in op["parameters"] if p["in"] == "query"],
                          "multipart/form-data" in content))
    return ops


@dataclass
class Pools:
    """Real values for the schema-driven requests: numbers and evidence ids of both demo sellers."""

    numbers: dict[str, list[str]]  # seller -> order, dispute, return and ticket numbers
    evidence: dict[str, list[str]]
    conversations: list[str]
    tokens: list[str]
    keys: list[str] = field(default_factory=lambda: [f"fuzz-{i}" for i in range(6)])

    def all_numbers(self) -> list[str]:
        return [n for numbers in self.numbers.values() for n in numbers]


_KIND_OF_SEGMENT = {"orders": ("CJ", "ZF"), "disputes": ("SH",), "returns": ("RT",), "tickets": ("TK",)}


def _path_value(draw: st.DrawFn, pools: Pools, name: str, owner: str, friendly: bool, path: str) -> str:
    if friendly:
        segment = path.split("/{number}")[0].rsplit("/", 1)[-1] if name == "number" else ""
        kinds = _KIND_OF_SEGMENT.get(segment, ("CJ", "ZF", "SH", "RT", "TK"))
        numbers = [n for n in pools.numbers.get(owner, []) if n[:2] in kinds]
        if not numbers or draw(st.integers(0, 4)) == 0:  # now and then another seller's number of that kind
            numbers = [n for n in pools.all_numbers() if n[:2] in kinds] or pools.all_numbers()
        own = {"seller_id": [owner], "number": numbers, "evidence_id": pools.evidence.get(owner) or ["ev_" + "A" * 22]}
        if name in own:
            return draw(st.sampled_from(own[name]))
    pool = {"seller_id": list(pools.numbers), "number": pools.all_numbers(),
            "evidence_id": [e for items in pools.evidence.values() for e in items],
            "conversation_id": pools.conversations, "e164": ["+15550101001", "15550102001", "+15550109999"],
            "message_id": ["wamid.fuzz1", "wamid.fuzz2", "1", "2"]}.get(name, ["x"])
    choice = "pool" if friendly else draw(st.sampled_from(["pool", "pool", "hostile", "text"]))
    if choice == "pool":
        return draw(st.sampled_from(pool))
    if choice == "hostile":
        return draw(st.sampled_from(HOSTILE_PATH))
    return draw(st.text(min_size=1, max_size=40))


def _realistic(draw: st.DrawFn, pools: Pools, body: Any, owner: str, password: str) -> Any:
    """Point some generated fields at real objects (this seller's or another's), so the rules get exercised."""
    if not isinstance(body, dict):
        return body
    body = copy.deepcopy(body)
    all_evidence = [e for items in pools.evidence.values() for e in items]
    if "order_number" in body and draw(st.integers(0, 9)) < 8:
        mine = [n for n in pools.numbers.get(owner, []) if n[:2] in ("CJ", "ZF")]
        body["order_number"] = draw(st.sampled_from(mine if mine and draw(st.booleans()) else pools.all_numbers()))
    if "evidence_ids" in body and draw(st.booleans()):
        body["evidence_ids"] = draw(st.lists(st.sampled_from(all_evidence), max_size=3))
    if "store_image_evidence_id" in body and draw(st.booleans()):
        body["store_image_evidence_id"] = draw(st.sampled_from(all_evidence))
    if "seller_id" in body and draw(st.integers(0, 9)) < 8:
        body["seller_id"] = draw(st.sampled_from([owner, owner, *pools.numbers]))
    if "buyer_email" in body and draw(st.booleans()):
        body["buyer_email"] = "buyer@mail.example"
    for key, kinds in (("order_numbers", ("CJ", "ZF")), ("dispute_numbers", ("SH",))):
        if key in body and draw(st.booleans()):
            body[key] = draw(st.lists(st.sampled_from([n for n in pools.all_numbers() if n[:2] in kinds]), max_size=3))
    if "password" in body and "email" in body and draw(st.booleans()):
        body.update(email="agent@alex.example", password=password)
    if "agent_id" in body and draw(st.booleans()):
        body["agent_id"] = draw(st.sampled_from([1, 2]))
    return body


def _mutate(draw: st.DrawFn, body: Any) -> Any:
    how = draw(st.sampled_from(["keep", "keep", "keep", "wrong_type", "extra", "drop", "junk"]))
    if not isinstance(body, dict) or how == "keep":
        return body
    body = dict(body)
    if how == "wrong_type" and body:
        body[draw(st.sampled_from(sorted(body)))] = draw(json_values)
    elif how == "extra":
        body[draw(st.text(min_size=1, max_size=12))] = draw(json_values)
    elif how == "drop" and body:
        body.pop(draw(st.sampled_from(sorted(body))))
    elif how == "junk":
        return draw(json_values)
    return body


def schema_request(draw: st.DrawFn, pools: Pools, op: Op, backend: Backend) -> dict[str, Any]:
    """Half the requests friendly (the right key and session, this seller's objects, a body of the documented
    shape pointed at real objects), half hostile."""
    owner = draw(st.sampled_from(sorted(pools.numbers)))
    friendly = draw(st.booleans())
    values = {name: _path_value(draw, pools, name, owner, friendly, op.path)
              for name in re.findall(r"{([^}]+)}", op.path)}
    url_path = op.path
    for name, value in values.items():
        url_path = url_path.replace("{" + name + "}", plain(value))
    query = {}
    for parameter in op.query:
        if draw(st.booleans()):
            junk = st.text(max_size=8) if not friendly else st.nothing()
            query[parameter["name"]] = draw(st.one_of(from_schema(parameter["schema"]), junk))
    headers: dict[str, str] = {}
    key_choice = "right" if friendly else draw(st.sampled_from(["right"] * 4 + ["none", "wrong", "other_role"]))
    if key_choice != "none":
        role = op.role if key_choice == "right" else draw(st.sampled_from(["assistant", "console", "platform"]))
        headers["Authorization"] = f"Bearer {backend.keys[role] if key_choice != 'wrong' else 'not-a-key'}"
    if op.role == "console" and (friendly or draw(st.integers(0, 9)) < 8):
        headers["X-Agent-Session"] = draw(st.sampled_from(pools.tokens if friendly else
                                                          [*pools.tokens, "expired-or-made-up"]))
        if op.document["operationId"] == "sign_out":  # never sign out the sessions the fuzzer works with
            headers["X-Agent-Session"] = backend.post("/v1/agent/sessions", {
                "email": "agent@alex.example", "password": backend.settings.demo_agent_password},
                role="console").json()["token"]
    if op.method != "GET" and (friendly or draw(st.integers(0, 9)) < 9):
        headers["Idempotency-Key"] = (draw(st.sampled_from(pools.keys)) if draw(st.integers(0, 4)) == 0
                                      else uuid.uuid4().hex)
    data: bytes | None = None
    if op.upload:
        data = draw(st.sampled_from([PNG, b"GIF89a" + bytes(10), b"", b"plain text", bytes(range(256))]))
        headers["Content-Type"] = draw(st.sampled_from(["image/png", "image/gif", "application/octet-stream",
                                                       "text/plain", "multipart/form-data; boundary=x"]))
        headers["X-Filename"] = draw(st.sampled_from(["a.png", "../../x", "ü.png"]))
    elif op.body_schema is not None or op.method != "GET":
        if op.body_schema is not None and (friendly or draw(st.integers(0, 9)) < 8):
            body = _realistic(draw, pools, draw(from_schema(op.body_schema)), owner,
                              backend.settings.demo_agent_password)
            data = json.dumps(body if friendly else _mutate(draw, body)).encode()
        else:
            data = draw(st.sampled_from([b"", b"{", b"[]", b"\xff\xfe", b'{"a": 1}', b"null", b"[" * 40 + b"]" * 40]))
        headers["Content-Type"] = "application/json"
    if query:
        url_path += "?" + "&".join(f"{quote(str(k), safe='')}={quote(str(v), safe='')}" for k, v in query.items())
    return {"method": op.method, "path": url_path, "params": values, "headers": headers, "data": data, "op": op}
