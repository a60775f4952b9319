"""Chat with a running Alex from the terminal, as a demo seller, through the same seller chat channel
(and the same signed-token check) as every other client."""

from __future__ import annotations

import uuid

import requests

from bot.identity import mint_seller_token
from bot.settings import Settings

_PROMPT = "you> "


class SellerChatClient:
    """A client of the seller chat channel, holding one seller's token and one session."""

    def __init__(self, rasa_url: str, token: str, session: str | None = None) -> None:
        self.url = f"{rasa_url}/webhooks/seller_chat/webhook"
        self.token = token
        self.session = session or uuid.uuid4().hex[:12]

    def send(self, message: str, timeout: float = 60, attachments: list[str] | None = None) -> requests.Response:
        """One message; `attachments` are references from the web chat's upload endpoint for this session."""
        body: dict[str, object] = {"message": message, "session": self.session}
        if attachments:
            body["attachments"] = attachments
        return requests.post(self.url, json=body, headers={"Authorization": f"Bearer {self.token}"}, timeout=timeout)

    def upload(self, content: bytes, content_type: str, filename: str, timeout: float = 60) -> str:
        """Store a file as this seller's evidence through the web chat's upload endpoint; its signed reference."""
        reply = requests.post(
            self.url.replace("/seller_chat/webhook", "/webchat/evidence"), data=content, timeout=timeout,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": content_type, "X-Filename": filename,
                     "X-Session": self.session, "X-Upload-Id": uuid.uuid4().hex})
        reply.raise_for_status()
        return str(reply.json()["reference"])


def run(settings: Settings, seller_id: str) -> None:
    """A read-eval-print loop; a number picks one of the buttons the bot just offered."""
    client = SellerChatClient(settings.rasa_url, mint_seller_token(seller_id, settings.identity_secret))
    print(f"Chatting as demo seller {seller_id}. Type a message; Ctrl-D or Ctrl-C to leave.")
    buttons: list[dict] = []
    while True:
        try:
            text = input(_PROMPT).strip()
        except EOFError:
            print()
            return
        if not text:
            continue
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        reply = client.send(text)
        if reply.status_code != 200:
            print(f"[{reply.status_code}] {reply.json().get('error', {}).get('message', reply.text)}")
            continue
        buttons = []
        for message in reply.json()["messages"]:
            if message.get("text"):
                print(f"alex> {message['text']}")
            for button in message.get("buttons") or []:
                buttons.append(button)
                print(f"      [{len(buttons)}] {button['title']}")
