"""Greetings, thanks and goodbyes: recognised so they get a friendly line, not an FAQ answer."""

from __future__ import annotations

from collections.abc import Sequence

from bot.corpus import SmalltalkRule
from bot.text import normalise

# Words that may pad a greeting without making it a question: "hi there", "thanks so much".
_FILLER = frozenset(
    "there again so much very lot a the all you bot mate guys everyone folks and for that "
    "your help then ok okay oh".split()
)
# A greeting buried in a longer message is manners, not the message: it goes to the matcher.
_MAX_WORDS = 8


class SmalltalkReplies:
    def __init__(self, rules: Sequence[SmalltalkRule]):
        self._rules = [
            (
                sorted({normalise(p) for p in rule.patterns} - {""}, key=len, reverse=True),
                rule.reply,
            )
            for rule in rules
        ]
        # A message with a word in no pattern and no filler cannot be small talk: most messages.
        self._words = _FILLER | {
            word for patterns, _ in self._rules for pattern in patterns for word in pattern.split()
        }

    def reply_to(self, text: str) -> str | None:
        """The reply when the whole message is small talk, else None."""
        words = normalise(text).split()
        if not words or len(words) > _MAX_WORDS or not self._words.issuperset(words):
            return None
        for patterns, reply in self._rules:
            if _only_pattern_and_filler(words, patterns):
                return reply
        return None


def _only_pattern_and_filler(words: list[str], patterns: list[str]) -> bool:
    """True when removing the rule's phrases and filler words leaves nothing."""
    remaining = " " + " ".join(words) + " "
    matched = False
    for pattern in patterns:
        if f" {pattern} " in remaining:
            remaining = remaining.replace(f" {pattern} ", " ")
            matched = True
    return matched and all(word in _FILLER for word in remaining.split())
