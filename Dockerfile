# faqbot: the Croydon children's services FAQ bot on Telegram.
#   docker build -t faqbot .
#   docker run -d --name faqbot --env-file .env -v faqbot-data:/data faqbot
# Mount your own FAQ folder over /app/faq (-v "$PWD/faq:/app/faq:ro") to edit answers without
# rebuilding: the bot reloads edits within seconds.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip wheel --wheel-dir /wheels .

FROM python:3.11-slim
# PTB_TIMEDELTA: python-telegram-bot 22 gives Telegram's retry_after as a timedelta instead of
# warning that the int form is deprecated (bot/retry.py reads either).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PTB_TIMEDELTA=true \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links /wheels faqbot && rm -rf /wheels \
    && useradd --system --uid 10001 --no-create-home --home-dir /nonexistent faqbot \
    && mkdir /data && chown faqbot:faqbot /data
WORKDIR /app
COPY faq ./faq

# The database, the generated user-hash key and the heartbeat live in the volume.
ENV FAQBOT_FAQ_DIR=/app/faq \
    FAQBOT_DB=/data/faqbot.sqlite3 \
    FAQBOT_HEARTBEAT=/data/faqbot.heartbeat
VOLUME ["/data"]
USER faqbot

# Webhook mode only (FAQBOT_WEBHOOK_URL set); long polling needs no open port.
EXPOSE 8443

# Unhealthy when the bot has not polled Telegram or received an update for 60 seconds.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot.health"]

# SIGTERM (docker stop) shuts the bot down cleanly within Docker's 10-second grace period.
CMD ["faqbot", "run"]
