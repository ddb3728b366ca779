import json
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.corpus import (
    Corpus,
    Entry,
    FaqError,
    Link,
    Location,
    Messages,
    Problem,
    SafeguardingRules,
    SmalltalkRule,
    Synonym,
)
from bot.loader import SHAPES, UPDATES_KEY, check_directory, load_corpus

TODAY = date(2026, 11, 22)
SCHEMA_PATH = Path(__file__).parent.parent / "faq" / "faq.schema.json"

SAFEGUARDING_YAML = """\
safeguarding:
  reply: |
    If a child is in immediate danger, call the police on 999.
  phrases: [report a concern]
  child_words: [child, kid]
  harm_words: [abuse, hurt]
"""
MESSAGES_YAML = """\
messages:
  fallback: Please contact the council.
  suggest_intro: "I'm not sure which of these you mean:"
  empty: Please type a question.
  too_long: That message is very long.
"""
WHAT_IS_OFSTED = """\
faqs:
  - id: what-is-ofsted
    question: What is Ofsted?
    answer: The inspectorate for children's services.
    reviewed: 2026-10-01
"""


def faq_folder(tmp_path: Path, files: dict[str, str], *, with_required: bool = True) -> Path:
    """A faq/ folder holding `files`, plus valid safeguarding and messages files unless told not."""
    folder = tmp_path / "faq"
    folder.mkdir()
    if with_required:
        files = {"safeguarding.yaml": SAFEGUARDING_YAML, "messages.yaml": MESSAGES_YAML} | files
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def errors(folder: Path) -> list[Problem]:
    return [problem for problem in check_directory(folder, today=TODAY) if not problem.is_warning]


def warnings(folder: Path) -> list[Problem]:
    return [problem for problem in check_directory(folder, today=TODAY) if problem.is_warning]


def where(problem: Problem) -> str:
    return f"{problem.location.file.name}:{problem.location.line}"


def only_error(tmp_path: Path, faqs_yaml: str) -> Problem:
    """The single error of a folder whose only FAQ file is `faqs_yaml`."""
    [error] = errors(faq_folder(tmp_path, {"ofsted.yaml": faqs_yaml}))
    return error


# A good folder


def test_a_good_folder_loads_into_the_corpus_it_describes(tmp_path: Path) -> None:
    folder = faq_folder(
        tmp_path,
        {
            "ratings.yaml": """\
# yaml-language-server: $schema=./faq.schema.json
faqs:
  - id: rating-2024
    question: What is the current Ofsted rating of Croydon's children's services?
    alternatives:
      - latest ofsted grade
      - "yes: is it good now"
    answer: |
      As of December 2024, Croydon's children's services are rated good.

      Inspectors found services had improved in most areas.
    tags: [ratings, inspections]
    links:
      - title: Ofsted reports on Croydon
        url: https://reports.ofsted.gov.uk/provider/44/306
    reviewed: 2026-11-01
    sources:
      - Croydon Council news, December 2024
    topic: ofsted-rating
    as_of: 2024-12-03
  - id: rating-2020
    question: What was the rating in 2020?
    answer: Good.
    reviewed: "2026-10-30"
    topic: ofsted-rating
    as_of: 2020-03-01
""",
            "synonyms.yaml": """\
synonyms:
  - word: children
    variants: [kids, youngsters]
""",
            "smalltalk.yaml": """\
smalltalk:
  - patterns: [hi, hello]
    reply: Hello!
""",
        },
    )

    corpus = load_corpus(folder, today=TODAY)

    assert corpus == Corpus(
        entries=(
            Entry(
                id="rating-2024",
                question="What is the current Ofsted rating of Croydon's children's services?",
                answer=(
                    "As of December 2024, Croydon's children's services are rated good.\n\n"
                    "Inspectors found services had improved in most areas."
                ),
                alternatives=("latest ofsted grade", "yes: is it good now"),
                tags=("ratings", "inspections"),
                links=(
                    Link(
                        "Ofsted reports on Croydon", "https://reports.ofsted.gov.uk/provider/44/306"
                    ),
                ),
                reviewed=date(2026, 11, 1),
                sources=("Croydon Council news, December 2024",),
                topic="ofsted-rating",
                as_of=date(2024, 12, 3),
            ),
            Entry(
                id="rating-2020",
                question="What was the rating in 2020?",
                answer="Good.",
                reviewed=date(2026, 10, 30),
                topic="ofsted-rating",
                as_of=date(2020, 3, 1),
            ),
        ),
        synonyms=(Synonym("children", ("kids", "youngsters")),),
        safeguarding=SafeguardingRules(
            reply="If a child is in immediate danger, call the police on 999.",
            phrases=("report a concern",),
            child_words=("child", "kid"),
            harm_words=("abuse", "hurt"),
        ),
        smalltalk=(SmalltalkRule(("hi", "hello"), "Hello!"),),
        messages=Messages(
            fallback="Please contact the council.",
            suggest_intro="I'm not sure which of these you mean:",
            empty="Please type a question.",
            too_long="That message is very long.",
        ),
        warnings=(),
        version=corpus.version,
    )
    assert [entry.location for entry in corpus.entries] == [
        Location(folder / "ratings.yaml", 3, 5),
        Location(folder / "ratings.yaml", 21, 5),
    ]
    assert corpus.synonyms[0].location == Location(folder / "synonyms.yaml", 2, 5)


