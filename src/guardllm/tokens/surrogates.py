"""Realistic, reversible surrogates (policy action ``surrogate``).

A surrogate is a fake value of the same shape as the real one, for prompts that
read better with realistic data.  The n-th surrogate of a type in a scope is a
pure function of ``n`` (the store allocates ``n`` atomically, as for tokens), and
every generator draws from a range that cannot belong to a real person:

=============  ==============================================================
EMAIL_ADDRESS  ``first.last<n>@example.com|net|org`` (RFC 2606 reserved domains)
PHONE_NUMBER   ``(AAA) 555-01NN`` (NANP range reserved for fiction)
CREDIT_CARD    Luhn-valid 16 digits on BIN ``400000`` (issuers' test range, as in
               the ``4000 0000 0000 xxxx`` sandbox cards; never issued to customers)
IBAN_CODE      ``GBkk ZZZZ 0000 00nn nnnn nn``: valid mod-97 checksum, bank code
               ``ZZZZ`` (no UK bank uses it)
PERSON         a first name and a surname from fixed lists (plus a middle initial
               past the list product); names cannot be guaranteed unused, but
               they carry no link to anyone
LOCATION       ``<number> <street> Lane, Anytown|Exampleton`` (placeholder towns)
=============  ==============================================================

Other types fall back to ordinary tokens.  Surrogates are stored in the vault like
tokens and found again by :data:`SURROGATE_RE` on unmask.
"""

from __future__ import annotations

import re
from collections.abc import Callable

FIRST = (
    "Avery",
    "Blake",
    "Casey",
    "Dana",
    "Emery",
    "Finley",
    "Harper",
    "Jordan",
    "Kendall",
    "Logan",
    "Morgan",
    "Parker",
    "Quinn",
    "Reese",
    "Rowan",
    "Sawyer",
    "Skyler",
    "Taylor",
    "Tatum",
    "Wren",
)
LAST = (
    "Ashdown",
    "Brightwater",
    "Calloway",
    "Dunmore",
    "Ellery",
    "Fairbanks",
    "Greenholt",
    "Hollis",
    "Ivers",
    "Kingsley",
    "Lockwood",
    "Marlowe",
    "Northcott",
    "Oakridge",
    "Pembrook",
    "Quimby",
    "Redfern",
    "Stanhope",
    "Thornbury",
    "Westbrook",
)
STREETS = ("Maple", "Cedar", "Willow", "Birch", "Juniper", "Hawthorn", "Aspen", "Linden", "Alder", "Rowan")
TOWNS = ("Anytown", "Exampleton")
_TLDS = ("com", "net", "org")


def luhn_check_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    digits = re.sub(r"\D", "", number)
    return len(digits) > 1 and luhn_check_digit(digits[:-1]) == digits[-1]


def iban_valid(iban: str) -> bool:
    s = re.sub(r"\s", "", iban).upper()
    if len(s) < 15 or not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _name(i: int) -> str:
    f, lname = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
    extra = i // (len(FIRST) * len(LAST))
    if extra:
        return f"{f} {chr(ord('A') + (extra - 1) % 26)}. {lname}"
    return f"{f} {lname}"


def email(n: int) -> str:
    i = n - 1
    return f"{FIRST[i % len(FIRST)].lower()}.{LAST[(i // len(FIRST)) % len(LAST)].lower()}{n}@example.{_TLDS[i % 3]}"


_PHONE_AREAS = 799  # area codes 201..999


def phone(n: int) -> str:
    i = n - 1
    base = f"({201 + (i // 100) % _PHONE_AREAS:03d}) 555-01{i % 100:02d}"
    block = i // (100 * _PHONE_AREAS)
    return f"{base} ext. {block}" if block else base


def card(n: int) -> str:
    body = f"400000{n:09d}"
    full = body + luhn_check_digit(body)
    return " ".join(full[k : k + 4] for k in range(0, 16, 4))


