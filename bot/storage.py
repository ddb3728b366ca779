"""What the bot remembers about residents: subscriptions and feedback votes, in one SQLite file.

Users appear only as a keyed hash of their Telegram id, except where the real id is needed to
deliver something: a subscription keeps the chat id alerts go to. `forget` removes every row
about a user. The file is in WAL mode so `faqbot` commands can read it while the bot writes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """The bot's SQLite database. Call `open()` before use and `close()` when done."""

    def __init__(self, path: Path, hash_key: bytes):
        self.path = path
        self._hash_key = hash_key
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
            await db.execute("PRAGMA busy_timeout = 5000")
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
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

    def user_hash(self, user_id: int) -> str:
        """The keyed hash that stands for a Telegram user (or chat) in the database."""
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

    async def vote_counts(self) -> list[VoteCount]:
        """Helpful and not-helpful votes per FAQ entry, most voted first."""
        async with self.db.execute(
            "SELECT entry_id, SUM(helpful), SUM(1 - helpful) FROM votes GROUP BY entry_id"
            " ORDER BY COUNT(*) DESC, entry_id"
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
                await self.db.execute("ROLLBACK")
                raise
        return deleted


async def _user_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0
