"""The entity-type registry: every type name, its group, its token label, and whether it is a secret.

Type names follow Presidio where Presidio has one (``EMAIL_ADDRESS``, ``US_SSN`` ...), so users can
move over without renaming.  The *label* is the short form used inside tokens (``[EMAIL_1]``); it is
always ``[A-Z][A-Z0-9]*`` with single underscores, so a token never looks like natural text.

Secret types are never revealed nor stored by the vault.  ``detect/secrets.py`` registers its own
provider types through :func:`register_type`; a type nobody registered is treated as a secret when its
name says so (``*_KEY``, ``*_TOKEN``, ``*SECRET*``, ``*PASSWORD*``): failing closed is the safe default.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

__all__ = [
    "ALL_TYPES",
    "EntityType",
    "get",
    "group_of",
    "is_secret",
    "label_for",
    "register_type",
]

_LABEL_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
_SECRETISH = re.compile(
    r"(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|WEBHOOK|CONNECTION_STRING|JWT)"
)


@dataclass(frozen=True, slots=True)
class EntityType:
    """One registered entity type."""

    name: str
    group: str
    label: str
    secret: bool = False
    description: str = ""


_LOCK = threading.Lock()
_REGISTRY: dict[str, EntityType] = {}
#: Every registered type name, in registration order (kept in sync by :func:`register_type`).
ALL_TYPES: list[str] = []


def _derive_label(name: str) -> str:
    label = re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")
    label = re.sub(r"_+", "_", label)
    if not label or not label[0].isalpha():
        label = "X" + label if label else "VALUE"
    return label


def register_type(
    name: str,
    *,
    group: str = "secret",
    label: str | None = None,
    secret: bool | None = None,
    description: str = "",
) -> EntityType:
    """Register (or re-register) an entity type; returns its record.

    ``secret`` defaults to ``group == "secret"``.  Labels must match ``[A-Z][A-Z0-9]*(_[A-Z0-9]+)*``.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("entity type name must be a non-empty string")
    lab = label or _derive_label(name)
    if not _LABEL_RE.match(lab):
        raise ValueError(f"invalid token label {lab!r} for entity type {name!r}")
    et = EntityType(name, group, lab, group == "secret" if secret is None else secret, description)
    with _LOCK:
        if name not in _REGISTRY:
            ALL_TYPES.append(name)
        _REGISTRY[name] = et
    return et


def get(entity_type: str) -> EntityType | None:
    """The registered record for ``entity_type``, or ``None``."""
    return _REGISTRY.get(entity_type)


def label_for(entity_type: str) -> str:
    """Short token label for a type (``EMAIL_ADDRESS`` -> ``EMAIL``); derived for unknown types."""
    et = _REGISTRY.get(entity_type)
    return et.label if et is not None else _derive_label(entity_type)


def group_of(entity_type: str) -> str:
    """The group a type belongs to (``contact``, ``financial``, ``secret`` ...)."""
    et = _REGISTRY.get(entity_type)
    if et is not None:
        return et.group
    return "secret" if is_secret(entity_type) else "custom"


def is_secret(entity_type: str) -> bool:
    """True for credentials: never revealed to anyone and never stored.

    Unknown types whose name looks like a credential count as secrets (fail closed).
    """
    et = _REGISTRY.get(entity_type)
    if et is not None:
        return et.secret
    return bool(_SECRETISH.search(entity_type.upper()))


