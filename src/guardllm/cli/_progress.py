"""A tiny progress bar on stderr, with no dependencies.

Shown only when stderr is a terminal or the caller forces it (``--progress``), so
pipes and CI logs stay clean.  Redraws are throttled to keep cost negligible.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


class Progress:
    """``files done/total`` and bytes, redrawn in place with ``\\r``."""

    def __init__(
        self,
        total: int,
        total_bytes: int = 0,
        *,
        enabled: bool | None = None,
        stream: TextIO | None = None,
        label: str = "scanning",
        width: int = 24,
        interval: float = 0.1,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.total, self.total_bytes = total, total_bytes
        self.done, self.bytes_done = 0, 0
        self.label, self.width, self.interval = label, width, interval
        self._last = 0.0
        self._drawn = False

    def advance(self, files: int = 0, nbytes: int = 0) -> None:
        """Count progress and redraw when enough time has passed."""
        self.done += files
        self.bytes_done += nbytes
        now = time.monotonic()
        if self.enabled and (now - self._last >= self.interval or self.done >= self.total):
            self._last = now
            self._draw()

    def _draw(self) -> None:
        frac = self.done / self.total if self.total else 1.0
        if self.total_bytes:
            frac = min(self.bytes_done / self.total_bytes, 1.0)
        filled = int(frac * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        size = _human(self.bytes_done)
        if self.total_bytes:
            size += f"/{_human(self.total_bytes)}"
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} files {size}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Finish the line so later output starts on a fresh one."""
        if self.enabled and self._drawn:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