def test_text_loses_surrounding_and_trailing_spaces_but_keeps_blank_lines_between_paragraphs(
    tmp_path: Path,
) -> None:
    folder = faq_folder(
        tmp_path,
        {
            "ofsted.yaml": (
                "faqs:\n"
                "  - id: what-is-ofsted\n"
                "    question: '  What is Ofsted?  '\n"
                "    answer: |\n"
                "      First paragraph.   \n"
                "      Same paragraph.\n"
                "\n"
                "      Second paragraph.\t\n"
                "\n"
            )
        },
    )

    [entry] = load_corpus(folder, today=TODAY).entries

    assert entry.question == "What is Ofsted?"
    assert entry.answer == "First paragraph.\nSame paragraph.\n\nSecond paragraph."


def test_warnings_do_not_stop_loading_and_end_up_in_the_corpus(tmp_path: Path) -> None:
    folder = faq_folder(
        tmp_path,
        {"ofsted.yaml": "faqs:\n  - id: what-is-ofsted\n    question: Q?\n    answer: A.\n"},
    )

    corpus = load_corpus(folder, today=TODAY)

    assert [(where(problem), problem.is_warning) for problem in corpus.warnings] == [
        ("ofsted.yaml:2", True)
    ]


def test_updates_yaml_is_checked_with_the_faq_but_adds_no_entries(tmp_path: Path) -> None:
    folder = faq_folder(
        tmp_path,
        {
            "ofsted.yaml": WHAT_IS_OFSTED,
            "updates.yaml": "updates:\n"
            "  - {id: rated-good, date: 2024-12-03, title: Rated good, summary: Good.}\n",
        },
    )

    assert check_directory(folder, today=TODAY) == []
    assert [entry.id for entry in load_corpus(folder, today=TODAY).entries] == ["what-is-ofsted"]


def test_a_mistake_in_updates_yaml_is_listed_with_the_faq_problems(tmp_path: Path) -> None:
    folder = faq_folder(
        tmp_path,
        {
            "ofsted.yaml": WHAT_IS_OFSTED,
            "updates.yaml": "updates:\n  - id: rated-good\n    date: 2024-12-03\n"
            "    title: Rated good\n    sumary: Good.\n",
        },
    )

    problems = check_directory(folder, today=TODAY)

    assert [(where(problem), problem.message) for problem in problems] == [
        (
            "updates.yaml:2",
            'the update "rated-good" has no "summary": add a "summary:" line to '
            "it, lined up with its other keys",
        ),
        (
            "updates.yaml:5",
            '"sumary" is not a key an update can have - did you mean "summary"? '
            "Correct the spelling",
        ),
    ]


def test_updates_outside_updates_yaml_are_an_error(tmp_path: Path) -> None:
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "news.yaml": "updates: []\n"})

    [error] = errors(folder)

    assert where(error) == "news.yaml:1"
    assert 'move this "updates:" section to updates.yaml' in error.message


def test_updates_next_to_other_sections_is_an_error(tmp_path: Path) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED + "updates: []\n")

    assert where(error) == "ofsted.yaml:6"
    assert f'"{UPDATES_KEY}" must be the only section in its file' in error.message


def test_the_version_is_twelve_hex_digits_that_change_when_any_file_changes(
    tmp_path: Path,
) -> None:
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED})
    first = load_corpus(folder, today=TODAY).version

    assert re.fullmatch(r"[0-9a-f]{12}", first)
    assert load_corpus(folder, today=TODAY).version == first
    (folder / "messages.yaml").write_text(MESSAGES_YAML.replace("very long", "too long"))
    assert load_corpus(folder, today=TODAY).version != first


def test_renaming_a_file_changes_the_version(tmp_path: Path) -> None:
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED})
    before = load_corpus(folder, today=TODAY).version

    (folder / "ofsted.yaml").rename(folder / "inspections.yaml")

    assert load_corpus(folder, today=TODAY).version != before


# The folder and its files


def test_a_missing_folder_is_one_clear_error(tmp_path: Path) -> None:
    [error] = check_directory(tmp_path / "nowhere", today=TODAY)

    assert "there is no folder" in error.message
    with pytest.raises(FaqError) as raised:
        load_corpus(tmp_path / "nowhere", today=TODAY)
    assert raised.value.problems == [error]


def test_a_folder_without_yaml_files_is_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "faq"
    folder.mkdir()
    (folder / "notes.txt").write_text("not FAQ content")

    [error] = check_directory(folder, today=TODAY)

    assert error.location.file == folder
    assert "has no .yaml files" in error.message


def test_yml_files_are_ignored_with_a_warning_to_rename_them(tmp_path: Path) -> None:
    folder = faq_folder(
        tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "ratings.yml": "faqs: [this is not read]\n"}
    )

    [warning] = warnings(folder)

    assert where(warning) == "ratings.yml:1"
    assert "rename ratings.yml to ratings.yaml" in warning.message
    assert errors(folder) == []


