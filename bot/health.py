"""A heartbeat file the running bot keeps fresh, and the check Docker's HEALTHCHECK runs on it.

`python -m bot.health` exits 0 when the bot has polled Telegram or received an update recently,
1 otherwise (or when it never has).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


class Heartbeat:
    """Marks the bot alive by touching a file; at most once a second, as polls can be frequent."""

    def __init__(self, path: Path, min_interval: float = 1.0):
        self.path = path
        self.min_interval = min_interval
        self._last_beat = float("-inf")

    def beat(self) -> None:
        now = time.monotonic()
        if now - self._last_beat < self.min_interval:
            return
        self._last_beat = now
        try:
            self.path.touch()
        except FileNotFoundError:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch()


def seconds_since_beat(path: Path) -> float | None:
    """How long ago the bot last showed it was alive; None when it never has."""
    try:
        return max(0.0, time.time() - path.stat().st_mtime)
    except FileNotFoundError:
        return None


def main() -> int:
    from bot.settings import Settings, SettingsError

    try:
        settings = Settings.from_env(os.environ, require_token=False)
    except SettingsError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    age = seconds_since_beat(settings.heartbeat_file)
    if age is None:
        print(f"unhealthy: {settings.heartbeat_file} does not exist yet", file=sys.stderr)
        return 1
    if age > settings.heartbeat_max_age:
        print(f"unhealthy: no poll or update for {age:.0f} s", file=sys.stderr)
        return 1
    print(f"healthy: last poll or update {age:.0f} s ago")
    return 0


if __name__ == "__main__":
    sys.exit(main())
