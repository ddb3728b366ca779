"""Replies become HTML and message sizes that Telegram accepts, with every word kept."""

from __future__ import annotations

import hashlib
import html

import pytest
from fake_telegram import parse_html, utf16_length

from bot.corpus import Link
from bot.formatting import (
    MAX_CALLBACK_DATA_BYTES,
    MAX_MESSAGE_LENGTH,
    decode_callback,
    encode_callback,
    render_reply_html,
    split_text,
)
from bot.reply import Outcome, Reply

REPORT = Link("Ofsted inspection report 2024", "https://reports.ofsted.gov.uk/provider/44/80586")


def answer(body: str, *links: Link) -> Reply:
    return Reply(outcome=Outcome.ANSWER, body=body, links=links)


def shown_by_telegram(message: str) -> str:
    """What Telegram displays for this HTML; fails the test where Telegram would refuse it."""
    text, _ = parse_html(message)
    return text


def assert_only_whitespace_dropped(original: str, pieces: list[str]) -> None:
    """The pieces are the original, in order, less the whitespace at the cuts."""
    position = 0
    for piece in pieces:
        while position < len(original) and original[position].isspace():
            position += 1
        assert original.startswith(piece, position), f"piece at {position} differs"
        position += len(piece)
    assert original[position:].strip() == ""


def body_shown(messages: list[str]) -> list[str]:
    """What Telegram shows for each message, without the "Source:" lines at the end."""
    shown = [shown_by_telegram(message) for message in messages]
    without_links = [text.split("Source: ", 1)[0].strip() for text in shown]
    return [text for text in without_links if text]


def long_answer(paragraphs: int = 11) -> str:
    sentence = (
        "Ofsted judged Croydon's services for children in need of help and protection to be "
        "good, with leaders who know their services well and act on what they find. "
    )
    return "\n\n".join((sentence * 6).strip() for _ in range(paragraphs))


@pytest.mark.parametrize(
    ("body", "expected_html"),
    [
        ('Rated "Good" <2024> & improving', 'Rated "Good" &lt;2024&gt; &amp; improving'),
        ("What is a <b>CP plan</b>?", "What is a &lt;b&gt;CP plan&lt;/b&gt;?"),
        ("Children's homes: 5 < 10 && 10 > 5", "Children's homes: 5 &lt; 10 &amp;&amp; 10 &gt; 5"),
        ("&lt; is not an entity here", "&amp;lt; is not an entity here"),
    ],
)
def test_corpus_and_resident_text_is_escaped_so_telegram_shows_it_as_written(
    body: str, expected_html: str
):
    [message] = render_reply_html(answer(body))
    assert message == expected_html
    assert shown_by_telegram(message) == body


def test_source_links_follow_the_body_as_anchor_lines():
    second = Link("Croydon children's services", "https://www.croydon.gov.uk/children")
    [message] = render_reply_html(answer("Croydon was rated Good.", REPORT, second))
    assert message == (
        "Croydon was rated Good.\n\n"
        'Source: <a href="https://reports.ofsted.gov.uk/provider/44/80586">'
        "Ofsted inspection report 2024</a>\n"
        'Source: <a href="https://www.croydon.gov.uk/children">Croydon children\'s services</a>'
    )


def test_link_urls_and_titles_are_escaped_and_reach_telegram_intact():
    link = Link('Reports & "letters" <2024>', "https://example.org/find?q=a&b=\"c\"&d='e'")
    [message] = render_reply_html(answer("See the source.", link))
    text, entities = parse_html(message)
    assert text == 'See the source.\n\nSource: Reports & "letters" <2024>'
    assert [entity["url"] for entity in entities] == [link.url]


def test_an_empty_reply_gives_no_messages():
    assert render_reply_html(answer("  ")) == []


def test_a_reply_with_only_links_gives_just_the_links():
    assert render_reply_html(answer("", REPORT)) == [
        f'Source: <a href="{REPORT.url}">{REPORT.title}</a>'
    ]


def test_a_ten_thousand_character_answer_splits_at_paragraphs_and_loses_nothing():
    body = long_answer()
    assert len(body) > 10_000
    messages = render_reply_html(answer(body, REPORT))

    assert len(messages) == 3
    assert all(len(message) <= MAX_MESSAGE_LENGTH for message in messages)
    shown = [shown_by_telegram(message) for message in messages]
    assert all(utf16_length(text) <= MAX_MESSAGE_LENGTH for text in shown)
    assert shown[-1].endswith(f"\n\nSource: {REPORT.title}")
    pieces = body_shown(messages)
    assert_only_whitespace_dropped(body, pieces)
    # Every cut is between paragraphs.
    paragraphs = set(body.split("\n\n"))
    assert all(set(piece.split("\n\n")) <= paragraphs for piece in pieces)


def test_one_long_paragraph_splits_at_a_sentence_end():
    sentence = "The council has improved its early help offer since the last inspection. "
    body = (sentence * 80).strip()
    pieces = split_text(body)
    assert len(pieces) == 2
    assert MAX_MESSAGE_LENGTH - len(sentence) < len(pieces[0]) <= MAX_MESSAGE_LENGTH
    assert all(piece.endswith("inspection.") for piece in pieces)
    assert_only_whitespace_dropped(body, pieces)


