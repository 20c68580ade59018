"""Secret detection: provider token formats, private keys, JWTs, credentials in URLs and assignments.

``find_secrets(text)`` runs:

* the provider table of :mod:`guardllm.detect.secret_rules` (200+ formats).  A rule runs only
  when its keyword is in the text and one of its lead literals (the literal every match starts
  with, read from its regex) occurs after the boundary its look-behind demands.  All lead
  literals share one trie-shaped regex on the lower-cased text, so a text pays one C-speed
  pass, not one substring test per keyword; a rule that does run is matched only where its
  lead occurs (its look-behind would otherwise cost an attempt at every position);
* structural rules written here: PEM/OpenSSH/PGP private-key blocks (the whole block), JWTs
  (header must decode to JSON with ``alg``), ``scheme://user:pass@host`` passwords,
  ``Authorization``/``Cookie`` headers, and ``key = value`` assignments in code, ``.env``,
  YAML, JSON and INI whose key names a password or credential.

Placeholders (``${VAR}``, ``<your-key>``, ``xxxx``, ``changeme``, ``os.environ[...]`` ...) are not
secrets.  Every regex is bounded and anchored so cost stays linear on adversarial input.

The fast paths return exactly what running every keyword-gated rule over the whole text returns;
texts holding one of the four non-ASCII letters that case-fold onto ASCII ones (``İ ı ſ K``)
take the plain paths, where lower-casing and ``(?i)`` matching could disagree.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import math
import operator
import re

try:  # the C helper Counter itself uses; a plain dict fill skips Counter's Python-level setup
    from _collections import _count_elements
except ImportError:  # pragma: no cover - other Python implementations

    def _count_elements(mapping: dict[str, int], iterable: str) -> None:  # type: ignore[misc]
        for c in iterable:
            mapping[c] = mapping.get(c, 0) + 1


from collections.abc import Iterable

from guardllm.detect.finding import Finding
from guardllm.detect.secret_rules import RULE_TYPES, SECRET_RULES, SecretRule

try:  # the regex parser, to read each rule's leading literal (renamed in 3.11)
    from re import _constants as _sre_c
    from re import _parser as _sre_p
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre_c  # type: ignore[no-redef]
    import sre_parse as _sre_p  # type: ignore[no-redef]

__all__ = [
    "SECRET_RULES",
    "SECRET_TYPES",
    "SecretRule",
    "find_secret_spans",
    "find_secrets",
    "is_placeholder",
]

#: Every entity type ``find_secrets`` can emit, with its token label.
SECRET_TYPES: dict[str, str] = {
    **RULE_TYPES,
    "PASSWORD": "PASSWORD",
    "PRIVATE_KEY": "PRIVATE_KEY",
    "JWT": "JWT",
    "GENERIC_SECRET": "SECRET",
    "BEARER_TOKEN": "BEARER_TOKEN",
    "BASIC_AUTH": "BASIC_AUTH",
    "SESSION_TOKEN": "SESSION_TOKEN",
}

#: A raw hit: start, end, entity type, score, rule id, generic (assignment/header) or specific.
_Hit = tuple[int, int, str, float, str, bool]

_GENERIC = {"PASSWORD", "GENERIC_SECRET", "BEARER_TOKEN", "BASIC_AUTH", "SESSION_TOKEN"}


def _register_types() -> None:
    # Let the registry know our provider types (label + secret flag) without overriding its own.
    try:
        from guardllm.detect import types as _types
    except ImportError:  # pragma: no cover - the registry is part of the package
        return
    for name, label in SECRET_TYPES.items():
        if _types.get(name) is None:
            _types.register_type(name, group="secret", label=label, secret=True)


_register_types()

# ---------------------------------------------------------------------------------------------
# Value checks
# ---------------------------------------------------------------------------------------------
_PLACEHOLDER_WORDS = frozenset(
    """changeme change_me changeit password passwd secret example dummy test testing none null nil
    true false undefined todo tbd tiger scott placeholder redacted hidden masked your_password yourpassword
    mypassword my_password pass foo bar baz foobar sample default empty string value token
    apikey api_key secret_key your_token your_api_key xxx n/a na required optional""".split()
)
_PLACEHOLDER_PARTS = (
    "xxxx",
    "****",
    "....",
    "…",
    "example",
    "placeholder",
    "dummy",
    "sample",
    "changeme",
    "change_me",
    "change-me",
    "redacted",
    "your_",
    "your-",
    "yourkey",
    "insert_",
    "replace_",
    "replace-me",
    "replaceme",
    "fake",
    "<",
    ">",
    "{{",
    "}}",
    "${",
    "%(",
    "#{",
)
# What log scrubbers and SDKs write in place of a secret, usually bracketed: Sentry "[Filtered]",
# Rails "[FILTERED]", "[redacted]", "(hidden)", "{scrubbed}", "*removed*".
_REDACTION_WORDS = frozenset(
    "filtered redacted removed scrubbed hidden masked omitted sanitized sanitised censored withheld elided "
    "deleted secret private sensitive protected obfuscated snip snipped truncated".split()
)
_MASK_OPEN = frozenset("[({<*")
_MASK_STRIP = "[](){}<>*_-. "
_CODE_REF = re.compile(
    r"(?i)^(?:os\.environ|os\.getenv|getenv|process\.env|env\(|env\[|env\.|environ|config\[|config\.|settings\."
    r"|secrets\.|vault:|ref\(|!ref|\$\{|\$\(|\$[A-Za-z_]\w*$|@\{|%\{|self\.|this\.|args\.|request\.|input\(|get_|read_|load_|none$)"
)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_PLACEHOLDER_SEGMENTS = frozenset(
    "test fake dummy example sample placeholder changeme xxx demo foo bar todo".split()
)
_TYPE_NAMES = frozenset(
    "str int bytes bool float none optional any string secretstr dict list object".split()
)
_TYPE_HINT = re.compile(
    r"(?:[A-Z][a-z0-9]+){1,5}(?:Token|Key|Secret|Str|Credentials?|Type|Config|Auth|Provider|Model)"
)
_WORDISH = re.compile(r"^[A-Za-z]+(?:[-_' ][A-Za-z]+)*$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_VERSIONISH = re.compile(r"^v?\d+(?:[._-]\d+){1,4}(?:[-+][0-9A-Za-z.]{1,20})?$")
_DATEISH = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_DOTTED_IDENT = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(\)?)?$")
_HASH_CONTEXT = re.compile(
    r"(?i)(?:sha\d*|checksum|hash|etag|digest|md5|commit|revision|rev|fingerprint|integrity)\W{0,30}$"
)


# Precompiled helpers for the value checks; the ASCII ones stand in for per-character
# ``str.isdigit()``/``isalnum()`` loops, which they equal on ASCII input.
_NOT_ALNUM_ASCII = re.compile(r"[^A-Za-z0-9]+")
_DIGIT_ASCII = re.compile(r"[0-9]")
_LOWER_ASCII = re.compile(r"[a-z]")
_UPPER_ASCII = re.compile(r"[A-Z]")
_LOWER_OR_DIGIT_ASCII = re.compile(r"[a-z0-9]")
_RUN_OF_8 = re.compile(r"(.)\1{7}")
_SEGMENT_SPLIT = re.compile(r"[-_.:/ ]+")
_PLACEHOLDER_PARTS_RE = re.compile("|".join(re.escape(p) for p in _PLACEHOLDER_PARTS))
_ABS_PATH = re.compile(r"(?:/[\w.@-]{1,64}){1,30}/?")
_KEYBOARD_RUNS = ("qwerty", "qwertyuiop", "asdfgh", "asdfghjkl")


# n -> [c/n * log2(c/n) for c in 0..n], so entropy() sums table entries in C (same floats, same
# order as computing each term).
_ENTROPY_TERMS: dict[int, list[float]] = {}


def entropy(s: str) -> float:
    """Shannon entropy in bits per character."""
    if not s:
        return 0.0
    n = len(s)
    tally: dict[str, int] = {}
    _count_elements(tally, s)
    counts = tally.values()
    if n > 256:
        return -sum([c / n * math.log2(c / n) for c in counts])
    terms = _ENTROPY_TERMS.get(n)
    if terms is None:
        terms = [0.0] + [c / n * math.log2(c / n) for c in range(1, n + 1)]
        _ENTROPY_TERMS[n] = terms
    return -sum(map(terms.__getitem__, counts))


def _sequential(s: str) -> bool:
    """``abcdef123456``, ``123456789``, ``qwerty``-style runs: obvious fillers, not secrets."""
    low = s.lower()
    t = _NOT_ALNUM_ASCII.sub("", low) if low.isascii() else "".join([c for c in low if c.isalnum()])
    if len(t) < 4:
        return False
    codes = t.encode() if t.isascii() else list(map(ord, t))
    steps = list(map(operator.sub, codes[1:], codes))
    return steps.count(1) + steps.count(-1) >= 0.75 * (len(t) - 1) or t in _KEYBOARD_RUNS


def is_placeholder(value: str) -> bool:
    """True when ``value`` is an obvious placeholder, template variable or code reference."""
    v = value.strip().strip("\"'`")
    if not v:
        return True
    low = v.lower()
    if low in _PLACEHOLDER_WORDS or low.strip("_-.!") in _PLACEHOLDER_WORDS:
        return True
    if low[0] in _MASK_OPEN and low.strip(_MASK_STRIP) in _REDACTION_WORDS:
        return True  # "[Filtered]" (Sentry), "[FILTERED]" (Rails), "(hidden)": a scrubber's mark
    if _PLACEHOLDER_PARTS_RE.search(low):
        return True
    if _CODE_REF.match(v) or _ENV_NAME.match(v):
        return True
    if not _PLACEHOLDER_SEGMENTS.isdisjoint(_SEGMENT_SPLIT.split(low)):
        return True
    if len(set(low)) <= 2 and len(low) >= 3:
        return True
    return _sequential(v)


def _has_digit(s: str) -> bool:
    if s.isascii():
        return _DIGIT_ASCII.search(s) is not None
    return any(c.isdigit() for c in s)


def _random_enough(body: str, min_entropy: float) -> bool:
    if len(body) >= 8 and entropy(body) < min_entropy:
        return False
    low = body.lower()
    if "xxxx" in low or "example" in low or "0000000" in low:
        return False
    if _RUN_OF_8.search(body):
        return False
    # "xxx-xxxx_xxx" style masks, broken up by separators (needs 2+ x's to reach a third of 6+)
    xs = low.count("x")
    if xs >= 2:
        if body.isascii():
            alnum = len(_NOT_ALNUM_ASCII.sub("", body))
        else:
            alnum = sum([c.isalnum() for c in body])
        if alnum and xs * 3 >= alnum and alnum >= 6:
            return False
    # Long random bodies contain a digit; identifier-like letter runs do not.  Letter-only
    # alphabets (Hugging Face) and the ~1-2% of random alphanumeric bodies that draw no digit
    # are let through when their case mix looks random rather than CamelCase.
    if len(body) >= 24 and not _has_digit(body) and not _random_case_mix(body):
        return False
    return True


_IDENT_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def _random_case_mix(body: str) -> bool:
    """A digit-free body whose letters look random rather than like a CamelCase identifier.

    ``YourGitHubPersonalAccessTokenHere`` splits into words of four or more letters on average,
    none longer than a real word; random mixed-case letters split into pieces of about two.
    Bodies of one case only are never let through (words, constants, hex-less fillers).
    """
    if body.islower() or body.isupper() or not body.isascii():
        return False
    words = _IDENT_WORD.findall(body)
    if not words:
        return False
    return len(words) * 4 > len(body) or max(map(len, words)) > 16


def _generic_value_ok(v: str) -> bool:
    """A value under a credential-named key: must look random, not like an id, hash, date or word."""
    if len(v) < 8 or is_placeholder(v):
        return False
    if _UUID.match(v) or _VERSIONISH.match(v) or _DATEISH.match(v) or ("." in v and _DOTTED_IDENT.match(v)):
        return False
    if v.startswith(("http://", "https://", "./", "~/", "file:")):
        return False
    if v.startswith("/") and _ABS_PATH.fullmatch(v) and (v.count("/") >= 3 or "." in v):
        return False
    if v.isdigit() or (v.isalpha() and (v.islower() or v.isupper())):
        return False
    # Real tokens carry digits; words, identifiers and prose fragments do not.
    has_digit = _has_digit(v)
    if not has_digit and (len(v) < 20 or _WORDISH.match(v)):
        return False
    if v.isascii():
        classes = (
            (_LOWER_ASCII.search(v) is not None)
            + (_UPPER_ASCII.search(v) is not None)
            + has_digit
            + (_NOT_ALNUM_ASCII.search(v) is not None)
        )
    else:
        classes = sum(
            (
                any(c.islower() for c in v),
                any(c.isupper() for c in v),
                has_digit,
                any(not c.isalnum() for c in v),
            )
        )
    if classes < 2:
        return False
    return entropy(v) >= (3.0 if len(v) >= 12 else 2.5)


def _password_ok(v: str, strict: bool) -> bool:
    if len(v) < (6 if strict else 3) or is_placeholder(v):
        return False
    if (
        v.lower() in ("true", "false", "yes", "no", "on", "off")
        or v.lower() in _TYPE_NAMES
        or _DOTTED_IDENT.match(v)
    ):
        return False
    if strict:
        # "the password is expired": prose, not a password.  A real one mixes classes.
        classes = sum(
            (any(c.isalpha() for c in v), any(c.isdigit() for c in v), any(not c.isalnum() for c in v))
        )
        return classes >= 2
    return not v.isdigit() or len(v) >= 4


# ---------------------------------------------------------------------------------------------
# Provider table
# ---------------------------------------------------------------------------------------------
# Which rules a text can trigger, decided in two C-speed regex passes instead of one substring
# test per keyword.  Each rule's regex is read (with the stdlib parser) for the literal every
# match must start with and the look-behind before it, e.g. ``(?<![A-Za-z0-9_-])ghp_`` or
# ``(?<![A-Za-z])(?i:datadog)``.  Those literals are merged into one trie-shaped pattern per kind
# whose first item is the boundary class (``[^A-Za-z0-9]``), so the regex engine skips every
# letter and digit in a tight loop and only tries the trie after punctuation and spaces.  A rule
# then still has to pass its keyword test, so the gate only ever removes rules that could not
# have matched: findings are the same as running every keyword-gated rule.
_ASCII_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_ASCII_ALPHA = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# Characters the regex engine folds onto an ASCII letter (or whose lower() holds one) although
# they are not ASCII: in their presence lower-cased gating could disagree with ``(?i)``
# matching, so such texts take the exact per-keyword path.
_CASE_EXOTIC = re.compile("[\\u0130\\u0131\\u017f\\u212a]")


def _class_chars(items: list[tuple[object, object]]) -> frozenset[str] | None:
    """ASCII members of a parsed ``[...]`` class, or None when it is not a plain positive class."""
    out: set[str] = set()
    for op, av in items:
        if op is _sre_c.LITERAL:
            out.add(chr(av))  # type: ignore[arg-type]
        elif op is _sre_c.RANGE:
            lo, hi = av  # type: ignore[misc]
            out.update(chr(c) for c in range(lo, min(hi, 127) + 1))
        elif op is _sre_c.CATEGORY and av is _sre_c.CATEGORY_DIGIT:
            out.update("0123456789")
        else:
            return None
    return frozenset(out)


def _leads(seq: list[tuple[object, object]], ci: bool) -> tuple[list[tuple[str, bool]], bool]:
    """Literal prefixes that every match of ``seq`` starts with, each with an ignore-case flag.

    The second value says whether ``seq`` is all literal (so what follows it may be appended).
    Ignore-case literals are returned lower-cased.
    """
    cur: list[tuple[str, bool]] = [("", False)]
    for op, av in seq:
        if op is _sre_c.LITERAL and av < 128:  # type: ignore[operator]
            ch = chr(av)  # type: ignore[arg-type]
            cur = [(s + (ch.lower() if ci else ch), f or ci) for s, f in cur]
            continue
        if op is _sre_c.SUBPATTERN:
            _group, add, dele, sub = av  # type: ignore[misc]
            sub_ci = (ci or bool(add & _sre_c.SRE_FLAG_IGNORECASE)) and not dele & _sre_c.SRE_FLAG_IGNORECASE
            alts, full = _leads(list(sub.data), sub_ci)
        elif op is _sre_c.BRANCH:
            alts, full = [], True
            for alt in av[1]:  # type: ignore[index]
                sub_alts, sub_full = _leads(list(alt.data), ci)
                alts += sub_alts
                full = full and sub_full
        else:
            return cur, False
        if any(not a for a, _ in alts):
            return cur, False
        cur = [(s + a, f or g) for s, f in cur for a, g in alts]
        if not full:
            return cur, False
    return cur, True


def _triggers(pattern: str) -> list[tuple[str, bool, str | None]] | None:
    """(literal, ignore_case, boundary) triples, one of which every match of ``pattern`` starts with.

    ``boundary`` is ``"alnum"`` when a look-behind rules out any ASCII letter or digit right before
    the literal, ``"alpha"`` when it rules out letters, else None.  None overall: no usable literal.
    """
    try:
        parsed = _sre_p.parse(pattern)
    except Exception:  # pragma: no cover - every rule compiled at import already
        return None
    data = list(parsed.data)
    global_ci = bool(parsed.state.flags & _sre_c.SRE_FLAG_IGNORECASE)
    if len(data) == 1 and data[0][0] is _sre_c.BRANCH:
        branches = [list(alt.data) for alt in data[0][1][1]]
    else:
        branches = [data]
    out: list[tuple[str, bool, str | None]] = []
    for seq in branches:
        boundary = None
        if seq and seq[0][0] is _sre_c.ASSERT_NOT and seq[0][1][0] == -1:
            inner = list(seq[0][1][1].data)
            chars = _class_chars(inner[0][1]) if len(inner) == 1 and inner[0][0] is _sre_c.IN else None
            if chars is not None and _ASCII_ALPHA <= chars:
                boundary = "alnum" if _ASCII_ALNUM <= chars else "alpha"
            seq = seq[1:]
        lits, _full = _leads(seq, global_ci)
        if any(len(s) < 2 for s, _ in lits):
            return None
        out += [(s, ci, boundary) for s, ci in lits]
    return out


def _trie_pattern(words: list[str]) -> str:
    """A regex matching the longest of ``words`` at a position, factored by common prefixes."""
    trie: dict[str, dict] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


#: What finding a gate literal admits: (a case-exact literal that must also be in the text, or
#: None; rules admitted outright; rules that still need their keyword test).
_Entry = tuple[str | None, tuple[int, ...], tuple[int, ...]]


def _entry(found: str, cased: str | None, rules: set[int]) -> _Entry:
    # A rule is admitted outright when one of its keywords is inside the found (lower-cased)
    # literal: the literal's presence proves the keyword's.
    ordered = sorted(rules)
    sure = tuple(i for i in ordered if any(k in found for k in SECRET_RULES[i].keywords))
    return cased, sure, tuple(i for i in ordered if i not in sure)


# The table builder states the leads of its two regular shapes; hand-written rules are parsed.
_RULE_TRIGGERS = tuple(list(r.leads) if r.leads is not None else _triggers(r.pattern) for r in SECRET_RULES)


def _build_gates() -> tuple[
    re.Pattern[str], dict[str, tuple[_Entry, ...]], tuple[tuple[str | None, tuple], ...]
]:
    bounded: dict[tuple[str, str | None], set[int]] = {}  # (lower literal, exact case or None) -> rules
    anywhere: dict[tuple[str, bool], set[int]] = {}  # (literal, case-exact?) -> rules
    for i, rule in enumerate(SECRET_RULES):
        trig = _RULE_TRIGGERS[i]
        if trig is None:
            for k in rule.keywords:  # no literal: the keyword test alone decides
                anywhere.setdefault((k, False), set()).add(i)
            continue
        for lit, ci, boundary in trig:
            if boundary is not None:
                # Both boundaries rule out a letter before the literal; on the lower-cased text
                # "after a non-letter" is the weaker (so safe) test for either.
                bounded.setdefault((lit.lower(), None if ci else lit), set()).add(i)
            else:
                anywhere.setdefault((lit.lower() if ci else lit, not ci), set()).add(i)
    # One trie over every bounded literal, lower-cased.  The trie reports the longest literal at a
    # position; every shorter one that is a prefix of it matched there too.
    words = sorted({w for w, _ in bounded})
    by_literal: dict[str, list[tuple[str | None, set[int]]]] = {}
    for (lit, cased), rules in sorted(bounded.items()):
        by_literal.setdefault(lit, []).append((cased, rules))
    by_word = {
        w: tuple(
            _entry(w, cased, rules)
            for k in range(1, len(w) + 1)
            for cased, rules in by_literal.get(w[:k], ())
        )
        for w in words
    }
    first = "[" + "".join(sorted({re.escape(w[0]) for w in words})) + "]"
    # The first-character look-ahead fails most positions before the alternation is walked.
    gate = re.compile(f"[^a-z](?={first})(?=({_trie_pattern(words)}))")
    # Anywhere-literals are plain substring tests, grouped under a shared 3-letter guard so most
    # texts pay one test per group.
    items = [
        (lit, cased, _entry(lit.lower(), None, rules)) for (lit, cased), rules in sorted(anywhere.items())
    ]
    groups: list[tuple[str | None, tuple]] = []
    left = items
    while left:
        grams: dict[str, list] = {}
        for it in left:
            lw = it[0].lower()
            for g in {lw[j : j + 3] for j in range(len(lw) - 2)}:
                grams.setdefault(g, []).append(it)
        best = max(sorted(grams), key=lambda g: len(grams[g]), default=None)
        if best is None or len(grams[best]) < 2:
            groups += [(None, (it,)) for it in left]
            break
        groups.append((best, tuple(grams[best])))
        left = [it for it in left if it not in grams[best]]
    return gate, by_word, tuple(groups)


_GATE, _BY_WORD, _ANY_GROUPS = _build_gates()
_ANY_SINGLE = tuple((m[0], m[2]) for g, ms in _ANY_GROUPS if g is None for m in ms if not m[1])
_ANY_GROUPED = tuple((g, ms) for g, ms in _ANY_GROUPS if g is not None) + tuple(
    (m[0].lower(), (m,)) for g, ms in _ANY_GROUPS if g is None for m in ms if m[1]
)
_RULE_KEYWORDS: tuple[tuple[str, ...], ...] = tuple(r.keywords for r in SECRET_RULES)
_GROUPED: tuple[bool, ...] = tuple("(?P<s>" in r.pattern for r in SECRET_RULES)
_KEYWORDS: tuple[str, ...] = tuple(sorted({k for r in SECRET_RULES for k in r.keywords}))
_BY_KEYWORD: dict[str, tuple[int, ...]] = {
    k: tuple(i for i, r in enumerate(SECRET_RULES) if k in r.keywords) for k in _KEYWORDS
}
_HEX_32_64 = re.compile(r"[0-9a-fA-F]{32,64}")


def _provider_todo(text: str, low: str, exotic: bool) -> list[int]:
    """Indices (table order) of the rules whose keyword is in ``low`` and whose literal can start a match."""
    if exotic:
        # Exact path: one substring test per keyword (what the gate stands in for).
        return sorted({i for k in _KEYWORDS if k in low for i in _BY_KEYWORD[k]})
    entries: list[_Entry] = []
    for w in set(_GATE.findall("\n" + low)):
        entries += _BY_WORD[w]
    for lit, e in _ANY_SINGLE:
        if lit in low:
            entries.append(e)
    for guard, members in _ANY_GROUPED:
        if guard in low:
            entries += [e for lit, cased, e in members if lit in (text if cased else low)]
    if not entries:
        return []
    sure: set[int] = set()
    check: set[int] = set()
    for cased, s, c in entries:
        if cased is None or cased in text:
            sure.update(s)
            check.update(c)
    kws = _RULE_KEYWORDS
    check.difference_update(sure)
    sure.update(i for i in check if any(k in low for k in kws[i]))
    return sorted(sure)


def _lead_finder(lits: list[str]) -> re.Pattern[str]:
    """A regex whose matches start exactly where one of ``lits`` starts (overlaps included).

    Each alternative consumes only its first character and looks ahead for the rest, so the
    engine gets a first-character set to skip by and a later occurrence is never swallowed.
    """
    by_first: dict[str, list[str]] = {}
    for lit in sorted(set(lits)):
        by_first.setdefault(lit[0], []).append(re.escape(lit[1:]))
    alts = [
        re.escape(c) + ("(?=" + "|".join(rest) + ")" if all(rest) else "") for c, rest in by_first.items()
    ]
    return re.compile("|".join(alts))


_Finders = tuple[tuple[re.Pattern[str], bool], ...]


_LeadSpec = tuple[tuple[tuple[str, ...], bool], ...]


def _lead_spec(trig: list[tuple[str, bool, str | None]] | None) -> _LeadSpec | None:
    """Lead literals grouped into case-exact ones (searched in the text) and lower-cased ones."""
    if trig is None:
        return None
    leads = sorted({(lit.lower() if ci else lit, not ci) for lit, ci, _b in trig})
    cased = tuple(lit for lit, c in leads if c)
    folded = tuple(lit for lit, c in leads if not c)
    return tuple((lits, c) for lits, c in ((cased, True), (folded, False)) if lits)


def _compile_finders(spec: _LeadSpec) -> _Finders:
    return tuple((_lead_finder(list(lits)), c) for lits, c in spec)


def _pattern_lead_finders(pattern: str) -> _Finders | None:
    """Lead finders (on the text when case-exact, on the lower-cased text otherwise), or None."""
    spec = _lead_spec(_triggers(pattern))
    return None if spec is None else _compile_finders(spec)


_LEAD_SPECS = tuple(_lead_spec(t) for t in _RULE_TRIGGERS)
# Compiled on a rule's first use: most rules never run in a given process.  (Two threads may both
# compile one; they store equal values.)
_LEAD_FINDERS: list[_Finders | None] = [None] * len(SECRET_RULES)


def _rule_finders(i: int) -> _Finders | None:
    finders = _LEAD_FINDERS[i]
    if finders is None:
        spec = _LEAD_SPECS[i]
        if spec is None:
            return None
        finders = _LEAD_FINDERS[i] = _compile_finders(spec)
    return finders


# One match() per lead occurrence costs about what the engine's own scan spends on 64 characters,
# so past one lead per 64 characters (and at least 32) the plain scan from the first lead is used.
_MIN_LEAD_TRIES = 32
_CHARS_PER_LEAD_TRY = 64


def _lead_matches(rx: re.Pattern[str], text: str, low: str, finders: _Finders) -> list[re.Match[str]]:
    """``list(rx.finditer(text))``, trying only where one of the rule's lead literals occurs.

    Most rule regexes open with a look-behind, which denies the engine its literal-prefix scan,
    so ``finditer`` would attempt a match at every position.  Every match starts at a lead, so
    matching at the leads (left to right, resuming after each match) yields the same matches.
    """
    cap = max(_MIN_LEAD_TRIES, len(text) // _CHARS_PER_LEAD_TRY)
    starts: list[int] = []
    dense = False
    for finder, cased in finders:
        found = list(itertools.islice(finder.finditer(text if cased else low), cap + 1))
        starts += [m.start() for m in found]
        dense = dense or len(found) > cap
    if not starts:
        return []
    if dense or len(starts) > cap:
        return list(rx.finditer(text, min(starts)))
    if len(finders) > 1:
        starts = sorted(set(starts))
    found: list[re.Match[str]] = []
    pos = 0
    for p in starts:
        if p >= pos:
            m = rx.match(text, p)
            if m is not None:
                found.append(m)
                pos = m.end()
    return found


def _provider_hits(text: str, low: str, exotic: bool, out: list[_Hit]) -> None:
    for i in _provider_todo(text, low, exotic):
        rule = SECRET_RULES[i]
        grouped = _GROUPED[i]
        finders = _rule_finders(i)
        if finders is None or exotic:
            matches: Iterable[re.Match[str]] = rule.regex.finditer(text)
        else:
            matches = _lead_matches(rule.regex, text, low, finders)
        for m in matches:
            s, e = m.span("s") if grouped else m.span()
            value = text[s:e]
            body = value[rule.body_start :]
            if not _random_enough(body, rule.min_entropy):
                continue
            if rule.entity_type == "PASSWORD" and is_placeholder(value):
                continue  # .netrc "password changeme"
            if grouped and _HEX_32_64.fullmatch(value) and _HASH_CONTEXT.search(text[max(0, s - 40) : s]):
                continue
            out.append((s, e, rule.entity_type, rule.score, rule.id, False))


# ---------------------------------------------------------------------------------------------
# Structural rules
# ---------------------------------------------------------------------------------------------
_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?)-----")
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=\s\\:,.\-]{0,65536}")
_PUTTY = re.compile(
    r"PuTTY-User-Key-File-\d: [^\n]{1,100}\n(?:[^\n]{0,300}\n){0,6}?Private-Lines: \d{1,3}\n(?:[A-Za-z0-9+/=]{1,100}\n){1,200}(?:Private-MAC: [0-9a-f]{1,128})?"
)


def _pem_hits(text: str, out: list[_Hit]) -> None:
    if "PRIVATE KEY" in text:
        next_end: dict[str, int] = {}  # label -> position of its next END marker (-1: none left)
        covered = -1
        for m in _PEM_BEGIN.finditer(text):
            if m.start() < covered:
                continue  # a BEGIN line inside a block already reported
            end_marker = f"-----END {m.group(1)}-----"
            end = next_end.get(end_marker, -2)
            if end == -2 or 0 <= end < m.end():
                end = text.find(end_marker, m.end())
                next_end[end_marker] = end
            if end >= 0:
                covered = end + len(end_marker)
                out.append((m.start(), covered, "PRIVATE_KEY", 1.0, "private-key-block", False))
            else:
                # Truncated block (a paste cut short): fail closed over the base64 body that follows.
                b = _PEM_BODY.match(text, m.end())
                stop = b.end() if b else m.end()
                while stop > m.end() and text[stop - 1] in " \t\r\n":
                    stop -= 1
                covered = max(stop, m.end())
                out.append((m.start(), covered, "PRIVATE_KEY", 0.95, "private-key-block", False))
    if "PuTTY-User-Key-File" in text:
        for m in _PUTTY.finditer(text):
            out.append((m.start(), m.end(), "PRIVATE_KEY", 1.0, "putty-private-key", False))


_JWT = re.compile(
    r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{2,16000}\.[A-Za-z0-9_-]{0,4000}(?![A-Za-z0-9_-])"
)


def _b64url_json(seg: str) -> object:
    try:
        raw = base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def _jwt_hits(text: str, low: str, exotic: bool, out: list[_Hit]) -> None:
    if "eyJ" not in text:
        return
    for m in _scan(_JWT, text, low, exotic):
        header = _b64url_json(m.group().split(".", 1)[0])
        if isinstance(header, dict) and "alg" in header:
            out.append((m.start(), m.end(), "JWT", 0.95, "jwt", False))


# Password inside a URL's userinfo: the last '@' before the host wins (passwords may hold '@', and
# so may the user: ``postgres://a@b.com:pw@db``, whose address the email rule reports).
_URL_CRED = re.compile(
    r"://(?P<user>[^\s:/?#\[\]\"'<>]{0,256}):(?P<pw>[^\s/\"'<>]{1,256})@(?=[A-Za-z0-9\[._-])"
)


_PORT_THEN_PARAMS = re.compile(r"\d{1,5}[;?&]|[^@]*;[A-Za-z][\w.-]{0,40}=")


def _url_hits(text: str, out: list[_Hit]) -> None:
    if "://" not in text:
        return
    for m in _URL_CRED.finditer(text):
        pw = m.group("pw")
        s = m.start("pw")
        if pw.isdigit() and not m.group("user"):
            continue  # ://:8080@ is a port, not a password
        if _PORT_THEN_PARAMS.match(pw):
            # "jdbc:sqlserver://db:1433;database=erp;user=svc@db;password=...": a port and the
            # driver's ;key=value properties (the '@' is the Azure user@server); the password is
            # the password= value, which the assignment rules find.
            continue
        if is_placeholder(pw) or (pw.startswith("%") and pw.endswith("%")):
            continue
        out.append((s, s + len(pw), "PASSWORD", 0.9, "url-credentials", True))


_AUTH_HEADER = re.compile(
    r"(?i:authorization|proxy-authorization|auth)[\"']?\s{0,3}[:=]\s{0,3}[\"']?"
    r"(?P<scheme>Bearer|Basic|Token|Bot|SSWS|Splunk|ApiKey|GenieKey|token|bearer|basic)\s{1,3}(?P<s>[A-Za-z0-9._~+/=:-]{6,4000})"
)
_BEARER = re.compile(r"(?<![A-Za-z0-9])(?i:bearer)\s{1,3}(?P<s>[A-Za-z0-9._~+/-]{16,4000}={0,2})")
_COOKIE = re.compile(r"(?i)(?<![A-Za-z-])(?:set-)?cookie[\"']?\s{0,3}:\s{0,3}(?P<v>[^\n]{1,4000})")
# A cookie header quoted inside JSON or code ends at the quote: '"Cookie": "sid=abc; csrf=[Filtered]"}'.
_COOKIE_PAIR = re.compile(r"(?P<n>[A-Za-z0-9_.$-]{1,64})=\"?(?P<v>[^;,\s\"]{1,4000})")
_SESSION_NAME = re.compile(
    r"(?i)sess|sid$|^sid|auth|token|jwt|remember|login|csrf|xsrf|identity|^_?_host-|^_?_secure-"
)


def _header_hits(text: str, low: str, exotic: bool, out: list[_Hit]) -> None:
    # Each pattern needs its own word ("auth" is inside every Authorization spelling).
    seen: set[int] = set()
    if "auth" in low:
        verdicts: dict[str, tuple[bool, bool]] = {}  # value -> (placeholder, token-like); this call only
        for m in _scan(_AUTH_HEADER, text, low, exotic):
            v = m.group("s").rstrip(".,\"'")
            s = m.start("s")
            seen.add(s)
            verdict = verdicts.get(v)
            if verdict is None:
                placeholder = is_placeholder(v)
                tokenish = not placeholder and (_generic_value_ok(v) or (len(v) >= 20 and entropy(v) >= 3.5))
                verdict = verdicts[v] = (placeholder, tokenish)
            if verdict[0]:
                continue
            if m.group("scheme").lower() == "basic":
                out.append((s, s + len(v), "BASIC_AUTH", 0.9, "http-basic-auth", True))
            elif verdict[1]:
                out.append((s, s + len(v), "BEARER_TOKEN", 0.9, "http-authorization", True))
    if "bearer" in low:
        for m in _scan(_BEARER, text, low, exotic):
            s = m.start("s")
            v = m.group("s").rstrip(".,")
            if s in seen or is_placeholder(v) or entropy(v) < 3.0:
                continue
            out.append((s, s + len(v), "BEARER_TOKEN", 0.85, "bearer-token", True))
    if "cookie" in low:
        for m in _scan(_COOKIE, text, low, exotic):
            base = m.start("v")
            for p in _COOKIE_PAIR.finditer(m.group("v")):
                name, v = p.group("n"), p.group("v")
                if not _SESSION_NAME.search(name) or len(v) < 8 or is_placeholder(v) or entropy(v) < 2.5:
                    continue
                s = base + p.start("v")
                out.append((s, s + len(v), "SESSION_TOKEN", 0.85, "cookie-session", True))


# key = value assignments.  Anchored on the credential word so ordinary text costs little.
_ASSIGN = re.compile(
    r"(?i:pass|pwd|pw|secret|token|key|credential|auth|bearer)(?P<suf>[A-Za-z0-9_.-]{0,30})[\"']?\]?\s{0,3}"
    r"(?P<sep>:=|=>|=|:|\s(?i:is|was)\s{1,3}:?)\s{0,3}"
    r"(?:(?P<q>[\"'`])(?P<qv>[^\"'`\n]{1,300}?)(?P=q)|(?P<v>[^\s\"'`,;<>]{1,300}))"
)
_ASSIGN_LOW = re.compile(
    _ASSIGN.pattern.replace(
        "(?i:pass|pwd|pw|secret|token|key|credential|auth|bearer)",
        "(?:pass|pwd|pw|secret|token|key|credential|auth|bearer)",
        1,
    )
)
assert _ASSIGN_LOW.pattern != _ASSIGN.pattern
_LOWER_IDENT = re.compile(r"[a-z_]+")
_PREV_WORD = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,20}$")
_KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_LAST_WORD_EXCLUDE = frozenset(
    """hash length len min max count type url uri endpoint expires expiry expiration expire ttl timeout
    file path dir name id policy reset forgot hint prompt field label placeholder header param params
    enabled required regex pattern format version limit usage size prefix env sha sha1 sha256 checksum
    etag digest md5 fingerprint input output counter budget strength rotation algorithm alg mode method
    location manager provider source ref arn tokens keys secrets passwords credentials store path kind
    class schema column index lifetime age validity at time date created updated rule rules flag
    mgr handler callback widget form validator hasher helper box dialog button""".split()
)
_ANY_WORD_EXCLUDE = frozenset(
    """public pub primary foreign sort partition cache idempotency passport passenger passage bypass
    compass passive passthrough tokenizer keyboard keyword keywords hotkey monkey turkey keynote
    keystore keyspace max min num""".split()
)
_PASSWORD_WORDS = ("password", "passwd", "passphrase", "passcode", "pwd", "pword")
_SECRET_WORDS = ("token", "secret", "apikey", "credential", "bearer", "accesskey", "privatekey", "secretkey")
_KEY_QUALIFIERS = frozenset(
    """api access private secret auth signing encryption master client app service account storage
    subscription license admin consumer webhook session x shared encrypt hmac jwt crypto root""".split()
)


def _classify_key(key: str) -> str | None:
    if _UPPER_ASCII.search(key) and _LOWER_OR_DIGIT_ASCII.search(key):
        key = _CAMEL.sub("_", key)  # every camelCase boundary has a capital and a lower/digit
    words = [w for w in _WORD_SPLIT.split(key.lower()) if w]
    if not words or words[-1] in _LAST_WORD_EXCLUDE or not _ANY_WORD_EXCLUDE.isdisjoint(words):
        return None
    if words[-1] in ("pass", "pw") or any(w.endswith(_PASSWORD_WORDS) for w in words):
        return "PASSWORD"
    if any(w.endswith(_SECRET_WORDS) or w.startswith(_SECRET_WORDS) for w in words):
        return "GENERIC_SECRET"
    for a, b in itertools.pairwise(words):
        if b == "key" and a in _KEY_QUALIFIERS:
            return "GENERIC_SECRET"
    if words[-1] == "auth" or words == ["sig"]:
        return "GENERIC_SECRET"
    return None


def _assignment_hits(
    text: str, low: str, exotic: bool, out: list[_Hit], covered: dict[int, int] | None = None
) -> None:
    # On the lower-cased text the credential words are plain literals, which lets the regex engine
    # skip to their first letters instead of trying a case-folded alternation at every position.
    # Spans are the same as on ``text`` (one char per char); values are read from ``text``.
    # Key names repeat within a text (.env files, logs); classify each once per call.  The cache
    # lives only for this call, so no text outlives it.
    classified: dict[str, str | None] = {}
    accepted: dict[tuple[str, bool, bool], bool] = {}  # (value, password?, prose?) -> passes
    for m in _ASSIGN.finditer(text) if exotic else _ASSIGN_LOW.finditer(low):
        mstart = m.start()
        # Start of the key: the run of key characters (at most 60) ending at the match, or
        # ending at a newline just before it -- what ``[A-Za-z0-9_.-]{0,60}$`` searched over
        # that window finds, computed with one rstrip.
        lo = max(0, mstart - 60)
        window = text[lo:mstart]
        if window.endswith("\n"):
            window = window[:-1]
        kstart = lo + len(window.rstrip(_KEY_CHARS))
        key = text[kstart : m.end("suf")]
        etype = classified[key] if key in classified else classified.setdefault(key, _classify_key(key))
        if etype is None and kstart > 1 and text[kstart - 1] == " ":
            # Prose labels with a space: "API key: ...", "Secret Key: ...", "access token: ..."
            prev = _PREV_WORD.search(text, max(0, kstart - 22), kstart - 1)
            if prev:
                key = prev.group() + "_" + key
                etype = (
                    classified[key] if key in classified else classified.setdefault(key, _classify_key(key))
                )
        if etype is None:
            continue
        sep_start, sep_end = m.span("sep")
        sep = text[sep_start:sep_end]
        quoted = m.start("q") >= 0
        prose = sep.strip().lower().startswith(("is", "was"))
        # A bare "pass:" / "pw:" is as likely prose ("callers pass: dicts") as a key.
        prose = prose or key.strip().lower() in ("pass", "pw")
        if quoted:
            qs, qe = m.span("qv")
            qv = text[qs:qe]
            v = qv.strip()
            s = qs + (len(qv) - len(qv.lstrip()))
        else:
            s, ve = m.span("v")
            v = text[s:ve]
            if "\\" in v:
                for esc in ("\\n", "\\r", "\\t", '\\"'):
                    cut = v.find(esc)
                    if cut >= 0:
                        v = v[:cut]
            if kstart > 0 and text[kstart - 1] in "?&":
                v = v.split("&", 1)[0]
            v = v.rstrip(".)]}")
            if "(" in v or "[" in v or "{" in v:
                continue  # a call, subscript or literal in code: not a value
            if prose:
                v = v.rstrip("!?")
        if not quoted and _TYPE_HINT.fullmatch(v):
            continue  # token: JiraOauth2Token (a type annotation)
        if not quoted and (v.isalpha() or _LOWER_IDENT.fullmatch(v or "-")):
            # Unquoted letters only: a variable (password = auth) or prose (password: Available when).
            after = text[s + len(v) : s + len(v) + 2]
            code_sep = sep == "=" and text[sep_start - 1 : sep_start] == " "
            if code_sep or (after[:1] == " " and after[1:2].isalpha()) or "_" in v:
                continue
        if v == key or v == key.strip("-_"):
            continue  # keyword argument passed through: f(secret=secret)
        if covered and covered.get(s, -1) >= s + len(v):
            continue  # a provider format already reports this value
        check = (v, etype == "PASSWORD", prose)
        ok = accepted.get(check)
        if ok is None:
            ok = accepted[check] = _password_ok(v, strict=prose) if check[1] else _generic_value_ok(v)
        if not ok:
            continue
        out.append(
            (s, s + len(v), etype, 0.85 if etype == "PASSWORD" else 0.75, "credential-assignment", True)
        )


# Command lines, SQL and XML: places where a password follows a flag or tag rather than "=".
_CLI_FLAG = re.compile(
    r"-(?<![\w-]-)-?(?i:password|passwd|pass|token|api-key|apikey|secret|client-secret|auth-token|access-token)"
    r"(?:=| {1,3})(?:'(?P<sq>[^'\n]{3,200})'|\"(?P<dq>[^\"\n]{3,200})\"|(?P<s>[^\s'\"]{3,200}))"
)
_MYSQL_P = re.compile(
    r"(?i:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]{0,120}?\s-p(?P<s>[^\s'\"-][^\s'\"]{2,100})"
)
_CURL_USER = re.compile(
    r"(?i:curl|wget|http)\b[^\n]{0,200}?\s(?:-u|--user|--http-password|--password)[ =]['\"]?"
    r"(?:[^\s:'\"]{1,100}:)?(?P<s>[^\s'\"]{3,200})"
)
_SQL_PW = re.compile(
    r"(?i:identified\s{1,3}by|with\s{1,3}(?:encrypted\s{1,3})?password|\bpassword)\s{1,3}'(?P<s>[^'\n]{1,200})'"
)
_XML_PW = re.compile(
    r"<(?P<tag>[\w:.-]{0,40}(?i:password|passwd|secret|token|api[_-]?key|apikey)[\w.-]{0,20})(?:\s[^>]{0,200})?>"
    r"(?P<s>[^<\n]{1,300})</(?P=tag)>"
)


def _extra_hits(text: str, low: str, exotic: bool, out: list[_Hit]) -> None:
    pats: list[tuple[re.Pattern[str], str]] = []
    if "-" in text and ("pass" in low or "token" in low or "key" in low or "secret" in low):
        pats.append((_CLI_FLAG, "cli-flag"))
    if "mysql" in low or "mariadb" in low:
        pats.append((_MYSQL_P, "mysql-cli"))
    if ("curl" in low or "wget" in low or "http" in low) and (
        "-u" in low or "--user" in low or "password" in low
    ):
        pats.append((_CURL_USER, "cli-user"))
    if "'" in text and ("identified" in low or "password" in low):
        pats.append((_SQL_PW, "sql-password"))
    if "</" in text:
        pats.append((_XML_PW, "xml-credential"))
    for pat, rid in pats:
        for m in _scan(pat, text, low, exotic):
            grp = next((g for g in ("s", "sq", "dq") if g in pat.groupindex and m.group(g) is not None), None)
            if grp is None:
                continue
            v, s = m.group(grp), m.start(grp)
            if rid == "xml-credential":
                etype = _classify_key(m.group("tag")) or "GENERIC_SECRET"
            elif rid == "cli-flag":
                flag = m.group(0).split("=", 1)[0].split(" ", 1)[0].lower()
                etype = "PASSWORD" if "pass" in flag else "GENERIC_SECRET"
            else:
                etype = "PASSWORD"
            ok = _password_ok(v, strict=rid == "cli-flag") if etype == "PASSWORD" else _generic_value_ok(v)
            if ok:
                out.append((s, s + len(v), etype, 0.8, rid, True))


# Tool command lines whose password flag is a bare "-p"/"-P"/"-w" (ambiguous on its own: mkdir -p,
# docker run -p 8080:80) or a positional argument, so each is tied to its tool.  The value groups
# are the same as ``_CLI_FLAG``'s: sq/dq quoted, s bare (a bare value never starts with "-").
_TOOL_VALUE = (
    r"""(?:'(?P<sq>[^'\n]{1,200})'|"(?P<dq>[^"\n]{1,200})"|(?P<s>[^\s'"|;&<>-][^\s'"|;<>]{0,199}))"""
)
_QUOTED_VALUE = r"""(?:'(?P<sq>[^'\n]{1,200})'|"(?P<dq>[^"\n]{1,200})")"""
_LOGIN_TOOLS = (
    r"(?:docker|podman|nerdctl|buildah|skopeo|oras|crane|helm(?:\s{1,3}registry)?|oc|az|cf|ibmcloud|cosign)"
)
# (tier, gate words (one must be in the lower-cased text), regex, rule id, strict password check).
# Tiers are cheap substring tests every text pays once: "cli" needs " -" or "/p:", "pipe" a "|",
# "net" "net use", "oracle" a "/" and an Oracle tool name, "rabbit" "rabbitmqctl".
_TOOL_PW: tuple[tuple[str, tuple[str, ...], re.Pattern[str], str, bool], ...] = (
    (
        "cli",
        ("login",),
        re.compile(
            rf"(?i:(?<![\w-]){_LOGIN_TOOLS}(?:\s{{1,3}}acr)?\s{{1,3}}login)\b[^\n|;&]{{0,200}}?\s"
            rf"(?:-p|--password|--passwd)(?:=|\s{{1,3}}){_TOOL_VALUE}"
        ),
        "cli-login",
        False,
    ),
    (
        "cli",
        ("sshpass",),
        re.compile(rf"(?i:(?<![\w-])sshpass)[^\n|;&]{{0,80}}?\s-p\s{{0,3}}{_TOOL_VALUE}"),
        "sshpass",
        False,
    ),
    (
        "cli",
        ("htpasswd",),
        # htpasswd -b[c|m|B|...] [-C cost] file user PASS, or -nb user PASS (no file)
        re.compile(
            r"(?i:(?<![\w-])htpasswd)\s{1,3}-(?P<flags>[A-Za-z]{0,6}b[A-Za-z]{0,6})"
            r"(?:\s{1,3}-[A-Za-z]{1,3}(?:\s{1,3}\d{1,3})?){0,3}"
            r"\s{1,3}(?P<a1>[^\s'\"|;&]{1,200})\s{1,3}(?P<a2>[^\s'\"|;&]{1,200})"
            rf"(?:\s{{1,3}}{_TOOL_VALUE})?"
        ),
        "htpasswd",
        False,
    ),
    (
        "cli",
        ("stdin", "sudo"),
        # echo PASS | docker login --password-stdin, | sudo -S, | passwd --stdin
        re.compile(
            rf"(?i:(?<![\w-])(?:echo|printf))(?:\s{{1,3}}-[neE]{{1,3}})?\s{{1,3}}{_TOOL_VALUE}\s{{0,3}}\|\s{{0,3}}"
            rf"(?:(?i:sudo)\s{{1,3}}-S\b|(?:(?i:sudo)\s{{1,3}})?(?:(?i:{_LOGIN_TOOLS}(?:\s{{1,3}}acr)?\s{{1,3}}login)\b[^\n|;&]{{0,200}}?--password-stdin"
            rf"|(?i:passwd)\b[^\n|;&]{{0,60}}?--stdin))"
        ),
        "stdin-password",
        False,
    ),
    (
        "cli",
        (
            "redis-cli",
            "ldap",
            "sqlcmd",
            "bcp",
            "mongo",
            "-pass",
            "storepass",
            "keypass",
            "smbclient",
            "/p:",
            "zip",
            "7z",
            "ssh-keygen",
            "openssl",
            "psexec",
            "paexec",
        ),
        re.compile(
            r"(?:(?<![\w-])(?i:redis-cli)[^\n|;&]{0,120}?\s-a"
            r"|(?<![\w-])(?i:ldapsearch|ldapmodify|ldapadd|ldapdelete|ldappasswd|ldapwhoami)[^\n|;&]{0,200}?\s-w"
            r"|(?<![\w-])(?i:sqlcmd|bcp)[^\n|;&]{0,200}?\s-P"
            r"|(?<![\w-])(?i:mongo|mongosh|mongodump|mongorestore|mongoexport|mongoimport)[^\n|;&]{0,200}?\s-p"
            r"|\s-pass(?:in|out)?\s{1,3}pass:"
            r"|\s-(?i:storepass|keypass|srcstorepass|deststorepass|srckeypass|destkeypass)"
            r"|(?<![\w-])(?i:smbclient)[^\n|;&]{0,200}?\s(?:-U|--user)[= ]{1,3}[^\s%'\"]{1,100}%"
            r"|(?<![\w-])(?i:xfreerdp|wlfreerdp|sdl-freerdp)[^\n|;&]{0,200}?\s/p:"
            r"|(?<![\w-])(?i:zip|unzip)\b[^\n|;&]{0,200}?\s-P\s"
            r"|(?<![\w-])(?i:7z|7za|7zr)\b[^\n|;&]{0,200}?\s-p(?=\S)"
            r"|(?<![\w-])(?i:ssh-keygen)[^\n|;&]{0,200}?\s-[NP]\s"
            r"|(?<![\w-])(?i:openssl)\b[^\n|;&]{0,200}?\s-k\s"
            r"|(?<![\w-])(?i:psexec|paexec)(?i:\.exe)?\b[^\n|;&]{0,200}?\s-p\s)"
            rf"\s{{0,3}}{_TOOL_VALUE}"
        ),
        "cli-tool-password",
        False,
    ),
    (
        "cli",
        ("passphrase",),
        re.compile(rf"(?<![\w-])--(?i:passphrase)(?:=|\s{{1,3}}){_TOOL_VALUE}"),
        "cli-passphrase",
        False,
    ),
    (
        "cli",
        ("mysql", "mariadb"),
        # -p'quoted' (the bare form is _MYSQL_P's)
        re.compile(rf"(?i:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]{{0,120}}?\s-p{_QUOTED_VALUE}"),
        "mysql-cli",
        False,
    ),
    (
        "cli",
        ("lftp",),
        re.compile(
            r"(?<![\w-])(?i:lftp)\b[^\n|;&]{0,200}?\s-u\s{1,3}[^\s,'\"]{1,100},(?P<s>[^\s'\"|;<>]{1,200})"
        ),
        "lftp",
        False,
    ),
    (
        "cli",
        ("securestring",),
        # PowerShell: ConvertTo-SecureString "P@ss" -AsPlainText -Force (quoted literals only)
        re.compile(rf"(?i:convertto-securestring)(?:\s{{1,3}}-(?i:string))?\s{{1,3}}{_QUOTED_VALUE}"),
        "powershell-securestring",
        False,
    ),
    (
        "pipe",
        ("chpasswd",),
        re.compile(
            r"(?<![\w-])(?i:echo|printf)(?:\s{1,3}-[neE]{1,3})?\s{1,3}['\"]?[^\s:'\"|]{1,64}:"
            r"(?P<s>[^\s'\"|]{1,200})['\"]?\s{0,3}\|\s{0,3}(?:(?i:sudo)\s{1,3})?(?i:chpasswd)"
        ),
        "chpasswd",
        False,
    ),
    (
        "net",
        ("net use",),
        # net use [Z:] \\server\share PASS /user:..., net user NAME PASS /add
        re.compile(
            r"(?<![\w-])(?i:net)\s{1,3}(?:(?i:use)\s{1,3}(?:[A-Za-z]:\s{1,3})?\\\\[^\s]{1,200}"
            r"|(?i:user)\s{1,3}[^\s/\"']{1,64})\s{1,3}(?P<s>[^\s/*\"'][^\s\"']{0,127})"
        ),
        "net-use",
        True,
    ),
    (
        "cli",
        ("mysqladmin",),
        # mysqladmin -u root password NEWPASS
        re.compile(rf"(?<![\w-])(?i:mysqladmin)\b[^\n|;&]{{0,200}}?\s(?i:password)\s{{1,3}}{_TOOL_VALUE}"),
        "mysqladmin-password",
        False,
    ),
    (
        "rabbit",
        ("rabbitmqctl",),
        # rabbitmqctl add_user NAME PASS / change_password NAME PASS
        re.compile(
            rf"(?<![\w-])(?i:rabbitmqctl)(?:\s{{1,3}}-[^\n|;&\s]{{1,60}}(?:\s{{1,3}}[^\s-][^\s]{{0,60}})?){{0,3}}"
            rf"\s{{1,3}}(?i:add_user|change_password)\s{{1,3}}[^\s'\"]{{1,64}}\s{{1,3}}{_TOOL_VALUE}"
        ),
        "rabbitmqctl",
        False,
    ),
    (
        "oracle",
        ("sqlplus", "expdp", "impdp", "sqlldr"),
        # sqlplus user/PASS@db (Oracle's connect string)
        re.compile(
            r"(?<![\w-])(?i:sqlplus|expdp|impdp|sqlldr)(?:\s{1,3}-[A-Za-z]{1,2})*\s{1,3}['\"]?"
            r"[\w$#.-]{1,60}/(?P<s>[^\s@/'\"]{1,128})"
        ),
        "sqlplus",
        False,
    ),
)

