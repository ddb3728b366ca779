"""`faqbot`: the staff's command line. Each subcommand is a thin layer over the core."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.corpus import FaqError
from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from bot.answering import Responder
    from bot.outbox import PublicationStatus
    from bot.storage import Store


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

    publish = commands.add_parser(
        "publish", help="alert every subscriber to a progress update in updates.yaml"
    )
    _add_faq_option(publish)
    publish.add_argument("update_id", nargs="?", metavar="ID", help="the update's id")
    publish.add_argument(
        "--dry-run", action="store_true", help="show the alert and how many would get it"
    )
    publish.add_argument(
        "--status", action="store_true", help="show how each publication (or ID's) is going"
    )

    commands.add_parser("run", help="serve residents on Telegram (needs TELEGRAM_BOT_TOKEN)")
    start = commands.add_parser(
        "start", help="serve Telegram if TELEGRAM_BOT_TOKEN is set, else chat in this terminal"
    )
    _add_faq_option(start)

    unanswered = commands.add_parser(
        "unanswered", help="the questions the FAQ could not answer, grouped (or: purge)"
    )
    unanswered.add_argument(
        "action", nargs="?", choices=["purge"], help="purge: delete rows past the retention period"
    )
    _add_period_options(unanswered)
    unanswered.add_argument("--csv", type=Path, metavar="FILE", help="write every question")
    unanswered.add_argument("--json", action="store_true", help="print the groups as JSON")
    unanswered.add_argument("--top", type=int, default=20, help="groups to print (default 20)")
    unanswered.add_argument(
        "--retest",
        nargs="?",
        const="",
        metavar="DIR",
        help="say which questions the FAQ (or the one in DIR) would answer now",
    )

    stats = commands.add_parser("stats", help="questions asked, answered, votes, per entry")
    _add_period_options(stats)
    stats.add_argument("--json", action="store_true", help="print the figures as JSON")
    _add_faq_option(stats)
    return parser


def _add_period_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since", type=_positive_days, default=30, metavar="DAYS", help="days back (default 30)"
    )
    parser.add_argument("--db", type=Path, help="the database (default: FAQBOT_DB)")


def _positive_days(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days, like 30")
    return int(value)


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
            return check(faq_dir, sys.stdout, settings.index_cache_dir)
        if arguments.command == "ask":
            return ask(
                faq_dir,
                arguments.question,
                arguments.json,
                sys.stdin,
                sys.stdout,
                cache_dir=settings.index_cache_dir,
            )
        if arguments.command == "eval":
            return evaluate(
                faq_dir,
                arguments.cases,
                arguments.json,
                sys.stdout,
                cache_dir=settings.index_cache_dir,
            )
        if arguments.command == "publish":
            return publish(
                settings, arguments.update_id, arguments.dry_run, arguments.status, sys.stdout
            )
        if arguments.command in ("unanswered", "stats"):
            import sqlite3

            from bot.storage import StoreError

            try:
                return asyncio.run(staff_report(arguments, settings, sys.stdout))
            except StoreError as error:
                print(f"Error: {error}", file=sys.stderr)
                return 1
            except sqlite3.Error as error:
                database = arguments.db or settings.database_path
                print(f"Error: cannot read the database {database}: {error}", file=sys.stderr)
                return 1
        from bot.chat import chat

        return chat(_responder(faq_dir, settings.index_cache_dir), sys.stdin, sys.stdout)
    except (FaqError, SettingsError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _responder(faq_dir: Path, cache_dir: Path | None) -> Responder:
    # Imported here so `faqbot check` and `--help` don't pay for loading the embeddings.
    from bot.answering import Responder
    from bot.index_cache import index_cache_at

    # Reads an index the bot or `faqbot check` kept; a preview writes nothing.
    return Responder.from_directory(faq_dir, index_cache_at(cache_dir, keeps=False))


def check(faq_dir: Path, out: TextIO, cache_dir: Path | None = None) -> int:
    """Print every problem in the FAQ folder; exit 1 when any is an error."""
    from bot.content_checks import check_content
    from bot.index_cache import index_cache_at

    problems = check_content(faq_dir, index_cache_at(cache_dir))
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


def ask(
    faq_dir: Path,
    question: str,
    as_json: bool,
    stdin: TextIO,
    out: TextIO,
    cache_dir: Path | None = None,
) -> int:
    """Print what a resident would get. Reads nothing but the FAQ folder and writes nothing."""
    responder = _responder(faq_dir, cache_dir)
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


async def staff_report(arguments: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """`faqbot unanswered` and `faqbot stats`: read the bot's database and print for staff."""
    from bot.storage import Store

    database = arguments.db or settings.database_path
    if not database.is_file():
        print(
            f"Error: there is no database at {database} - the bot creates it when it first runs "
            "(set FAQBOT_DB or pass --db to read another)",
            file=sys.stderr,
        )
        return 1
    now = datetime.now(UTC)
    since = now - timedelta(days=arguments.since)
    async with Store(database, hash_key=None) as store:
        if arguments.command == "stats":
            return await _stats(store, since, arguments, settings.faq_dir, out)
        if arguments.action == "purge":
            deleted = await store.purge(now - timedelta(days=settings.retention_days))
            print(
                f"Deleted {_count(deleted, 'row')} older than {settings.retention_days} days.",
                file=out,
            )
            return 0
        if arguments.retest is not None:
            wordings = await store.logged_wordings(since)
            if not wordings:
                return _nothing_logged(arguments.since, out)
        else:
            questions = await store.logged_questions(since)
            if not questions:
                return _nothing_logged(arguments.since, out)
    if arguments.retest is not None:
        from bot.unanswered import format_retest, retest

        faq_dir = Path(arguments.retest) if arguments.retest else settings.faq_dir
        result = retest(wordings, _responder(faq_dir, settings.index_cache_dir))
        if arguments.json:
            figures = {
                "checked": result.checked,
                "now_answered": result.answered,
                "now_suggested": result.now_suggested,
                "still_unanswered": result.still_unanswered,
                "entries": [group.as_dict() for group in result.now_answered],
            }
            print(json.dumps(figures, ensure_ascii=False), file=out)
        else:
            print("\n".join(format_retest(result, faq_dir)), file=out)
        return 0
    from bot.unanswered import cluster_questions, format_clusters, write_csv

    clusters = cluster_questions(questions)
    if arguments.csv is not None:
        rows = write_csv(clusters, arguments.csv)
        print(
            f"Wrote {_count(rows, 'question')} in {_count(len(clusters), 'group')} to "
            f"{arguments.csv}.",
            file=out,
        )
    elif arguments.json:
        print(json.dumps([c.as_dict() for c in clusters], ensure_ascii=False), file=out)
    else:
        print("\n".join(format_clusters(clusters, arguments.since, arguments.top)), file=out)
    return 0


