"""The trained index kept on disk: read back only for the same wordings, never a cause to fail."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_matching import ENTRIES  # three small entries, quick to train on

from bot.index_cache import IndexCache
from bot.matching import Matcher
from bot.settings import Settings

SHIPPED_FAQ = Path(__file__).resolve().parent.parent / "faq"
QUESTIONS = ["how much money went in", "did they hire more social workers", "camden?", "hello"]


def classifier_scores(matcher: Matcher) -> list[np.ndarray]:
    return [matcher.classifier_scores(question) for question in QUESTIONS]


def cached_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("index-*.npz"))


def assert_same_scores(left: list[np.ndarray], right: list[np.ndarray]) -> None:
    for a, b in zip(left, right, strict=True):
        assert np.array_equal(a, b)


def test_an_index_read_back_scores_exactly_as_the_one_trained(tmp_path: Path) -> None:
    trained = Matcher(ENTRIES)
    first = Matcher(ENTRIES, cache=IndexCache(tmp_path))
    assert len(cached_files(tmp_path)) == 1
    read_back = Matcher(ENTRIES, cache=IndexCache(tmp_path))
    assert_same_scores(classifier_scores(read_back), classifier_scores(trained))
    assert_same_scores(classifier_scores(first), classifier_scores(trained))


def test_reading_back_does_not_train_again(tmp_path: Path, monkeypatch) -> None:
    Matcher(ENTRIES, cache=IndexCache(tmp_path))

    def no_training(*_: object) -> None:
        raise AssertionError("trained again although the index was kept")

    monkeypatch.setattr("bot.classifier._train", no_training)
    Matcher(ENTRIES, cache=IndexCache(tmp_path))


def test_an_edited_wording_is_trained_again_and_kept_beside_the_old_one(tmp_path: Path) -> None:
    Matcher(ENTRIES, cache=IndexCache(tmp_path))
    edited = (
        dataclasses.replace(ENTRIES[0], alternatives=("how much was invested",)),
        *ENTRIES[1:],
    )
    from_cache = Matcher(edited, cache=IndexCache(tmp_path))
    assert len(cached_files(tmp_path)) == 2
    assert_same_scores(classifier_scores(from_cache), classifier_scores(Matcher(edited)))


def test_a_damaged_file_is_trained_again_and_replaced(tmp_path: Path, caplog) -> None:
    Matcher(ENTRIES, cache=IndexCache(tmp_path))
    [kept] = cached_files(tmp_path)
    kept.write_bytes(b"not an index at all")
    with caplog.at_level(logging.WARNING):
        matcher = Matcher(ENTRIES, cache=IndexCache(tmp_path))
    assert "cannot be read" in caplog.text
    assert_same_scores(classifier_scores(matcher), classifier_scores(Matcher(ENTRIES)))
    assert IndexCache(tmp_path).load(kept.name.removeprefix("index-").removesuffix(".npz"))


def test_a_folder_that_cannot_be_written_costs_a_warning_not_the_index(
    tmp_path: Path, caplog
) -> None:
    in_the_way = tmp_path / "cache"
    in_the_way.write_text("a file where the folder should be", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        matcher = Matcher(ENTRIES, cache=IndexCache(in_the_way))
    assert "Cannot keep the trained index" in caplog.text
    assert "FAQBOT_INDEX_CACHE" in caplog.text
    assert_same_scores(classifier_scores(matcher), classifier_scores(Matcher(ENTRIES)))


def test_only_the_most_recently_used_indexes_are_kept(tmp_path: Path) -> None:
    cache = IndexCache(tmp_path, kept=2)
    versions = [
        (dataclasses.replace(ENTRIES[0], alternatives=(f"money question {n}",)), *ENTRIES[1:])
        for n in range(4)
    ]
    for entries in versions:
        Matcher(entries, cache=cache)
    assert len(cached_files(tmp_path)) == 2


def test_the_cache_sits_beside_the_database_unless_set_elsewhere_or_off(tmp_path: Path) -> None:
    def settings(**environ: str) -> Settings:
        return Settings.from_env(
            {"FAQBOT_DB": str(tmp_path / "data" / "bot.sqlite3"), **environ},
            dotenv_path=None,
            require_token=False,
        )

    assert settings().index_cache_dir == tmp_path / "data" / "faqbot-index"
    assert settings(FAQBOT_INDEX_CACHE=str(tmp_path / "x")).index_cache_dir == tmp_path / "x"
    assert settings(FAQBOT_INDEX_CACHE="off").index_cache_dir is None


def test_faqbot_check_keeps_the_index_and_ask_reads_it_without_writing(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    from bot.cli import main

    faq = tmp_path / "faq"
    shutil.copytree(SHIPPED_FAQ, faq)
    (faq / "asked.yaml").unlink()  # the FAQ staff wrote: quicker to index
    monkeypatch.chdir(tmp_path)
    kept = tmp_path / "kept"
    monkeypatch.setenv("FAQBOT_INDEX_CACHE", str(kept))
    assert main(["check", str(faq)]) == 0
    after_check = {path: path.stat().st_mtime_ns for path in cached_files(kept)}
    assert after_check

    monkeypatch.setattr("bot.classifier._train", lambda *_: pytest.fail("trained again"))
    assert main(["ask", "--faq", str(faq), "--json", "camden partnership"]) == 0
    assert '"outcome": "answer"' in capsys.readouterr().out
    assert {path: path.stat().st_mtime_ns for path in cached_files(kept)} == after_check


def test_with_the_cache_off_nothing_is_kept(tmp_path: Path, monkeypatch, capsys) -> None:
    from bot.cli import main

    faq = tmp_path / "faq"
    shutil.copytree(SHIPPED_FAQ, faq)
    (faq / "asked.yaml").unlink()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAQBOT_INDEX_CACHE", "off")
    assert main(["check", str(faq)]) == 0
    assert main(["ask", "--faq", str(faq), "camden partnership"]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["faq"]


def test_a_preview_never_writes_the_cache(tmp_path: Path) -> None:
    Matcher(ENTRIES, cache=IndexCache(tmp_path, keeps=False))
    assert cached_files(tmp_path) == []