# HTML: <input type="password" value="...">, <input name="api_key" value="...">, .NET
# <add key="ApiKey" value="...">, data-token="...".
_HTML_INPUT = re.compile(r"<(?i:input|add|param)\b(?P<a>[^<>]{1,1000})>")
_HTML_ATTR = re.compile(
    r"""(?P<n>[A-Za-z_:][\w:.-]{0,60})\s{0,3}=\s{0,3}(?:"(?P<dq>[^"<>]{0,300})"|'(?P<sq>[^'<>]{0,300})'|(?P<u>[^\s"'<>=`]{1,300}))"""
)
_HTML_DATA = re.compile(
    r"""(?<=\s)(?i:data-)(?P<n>[\w.-]{1,60})\s{0,3}=\s{0,3}(?:"(?P<dq>[^"<>]{1,300})"|'(?P<sq>[^'<>]{1,300})')"""
)
# HAR / Postman / form dumps: {"name": "password", "value": "..."}
_JSON_NAME_VALUE = re.compile(
    r"\"(?:name|key)\"\s{0,3}:\s{0,3}\"(?P<n>[^\"\n]{1,60})\"\s{0,3},\s{0,3}"
    r"\"value\"\s{0,3}:\s{0,3}\"(?P<dq>[^\"\n]{1,300})\""
)


