"""Last look at PERSON candidates: spans that every name recognizer may propose but the text around
them says are not a person.

The name recognizers work from local evidence (a ``name:`` key, a role word before a capitalised run,
contact data in the same record).  Some shapes carry that evidence and still name no one:

- an organisation: ``"Name": "Acme Freight"`` in a Salesforce ``Account`` record, ``"company":
  "Umbrella Health"`` in a CV, "Charge Nurse, Umbrella Health" -- a company suffix word or an
  organisation key / record type;
- a CI or automation step: ``- name: Notify`` under GitHub Actions / GitLab CI / Ansible ``steps:``.

One pass over the PERSON candidates, after every recognizer ran, so the rule holds whichever of
them proposed the span.  Each check is a bounded look at the text around one candidate.
"""

from __future__ import annotations

import re

from guardllm.detect.structure import COMPANY_LAST, ORG_KEYS, ORG_RECORD_TYPES

Cand = tuple[str, int, int, float, str]

__all__ = ["prune_persons"]

# -- organisations ---------------------------------------------------------------------------------
# `"company": "`, `employer: `, `Organisation=`: the key right before the value.
_KEY_OPEN = "{[(,;\"'"
_NAME_KEY_BEFORE = re.compile(r"[\"'](?:[A-Za-z_]*[Nn]ame|NAME)[\"'][ \t]*:[ \t]*\"$")
# A JSON type marker for the enclosing object: Salesforce `"attributes": {"type": "Account"}`,
# JSON-LD `"@type": "Organization"`, Stripe-like `"object": "account"`.
_TYPE_MARK = re.compile(
    r"[\"'](?:type|@type|object|kind|sobjectType|record_?[Tt]ype|entity_?[Tt]ype)[\"'][ \t]*:[ \t]*"
    r"[\"'](?P<t>[A-Za-z_ ]{2,40})[\"']"
)
_OBJ_WINDOW = 1500


def _norm(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "").replace(" ", "")


def _org_keyed(head: str) -> bool:
    """``head`` (the text before a value, ending in ``:`` / ``=``) names an organisation key:
    ``"company": "Pied Piper"``, ``Employer: Initech``, ``Company Name = Globex``."""
    words = head[:-1].rstrip(" \t\"'").rsplit(None, 2)[-2:]
    if not words:
        return False
    last = _norm(words[-1].lstrip(_KEY_OPEN))
    if last in ORG_KEYS:
        return True
    return last == "name" and len(words) == 2 and _norm(words[0].lstrip(_KEY_OPEN)) + "name" in ORG_KEYS


def _object_bounds(text: str, s: int) -> tuple[int, int] | None:
    """Offsets of the ``{`` and ``}`` of the JSON object holding ``s`` (nested objects skipped)."""
    lo = max(0, s - _OBJ_WINDOW)
    depth = 0
    i = s
    start = -1
    while True:
        i = max(text.rfind("{", lo, i), text.rfind("}", lo, i))
        if i == -1:
            return None
        if text[i] == "}":
            depth += 1
        elif depth == 0:
            start = i
            break
        else:
            depth -= 1
    hi = min(len(text), s + _OBJ_WINDOW)
    depth = 0
    j = s
    while True:
        a, b = text.find("{", j, hi), text.find("}", j, hi)
        if b == -1:
            return start, hi
        if a != -1 and a < b:
            depth += 1
            j = a + 1
        elif depth == 0:
            return start, b
        else:
            depth -= 1
            j = b + 1


def _org_record(text: str, s: int) -> bool:
    """A ``"Name"`` value of a JSON object typed as an organisation (Account, Organization ...)."""
    if s < 8 or text[s - 1] != '"' or not _NAME_KEY_BEFORE.search(text, max(0, s - 40), s):
        return False
    bounds = _object_bounds(text, s)
    if bounds is None:
        return False
    a, b = bounds
    # The type marker may sit in a nested "attributes" object of this record, so nested objects
    # are searched too; a nested record's own "Name" is a different candidate with its own bounds.
    depth_ok = _own_type(text, a, b)
    return depth_ok is not None and _norm(depth_ok) in ORG_RECORD_TYPES


def _own_type(text: str, a: int, b: int) -> str | None:
    """The type marker of the object ``text[a:b]``: at its top level or in its ``attributes``
    child, not in other nested records (a Contact holding an Account is still a Contact)."""
    for m in _TYPE_MARK.finditer(text, a, b):
        # Depth of the marker relative to the object: 0 = own key, 1 = inside a direct child.
        seg = text[a + 1 : m.start()]
        depth = seg.count("{") - seg.count("}")
        if depth == 0:
            return m.group("t")
        if depth == 1:
            child = text.rfind("{", a + 1, m.start())
            key = text[max(a, child - 20) : child]
            if "attributes" in key or "meta" in key:
                return m.group("t")
    return None


# -- CI / automation step names ---------------------------------------------------------------------
_NAME_LINE = re.compile(r"[ \t]*(?:-[ \t]+)?[\"']?name[\"']?[ \t]*:[ \t]*[\"']?$")
# Keys that make a YAML document a CI workflow or an automation playbook.
_CI_KEYS = re.compile(
    r"(?m)^[ \t]*(?:-[ \t]+)?(?:steps|jobs|stages|tasks|handlers|pre_tasks|post_tasks|before_script|after_script"
    r"|runs-on|workflow_dispatch|pipeline|pipelines)[ \t]*:"
)
# Keys that sit next to a step's name (GitHub Actions, GitLab CI, Ansible, Buildkite, Drone ...).
_STEP_SIBLINGS = frozenset(
    """run uses with env script stage needs runs-on if shell working-directory continue-on-error
    timeout-minutes services strategy artifacts cache rules only except when before_script after_script
    dependencies trigger plugins commands agents become register notify loop permissions outputs steps
    retry allow_failure""".split()
)
_PERSON_SIBLINGS = frozenset(
    "email e-mail mail phone tel telephone mobile cell title role dob birthday".split()
)
_SIBLING_KEY = re.compile(r"[ \t]*(?:-[ \t]+)?[\"']?([A-Za-z_][\w-]{0,40})[\"']?[ \t]*:")
_CI_WINDOW = 3000


