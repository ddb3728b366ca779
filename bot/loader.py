"""Reads the `faq/` folder into a `Corpus`, or says in plain words what to change first.

Staff edit these files, not programmers, so every problem names the file and line and ends with
what to do, and all problems in all files are reported at once. Values are built from the nodes
of `yaml.compose()` rather than taken from `yaml.safe_load()`, so that every value keeps its line
and so that a bare `yes`, `2024` or date where text belongs is caught instead of silently turning
into True, a number or a date.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Generic, TypeVar

import yaml
from rapidfuzz import fuzz, process, utils
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.corpus import (
    ASKED_SAFEGUARDING,
    Corpus,
    ElsewhereTopic,
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
from bot.redaction import redact
from bot.text import normalise
from bot.updates import UPDATES_FILE, ProgressUpdate

MAX_MESSAGE_LENGTH = 4096  # Telegram refuses to send a longer message
REVIEW_INTERVAL = timedelta(days=365)
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}[a-z0-9]")  # ids and topics; the schema says the same
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
UPDATES_KEY = "updates"  # the progress updates: the only section of updates.yaml
# An update's id is typed in `faqbot publish ID`, so it may be as short as one character.
UPDATE_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
MAX_TITLE_LENGTH = 200
# The alert is the title, the summary, the link and a line on how to unsubscribe: all of it
# must fit in one Telegram message.
MAX_SUMMARY_LENGTH = 3000

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_WHAT_YAML_READ = {
    "tag:yaml.org,2002:bool": "a yes/no value",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    _TIMESTAMP: "a date",
}


@dataclass(frozen=True)
class Shape:
    """The keys one kind of mapping may and must have. `faq/faq.schema.json` lists the same."""

    noun: str  # how messages name one: "an entry"
    keys: tuple[str, ...]
    required: tuple[str, ...]
    example: str  # how to write one, for the message when it is not written as a mapping


FILE = Shape(
    "an FAQ file",
    ("faqs", "synonyms", "safeguarding", "smalltalk", "messages", "elsewhere", "asked"),
    (),
    'a section name at the start of a line, such as "faqs:", with its content indented below',
)
ENTRY = Shape(
    "an entry",
    (
        "id",
        "question",
        "alternatives",
        "answer",
        "tags",
        "links",
        "reviewed",
        "sources",
        "topic",
        "as_of",
    ),
    ("id", "question", "answer"),
    '"- id: ..." followed by "question: ..." and "answer: ..." lines lined up with "id"',
)
LINK = Shape("a link", ("title", "url"), ("title", "url"), '"- title: ..." with "url: ..." below')
SYNONYM = Shape(
    "a synonym", ("word", "variants"), ("word", "variants"), '"- word: ..." with "variants: [...]"'
)
SAFEGUARDING = Shape(
    "the safeguarding section",
    ("reply", "phrases", "child_words", "harm_words", "reassurances", "examples"),
    ("reply", "phrases", "child_words", "harm_words"),
    'the lines "reply:", "phrases:", "child_words:" and "harm_words:" indented under it',
)
SMALLTALK_RULE = Shape(
    "a smalltalk rule",
    ("patterns", "reply"),
    ("patterns", "reply"),
    '"- patterns: [...]" with "reply: ..." below',
)
MESSAGES = Shape(
    "the messages section",
    ("fallback", "suggest_intro", "empty", "too_long"),
    ("fallback", "suggest_intro", "empty", "too_long"),
    'the lines "fallback:", "suggest_intro:", "empty:" and "too_long:" indented under it',
)
ELSEWHERE_TOPIC = Shape(
    "an elsewhere topic",
    ("id", "examples"),
    ("id", "examples"),
    '"- id: ..." with "examples:" and its list of questions below',
)
ASKED_GROUP = Shape(
    "a group of asked questions",
    ("id", "questions"),
    ("id", "questions"),
    '"- id: ..." with "questions:" and its list of residents\' questions below',
)
UPDATE = Shape(
    "an update",
    ("id", "date", "title", "summary", "link", "published"),
    ("id", "date", "title", "summary"),
    '"- id: ..." followed by "date: ...", "title: ..." and "summary: ..." lines lined up with "id"',
)
# By the names of their definitions in faq.schema.json, so a test can keep the two in step.
SHAPES = {
    "file": FILE,
    "entry": ENTRY,
    "link": LINK,
    "synonym": SYNONYM,
    "safeguarding": SAFEGUARDING,
    "smalltalk_rule": SMALLTALK_RULE,
    "messages": MESSAGES,
    "elsewhere_topic": ELSEWHERE_TOPIC,
    "asked_group": ASKED_GROUP,
    "update": UPDATE,
}


def load_corpus(directory: Path, *, today: date | None = None) -> Corpus:
    """The checked content of `directory`; raises `FaqError` listing every error found.

    Its warnings are `faqbot check`'s (check_directory); the costliest, personal data in
    thousands of asked questions, is left to it, out of every start of the bot and command.
    """
    reading = _read_folder(directory, today or date.today(), looks_for_personal_data=False)
    errors = [problem for problem in reading.problems if not problem.is_warning]
    if errors:
        raise FaqError(errors)
    # With no errors, every part was built: anything left out would have been reported.
    assert reading.safeguarding is not None and reading.messages is not None
    return Corpus(
        entries=tuple(draft.entry for draft in reading.entries if draft.entry is not None),
        synonyms=tuple(draft.synonym for draft in reading.synonyms if draft.synonym is not None),
        safeguarding=reading.safeguarding,
        smalltalk=tuple(draft.rule for draft in reading.smalltalk if draft.rule is not None),
        messages=reading.messages,
        elsewhere=tuple(topic for topic in reading.elsewhere_topics if topic is not None),
        warnings=tuple(problem for problem in reading.problems if problem.is_warning),
        version=reading.version,
    ).with_asked(_asked_by_id(reading))


def _asked_by_id(reading: _Reading) -> dict[str, list[str]]:
    """The questions of every "asked:" group, by the id they are filed under."""
    asked: dict[str, list[str]] = {}
    for draft in reading.asked:
        assert draft.id is not None  # else the group had an error
        asked.setdefault(draft.id.value, []).extend(placed.value for placed in draft.phrasings)
    return asked


def read_updates(path: Path, *, today: date | None = None) -> list[ProgressUpdate]:
    """The progress updates in `path` (faq/updates.yaml) in file order; [] when it is absent.

    The same checks as `faqbot check`; raises `FaqError` listing every error in the file.
    """
    if not path.exists():
        return []
    reading = _Reading()
    data = _read_bytes(path, reading)
    text = _decode(path, data, reading) if data is not None else None
    if text is not None:
        _FileReader(path, text, reading, today or date.today()).read_updates_file()
    _check_update_ids_unique(reading)
    errors = [problem for problem in reading.problems if not problem.is_warning]
    if errors:
        raise FaqError(sorted(errors, key=lambda problem: problem.location.line))
    return [draft.update for draft in reading.updates if draft.update is not None]


def check_directory(directory: Path, *, today: date | None = None) -> list[Problem]:
    """Every error and warning in `directory`, sorted by file then line."""
    return _read_folder(directory, today or date.today(), looks_for_personal_data=True).problems


T = TypeVar("T")
# The key node and the value node under each key of a mapping, by key.
_Fields = dict[str, tuple[Node, Node]]


@dataclass(frozen=True)
class _Placed(Generic[T]):
    """A value with where it was written, for messages that name two places."""

    value: T
    location: Location


@dataclass
class _EntryDraft:
    location: Location
    owner: str  # how messages name it: 'the entry "rating-2024"'
    entry: Entry | None = None  # None when it has errors
    id: _Placed[str] | None = None
    phrasings: list[_Placed[str]] = field(default_factory=list)
    topic: str | None = None
    as_of: _Placed[date] | None = None
    # What its wordings get, when that is one entry, elsewhere topic or the safeguarding reply:
    # the same for an entry and the asked questions filed under it (see _check_asked_targets).
    target: str | None = None


@dataclass
class _SynonymDraft:
    word: _Placed[str] | None
    variants: list[_Placed[str]]
    synonym: Synonym | None


@dataclass
class _SmalltalkDraft:
    patterns: list[_Placed[str]]
    rule: SmalltalkRule | None


@dataclass
class _UpdateDraft:
    id: _Placed[str] | None = None
    update: ProgressUpdate | None = None  # None when it has errors


@dataclass
class _Reading:
    """What the folder holds so far.

    A part with errors is still listed, so that it can be compared with the others, but is not
    built (its `entry`, `synonym` or `rule` stays None): with errors there is no Corpus anyway.
    """

    problems: list[Problem] = field(default_factory=list)
    entries: list[_EntryDraft] = field(default_factory=list)
    synonyms: list[_SynonymDraft] = field(default_factory=list)
    smalltalk: list[_SmalltalkDraft] = field(default_factory=list)
    updates: list[_UpdateDraft] = field(default_factory=list)
    # Elsewhere topics and the safeguarding examples, as drafts so that their questions are
    # compared with the entries'; `elsewhere_topics` holds the built topics (None with errors).
    other_phrasings: list[_EntryDraft] = field(default_factory=list)
    elsewhere_topics: list[ElsewhereTopic | None] = field(default_factory=list)
    # The "asked:" groups: residents' questions filed under what they should get. Their
    # `target` is set once every file is read, when the ids they name are all known.
    asked: list[_EntryDraft] = field(default_factory=list)
    # Whether asked questions are scanned for personal data: a warning for `faqbot check`.
    looks_for_personal_data: bool = False
    has_faqs_section: bool = False
    # Where each "safeguarding:" and "messages:" section is: the folder needs exactly one of each.
    safeguarding_sections: list[Location] = field(default_factory=list)
    messages_sections: list[Location] = field(default_factory=list)
    safeguarding: SafeguardingRules | None = None
    messages: Messages | None = None
    version: str = ""

    def error(self, location: Location, message: str) -> None:
        self.problems.append(Problem(location, message))

    def warning(self, location: Location, message: str) -> None:
        self.problems.append(Problem(location, message, is_warning=True))


def _read_folder(directory: Path, today: date, *, looks_for_personal_data: bool) -> _Reading:
    reading = _Reading(looks_for_personal_data=looks_for_personal_data)
    folder = Location(directory, 1)
    if not directory.is_dir():
        reading.error(
            folder,
            f"there is no folder {directory}: run the command from the folder that holds "
            "the FAQ files, or give the right path to the faq folder",
        )
        return reading
    for misnamed in _files(directory, "*.yml"):
        reading.warning(
            Location(misnamed, 1),
            f"files ending in .yml are ignored: rename {misnamed.name} to "
            f"{misnamed.stem}.yaml so the bot reads it",
        )
    paths = _files(directory, "*.yaml")
    if not paths:
        reading.error(
            folder,
            f"the folder {directory} has no .yaml files: add the FAQ files "
            "(such as ofsted.yaml, safeguarding.yaml and messages.yaml) to it",
        )
        return reading
    digest = hashlib.sha256()
    unread_files = 0
    for path in paths:
        data = _read_bytes(path, reading)
        if data is None:
            unread_files += 1
            continue
        digest.update(f"{path.name}\0{len(data)}\0".encode())
        digest.update(data)
        text = _decode(path, data, reading)
        if text is None or not _FileReader(path, text, reading, today).read():
            unread_files += 1
    reading.version = digest.hexdigest()[:12]
    if unread_files == 0:  # else a "missing" section may just be in a file that can't be read
        _check_sections_present(reading, folder)
    _check_across_files(reading)
    reading.problems.sort(
        key=lambda problem: (
            str(problem.location.file),
            problem.location.line,
            problem.location.column,
        )
    )
    return reading


def _files(directory: Path, pattern: str) -> list[Path]:
    """The files staff put there, sorted; hidden ones (editor lock files) are not theirs.

    Not is_file(): a broken link named like an FAQ file should be reported, not skipped.
    """
    return sorted(
        path
        for path in directory.glob(pattern)
        if not path.name.startswith(".") and not path.is_dir()
    )


def _read_bytes(path: Path, reading: _Reading) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        reading.error(
            Location(path, 1),
            f"the file cannot be opened ({reason.lower()}): check it exists and that you "
            "have permission to read it",
        )
        return None


def _decode(path: Path, data: bytes, reading: _Reading) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        start = error.start
        line = data.count(b"\n", 0, start) + 1
        column = start - (data.rfind(b"\n", 0, start) + 1) + 1
        reading.error(
            Location(path, line, column),
            f"the file is not saved as UTF-8 text: byte 0x{data[start]:02X} on this line cannot "
            "be read (often a curly quote or accent pasted from Word); save the file with "
            "UTF-8 encoding (in VS Code: click the encoding at the bottom right, "
            '"Save with Encoding", "UTF-8") and check that character',
        )
        return None


class _FileReader:
    """Builds values from the nodes of one YAML file, noting each problem at its line."""

    def __init__(self, path: Path, text: str, reading: _Reading, today: date):
        self.path = path
        self.text = text
        self.lines = text.splitlines()
        self.reading = reading
        self.today = today

    def read(self) -> bool:
        """Read the file's content into `reading`; False when it is not readable YAML at all."""
        try:
            root = _compose(self.text)
        except yaml.YAMLError as error:
            self.reading.error(*self._syntax_problem(error))
            return False
        if root is None:
            self.reading.warning(
                Location(self.path, 1),
                "the file is empty, so it is ignored: add content to it or delete it",
            )
            return True
        if not isinstance(root, MappingNode):
            self._error(
                root,
                f'the file must be made of sections such as "faqs:", but YAML read it as '
                f"{_kind(root)}: start the file with {FILE.example}",
            )
            return True
        if [key.value for key, _ in root.value] == [UPDATES_KEY]:
            self._read_updates(*root.value[0])
            return True
        sections = self._fields(root, FILE, owner="the file", extra_keys=(UPDATES_KEY,))
        if UPDATES_KEY in sections:
            key_node, _ = sections[UPDATES_KEY]
            self._error(
                key_node,
                f'"{UPDATES_KEY}" must be the only section in its file: move it to a file '
                "of its own, such as updates.yaml",
            )
        readers = {
            "faqs": self._read_entries,
            "synonyms": self._read_synonyms,
            "safeguarding": self._read_safeguarding,
            "smalltalk": self._read_smalltalk,
            "messages": self._read_messages,
            "elsewhere": self._read_elsewhere,
            "asked": self._read_asked,
        }
        for name, (key_node, value) in sections.items():
            if name in readers:
                readers[name](key_node, value)
        return True

    def read_updates_file(self) -> None:
        """Read updates.yaml on its own, for the bot and `faqbot publish`."""
        try:
            root = _compose(self.text)
        except yaml.YAMLError as error:
            self.reading.error(*self._syntax_problem(error))
            return
        if root is None:
            return  # an empty file: nothing published yet
        if isinstance(root, MappingNode) and [key.value for key, _ in root.value] == [UPDATES_KEY]:
            self._read_updates(*root.value[0])
            return
        self._error(
            root,
            f'the file must start with "{UPDATES_KEY}:" and a list of updates under it, and '
            f"hold nothing else, but YAML read {_kind(root)} here: start it with "
            f'"{UPDATES_KEY}:" and write each update below as {UPDATE.example}',
        )

    def _syntax_problem(self, error: yaml.YAMLError) -> tuple[Location, str]:
        if isinstance(error, yaml.MarkedYAMLError):
            mark, message = _explain_syntax_error(error, self.lines)
            return self._at(mark), message
        if isinstance(error, yaml.reader.ReaderError):
            line = self.text.count("\n", 0, error.position) + 1
            column = error.position - (self.text.rfind("\n", 0, error.position) + 1) + 1
            return Location(self.path, line, column), (
                f"this line holds an invisible control character (U+{error.character:04X}), "
                "often pasted in from Word or a PDF: delete it and retype that part of the line"
            )
        return Location(self.path, 1), (
            f"YAML could not read this file ({error}): check the file for stray characters"
        )

    # Sections

    def _read_updates(self, key_node: Node, value: Node) -> None:
        if self.path.name != UPDATES_FILE:
            self._error(
                key_node,
                f'the bot reads progress updates only from {UPDATES_FILE}: move this "updates:" '
                f"section to {UPDATES_FILE} in the same folder",
            )
            return
        if isinstance(value, ScalarNode) and value.tag == _NULL:
            return  # "updates:" with nothing under it yet
        for item in self._items(key_node, value, '"updates"', must_have_items=False):
            self._read_update(item)

    def _read_update(self, node: Node) -> None:
        owner = _update_owner(node)
        fields = self._fields(node, UPDATE, owner=owner)
        if not isinstance(node, MappingNode):
            return
        draft = _UpdateDraft()
        self.reading.updates.append(draft)
        update_id = self._text_of(fields, "id")
        if update_id is not None and not UPDATE_ID.fullmatch(update_id):
            self._error(fields["id"][1], _bad_update_id_message(update_id))
            update_id = None
        if update_id is not None:
            draft.id = _Placed(update_id, self._at(fields["id"][1].start_mark))
        published_on = self._date(fields["date"][1], '"date"') if "date" in fields else None
        title = self._text_of(fields, "title")
        if title is not None and len(title) > MAX_TITLE_LENGTH:
            self._error(
                fields["title"][1],
                f'"title" is {len(title)} characters long: a title is a headline of at most '
                f"{MAX_TITLE_LENGTH} characters, so shorten it and put the detail in "
                '"summary"',
            )
            title = None
        summary = self._text_of(fields, "summary", limit=MAX_SUMMARY_LENGTH)
        link = self._text_of(fields, "link")
        link_is_bad = "link" in fields and link is None
        if link is not None and not re.match(r"https?://\S+$", link, re.IGNORECASE):
            self._error(
                fields["link"][1],
                f'the link address "{link}" is not a web address: write it in full, '
                "starting with https:// (or http://), with no spaces",
            )
            link_is_bad = True
        published = self._flag(fields, "published")
        if link_is_bad or None in (update_id, published_on, title, summary, published):
            return
        assert update_id and published_on and title and summary and published is not None
        draft.update = ProgressUpdate(
            id=update_id,
            date=published_on,
            title=title,
            summary=summary,
            link=link,
            published=published,
        )

    def _flag(self, fields: _Fields, name: str) -> bool | None:
        """A yes/no key: False when absent, None (after noting why) when not true or false."""
        if name not in fields:
            return False
        node = fields[name][1]
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:bool":
            return node.value.lower() in ("true", "yes", "on")
        self._error(
            node,
            f'"{name}" must be true or false: write "{name}: true" when residents were already '
            "told about this update (it is then never sent as an alert), or delete the line",
        )
        return None

    def _read_entries(self, key_node: Node, value: Node) -> None:
        self.reading.has_faqs_section = True
        for item in self._items(key_node, value, '"faqs"', must_have_items=True):
            self._read_entry(item)

    def _read_entry(self, node: Node) -> None:
        draft = _EntryDraft(self._at(node.start_mark), _entry_owner(node))
        fields = self._fields(node, ENTRY, owner=draft.owner)
        if not isinstance(node, MappingNode):
            return
        self.reading.entries.append(draft)
        entry_id = self._slug_of(fields, "id")
        if entry_id is not None:
            draft.id = _Placed(entry_id, self._at(fields["id"][1].start_mark))
            draft.target = entry_id
        question = self._text_of(fields, "question")
        if question is not None:
            draft.phrasings.append(_Placed(question, self._at(fields["question"][1].start_mark)))
        alternatives = self._texts(fields.get("alternatives"), '"alternatives"', False)
        draft.phrasings.extend(alternatives)
        self._check_phrasings_differ(draft)
        answer = self._text_of(fields, "answer", limit=MAX_MESSAGE_LENGTH)
        tags = self._texts(fields.get("tags"), '"tags"', False)
        sources = self._texts(fields.get("sources"), '"sources"', False)
        links = self._links(fields.get("links"))
        reviewed = self._reviewed(fields, draft)
        self._read_topic(fields, draft)
        if entry_id is None or question is None or answer is None:
            return
        draft.entry = Entry(
            id=entry_id,
            question=question,
            answer=answer,
            alternatives=tuple(placed.value for placed in alternatives),
            alternative_locations=tuple(placed.location for placed in alternatives),
            tags=tuple(placed.value for placed in tags),
            links=links,
            reviewed=reviewed,
            sources=tuple(placed.value for placed in sources),
            topic=draft.topic,
            as_of=draft.as_of.value if draft.as_of is not None else None,
            location=draft.location,
        )

    def _links(self, field: tuple[Node, Node] | None) -> tuple[Link, ...]:
        if field is None:
            return ()
        links: list[Link] = []
        for item in self._items(*field, '"links"', must_have_items=False):
            fields = self._fields(item, LINK, owner="this link")
            title = self._text_of(fields, "title")
            url = self._text_of(fields, "url")
            if url is not None and not re.match(r"https?://\S+$", url, re.IGNORECASE):
                self._error(
                    fields["url"][1],
                    f'the link address "{url}" is not a web address: write it in full, '
                    "starting with https:// (or http://), with no spaces",
                )
            elif title is not None and url is not None:
                links.append(Link(title=title, url=url))
        return tuple(links)

    def _reviewed(self, fields: _Fields, draft: _EntryDraft) -> date | None:
        if "reviewed" not in fields:
            self.reading.warning(
                draft.location,
                f'{draft.owner} has no "reviewed" date: once you have checked the answer is '
                'right, add a line "reviewed: YYYY-MM-DD" with that day\'s date',
            )
            return None
        node = fields["reviewed"][1]
        reviewed = self._date(node, '"reviewed"')
        if reviewed is not None and reviewed < self.today - REVIEW_INTERVAL:
            self.reading.warning(
                self._at(node.start_mark),
                f"{draft.owner} was last reviewed on {reviewed.isoformat()}, over a year ago: "
                'check the answer is still right and update "reviewed"',
            )
        elif reviewed is not None and reviewed > self.today:
            self.reading.warning(
                self._at(node.start_mark),
                f'"reviewed" is {reviewed.isoformat()}, which is in the future: write the date '
                "the answer was last checked",
            )
        return reviewed

    def _read_topic(self, fields: _Fields, draft: _EntryDraft) -> None:
        draft.topic = self._slug_of(fields, "topic")
        if "as_of" in fields:
            as_of_node = fields["as_of"][1]
            as_of = self._date(as_of_node, '"as_of"')
            if as_of is not None:
                draft.as_of = _Placed(as_of, self._at(as_of_node.start_mark))
        if "topic" in fields and "as_of" not in fields:
            self._error(
                fields["topic"][0],
                f'{draft.owner} has a "topic" but no "as_of": add "as_of: YYYY-MM-DD", the date '
                "its facts speak of, so the bot can tell it from the topic's other entries",
            )
        if "as_of" in fields and "topic" not in fields:
            self._error(
                fields["as_of"][0],
                f'{draft.owner} has an "as_of" date but no "topic": add "topic: ..." naming the '
                "fact it gives at that date (shared with the fact's other dated entries), or "
                'delete "as_of"',
            )

    def _check_phrasings_differ(self, draft: _EntryDraft) -> None:
        seen: dict[str, _Placed[str]] = {}
        for phrasing in draft.phrasings:
            key = comparable(phrasing.value)
            if key in seen:
                self.reading.error(
                    phrasing.location,
                    f'"{phrasing.value}" is already asked at line {seen[key].location.line} of '
                    f"{draft.owner} (ignoring capitals and punctuation): delete one of the two",
                )
            else:
                seen[key] = phrasing

    def _read_synonyms(self, key_node: Node, value: Node) -> None:
        for item in self._items(key_node, value, '"synonyms"', must_have_items=True):
            fields = self._fields(item, SYNONYM, owner="this synonym")
            if not isinstance(item, MappingNode):
                continue
            word_text = self._text_of(fields, "word")
            word = _Placed(word_text, self._at(fields["word"][1].start_mark)) if word_text else None
            variants = self._texts(fields.get("variants"), '"variants"', True)
            for variant in variants:
                if word is not None and _word_key(variant.value) == _word_key(word.value):
                    self.reading.error(
                        variant.location,
                        f'the variant "{variant.value}" is the word "{word.value}" itself: '
                        "delete it from the variants",
                    )
            synonym = None
            if word is not None and variants:
                synonym = Synonym(
                    canonical=word.value,
                    variants=tuple(variant.value for variant in variants),
                    location=self._at(item.start_mark),
                )
            self.reading.synonyms.append(_SynonymDraft(word, variants, synonym))

    def _read_safeguarding(self, key_node: Node, value: Node) -> None:
        self.reading.safeguarding_sections.append(self._at(key_node.start_mark))
        fields = self._fields(value, SAFEGUARDING, owner="the safeguarding section")
        reply = self._text_of(fields, "reply", limit=MAX_MESSAGE_LENGTH)
        lists = {
            name: self._texts(fields.get(name), f'"{name}"', True)
            for name in ("phrases", "child_words", "harm_words")
        }
        examples = self._texts(fields.get("examples"), '"examples"', False)
        reassurances: list[_Placed[str]] = []
        for reassurance in self._texts(fields.get("reassurances"), '"reassurances"', False):
            problem = _reassurance_problem(reassurance.value)
            if problem:
                self.reading.error(reassurance.location, problem)
            else:
                reassurances.append(reassurance)
        if examples:
            draft = _EntryDraft(self._at(value.start_mark), "the safeguarding examples")
            draft.target = ASKED_SAFEGUARDING
            draft.phrasings = examples
            self._check_phrasings_differ(draft)
            self.reading.other_phrasings.append(draft)
        if reply is None or not all(lists.values()) or self.reading.safeguarding is not None:
            return
        self.reading.safeguarding = SafeguardingRules(
            reply=reply,
            phrases=tuple(placed.value for placed in lists["phrases"]),
            child_words=tuple(placed.value for placed in lists["child_words"]),
            harm_words=tuple(placed.value for placed in lists["harm_words"]),
            examples=tuple(placed.value for placed in examples),
            reassurances=tuple(placed.value for placed in reassurances),
        )

    def _read_elsewhere(self, key_node: Node, value: Node) -> None:
        groups = self._question_groups(
            key_node, value, "elsewhere", ELSEWHERE_TOPIC, "examples", "elsewhere topic"
        )
        for draft in groups:
            draft.target = draft.id.value if draft.id is not None else None
            self.reading.other_phrasings.append(draft)
            built = None
            if draft.id is not None and draft.phrasings:
                built = ElsewhereTopic(
                    draft.id.value,
                    tuple(placed.value for placed in draft.phrasings),
                    location=draft.location,
                )
            self.reading.elsewhere_topics.append(built)

    def _read_asked(self, key_node: Node, value: Node) -> None:
        groups = self._question_groups(
            key_node, value, "asked", ASKED_GROUP, "questions", "group of asked questions"
        )
        for draft in groups:
            if self.reading.looks_for_personal_data:
                self._warn_of_personal_data(draft.phrasings)
            self.reading.asked.append(draft)

    def _question_groups(
        self, key_node: Node, value: Node, section: str, shape: Shape, listed: str, noun: str
    ) -> Iterator[_EntryDraft]:
        """Each "- id: ..." group of a section with its list of questions under `listed`."""
        for item in self._items(key_node, value, f'"{section}"', must_have_items=True):
            fields = self._fields(item, shape, owner=f"this {noun}")
            if not isinstance(item, MappingNode):
                continue
            group_id = self._slug_of(fields, "id")
            owner = f'the {noun} "{group_id}"' if group_id else f"this {noun}"
            draft = _EntryDraft(self._at(item.start_mark), owner)
            if group_id is not None:
                draft.id = _Placed(group_id, self._at(fields["id"][1].start_mark))
            draft.phrasings = self._texts(fields.get(listed), f'"{listed}"', True)
            self._check_phrasings_differ(draft)
            yield draft

    def _warn_of_personal_data(self, questions: list[_Placed[str]]) -> None:
        for question in questions:
            redacted = redact(question.value)
            if redacted != question.value:
                self.reading.warning(
                    question.location,
                    f'"{question.value}" may hold personal data (the question log would keep '
                    f'it as "{redacted}"). The faq folder is not private: write the question '
                    "as `faqbot unanswered` shows it, with personal details left out",
                )

    def _read_smalltalk(self, key_node: Node, value: Node) -> None:
        for item in self._items(key_node, value, '"smalltalk"', must_have_items=True):
            fields = self._fields(item, SMALLTALK_RULE, owner="this smalltalk rule")
            if not isinstance(item, MappingNode):
                continue
            patterns = self._texts(fields.get("patterns"), '"patterns"', True)
            reply = self._text_of(fields, "reply", limit=MAX_MESSAGE_LENGTH)
            rule = None
            if reply is not None and patterns:
                rule = SmalltalkRule(tuple(placed.value for placed in patterns), reply)
            self.reading.smalltalk.append(_SmalltalkDraft(patterns, rule))

    def _read_messages(self, key_node: Node, value: Node) -> None:
        self.reading.messages_sections.append(self._at(key_node.start_mark))
        fields = self._fields(value, MESSAGES, owner="the messages section")
        fallback, suggest_intro, empty, too_long = (
            self._text_of(fields, name, limit=MAX_MESSAGE_LENGTH) for name in MESSAGES.keys
        )
        if fallback and suggest_intro and empty and too_long and self.reading.messages is None:
            self.reading.messages = Messages(fallback, suggest_intro, empty, too_long)

    # Values

    def _fields(
        self, node: Node, shape: Shape, *, owner: str, extra_keys: tuple[str, ...] = ()
    ) -> _Fields:
        """The key and value node of each known key; notes unknown, doubled and missing keys."""
        if not isinstance(node, MappingNode):
            self._error(
                node,
                f'{shape.noun} must be a group of "key: value" lines, but YAML read '
                f"{_kind(node)} here: write it as {shape.example}",
            )
            return {}
        fields: _Fields = {}
        for key_node, value in node.value:
            if not isinstance(key_node, ScalarNode) or not key_node.value:
                self._error(
                    key_node,
                    "this is not a key YAML can read: write a key as a plain word followed by "
                    'a colon and a space, such as "answer: ..."',
                )
                continue
            name = key_node.value
            if name in fields:
                first = fields[name][0].start_mark.line + 1
                self._error(
                    key_node,
                    f'"{name}" is given twice in {owner} (also at line {first}): keep one and '
                    "delete the other",
                )
            elif name in shape.keys or name in extra_keys:
                fields[name] = (key_node, value)
            else:
                self._error(key_node, _unknown_key_message(name, shape))
        for name in shape.required:
            if name not in fields:
                self._error(
                    node,
                    f'{owner} has no "{name}": add a "{name}:" line to it, lined up with '
                    "its other keys",
                )
        return fields

    def _items(
        self, key_node: Node, node: Node, label: str, *, must_have_items: bool
    ) -> list[Node]:
        if isinstance(node, SequenceNode):
            if not node.value and must_have_items:
                self._error(
                    node,
                    f"{label} has no items: add at least one, each on its own line starting "
                    'with "- "',
                )
            return list(node.value)
        if isinstance(node, ScalarNode) and node.tag == _NULL:
            self._error(
                key_node,
                f"{label} has nothing after it: add its items on the lines below, each starting "
                'with "- " and indented under it'
                + ("" if must_have_items else ", or delete the line"),
            )
            return []
        self._error(
            node,
            f"{label} must be a list, but YAML read {_kind(node)} here: put each item on its "
            'own line starting with "- ", or write them as [first, second]',
        )
        return []

    def _texts(
        self, field: tuple[Node, Node] | None, label: str, must_have_items: bool
    ) -> list[_Placed[str]]:
        """The texts of a list, each with its line; items with errors are left out."""
        if field is None:
            return []
        texts = []
        for item in self._items(*field, label, must_have_items=must_have_items):
            text = self._text(item, f"an item of {label}", is_item=True)
            if text is not None:
                texts.append(_Placed(text, self._at(item.start_mark)))
        return texts

    def _text_of(self, fields: _Fields, name: str, *, limit: int | None = None) -> str | None:
        """The text under key `name`, or None when it is absent or not usable text."""
        if name not in fields:
            return None
        return self._text(fields[name][1], f'"{name}"', limit=limit)

    def _slug_of(self, fields: _Fields, name: str) -> str | None:
        """The id-like text under key `name` (an id or a topic), or None."""
        text = self._text_of(fields, name)
        if text is None or SLUG.fullmatch(text):
            return text
        self._error(fields[name][1], _bad_slug_message(name, text))
        return None

    def _text(
        self, node: Node, label: str, *, limit: int | None = None, is_item: bool = False
    ) -> str | None:
        """The text of a scalar, tidied, or None after noting why it is not usable text."""
        if isinstance(node, MappingNode):
            self._error(
                node,
                f'{label} must be text, but YAML read it as "key: value" pairs, because the '
                "text holds a colon followed by a space or starts with {: put the whole text "
                'in double quotes ("...")',
            )
            return None
        if isinstance(node, SequenceNode):
            self._error(
                node,
                f"{label} must be a single text, not a list: write the text after the colon "
                'without "- " or [ ], or put it in quotes if it starts with [',
            )
            return None
        assert isinstance(node, ScalarNode)
        if node.tag == _STR:
            text = _tidy(node.value)
            if not text:
                self._error(node, _empty_text_message(label, is_item))
                return None
            if limit is not None and len(text) > limit:
                self._error(
                    node,
                    f"{label} is {len(text):,} characters long, {len(text) - limit:,} more than "
                    f"Telegram allows in one message ({limit:,}): shorten it, or move the detail "
                    'to a web page and add it under "links"',
                )
                return None
            return text
        if node.tag == _NULL:
            line = node.start_mark.line
            if line < len(self.lines) and "#" in self.lines[line]:
                self._error(
                    node,
                    f"{label} is empty, because YAML reads everything after a # as a comment: "
                    "put the whole text in double quotes",
                )
            else:
                self._error(node, _empty_text_message(label, is_item))
            return None
        read_as = _WHAT_YAML_READ.get(node.tag, "a special YAML value")
        self._error(
            node,
            f"{label}: YAML reads {node.value} as {read_as}, not text: put it in quotes, "
            f'like "{node.value}"',
        )
        return None

    def _date(self, node: Node, label: str) -> date | None:
        example = "for example 2024-12-03"
        if not isinstance(node, ScalarNode) or node.tag not in (_STR, _TIMESTAMP):
            shown = f" {node.value}" if isinstance(node, ScalarNode) and node.value else ""
            self._error(
                node,
                f"{label}{shown} is not a date: write the date as YYYY-MM-DD "
                f"(year-month-day), {example}",
            )
            return None
        written = node.value.strip()
        if not ISO_DATE.fullmatch(written):
            self._error(
                node,
                f'{label} "{written}" is not a date written as YYYY-MM-DD (year-month-day): '
                f"write it like that, with no time, {example}",
            )
            return None
        try:
            return date.fromisoformat(written)
        except ValueError:
            self._error(
                node,
                f"{label} {written} is not a real date (the month must be 01 to 12 and the day "
                f"must exist in that month): write it as YYYY-MM-DD, {example}",
            )
            return None

    # Places

    def _at(self, mark: yaml.Mark) -> Location:
        return Location(self.path, mark.line + 1, mark.column + 1)

    def _error(self, node: Node, message: str) -> None:
        self.reading.error(self._at(node.start_mark), message)


