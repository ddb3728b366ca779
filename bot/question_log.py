"""Records what residents asked, in the background, so a database fault never delays an answer.

A front end calls `record`, `choice_pressed` and `vote` straight after replying; they only
queue writes in memory and return. `run` writes the queue in batches. When the database is
locked, full or read-only, the writes stay queued (up to `max_pending`, oldest dropped first)
and are tried again every `retry_interval` seconds. On shutdown `close` makes one last try;
whatever still cannot be written is lost, and the log says how many writes that was.

What is kept: unanswered questions and unresolved "did you mean" suggestions, redacted; the
question behind a "not helpful" vote, redacted; and a count per day, outcome and entry of
everything else. A suggestion is written when it is made and deleted again when the resident
presses one of its choices (often before it has even reached the disk), so only suggestions
nobody resolved stay in the log. Safeguarding messages are only counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from bot.event_log import log_event
from bot.redaction import redact
from bot.reply import Outcome, Reply
from bot.storage import (
    CountOutcome,
    DeleteQuestion,
    LoggedQuestion,
    LogQuestion,
    RecordVote,
    Store,
    Write,
)

# Longer messages are cut before they are redacted and stored: staff need the question, and
# a pasted letter is more likely to carry personal data the patterns miss.
MAX_STORED_CHARACTERS = 1_000
BATCH_SIZE = 500
# How many recent suggestions and answers are remembered (in memory) to link a later button
# press or vote back to the question; older ones are forgotten.
MAX_REMEMBERED = 5_000


@dataclass(frozen=True)
class _Suggestion:
    question: LoggedQuestion
    choices: frozenset[str]


class QuestionLog:
    """The bot's side of the question log: queue now, write soon, never block a reply."""

    def __init__(
        self,
        store: Store,
        *,
        retention_days: int = 180,
        max_pending: int = 10_000,
        retry_interval: float = 5.0,
        purge_interval: float = 6 * 3600.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.store = store
        self.retention_days = retention_days
        self.max_pending = max_pending
        self.retry_interval = retry_interval
        self.purge_interval = purge_interval
        self.clock = clock
        self._pending: deque[Write] = deque()
        self._dropped = 0
        self._wake = asyncio.Event()  # set when a write is queued, and on closing
        self._stopping = asyncio.Event()
        self._flushing = asyncio.Lock()
        self._suggestions: OrderedDict[tuple[str, str], _Suggestion] = OrderedDict()
        self._answered: OrderedDict[tuple[str, str, str], LoggedQuestion] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._failing = False  # the last write failed; the next comes from the retry loop

    @property
    def pending(self) -> int:
        """Writes waiting for the database."""
        return len(self._pending)

    # -- What the front end calls ---------------------------------------------------------------

    def record(
        self,
        *,
        user_id: int,
        chat_id: int,
        chat_type: str,
        text: str,
        reply: Reply,
        corpus_version: str,
    ) -> None:
        """Count a reply, and log its question if the FAQ could not answer it outright."""
        now = self.clock()
        self._queue(CountOutcome(now.date(), reply.entry_id or "", reply.outcome.value))
        if reply.outcome in (Outcome.SAFEGUARDING, Outcome.SMALLTALK) or not text.strip():
            return
        user_hash, chat_hash = self.store.user_hash(user_id), self.store.user_hash(chat_id)
        question = LoggedQuestion(
            asked_at=now,
            outcome=reply.outcome.value,
            question=redact(text[:MAX_STORED_CHARACTERS]),
            candidates=tuple((c.entry_id, c.score) for c in reply.candidates),
            chat_type=chat_type,
            corpus_version=corpus_version,
            user_hash=user_hash,
        )
        if reply.outcome is Outcome.ANSWER and reply.entry_id is not None:
            # Kept in memory only, in case the resident says the answer did not help.
            _remember(self._answered, (user_hash, chat_hash, reply.entry_id), question)
            return
        self._queue(LogQuestion(question))
        if reply.outcome is Outcome.SUGGEST:
            choices = frozenset(choice.entry_id for choice in reply.choices)
            _remember(self._suggestions, (user_hash, chat_hash), _Suggestion(question, choices))

    def choice_pressed(self, *, user_id: int, chat_id: int, entry_id: str) -> None:
        """A choice button: resolves the resident's last suggestion if it offered this entry."""
        user_hash, chat_hash = self.store.user_hash(user_id), self.store.user_hash(chat_id)
        suggestion = self._suggestions.get((user_hash, chat_hash))
        today = self.clock().date()
        if suggestion is None or entry_id not in suggestion.choices:
            # A question picked while browsing /topics, or from a suggestion long forgotten.
            self._queue(CountOutcome(today, entry_id, "browse"))
            return
        del self._suggestions[(user_hash, chat_hash)]
        self._queue(CountOutcome(today, entry_id, "choice"))
        self._unlog(suggestion.question)
        _remember(self._answered, (user_hash, chat_hash, entry_id), suggestion.question)

    def vote(
        self, *, user_id: int, chat_id: int, message_id: int, entry_id: str, helpful: bool
    ) -> None:
        """Helpful / Not helpful; a "not helpful" brings the question that got the answer."""
        user_hash, chat_hash = self.store.user_hash(user_id), self.store.user_hash(chat_id)
        asked = self._answered.get((user_hash, chat_hash, entry_id))
        question = (
            replace(asked, outcome="not_helpful", entry_id=entry_id, id=None)
            if asked is not None and not helpful
            else None
        )
        self._queue(
            RecordVote(user_hash, chat_hash, message_id, entry_id, helpful, self.clock(), question)
        )

    # -- Writing ----------------------------------------------------------------------------------

    async def write_now(self) -> None:
        """Write the queue at once, unless the database is failing (then the retries will).

        For writes a resident may look for straight away, like their vote. While the database
        is failing this returns at once, so it costs nobody a wait.
        """
        if not self._failing:
            await self.flush()

    def start(self) -> None:
        """Start writing in the background (in a running event loop)."""
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self.run(), name="question-log")

    async def close(self, timeout: float = 3.0) -> None:
        """Stop the background writer, then one last try at writing what is still queued."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            # The writer stops between batches by itself: a write is never cut off half done.
            await asyncio.wait([self._task], timeout=timeout)
            if not self._task.done():
                self._task.cancel()
            self._task = None
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.flush(), timeout)
        if self._pending:
            log_event("question_log_lost", logging.WARNING, writes=len(self._pending))

    async def run(self) -> None:
        """Write what is queued as it comes, retry after faults, purge old rows now and then.

        Returns once `close` is called, after one last try at writing the queue.
        """
        next_purge = 0.0
        while not self._stopping.is_set():
            if time.monotonic() >= next_purge:
                purged = await self.purge()
                next_purge = time.monotonic() + (
                    self.purge_interval if purged is not None else self.retry_interval
                )
            if await self.flush():
                await _wait(self._wake, next_purge - time.monotonic())
                self._wake.clear()
            else:
                await _wait(self._stopping, self.retry_interval)
        await self.flush()

    async def flush(self) -> bool:
        """Write everything queued; False, with the writes kept, if the database refused."""
        async with self._flushing:
            while self._pending:
                batch = [self._pending.popleft() for _ in range(min(BATCH_SIZE, self.pending))]
                try:
                    await self.store.write(batch)
                except (sqlite3.Error, OSError, RuntimeError, ValueError) as error:
                    # Locked, full, read-only, or closed: keep the writes for the next try.
                    self._pending.extendleft(reversed(batch))
                    self._drop_oldest_beyond_limit()
                    self._failing = True
                    log_event(
                        "question_log_write_failed",
                        logging.WARNING,
                        error=f"{type(error).__name__}: {error}",
                        pending=len(self._pending),
                    )
                    return False
        self._failing = False
        return True

    async def purge(self) -> int | None:
        """Delete what is older than the retention period; None if the database refused."""
        before = self.clock() - timedelta(days=self.retention_days)
        try:
            deleted = await self.store.purge(before)
        except (sqlite3.Error, OSError, RuntimeError, ValueError) as error:
            log_event("purge_failed", logging.WARNING, error=f"{type(error).__name__}: {error}")
            return None
        if deleted:
            log_event("purged", rows=deleted, retention_days=self.retention_days)
        return deleted

    def _queue(self, write: Write) -> None:
        self._pending.append(write)
        self._drop_oldest_beyond_limit()
        self._wake.set()

    def _unlog(self, question: LoggedQuestion) -> None:
        """Take a question out of the log: out of the queue if still there, else off the disk."""
        for index, write in enumerate(self._pending):
            if isinstance(write, LogQuestion) and write.question is question:
                del self._pending[index]
                return
        self._queue(DeleteQuestion(question))

    def _drop_oldest_beyond_limit(self) -> None:
        while len(self._pending) > self.max_pending:
            self._pending.popleft()
            self._dropped += 1
            if self._dropped == 1 or self._dropped % 1000 == 0:
                log_event("question_log_dropped", logging.WARNING, writes=self._dropped)


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Until `event` is set or `seconds` have passed."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=max(0.0, seconds))


def _remember(memory: OrderedDict, key: object, value: object) -> None:
    memory[key] = value
    memory.move_to_end(key)
    while len(memory) > MAX_REMEMBERED:
        memory.popitem(last=False)