# Mappings whose "name:" labels a CI object: GitLab/GitHub "environment: {name: production}".
_CI_PARENTS = frozenset("environment container services service workflow pipeline trigger release".split())


def _parent_key(text: str, ls: int, indent: int) -> str:
    """The key of the nearest line above ``ls`` indented less than ``indent`` (its YAML parent)."""
    end = ls - 1
    for _ in range(8):
        if end <= 0:
            return ""
        start = text.rfind("\n", 0, end) + 1
        row = text[start:end]
        end = start - 1
        if not row.strip():
            continue
        if len(row) - len(row.lstrip(" \t")) < indent:
            m = _SIBLING_KEY.match(row)
            return m.group(1).lower() if m else ""
    return ""


def _yaml_name_line(text: str, s: int) -> int:
    """Start of the line when ``text[s]`` is the value on a YAML ``name:`` / ``- name:`` line, else -1."""
    lo = max(0, s - 120)
    ls = text.rfind("\n", lo, s) + 1
    if (ls == 0 and lo > 0) or not _NAME_LINE.fullmatch(text, ls, s):
        return -1
    return ls


def _ci_step_name(text: str, s: int, ls: int) -> bool:
    """``- name: Notify`` (its line starts at ``ls``) inside a CI workflow / playbook: a step's
    label, not a person."""
    # The item's other keys: following lines indented deeper than the item's dash / key.
    line = text[ls:s]
    indent = len(line) - len(line.lstrip(" \t"))
    item_indent = indent + 2 if line.lstrip(" \t").startswith("-") else indent
    siblings: set[str] = set()
    pos = text.find("\n", s)
    for _ in range(12):
        if pos == -1:
            break
        nxt = text.find("\n", pos + 1)
        row = text[pos + 1 : nxt if nxt != -1 else len(text)]
        pos = nxt
        if not row.strip():
            continue
        ind = len(row) - len(row.lstrip(" \t"))
        if ind < item_indent or (ind == item_indent - 2 and row.lstrip().startswith("-")):
            break
        if ind == item_indent:
            m = _SIBLING_KEY.match(row)
            if m:
                siblings.add(m.group(1).lower())
    if siblings & _PERSON_SIBLINGS:
        return False
    if siblings & _STEP_SIBLINGS:
        return True
    # No step keys beside it: only a list item ("- name: Restart") in a document with CI keys is a
    # step; a nested "assignee: {name: ...}" under a project's "tasks:" is not.
    if not line.lstrip(" \t").startswith("-") and _parent_key(text, ls, indent) not in _CI_PARENTS:
        return False
    return _CI_KEYS.search(text, max(0, ls - _CI_WINDOW), min(len(text), s + _CI_WINDOW)) is not None


def prune_persons(text: str, lower: str, out: list[Cand]) -> None:
    """Drop PERSON candidates that name an organisation or a CI step (see the module docstring).

    ``lower`` is ``text`` lower-cased with the same length (the engine computes it once)."""
    # Runs on every scan: the common case (a name after a word, no company suffix) must cost a
    # few string operations, so the cheap tests are inlined and the rest gated behind them.
    persons = [c for c in out if c[0] == "PERSON"]
    if not persons:
        return
    drop = None
    typed: bool | None = None  # whole-text gates, computed once and only when a candidate needs one
    ci: bool | None = None
    for c in persons:
        s, e = c[1], c[2]
        sp = lower.rfind(" ", s, e)  # two words at least: "Acme Freight", not a lone "Health"
        hit = sp != -1 and lower[sp + 1 : e] in COMPANY_LAST
        if not hit and s and text[s - 1] in _KEY_END:
            head = text[max(0, s - 44) : s].rstrip(" \t\"'")
            if head[-1:] in _SEPS:  # a keyed value: "key": "X", key: X, key=X
                hit = _org_keyed(head)
                if not hit and text[s - 1] == '"' and s > 8:
                    if typed is None:
                        typed = 'ype"' in text or '"object"' in text or '"kind"' in text
                    hit = typed and _org_record(text, s)
                if not hit and head[:-1].rstrip(" \t\"'")[-4:].lower() == "name":
                    ls = _yaml_name_line(text, s)
                    if ls >= 0:
                        if ci is None:
                            ci = any(h in text for h in _CI_HINTS)
                        hit = ci and _ci_step_name(text, s, ls)
        if hit:
            if drop is None:
                drop = set()
            drop.add(id(c))
    if drop:
        out[:] = [c for c in out if id(c) not in drop]


# A value right after one of these may be a keyed value ("key": "X", key: X, key=X).
_KEY_END = frozenset(" \t\"'=:")
_SEPS = frozenset(":=")
# Words every CI workflow / playbook holds one of: without them no "name:" is a step's.
_CI_HINTS = (
    "run:",
    "uses:",
    "steps:",
    "jobs:",
    "script:",
    "stage:",
    "stages:",
    "tasks:",
    "runs-on:",
    "environment:",
    "commands:",
    "plugins:",
    "trigger:",
    "handlers:",
)
