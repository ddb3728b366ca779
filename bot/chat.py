"""`faqbot chat`: a conversation in the terminal with the same responder residents get."""

from __future__ import annotations

from typing import TextIO

from bot.answering import Responder
from bot.reply import Reply

_GOODBYES = {"quit", "exit", "bye", "/quit", "/exit"}


def chat(responder: Responder, stdin: TextIO, out: TextIO) -> int:
    """Answer one line at a time until end of input or "quit". A number picks a choice."""
    interactive = stdin.isatty()
    print(
        "Ask me about Croydon's children's services and their Ofsted inspections. "
        "Type quit to leave.",
        file=out,
    )
    last: Reply | None = None
    while True:
        if interactive:
            out.write("\nyou> ")
            out.flush()
        line = stdin.readline()
        if not line:
            break
        text = line.rstrip("\n")
        if text.strip().lower() in _GOODBYES:
            break
        if last is not None and last.choices and text.strip().isdigit():
            number = int(text.strip())
            if 1 <= number <= len(last.choices):
                reply = responder.answer_entry(last.choices[number - 1].entry_id)
            else:
                reply = responder.respond("terminal", text)
        else:
            reply = responder.respond("terminal", text)
        print(("bot> " if interactive else "") + reply.text, file=out)
        if reply.choices:
            print("(type the number of your choice)", file=out)
        last = reply
    print("Goodbye.", file=out)
    return 0
