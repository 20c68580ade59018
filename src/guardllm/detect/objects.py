"""Scan Python objects (dicts, lists, tuples, rows with column names) field by field.

Each string (or number) leaf is scanned as text, and its key or column name is evidence: a
``name`` field holding ``"Ana Lima"`` is a PERSON even with no other context.  Findings carry the
``field_path`` of the leaf (``customer.email``, ``[3].card``) and offsets inside that leaf.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import TYPE_CHECKING, Any

from guardllm.detect.finding import Finding
from guardllm.detect.structure import (
    AMBIGUOUS_PERSON_KEYS,
    PERSONISH_TYPES,
    key_type,
    known_given_name,
    norm_key,
    org_record,
    record_about_people,
    value_type,
)
from guardllm.errors import InputError

if TYPE_CHECKING:
    from guardllm.detect.engine import Detector

__all__ = ["MAX_DEPTH", "ObjectFinding", "scan_object"]

_PEOPLE_PARENTS = frozenset(
    "customer customers user users patient patients person people contact contacts employee employees member "
    "members client clients author owner sender recipient guest guests student students staff account holder "
    "cardholder applicant tenant driver passenger".split()
)
_DOC_TYPE_KEYS = frozenset("type documenttype doctype idtype kind".split())
_DOC_NUMBER_KEYS = frozenset(
    "number no num value id documentnumber documentno docnumber docno idnumber idno".split()
)


def _passport_document(mapping: Mapping[Any, Any]) -> bool:
    """Is this mapping an identity document whose type is a passport?"""
    for k, v in mapping.items():
        if isinstance(v, str) and v.strip().lower() == "passport" and norm_key(str(k)) in _DOC_TYPE_KEYS:
            return True
    return False


#: Deeper nesting than this is refused (it is almost always a cycle or an attack).
MAX_DEPTH = 200


@dataclass(frozen=True, slots=True)
class ObjectFinding(Finding):
    """A :class:`Finding` inside one field of a structured object.

    ``start``/``end`` are offsets in the field's string value; ``path`` is the same location as
    ``field_path`` but as a tuple of the original keys and indexes (``("customer", "email")``,
    ``(0, 2)`` for the third column of the first tuple row), so callers can write a value back.
    """

    path: tuple[Any, ...] = ()


def _fmt_path(path: tuple[Any, ...]) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def _rows_columns(obj: Any) -> Mapping[str, Any] | None:
    """A mapping view of row-like objects: SQLAlchemy rows, namedtuples, dataclasses, pydantic models."""
    mapping = getattr(obj, "_mapping", None)
    if isinstance(mapping, Mapping):
        return mapping
    asdict = getattr(obj, "_asdict", None)
    if callable(asdict) and isinstance(obj, tuple):
        return asdict()
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in fields(obj)}
    dump = getattr(obj, "model_dump", None)
    if callable(dump) and hasattr(type(obj), "model_fields"):
        return dump()
    return None


def scan_object(detector: Detector, obj: Any, *, columns: Sequence[str] | None = None) -> list[ObjectFinding]:
    """Findings per field of ``obj``.

    ``columns`` names the positions of tuple rows (``[(1, "Ana Lima", ...)]`` with
    ``columns=["id", "name", ...]``), as a SQL cursor returns them.
    """
    out: list[ObjectFinding] = []
    seen: set[int] = set()
    cols = list(columns) if columns is not None else None

    def leaf(
        value: str, key: str | None, path: tuple[Any, ...], disp: tuple[Any, ...], about_people: bool
    ) -> None:
        found = detector.scan(value)
        fp = _fmt_path(disp) if found else ""  # most leaves hold nothing: format on demand
        covered = False
        stripped = value.strip()
        for f in found:
            out.append(ObjectFinding(f.entity_type, f.start, f.end, f.score, f.text, f.recognizer, fp, path))
            if f.start <= len(value) - len(value.lstrip()) and f.end >= len(value.rstrip()):
                covered = True
        if key is not None and not covered and stripped:
            etype = value_type(key, stripped)
            score = 0.85
            if (
                etype == "PERSON"
                and norm_key(key) in AMBIGUOUS_PERSON_KEYS
                and not about_people
                and not known_given_name(stripped)
            ):
                score = 0.45  # {"name": "Blue Widget", "price": 3}: not a person
            if etype is not None and detector._wants(etype) and score >= detector.threshold(etype):
                s = value.find(stripped)
                e = s + len(stripped)
                # The key-named value replaces any smaller findings inside it (never half-mask).
                out[:] = [o for o in out if not (o.path == path and o.start >= s and o.end <= e)]
                out.append(
                    ObjectFinding(etype, s, e, score, stripped, "structure", fp or _fmt_path(disp), path)
                )

    def walk(
        node: Any,
        key: str | None,
        path: tuple[Any, ...],
        disp: tuple[Any, ...],
        depth: int,
        about_people: bool = False,
    ) -> None:
        if depth > MAX_DEPTH:
            raise InputError(f"object nested deeper than {MAX_DEPTH} levels at {_fmt_path(disp) or '<root>'}")
        if isinstance(node, str):
            leaf(node, key, path, disp, about_people)
            return
        if isinstance(node, (bytes, bytearray)):
            try:
                text = bytes(node).decode("utf-8")
            except UnicodeDecodeError:
                return  # binary payloads are not text; nothing to scan
            leaf(text, key, path, disp, about_people)
            return
        if isinstance(node, bool) or node is None:
            return
        if isinstance(node, (int, float)):
            if key is not None:
                leaf(str(node), key, path, disp, about_people)
            return
        ident = id(node)
        if ident in seen:
            return
        mapping = node if isinstance(node, Mapping) else _rows_columns(node)
        if mapping is not None:
            seen.add(ident)
            # Sibling keys (email, dob, phone ...) or a person-ish parent say the record is about people.
            people = key_type(key) in PERSONISH_TYPES if key is not None else False
            people = people or (key is not None and norm_key(key) in _PEOPLE_PARENTS)
            people = people or record_about_people(mapping)
            if people and org_record(mapping):
                # {"attributes": {"type": "Account"}, "Name": "Pied Piper", "Phone": ...}: a phone
                # number in a company record does not make its Name a person.
                people = False
            passport = _passport_document(mapping)
            for k, v in mapping.items():
                # {"type": "passport", "number": "X1234567"}: the document type names the generic number key.
                kk = "passport_number" if passport and norm_key(str(k)) in _DOC_NUMBER_KEYS else str(k)
                walk(v, kk, (*path, k), (*disp, str(k)), depth + 1, people)
            seen.discard(ident)
            return
        if isinstance(node, (list, tuple, set, frozenset)):
            seen.add(ident)
            items = sorted(node, key=repr) if isinstance(node, (set, frozenset)) else node
            row_cols = (
                cols if (cols is not None and isinstance(node, tuple) and len(node) == len(cols)) else None
            )
            for i, v in enumerate(items):
                if row_cols is not None:
                    # The path keeps the index (to write the value back); the display names the column.
                    people = record_about_people(row_cols)
                    walk(v, str(row_cols[i]), (*path, i), (*disp, str(row_cols[i])), depth + 1, people)
                else:
                    walk(v, key, (*path, i), (*disp, i), depth + 1, about_people)
            seen.discard(ident)
            return
        # Other objects are not traversed: their str() could run arbitrary code.

    walk(obj, None, (), (), 0)
    return out
