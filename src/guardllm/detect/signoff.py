"""One-word names after a closing line: ``Warmly,\\nRose``, ``Best,\\nTomás``, ``Cheers -- Jin``.

A support agent or a customer signs with a first name, and many first names are everyday words
(Rose, River, Chase, Hope) that the general one-word rules refuse.  The place is the evidence here:
a single capitalised word *alone on the line* right after a sign-off is the signer, whatever the
word; on the same line as the sign-off ("Thanks, Sunny" at the end of a comment) the word must end
the text, the line or the quoted string, and be a known given name or no everyday word.  Teams,
roles and stop words never pass ("Thanks,\\nSupport Team", "Regards,\\nThe Billing Team").
"""

from __future__ import annotations

import re

from guardllm.detect import context, names

__all__ = ["find_signoff_names"]

Cand = tuple[str, int, int, float, str]

# Lower-case gates: the sign-off regex runs only when one of these is in the text.
_GATES = (
    "thank",
    "regard",
    "cheers",
    "best",
    "warm",
    "sincerely",
    "yours",
    "cordially",
    "respectfully",
    "take care",
    "talk soon",
    "ta,",
    "ta!",
)
_SIGNOFF = re.compile(
    r"(?im)(?:^|(?<=[.!?][ \t])|(?<=\\n))[ \t]*(?:warmly|warm(?:est)?[ \t]+(?:regards|wishes)|best(?:[ \t]+(?:regards|wishes))?"
    r"|kind(?:est)?[ \t]+regards|regards|cheers|thanks(?:[ \t]+(?:again|so[ \t]+much|a[ \t]+lot))?|thank[ \t]+you"
    r"|many[ \t]+thanks|sincerely|yours(?:[ \t]+(?:sincerely|truly))?|cordially|respectfully|take[ \t]+care"
    r"|talk[ \t]+soon|all[ \t]+the[ \t]+best|with[ \t]+thanks|ta)"
    r"(?P<sep>[ \t]*(?:[,!.]|--|—|–|-)?[ \t]*(?:[,!.]|--|—|–|-)?[ \t]*)(?P<nl>(?:\r?\n|\\n)[ \t]*)?"
)
_WORD = re.compile(r"[A-ZÀ-ÖØ-Þ][^\W\d_]{1,30}(?:['’-][^\W\d_]{1,30})?")
# JSON-escaped text writes its line breaks as a backslash and an "n".
_LINE_REST = re.compile(r"[ \t]*(?:\r?\n|$|\\n|\")")
# After the word on the sign-off's own line: the end of the text, the line or a quoted string.
_SAME_LINE_END = re.compile(r"[ \t]*[.!]?[ \t]*(?:\r?\n|$|\"|\\n)")
# Words that sign for a group, not a person.
_GROUP = frozenset(
    "team support staff management everyone all everybody folks guys crew desk office department service "
    "services customer customers billing sales admin administrator helpdesk operations ops the".split()
)


def _not_a_signer(word: str) -> bool:
    f = names._fold(word)
    return context.is_stop(word) or f in _GROUP or f in names._ROLE_WORDS or f in names._ORG_LAST


def find_signoff_names(text: str, lower: str, out: list[Cand]) -> None:
    """Append PERSON candidates for a first name signing after a closing line."""
    if not any(g in lower for g in _GATES):
        return
    given, common, _ = names._lexicons()
    for m in _SIGNOFF.finditer(text):
        q = m.end()
        w = _WORD.match(text, q)
        if w is None:
            continue
        word = w.group()
        if _not_a_signer(word):
            continue
        f = names._fold(word)
        if m.group("nl") is not None:
            # The word is alone on the line right after the sign-off: that place names the signer.
            if _LINE_REST.match(text, w.end()) is None:
                continue
            out.append(("PERSON", w.start(), w.end(), 0.65, "signoff"))
        else:
            sep = m.group("sep")
            if not sep.strip() or sep.strip() == ".":
                continue  # "thanks Ana" mid-sentence and "Best. Paris" are left to the prose rules
            if _SAME_LINE_END.match(text, w.end()) is None:
                continue
            if f in given or not names._is_common(f, common):
                out.append(("PERSON", w.start(), w.end(), 0.6, "signoff"))
