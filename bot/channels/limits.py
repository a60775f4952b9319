"""Message limits every channel applies before a message reaches the bot, so one sender's flood can't slow
every other seller down.

Two checks, cheapest first. A cap on the messages one conversation has in flight on this replica (kept here:
no I/O, so the bulk of a flood is refused at once, before its tracker is even read); then the sender's budget
for the current window, counted in the backend, so it holds however many Rasa replicas share the sender. A
refused message gets a clear answer (TooManyMessages carries the status, code and sentence) and is not
handed on at all: never dropped silently, never half a turn.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from contextlib import contextmanager
from typing import Iterator

from bot.channels.backend_client import BackendError, ChannelBackend
from bot.channels.verified import Refused

logger = logging.getLogger(__name__)

DEFAULT_MESSAGES_IN_FLIGHT = 8
# Conversations clear their backlog within a couple of turns; a refused sender is told to wait this long.
IN_FLIGHT_RETRY_SECONDS = 2
_REMEMBERED_REFUSALS = 10_000


class TooManyMessages(Refused):
    """A message over a limit. `first`: the first refusal of this burst (or window), the one WhatsApp answers."""

    def __init__(self, retry_after: int, first: bool) -> None:
        super().__init__(429, "too_many_messages", "You are sending messages faster than Alex can read them; "
                                                   "please wait a few seconds and send it again.")
        self.retry_after = retry_after
        self.first = first


def sender_key(seller_id: str | None, conversation: str) -> str:
    """Whose budget a message spends: the seller's (every channel and session of theirs), else the
    conversation's (a WhatsApp number linked to no seller)."""
    return f"seller:{seller_id}" if seller_id is not None else conversation


class MessageLimits:
    """The in-flight cap of this replica and the client of the shared budget."""

    def __init__(self, backend: ChannelBackend, messages_in_flight: int = DEFAULT_MESSAGES_IN_FLIGHT) -> None:
        self.backend = backend
        self.messages_in_flight = messages_in_flight
        self._in_flight: Counter[str] = Counter()
        self._told: set[str] = set()  # conversations refused during their current backlog
        # Senders refused since they were last admitted here -> (monotonic) when their Retry-After ends.
        self._refused_until: dict[str, float] = {}

    @contextmanager
    def in_flight(self, conversation: str) -> Iterator[None]:
        """Hold one of the conversation's in-flight places while its message is handled; TooManyMessages when
        none is free (a person waits for answers; only a script has more than a few messages queued)."""
        if self._in_flight[conversation] >= self.messages_in_flight:
            first = conversation not in self._told
            self._told.add(conversation)
            raise TooManyMessages(IN_FLIGHT_RETRY_SECONDS, first)
        self._in_flight[conversation] += 1
        try:
            yield
        finally:
            self._in_flight[conversation] -= 1
            if self._in_flight[conversation] <= 0:
                del self._in_flight[conversation]
                self._told.discard(conversation)

    async def spend(self, sender: str) -> None:
        """Count the message against the sender's shared budget; TooManyMessages once it is spent. A sender the
        backend refused is refused here, without asking, until its Retry-After has passed (a refused message
        doesn't change the budget, so the answer can't differ). With the backend down the message goes on (the
        bot then says what it can't do): the in-flight cap still holds."""
        if time.monotonic() < self._refused_until.get(sender, 0.0):
            raise TooManyMessages(max(1, math.ceil(self._refused_until[sender] - time.monotonic())), first=False)
        try:
            admitted, retry_after, first = await self.backend.admit_message(sender)
        except BackendError as error:
            logger.warning("limits: budget of %s not counted (%s); letting the message through", sender, error)
            return
        if admitted:
            self._refused_until.pop(sender, None)
            return
        now = time.monotonic()
        # The first refusal of a run here is answered too when another replica saw the run begin.
        first = first or sender not in self._refused_until
        if len(self._refused_until) >= _REMEMBERED_REFUSALS:  # forget those whose wait is over
            self._refused_until = {s: t for s, t in self._refused_until.items() if t > now}
        self._refused_until[sender] = now + retry_after
        raise TooManyMessages(retry_after, first)
