"""The detection engine: runs recognizers, merges their candidates, resolves overlaps.

Overlaps are resolved deterministically: candidates are ranked by length (longest first), then
score, then type name; a candidate that overlaps an accepted span only partly is *merged* into it
(the accepted span grows to cover both), so a value is never half-masked.  When a secret takes part
in an overlap, the resulting span carries the secret's type: fail closed, since secrets are never
revealed while PII may be.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from guardllm.detect import context, fields, pii, precision, recall, signoff, structure, upper, urlenc
from guardllm.detect.finding import Finding, make_finding
from guardllm.detect.types import ALL_TYPES, is_secret
from guardllm.errors import DetectionError, InputError

if TYPE_CHECKING:
    from guardllm.detect.objects import ObjectFinding

__all__ = ["DEFAULT_THRESHOLD", "MAX_CHARS", "CustomPattern", "Detector", "coerce_text"]

#: Findings scoring below this are dropped unless a per-type threshold says otherwise.
DEFAULT_THRESHOLD = 0.5
#: Largest text one ``scan`` call accepts; bigger inputs go through ``guardllm.detect.stream``.
MAX_CHARS = 16 * 1024 * 1024

Cand = tuple[str, int, int, float, str]
_CACHE_MAX_TEXT = 16 * 1024


@dataclass(frozen=True)
class CustomPattern:
    """A user-defined recognizer: a regex, an optional validator, and context words.

    ``score`` is used when no context word is near; ``score + context_boost`` when one of
    ``context`` occurs within ``context_window`` characters before the match.  ``group`` picks a
    regex group as the value (default: the whole match).
    """

    name: str
    regex: str | re.Pattern[str]
    entity_type: str | None = None
    score: float = 0.8
    validator: Callable[[str], bool] | None = None
    context: tuple[str, ...] = ()
    context_boost: float = 0.15
    context_window: int = 40
    group: int | str = 0
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            compiled = self.regex if isinstance(self.regex, re.Pattern) else re.compile(self.regex)
        except re.error as exc:
            raise InputError(f"custom pattern {self.name!r}: invalid regex ({exc})") from None
        object.__setattr__(self, "_compiled", compiled)
        object.__setattr__(self, "context", tuple(w.lower() for w in self.context))
        if self.entity_type is None:
            object.__setattr__(self, "entity_type", self.name.upper())

    def find(self, text: str, out: list[Cand]) -> None:
        lower: str | None = None
        for m in self._compiled.finditer(text):
            s, e = m.span(self.group)
            if e <= s:
                continue
            if self.validator is not None:
                try:
                    if not self.validator(text[s:e]):
                        continue
                except Exception:  # a broken user validator must not break scanning
                    continue
            score = self.score
            if self.context:
                if lower is None:
                    lower = context.lower_same_length(text)
                window = lower[max(0, s - self.context_window) : s]
                if any(w in window for w in self.context):
                    score = min(1.0, score + self.context_boost)
            out.append((str(self.entity_type), s, e, score, f"custom:{self.name}"))


def _as_pattern(p: CustomPattern | Mapping[str, Any]) -> CustomPattern:
    if isinstance(p, CustomPattern):
        return p
    if isinstance(p, Mapping):
        d = dict(p)
        if "pattern" in d and "regex" not in d:
            d["regex"] = d.pop("pattern")
        if "context" in d:
            d["context"] = tuple(d["context"])
        if "name" not in d:
            d["name"] = str(d.get("entity_type") or "CUSTOM")
        return CustomPattern(**d)
    raise InputError(f"custom_patterns entries must be CustomPattern or dict, got {type(p).__name__}")


def coerce_text(text: object) -> str:
    """Accept ``str`` (and UTF-8 ``bytes``); anything else is an :class:`InputError`."""
    if isinstance(text, str):
        return text
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            return bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"input bytes are not valid UTF-8 (invalid byte at offset {exc.start}); "
                "decode them with the right encoding first"
            ) from None
    if text is None:
        raise InputError("scan() needs text (str), got None")
    raise InputError(
        f"scan() needs text (str), got {type(text).__name__}; use scan_object() for structured data"
    )


def _secret_finder() -> Callable[[str], list[Finding]] | None:
    """``detect.secrets.find_secrets`` when that module exists (it is developed separately)."""
    try:
        from guardllm.detect import secrets as _secrets
    except ImportError:
        return None
    fn = getattr(_secrets, "find_secrets", None)
    return fn if callable(fn) else None


SpanFinder = Callable[[str, str], list[Cand]]
_SECRET_FINDER: Callable[[str], list[Finding]] | None = None
_SECRET_SPANS: SpanFinder | None = None
_SECRET_LOADED = False
_SECRET_LOCK = threading.Lock()


def _load_secret_finders() -> None:
    global _SECRET_FINDER, _SECRET_SPANS, _SECRET_LOADED
    if _SECRET_LOADED:
        return
    with _SECRET_LOCK:
        if _SECRET_LOADED:
            return
        _SECRET_FINDER = _secret_finder()
        try:
            from guardllm.detect import secrets as _secrets

            spans = getattr(_secrets, "find_secret_spans", None)
        except ImportError:
            spans = None
        if callable(spans):
            # Candidate tuples straight from the rules, given the lower-cased text the engine
            # already made: no Finding objects built only to be taken apart again.
            _SECRET_SPANS = spans
        elif _SECRET_FINDER is not None:
            finder = _SECRET_FINDER

            def _from_findings(text: str, lower: str) -> list[Cand]:
                return [
                    (f.entity_type, f.start, f.end, f.score, f.recognizer or "secrets") for f in finder(text)
                ]

            _SECRET_SPANS = _from_findings
        _SECRET_LOADED = True


def _get_secret_finder() -> Callable[[str], list[Finding]] | None:
    _load_secret_finders()
    return _SECRET_FINDER


def _get_secret_spans() -> SpanFinder | None:
    _load_secret_finders()
    return _SECRET_SPANS


class Detector:
    """A configured detector.  Immutable after construction, so one instance is safe to share
    across threads and event loops.

    Args:
        enabled: entity types to report (``None`` = every type).
        disabled: entity types never to report.
        thresholds: minimum score, one float for every type or ``{type: score}`` (others keep
            :data:`DEFAULT_THRESHOLD`).
        custom_patterns: extra recognizers (:class:`CustomPattern` or dicts with the same fields).
        deny_list: literal values that are always flagged: an iterable of strings (type
            ``DENY_LIST``) or a mapping ``{value: entity_type}``.
        allow_list: values never flagged (exact strings, or compiled regexes matched in full).
        secrets: also run the provider-secret rules of :mod:`guardllm.detect.secrets`.
        max_chars: largest text accepted by one call.
        cache_size: how many recent short texts (up to 16 KiB) keep their findings, so a chat
            history re-sent every turn is not scanned again (0 disables).
    """

    def __init__(
        self,
        enabled: Iterable[str] | None = None,
        disabled: Iterable[str] = (),
        thresholds: float | Mapping[str, float] | None = None,
        custom_patterns: Iterable[CustomPattern | Mapping[str, Any]] = (),
        deny_list: Iterable[str] | Mapping[str, str] = (),
        allow_list: Iterable[str | re.Pattern[str]] = (),
        *,
        secrets: bool = True,
        max_chars: int = MAX_CHARS,
        cache_size: int = 1024,
    ) -> None:
        if isinstance(enabled, str) or isinstance(disabled, str):
            raise InputError("enabled/disabled take a list of entity types, not a single string")
        self.enabled: frozenset[str] | None = frozenset(enabled) if enabled is not None else None
        self.disabled: frozenset[str] = frozenset(disabled)
        self._default_threshold = DEFAULT_THRESHOLD
        self._thresholds: dict[str, float] = {}
        if isinstance(thresholds, (int, float)) and not isinstance(thresholds, bool):
            self._default_threshold = float(thresholds)
        elif isinstance(thresholds, Mapping):
            self._thresholds = {str(k): float(v) for k, v in thresholds.items()}
        elif thresholds is not None:
            raise InputError("thresholds must be a number or a {entity_type: number} mapping")
        self.custom_patterns: tuple[CustomPattern, ...] = tuple(_as_pattern(p) for p in custom_patterns)
        if isinstance(deny_list, Mapping):
            deny = {str(k): str(v) for k, v in deny_list.items() if k}
        elif isinstance(deny_list, str):
            raise InputError("deny_list takes a list of values, not a single string")
        else:
            deny = {str(v): "DENY_LIST" for v in deny_list if v}
        self._deny = deny
        self._deny_re = (
            re.compile("|".join(re.escape(v) for v in sorted(deny, key=len, reverse=True))) if deny else None
        )
        if isinstance(allow_list, str):
            raise InputError("allow_list takes a list of values, not a single string")
        self._allow_exact: frozenset[str] = frozenset(v for v in allow_list if isinstance(v, str))
        self._allow_re: tuple[re.Pattern[str], ...] = tuple(
            v for v in allow_list if isinstance(v, re.Pattern)
        )
        self._secrets = secrets
        self.max_chars = int(max_chars)
        self._cache_size = int(cache_size)
        self._cache: dict[str, tuple[Finding, ...]] = {}
        self._cache_lock = threading.Lock()
        self._recognizers = [fn for _name, types, fn in pii.RECOGNIZERS if any(self._wants(t) for t in types)]
        self._lower_recognizers = [
            fn for _name, types, fn in pii.LOWER_RECOGNIZERS if any(self._wants(t) for t in types)
        ]
        self._email = self._wants("EMAIL_ADDRESS")
        self._person = self._wants("PERSON")
        self._dob = self._wants("DATE_TIME")
        self._location = self._wants("LOCATION")
        # With default settings every candidate passes the type filter: skip the per-candidate checks.
        self._plain = (
            self.enabled is None
            and not self.disabled
            and not self._thresholds
            and not self._allow_exact
            and not self._allow_re
        )
        self._number_types = frozenset(t for t in pii.NUMBER_TYPES if self._wants(t))

    # -- configuration helpers -----------------------------------------------------------------
    def _wants(self, entity_type: str) -> bool:
        if entity_type in self.disabled:
            return False
        return self.enabled is None or entity_type in self.enabled

    def threshold(self, entity_type: str) -> float:
        """The minimum score reported for ``entity_type``."""
        return self._thresholds.get(entity_type, self._default_threshold)

    @property
    def entity_types(self) -> list[str]:
        """Every type this detector may report."""
        return [t for t in ALL_TYPES if self._wants(t)]

    def __repr__(self) -> str:
        return (
            f"Detector(enabled={sorted(self.enabled) if self.enabled is not None else None}, "
            f"disabled={sorted(self.disabled)}, custom_patterns={len(self.custom_patterns)}, "
            f"deny_list={len(self._deny)}, allow_list={len(self._allow_exact) + len(self._allow_re)})"
        )

    # -- scanning --------------------------------------------------------------------------------
    def candidates(self, text: str) -> list[Cand]:
        """Every raw candidate before filtering and overlap resolution (for debugging and tests)."""
        out = self._candidates(text)
        if "%" in text or ("&" in text and "+" in text):
            # URL-encoded values (query strings, form posts): scanned decoded, reported encoded.
            urlenc.find_encoded(text, out, self._candidates)
        return out

    def _candidates(self, text: str) -> list[Cand]:
        out: list[Cand] = []
        if self._email and "@" in text:
            pii.find_emails(text, out)
        emails = [(c[1], c[2]) for c in out]
        if self._number_types:
            pii.find_numbers(text, out, self._number_types)
        lower = context.lower_same_length(text)
        for fn in self._recognizers:
            fn(text, out)
        for fn in self._lower_recognizers:
            fn(text, out, lower)
        toks = context.trigger_tokens(text)
        if self._person:
            context.find_persons(text, lower, emails, out, toks)
            signoff.find_signoff_names(text, lower, out)
        if self._location:
            context.find_addresses(text, lower, out, toks)
        structure.find_key_values(text, out)
        # Values already found under a key are not looked up again by the label rules.
        seen = {c[1] for c in out if c[4] == "structure"}
        if self._dob:
            context.find_dob(text, lower, out, toks, seen)
        structure.find_labels(text, lower, out, toks, seen)
        if "|" in text or "," in text:
            structure.find_tables(text, out)
        if "</" in text:
            structure.find_html(text, out)
        recall.find_recall(text, lower, out, toks, location=self._location)
        fields.find_fields(text, lower, out, emails)
        if self._person:
            upper.find_upper(text, lower, out, toks)
            # Organisations and CI step labels that a name recognizer proposed (before custom
            # patterns and the deny list, which the user asked for and stay as they are).
            precision.prune_persons(text, lower, out)
        for p in self.custom_patterns:
            p.find(text, out)
        if self._deny_re is not None:
            for m in self._deny_re.finditer(text):
                out.append((self._deny[m.group()], m.start(), m.end(), 1.0, "deny_list"))
        if self._secrets:
            spans = _get_secret_spans()
            if spans is not None:
                for c in spans(text, lower):
                    out.append(c if c[4] else (c[0], c[1], c[2], c[3], "secrets"))
        return out

    def scan(self, text: str) -> list[Finding]:
        """Find every sensitive value in ``text``: sorted, non-overlapping findings."""
        text = coerce_text(text)
        if len(text) > self.max_chars:
            raise InputError(
                f"text of {len(text)} characters exceeds the per-call limit of {self.max_chars}; "
                "scan it in chunks with guardllm.detect.stream (chunks overlap, so no value is cut)"
            )
        if not text:
            return []
        cacheable = self._cache_size > 0 and len(text) <= _CACHE_MAX_TEXT
        if cacheable:
            # Chat histories re-send the same messages every turn: remember recent answers.
            hit = self._cache.get(text)
            if hit is not None:
                return list(hit)
        try:
            cands = self.candidates(text)
        except InputError:
            raise
        except Exception as exc:  # fail closed with a message that holds no text
            raise DetectionError(f"detection failed: {type(exc).__name__}") from None
        found = self._resolve(text, cands)
        if cacheable and not any(is_secret(f.entity_type) for f in found):
            # Texts holding credentials are never kept, not even in memory.
            with self._cache_lock:
                self._cache[text] = tuple(found)
                if len(self._cache) > self._cache_size:
                    self._cache.pop(next(iter(self._cache)))
        return found

    def scan_object(self, obj: Any, *, columns: Sequence[str] | None = None) -> list[ObjectFinding]:
        """Findings per field of a dict / list / tuple / row object (``field_path`` like ``customer.email``).

        Key and column names are evidence: ``{"first_name": "Tavish"}`` is a PERSON even though one
        capitalised word in free text would not be.  ``columns`` names the positions of tuple rows.
        """
        from guardllm.detect.objects import scan_object

        return scan_object(self, obj, columns=columns)

    def _keep(self, c: Cand, text: str) -> bool:
        etype, s, e, score, rec = c
        if rec == "deny_list":
            return True
        if not self._wants(etype) or score < self.threshold(etype):
            return False
        if self._allow_exact or self._allow_re:
            v = text[s:e]
            if v in self._allow_exact or v.strip() in self._allow_exact:
                return False
            if any(r.fullmatch(v) for r in self._allow_re):
                return False
        return True

    def _resolve(self, text: str, cands: list[Cand]) -> list[Finding]:
        if self._plain:
            thr = self._default_threshold
            kept = [c for c in cands if c[2] > c[1] and (c[3] >= thr or c[4] == "deny_list")]
        else:
            kept = [c for c in cands if c[2] > c[1] and self._keep(c, text)]
        if not kept:
            return []
        # Sweep by start into clusters of mutually overlapping candidates; each cluster is small,
        # so the greedy choice inside it stays cheap even on inputs with a million candidates.
        kept.sort(key=_START)
        result: list[list[Any]] = []
        cluster: list[Cand] = [kept[0]]
        cluster_end = kept[0][2]
        for c in kept[1:]:
            if c[1] >= cluster_end:
                if len(cluster) == 1:
                    result.append(cluster[0])  # type: ignore[arg-type]
                else:
                    result.extend(_resolve_cluster(cluster))
                cluster = [c]
                cluster_end = c[2]
            else:
                cluster.append(c)
                if c[2] > cluster_end:
                    cluster_end = c[2]
        if len(cluster) == 1:
            result.append(cluster[0])  # type: ignore[arg-type]
        else:
            result.extend(_resolve_cluster(cluster))
        return [make_finding(c[0], c[1], c[2], c[3], text[c[1] : c[2]], c[4]) for c in result]


_START = itemgetter(1)


def _resolve_cluster(cluster: list[Cand]) -> list[list[Any]]:
    if len(cluster) == 1:
        return [list(cluster[0])]
    # Longest first; on equal length the higher score, then a deterministic tie-break.
    ranked = sorted(cluster, key=lambda c: (-(c[2] - c[1]), -c[3], c[0], c[1]))
    chosen: list[list[Any]] = []  # [etype, s, e, score, rec]
    for etype, s, e, score, rec in ranked:
        hit = None
        contained = False
        for ch in chosen:
            if s < ch[2] and ch[1] < e:
                if ch[1] <= s and e <= ch[2]:
                    contained = True
                else:
                    hit = ch
                break
        if contained:
            if is_secret(etype) and not is_secret(ch[0]):
                # A credential inside a PII span (a password inside a URL): the whole span becomes the
                # secret, so it is never revealed to someone allowed to see the PII type.
                ch[0], ch[4] = etype, rec
            continue
        if hit is None:
            chosen.append([etype, s, e, score, rec])
        else:
            # Partial overlap: grow the accepted span so neither value is half-masked.
            hit[1] = min(hit[1], s)
            hit[2] = max(hit[2], e)
            if is_secret(etype) and not is_secret(hit[0]):
                hit[0], hit[4] = etype, rec
    chosen.sort(key=lambda c: c[1])
    # Growing spans can make neighbours overlap: fold them together.
    merged: list[list[Any]] = []
    for c in chosen:
        if merged and c[1] < merged[-1][2]:
            last = merged[-1]
            if (c[2] - c[1] > last[2] - last[1] and not is_secret(last[0])) or (
                is_secret(c[0]) and not is_secret(last[0])
            ):
                last[0], last[3], last[4] = c[0], c[3], c[4]
            last[2] = max(last[2], c[2])
        else:
            merged.append(c)
    return merged


# Compile the secret rules when the detection package loads (``guardllm.scan`` is first touched),
# not inside the first scan() call: it takes ~0.1-0.2 s, a stall the first request of a service
# (or the first text of a benchmark) would otherwise pay.
_load_secret_finders()