def test_subfolders_and_other_files_are_ignored(tmp_path: Path) -> None:
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED})
    (folder / "drafts").mkdir()
    (folder / "drafts" / "broken.yaml").write_text("faqs: [\n")
    (folder / "faq.schema.json").write_text("{}")
    (folder / "README.md").write_text("# notes: [unclosed\n")

    assert check_directory(folder, today=TODAY) == []


def test_an_empty_file_is_a_warning(tmp_path: Path) -> None:
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "draft.yaml": "# to do\n"})

    [warning] = warnings(folder)

    assert where(warning) == "draft.yaml:1"
    assert "empty" in warning.message


def test_a_file_that_cannot_be_opened_is_reported(tmp_path: Path) -> None:
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED})
    (folder / "ratings.yaml").symlink_to(tmp_path / "deleted.yaml")

    [error] = errors(folder)

    assert where(error) == "ratings.yaml:1"
    assert "cannot be opened" in error.message


def test_a_file_not_saved_as_utf8_names_the_line_and_byte(tmp_path: Path) -> None:
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED})
    (folder / "ratings.yaml").write_bytes(b"faqs:\n  - id: x\n    question: caf\xe9?\n")

    [error] = errors(folder)

    assert (where(error), error.location.column) == ("ratings.yaml:3", 18)
    assert "not saved as UTF-8" in error.message
    assert "0xE9" in error.message


def test_an_invisible_control_character_is_reported_at_its_line(tmp_path: Path) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED.replace("What is", "What\x07 is"))

    assert where(error) == "ofsted.yaml:3"
    assert "invisible control character (U+0007)" in error.message


def test_every_problem_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    folder = faq_folder(
        tmp_path,
        {
            "messages.yaml": MESSAGES_YAML.replace("too_long:", "too_lng:"),
            "ofsted.yaml": "faqs:\n  - id: what-is-ofsted\n    question: What is Ofsted?\n",
            "ratings.yaml": "faqs:\n  - id: rating\n    question: x\n\tanswer: y\n",
            "synonyms.yaml": "synonym:\n  - word: children\n",
        },
    )

    with pytest.raises(FaqError) as raised:
        load_corpus(folder, today=TODAY)

    assert [where(problem) for problem in raised.value.problems] == [
        "messages.yaml:2",  # no too_long
        "messages.yaml:5",  # "too_lng" is misspelt
        "ofsted.yaml:2",  # no answer
        "ratings.yaml:4",  # a tab
        "synonyms.yaml:1",  # "synonym" is misspelt
    ]
    assert all(not problem.is_warning for problem in raised.value.problems)
    assert str(raised.value).splitlines()[2].startswith(f"{folder / 'ofsted.yaml'}:2:5: error: ")


def test_missing_sections_are_reported_against_the_folder(tmp_path: Path) -> None:
    folder = faq_folder(tmp_path, {"synonyms.yaml": "synonyms: []\n"}, with_required=False)

    assert [(where(problem), problem.message.split(":")[0]) for problem in errors(folder)] == [
        ("faq:1", "no file has any FAQ entries"),
        ("faq:1", 'no file has a "safeguarding'),
        ("faq:1", 'no file has a "messages'),
        ("synonyms.yaml:1", '"synonyms" has no items'),
    ]


def test_a_section_is_not_called_missing_while_a_file_cannot_be_read(tmp_path: Path) -> None:
    folder = faq_folder(
        tmp_path,
        {"ofsted.yaml": WHAT_IS_OFSTED, "safeguarding.yaml": "safeguarding:\n\treply: x\n"},
    )

    [error] = errors(folder)

    assert where(error) == "safeguarding.yaml:2"
    assert "tab" in error.message


def test_problems_are_sorted_by_file_then_line(tmp_path: Path) -> None:
    folder = faq_folder(
        tmp_path,
        {
            "b.yaml": "faqs:\n  - id: b-one\n    question: B?\n    answer: B.\n    tag: [x]\n",
            "a.yaml": "faqs:\n  - id: a-one\n    question: A?\n    answer: ''\n    awnser: A.\n",
        },
    )

    found = check_directory(folder, today=TODAY)

    assert [where(problem) for problem in found] == [
        "a.yaml:2",
        "a.yaml:4",
        "a.yaml:5",
        "b.yaml:2",
        "b.yaml:5",
    ]
    assert [problem.is_warning for problem in found] == [True, False, False, True, False]


