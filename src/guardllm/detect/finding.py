"""The result type of detection."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True, slots=True)
class Finding:
    """One sensitive value found in a text.

    Field names follow Presidio's ``RecognizerResult`` (``entity_type``, ``start``,
    ``end``, ``score``) so code can move over without renaming.  ``text`` holds the
    raw value for callers that need it (the vault does); it is excluded from
    ``repr()`` and equality so findings can be logged safely.
    """

    entity_type: str
    start: int
    end: int
    score: float
    text: str = field(default="", repr=False, compare=False)
    recognizer: str = ""
    #: Dotted/indexed path of the field the value came from, for structured scans
    #: (``"customer.email"``, ``"[3].card"``); ``None`` for free text.
    field_path: str | None = None

    @property
    def length(self) -> int:
        return self.end - self.start

    def preview(self) -> str:
        """A redacted preview safe to print: type-shaped, at most 2 leading characters."""
        return redacted_preview(self.text, self.entity_type)

    def to_dict(self, *, include_value: bool = False) -> dict[str, object]:
        d: dict[str, object] = {
            "entity_type": self.entity_type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "recognizer": self.recognizer,
            "preview": self.preview(),
        }
        if self.field_path is not None:
            d["field_path"] = self.field_path
        if include_value:
            d["text"] = self.text
        return d


def redacted_preview(value: str, entity_type: str = "") -> str:
    """Show the shape of a value without enough of it to be useful to anyone.

    Secrets keep only a known public prefix-length of 4 when the value is long
    (``sk_l…[32]``); everything else keeps at most its first character.
    """
    n = len(value)
    if n == 0:
        return ""
    if n <= 4:
        return "*" * n
    keep = 4 if n >= 20 and not entity_type.startswith(("PERSON", "EMAIL", "PHONE")) else 1
    return f"{value[:keep]}…[{n}]"


_FIELDS = ("entity_type", "start", "end", "score", "text", "recognizer", "field_path")
if tuple(f.name for f in fields(Finding)) != _FIELDS:  # pragma: no cover - guards make_finding
    raise RuntimeError("Finding fields changed: update make_finding")
_new = object.__new__
_set_type, _set_start, _set_end, _set_score, _set_text, _set_rec, _set_path = (
    Finding.__dict__[name].__set__ for name in _FIELDS
)


def make_finding(entity_type: str, start: int, end: int, score: float, text: str, recognizer: str) -> Finding:
    """``Finding(...)`` for free text (``field_path=None``), built without the frozen-dataclass
    ``__init__`` (seven ``object.__setattr__`` calls): the engine makes one per finding."""
    f = _new(Finding)
    _set_type(f, entity_type)
    _set_start(f, start)
    _set_end(f, end)
    _set_score(f, score)
    _set_text(f, text)
    _set_rec(f, recognizer)
    _set_path(f, None)
    return f


def shift_finding(f: Finding, delta: int) -> Finding:
    """``f`` moved by ``delta`` characters (stream windows report offsets into the whole input);
    ``dataclasses.replace`` costs several microseconds per call, which adds up over a file."""
    if not delta:
        return f
    g = _new(Finding)
    _set_type(g, f.entity_type)
    _set_start(g, f.start + delta)
    _set_end(g, f.end + delta)
    _set_score(g, f.score)
    _set_text(g, f.text)
    _set_rec(g, f.recognizer)
    _set_path(g, f.field_path)
    return g
