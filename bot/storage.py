"""What the bot remembers: subscriptions, feedback votes and the question log, in one SQLite file.

Users appear only as a keyed hash of their Telegram id, except where the real id is needed to
deliver something: a subscription keeps the chat id alerts go to. `forget` removes every row
about a user. The file is in WAL mode so `faqbot` commands can read it while the bot writes.

The question log keeps what the FAQ could not answer, already redacted (bot.redaction), so
staff can improve it; `daily_counts` keeps how often each outcome and entry came up, as numbers
only. Safeguarding messages are only counted there, never stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiosqlite

# Each step upgrades the schema by one version; PRAGMA user_version records how many ran.
# Never edit or reorder a step that has shipped: add a new one. Steps must keep existing rows.
MIGRATIONS: tuple[str, ...] = (
    # 1: subscriptions and feedback votes
    """
    CREATE TABLE subscriptions (
        chat_id INTEGER PRIMARY KEY,       -- where alerts are sent
        user_hash TEXT NOT NULL,           -- who subscribed, so `forget` finds the row
        created_at TEXT NOT NULL
    );
    CREATE INDEX subscriptions_by_user ON subscriptions (user_hash);
    CREATE TABLE votes (
        user_hash TEXT NOT NULL,
        chat_hash TEXT NOT NULL,
        message_id INTEGER NOT NULL,       -- the bot's answer message the vote is about
        entry_id TEXT NOT NULL,
        helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
        voted_at TEXT NOT NULL,
        PRIMARY KEY (user_hash, chat_hash, message_id)
    );
    CREATE INDEX votes_by_entry ON votes (entry_id);
    """,
    # 2: the question log, outcome counts, weekly digests; votes point at the question behind them
    """
    CREATE TABLE asked (
        id INTEGER PRIMARY KEY,
        asked_at TEXT NOT NULL,            -- UTC, ISO 8601
        outcome TEXT NOT NULL,             -- unanswered, suggest, or not_helpful (a vote)
        question TEXT NOT NULL,            -- redacted before it was written, never the original
        candidates TEXT NOT NULL,          -- JSON [[entry id, score], ...], best first
        entry_id TEXT,                     -- not_helpful: the entry the resident voted down
        chat_type TEXT NOT NULL,
        corpus_version TEXT NOT NULL,      -- which FAQ content the question was matched against
        user_hash TEXT NOT NULL
    );
    CREATE INDEX asked_by_time ON asked (asked_at);
    CREATE INDEX asked_by_user ON asked (user_hash);
    CREATE TABLE daily_counts (
        day TEXT NOT NULL,                 -- UTC date
        entry_id TEXT NOT NULL,            -- '' when no entry was given
        outcome TEXT NOT NULL,             -- answer, choice, suggest, unanswered, safeguarding...
        count INTEGER NOT NULL,
        PRIMARY KEY (day, entry_id, outcome)
    ) WITHOUT ROWID;
    CREATE TABLE digests_sent (
        week TEXT PRIMARY KEY,             -- ISO week, like 2025-W07
        sent_at TEXT NOT NULL
    );
    ALTER TABLE votes ADD COLUMN question_id INTEGER REFERENCES asked (id) ON DELETE SET NULL;
    """,
    # 3: the outbox of progress-update alerts (bot.outbox): a publication, a delivery per chat
    """
    CREATE TABLE publications (
        update_id TEXT PRIMARY KEY,        -- the id in faq/updates.yaml: published at most once
        alert TEXT NOT NULL,               -- the message each subscriber gets, as queued
        published_at TEXT NOT NULL,
        recipients INTEGER NOT NULL        -- how many were subscribed when it was published
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        update_id TEXT NOT NULL REFERENCES publications (update_id),
        -- NULL once the chat unsubscribes or is forgotten: an alert not yet sent is dropped
        chat_id INTEGER REFERENCES subscriptions (chat_id) ON DELETE SET NULL,
        state TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'delivered', 'failed', 'unsubscribed')),
        attempts INTEGER NOT NULL DEFAULT 0,   -- failed attempts so far
        retry_at REAL NOT NULL DEFAULT 0,      -- Unix time before which it is not tried again
        finished_at REAL,                      -- Unix time it was delivered or given up on
        error TEXT                             -- why it failed, for `faqbot publish --status`
    );
    CREATE INDEX deliveries_queued ON deliveries (retry_at, id) WHERE state = 'queued';
    CREATE INDEX deliveries_by_update ON deliveries (update_id, state);
    CREATE INDEX deliveries_by_chat ON deliveries (chat_id);
    """,
    # 4: the council's news feed (bot.feed) and the channel updates are posted to (bot.channel)
    """
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY,              -- FAQBOT_UPDATES_FEED
        first_read_at TEXT NOT NULL        -- the items in it then are history: never alerted
    );
    CREATE TABLE feed_items (
        feed_url TEXT NOT NULL REFERENCES feeds (url),
        item_key TEXT NOT NULL,            -- the item's guid (Atom: id), or its link without one
        seen_at TEXT NOT NULL,
        -- The update the item became; NULL when it was history or did not match the filters.
        update_id TEXT,
        date TEXT,
        title TEXT,
        summary TEXT,
        link TEXT,
        PRIMARY KEY (feed_url, item_key)
    );
    CREATE TABLE channels (
        channel TEXT PRIMARY KEY,          -- FAQBOT_UPDATES_CHANNEL, as set
        configured_at TEXT NOT NULL
    );
    CREATE TABLE channel_posts (
        channel TEXT NOT NULL REFERENCES channels (channel),
        update_id TEXT NOT NULL REFERENCES publications (update_id),
        -- NULL: published before the channel was configured, so never posted
        message_id INTEGER,
        posted_at TEXT NOT NULL,
        PRIMARY KEY (channel, update_id)
    );
    """,
    # 5: the weekly digest is delivered admin by admin (bot.digest): a failed or interrupted
    # send is retried for the admins not yet reached. A week claimed before this step has no
    # record per admin; it was sent, or lost, already, so it counts as complete.
    """
    ALTER TABLE digests_sent ADD COLUMN completed_at TEXT;  -- every admin has had it
    UPDATE digests_sent SET completed_at = sent_at;
    CREATE TABLE digest_deliveries (
        week TEXT NOT NULL REFERENCES digests_sent (week),
        admin_id INTEGER NOT NULL,         -- a Telegram user id from FAQBOT_ADMINS
        delivered_at TEXT,                 -- NULL until Telegram has accepted this admin's copy
        -- Not tried before this (UTC): after a failure, or while a send is under way, so that
        -- a second bot, or a restart, leaves it alone until then.
        retry_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,   -- failed attempts so far
        error TEXT,                            -- why the last attempt failed
        PRIMARY KEY (week, admin_id)
    ) WITHOUT ROWID;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """The database cannot be used as it is; the message says what to do."""