# YAML syntax


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        pytest.param("faqs:\n  - id: x\n\tquestion: y\n", 3, 1, "indented with a tab", id="tab"),
        pytest.param(
            "faqs:\n  - id: x\n    question: Note: inspections start soon\n",
            3,
            19,
            "put the whole text in double quotes",
            id="colon in unquoted text",
        ),
        pytest.param(
            "faqs:\n  - id: x\n    question: y\n     answer: z\n",
            4,
            12,
            "indented further than the line above",
            id="key indented too far",
        ),
        pytest.param(
            "faqs:\n  - id: x\n    question: y\n   answer: z\n",
            4,
            4,
            "does not line up with the lines above",
            id="key indented too little",
        ),
        pytest.param(
            'faqs:\n  - id: x\n    question: "What is Ofsted?\n    answer: z\n',
            3,
            15,
            "never closed",
            id="unclosed quote",
        ),
        pytest.param(
            "faqs:\n  - id: x\n    question: 'What's Ofsted?'\n",
            3,
            21,
            "write the apostrophe twice",
            id="apostrophe inside single quotes",
        ),
        pytest.param(
            "faqs:\n  - id: x\n    question What is Ofsted?\n    answer: z\n",
            3,
            5,
            "add the missing colon",
            id="missing colon",
        ),
        pytest.param(
            "faqs:\n  - id: x\n    question: `Ofsted`\n",
            3,
            15,
            "cannot start with `",
            id="text starting with a backtick",
        ),
        pytest.param(
            "faqs:\n  - id: x\n    tags: [ratings, inspections\n    answer: z\n",
            3,
            11,
            "not closed",
            id="unclosed bracket",
        ),
        pytest.param(
            "faqs: []\n---\nfaqs: []\n", 2, 1, 'delete the "---" line', id="second document"
        ),
    ],
)
def test_a_yaml_syntax_error_says_where_and_what_to_do_in_plain_words(
    tmp_path: Path, text: str, line: int, column: int, words: str
) -> None:
    error = only_error(tmp_path, text)

    assert (where(error), error.location.column) == (f"ofsted.yaml:{line}", column)
    assert words in error.message
    assert "ScannerError" not in error.message and "<block end>" not in error.message


def test_a_file_that_cannot_be_parsed_is_skipped_and_the_others_still_checked(
    tmp_path: Path,
) -> None:
    folder = faq_folder(
        tmp_path,
        {
            "broken.yaml": "faqs:\n\t- id: x\n",
            "ofsted.yaml": WHAT_IS_OFSTED.replace("answer:", "anser:"),
        },
    )

    assert [where(problem) for problem in errors(folder)] == [
        "broken.yaml:2",
        "ofsted.yaml:2",  # no answer
        "ofsted.yaml:4",  # did you mean "answer"?
    ]


# Keys


def test_an_unknown_top_level_key_is_an_error_that_suggests_the_nearest(tmp_path: Path) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED + "synonym:\n  - word: children\n")

    assert where(error) == "ofsted.yaml:6"
    assert '"synonym" is not a key an FAQ file can have' in error.message
    assert 'did you mean "synonyms"?' in error.message


def test_an_unknown_entry_key_suggests_the_nearest_known_key(tmp_path: Path) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED + "    altenatives: [ofsted]\n")

    assert where(error) == "ofsted.yaml:6"
    assert 'did you mean "alternatives"?' in error.message


def test_an_unknown_key_with_no_near_match_lists_the_keys_there_are(tmp_path: Path) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED + "    url: https://example.org\n")

    assert where(error) == "ofsted.yaml:6"
    assert "it can have: id, question, alternatives, answer" in error.message


def test_a_key_given_twice_names_both_lines(tmp_path: Path) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED + "    answer: Another answer.\n")

    assert where(error) == "ofsted.yaml:6"
    assert '"answer" is given twice in the entry "what-is-ofsted" (also at line 4)' in error.message


@pytest.mark.parametrize("missing", ["id", "question", "answer"])
def test_an_entry_without_a_required_key_is_an_error_at_the_entry(
    tmp_path: Path, missing: str
) -> None:
    lines = WHAT_IS_OFSTED.splitlines(keepends=True)
    without = "".join(line for line in lines if not line.strip(" -").startswith(missing + ":"))
    if missing == "id":
        without = without.replace("    question:", "  - question:")

    error = only_error(tmp_path, without)

    assert where(error) == "ofsted.yaml:2"
    assert f'has no "{missing}": add a "{missing}:" line' in error.message


def test_an_entry_that_is_not_a_mapping_is_an_error(tmp_path: Path) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED + "  - What is a care leaver?\n")

    assert where(error) == "ofsted.yaml:6"
    assert 'an entry must be a group of "key: value" lines' in error.message


def test_alternatives_written_as_plain_text_must_be_a_list(tmp_path: Path) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED + "    alternatives: who is ofsted\n")

    assert where(error) == "ofsted.yaml:6"
    assert '"alternatives" must be a list' in error.message


def test_entries_written_without_a_faqs_section_say_how_to_start_the_file(
    tmp_path: Path,
) -> None:
    folder = faq_folder(
        tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "more.yaml": "- id: x\n  question: y\n"}
    )

    [error] = errors(folder)

    assert where(error) == "more.yaml:1"
    assert 'but YAML read it as a list ("- ..." lines): start the file with a section name' in (
        error.message
    )


def test_faqs_that_is_not_a_list_is_an_error(tmp_path: Path) -> None:
    error = only_error(tmp_path, "faqs:\n  id: what-is-ofsted\n  question: Q?\n  answer: A.\n")

    assert where(error) == "ofsted.yaml:2"
    assert '"faqs" must be a list' in error.message