def _attr_value(m: re.Match[str]) -> tuple[str, int] | None:
    for g in ("dq", "sq", "u"):
        if g in m.re.groupindex and m.group(g) is not None:
            return m.group(g), m.start(g)
    return None


def _value_ok(v: str, etype: str, strict: bool = False) -> bool:
    return _password_ok(v, strict) if etype == "PASSWORD" else _generic_value_ok(v)


_LOGIN_TOOL_BEFORE = re.compile(rf"(?<![\w-]){_LOGIN_TOOLS}(?:\s{{1,3}}acr)?\s{{1,3}}$")


def _login_matches(rx: re.Pattern[str], text: str, low: str) -> Iterable[re.Match[str]]:
    """``rx.finditer(text)`` for the login rule, tried only where a tool name precedes "login".

    "login" is common in logs; the rule's case-folded tool alternation would otherwise be
    tried at every position of every such text.
    """
    if len(low) != len(text):
        return rx.finditer(text)  # lower() changed lengths: positions would not line up
    found: list[re.Match[str]] = []
    i = low.find("login")
    while i >= 0:
        lo = max(0, i - 40)
        tool = _LOGIN_TOOL_BEFORE.search(low, lo, i)
        if tool is not None:
            m = rx.match(text, tool.start())
            if m is not None:
                found.append(m)
        i = low.find("login", i + 5)
    return found


