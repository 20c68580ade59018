"""Which entity type a result column holds: by its name, its source columns, then its values.

A SQL result is the most structured input guardllm sees: the column name says
what a value is even when the value alone says nothing (``name = 'Jun-seo
Park'``).  :func:`classify_name` maps a column name to an entity type;
:func:`classify_by_values` settles a column whose name says nothing when most of
its cells were detected as one type.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

__all__ = ["NAME_TYPES", "classify_by_values", "classify_column", "classify_name", "normalize_column_name"]

# fmt: off
# Whole-name or suffix matches (on snake_case words).  Order matters: first hit wins.
_NAME_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("EMAIL_ADDRESS", ("email", "e_mail", "email_address", "emailaddress", "mail_address", "email_addr")),
    ("US_SSN", ("ssn", "social_security", "social_security_number", "social_security_no", "ssn_number")),
    (
        "CREDIT_CARD",
        ("card", "card_number", "card_no", "card_num", "cc", "cc_number", "cc_num", "credit_card",
         "credit_card_number", "pan", "cardnumber"),
    ),
    (
        "PHONE_NUMBER",
        ("phone", "phone_number", "phone_no", "mobile", "mobile_number", "cell", "cell_phone", "telephone",
         "tel", "fax", "phonenumber"),
    ),
    ("IBAN_CODE", ("iban",)),
    ("US_BANK_NUMBER", ("account_number", "bank_account", "bank_account_number", "acct_number", "acct_no")),
    ("US_PASSPORT", ("passport", "passport_number", "passport_no")),
    ("US_DRIVER_LICENSE", ("driver_license", "drivers_license", "driving_license", "dl_number", "license_number")),
    ("MEDICAL_RECORD_NUMBER", ("mrn", "medical_record_number", "medical_record_no")),
    ("DATE_TIME", ("dob", "date_of_birth", "birth_date", "birthdate", "birthday", "birth_day")),
    ("IP_ADDRESS", ("ip", "ip_address", "ip_addr", "ipaddress", "remote_addr", "client_ip")),
    ("MAC_ADDRESS", ("mac", "mac_address", "mac_addr")),
    (
        "LOCATION",
        ("address", "street", "street_address", "address_line", "address_line1", "address_line_1",
         "address_line2", "address_line_2", "addr", "home_address", "billing_address", "shipping_address",
         "mailing_address", "residence"),
    ),
    (
        "PASSWORD",
        ("password", "passwd", "pwd", "password_hash", "passcode", "pin"),
    ),
    (
        "GENERIC_SECRET",
        ("secret", "api_key", "apikey", "access_token", "refresh_token", "auth_token", "secret_key",
         "private_key", "client_secret", "token_secret"),
    ),
)
# fmt: on
_BY_KEY: dict[str, str] = {key: etype for etype, keys in _NAME_RULES for key in keys}
#: Every entity type :func:`classify_name` can return.  The SQL guardrails restrict a column of
#: such a type unless the tool shows that type raw (``SqlRules.visible_types``, e.g. the
#: subset the policy sets to ``allow``).
NAME_TYPES: frozenset[str] = frozenset({etype for etype, _ in _NAME_RULES} | {"PERSON"})

# "name" alone, or <qualifier>_name where the qualifier says it is a person.
# fmt: off
_PERSON_QUALIFIERS = frozenset(
    {
        "full", "first", "last", "sur", "given", "family", "middle", "maiden", "customer", "client",
        "patient", "employee", "contact", "holder", "card_holder", "cardholder", "person", "owner",
        "account_holder", "display", "legal", "preferred", "user_full", "member", "guest", "applicant",
        "beneficiary", "recipient", "sender", "emergency_contact", "next_of_kin", "doctor", "physician",
    }
)
_PERSON_WHOLE = frozenset(
    {"name", "fullname", "firstname", "lastname", "surname", "cardholder", "card_holder", "forename",
     "given_name", "family_name", "cardholder_name", "holder_name", "account_holder"}
)

# fmt: on
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalize_column_name(name: str) -> str:
    """``customerEmail`` / ``"Customer Email"`` / ``customer-email`` -> ``customer_email``."""
    text = _CAMEL.sub("_", str(name).strip().strip('`"[]'))
    return _NON_WORD.sub("_", text.lower()).strip("_")


def classify_name(name: str) -> str | None:
    """The entity type a column name implies, or ``None``.

    Matches the whole name or its trailing words (``billing_email``,
    ``home_phone``), never a leading word alone: ``email_verified`` is a flag.
    """
    norm = normalize_column_name(name)
    if not norm:
        return None
    if norm in _PERSON_WHOLE:
        return "PERSON"
    if norm.endswith("_name"):
        qualifier = norm[: -len("_name")]
        if qualifier in _PERSON_QUALIFIERS:
            return "PERSON"
    words = norm.split("_")
    for i in range(len(words)):
        suffix = "_".join(words[i:])
        etype = _BY_KEY.get(suffix)
        if etype is not None:
            return etype
    return None


def classify_column(name: str, sources: Iterable[tuple[str, str]] = ()) -> tuple[str | None, str | None]:
    """``(entity_type, evidence)`` from the output name, else from a source column's name.

    ``SELECT email AS contact`` keeps the type of ``customers.email`` via lineage.
    Evidence is ``"name"``, ``"source:<table>.<column>"`` or ``None``.
    """
    etype = classify_name(name)
    if etype is not None:
        return etype, "name"
    found = {}
    for table, column in sources:
        st = classify_name(column)
        if st is not None:
            found.setdefault(st, f"source:{table}.{column}")
    if len(found) == 1:  # an output mixing two sensitive types is left to value detection
        ((etype, evidence),) = found.items()
        return etype, evidence
    return None, None


def classify_by_values(
    cell_types: Sequence[str | None], *, min_cells: int = 2, share: float = 0.6
) -> str | None:
    """A column's type when at least ``share`` of its non-empty cells were each one whole value of it.

    ``cell_types`` has, per non-empty cell, the type of the single entity that
    covered the entire cell, or ``None``.
    """
    if len(cell_types) < min_cells:
        return None
    counts = Counter(t for t in cell_types if t)
    if not counts:
        return None
    etype, n = counts.most_common(1)[0]
    return etype if n / len(cell_types) >= share else None
