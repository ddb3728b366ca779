import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import MIGRATIONS, SCHEMA_VERSION, Store, StoreError, load_or_create_hash_key

KEY = b"test-key"


@pytest.fixture
async def store(tmp_path: Path):
    async with Store(tmp_path / "bot.sqlite3", KEY) as store:
        yield store


async def test_a_new_database_is_created_at_the_latest_schema_in_wal_mode(tmp_path: Path):
    path = tmp_path / "data" / "bot.sqlite3"
    async with Store(path, KEY) as store:
        assert await store.schema_version() == SCHEMA_VERSION
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_reopening_keeps_every_row(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    async with Store(path, KEY) as store:
        await store.subscribe(user_id=5, chat_id=5)
        await store.record_vote(5, 5, message_id=10, entry_id="what-is-ofsted", helpful=True)
    async with Store(path, KEY) as store:
        assert await store.is_subscribed(5)
        assert [vote.entry_id for vote in await store.votes_by(5)] == ["what-is-ofsted"]


async def test_an_older_database_is_upgraded_without_losing_rows(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    # A database as the first release left it, with a subscriber in it.
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
        db.execute("INSERT INTO subscriptions VALUES (42, 'someone', '2025-01-01T00:00:00+00:00')")
    async with Store(path, KEY) as store:
        assert await store.schema_version() == SCHEMA_VERSION
        assert [s.chat_id for s in await store.subscriptions()] == [42]


async def test_a_database_from_a_newer_faqbot_is_refused_untouched(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer faqbot"):
        await Store(path, KEY).open()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


async def test_the_cli_can_read_while_the_bot_holds_the_database_open(store: Store):
    await store.subscribe(user_id=1, chat_id=1)
    with sqlite3.connect(store.path, timeout=1) as reader:
        assert reader.execute("SELECT COUNT(*) FROM subscriptions").fetchone()[0] == 1


async def test_subscribing_twice_keeps_one_subscription(store: Store):
    assert await store.subscribe(user_id=7, chat_id=7) is True
    assert await store.subscribe(user_id=7, chat_id=7) is False
    assert [s.chat_id for s in await store.subscriptions()] == [7]


async def test_unsubscribing_stops_the_subscription_and_says_whether_there_was_one(store: Store):
    await store.subscribe(user_id=7, chat_id=7)
    assert await store.unsubscribe(7) is True
    assert await store.is_subscribed(7) is False
    assert await store.unsubscribe(7) is False


async def test_voting_again_on_the_same_answer_changes_the_vote(store: Store):
    await store.record_vote(3, 3, message_id=100, entry_id="rating-2024", helpful=True)
    await store.record_vote(3, 3, message_id=100, entry_id="rating-2024", helpful=False)
    votes = await store.votes_by(3)
    assert [(v.entry_id, v.helpful) for v in votes] == [("rating-2024", False)]
    counts = await store.vote_counts()
    assert [(c.entry_id, c.helpful, c.not_helpful) for c in counts] == [("rating-2024", 0, 1)]


async def test_votes_on_different_answers_and_by_different_users_all_count(store: Store):
    await store.record_vote(3, 3, message_id=100, entry_id="rating-2024", helpful=True)
    await store.record_vote(3, 3, message_id=101, entry_id="rating-2024", helpful=True)
    await store.record_vote(4, 4, message_id=100, entry_id="rating-2024", helpful=False)
    counts = await store.vote_counts()
    assert [(c.entry_id, c.helpful, c.not_helpful) for c in counts] == [("rating-2024", 2, 1)]


async def test_forget_deletes_every_row_about_the_user_and_nobody_elses(store: Store):
    await store.subscribe(user_id=3, chat_id=3)
    await store.record_vote(3, 3, message_id=100, entry_id="rating-2024", helpful=True)
    await store.record_vote(3, -500, message_id=7, entry_id="what-is-ofsted", helpful=False)
    await store.subscribe(user_id=4, chat_id=4)
    await store.record_vote(4, 4, message_id=100, entry_id="rating-2024", helpful=True)

    assert await store.forget(3) == 3

    assert await store.votes_by(3) == []
    assert await store.is_subscribed(3) is False
    assert await store.is_subscribed(4) is True
    assert len(await store.votes_by(4)) == 1


async def test_users_are_stored_only_as_a_keyed_hash_outside_subscriptions(store: Store):
    await store.record_vote(123456789, 123456789, message_id=1, entry_id="x", helpful=True)
    with sqlite3.connect(store.path) as db:
        dump = "\n".join(db.iterdump())
    assert "123456789" not in dump
    assert Store(store.path, b"other-key").user_hash(123456789) != store.user_hash(123456789)


def test_the_hash_key_is_generated_once_and_kept_private(tmp_path: Path):
    path = tmp_path / "data" / "faqbot.hashkey"
    key = load_or_create_hash_key(path)
    assert load_or_create_hash_key(path) == key
    assert len(key) == 64
    assert path.stat().st_mode & 0o777 == 0o600


async def test_using_the_store_before_opening_it_says_so(tmp_path: Path):
    with pytest.raises(RuntimeError, match="open"):
        await Store(tmp_path / "x.sqlite3", KEY).is_subscribed(1)


async def test_a_version_1_database_gets_the_question_log_and_keeps_its_votes(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
        db.execute("INSERT INTO subscriptions VALUES (42, 'someone', '2025-01-01T00:00:00+00:00')")
        db.execute(
            "INSERT INTO votes VALUES ('someone', 'chat', 7, 'rating-2024', 0,"
            " '2025-01-02T00:00:00+00:00')"
        )
    async with Store(path, KEY) as store:
        assert await store.schema_version() == SCHEMA_VERSION >= 2
        assert [s.chat_id for s in await store.subscriptions()] == [42]
        counts = await store.vote_counts()
        assert [(c.entry_id, c.helpful, c.not_helpful) for c in counts] == [("rating-2024", 0, 1)]
        assert await store.logged_questions(since=datetime(2000, 1, 1, tzinfo=UTC)) == []
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT question_id FROM votes").fetchall() == [(None,)]


async def test_a_store_opened_without_the_hash_key_reads_but_cannot_hash(tmp_path: Path):
    async with Store(tmp_path / "bot.sqlite3", None) as store:
        assert await store.vote_counts() == []
        with pytest.raises(StoreError, match="hash key"):
            store.user_hash(1)
