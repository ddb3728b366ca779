"""The classifier's trained weights kept on disk, so a start with an unchanged FAQ skips training.

Training (bot/classifier.py) solves a system as large as the FAQ's wordings, residents' filed
questions included: several seconds for the shipped FAQ, against a few hundredths to read the
result back. The bot and `faqbot check` store what they train; they and the other `faqbot`
commands (`ask`, `eval`, `chat`, `unanswered --retest`) read it back when they index the same
content. An edit changes the content, and with it the file looked for: staff who check an edit
spare the bot's reload the training.

Each file is named by a digest of everything training reads (the wordings' vectors, stems and
labels, and the classifier's own code), so a stale file is never used: it is simply not
looked for again, and the oldest are deleted. A file that cannot be read or written costs
a warning and a training, never an answer.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

# Trained indexes kept: a few FAQ versions (the running bot's, a staff edit being checked, a
# folder given with --faq). Each is a few megabytes.
KEPT = 6
SUFFIX = ".npz"


@dataclass(frozen=True)
class TrainedWeights:
    """What training produces: one weight vector (over the labels) per embedding dimension and
    per word feature."""

    features: tuple[str, ...]
    vector_weights: np.ndarray
    feature_weights: np.ndarray


def index_cache_at(folder: Path | None, *, keeps: bool = True) -> IndexCache | None:
    """The cache in `folder`; None when the setting turns it off. See `IndexCache.keeps`."""
    return IndexCache(folder, keeps=keeps) if folder is not None else None


class IndexCache:
    """A folder of trained weights, one file per digest of what they were trained from.

    `keeps`: whether what is trained here is stored. The bot and `faqbot check` store; the
    previews (`ask`, `eval`, `chat`, `unanswered`) only read, so they write nothing anywhere.
    """

    def __init__(self, folder: Path, kept: int = KEPT, *, keeps: bool = True):
        self.folder = folder
        self.kept = kept
        self.keeps = keeps

    def load(self, digest: str) -> TrainedWeights | None:
        """The weights stored under `digest`, or None when there are none or they are unreadable."""
        path = self._path(digest)
        try:
            with np.load(path, allow_pickle=False) as stored:
                features = bytes(stored["features"]).decode("utf-8")
                weights = TrainedWeights(
                    features=tuple(features.split("\n")) if features else (),
                    vector_weights=stored["vector_weights"],
                    feature_weights=stored["feature_weights"],
                )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, UnicodeDecodeError, zipfile.BadZipFile) as error:
            logger.warning("The index cache %s cannot be read (%s); training again", path, error)
            return None
        if len(weights.features) != len(weights.feature_weights):
            logger.warning("The index cache %s is incomplete; training again", path)
            return None
        if self.keeps:
            # In use: the last to be deleted. A folder only readable here still serves.
            with contextlib.suppress(OSError):
                os.utime(path)
        return weights

    def store(self, digest: str, weights: TrainedWeights) -> None:
        """Keep `weights` under `digest`; a folder that cannot be written costs only a warning."""
        if not self.keeps:
            return
        writing: Path | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed into place: a reader, or a second process storing the
            # same index, never sees half a file.
            with tempfile.NamedTemporaryFile(
                dir=self.folder, prefix=".writing-", suffix=SUFFIX, delete=False
            ) as file:
                writing = Path(file.name)
                np.savez(
                    file,
                    features=np.frombuffer("\n".join(weights.features).encode(), dtype=np.uint8),
                    vector_weights=weights.vector_weights,
                    feature_weights=weights.feature_weights,
                )
            os.replace(writing, self._path(digest))
        except OSError as error:
            logger.warning(
                "Cannot keep the trained index in %s (%s); the next start trains again. "
                "Set FAQBOT_INDEX_CACHE to a folder the bot can write, or to off.",
                self.folder,
                error,
            )
            if writing is not None:
                writing.unlink(missing_ok=True)
            return
        self._delete_oldest()

    def _path(self, digest: str) -> Path:
        return self.folder / f"index-{digest}{SUFFIX}"

    def _delete_oldest(self) -> None:
        try:
            files = sorted(
                self.folder.glob(f"index-*{SUFFIX}"),
                key=lambda path: path.stat().st_mtime,
                reverse=True,
            )
            for old in files[self.kept :]:
                old.unlink(missing_ok=True)
        except OSError as error:  # another process deleting the same files: nothing lost
            logger.debug("Tidying the index cache %s: %s", self.folder, error)