# -- PII -----------------------------------------------------------------------------------------
_PII = [
    ("PERSON", "names", "PERSON", "A person's name"),
    ("EMAIL_ADDRESS", "contact", "EMAIL", "Email address"),
    ("PHONE_NUMBER", "contact", "PHONE", "Telephone or fax number"),
    ("IP_ADDRESS", "contact", "IP", "IPv4 or IPv6 address"),
    ("MAC_ADDRESS", "contact", "MAC", "Hardware (MAC) address"),
    ("URL", "contact", "URL", "URL carrying personal data"),
    ("LOCATION", "location", "ADDRESS", "Street or postal address"),
    ("DATE_TIME", "date", "DOB", "Date of birth or similar personal date"),
    ("CREDIT_CARD", "financial", "CARD", "Payment card number (Luhn-valid)"),
    ("IBAN_CODE", "financial", "IBAN", "International bank account number"),
    ("US_BANK_NUMBER", "financial", "BANK_ACCOUNT", "Bank account number"),
    ("ABA_ROUTING_NUMBER", "financial", "ROUTING", "US bank routing number"),
    ("CRYPTO", "financial", "CRYPTO", "Cryptocurrency wallet address"),
    ("ACCOUNT_NUMBER", "financial", "ACCOUNT", "Customer or account number"),
    ("US_SSN", "government_id", "SSN", "US social security number"),
    ("US_ITIN", "government_id", "ITIN", "US individual taxpayer id"),
    ("US_PASSPORT", "government_id", "PASSPORT", "US passport number"),
    ("US_DRIVER_LICENSE", "government_id", "DRIVER_LICENSE", "US driver's license number"),
    ("UK_NHS", "health", "NHS", "UK NHS number"),
    ("MEDICAL_LICENSE", "health", "MED_LICENSE", "Medical / DEA license number"),
    ("MEDICAL_RECORD_NUMBER", "health", "MRN", "Medical record number"),
    ("HEALTH_PLAN_ID", "health", "HEALTH_PLAN", "Health plan beneficiary number"),
    ("VEHICLE_ID", "government_id", "VIN", "Vehicle identification number"),
    ("LICENSE_PLATE", "government_id", "PLATE", "Vehicle license plate"),
    ("DEVICE_ID", "contact", "DEVICE", "Device identifier or serial number"),
    ("LICENSE_NUMBER", "government_id", "LICENSE", "Certificate or license number"),
]
for _n, _g, _l, _d in _PII:
    register_type(_n, group=_g, label=_l, secret=False, description=_d)

# -- secrets (detect/secrets.py may register more, or re-register these with its own labels) -------
_SECRETS = [
    ("AWS_ACCESS_KEY", "AWS_KEY"),
    ("AWS_SECRET_KEY", "AWS_SECRET"),
    ("GITHUB_TOKEN", "GITHUB_TOKEN"),
    ("GITLAB_TOKEN", "GITLAB_TOKEN"),
    ("SLACK_TOKEN", "SLACK_TOKEN"),
    ("SLACK_WEBHOOK", "SLACK_WEBHOOK"),
    ("STRIPE_KEY", "STRIPE_KEY"),
    ("OPENAI_KEY", "OPENAI_KEY"),
    ("ANTHROPIC_KEY", "ANTHROPIC_KEY"),
    ("GOOGLE_API_KEY", "GOOGLE_KEY"),
    ("AZURE_KEY", "AZURE_KEY"),
    ("AZURE_CONNECTION_STRING", "AZURE_CONN"),
    ("TWILIO_KEY", "TWILIO_KEY"),
    ("SENDGRID_KEY", "SENDGRID_KEY"),
    ("NPM_TOKEN", "NPM_TOKEN"),
    ("PYPI_TOKEN", "PYPI_TOKEN"),
    ("HUGGINGFACE_TOKEN", "HF_TOKEN"),
    ("DATABRICKS_TOKEN", "DATABRICKS_TOKEN"),
    ("JWT", "JWT"),
    ("PRIVATE_KEY", "PRIVATE_KEY"),
    ("PASSWORD", "PASSWORD"),
    ("CONNECTION_STRING", "CONN_STRING"),
    ("GENERIC_SECRET", "SECRET"),
]
for _n, _l in _SECRETS:
    register_type(_n, group="secret", label=_l, secret=True)

del _n, _g, _l, _d