# Text values


@pytest.mark.parametrize(
    ("written", "read_as"),
    [
        ("yes", "a yes/no value"),
        ("no", "a yes/no value"),
        ("on", "a yes/no value"),
        ("2024", "a number"),
        ("3.5", "a number"),
        ("2024-12-03", "a date"),
    ],
)
def test_a_bare_value_where_text_belongs_must_be_put_in_quotes(
    tmp_path: Path, written: str, read_as: str
) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED + f"    alternatives:\n      - {written}\n")

    assert where(error) == "ofsted.yaml:7"
    assert f"YAML reads {written} as {read_as}, not text" in error.message
    assert f'put it in quotes, like "{written}"' in error.message


def test_the_same_value_in_quotes_is_text(tmp_path: Path) -> None:
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED + '    tags: ["yes", "2024"]\n'})

    [entry] = load_corpus(folder, today=TODAY).entries

    assert entry.tags == ("yes", "2024")


@pytest.mark.parametrize(("key", "line"), [("question", 3), ("answer", 4)])
@pytest.mark.parametrize("emptiness", ["", '""', "'   '"])
def test_an_empty_question_or_answer_is_an_error(
    tmp_path: Path, key: str, line: int, emptiness: str
) -> None:
    text = re.sub(rf"{key}: .*", f"{key}: {emptiness}", WHAT_IS_OFSTED)

    error = only_error(tmp_path, text)

    assert where(error) == f"ofsted.yaml:{line}"
    assert f'"{key}" is empty' in error.message


def test_text_after_a_hash_is_a_comment_so_the_message_says_to_quote_it(tmp_path: Path) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED.replace("What is Ofsted?", "#1 question"))

    assert where(error) == "ofsted.yaml:3"
    assert "after a # as a comment" in error.message


def test_an_answer_longer_than_telegram_allows_says_how_long_and_by_how_much(
    tmp_path: Path,
) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED.replace("The inspectorate", "x" * 4200))

    assert where(error) == "ofsted.yaml:4"
    expected = (
        '"answer" is 4,225 characters long, 129 more than Telegram allows in one message (4,096)'
    )
    assert expected in error.message


def test_an_answer_of_exactly_4096_characters_is_allowed(tmp_path: Path) -> None:
    text = re.sub(r"answer: .*", "answer: " + "x" * 4096, WHAT_IS_OFSTED)

    assert errors(faq_folder(tmp_path, {"ofsted.yaml": text})) == []


@pytest.mark.parametrize(
    ("bad_id", "suggestion"),
    [
        ("Rating 2024", 'for example to "rating-2024"'),
        ("x", ""),
        ("-rating", 'for example to "rating"'),
        ("a" * 65, ""),
    ],
)
def test_an_id_that_is_not_a_slug_is_an_error(tmp_path: Path, bad_id: str, suggestion: str) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED.replace("what-is-ofsted", f"'{bad_id}'"))

    assert where(error) == "ofsted.yaml:2"
    assert "must be 2 to 64 lowercase letters, digits and hyphens" in error.message
    assert suggestion in error.message


# Dates


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("2024-13-40", "is not a real date"),
        ("2023-02-29", "is not a real date"),
        ("03/12/2024", "is not a date written as YYYY-MM-DD"),
        ("2024-1-5", "is not a date written as YYYY-MM-DD"),
        ("2024-12-03 10:00:00", "is not a date written as YYYY-MM-DD"),
        ("2024", "is not a date"),
    ],
)
def test_a_date_that_is_not_yyyy_mm_dd_says_the_format(
    tmp_path: Path, written: str, words: str
) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED.replace("2026-10-01", written))

    assert where(error) == "ofsted.yaml:5"
    assert words in error.message
    assert "YYYY-MM-DD" in error.message


# Duplicates


def test_an_id_used_twice_names_both_places(tmp_path: Path) -> None:
    folder = faq_folder(
        tmp_path,
        {
            "a.yaml": WHAT_IS_OFSTED,
            "b.yaml": WHAT_IS_OFSTED.replace("What is Ofsted?", "Who runs Ofsted?"),
        },
    )

    [error] = errors(folder)

    assert where(error) == "b.yaml:2"
    assert f'the id "what-is-ofsted" is also used at {folder / "a.yaml"}:2:9' in error.message


def test_the_same_question_under_two_entries_ignoring_case_and_punctuation_names_both(
    tmp_path: Path,
) -> None:
    second = """\
  - id: ofsted-meaning
    question: what is  OFSTED!
    answer: Another answer.
    reviewed: 2026-10-01
"""
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED + second})

    [error] = errors(folder)

    assert where(error) == "ofsted.yaml:7"
    assert f'also asked at {folder / "ofsted.yaml"}:3:15 (the entry "what-is-ofsted")' in (
        error.message
    )