def _compose(text: str) -> Node | None:
    """The YAML node tree, by libyaml when PyYAML has it (15 times quicker on big files).

    A file with a syntax error is read again by the pure-Python parser, whose error says more
    and is the one `_explain_syntax_error` knows.
    """
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.compose(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _check_sections_present(reading: _Reading, folder: Location) -> None:
    if not reading.has_faqs_section:
        reading.error(
            folder,
            'no file has any FAQ entries: add a "faqs:" section with at least one entry '
            "to a file in this folder",
        )
    for name, sections, keys in (
        ("safeguarding", reading.safeguarding_sections, SAFEGUARDING.keys),
        ("messages", reading.messages_sections, MESSAGES.keys),
    ):
        if not sections:
            reading.error(
                folder,
                f'no file has a "{name}:" section: add {name}.yaml with the section and its '
                f"{', '.join(keys)}",
            )


def _check_across_files(reading: _Reading) -> None:
    """The rules that compare entries, synonyms and sections with each other, in any file."""
    _check_sections_given_once(reading)
    _check_ids_unique(reading)
    _check_asked_targets(reading)
    _check_phrasings_unique(reading)
    _check_topic_dates_differ(reading)
    _check_synonyms(reading)
    _check_smalltalk_patterns_unique(reading)
    _check_update_ids_unique(reading)


def _check_update_ids_unique(reading: _Reading) -> None:
    _report_repeated_ids(
        reading,
        (draft.id for draft in reading.updates),
        'the update id "{id}" is also used at {first}: each update needs its own id, so change '
        "this one",
    )


def _check_sections_given_once(reading: _Reading) -> None:
    for name, sections in (
        ("safeguarding", reading.safeguarding_sections),
        ("messages", reading.messages_sections),
    ):
        for section in sections[1:]:
            reading.error(
                section,
                f'"{name}:" is given again here, and also at {sections[0]}: the folder must have '
                f'exactly one "{name}:" section, so merge them and delete this one',
            )


def _check_ids_unique(reading: _Reading) -> None:
    _report_repeated_ids(
        reading,
        (draft.id for draft in [*reading.entries, *reading.other_phrasings]),
        'the id "{id}" is also used at {first}: ids must be unique, so change one of them',
    )


def _report_repeated_ids(
    reading: _Reading, ids: Iterable[_Placed[str] | None], message: str
) -> None:
    """An error at every id given before; `message` names it as {id} and the first as {first}."""
    first_of: dict[str, Location] = {}
    for placed in ids:
        if placed is None:
            continue
        if placed.value in first_of:
            reading.error(
                placed.location, message.format(id=placed.value, first=first_of[placed.value])
            )
        else:
            first_of[placed.value] = placed.location


def _check_asked_targets(reading: _Reading) -> None:
    """Each "asked:" group names an entry, a topic, an elsewhere topic or "safeguarding".

    A topic's name files its questions under the newest version: "what's the rating now"
    then follows the topic when staff add the next inspection's version.
    """
    entries = {draft.id.value: draft for draft in reading.entries if draft.id is not None}
    topics = {draft.topic for draft in reading.entries if draft.topic is not None}
    elsewhere = {draft.id.value for draft in reading.other_phrasings if draft.id is not None}
    known = sorted({*entries, *topics, *elsewhere, ASKED_SAFEGUARDING})
    for draft in reading.asked:
        if draft.id is None:
            continue
        name = draft.id.value
        if name in entries:
            draft.target, draft.topic = name, entries[name].topic
        elif name in topics:
            draft.topic = name
        elif name in elsewhere or name == ASKED_SAFEGUARDING:
            draft.target = name
        else:
            reading.error(draft.id.location, _unknown_asked_id_message(name, known))


def _unknown_asked_id_message(name: str, known: list[str]) -> str:
    nearest = process.extractOne(
        name, known, scorer=fuzz.ratio, processor=utils.default_process, score_cutoff=70
    )
    hint = f'did you mean "{nearest[0]}"? ' if nearest is not None else ""
    return (
        f'no entry, topic or elsewhere topic has the id "{name}": {hint}Write the id of the '
        'entry that answers these questions, its topic, an elsewhere topic, or "safeguarding"'
    )


def _check_phrasings_unique(reading: _Reading) -> None:
    """A question written under two entries leaves the bot unable to choose between them.

    Entries of one topic may share phrasings: the question's year (or "now") picks among them.
    """
    first_of: dict[str, tuple[_Placed[str], _EntryDraft]] = {}
    for draft in [*reading.entries, *reading.other_phrasings, *reading.asked]:
        own: set[str] = set()
        for phrasing in draft.phrasings:
            key = comparable(phrasing.value)
            if key in own:
                continue  # reported within the entry
            own.add(key)
            if key not in first_of:
                first_of[key] = (phrasing, draft)
                continue
            first, other = first_of[key]
            if draft.topic is not None and draft.topic == other.topic:
                continue
            if draft.target is not None and draft.target == other.target:
                reading.error(
                    phrasing.location,
                    f'"{phrasing.value}" is already asked at {first.location} ({other.owner}), '
                    "ignoring capitals and punctuation: it gets the same reply there, so "
                    "delete it here",
                )
                continue
            reading.error(
                phrasing.location,
                f'"{phrasing.value}" is also asked at {first.location} ({other.owner}), '
                "ignoring capitals and punctuation: the bot could not tell which answer to give, "
                "so delete or reword one of them",
            )


def _check_topic_dates_differ(reading: _Reading) -> None:
    first_of: dict[tuple[str, date], _Placed[date]] = {}
    for draft in reading.entries:
        if draft.topic is None or draft.as_of is None:
            continue
        key = (draft.topic, draft.as_of.value)
        if key in first_of:
            reading.error(
                draft.as_of.location,
                f'the topic "{draft.topic}" already has an entry with as_of '
                f"{draft.as_of.value.isoformat()} at {first_of[key].location}: entries of one "
                'topic must have different "as_of" dates, so correct one of them',
            )
        else:
            first_of[key] = draft.as_of


def _check_synonyms(reading: _Reading) -> None:
    words: dict[str, _Placed[str]] = {}
    for draft in reading.synonyms:
        if draft.word is None:
            continue
        key = _word_key(draft.word.value)
        if key in words:
            reading.error(
                draft.word.location,
                f'the word "{draft.word.value}" already has synonyms at {words[key].location}: '
                "merge the two variant lists into one and delete this one",
            )
        else:
            words[key] = draft.word
    variants: dict[str, tuple[_Placed[str], str]] = {}
    for draft in reading.synonyms:
        if draft.word is None:
            continue
        word = draft.word.value
        for variant in draft.variants:
            key = _word_key(variant.value)
            if key in words and key != _word_key(word):
                reading.error(
                    variant.location,
                    f'"{variant.value}" is a variant of "{word}" and also a word with variants '
                    f"of its own at {words[key].location}, but the bot does not follow such "
                    f'chains: add those variants to "{word}" directly, and delete '
                    f'"{variant.value}" from one of the two places',
                )
            if key not in variants:
                variants[key] = (variant, word)
                continue
            first, first_word = variants[key]
            if first_word == word:
                message = (
                    f'the variant "{variant.value}" is listed twice for "{word}" (also at '
                    f"{first.location}): delete one of them"
                )
            else:
                message = (
                    f'the variant "{variant.value}" is given for both "{first_word}" (at '
                    f'{first.location}) and "{word}": a word residents use can stand for only '
                    "one word of the FAQ, so delete it from one of them"
                )
            reading.error(variant.location, message)


def _check_smalltalk_patterns_unique(reading: _Reading) -> None:
    first_of: dict[str, _Placed[str]] = {}
    for draft in reading.smalltalk:
        for pattern in draft.patterns:
            key = comparable(pattern.value)
            if key in first_of:
                reading.error(
                    pattern.location,
                    f'the smalltalk pattern "{pattern.value}" is also at '
                    f"{first_of[key].location}: delete one of them",
                )
            else:
                first_of[key] = pattern


def _explain_syntax_error(error: yaml.MarkedYAMLError, lines: list[str]) -> tuple[yaml.Mark, str]:
    """Where PyYAML stopped and what that usually means, in words for someone new to YAML."""
    problem = error.problem or ""
    context = error.context or ""
    mark = error.problem_mark or error.context_mark
    assert mark is not None  # PyYAML marks every error it raises while reading
    line = lines[mark.line] if mark.line < len(lines) else ""
    if "'\\t'" in problem or "tab character" in problem:
        return mark, (
            "this line is indented with a tab, and YAML only allows spaces: replace the tab "
            'with spaces (VS Code: "Convert Indentation to Spaces")'
        )
    if "mapping values are not allowed" in problem:
        if ": " in line[: mark.column]:
            return mark, (
                "this text holds a colon followed by a space, which YAML reads as the start of a "
                'new "key: value": put the whole text in double quotes, like '
                'question: "Note: ..."'
            )
        return mark, (
            "this line is indented further than the line above it, so YAML cannot tell where it "
            "belongs: line it up exactly under the other keys of the same entry"
        )
    if "while scanning a quoted scalar" in context and error.context_mark is not None:
        return error.context_mark, (
            "the quote that opens here is never closed: add the matching closing quote at "
            "the end of the text"
        )
    if "expected <block end>, but found '<scalar>'" in problem:
        before = line[: mark.column].rstrip()
        if before.endswith("'"):
            return mark, (
                "the text in single quotes ends early because it holds an apostrophe: write the "
                "apostrophe twice ('What''s ...') or put the text in double quotes instead"
            )
        if before.endswith('"'):
            return mark, (
                "the text goes on after its closing quote: put the whole text in quotes, and "
                'write a double quote inside it as \\" (or use single quotes around it)'
            )
        if before.endswith("]") or before.endswith("}"):
            return mark, (
                "text that starts with [ or { is read as a list: put the whole text in quotes"
            )
    if "expected <block end>" in problem:
        return mark, (
            "this line does not line up with the lines above it: the keys of one entry must "
            'start in exactly the same column, and each new entry starts with "- " lined up '
            "with the other entries; check the spaces at the start of this line"
        )
    if "could not find expected ':'" in problem and error.context_mark is not None:
        return error.context_mark, (
            'this line is not a "key: value" line: add the missing colon after the key, or, if '
            'it continues the text above, start that text with "|" and indent this line '
            "further than the key"
        )
    if "expected a single document" in context:
        return mark, (
            'a line "---" here starts a second document, and each file holds one: delete the '
            '"---" line'
        )
    if "that cannot start any token" in problem:
        character = problem.split("'")[1] if "'" in problem else "this character"
        return mark, (
            f"YAML text cannot start with {character}: put the whole text in double quotes"
        )
    if "alias" in context or "anchor" in context or "alias" in problem:
        return mark, (
            "text that starts with * or & has a special meaning in YAML: put the whole text in "
            "double quotes"
        )
    if "flow sequence" in context or "flow mapping" in context:
        opened = error.context_mark or mark
        return opened, (
            "the list in brackets that opens here is not closed properly, or an item in it "
            "holds a colon, bracket or comma: close it with ] on the same line, or put that "
            "item in quotes"
        )
    if "block scalar" in context:
        return mark, (
            'nothing may follow "|" or ">" on the same line: start the text on the next line, '
            "indented further than the key"
        )
    return mark, (
        f"YAML cannot read this line ({context + ': ' if context else ''}{problem}): check this "
        "line and the one above, and put text holding special characters (: # [ ] { } & * ! | "
        "> ' \" % @ `) in double quotes"
    )


def _unknown_key_message(name: str, shape: Shape) -> str:
    nearest = process.extractOne(
        name, shape.keys, scorer=fuzz.ratio, processor=utils.default_process, score_cutoff=60
    )
    if nearest is not None:
        return (
            f'"{name}" is not a key {shape.noun} can have - did you mean "{nearest[0]}"? '
            "Correct the spelling"
        )
    return (
        f'"{name}" is not a key {shape.noun} can have (it can have: {", ".join(shape.keys)}): '
        "rename or delete it, and check its indentation"
    )


# A reassurance blanks its words wherever they appear, so it must say that nobody is at risk:
# "danger" alone, or "a child in danger", would silence real concerns.
_NEGATIONS = frozenset("no nobody nobodys noone none not never isnt arent wasnt nothing".split())
_REASSURANCE_MIN_WORDS = 3


def _reassurance_problem(text: str) -> str | None:
    """Why a reassurance could hide a real concern, in words staff can act on; None if not."""
    words = normalise(text).split()
    if len(words) < _REASSURANCE_MIN_WORDS or _NEGATIONS.isdisjoint(words):
        return (
            f'the reassurance "{text}" must say plainly that nobody is at risk, in at least '
            f'{_REASSURANCE_MIN_WORDS} words with "no", "nobody", "no one" or "not" '
            '(for example "nobody is in danger"): its words are ignored wherever they appear, '
            "so anything else could stop a real concern getting the emergency reply"
        )
    return None


def _bad_slug_message(key: str, value: str) -> str:
    suggestion = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:64]
    return (
        f'the {key} "{value}" must be 2 to 64 lowercase letters, digits and hyphens, starting '
        f"and ending with a letter or digit: change it"
        + (f', for example to "{suggestion}"' if SLUG.fullmatch(suggestion) else "")
    )


