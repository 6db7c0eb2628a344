"""Rasa's Redis lock store with atomic ticket updates, for several Rasa replicas sharing one Redis.

Rasa's ``RedisLockStore`` updates a conversation's ticket lock by reading it, changing it in Python and writing it
back (Rasa issue #9213). Two replicas taking a ticket for the same conversation at once can then both read the
same lock, issue the same ticket number and both go ahead, or one replica's cleanup can delete the lock while a
ticket of the other is waiting in it. Here every change is a Redis transaction (WATCH / MULTI / EXEC): a
concurrent change makes the transaction fail and it is redone on the new value, and the lock is deleted only
when it holds no ticket.

A waiting ticket is renewed on every poll (Rasa lets its lifetime run out while it waits): after a replica dies
mid-turn, the conversation's next turn waits for the dead ticket to expire, then runs, instead of expiring with it
and failing with a LockError (tests/scaled/test_lock_after_a_crash.py).

Configured in endpoints.scaled.yml (``type: storage.redis_lock.AtomicRedisLockStore``) with the same keys as
Rasa's ``type: redis`` (``url``, ``port``, ``db``, ``key_prefix``, ...).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any, Callable, Optional, Text, TypeVar

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)
T = TypeVar("T")
# A lock whose tickets all expired (its replica died mid-turn) must not stay in Redis forever.
_KEY_GRACE_SECONDS = 60


class AtomicRedisLockStore(RedisLockStore):
    """A ``RedisLockStore`` whose ticket changes are Redis transactions (safe across replicas)."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        """Connect as Rasa's ``RedisLockStore`` does, from the endpoint config (``url`` is the host)."""
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: Text, change: Callable[[TicketLock], T]) -> T:
        """Apply ``change`` to the stored lock in one transaction; an empty lock is deleted."""
        key = self.key_prefix + conversation_id
        outcome: list[T] = []

        def apply(pipe: Any) -> None:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else TicketLock(conversation_id)
            value = change(lock)
            lock.remove_expired_tickets()
            pipe.multi()
            if lock.tickets:
                last_expiry = max(ticket.expires for ticket in lock.tickets)
                ttl = max(1, math.ceil(last_expiry - time.time())) + _KEY_GRACE_SECONDS
                pipe.set(key, lock.dumps(), ex=ttl)
            else:
                pipe.delete(key)
            outcome[:] = [value]

        # transaction() WATCHes the key and reruns apply() whenever another client changed it before EXEC.
        self.red.transaction(apply, key)
        return outcome[0]

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ticket lock, with the waiting ticket kept alive until its turn comes."""
        # The ticket is issued and the lock read back in one transaction: a turn that need not wait costs no poll.
        ticket, lock = self._issue(conversation_id, lock_lifetime)
        try:
            while lock.is_locked(ticket):
                await asyncio.sleep(wait_time_in_seconds)
                lock = self._change(conversation_id, lambda lock: _keep_waiting(lock, ticket, lock_lifetime))
            yield lock
        finally:
            self.cleanup(conversation_id, ticket)

    def _issue(self, conversation_id: Text, lock_lifetime: float) -> tuple[int, TicketLock]:
        """A new ticket and the lock as it stands with it, atomically."""
        try:
            return self._change(conversation_id, lambda lock: (lock.issue_ticket(lock_lifetime), lock))
        except Exception as error:  # noqa: BLE001 - Rasa's contract: any failure here is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue the next ticket for the conversation, atomically."""
        return self._issue(conversation_id, lock_lifetime)[0]

    def update_lock(self, conversation_id: Text) -> None:
        """Drop expired tickets, atomically (an expired holder must not block the queue)."""
        self._change(conversation_id, lambda lock: None)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove the served ticket, atomically."""
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove the served ticket; the lock goes only if no other ticket waits in it (same transaction)."""
        self.finish_serving(conversation_id, ticket_number)


def _keep_waiting(lock: TicketLock, number: int, lifetime: float) -> TicketLock:
    """Drop the others' expired tickets and renew this one (back in its place if it had expired meanwhile)."""
    now = time.time()
    kept = [ticket for ticket in lock.tickets if ticket.number == number or ticket.expires > now]
    kept = [ticket for ticket in kept if ticket.number != number] + [Ticket(number, now + lifetime)]
    lock.tickets = deque(sorted(kept, key=lambda ticket: ticket.number))
    return lock