def test_a_question_repeated_as_an_alternative_of_another_entry_is_an_error(
    tmp_path: Path,
) -> None:
    other = "faqs:\n  - id: other\n    question: Other?\n    answer: A.\n    reviewed: 2026-10-01\n"
    folder = faq_folder(
        tmp_path,
        {"a.yaml": WHAT_IS_OFSTED, "b.yaml": other + "    alternatives: [What is Ofsted]\n"},
    )

    [error] = errors(folder)

    assert where(error) == "b.yaml:6"
    assert f"also asked at {folder / 'a.yaml'}:3:15" in error.message


def test_the_same_alternative_twice_in_one_entry_is_an_error(tmp_path: Path) -> None:
    text = WHAT_IS_OFSTED + "    alternatives:\n      - Who are Ofsted\n      - who are ofsted?\n"

    error = only_error(tmp_path, text)

    assert where(error) == "ofsted.yaml:8"
    assert 'already asked at line 7 of the entry "what-is-ofsted"' in error.message


def test_entries_of_one_topic_may_share_a_question(tmp_path: Path) -> None:
    dated = """\
faqs:
  - id: rating-2024
    question: What is Croydon's Ofsted rating?
    answer: Good, as of December 2024.
    reviewed: 2026-10-01
    topic: ofsted-rating
    as_of: 2024-12-03
  - id: rating-2020
    question: What is Croydon's Ofsted rating?
    answer: Good, as of March 2020.
    reviewed: 2026-10-01
    topic: ofsted-rating
    as_of: 2020-03-01
"""
    assert errors(faq_folder(tmp_path, {"ratings.yaml": dated})) == []


# Links


def test_a_link_without_a_title_is_an_error(tmp_path: Path) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED + "    links:\n      - url: https://x.org\n")

    assert where(error) == "ofsted.yaml:7"
    assert 'this link has no "title"' in error.message


def test_a_link_without_a_url_is_an_error(tmp_path: Path) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED + "    links:\n      - title: Ofsted\n")

    assert where(error) == "ofsted.yaml:7"
    assert 'this link has no "url"' in error.message


@pytest.mark.parametrize("url", ["www.croydon.gov.uk", "ftp://x.org", "https://x.org/a b"])
def test_a_link_url_must_be_a_full_web_address(tmp_path: Path, url: str) -> None:
    link = f"    links:\n      - title: Croydon\n        url: {url}\n"

    error = only_error(tmp_path, WHAT_IS_OFSTED + link)

    assert where(error) == "ofsted.yaml:8"
    assert "starting with https://" in error.message


# Topics


def test_a_topic_without_as_of_is_an_error(tmp_path: Path) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED + "    topic: ofsted-rating\n")

    assert where(error) == "ofsted.yaml:6"
    assert 'has a "topic" but no "as_of"' in error.message


def test_as_of_without_a_topic_is_an_error(tmp_path: Path) -> None:
    error = only_error(tmp_path, WHAT_IS_OFSTED + "    as_of: 2024-12-03\n")

    assert where(error) == "ofsted.yaml:6"
    assert 'has an "as_of" date but no "topic"' in error.message


def test_two_entries_of_one_topic_with_the_same_as_of_name_both(tmp_path: Path) -> None:
    dated = """\
faqs:
  - id: rating-2024
    question: What is the rating now?
    answer: Good.
    reviewed: 2026-10-01
    topic: ofsted-rating
    as_of: 2024-12-03
  - id: rating-2024-again
    question: What was the rating in 2024?
    answer: Good.
    reviewed: 2026-10-01
    topic: ofsted-rating
    as_of: 2024-12-03
"""
    folder = faq_folder(tmp_path, {"ratings.yaml": dated})

    [error] = errors(folder)

    assert where(error) == "ratings.yaml:13"
    assert f"as_of 2024-12-03 at {folder / 'ratings.yaml'}:7:12" in error.message


def test_entries_of_different_topics_may_share_an_as_of_date(tmp_path: Path) -> None:
    dated = (
        WHAT_IS_OFSTED
        + "    topic: ofsted\n    as_of: 2024-12-03\n"
        + (
            "  - id: leavers\n    question: Care leavers?\n    answer: Good.\n"
            "    reviewed: 2026-10-01\n    topic: care-leavers\n    as_of: 2024-12-03\n"
        )
    )

    assert errors(faq_folder(tmp_path, {"ofsted.yaml": dated})) == []


# Synonyms


