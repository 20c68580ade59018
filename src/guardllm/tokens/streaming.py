"""Restore tokens in a stream without buffering the whole stream.

:class:`StreamRestorer` emits every character it can as soon as it arrives and
holds back only a suffix that could still turn into a token: the trailing run of
non-space characters (tokens contain no spaces) and, when multi-word surrogates
are in use, the few words before it.  The concatenated output equals restoring the
whole text at once, however the stream was chunked.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

_TRAILING = re.compile(r"\S*\Z")
#: longest run of non-space characters that is still held back; longer runs cannot be
#: a token and are released (the cut is moved before any token starting in them).
MAX_HOLD = 96


class StreamRestorer:
    """Incremental restore.  ``restore(text, before)`` restores a complete piece;
    ``before`` is the last character already emitted (for look-behind).
    ``safe_cut(buf, cut)`` moves a cut point back before any token-shaped match it
    would split.  With ``words_back`` up to that many whole words before the trailing
    run are held too, from the earliest one for which ``word_starts(text)`` says a
    multi-word surrogate could begin there.

    ``feed(chunk)`` returns what can be shown now; ``flush()`` returns the rest.
    Thread-safe; one restorer per independent stream.
    """

    def __init__(
        self,
        restore: Callable[[str, str], str],
        *,
        words_back: int = 0,
        safe_cut: Callable[[str, int], int] | None = None,
        word_starts: Callable[[str], bool] | None = None,
    ) -> None:
        self._restore = restore
        self._words_back = words_back
        self._word_starts = word_starts
        self._safe_cut = safe_cut
        self._buf = ""
        self._before = ""
        self._lock = threading.Lock()
        self.closed = False

    def feed(self, chunk: str) -> str:
        if not chunk:
            return ""
        with self._lock:
            self._buf += chunk
            cut = self._cut_point(self._buf)
            if cut <= 0:
                return ""
            ready, self._buf = self._buf[:cut], self._buf[cut:]
            before, self._before = self._before, ready[-1:]
        return self._restore(ready, before)

    def flush(self) -> str:
        with self._lock:
            ready, self._buf = self._buf, ""
            before, self._before = self._before, ready[-1:] or self._before
            self.closed = True
        return self._restore(ready, before) if ready else ""

    @property
    def pending(self) -> int:
        """Characters held back right now."""
        return len(self._buf)

    def _cut_point(self, buf: str) -> int:
        tail = _TRAILING.search(buf)
        cut = tail.start() if tail else len(buf)
        if len(buf) - cut > MAX_HOLD:
            cut = len(buf) - MAX_HOLD
        # back over whole words when one of them could begin a multi-word surrogate
        if self._words_back:
            starts: list[int] = []
            pos = cut
            for _ in range(self._words_back):
                prev = buf.rfind(" ", 0, max(pos - 1, 0))
                pos = prev + 1 if prev >= 0 else 0
                starts.append(pos)
                if pos == 0:
                    break
            for start in reversed(starts):  # earliest first
                if start < cut and (self._word_starts is None or self._word_starts(buf[start:cut])):
                    cut = start
                    break
        # never cut a token-shaped match in half (covers the MAX_HOLD release)
        if self._safe_cut is not None and cut > 0:
            cut = self._safe_cut(buf, cut)
        return cut


__all__ = ["MAX_HOLD", "StreamRestorer"]
