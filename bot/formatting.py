"""Turn a `Reply` into Telegram HTML messages, and button data that always fits Telegram's limit.

Pure functions with no `telegram` import, so the answering core's tests can use them too.
Telegram rejects a message over 4096 characters and any `<`, `>` or `&` that is not part of a
tag or an entity, so the plain text is split first and each piece is escaped afterwards: no tag
or entity can ever be cut in half.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Iterable

from bot.corpus import Link
from bot.reply import Reply

# Telegram's limit for one message: "1-4096 characters after entities parsing".
MAX_MESSAGE_LENGTH = 4096
# Telegram's limit for an inline button's callback_data: "1-64 bytes" of UTF-8.
MAX_CALLBACK_DATA_BYTES = 64

# Where a long text may be cut, best first. Each pattern matches the separator that is dropped
# at the cut: a blank line between paragraphs, a line break, the space after a sentence, any space.
# The dropped separator is the pattern's group 1 when it has one (a sentence keeps its full stop
# and closing quote).
_BOUNDARIES = (
    re.compile(r"\n[ \t]*\n\s*"),
    re.compile(r"\n\s*"),
    re.compile(r"[.!?…][\"'”’)\]]*(\s+)"),
    re.compile(r"\s+"),
)


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Split plain text into pieces of at most `limit` characters, counted as Telegram does.

    Cuts at paragraph breaks, then line breaks, then sentence ends, then spaces; a word longer
    than `limit` is cut hard. The whitespace at each cut is dropped and nothing else is.
    """
    return _split(text, limit, _utf16_length)


def render_reply_html(reply: Reply, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """The reply as Telegram HTML messages, in order; the "Source:" links go with the last one.

    Each message is at most `limit` characters both as sent (tags and entities included) and as
    Telegram shows it. An empty reply gives no messages.
    """
    link_lines: list[str] = []
    too_long_for_a_tag: list[str] = []  # a URL of thousands of characters: shown as plain text
    for link in reply.links:
        line = _render_link(link)
        if _utf16_length(line) <= limit:
            link_lines.append(line)
        else:
            too_long_for_a_tag.append(f"Source: {link.title} - {link.url}")
    body = "\n\n".join(part for part in (reply.body.strip(), *too_long_for_a_tag) if part)
    pieces = _split(body, limit, _escaped_length)
    if not link_lines:
        return [html.escape(piece, quote=False) for piece in pieces]

    link_messages = _pack_lines(link_lines, limit)
    if pieces:
        # The links join the last piece of the body, which is cut smaller if they don't fit.
        room = limit - _utf16_length(link_messages[0]) - len("\n\n")
        last = pieces.pop()
        if room > 0 and _escaped_length(last) > room:
            *rest, last = _split(last, room, _escaped_length)
            pieces.extend(rest)
        if _escaped_length(last) <= room:
            link_messages[0] = f"{html.escape(last, quote=False)}\n\n{link_messages[0]}"
        else:
            pieces.append(last)
    return [html.escape(piece, quote=False) for piece in pieces] + link_messages


def encode_callback(kind: str, value: str) -> str:
    """Data for an inline button that fits Telegram's 64 bytes whatever the value is.

    `kind:value` when it fits, otherwise `kind#` and a stable 16-hex-digit hash of the value,
    which `decode_callback` resolves against the values that exist now. Kinds are short ASCII
    words without ":" or "#": the bot uses choice, vote, topic and page.
    """
    _check_kind(kind)
    data = f"{kind}:{value}"
    if value and len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
        return data
    return f"{kind}#{_short_hash(value)}"


def decode_callback(data: str, known_values: Iterable[str]) -> tuple[str, str] | None:
    """The (kind, value) a button was made with, or None if the data is not ours or is stale.

    `known_values` are the values that may be hashed: for "choice" the corpus's entry ids, for
    "vote" the votes that can exist, e.g. `(f"{id}:{v}" for id in ids for v in "01")`. It is
    only read when the value did not fit in the button; a plain value comes back as it was sent,
    so the caller still checks that the entry it names exists.
    """
    match = re.match(r"([^:#]+)([:#])(.*)", data, re.DOTALL)
    if match is None:
        return None
    kind, separator, rest = match.groups()
    if separator == ":":
        return (kind, rest) if rest else None
    for value in known_values:
        if _short_hash(value) == rest:
            return kind, value
    return None


def _split(text: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    """Cut `text` into pieces whose `measure` is at most `limit`, at the best boundary."""
    if limit < 1:
        raise ValueError(f"a message must be allowed at least 1 character, not {limit}")
    text = text.strip()
    pieces: list[str] = []
    while text:
        window = _longest_prefix(text, limit, measure)
        if window == len(text):
            pieces.append(text)
            break
        cut, resume = _best_cut(text, window)
        pieces.append(text[:cut].rstrip())
        text = text[resume:].lstrip()
    return pieces


def _longest_prefix(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """How many characters of `text` fit in `limit` (at least one, so splitting always moves on)."""
    if measure(text) <= limit:
        return len(text)
    low, high = 1, len(text)  # measure(text[:low]) may exceed limit only for one huge character
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def _best_cut(text: str, window: int) -> tuple[int, int]:
    """Where to end this piece and where the next one starts, within the first `window` chars.

    A boundary in the second half of the window wins by rank (paragraph, line, sentence,
    word); failing that the latest boundary anywhere; failing that a hard cut.
    """
    # Look one character past the window so a separator right at the limit is still found.
    head = text[: window + 1]
    latest: tuple[int, int] | None = None
    for boundary in _BOUNDARIES:
        spans = (m.span(1) if boundary.groups else m.span() for m in boundary.finditer(head))
        cuts = [(start, end) for start, end in spans if 0 < start <= window]
        if not cuts:
            continue
        start, end = cuts[-1]
        if start >= window // 2:
            return start, end
        if latest is None or start > latest[0]:
            latest = (start, end)
    if latest is not None:
        return latest
    cut = window
    # Never separate a character from the combining marks that follow it.
    while cut > 1 and _is_combining(text[cut]):
        cut -= 1
    return cut, cut


def _is_combining(character: str) -> bool:
    """Accents, emoji joiners and variation selectors, and skin tones: they belong to the left."""
    return (
        "\u0300" <= character <= "\u036f"
        or character in "\u200d\ufe0e\ufe0f"
        or "\U0001f3fb" <= character <= "\U0001f3ff"
    )


def _pack_lines(lines: list[str], limit: int) -> list[str]:
    """Join lines into as few messages of at most `limit` characters as possible."""
    messages: list[str] = []
    for line in lines:
        if messages and _utf16_length(messages[-1]) + 1 + _utf16_length(line) <= limit:
            messages[-1] += "\n" + line
        else:
            messages.append(line)
    return messages


def _render_link(link: Link) -> str:
    url = html.escape(link.url, quote=True)
    title = html.escape(link.title or link.url, quote=False)
    return f'Source: <a href="{url}">{title}</a>'


def _utf16_length(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP (most emoji) count twice."""
    return len(text.encode("utf-16-le")) // 2


def _escaped_length(text: str) -> int:
    return _utf16_length(html.escape(text, quote=False))


def _short_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def _check_kind(kind: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_.+-]{1,16}", kind):
        raise ValueError(
            f"callback kind {kind!r} must be 1-16 letters, digits or _.+- (no ':' or '#')"
        )