@pytest.mark.parametrize(
    ("synonyms", "line", "words"),
    [
        pytest.param('  - word: ""\n    variants: [kids]\n', 2, '"word" is empty', id="empty word"),
        pytest.param("  - word: children\n", 2, 'has no "variants"', id="missing variants"),
        pytest.param(
            "  - word: children\n    variants: []\n", 3, '"variants" has no items', id="no items"
        ),
        pytest.param(
            "  - word: children\n    variants: [kids, Children]\n",
            3,
            'the variant "Children" is the word "children" itself',
            id="variant equal to its word",
        ),
        pytest.param(
            "  - word: children\n    variants: [kids]\n  - word: young people\n"
            "    variants: [kids]\n",
            5,
            'the variant "kids" is given for both "children" (at ',
            id="variant under two words",
        ),
        pytest.param(
            "  - word: children\n    variants: [kids]\n  - word: kids\n    variants: [kiddies]\n",
            3,
            '"kids" is a variant of "children" and also a word with variants of its own at ',
            id="word that is a variant of another",
        ),
        pytest.param(
            "  - word: children\n    variants: [kids, Kids]\n",
            3,
            'the variant "Kids" is listed twice for "children"',
            id="variant twice under one word",
        ),
        pytest.param(
            "  - word: children\n    variants: [kids]\n  - word: Children\n    variants: [young]\n",
            4,
            'the word "Children" already has synonyms at ',
            id="word given twice",
        ),
    ],
)
def test_broken_synonyms_are_errors(tmp_path: Path, synonyms: str, line: int, words: str) -> None:
    folder = faq_folder(
        tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "synonyms.yaml": "synonyms:\n" + synonyms}
    )

    [error] = errors(folder)

    assert where(error) == f"synonyms.yaml:{line}"
    assert words in error.message


# Safeguarding, messages and smalltalk


@pytest.mark.parametrize("section", ["safeguarding", "messages"])
def test_a_missing_safeguarding_or_messages_section_is_an_error(
    tmp_path: Path, section: str
) -> None:
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED})
    (folder / f"{section}.yaml").unlink()

    [error] = errors(folder)

    assert error.location.file == folder
    assert f'no file has a "{section}:" section' in error.message


@pytest.mark.parametrize(
    ("section", "text"), [("safeguarding", SAFEGUARDING_YAML), ("messages", MESSAGES_YAML)]
)
def test_a_safeguarding_or_messages_section_given_twice_names_both(
    tmp_path: Path, section: str, text: str
) -> None:
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "z-more.yaml": text})

    [error] = errors(folder)

    assert where(error) == "z-more.yaml:1"
    assert f'"{section}:" is given again here, and also at {folder / section}.yaml:1' in (
        error.message
    )


@pytest.mark.parametrize(
    ("name", "text", "missing"),
    [
        ("safeguarding.yaml", SAFEGUARDING_YAML, "harm_words"),
        ("safeguarding.yaml", SAFEGUARDING_YAML, "reply"),
        ("messages.yaml", MESSAGES_YAML, "too_long"),
        ("messages.yaml", MESSAGES_YAML, "fallback"),
    ],
)
def test_a_missing_key_in_safeguarding_or_messages_is_an_error(
    tmp_path: Path, name: str, text: str, missing: str
) -> None:
    without = re.sub(rf"  {missing}: .*\n(    .*\n)*", "", text)
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, name: without})

    [error] = errors(folder)

    assert where(error) == f"{name}:2"
    assert f'has no "{missing}"' in error.message


@pytest.mark.parametrize("key", ["phrases", "child_words", "harm_words"])
def test_safeguarding_word_lists_must_have_items(tmp_path: Path, key: str) -> None:
    emptied = re.sub(rf"{key}: .*", f"{key}: []", SAFEGUARDING_YAML)
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "safeguarding.yaml": emptied})

    [error] = errors(folder)

    assert error.location.file.name == "safeguarding.yaml"
    assert f'"{key}" has no items' in error.message


@pytest.mark.parametrize(
    ("smalltalk", "line", "words"),
    [
        ("  - patterns: [hi]\n", 2, 'this smalltalk rule has no "reply"'),
        ("  - reply: Hello!\n", 2, 'this smalltalk rule has no "patterns"'),
        ("  - patterns: []\n    reply: Hello!\n", 2, '"patterns" has no items'),
        ("  - patterns: [hi]\n    reply: Hi!\n  - patterns: [Hi]\n    reply: Hey!\n", 4, "also at"),
    ],
)
def test_broken_smalltalk_rules_are_errors(
    tmp_path: Path, smalltalk: str, line: int, words: str
) -> None:
    folder = faq_folder(
        tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "smalltalk.yaml": "smalltalk:\n" + smalltalk}
    )

    [error] = errors(folder)

    assert where(error) == f"smalltalk.yaml:{line}"
    assert words in error.message


@pytest.mark.parametrize("section", ["faqs", "synonyms", "smalltalk"])
@pytest.mark.parametrize("emptiness", ["", " []"])
def test_a_section_list_with_no_items_is_an_error(
    tmp_path: Path, section: str, emptiness: str
) -> None:
    folder = faq_folder(
        tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "more.yaml": f"{section}:{emptiness}\n"}
    )

    [error] = errors(folder)

    assert where(error) == "more.yaml:1"
    assert f'"{section}"' in error.message


def test_a_folder_without_any_entry_is_an_error(tmp_path: Path) -> None:
    [error] = errors(faq_folder(tmp_path, {}))

    assert "no file has any FAQ entries" in error.message


# Reviewed dates


def test_an_answer_reviewed_over_a_year_ago_is_a_warning(tmp_path: Path) -> None:
    folder = faq_folder(
        tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED.replace("2026-10-01", "2025-11-21")}
    )

    [warning] = warnings(folder)

    assert where(warning) == "ofsted.yaml:5"
    assert warning.message == (
        'the entry "what-is-ofsted" was last reviewed on 2025-11-21, over a year ago: '
        'check the answer is still right and update "reviewed"'
    )