# Every _TOOL_PW match holds one of its gate words and is shorter than this on either side
# of it (tool name + up to 200 characters of options + a value of at most 202).
_GATE_REACH = 1024


def _gated_matches(
    rx: re.Pattern[str], text: str, low: str, gates: tuple[str, ...]
) -> Iterable[re.Match[str]]:
    """``rx.finditer(text)``, run only in windows around the gate words.

    The rules open with case-folded alternations that ``re`` tries at every position: on
    a 10 MB paste holding every gate word somewhere, that was most of the secret finder's
    time.  Each match contains a gate word and is at most :data:`_GATE_REACH` long, so
    windows of that reach around the gate words find exactly the same matches.
    """
    n = len(text)
    if len(low) != n or n <= 4 * _GATE_REACH:
        return rx.finditer(text)  # short text, or lower() changed lengths: scan it all
    spans: list[tuple[int, int]] = []
    for g in gates:
        i = low.find(g)
        while i != -1:
            spans.append((max(0, i - _GATE_REACH), min(n, i + len(g) + _GATE_REACH)))
            i = low.find(g, i + 1)
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return (m for a, b in merged for m in rx.finditer(text, a, b))


def _tool_value(m: re.Match[str], rid: str) -> tuple[str, int] | None:
    if rid == "htpasswd" and "n" in m.group("flags").lower():
        # -n prints instead of writing a file: the arguments are user and password.
        return m.group("a2"), m.start("a2")
    for g in ("sq", "dq", "s"):
        if g in m.re.groupindex and m.group(g):
            return m.group(g), m.start(g)
    return None