@dataclass(frozen=True)
class Subscription:
    chat_id: int
    created_at: datetime


@dataclass(frozen=True)
class Vote:
    entry_id: str
    helpful: bool
    voted_at: datetime


@dataclass(frozen=True)
class VoteCount:
    entry_id: str
    helpful: int
    not_helpful: int


@dataclass(eq=False)
class LoggedQuestion:
    """One row of the question log. `question` must already be redacted."""

    asked_at: datetime
    outcome: str
    question: str
    candidates: tuple[tuple[str, float], ...]
    chat_type: str
    corpus_version: str
    user_hash: str
    entry_id: str | None = None
    id: int | None = None  # set once the row is written


@dataclass(frozen=True)
class LoggedWording:
    """One wording of the question log with an outcome and FAQ version, and how often it came."""

    question: str
    outcome: str
    corpus_version: str
    count: int


@dataclass(frozen=True)
class OutcomeCount:
    entry_id: str  # '' when the outcome has no entry
    outcome: str
    count: int


# Writes of the question log, applied together by `Store.write` in one transaction.


@dataclass(frozen=True)
class LogQuestion:
    question: LoggedQuestion


@dataclass(frozen=True)
class DeleteQuestion:
    """A logged suggestion the resident then resolved by pressing one of its choices."""

    question: LoggedQuestion


