"""`faqbot check`, `ask`, `eval` and `chat`, driven as staff drive them: arguments in, text out."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from conftest import TELEGRAM_FAQ, write_faq

from bot.cli import main

SHIPPED_FAQ = Path(__file__).resolve().parent.parent / "faq"


@pytest.fixture
def in_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from a folder with no .env and nothing else, as on a fresh machine."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "FAQBOT_FAQ_DIR", "FAQBOT_DB"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *arguments: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_passes_the_shipped_faq(capsys, monkeypatch, in_empty_folder) -> None:
    code, out, _ = run(capsys, monkeypatch, "check", str(SHIPPED_FAQ))
    assert code == 0, out
    assert "error" not in out


def test_check_lists_each_problem_with_file_and_line_and_exits_1(
    capsys, monkeypatch, in_empty_folder
) -> None:
    faq = in_empty_folder / "faq"
    shutil.copytree(SHIPPED_FAQ, faq)
    (faq / "broken.yaml").write_text(
        "faqs:\n  - id: broken-entry\n    question: Is this broken?\n    anwser: yes\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, monkeypatch, "check", str(faq))
    assert code == 1
    assert "broken.yaml:4:" in out
    assert "anwser" in out and "answer" in out
    assert out.strip().splitlines()[-1].startswith("2 errors")


def test_check_of_a_missing_folder_says_so(capsys, monkeypatch, in_empty_folder) -> None:
    code, out, err = run(capsys, monkeypatch, "check", "no-such-folder")
    assert code == 1
    assert "no-such-folder" in out + err


def test_ask_json_has_exactly_the_agreed_keys(capsys, monkeypatch, in_empty_folder) -> None:
    code, out, _ = run(
        capsys, monkeypatch, "ask", "--faq", str(SHIPPED_FAQ), "--json", "what is ofsted"
    )
    assert code == 0
    record = json.loads(out)
    assert list(record) == ["question", "outcome", "id", "reply", "candidates"]
    assert record["question"] == "what is ofsted"
    assert (record["outcome"], record["id"]) == ("answer", "what-is-ofsted")
    assert record["reply"].startswith("Ofsted is")
    assert 1 <= len(record["candidates"]) <= 5
    assert all(list(c) == ["id", "score"] for c in record["candidates"])
    scores = [c["score"] for c in record["candidates"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores)


def test_ask_reads_one_question_per_line_and_answers_in_order(
    capsys, monkeypatch, in_empty_folder
) -> None:
    questions = [
        "what is ofsted",
        "hello",
        "when are the bins collected",
        "my neighbour hits his son",
        "",
        "ofsted",
    ]
    code, out, _ = run(
        capsys,
        monkeypatch,
        "ask",
        "--faq",
        str(SHIPPED_FAQ),
        "--json",
        "-",
        stdin="\n".join(questions) + "\n",
    )
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["question"] for r in records] == questions
    assert [r["outcome"] for r in records] == [
        "answer",
        "smalltalk",
        "unanswered",
        "safeguarding",
        "unanswered",
        "suggest",
    ]
    assert [r["id"] for r in records][1:] == [None] * 5
    assert "999" in records[3]["reply"]


def test_ask_prints_the_plain_reply_a_resident_would_see(
    capsys, monkeypatch, in_empty_folder
) -> None:
    code, out, _ = run(capsys, monkeypatch, "ask", "--faq", str(SHIPPED_FAQ), "ofsted")
    assert code == 0
    assert out.startswith("[suggest]\n")
    assert "1. " in out and "2. " in out


def test_ask_writes_nothing_to_disk(
    capsys, monkeypatch, in_empty_folder, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # A small FAQ, which trains in a moment: what ask writes, or not, is the same for any.
    faq = write_faq(tmp_path_factory.mktemp("elsewhere") / "faq", TELEGRAM_FAQ)
    files_before = sorted(faq.iterdir())
    monkeypatch.delenv("FAQBOT_INDEX_CACHE", raising=False)  # nor its index, by default
    code, out, _ = run(capsys, monkeypatch, "ask", "--faq", str(faq), "what is the current rating")
    assert (code, out.split("\n")[0]) == (0, "[answer rating-2024]")
    assert list(in_empty_folder.iterdir()) == []
    assert sorted(faq.iterdir()) == files_before


def test_ask_uses_faq_in_the_working_folder_by_default(
    capsys, monkeypatch, in_empty_folder
) -> None:
    shutil.copytree(SHIPPED_FAQ, in_empty_folder / "faq")
    code, out, _ = run(capsys, monkeypatch, "ask", "--json", "what is the spoc")
    assert code == 0
    assert json.loads(out)["id"] == "single-point-of-contact"


def test_ask_with_a_broken_faq_gives_a_one_line_error(
    capsys, monkeypatch, in_empty_folder
) -> None:
    (in_empty_folder / "faq").mkdir()
    (in_empty_folder / "faq" / "bad.yaml").write_text("faqs: [\n", encoding="utf-8")
    code, out, err = run(capsys, monkeypatch, "ask", "what is ofsted")
    assert code == 1
    assert err.startswith("Error: ") and "bad.yaml" in err
    assert "Traceback" not in err


def test_an_unknown_option_is_one_line_and_exit_2(capsys, monkeypatch, in_empty_folder) -> None:
    with pytest.raises(SystemExit) as stopped:
        run(capsys, monkeypatch, "ask", "--jsno", "what is ofsted")
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and err.count("\n") == 1


def test_eval_prints_every_figure(capsys, monkeypatch, in_empty_folder) -> None:
    cases = in_empty_folder / "cases.yaml"
    cases.write_text(
        "cases:\n"
        "  - {question: what is ofsted, expect: what-is-ofsted}\n"
        "  - {question: when are the bins collected, expect: null}\n"
        "  - {question: my neighbour hits his son, expect: safeguarding}\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, monkeypatch, "eval", "--faq", str(SHIPPED_FAQ), str(cases))
    assert code == 0
    for label in (
        "answer accuracy",
        "wrong-answer rate",
        "out-of-scope rejection",
        "suggest rate",
        "top-5 recall",
        "safeguarding escalated",
    ):
        assert label in out

    code, out, _ = run(
        capsys, monkeypatch, "eval", "--faq", str(SHIPPED_FAQ), "--json", str(cases)
    )
    figures = json.loads(out)
    assert figures["answer_accuracy"] == 1.0
    assert figures["out_of_scope_rejection"] == 1.0
    assert figures["safeguarding_escalation"] == 1.0
    assert figures["misses"] == []


def test_eval_names_the_line_of_a_malformed_case(capsys, monkeypatch, in_empty_folder) -> None:
    cases = in_empty_folder / "cases.yaml"
    cases.write_text("cases:\n  - {question: what is ofsted}\n", encoding="utf-8")
    code, _, err = run(capsys, monkeypatch, "eval", "--faq", str(SHIPPED_FAQ), str(cases))
    assert code == 1
    assert "cases.yaml:2:" in err and "expect" in err


def test_chat_answers_each_line_and_a_number_picks_a_choice(
    capsys, monkeypatch, in_empty_folder
) -> None:
    code, out, _ = run(
        capsys,
        monkeypatch,
        "chat",
        "--faq",
        str(SHIPPED_FAQ),
        stdin="ofsted\n1\nthanks\nquit\nwhat is ofsted\n",
    )
    assert code == 0
    assert "I'm not sure which of these you mean" in out
    assert "Ofsted is the Office for Standards in Education" in out
    assert out.rstrip().endswith("Goodbye.")
    assert out.count("Ofsted is the Office") == 1  # nothing after "quit" is answered


def test_chat_works_with_no_configuration_at_all(capsys, monkeypatch, in_empty_folder) -> None:
    shutil.copytree(SHIPPED_FAQ, in_empty_folder / "faq")
    code, out, _ = run(capsys, monkeypatch, "start", stdin="what is ofsted\n")
    assert code == 0
    assert "Ofsted is the Office for Standards in Education" in out
