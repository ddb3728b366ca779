"""`faqbot`: the staff's command line. Each subcommand is a thin layer over the core."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.corpus import FaqError
from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from bot.answering import Responder


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """Unknown options and missing arguments: one line and a pointer to --help, exit 2."""
        self.exit(2, f"Error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="faqbot",
        description="Answers residents' questions about Croydon's children's services.",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_ArgumentParser
    )
    commands.required = True

    check = commands.add_parser("check", help="check the FAQ files and list every problem")
    check.add_argument("directory", nargs="?", type=Path, help="the FAQ folder (default: faq)")

    ask = commands.add_parser("ask", help="show what a resident would get for a question")
    _add_faq_option(ask)
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("question", help="the question, or - to read one question per line")

    evaluate = commands.add_parser("eval", help="measure answers against labelled questions")
    _add_faq_option(evaluate)
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.add_argument("cases", type=Path, help="a YAML file with a 'cases:' list")

    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    _add_faq_option(chat)

    commands.add_parser("run", help="serve residents on Telegram (needs TELEGRAM_BOT_TOKEN)")
    start = commands.add_parser(
        "start", help="serve Telegram if TELEGRAM_BOT_TOKEN is set, else chat in this terminal"
    )
    _add_faq_option(start)
    return parser


def _add_faq_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--faq", type=Path, help="the FAQ folder (default: faq, or FAQBOT_FAQ_DIR)")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env(require_token=arguments.command == "run")
        chosen_dir = getattr(arguments, "faq", None) or getattr(arguments, "directory", None)
        if chosen_dir is not None:
            settings = replace(settings, faq_dir=chosen_dir)
        faq_dir = settings.faq_dir
        if arguments.command == "run" or (arguments.command == "start" and settings.telegram_token):
            from bot.telegram_app import run

            return run(settings)
        if arguments.command == "check":
            return check(faq_dir, sys.stdout)
        if arguments.command == "ask":
            return ask(faq_dir, arguments.question, arguments.json, sys.stdin, sys.stdout)
        if arguments.command == "eval":
            return evaluate(faq_dir, arguments.cases, arguments.json, sys.stdout)
        from bot.chat import chat

        return chat(_responder(faq_dir), sys.stdin, sys.stdout)
    except (FaqError, SettingsError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _responder(faq_dir: Path) -> Responder:
    # Imported here so `faqbot check` and `--help` don't pay for loading the embeddings.
    from bot.answering import Responder

    return Responder.from_directory(faq_dir)


def check(faq_dir: Path, out: TextIO) -> int:
    """Print every problem in the FAQ folder; exit 1 when any is an error."""
    from bot.content_checks import check_content

    problems = check_content(faq_dir)
    for problem in problems:
        print(problem, file=out)
    errors = sum(1 for problem in problems if not problem.is_warning)
    warnings = len(problems) - errors
    if errors:
        print(
            f"{_count(errors, 'error')} and {_count(warnings, 'warning')} in {faq_dir}.", file=out
        )
        return 1
    print(f"{faq_dir} is fine ({_count(warnings, 'warning')}).", file=out)
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def ask(faq_dir: Path, question: str, as_json: bool, stdin: TextIO, out: TextIO) -> int:
    """Print what a resident would get. Reads nothing but the FAQ folder and writes nothing."""
    responder = _responder(faq_dir)
    questions = stdin.read().splitlines() if question == "-" else [question]
    for number, text in enumerate(questions):
        reply = responder.respond("faqbot-ask", text)
        if as_json:
            record = {
                "question": text,
                "outcome": reply.outcome.value,
                "id": reply.entry_id,
                "reply": reply.text,
                "candidates": [{"id": c.entry_id, "score": c.score} for c in reply.candidates],
            }
            print(json.dumps(record, ensure_ascii=False), file=out)
        else:
            if number:
                print(file=out)
            print(
                f"[{reply.outcome.value}{' ' + reply.entry_id if reply.entry_id else ''}]", file=out
            )
            print(reply.text, file=out)
    return 0


def evaluate(faq_dir: Path, cases_file: Path, as_json: bool, out: TextIO) -> int:
    from bot.evaluation import evaluate as run_cases
    from bot.evaluation import load_cases

    cases = load_cases(cases_file)
    report, results = run_cases(_responder(faq_dir), cases)
    misses = [r for r in results if not r.is_correct]
    if as_json:
        figures = report.as_dict()
        figures["misses"] = [
            {
                "question": r.case.question,
                "expect": r.case.expect,
                "outcome": r.reply.outcome.value,
                "id": r.reply.entry_id,
            }
            for r in misses
        ]
        print(json.dumps(figures, ensure_ascii=False), file=out)
        return 0
    print(
        f"{report.cases} cases: {report.in_scope} in scope, {report.out_of_scope} out of scope, "
        f"{report.safeguarding} safeguarding",
        file=out,
    )
    for label, value in (
        ("answer accuracy", report.answer_accuracy),
        ("wrong-answer rate", report.wrong_answer_rate),
        ("out-of-scope rejection", report.out_of_scope_rejection),
        ("suggest rate", report.suggest_rate),
        ("top-5 recall", report.top5_recall),
        ("safeguarding escalated", report.safeguarding_escalation),
        ("safeguarding false alarms", report.false_alarm_rate),
    ):
        print(f"  {label:<26} {value:7.1%}", file=out)
    if misses:
        print("\nMisses (expected -> got):", file=out)
        for r in misses:
            got = r.reply.outcome.value + (f" {r.reply.entry_id}" if r.reply.entry_id else "")
            print(
                f"  {r.case.location.line:>4}: {r.case.question!r}: {r.case.expect} -> {got}",
                file=out,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