def _tool_hits(text: str, low: str, out: list[_Hit]) -> None:
    """Passwords in tool command lines, HTML forms and name/value dumps (``_TOOL_PW``, ``_HTML_INPUT``)."""
    # A handful of fast substring tests turn most texts away before any regex runs.
    # (single-character tests are memchr-fast; "/" guards the slower multi-character ones)
    slash = "/" in text
    cli = " -" in text or (slash and "/p:" in text)
    pipe = "|" in text
    markup = "<" in text
    pairs = '"value"' in text
    net = "net use" in low
    oracle = slash and ("sqlplus" in low or "dp " in low or "sqlldr" in low)
    rabbit = "rabbitmqctl" in low
    if not (cli or pipe or markup or pairs or net or oracle or rabbit):
        return
    tiers = {"cli": cli, "pipe": pipe, "net": net, "oracle": oracle, "rabbit": rabbit}
    for tier, gates, rx, rid, strict in _TOOL_PW:
        if not tiers[tier] or not any(g in low for g in gates):
            continue
        if rid == "cli-login":
            matches: Iterable[re.Match[str]] = _login_matches(rx, text, low)
        else:
            matches = _gated_matches(rx, text, low, gates)
        for m in matches:
            got = _tool_value(m, rid)
            if got is None:
                continue
            # An "&" inside a bare value is kept (fail closed); trailing ones are "&&" / "&".
            v, s = got[0].rstrip("&"), got[1]
            if _password_ok(v, strict=strict) and not v.startswith("$"):
                out.append((s, s + len(v), "PASSWORD", 0.8, rid, True))
    if markup and ("<input" in low or "<add" in low or "<param" in low):
        for m in _HTML_INPUT.finditer(text):
            attrs: dict[str, tuple[str, int]] = {}
            for a in _HTML_ATTR.finditer(m.group("a")):
                got = _attr_value(a)
                if got is not None:
                    attrs.setdefault(a.group("n").lower(), (got[0], m.start("a") + got[1]))
            value = attrs.get("value")
            if value is None or not value[0]:
                continue
            kind = attrs.get("type", ("", 0))[0].strip().lower()
            if kind == "password":
                etype: str | None = "PASSWORD"
            elif kind in ("", "text", "hidden"):
                etype = next(
                    (
                        e
                        for k in ("name", "id", "key")
                        if k in attrs
                        for e in (_classify_key(attrs[k][0]),)
                        if e
                    ),
                    None,
                )
            else:
                etype = None
            v, s = value
            if etype is not None and _value_ok(v, etype):
                out.append((s, s + len(v), etype, 0.8, "html-input", True))
    if markup and "data-" in low:
        for m in _HTML_DATA.finditer(text):
            etype = _classify_key(m.group("n"))
            got = _attr_value(m)
            if etype is None or got is None:
                continue
            v, s = got
            if _value_ok(v, etype):
                out.append((s, s + len(v), etype, 0.8, "html-data-attribute", True))
    if pairs:
        for m in _JSON_NAME_VALUE.finditer(text):
            etype = _classify_key(m.group("n"))
            v, s = m.group("dq"), m.start("dq")
            if etype is not None and _value_ok(v, etype):
                out.append((s, s + len(v), etype, 0.8, "name-value-pair", True))


