"""Wording residents see on Telegram, apart from FAQ answers and the core's messages.

Plain text: it is HTML-escaped when sent. Grouped here so it can move into faq/messages.yaml,
where staff can edit it.
"""

WELCOME = (
    "Hello! I answer questions about Croydon Council's children's services and their Ofsted "
    "inspections: the ratings, what inspectors found, what the council is doing to improve, "
    "and where to read the reports.\n\n"
    "Just type your question, or send /topics to browse. I am an automatic FAQ: I cannot "
    "look into anyone's case, take reports or pass messages on, and nobody watches this chat "
    "for emergencies."
)
HELP = (
    'Type a question in your own words, for example "What is Croydon\'s Ofsted rating?"\n\n'
    "/topics - browse the questions by topic\n"
    "/updates - the latest progress updates\n"
    "/subscribe - get an alert when there is a new update\n"
    "/unsubscribe - stop those alerts\n"
    "/privacy - what is stored about you\n"
    "/forget - delete everything stored about you\n\n"
    "This chat is not monitored. If a child is in danger, call 999."
)
PRIVACY = (
    "What this bot keeps:\n"
    "- If you subscribe: your chat id, so alerts can reach you, until you /unsubscribe or "
    "/forget.\n"
    "- Questions it could not answer, and the question behind a Not helpful vote, with names, "
    "phone numbers, emails, addresses and other personal details removed before they are "
    "saved, so council staff can add the missing answers. They are deleted after {days} days.\n"
    "- Helpful and Not helpful votes, and which answer they were about.\n"
    "All of it is kept under a coded id, never your Telegram name or number. Messages about a "
    "child at risk are not kept at all.\n\n"
    "Send /forget at any time to delete everything stored about you."
)
TEXT_ONLY = "Sorry, I can only read text. Please type your question."
SLOW_DOWN = (
    "You are sending messages very quickly, so I will pause for a minute. Please wait a "
    "moment, then send your question again."
)
APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."
SUBSCRIBED = (
    "You are subscribed: I will send you a message when the council publishes a progress "
    "update. Send /unsubscribe to stop."
)
ALREADY_SUBSCRIBED = "You are already subscribed. Send /unsubscribe to stop the alerts."
UNSUBSCRIBED = "You are unsubscribed and will get no more alerts."
NOT_SUBSCRIBED = "You were not subscribed, so there is nothing to stop."
FORGOTTEN = "Done: everything this bot stored about you has been deleted."
VOTE_THANKS = "Thank you for your feedback."
STALE_BUTTON = "That button is out of date. Please ask your question again."
NO_UPDATES = "No progress updates have been published yet."
UPDATES_HEADING = "Latest progress updates"
UPDATES_PAGE = ", page {number} of {count}"
TOPICS_HEADING = "Choose a topic:"
TOPIC_HEADING = "Questions about {topic}:"
HELPFUL = "Helpful"
NOT_HELPFUL = "Not helpful"
PREVIOUS_PAGE = "‹ Previous"
NEXT_PAGE = "Next ›"
ALL_TOPICS = "« All topics"
READ_MORE = "Read more"
# To staff (admins) when an edit to faq/ cannot be loaded.
RELOAD_FAILED = (
    "The latest edit to the FAQ was not loaded, so I am still answering from the last good "
    "version. Fix these problems and save again:"
)

COMMANDS = (
    ("start", "What this bot can do"),
    ("help", "How to ask, and the commands"),
    ("topics", "Browse questions by topic"),
    ("updates", "Latest progress updates"),
    ("subscribe", "Get alerts about new updates"),
    ("unsubscribe", "Stop the alerts"),
    ("privacy", "What is stored about you"),
    ("forget", "Delete everything stored about you"),
)