def iban(n: int) -> str:
    bban = f"ZZZZ{n:014d}"
    numeric = "".join(str(int(c, 36)) for c in bban + "GB00")
    check = 98 - int(numeric) % 97
    full = f"GB{check:02d}{bban}"
    return " ".join(full[k : k + 4] for k in range(0, len(full), 4))


def person(n: int) -> str:
    return _name(n - 1)


def address(n: int) -> str:
    i = n - 1
    return f"{100 + i} {STREETS[i % len(STREETS)]} Lane, {TOWNS[(i // len(STREETS)) % len(TOWNS)]}"


GENERATORS: dict[str, Callable[[int], str]] = {
    "EMAIL_ADDRESS": email,
    "PHONE_NUMBER": phone,
    "CREDIT_CARD": card,
    "IBAN_CODE": iban,
    "PERSON": person,
    "LOCATION": address,
}


def generator_for(entity_type: str) -> Callable[[int], str] | None:
    """The surrogate generator for a type, or ``None`` (then the value is tokenized)."""
    return GENERATORS.get(entity_type)


def counter_label(entity_type: str) -> str:
    """Surrogates count separately from tokens of the same type."""
    return f"~{entity_type}"


_FIRST = "|".join(FIRST)
_LAST = "|".join(LAST)
_STREETS = "|".join(STREETS)
_TOWNS = "|".join(TOWNS)
#: Every surrogate shape (tolerating the reformatting models do); linear, no nesting.
SURROGATE_RE = re.compile(
    "|".join(
        [
            rf"(?P<email>\b(?:{_FIRST})\.(?:{_LAST})[0-9]{{1,9}}@example\.(?:com|net|org)\b)",
            r"(?P<phone>(?<![0-9])\(?[2-9][0-9]{2}\)?[ .-]?555[ .-]?01[0-9]{2}(?: ext\. [0-9]{1,6})?(?![0-9]))",
            r"(?P<card>(?<![0-9])4000[ -]?00[0-9]{2}[ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9]))",
            r"(?P<iban>\bGB[0-9]{2} ?ZZZZ ?[0-9]{4} ?[0-9]{4} ?[0-9]{4} ?[0-9]{2}\b)",
            rf"(?P<address>\b[0-9]{{3,9}} (?:{_STREETS}) Lane, (?:{_TOWNS})\b)",
            rf"(?P<person>\b(?:{_FIRST}) (?:[A-Z]\. )?(?:{_LAST})\b)",
        ]
    ),
    re.IGNORECASE,
)


_STARTERS = tuple(w.lower() for w in (*FIRST, "GB")) + tuple("0123456789(+")


def could_start(text: str) -> bool:
    """Whether a multi-word surrogate could begin at the start of ``text``."""
    head = text.lstrip()[:8].lower()
    return bool(head) and any(head.startswith(s) or s.startswith(head) for s in _STARTERS)


def canonical_surrogate(match: re.Match[str]) -> str:
    """The stored form of a matched surrogate (undoing case and separator changes)."""
    kind = match.lastgroup
    text = match.group(0)
    if kind == "email":
        return text.lower()
    if kind == "phone":
        main, _, ext = text.partition(" ext. ")
        d = re.sub(r"\D", "", main)
        return f"({d[:3]}) {d[3:6]}-{d[6:10]}" + (f" ext. {ext}" if ext else "")
    if kind == "card":
        d = re.sub(r"\D", "", text)
        return " ".join(d[k : k + 4] for k in range(0, 16, 4))
    if kind == "iban":
        s = re.sub(r"\s", "", text).upper()
        return " ".join(s[k : k + 4] for k in range(0, len(s), 4))
    # names and addresses: restore the generator's capitalisation word by word
    return " ".join(
        w[:1].upper() + w[1:].lower() if not w.endswith(".") else w.upper() for w in text.split(" ")
    )


__all__ = [
    "GENERATORS",
    "SURROGATE_RE",
    "address",
    "canonical_surrogate",
    "card",
    "could_start",
    "counter_label",
    "email",
    "generator_for",
    "iban",
    "iban_valid",
    "luhn_check_digit",
    "luhn_valid",
    "person",
    "phone",
]
