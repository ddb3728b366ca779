"""The shipped trigger lists in faq/safeguarding.yaml, read through the real responder.

Residents describe harm in everyday, indirect and misspelt words; these are such messages, a few
for each kind of harm in "Working Together to Safeguard Children" and the NSPCC's signs of abuse.
A trigger edit that stops one of them reaching the emergency contacts fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering import Responder
from bot.index_cache import IndexCache
from bot.reply import Outcome

SHIPPED_FAQ = Path(__file__).resolve().parent.parent / "faq"

CHILDREN_AT_RISK = {
    "physical abuse": [
        "mums boyfriend hurts him",
        "the boy next door always has bruises on his arms",
        "i think the baby upstairs is being shaken",
        "my granddaughter came back from her dads with a split lip",
    ],
    "emotional abuse": [
        "my neighbour is constantly screaming at her children",
        "my niece is terrified of her father",
        "the dad next door swears at his kids all day calling them stupid and useless",
    ],
    "sexual abuse and grooming": [
        "my uncle touches me and i dont like it",
        "an older man keeps buying my daughter presents and she has a secret phone",
        "my girl is 14 and her boyfriend is 22",
    ],
    "harm told after a reassurance that nobody is at risk": [
        "nobody is in danger as such but the kid next door has bruises again",
    ],
    "neglect": [
        "the kid next door looks starved",
        "the children next door are always hungry and dirty",
        "there is no heating in the flat and the baby is freezing",
        "my friend never takes her son to the doctor even though hes really ill",
        "nobody feeds us",
    ],
    "left unattended": [
        "theres a baby left alone in a car outside the shop",
        "a toddler is wandering the street on his own",
        "the mum next door goes out at night and leaves the baby on its own",
    ],
    "domestic abuse": [
        "my dad hits my mum and my little brother sees it",
        "there is fighting every night next door and the kids are there",
    ],
    "exploitation": [
        "my son is being made to carry drugs for a gang",
        "i think my nephew is involved in county lines",
        "a man at the school gates keeps talking to the year 6 girls",
        "they are using young lads to run stuff for them on our estate",
        "my 15 year old comes home with expensive trainers and money and wont say where from",
    ],
    "online abuse": [
        "someone online is asking my daughter for nude pictures",
        "a man in a game chat told my 11 year old to send a photo of herself",
    ],
    "FGM, forced marriage and radicalisation": [
        "i am worried my niece will have fgm done on holiday",
        "my cousin is 15 and her parents are making her marry a man back home",
        "my son is watching extremist videos and talking about attacks",
    ],
    "missing": [
        "my 14 year old son has not come home for 2 days",
        "the girl from next door has gone missing",
    ],
    "an injury explained away": [
        "she comes to school with marks on her arms",
        "my pupil said she fell down the stairs again, third time this month",
    ],
    "homeless": [
        "theres a young lad sleeping rough by the bus garage",
        "a lad of about 13 sleeps rough in the park",
        "a young girl is living on the streets near west croydon",
        "my mates mum kicked her out and shes 15 with nowhere to stay",
    ],
    "self-harm and suicide": [
        "my daughter is cutting herself",
        "my son says he wants to end his life",
        "i keep thinking about ending it and im only 14",
    ],
    "drugs and alcohol at home": [
        "the parents next door are smoking crack with the kids in the house",
        "my sister is an alcoholic and passes out when her kids are home",
    ],
    "said indirectly": [
        "i think something bad is happening to my niece",
        "my neighbour's kids are always crying and screaming",
        "i have a bad feeling about the family at number 12",
        "hi i wanted to ask about the ofsted thing but also the lady next door keeps locking her"
        " son on the balcony",
    ],
    "misspelt": [
        "my nieghbour hits his kids",
        "teh boy next door has bruses",
        "my sun is self harming",
        # Two letters swapped, in words too short for the closeness rule to forgive.
        "theres a chlid at risk on my estate",
        "who do i tell about a chlid at risk",
    ],
    "asking how to report": [
        "who do i call about a kid",
        "how to tell social services about a family",
        "how do i report a family to social services",
        "can i report a child anonymously",
        "whats the emergency duty team number",
        "i need to ring the edt tonight",
        # Asking whether anyone reads the chat, often before telling it something.
        "is anyone reading this chat",
        "will a real person read my messages",
        # Within one sentence, however the message goes on.
        "The ofsted report was good. But how do I report someone who hurts their kid?",
    ],
}

# Ordinary questions about the inspections, several in words close to the triggers.
NOT_EMERGENCIES = [
    "are children in croydon safe",
    "how many children are in care",
    "child protection rating",
    "were children being protected well enough in 2017",
    "what was the rating for children in care",
    "how many children does croydon look after",
    "what did ofsted say about care leavers",
    "do care leavers get help living on their own",
    "can croydon improve on its own",
    "is the council worried about a bad rating",
    "what marks did ofsted give croydon",
    "is there a new phone number for the spoc",
    "what support package is there for care leavers",
    "did the council cut the budget for childrens services",
    "my son wants to know what ilacs means",
    "my daughter is doing a school project on croydon ofsted",
    # A longer word is not a slip of the finger for a short trigger: "manchester", "machete".
    "we are moving from manchester with the kids, what is croydon rated",
    # Nor is a word more than two letters longer than any written form of the trigger it stems
    # near: "decades" and "dreadful" near "dead", "additionally" near "addict".
    "my kids are grown up now but we have lived here for decades, how is croydon rated",
    "the ofsted verdict on croydon childrens services was dreadful, is it any better now",
    "has the council spent additionally on children since 2017",
    # A resident who says plainly that nobody is at risk wants an answer, not the emergency reply.
    "whats the non emergency number for childrens social care? no one is in any danger",
    # A changed letter in a short word makes another word: "rated" is not "raped".
    "what were croydons childrens services rated in 2018",
    # Nor is a place name whose first letter differs from a trigger's: "leeds", "bleed".
    "moving down from leeds with my 2 kids, is croydon social care any good",
    # Asking what a contact route is, not for its number: its FAQ entry has the numbers.
    "my letter from the council mentions the emergency duty team, who are they",
    # "Dealing" is a concern only with children doing it.
    "how is the council dealing with the problems in childrens services",
    # Where parents meet, not a stranger waiting there.
    "the mums at the school gates say croydon childrens services are a disaster, still true?",
    # Reading the reports is not asking whether anyone reads the chat.
    "does anyone read the ofsted reports",
    "where can i read what ofsted wrote about croydon",
    # A trigger phrase ("report someone") across two sentences is two sentences.
    "what did inspectors write in the 2020 report? someone said they used the word transformed",
]

# Entries about reporting a concern: the emergency reply gives the same routes, so a question
# worded like one of theirs may get it.
REPORTING_TAG = "safeguarding"


@pytest.fixture(scope="module")
def responder(index_cache: IndexCache) -> Responder:
    return Responder.from_directory(SHIPPED_FAQ, index_cache)


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(message, id=f"{kind}: {message}")
        for kind, messages in CHILDREN_AT_RISK.items()
        for message in messages
    ],
)
def test_a_child_at_risk_described_in_everyday_words_gets_the_emergency_reply(
    responder: Responder, message: str
) -> None:
    reply = responder.respond("resident", message)
    assert reply.outcome is Outcome.SAFEGUARDING
    assert reply.text == responder.corpus.safeguarding.reply
    assert "999" in reply.text


@pytest.mark.parametrize("message", NOT_EMERGENCIES)
def test_an_ordinary_question_about_the_inspections_is_not_an_emergency(
    responder: Responder, message: str
) -> None:
    assert responder.respond("resident", message).outcome is not Outcome.SAFEGUARDING


def test_no_faq_wording_gets_the_emergency_reply_unless_its_entry_is_about_reporting(
    responder: Responder,
) -> None:
    escalated = [
        f"{entry.id}: {wording}"
        for entry in responder.corpus.entries
        if REPORTING_TAG not in entry.tags
        # Staff's own wordings. Residents' questions filed in faq/asked.yaml are their messages
        # as sent; the evaluation sets count any false alarm among them.
        for wording in entry.staff_wordings
        if responder.respond("resident", wording).outcome is Outcome.SAFEGUARDING
    ]
    assert escalated == []
