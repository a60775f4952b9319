"""What Meta's Cloud API refuses in a send, with the numbers from Meta's documentation (written here, never
imported from the channel under test):

- messaging_product "whatsapp" is required on every call to /messages.
- Text: body at most 4096 characters.
- Interactive messages: body at most 1024 characters.
- Reply buttons: 1 to 3; title 1-20 characters and unique within the message; id at most 256 characters, unique.
  https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages
- Lists: button label at most 20; up to 10 sections and 10 rows across them; a section title (at most 24) is
  required when there is more than one section; row title at most 24, row id at most 200 and unique, row
  description at most 72.
  https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-list-messages
- Free-form messages only within 24 hours of the customer's last message (the customer service window);
  outside it a send is accepted and then fails with 131047 "Re-engagement message" in a status webhook.
- 130429 "Rate limit hit" when the phone number's throughput is exceeded; 132001 for a template that does not
  exist in the requested language.
  https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
"""

from __future__ import annotations

from typing import Any

WINDOW_SECONDS = 24 * 3600
ERROR_CODES = "https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes"

REENGAGEMENT: dict[str, Any] = {
    "code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
    "error_data": {"details": "Message failed to send because more than 24 hours have passed since the customer "
                              "last replied to this number."},
    "href": ERROR_CODES,
}
RATE_LIMIT_HIT: dict[str, Any] = {
    "code": 130429, "title": "Rate limit hit", "message": "Rate limit hit",
    "error_data": {"details": "Message failed to send because there were too many messages sent from this phone "
                              "number in a short period of time"},
    "href": ERROR_CODES,
}

TEMPLATE_MISSING: dict[str, Any] = {
    "code": 132001, "title": "Template name does not exist in the translation",
    "message": "Template name does not exist in the translation",
    "error_data": {"details": "template name does not exist in the language"},
    "href": ERROR_CODES,
}


class GraphRefusal(Exception):
    """A send Meta answers with an error (HTTP 400)."""

    def __init__(self, code: int, details: str) -> None:
        super().__init__(details)
        title = "Invalid parameter" if code == 100 else "Parameter value is not valid"
        self.error = {"code": code, "title": title, "message": title, "error_data": {"details": details},
                      "href": ERROR_CODES}


def error_body(error: dict[str, Any]) -> dict[str, Any]:
    """The Graph API's error answer for an error object."""
    return {"error": {"message": f"(#{error['code']}) {error['title']}", "type": "OAuthException",
                      "code": error["code"],
                      "error_data": {"messaging_product": "whatsapp", **error["error_data"]},
                      "fbtrace_id": "fake"}}


def free_form(body: dict[str, Any]) -> bool:
    """A message that needs the customer service window (everything but a template)."""
    return body.get("type") != "template"


def _check(condition: bool, details: str) -> None:
    if not condition:
        raise GraphRefusal(131009, details)


def _length(value: Any, low: int, high: int, what: str) -> None:
    _check(isinstance(value, str) and low <= len(value) <= high, f"{what} must be {low}-{high} characters")


def _unique(values: list[Any], what: str) -> None:
    _check(len(values) == len(set(values)), f"{what} must be unique within the message")


def checked_send(body: Any) -> str:
    """The recipient of a valid call (a number, a business-scoped user id, or "" for a read receipt);
    GraphRefusal for what Meta refuses."""
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        raise GraphRefusal(100, "The parameter messaging_product is required.")
    if body.get("status") == "read":
        _check(isinstance(body.get("message_id"), str), "message_id is required")
        return ""
    recipient = body.get("to") or body.get("recipient")
    if not isinstance(recipient, str) or not recipient:
        raise GraphRefusal(100, "The parameter to is required.")
    kind = body.get("type")
    if kind == "text":
        _length((body.get("text") or {}).get("body"), 1, 4096, "text.body")
    elif kind == "interactive":
        _interactive(body.get("interactive") or {})
    elif kind == "template":
        _check(isinstance((body.get("template") or {}).get("name"), str), "template.name is required")
    return recipient


def _interactive(interactive: dict[str, Any]) -> None:
    _length((interactive.get("body") or {}).get("text"), 1, 1024, "interactive.body.text")
    action = interactive.get("action") or {}
    if interactive.get("type") == "button":
        buttons = [b.get("reply") or {} for b in action.get("buttons") or []]
        _check(1 <= len(buttons) <= 3, "reply buttons: 1 to 3")
        for reply in buttons:
            _length(reply.get("title"), 1, 20, "button title")
            _length(reply.get("id"), 1, 256, "button id")
        _unique([r["title"] for r in buttons], "button titles")
        _unique([r["id"] for r in buttons], "button ids")
    elif interactive.get("type") == "list":
        _length(action.get("button"), 1, 20, "list button")
        sections = action.get("sections") or []
        _check(1 <= len(sections) <= 10, "list sections: 1 to 10")
        for section in sections:
            if len(sections) > 1 or "title" in section:
                _length(section.get("title"), 1, 24, "section title")
        rows = [row for section in sections for row in section.get("rows") or []]
        _check(1 <= len(rows) <= 10, "list rows: 1 to 10 across all sections")
        for row in rows:
            _length(row.get("title"), 1, 24, "row title")
            _length(row.get("id"), 1, 200, "row id")
            if "description" in row:
                _length(row["description"], 0, 72, "row description")
        _unique([r["id"] for r in rows], "row ids")
    else:
        raise GraphRefusal(131009, "interactive.type is not supported")
