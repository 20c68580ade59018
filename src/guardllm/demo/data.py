"""The demo's customer table: synthetic people, cards that pass Luhn, an API key in a note.

Every value is invented.  Cards come from issuers' published test ranges so no
real account can match, and the API key has a real provider's shape so the
detector treats it as a secret.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

CUSTOMERS: list[tuple[int, str, str, str, str, float, str]] = [
    (
        1,
        "Maren Okafor",
        "maren.okafor@example.org",
        "+1 415 555 0134",
        "4111 1111 1111 1111",
        1250.00,
        "Prefers email. Integration key sk_live_51HqLyjWDarjtT1zdp7dcXkPq for the billing sync.",
    ),
    (
        2,
        "Teodor Vasquez-Lind",
        "t.vasquez-lind@example.net",
        "+1 212 555 0187",
        "5555 5555 5555 4444",
        0.0,
        "VIP since 2019.",
    ),
    (
        3,
        "Aiyana Brightwater",
        "aiyana.b@example.com",
        "+1 646 555 0199",
        "3782 822463 10005",
        310.50,
        "Called about a double charge; refund issued.",
    ),
    (
        4,
        "Jun-seo Park",
        "junseo.park@example.org",
        "+1 917 555 0110",
        "6011 1111 1111 1117",
        0.0,
        "Asked to be contacted by phone only.",
    ),
]

SCHEMA = """
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    card_number TEXT,
    balance_due REAL NOT NULL DEFAULT 0,
    notes TEXT
);
"""


def create_demo_db(path: str | Path) -> Path:
    """Write the demo table to ``path`` (replacing an earlier demo file) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    # closing(): sqlite3's own context manager commits but leaves the connection open
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executescript(SCHEMA)
        conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)", CUSTOMERS)
    return path


def raw_values() -> list[str]:
    """Every sensitive raw value in the table, for leak checks in tests and in the demo itself."""
    values: list[str] = []
    for _id, name, email, phone, card, _balance, _notes in CUSTOMERS:
        values += [name, email, phone, card]
    values.append("sk_live_51HqLyjWDarjtT1zdp7dcXkPq")
    return values