# Structural regexes that open with a look-behind or a case-folded word get the same lead-literal
# treatment as the provider rules (patterns with a plain literal prefix are already fast).
_STRUCT_FINDERS: dict[re.Pattern[str], _Finders | None] = {
    rx: _pattern_lead_finders(rx.pattern)
    for rx in (_JWT, _AUTH_HEADER, _BEARER, _COOKIE, _MYSQL_P, _CURL_USER, _SQL_PW)
}


def _scan(rx: re.Pattern[str], text: str, low: str, exotic: bool) -> Iterable[re.Match[str]]:
    """``rx.finditer(text)``, tried only at its lead literals when it has them."""
    finders = _STRUCT_FINDERS.get(rx)
    if finders is None or exotic:
        return rx.finditer(text)
    return _lead_matches(rx, text, low, finders)


# ---------------------------------------------------------------------------------------------
def find_secrets(text: str) -> list[Finding]:
    """All secret findings in ``text``, sorted by start.

    Specific provider formats win over generic assignment/header findings on the same span, and a
    finding wholly inside a larger one is dropped; partial overlaps are left to the engine.
    """
    if not isinstance(text, str):
        raise TypeError(f"find_secrets() needs str, got {type(text).__name__}")
    return [Finding(et, s, e, sc, text[s:e], rid) for et, s, e, sc, rid in find_secret_spans(text)]


