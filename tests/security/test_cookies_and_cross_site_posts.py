"""The console's session cookie is `Secure` whenever the console is served over HTTPS (here: behind a trusted
TLS-terminating proxy), so a browser never sends it over plain HTTP; the help page's demo sign-in and sign-out
refuse posts from other sites (login CSRF: another site signing the visitor in as a seller of its choosing)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from bot.settings import Settings
from bot.stack import Stack
from tests.conftest import free_port


def _console_sign_in(console_url: str, settings: Settings, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{console_url}/api/session", json={
        "email": "agent@alex.example", "password": settings.demo_agent_password,
    }, headers={"X-Alex-Console": "1", "Idempotency-Key": uuid.uuid4().hex, **headers}, timeout=30)


def test_the_console_cookie_is_secure_behind_a_trusted_https_proxy(
    stack: tuple[Stack, Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, settings = stack
    monkeypatch.setenv("ALEX_CONSOLE_TRUSTED_PROXIES", "1")
    proxied = replace(settings, console_port=free_port())
    with Stack(proxied, None, tmp_path / "logs", only=("console",)):
        over_https = _console_sign_in(proxied.console_url, settings, {
            "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
        })
        over_http = _console_sign_in(proxied.console_url, settings, {
            "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "http",
        })
    assert over_https.status_code == 201, over_https.text
    assert "secure" in over_https.headers["Set-Cookie"].lower()
    assert over_http.status_code == 201 and "secure" not in over_http.headers["Set-Cookie"].lower()


def test_an_untrusted_forwarded_proto_header_changes_nothing(stack: tuple[Stack, Settings]) -> None:
    """Without a trusted proxy configured, a client's own X-Forwarded-Proto is ignored (and the cookie works over
    the plain-HTTP loopback a developer uses)."""
    _, settings = stack
    reply = _console_sign_in(settings.console_url, settings, {
        "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
    })
    assert reply.status_code == 201 and "secure" not in reply.headers["Set-Cookie"].lower()


def _post(settings: Settings, path: str, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{settings.help_page_url}{path}", data={"seller": "S1001", "next": "/"},
                         headers=headers, allow_redirects=False, timeout=10)


@pytest.mark.parametrize("path", ["/demo/sign-in", "/demo/sign-out"])
@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "null", "Sec-Fetch-Site": "cross-site"},  # a sandboxed frame or a data: page
], ids=["browser", "origin-only", "fetch-metadata-only", "opaque-origin"])
def test_the_demo_sign_in_refuses_a_post_from_another_site(
    stack: tuple[Stack, Settings], path: str, headers: dict[str, str]
) -> None:
    reply = _post(stack[1], path, headers)
    assert reply.status_code == 403 and "Set-Cookie" not in reply.headers
    assert reply.json()["error"]["code"] == "cross_site_request"


def test_the_demo_sign_in_accepts_a_post_from_the_help_page_itself(stack: tuple[Stack, Settings]) -> None:
    settings = stack[1]
    reply = _post(settings, "/demo/sign-in", {"Origin": settings.help_page_origins[0],
                                              "Sec-Fetch-Site": "same-origin"})
    assert reply.status_code == 302 and "alex_demo_seller=S1001." in reply.headers["Set-Cookie"]