def test_an_answer_reviewed_exactly_a_year_ago_is_not_yet_a_warning(tmp_path: Path) -> None:
    folder = faq_folder(
        tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED.replace("2026-10-01", "2025-11-22")}
    )

    assert warnings(folder) == []


def test_an_entry_without_a_reviewed_date_is_a_warning(tmp_path: Path) -> None:
    folder = faq_folder(
        tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED.replace("    reviewed: 2026-10-01\n", "")}
    )

    [warning] = warnings(folder)

    assert where(warning) == "ofsted.yaml:2"
    assert 'has no "reviewed" date' in warning.message


def test_a_reviewed_date_in_the_future_is_a_warning(tmp_path: Path) -> None:
    folder = faq_folder(
        tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED.replace("2026-10-01", "2062-10-01")}
    )

    [warning] = warnings(folder)

    assert "in the future" in warning.message


def test_today_defaults_to_the_real_date(tmp_path: Path) -> None:
    reviewed_long_ago = WHAT_IS_OFSTED.replace("2026-10-01", "2001-01-01")
    folder = faq_folder(tmp_path, {"ofsted.yaml": reviewed_long_ago})

    [warning] = check_directory(folder)

    assert "over a year ago" in warning.message


# Nothing but FaqError


@pytest.mark.parametrize(
    "text",
    [
        "just some text\n",
        "- id: x\n  question: y\n",
        "faqs: &loop\n  - *loop\n",
        "faqs:\n  - id: x\n    question: {a: b}\n    answer: [1, 2]\n    links: text\n",
        "faqs:\n  - ? [complex, key]\n    : value\n",
        "safeguarding: [a, b]\nmessages: text\nsmalltalk: {a: b}\nsynonyms: 3\n",
        "faqs:\n  - id: x\n    reviewed: [2024-01-01]\n    as_of: {a: 1}\n    topic: Bad Topic\n",
        "!!python/object:os.system\nx: 1\n",
        "faqs: !custom\n  - id: x\n",
    ],
)
def test_strange_content_gives_problems_never_a_crash(tmp_path: Path, text: str) -> None:
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "strange.yaml": text})

    with pytest.raises(FaqError) as raised:
        load_corpus(folder, today=TODAY)

    assert any(problem.location.file.name == "strange.yaml" for problem in raised.value.problems)


# The JSON Schema for editors


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_the_schema_knows_exactly_the_keys_the_loader_knows() -> None:
    definitions = schema()["$defs"]

    assert set(schema()["properties"]) == set(SHAPES["file"].keys) | {UPDATES_KEY}
    for name, shape in SHAPES.items():
        if name == "file":
            continue
        assert list(definitions[name]["properties"]) == list(shape.keys), name
        assert sorted(definitions[name]["required"]) == sorted(shape.required), name
        assert definitions[name]["additionalProperties"] is False, name


def test_every_key_in_the_schema_has_a_description_for_staff() -> None:
    definitions = schema()["$defs"]
    for name in SHAPES:
        properties = schema()["properties"] if name == "file" else definitions[name]["properties"]
        for key, rules in properties.items():
            description = rules.get("description") or definitions.get(
                rules.get("$ref", "#/$defs/").rsplit("/", 1)[1], {}
            ).get("description")
            assert description, f"{name}.{key} has no description"


def as_json(yaml_text: str) -> object:
    """YAML as editors see it: dates are plain strings (YAML 1.2), not Python dates."""
    return json.loads(json.dumps(yaml.safe_load(yaml_text), default=str))


def test_the_schema_accepts_a_good_file_and_rejects_a_bad_one() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(schema())
    good = as_json(
        WHAT_IS_OFSTED
        + "    links:\n      - title: Ofsted\n        url: https://reports.ofsted.gov.uk/\n"
        + "    topic: what-is-ofsted\n    as_of: 2024-12-03\n"
        + SAFEGUARDING_YAML
        + MESSAGES_YAML
        + "synonyms:\n  - word: children\n    variants: [kids]\n"
        + "smalltalk:\n  - patterns: [hi]\n    reply: Hello!\n"
    )
    bad = as_json(
        "faqs:\n  - id: Not A Slug\n    question: Q\n    answer: " + "x" * 4097 + "\n"
        "    altenatives: [a]\n    reviewed: 03/12/2024\n    links:\n      - url: www.x.org\n"
        "synonym: []\n"
    )

    jsonschema.Draft202012Validator.check_schema(schema())
    assert list(validator.iter_errors(good)) == []
    complaints = sorted(
        "/".join(str(part) for part in error.absolute_path) + " " + error.validator
        for error in validator.iter_errors(bad)
    )
    assert complaints == [
        " additionalProperties",  # synonym
        "faqs/0 additionalProperties",  # altenatives
        "faqs/0/answer maxLength",
        "faqs/0/id pattern",
        "faqs/0/links/0 required",  # no title
        "faqs/0/links/0/url pattern",
        "faqs/0/reviewed pattern",
    ]