def _bad_update_id_message(value: str) -> str:
    suggestion = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:64]
    return (
        f'the update id "{value}" must be 1 to 64 lowercase letters, digits and hyphens, '
        "starting and ending with a letter or digit: change it"
        + (f', for example to "{suggestion}"' if UPDATE_ID.fullmatch(suggestion) else "")
    )


def _update_owner(node: Node) -> str:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if key.value == "id" and isinstance(value, ScalarNode) and value.value.strip():
                return f'the update "{value.value.strip()}"'
    return "this update"


def _empty_text_message(label: str, is_item: bool) -> str:
    if is_item:
        return f'{label} is empty: write the text after the "- ", or delete the line'
    return f"{label} is empty: write the text after the colon"


def _entry_owner(node: Node) -> str:
    """How messages name an entry: by its id, else its question, else its position."""
    if isinstance(node, MappingNode):
        written = {
            key.value: value.value.strip()
            for key, value in node.value
            if isinstance(key, ScalarNode) and isinstance(value, ScalarNode)
        }
        for name in ("id", "question"):
            if written.get(name):
                return f'the entry "{written[name]}"'
    return "this entry"


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return '"key: value" lines'
    if isinstance(node, SequenceNode):
        return 'a list ("- ..." lines)'
    if node.tag == _NULL:
        return "nothing"
    return f'the text "{node.value}"'


def _tidy(text: str) -> str:
    """Strip the text and the spaces ending its lines; blank lines between paragraphs stay."""
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def comparable(text: str) -> str:
    """Two phrasings a resident could not tell apart compare equal."""
    text = re.sub(r"['\u2018\u2019`]", "", text.casefold())
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def _word_key(text: str) -> str:
    return " ".join(text.casefold().split())