@dataclass(frozen=True)
class CountOutcome:
    day: date
    entry_id: str
    outcome: str
    count: int = 1


@dataclass(frozen=True)
class RecordVote:
    """A vote; a "not helpful" one brings the question that led to the answer, if known."""

    user_hash: str
    chat_hash: str
    message_id: int
    entry_id: str
    helpful: bool
    voted_at: datetime
    question: LoggedQuestion | None = field(default=None)


Write = LogQuestion | DeleteQuestion | CountOutcome | RecordVote


def load_or_create_hash_key(path: Path) -> bytes:
    """The key for user hashes, generated once and kept in `path` (readable by its owner only)."""
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if not key:
            raise StoreError(f"{path} is empty - delete it and a new key will be made on start")
        return key.encode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    return key.encode("ascii")


def _now() -> str:
    return _timestamp(datetime.now(UTC))


def _timestamp(moment: datetime) -> str:
    """UTC, to the second: stored timestamps compare correctly as text."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class Store:
    """The bot's SQLite database. Call `open()` before use and `close()` when done."""

    def __init__(self, path: Path, hash_key: bytes | None, busy_timeout: float = 5.0):
        # hash_key None: a staff tool that only reads, and never needs to hash a user.
        self.path = path
        self._hash_key = hash_key
        self.busy_timeout = busy_timeout
        self._db: aiosqlite.Connection | None = None
        # Writes take turns, so a statement from one handler never lands inside another's
        # transaction (the connection is shared by every handler).
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        """Open the file, creating it and bringing its schema up to date as needed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            # busy_timeout first: the CLI may hold a lock while the bot starts.
            await db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
            # Deleted rows (forgotten users, purged questions) are overwritten, not left behind.
            await db.execute("PRAGMA secure_delete = ON")
            await self._migrate(db)
        except BaseException:
            await db.close()
            raise
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _migrate(self, db: aiosqlite.Connection) -> None:
        version = await _user_version(db)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer faqbot (schema {version}, this one knows "
                f"{SCHEMA_VERSION}) - upgrade faqbot rather than use an older version with it"
            )
        for number in range(version + 1, SCHEMA_VERSION + 1):
            # One transaction per step: a failed step leaves the previous version intact.
            await db.executescript(
                f"BEGIN IMMEDIATE;\n{MIGRATIONS[number - 1]}\nPRAGMA user_version = {number};\n"
                "COMMIT;"
            )

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("Store.open() must be awaited before the store is used")
        return self._db

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction, all or nothing, for modules with tables of their own (outbox).

        It takes its turn with the store's other writes, as they share the connection.
        """
        async with self._write_lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                await self.db.execute("COMMIT")
            except BaseException:
                await _roll_back(self.db)
                raise

    def user_hash(self, user_id: int) -> str:
        """The keyed hash that stands for a Telegram user (or chat) in the database."""
        if self._hash_key is None:
            raise StoreError("this store was opened without the hash key, so it cannot hash users")
        return hmac.new(self._hash_key, str(user_id).encode(), hashlib.sha256).hexdigest()

    async def schema_version(self) -> int:
        return await _user_version(self.db)

    # Subscriptions

    async def subscribe(self, user_id: int, chat_id: int) -> bool:
        """Subscribe a chat to alerts; False when it already was."""
        async with self._write_lock:
            cursor = await self.db.execute(
                "INSERT INTO subscriptions (chat_id, user_hash, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (chat_id) DO NOTHING",
                (chat_id, self.user_hash(user_id), _now()),
            )
        return cursor.rowcount == 1

    async def unsubscribe(self, chat_id: int) -> bool:
        """Stop alerts to a chat; False when it was not subscribed."""
        async with self._write_lock:
            cursor = await self.db.execute(
                "DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,)
            )
        return cursor.rowcount > 0

    async def is_subscribed(self, chat_id: int) -> bool:
        async with self.db.execute(
            "SELECT 1 FROM subscriptions WHERE chat_id = ?", (chat_id,)
        ) as cursor:
            return await cursor.fetchone() is not None

    async def subscriptions(self) -> list[Subscription]:
        """Every subscribed chat, oldest subscription first."""
        async with self.db.execute(
            "SELECT chat_id, created_at FROM subscriptions ORDER BY created_at, chat_id"
        ) as cursor:
            rows = await cursor.fetchall()
        return [Subscription(row[0], datetime.fromisoformat(row[1])) for row in rows]

    # Feedback

    async def record_vote(
        self, user_id: int, chat_id: int, message_id: int, entry_id: str, helpful: bool
    ) -> None:
        """Record a user's vote on one answer message; voting again replaces the vote."""
        async with self._write_lock:
            await self._record_vote(user_id, chat_id, message_id, entry_id, helpful)

    async def _record_vote(
        self, user_id: int, chat_id: int, message_id: int, entry_id: str, helpful: bool
    ) -> None:
        await self.db.execute(
            "INSERT INTO votes (user_hash, chat_hash, message_id, entry_id, helpful, voted_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_hash, chat_hash, message_id) DO UPDATE SET"
            " entry_id = excluded.entry_id, helpful = excluded.helpful,"
            " voted_at = excluded.voted_at",
            (
                self.user_hash(user_id),
                self.user_hash(chat_id),
                message_id,
                entry_id,
                int(helpful),
                _now(),
            ),
        )

    async def votes_by(self, user_id: int) -> list[Vote]:
        async with self.db.execute(
            "SELECT entry_id, helpful, voted_at FROM votes WHERE user_hash = ?"
            " ORDER BY voted_at, entry_id",
            (self.user_hash(user_id),),
        ) as cursor:
            rows = await cursor.fetchall()
        return [Vote(row[0], bool(row[1]), datetime.fromisoformat(row[2])) for row in rows]

    async def vote_counts(self, since: datetime | None = None) -> list[VoteCount]:
        """Helpful and not-helpful votes per FAQ entry (cast since `since`), most voted first."""
        async with self.db.execute(
            "SELECT entry_id, SUM(helpful), SUM(1 - helpful) FROM votes WHERE voted_at >= ?"
            " GROUP BY entry_id ORDER BY COUNT(*) DESC, entry_id",
            (_timestamp(since) if since is not None else "",),
        ) as cursor:
            rows = await cursor.fetchall()
        return [VoteCount(row[0], row[1], row[2]) for row in rows]

    # Privacy

    async def forget(self, user_id: int) -> int:
        """Delete every row about this user (and their private chat); returns how many."""
        user_hash = self.user_hash(user_id)
        statements = (
            ("DELETE FROM subscriptions WHERE user_hash = ? OR chat_id = ?", (user_hash, user_id)),
            ("DELETE FROM votes WHERE user_hash = ?", (user_hash,)),
            ("DELETE FROM asked WHERE user_hash = ?", (user_hash,)),
        )
        deleted = 0
        async with self._write_lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                for statement, parameters in statements:
                    cursor = await self.db.execute(statement, parameters)
                    deleted += cursor.rowcount
                await self.db.execute("COMMIT")
            except BaseException:
                await _roll_back(self.db)
                raise
        await self._erase_deleted_rows()
        return deleted

    # The question log

    async def write(self, writes: Sequence[Write]) -> None:
        """Apply the question log's writes in one transaction: all of them, or none.

        Raises sqlite3.OperationalError when the database is locked, full or read-only; the
        caller keeps the writes and tries again. A write the database refuses for good (a
        constraint) is skipped, so one bad row cannot hold up the rest for ever.
        """
        written: list[tuple[LoggedQuestion, int]] = []
        async with self._write_lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                for item in writes:
                    try:
                        await self._apply(item, written)
                    except sqlite3.IntegrityError:
                        continue
                await self.db.execute("COMMIT")
            except BaseException:
                await _roll_back(self.db)
                raise
        for question, row_id in written:
            question.id = row_id
        if any(isinstance(item, DeleteQuestion | RecordVote) for item in writes):
            await self._erase_deleted_rows()

    async def _erase_deleted_rows(self) -> None:
        """Copy the WAL into the file and empty it, so deleted text is left in neither.

        secure_delete zeroes a deleted row in the page's new version, but the WAL still holds
        the old version until a checkpoint. If a reader keeps the checkpoint from finishing,
        the next one erases the rest.
        """
        async with self._write_lock:
            await self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def _apply(self, item: Write, written: list[tuple[LoggedQuestion, int]]) -> None:
        if isinstance(item, LogQuestion):
            written.append((item.question, await self._insert_question(item.question)))
        elif isinstance(item, DeleteQuestion):
            # The suggestion may have been written in this same transaction.
            row_id = item.question.id
            for question, row in written:
                if question is item.question:
                    row_id = row
            if row_id is not None:
                await self.db.execute("DELETE FROM asked WHERE id = ?", (row_id,))
        elif isinstance(item, CountOutcome):
            await self.db.execute(
                "INSERT INTO daily_counts (day, entry_id, outcome, count) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (day, entry_id, outcome)"
                " DO UPDATE SET count = count + excluded.count",
                (item.day.isoformat(), item.entry_id, item.outcome, item.count),
            )
        else:
            await self._apply_vote(item, written)

    async def _apply_vote(
        self, vote: RecordVote, written: list[tuple[LoggedQuestion, int]]
    ) -> None:
        key = (vote.user_hash, vote.chat_hash, vote.message_id)
        # A vote replaces the one before it, and so does the question a "not helpful" brought.
        await self.db.execute(
            "DELETE FROM asked WHERE id = (SELECT question_id FROM votes"
            " WHERE user_hash = ? AND chat_hash = ? AND message_id = ?)",
            key,
        )
        question_id = None
        if vote.question is not None and not vote.helpful:
            question_id = await self._insert_question(vote.question)
            written.append((vote.question, question_id))
        await self.db.execute(
            "INSERT INTO votes (user_hash, chat_hash, message_id, entry_id, helpful, voted_at,"
            " question_id) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_hash, chat_hash, message_id) DO UPDATE SET"
            " entry_id = excluded.entry_id, helpful = excluded.helpful,"
            " voted_at = excluded.voted_at, question_id = excluded.question_id",
            (*key, vote.entry_id, int(vote.helpful), _timestamp(vote.voted_at), question_id),
        )

    async def _insert_question(self, question: LoggedQuestion) -> int:
        cursor = await self.db.execute(
            "INSERT INTO asked (asked_at, outcome, question, candidates, entry_id, chat_type,"
            " corpus_version, user_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _timestamp(question.asked_at),
                question.outcome,
                question.question,
                json.dumps([[entry_id, score] for entry_id, score in question.candidates]),
                question.entry_id,
                question.chat_type,
                question.corpus_version,
                question.user_hash,
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def logged_questions(
        self, since: datetime, outcomes: Sequence[str] = ("unanswered", "suggest")
    ) -> list[LoggedQuestion]:
        """The logged questions asked since `since` with one of `outcomes`, oldest first."""
        placeholders = ", ".join("?" for _ in outcomes)
        async with self.db.execute(
            "SELECT id, asked_at, outcome, question, candidates, entry_id, chat_type,"
            f" corpus_version, user_hash FROM asked WHERE asked_at >= ? AND outcome IN"
            f" ({placeholders}) ORDER BY asked_at, id",
            (_timestamp(since), *outcomes),
        ) as cursor:
            rows = await cursor.fetchall()
        with paused_garbage_collection():
            return [
                LoggedQuestion(
                    id=row[0],
                    asked_at=datetime.fromisoformat(row[1]),
                    outcome=row[2],
                    question=row[3],
                    candidates=tuple([(entry_id, score) for entry_id, score in found]),
                    entry_id=row[5],
                    chat_type=row[6],
                    corpus_version=row[7],
                    user_hash=row[8],
                )
                for row, found in zip(rows, _decoded([row[4] for row in rows]), strict=True)
            ]

    async def logged_wordings(
        self, since: datetime, outcomes: Sequence[str] = ("unanswered", "suggest")
    ) -> list[LoggedWording]:
        """`logged_questions`, each wording once with how often it was asked: all a re-test needs.

        SQLite counts them, so 100,000 rows cost no Python objects (a fifth of the time of
        `faqbot unanswered --retest` went on decoding rows whose dates, users and candidates
        it never reads). In the order each was first asked.
        """
        placeholders = ", ".join("?" for _ in outcomes)
        async with self.db.execute(
            "SELECT question, outcome, corpus_version, COUNT(*) FROM asked"
            f" WHERE asked_at >= ? AND outcome IN ({placeholders})"
            " GROUP BY question, outcome, corpus_version ORDER BY MIN(asked_at), MIN(id)",
            (_timestamp(since), *outcomes),
        ) as cursor:
            rows = await cursor.fetchall()
        return [LoggedWording(row[0], row[1], row[2], row[3]) for row in rows]

    async def outcome_counts(self, since: date) -> list[OutcomeCount]:
        """How often each outcome (and entry) came up from the day `since` on, most first."""
        async with self.db.execute(
            "SELECT entry_id, outcome, SUM(count) FROM daily_counts WHERE day >= ?"
            " GROUP BY entry_id, outcome ORDER BY SUM(count) DESC, outcome, entry_id",
            (since.isoformat(),),
        ) as cursor:
            rows = await cursor.fetchall()
        return [OutcomeCount(row[0], row[1], row[2]) for row in rows]

    async def purge(self, before: datetime) -> int:
        """Delete logged questions and votes older than `before`; returns how many rows.

        The daily counts stay: they are numbers with no user in them, and keep `faqbot stats`
        meaningful over a longer period.
        """
        deleted = 0
        async with self._write_lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                for table, column in (("asked", "asked_at"), ("votes", "voted_at")):
                    cursor = await self.db.execute(
                        f"DELETE FROM {table} WHERE {column} < ?", (_timestamp(before),)
                    )
                    deleted += cursor.rowcount
                await self.db.execute("COMMIT")
            except BaseException:
                await _roll_back(self.db)
                raise
        await self._erase_deleted_rows()
        return deleted


async def _roll_back(db: aiosqlite.Connection) -> None:
    """Undo the open transaction, if any, without hiding why it failed.

    A task cancelled while its COMMIT runs in aiosqlite's thread sees CancelledError, but the
    COMMIT may still go through; the ROLLBACK then fails, and its error must not replace the
    CancelledError: a task that loses its cancellation never stops (a bot that hangs on exit).
    """
    with contextlib.suppress(sqlite3.Error):
        if db.in_transaction:
            await db.execute("ROLLBACK")


def _decoded(texts: list[str]) -> list[Any]:
    """Each JSON text decoded, all in one call: half the time of a call each for 100,000.

    Should the joined texts not split back into one value each (a damaged row), each is
    decoded alone, so the damaged one raises the error it always did.
    """
    try:
        found = json.loads("[" + ",".join(texts) + "]")
    except ValueError:
        found = None
    if not isinstance(found, list) or len(found) != len(texts):
        found = [json.loads(text) for text in texts]
    return found


@contextlib.contextmanager
def paused_garbage_collection() -> Iterator[None]:
    """No cycle collection while the question log is read or re-tested in bulk.

    Those steps make hundreds of thousands of objects and no cycles, and each collection
    would scan all the objects made so far again: 10 to 30% of their time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def _user_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0
