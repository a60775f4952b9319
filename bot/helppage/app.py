"""The help page server: the platform's help articles with the chat widget, and the platform's side of identity.

It stands in for the platform, which in production already knows who is signed in and hands the widget a
short-lived token signed with the identity secret. Here a dev-only demo sign-in picks one of the demo sellers;
`GET /api/chat-token` then mints the token (`bot/identity.py`), which the widget presents to the web chat
channel on every (re)connection and upload, and renews on its open socket before it runs out. The page itself
never sees the secret. The sign-in and sign-out forms accept posts from this site's own pages only (login CSRF).

The widget is our own JavaScript plus socket.io-client from the npm registry (bot/helppage/package.json, installed
by `./alex`), all served from here: no CDN at run time.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import time
from pathlib import Path
from typing import Callable

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.helppage.articles import Article, load_articles
from bot.http_auth import error_response
from bot.identity import mint_seller_token

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
SOCKET_IO_CLIENT = HERE / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
DEMO_SELLERS = {"S1001": "Demo store S1001", "S1002": "Demo store S1002"}
_COOKIE = "alex_demo_seller"
_STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _cookie_value(seller_id: str, secret: str) -> str:
    signature = hmac.new(secret.encode(), f"alex-demo-sign-in\x1f{seller_id}".encode(), hashlib.sha256)
    return f"{seller_id}.{signature.hexdigest()}"


def _signed_in(request: Request, secret: str) -> str | None:
    seller_id, _, _ = (request.cookies.get(_COOKIE) or "").partition(".")
    if seller_id in DEMO_SELLERS and hmac.compare_digest(
        request.cookies.get(_COOKIE, ""), _cookie_value(seller_id, secret)
    ):
        return seller_id
    return None


def _cross_site(request: Request, origins: list[str]) -> bool:
    """Whether a browser says another site made this request: Origin (sent with every POST by current browsers;
    "null" from a sandboxed frame or a data: page) or Fetch Metadata's Sec-Fetch-Site. A client that sends neither
    is no browser page, so it carries no visitor's cookies to abuse."""
    origin = request.headers.get("Origin")
    if origin is not None and origin not in origins:
        return True
    return request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none")


