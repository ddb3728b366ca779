"""Personal data is replaced by tags before a question is logged; the rest of it survives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.question_log import QuestionLog
from bot.redaction import redact, without_tags
from bot.reply import Candidate, Outcome, Reply
from bot.storage import Store


@pytest.mark.parametrize(
    ("message", "redacted"),
    [
        ("email me at jo.bloggs+x@example.co.uk", "email me at [email]"),
        ("My email is SAM_99@Mail.com.", "My email is [email]."),
        ("it's o'neil@croydon.gov.uk I wrote to", "it's [email] I wrote to"),
    ],
)
def test_email_addresses_are_removed(message: str, redacted: str):
    assert redact(message) == redacted


@pytest.mark.parametrize(
    "number",
    [
        "020 7946 0958",
        "02079460958",
        "(020) 7946 0958",
        "07700 900123",
        "07700-900-123",
        "01632 960001",
        "0800 123 4567",
        "+44 20 7946 0958",
        "+44 (0)20 7946 0958",
        "+447700900123",
        "0044 7700 900123",
        "+1 212-555-0100",
        "+33 1 23 45 67 89",
    ],
)
def test_uk_and_international_phone_numbers_are_removed(number: str):
    assert redact(f"please ring me on {number} today") == "please ring me on [phone] today"


@pytest.mark.parametrize("postcode", ["CR0 1EA", "cr0 1ea", "SW1A 1AA", "CR76DR", "E1 6AN"])
def test_full_uk_postcodes_are_removed(postcode: str):
    assert redact(f"I live at {postcode}, Croydon") == "I live at [postcode], Croydon"


def test_a_postcode_district_alone_is_not_personal_and_stays():
    assert redact("are there foster carers in CR0?") == "are there foster carers in CR0?"


def test_urls_with_a_query_string_are_removed_but_plain_addresses_stay():
    message = "see https://example.com/case?id=123&mail=x and www.croydon.gov.uk/ofsted"
    assert redact(message) == "see [url] and www.croydon.gov.uk/ofsted"
    assert redact("http://x.org/page#ref-22 is broken") == "[url] is broken"


@pytest.mark.parametrize(
    "card", ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "3782 822463 10005"]
)
def test_card_numbers_are_removed(card: str):
    assert redact(f"I paid with {card} twice") == "I paid with [card] twice"


@pytest.mark.parametrize(
    ("message", "redacted"),
    [
        ("sort code 12-34-56 account 12345678", "sort code [bank] account [bank]"),
        ("sort code: 120356, acc 87654321", "sort code: [bank], acc [bank]"),
        ("paid from 12 34 56 / 12345678", "paid from [bank] / [bank]"),
        ("IBAN GB82 WEST 1234 5698 7654 32 please", "IBAN [bank] please"),
    ],
)
def test_bank_details_are_removed(message: str, redacted: str):
    assert redact(message) == redacted


@pytest.mark.parametrize("number", ["943 476 5919", "943-476-5919", "9434765919"])
def test_nhs_numbers_are_removed(number: str):
    assert redact(f"my NHS number is {number}, is that needed?") == (
        "my NHS number is [nhs], is that needed?"
    )


@pytest.mark.parametrize(
    "number", ["QQ 12 34 56 C", "QQ123456C", "qq 12 34 56 c", "AB 123456 D", "QQ 12 34 56"]
)
def test_national_insurance_numbers_are_removed(number: str):
    assert redact(f"NI number {number} for the form") == "NI number [ni] for the form"


@pytest.mark.parametrize(
    ("message", "redacted"),
    [
        ("we live at 12 Acacia Avenue, Croydon", "we live at [address], Croydon"),
        ("Flat 3, 45 High Street needs a visit", "[address] needs a visit"),
        ("flat 3 45 high st. has damp", "[address] has damp"),
        ("moved to 221B Baker Street in 2019", "moved to [address] in 2019"),
        ("at 12-14 london rd near the station", "at [address] near the station"),
        ("my son lives at 7 Oak Close", "my son lives at [address]"),
    ],
)
def test_street_addresses_are_removed(message: str, redacted: str):
    assert redact(message) == redacted


@pytest.mark.parametrize(
    ("message", "redacted"),
    [
        ("she was born on 12/03/2015", "she was born on [date]"),
        ("DOB: 3rd March 2016", "DOB: [date]"),
        ("date of birth 1.4.09", "date of birth [date]"),
        ("he was born in 2014", "he was born in [date]"),
        ("born in May 2014", "born in [date]"),
        ("the meeting on 2024-01-15", "the meeting on [date]"),
        ("on 5 May and May 5th, 2020", "on [date] and [date]"),
        ("from the 3rd of March", "from the [date]"),
    ],
)
def test_dates_of_birth_and_other_full_dates_are_removed(message: str, redacted: str):
    assert redact(message) == redacted


@pytest.mark.parametrize(
    ("message", "redacted"),
    [
        ("My name is Sam Jones and I live here", "My name is [name] and I live here"),
        ("my name is sam and i need help", "my name is [name] and i need help"),
        ("my name's Priya.", "my name's [name]."),
        ("I'm called Priya, hi", "I'm called [name], hi"),
        ("im called jo", "im called [name]"),
        ("my son Jake has autism", "my son [name] has autism"),
        ("my daughter, Amy Smith, was in care", "my daughter, [name], was in care"),
        ("our foster child Leo moved school", "our foster child [name] moved school"),
        ("my son is called jake smith", "my son is called [name]"),
        ("my daughter named amy is 4", "my daughter named [name] is 4"),
        ("I spoke to Mrs Patel at the office", "I spoke to [name] at the office"),
        ("ask @someone_else about it", "ask [name] about it"),
    ],
)
def test_names_introduced_as_names_are_removed(message: str, redacted: str):
    assert redact(message) == redacted


@pytest.mark.parametrize(
    "message",
    [
        "In 2017 Ofsted rated Croydon inadequate. In December 2024 it was Good.",
        "What happened between 2017 and 2020?",
        "Ofsted said Croydon was good",
        "The council spent £10 million on improvement",
        "Did it cost £1,250,000 in 2019 2020 2021 2022?",
        "my son has been in care since March 2021",
        "my daughter is 14 and in year 10",
        "Why did Ofsted visit Croydon? Monitoring Visits Explained",
        "What is the ILACS framework?",
        "Is the SPOC open 24/7?",
        "call 999 if a child is in danger",
        "are 3 out of 4 children seen within 10 days?",
        "What does www.croydon.gov.uk/ofsted say?",
        "Is Croydon in CR0 or CR9?",
        "This is Croydon's third inspection",
        "I am worried about my son",
        "in 2017 the 4 judgements were all inadequate",
        "Croydon rated good in March 2020",
        "are there 3 homes on the road for children in care?",
        "is contact 123456 a week or a month?",
        "we had 2 family court hearings and a 24 hour drive",
        "Why did 1 in 10 children wait over 4 weeks?",
        "How many children's homes are on London Road?",
    ],
)
def test_ordinary_questions_about_ofsted_come_through_unchanged(message: str):
    assert redact(message) == message


def test_a_message_with_many_kinds_of_personal_data_keeps_only_its_question():
    message = (
        "Hi my name is Dawn Brown, my son Tyler (born 04/05/2012) was moved. "
        "Call 07700 900123 or dawn@example.com, CR0 2RH. Who decides on a placement?"
    )
    assert redact(message) == (
        "Hi my name is [name], my son [name] (born [date]) was moved. "
        "Call [phone] or [email], [postcode]. Who decides on a placement?"
    )


def test_without_tags_leaves_only_the_residents_words_for_matching():
    assert without_tags("my son [name] (born [date]) was moved") == "my son (born ) was moved"


async def test_none_of_the_new_kinds_of_personal_data_reaches_the_database_file(tmp_path: Path):
    path = tmp_path / "faqbot.sqlite3"
    raw = [
        "943 476 5919",
        "QQ 12 34 56 C",
        "45 High Street",
        "Acacia Avenue",
    ]
    message = (
        "My NHS number is 943 476 5919 and my NI is QQ 12 34 56 C. We moved from Flat 3, "
        "45 High Street to 12 Acacia Avenue - who pays for the move?"
    )
    now = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    async with Store(path, b"test-key") as store:
        log = QuestionLog(store, clock=lambda: now)
        log.record(
            user_id=7,
            chat_id=7,
            chat_type="private",
            text=message,
            reply=Reply(Outcome.UNANSWERED, "Sorry", candidates=(Candidate("moves", 30.0),)),
            corpus_version="v1",
        )
        assert await log.flush()
        [logged] = await store.logged_questions(since=now - timedelta(days=1))

    assert logged.question == (
        "My NHS number is [nhs] and my NI is [ni]. We moved from [address] to [address]"
        " - who pays for the move?"
    )
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    stored = b"".join(file.read_bytes() for file in files if file.exists())
    assert b"[address]" in stored
    for text in raw:
        assert text.encode() not in stored
        assert text.replace(" ", "").encode() not in stored
