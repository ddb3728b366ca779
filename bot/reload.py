"""Picking up edits to the FAQ folder while the bot runs, and never loading a broken one."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Generic, TypeVar

from bot.corpus import FaqError
from bot.event_log import log_event

Loaded = TypeVar("Loaded")

logger = logging.getLogger(__name__)


def folder_fingerprint(folder: Path) -> str:
    """A digest of every YAML file's name and content: changes whenever any of them changes.

    Content rather than modification times, so an edit within the same second is seen and a
    `touch` without a change is not.
    """
    digest = hashlib.sha256()
    for path in sorted([*folder.rglob("*.yaml"), *folder.rglob("*.yml")]):
        try:
            content = path.read_bytes()
        except OSError:  # removed or renamed while we looked: the next check sees the result
            continue
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


class FaqWatcher(Generic[Loaded]):
    """Checks the folder every `interval` seconds and loads each new version once.

    A version that loads goes to `on_loaded`; one that fails goes to `on_broken` with the
    problems, once per distinct broken version, and the caller keeps what it had.
    """

    def __init__(
        self,
        folder: Path,
        load: Callable[[Path], Loaded],
        on_loaded: Callable[[Loaded], None],
        on_broken: Callable[[FaqError], Awaitable[None]],
        interval: float = 2.0,
    ):
        self.folder = folder
        self.interval = interval
        self._load = load
        self._on_loaded = on_loaded
        self._on_broken = on_broken
        self._seen = folder_fingerprint(folder)

    async def watch(self) -> None:
        """Check for edits until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Checking the FAQ folder for edits failed; will check again")

    async def check(self) -> bool:
        """Load the folder if it changed since the last check; True when a new version loaded."""
        fingerprint = await asyncio.to_thread(folder_fingerprint, self.folder)
        if fingerprint == self._seen:
            return False
        self._seen = fingerprint
        try:
            # Loading and indexing takes seconds: off the event loop, so answers go on.
            loaded = await asyncio.to_thread(self._load, self.folder)
        except FaqError as error:
            log_event(
                "faq_reload",
                logging.WARNING,
                outcome="broken",
                version=fingerprint[:12],
                problems=len(error.problems),
            )
            await self._on_broken(error)
            return False
        self._on_loaded(loaded)
        log_event("faq_reload", outcome="loaded", version=fingerprint[:12])
        return True