def test_a_line_break_is_preferred_to_a_sentence_end():
    lines = "\n".join(
        f"{n}. Contact the front door on 020 8726 6400. Ask for the duty team." for n in range(200)
    )
    pieces = split_text(lines, 1000)
    assert all(len(piece) <= 1000 for piece in pieces)
    assert all(piece.endswith("Ask for the duty team.") for piece in pieces)
    assert_only_whitespace_dropped(lines, pieces)


def test_ampersands_and_angle_brackets_at_the_limit_never_split_an_entity():
    for body in ("&<>" * 3000, "a&b <c> " * 1500, "x" * 4094 + "&&&& <<<< >>>>"):
        messages = render_reply_html(answer(body))
        assert all(len(message) <= MAX_MESSAGE_LENGTH for message in messages)
        shown = [shown_by_telegram(message) for message in messages]  # all valid HTML
        assert_only_whitespace_dropped(body, shown)


def test_a_5000_character_word_is_cut_hard_and_kept_whole():
    word = "".join(chr(ord("a") + n % 26) for n in range(5000))
    pieces = split_text(f"See {word} here")
    assert [len(piece) for piece in pieces] == [len("See"), 4096, 904 + len(" here")]
    assert "".join(pieces[1:]).replace(" here", "") == word
    assert render_reply_html(answer(word)) == [word[:4096], word[4096:]]


def test_emoji_count_twice_towards_the_limit():
    pieces = split_text("😀" * 3000)
    assert [len(piece) for piece in pieces] == [2048, 952]
    assert all(utf16_length(piece) <= MAX_MESSAGE_LENGTH for piece in pieces)


def test_links_join_a_full_last_message_by_moving_its_last_paragraph_on():
    first = "First paragraph. " * 150
    second = "Second paragraph. " * 60
    body = f"{first.strip()}\n\n{second.strip()}"
    assert len(body) < MAX_MESSAGE_LENGTH  # fits alone, but not with the link
    messages = render_reply_html(answer(body, REPORT), limit=len(body) + 10)
    assert [shown_by_telegram(m).split("\n\n")[0] for m in messages] == [
        first.strip(),
        second.strip(),
    ]
    assert messages[-1].endswith(f'<a href="{REPORT.url}">{REPORT.title}</a>')
    assert all(len(message) <= len(body) + 10 for message in messages)


def test_every_message_fits_a_smaller_limit_too():
    body = long_answer(4).replace("good", "good & <safe>")
    for limit in (150, 300, 1000):
        messages = render_reply_html(answer(body, REPORT), limit=limit)
        assert all(len(message) <= limit for message in messages)
        assert_only_whitespace_dropped(body, body_shown(messages))


def test_a_link_too_long_for_any_message_is_shown_as_plain_text():
    link = Link("Huge", "https://example.org/?q=" + "x" * 5000)
    messages = render_reply_html(answer("Body.", link))
    assert all(len(message) <= MAX_MESSAGE_LENGTH for message in messages)
    shown = [shown_by_telegram(message) for message in messages]
    assert_only_whitespace_dropped(f"Body.\n\nSource: Huge - {link.url}", shown)


def test_callback_data_for_a_short_id_is_readable_and_round_trips():
    data = encode_callback("choice", "rating-2024")
    assert data == "choice:rating-2024"
    assert decode_callback(data, ["rating-2024"]) == ("choice", "rating-2024")


@pytest.mark.parametrize(
    "entry_id",
    ["inspection-" + "x" * 189, "ofsted-bewertung-jugendämter-" * 3, "日本語のよくある質問" * 3],
)
def test_callback_data_for_long_or_non_ascii_ids_fits_and_round_trips(entry_id: str):
    other_ids = ["rating-2024", entry_id + "-2"]
    for kind, value in (("choice", entry_id), ("vote", f"{entry_id}:1"), ("vote", f"{entry_id}:0")):
        data = encode_callback(kind, value)
        assert 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
        known = [*other_ids, entry_id, f"{entry_id}:1", f"{entry_id}:0"]
        assert decode_callback(data, known) == (kind, value)


def test_an_id_of_exactly_the_limit_stays_readable():
    entry_id = "x" * (MAX_CALLBACK_DATA_BYTES - len("choice:"))
    assert encode_callback("choice", entry_id) == f"choice:{entry_id}"
    assert encode_callback("choice", entry_id + "y").startswith("choice#")


def test_stale_or_foreign_callback_data_decodes_to_nothing():
    hashed = encode_callback("choice", "an-entry-that-was-removed-" * 4)
    assert decode_callback(hashed, ["rating-2024"]) is None
    assert decode_callback("garbage", ["rating-2024"]) is None
    assert decode_callback("choice:", ["rating-2024"]) is None


def test_hashes_are_stable_so_buttons_survive_a_restart():
    digest = hashlib.sha256(b"y" * 100).hexdigest()
    assert encode_callback("topic", "y" * 100) == f"topic#{digest[:16]}"


@pytest.mark.parametrize("kind", ["", "choice:x", "vote#", "a" * 17, "wähl"])
def test_a_kind_that_could_be_confused_with_the_value_is_refused(kind: str):
    with pytest.raises(ValueError, match="callback kind"):
        encode_callback(kind, "x")


def test_escaping_matches_the_standard_library():
    text = "<a href='x'>\"quoted\" & more</a>"
    [message] = render_reply_html(answer(text))
    assert message == html.escape(text, quote=False)