def _nothing_logged(days: int, out: TextIO) -> int:
    print(f"No unanswered questions in the last {_count(days, 'day')}.", file=out)
    return 0


async def _stats(
    store: Store, since: datetime, arguments: argparse.Namespace, faq_dir: Path, out: TextIO
) -> int:
    from bot.loader import load_corpus
    from bot.stats import collect_stats, format_stats

    try:
        entry_ids: list[str] | None = [entry.id for entry in load_corpus(faq_dir).entries]
    except (FaqError, OSError):
        entry_ids = None  # the figures still stand; only "never asked" needs the FAQ
    stats = await collect_stats(store, since, arguments.since, entry_ids)
    if arguments.json:
        print(json.dumps(stats.as_dict(), ensure_ascii=False), file=out)
    elif stats.asked == 0 and not stats.votes:
        print(f"No questions in the last {_count(arguments.since, 'day')}.", file=out)
    else:
        print("\n".join(format_stats(stats)), file=out)
    return 0


def evaluate(
    faq_dir: Path, cases_file: Path, as_json: bool, out: TextIO, cache_dir: Path | None = None
) -> int:
    from bot.evaluation import evaluate as run_cases
    from bot.evaluation import load_cases

    cases = load_cases(cases_file)
    report, results = run_cases(_responder(faq_dir, cache_dir), cases)
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


def publish(
    settings: Settings, update_id: str | None, dry_run: bool, status: bool, out: TextIO
) -> int:
    """`faqbot publish`: queue an update's alert for every subscriber, or show how it goes."""
    import asyncio

    from bot.outbox import PublishError

    if not status and update_id is None:
        print(
            "Error: give the id of the update to publish (see 'faqbot publish --help')",
            file=sys.stderr,
        )
        return 2
    try:
        return asyncio.run(_publish(settings, update_id, dry_run, status, out))
    except PublishError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1


async def _publish(
    settings: Settings, update_id: str | None, dry_run: bool, status: bool, out: TextIO
) -> int:
    from bot.outbox import Outbox, alert_text, unknown_update_error
    from bot.storage import Store
    from bot.updates import UPDATES_FILE, find_update

    async with Store(settings.database_path, hash_key=None) as store:
        outbox = Outbox(store)
        if status:
            return _print_status(await outbox.statuses(update_id), update_id, out)
        assert update_id is not None
        update = find_update(settings.faq_dir, update_id)
        if update is None:
            raise unknown_update_error(settings.faq_dir / UPDATES_FILE, update_id)
        if dry_run:
            count = await outbox.subscriber_count()
            print(f'The alert for "{update.id}":\n\n{alert_text(update)}\n', file=out)
            print(f"It would go to {_count(count, 'subscriber')}. Nothing was queued.", file=out)
            return 0
        recipients = await outbox.publish(update)
    print(
        f'Queued "{update.id}" for {_count(recipients, "subscriber")}. The running bot sends '
        f"it within a few seconds; follow it with: faqbot publish --status {update.id}",
        file=out,
    )
    return 0


def _print_status(statuses: list[PublicationStatus], update_id: str | None, out: TextIO) -> int:
    if not statuses:
        if update_id is not None:
            print(f'The update "{update_id}" has not been published.', file=out)
            return 1
        print("Nothing has been published yet.", file=out)
        return 0
    columns = ("queued", "delivered", "failed", "unsubscribed", "cancelled", "remaining")
    print(f"{'update':<40} {'published (UTC)':<20} " + " ".join(columns) + "  rate", file=out)
    for row in statuses:
        counts = " ".join(f"{getattr(row, name):>{len(name)}}" for name in columns)
        rate = f"{row.rate:.1f}/s" if row.rate is not None else "-"
        published = f"{row.published_at:%Y-%m-%d %H:%M:%S}"
        print(f"{row.update_id:<40} {published:<20} {counts}  {rate}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