def create_app(
    identity_secret: str, chat_url: str, origins: list[str], token_ttl_seconds: int, name: str = "alex_help_page"
) -> Sanic:
    """The help page app; `chat_url` is where browsers reach Rasa (its Socket.IO and upload endpoint), `origins`
    where this page is served (the only sites its forms accept posts from), `token_ttl_seconds` how long a chat
    token lives."""
    if not identity_secret:
        raise ValueError("the help page needs ALEX_IDENTITY_SECRET to mint chat tokens")
    app = Sanic(name, configure_logging=False)
    app.config.REQUEST_MAX_SIZE = 16 * 1024
    articles = load_articles()
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        f"connect-src 'self' {chat_url} {chat_url.replace('http', 'ws', 1)}; frame-ancestors 'none'"
    )

    @app.on_request
    async def same_site_forms_only(request: Request) -> HTTPResponse | None:
        if request.method == "POST" and _cross_site(request, origins):
            return error_response(403, "cross_site_request", "This form only works from the help page itself.")
        return None

    @app.on_response
    async def harden(_: Request, reply: HTTPResponse) -> None:
        reply.headers.update(_SECURITY_HEADERS)
        if reply.content_type and reply.content_type.startswith("text/html"):
            reply.headers["Content-Security-Policy"] = csp

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    def page(request: Request, title: str, main: str) -> HTTPResponse:
        seller_id = _signed_in(request, identity_secret)
        return response.html(_page(title, main, articles, seller_id, chat_url, request.path))

    @app.get("/")
    async def index(request: Request) -> HTTPResponse:
        listing = "".join(
            f'<li><a href="/articles/{a.slug}">{html.escape(a.title)}</a></li>' for a in articles.values()
        )
        main = (
            "<h1>CJ Help Center</h1>"
            "<p>Answers to the questions sellers ask most about cancelling orders, disputes, refunds and returns. "
            "Still stuck? Ask Alex, our assistant, in the chat at the bottom right.</p>"
            f'<ul class="article-list">{listing}</ul>'
        )
        return page(request, "CJ Help Center", main)

    @app.get("/articles/<slug:str>")
    async def article(request: Request, slug: str) -> HTTPResponse:
        found = articles.get(slug)
        if found is None:
            return response.html(_page("Not found", "<h1>Article not found</h1>", articles, None, chat_url), 404)
        return page(request, found.title, f'<article><h1>{html.escape(found.title)}</h1>{found.html}</article>')

    @app.post("/demo/sign-in")
    async def sign_in(request: Request) -> HTTPResponse:
        seller_id = request.form.get("seller") if request.form else None
        if seller_id not in DEMO_SELLERS:
            return error_response(400, "unknown_demo_seller", "Pick one of the demo sellers.")
        reply = response.redirect(_back(request))
        reply.cookies[_COOKIE] = _cookie_value(seller_id, identity_secret)
        reply.cookies[_COOKIE]["httponly"] = True
        reply.cookies[_COOKIE]["samesite"] = "Strict"
        reply.cookies[_COOKIE]["path"] = "/"
        return reply

    @app.post("/demo/sign-out")
    async def sign_out(request: Request) -> HTTPResponse:
        reply = response.redirect(_back(request))
        del reply.cookies[_COOKIE]
        return reply

    @app.get("/api/chat-token")
    async def chat_token(request: Request) -> HTTPResponse:
        seller_id = _signed_in(request, identity_secret)
        if seller_id is None:
            return error_response(401, "not_signed_in", "Sign in to chat about your orders.")
        token = mint_seller_token(seller_id, identity_secret, ttl_seconds=token_ttl_seconds)
        reply = response.json({
            "token": token, "seller_id": seller_id, "expires_at": int(time.time()) + token_ttl_seconds,
            "expires_in": token_ttl_seconds,  # the browser's clock may be off: the widget counts from receipt
        })
        reply.headers["Cache-Control"] = "no-store"
        return reply

    def static(path: Path, content_type: str) -> Callable:
        async def serve(_: Request) -> HTTPResponse:
            if not path.exists():
                return error_response(503, "widget_not_installed", "Run ./alex once to install the chat widget.")
            reply = response.raw(path.read_bytes(), content_type=content_type)
            reply.headers["Cache-Control"] = "no-cache"
            return reply
        return serve

    for file in sorted(STATIC_DIR.iterdir()):
        app.add_route(static(file, _STATIC_TYPES.get(file.suffix, "application/octet-stream")),
                      f"/static/{file.name}", methods=["GET"], name=f"static_{file.stem}_{file.suffix[1:]}")
    app.add_route(static(SOCKET_IO_CLIENT, _STATIC_TYPES[".js"]), "/static/vendor/socket.io.min.js",
                  methods=["GET"], name="static_socket_io")
    return app


def _back(request: Request) -> str:
    """Back to the page the form was on (a local path only, never another site)."""
    target = request.form.get("next") if request.form else None
    return target if isinstance(target, str) and target.startswith("/") and not target.startswith("//") else "/"


def _page(
    title: str, main: str, articles: dict[str, Article], seller_id: str | None, chat_url: str, path: str = "/"
) -> str:
    navigation = "".join(
        f'<li><a href="/articles/{a.slug}">{html.escape(a.title)}</a></li>' for a in articles.values()
    )
    if seller_id:
        account = (
            f'<span class="signed-in" data-seller="{html.escape(seller_id)}">Signed in as '
            f"<strong>{html.escape(DEMO_SELLERS[seller_id])}</strong></span>"
            '<form method="post" action="/demo/sign-out" class="inline"><input type="hidden" name="next" '
            f'value="{html.escape(path)}"><button type="submit">Sign out</button></form>'
        )
    else:
        options = "".join(
            f'<option value="{s}">{html.escape(label)}</option>' for s, label in DEMO_SELLERS.items()
        )
        account = (
            '<form method="post" action="/demo/sign-in" class="inline" id="demo-sign-in">'
            '<label>Demo sign-in (development only) <select name="seller">' + options + "</select></label>"
            f'<input type="hidden" name="next" value="{html.escape(path)}">'
            '<button type="submit">Sign in</button></form>'
        )
    config = html.escape(json.dumps({"chatUrl": chat_url, "tokenUrl": "/api/chat-token",
                                     "signedIn": seller_id is not None}))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · CJ Help Center</title>
<link rel="stylesheet" href="/static/help.css"><link rel="stylesheet" href="/static/widget.css"></head>
<body data-alex-chat="{config}">
<header class="site"><a class="brand" href="/">CJ Help Center</a><div class="account">{account}</div></header>
<div class="layout"><nav><h2>Articles</h2><ul>{navigation}</ul></nav><main>{main}</main></div>
<script src="/static/vendor/socket.io.min.js"></script><script src="/static/widget.js"></script>
</body></html>"""