def find_secret_spans(text: str, lower: str | None = None) -> list[tuple[str, int, int, float, str]]:
    """:func:`find_secrets` as ``(entity_type, start, end, score, rule_id)`` tuples.

    For callers that keep their own candidate tuples (the detection engine): no
    :class:`Finding` objects are built.  ``lower`` may pass ``text.lower()`` when the caller
    already has it; a string of another length is ignored.
    """
    if not isinstance(text, str):
        raise TypeError(f"find_secret_spans() needs str, got {type(text).__name__}")
    if not text:
        return []
    low = lower if lower is not None and len(lower) == len(text) else text.lower()
    # Non-ASCII letters that case-fold onto ASCII ones (or lower() to two chars) break the
    # lower-cased fast paths; such texts take the exact ones.
    exotic = not text.isascii() and _CASE_EXOTIC.search(text) is not None
    if exotic:
        low = text.lower()
    raw: list[_Hit] = []
    _provider_hits(text, low, exotic, raw)
    # Each structural rule runs only when the literal its regex needs is present.
    if "PRIVATE KEY" in text or "PuTTY-User-Key-File" in text:
        _pem_hits(text, raw)
    if "eyJ" in text:
        _jwt_hits(text, low, exotic, raw)
    if "://" in text:
        _url_hits(text, raw)
    if "auth" in low or "bearer" in low or "cookie" in low:
        _header_hits(text, low, exotic, raw)
    # A generic hit starting where a specific one starts and ending inside it is always dropped
    # below (it sorts after the specific hit or whatever swallowed that), so assignments there
    # skip their value checks.
    covered: dict[int, int] = {}
    for h in raw:
        if not h[5] and covered.get(h[0], -1) < h[1]:
            covered[h[0]] = h[1]
    _assignment_hits(text, low, exotic, raw, covered)
    _extra_hits(text, low, exotic, raw)
    _tool_hits(text, low, raw)
    if not raw:
        return []
    # start asc, longer first, specific before generic: the first of a same-span group wins.
    raw.sort(key=lambda h: (h[0], -(h[1] - h[0]), h[5], -h[3]))
    kept: list[_Hit] = []
    max_end = -1
    for h in raw:
        if h[1] <= h[0]:
            continue
        if h[1] <= max_end and any(k[0] <= h[0] and h[1] <= k[1] for k in kept[-8:]):
            continue  # inside something already kept
        kept.append(h)
        max_end = max(max_end, h[1])
    return [(et, s, e, sc, rid) for s, e, et, sc, rid, _g in kept]
