"""Restore tokens in a stream without buffering the whole stream.

:class:`StreamRestorer` emits every character it can as soon as it arrives and
holds back only a suffix that could still turn into a token: the trailing run of
non-space characters (tokens contain no spaces) and, when multi-word surrogates
are in use, the few words before it.  The concatenated output equals restoring the
whole text at once, however the stream was chunked.

Given the labels a bare token can carry (``labels=`` or :meth:`StreamRestorer.release_early`),
the trailing run is released before its word ends when it provably cannot become a token,
so a long first word ("Unfortunately") shows as it streams instead of when the next
space arrives: time to first character stays within one token length.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable

_TRAILING = re.compile(r"\S*\Z")
#: longest run of non-space characters that is still held back; longer runs cannot be
#: a token and are released (the cut is moved before any token starting in them).
MAX_HOLD = 96

#: Characters after which a held run can be released even mid-word: none of them occurs
#: inside any token surface form (``;`` does, in ``&#91;``, so it is not here), and ``]``
#: can only close one.
RELEASE_AFTER = frozenset("].,!?:)}\"'")
#: Characters that can begin or carry a token other than through a bare label: the
#: openers of the tolerated bracket forms (``[``, ``\\[``, ``&#91;``, ``%5b``) and the
#: ``_`` every token has before its number.
TOKEN_CHARS = frozenset("[\\&%_")
#: Characters after which a bare ``LABEL_N`` cannot start (the bare-token look-behind).
NO_BARE_AFTER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_\\[")


@functools.lru_cache(maxsize=16)
def _prefixes_of(labels: frozenset[str]) -> frozenset[str]:
    return frozenset(label.upper()[:i] for label in labels for i in range(1, len(label) + 1))


def cannot_become_token(run: str, behind: str, prefixes: frozenset[str]) -> bool:
    """Whether the held ``run`` (no spaces), preceded by ``behind``, can be shown now
    without changing how the whole text restores: no token can end inside it (no bracket
    opener, no ``_``) and no position where a bare token may start begins a label prefix
    (a bare token is ``LABEL_N``: its start, up to the end of ``run``, spells a prefix)."""
    if any(c in TOKEN_CHARS or c.isspace() for c in run):
        return False
    upper = run.upper()
    for p in range(len(run)):
        before = run[p - 1] if p else behind
        if before and before in NO_BARE_AFTER:
            continue  # a bare token cannot start here, in the whole text either
        if upper[p:] in prefixes:
            return False  # could still become LABEL_N
    return True


class StreamRestorer:
    """Incremental restore.  ``restore(text, before)`` restores a complete piece;
    ``before`` is the last character already emitted (for look-behind).
    ``safe_cut(buf, cut)`` moves a cut point back before any token-shaped match it
    would split.  With ``words_back`` up to that many whole words before the trailing
    run are held too, from the earliest one for which ``word_starts(text)`` says a
    multi-word surrogate could begin there.

    ``labels`` (the labels a bare token could carry, or a callable returning them,
    read once on first use) turns on early release: the held run is shown as soon as
    it provably cannot become a token (see :func:`cannot_become_token`), or when it ends
    with a character of :data:`RELEASE_AFTER`.  The look-behind of what follows is the
    last character shown, so the output is still exactly the whole text restored.  Not
    with ``words_back`` (a multi-word surrogate spans spaces).

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
        labels: Iterable[str] | Callable[[], Iterable[str]] | None = None,
    ) -> None:
        self._restore = restore
        self._labels = labels
        self._prefixes: frozenset[str] | None = None
        self._words_back = words_back
        self._word_starts = word_starts
        self._safe_cut = safe_cut
        self._buf = ""
        self._before = ""
        self._lock = threading.Lock()
        self.closed = False

    @property
    def releases_early(self) -> bool:
        """Whether held runs that cannot become a token are shown before their word ends."""
        return self._labels is not None and not self._words_back

    def release_early(self, labels: Iterable[str] | Callable[[], Iterable[str]]) -> None:
        """Turn on early release with the labels a bare token could carry (see the class docs)."""
        with self._lock:
            self._labels = labels
            self._prefixes = None

    def feed(self, chunk: str) -> str:
        if not chunk:
            return ""
        with self._lock:
            self._buf += chunk
            cut = self._cut_point(self._buf)
            if cut > 0:
                ready, self._buf = self._buf[:cut], self._buf[cut:]
                before, self._before = self._before, ready[-1:]
            else:
                ready, before = "", self._before
            early = ""
            if self._buf and self._release_now(self._buf, self._before):
                early, self._buf = self._buf, ""
                early_before, self._before = self._before, early[-1]
        out = self._restore(ready, before) if ready else ""
        if early:
            out += self._restore(early, early_before)
        return out

    def _release_now(self, held: str, behind: str) -> bool:
        if self._labels is None or self._words_back:
            return False
        if self._prefixes is None:
            labels = self._labels() if callable(self._labels) else self._labels
            self._prefixes = _prefixes_of(frozenset(labels))
        if held[-1] in RELEASE_AFTER and not any(c.isspace() for c in held):
            return True  # nothing held can still grow into a token
        return cannot_become_token(held, behind, self._prefixes)

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


__all__ = [
    "MAX_HOLD",
    "NO_BARE_AFTER",
    "RELEASE_AFTER",
    "TOKEN_CHARS",
    "StreamRestorer",
    "cannot_become_token",
]
