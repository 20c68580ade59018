#!/usr/bin/env python3
"""Generate the held-out detection corpus (``heldout.jsonl``), deterministically.

The development corpus (``../shared/eval/dev.jsonl``) has seven genres written from a
handful of templates.  Tuning against it teaches a detector those templates.  This
generator writes *other* kinds of text -- e-mail threads, chat, meeting notes, CRM and
HR records, clinical SOAP notes, claims, tickets, invoices and shipping labels from
several countries, CSV exports, configs, compose/k8s files, shell history, logs, code,
commit trailers, HTML forms, Markdown tables -- plus negatives, so the same scorer
measures how well detection carries over to text it was not tuned on.

Every span's offsets are computed while the text is assembled (``Doc.v``) and checked
(``text[start:end] == value``) before anything is written.  Each span also carries a
``pattern`` field (ignored by ``score.py``) naming the context it sits in, so misses can
be counted per context ("PERSON after 'attendees were'").

    python bench/heldout/make_corpus.py [--seed 20261129] [--out bench/heldout/heldout.jsonl]
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import string
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------- names
# Real given/family names from many cultures; invented ones come from syllables below.
FIRST = (
    "Dana Tom Priya Marco Aisha Kenji Olusegun Ingrid Mateo Siobhan Thandiwe Dmitri Leilani Farhan "
    "Beatriz Hyun-woo Anouk Emeka Zofia Rangi Catalina Yusuf Margot Tariq Hanne Nkechi Joaquín Mei "
    "Pieter Saoirse Arjun Ewa Kwame Lucía Bogdan Ayesha Henrik Chiamaka Renée Oskar Nadia Tuan Fatou "
    "Giulia Rafael Kalani Sven Amara Wojciech Yara Declan Thu Soo-ah Ibrahim Elodie Matteo Anjali "
    "Jürgen Noor Ciarán Malik Astrid Ngozi Hiroshi Paloma Stellan Zainab Luca Chidi Freya Omar Inés"
).split()
LAST = (
    "Whitfield Raghunathan Bellini Okonkwo Tanaka Adeyemi Lindqvist Herrera O'Sullivan Dlamini Volkov "
    "Kahale Chowdhury Azevedo Park van der Berg Nwosu Kowalczyk Parata Ibáñez Demir Fournier Haddad "
    "Solberg Eze Castillo Zhang de Vries Ní Bhriain Iyer Nowak Mensah Ortega Popescu Siddiqui Hansen "
    "Obi Lefèvre Nyström Haddadi Nguyen Diallo Romano Gonçalves Akana Karlsson Bangura Wiśniewski "
    "Al-Masri Gallagher Pham Jeong Farouk Marchand Esposito Kapoor Hofmann Rahimi McAllister Eriksen "
    "Chukwu Yamamoto Villanueva Åberg Bakr Rossi Onyekachi Torres"
).split()
# multi-token surnames above were split; rebuild the few compound ones explicitly
LAST = [x for x in LAST if x not in ("van", "der", "de", "Ní")] + ["van der Berg", "de Vries", "Ní Bhriain"]
SYL_ON = "b br ch d dr f g gw h j k kh l m n p qu r s sh t th v w y z zh".split()
SYL_NU = "a e i o u ai ea ie ou ay".split()
SYL_CO = ["", "", "n", "r", "l", "s", "th", "nd", "m", "x"]


def invented(rnd: random.Random, syll: tuple[int, int] = (2, 3)) -> str:
    """A pronounceable name that is in no dictionary (checked against the real lists)."""
    while True:
        w = "".join(
            rnd.choice(SYL_ON) + rnd.choice(SYL_NU) + rnd.choice(SYL_CO) for _ in range(rnd.randint(*syll))
        )
        w = w[:12].capitalize()
        if w not in FIRST and w not in LAST and len(w) >= 4:
            return w


class Person:
    def __init__(self, rnd: random.Random):
        self.invented = rnd.random() < 0.2
        if self.invented:
            self.first, self.last = invented(rnd, (1, 2)), invented(rnd)
        else:
            self.first, self.last = rnd.choice(FIRST), rnd.choice(LAST)
        self.full = f"{self.first} {self.last}"
        loc = (
            rnd.choice(
                [
                    f"{self.first}.{self.last}",
                    f"{self.first[0]}{self.last}",
                    f"{self.first}{rnd.randint(1, 99)}",
                ]
            )
            .lower()
            .replace(" ", "")
            .replace("'", "")
        )
        loc = "".join(c for c in _ascii(loc) if c.isalnum() or c in "._-")
        self.email = f"{loc}@{rnd.choice(DOMAINS)}"


DOMAINS = (
    "gmail.com outlook.com proton.me web.de orange.fr libero.it kpnmail.nl telefonica.net fastmail.fm "
    "northwind-legal.co.uk harbourview.health brightwater.io kestrel-logistics.de mapleridge.ca "
    "studio-ombre.fr acmeanalytics.com zephyr-labs.nl corvid.dev"
).split()


def _ascii(s: str) -> str:
    """Strip accents for the e-mail local part (mail systems mostly see ASCII)."""
    s = s.replace("ø", "o").replace("æ", "ae").replace("ß", "ss").replace("ł", "l")
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


# --------------------------------------------------------------------------- values
def luhn_complete(prefix: str, length: int, rnd: random.Random) -> str:
    body = prefix + "".join(rnd.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return body + str((10 - total % 10) % 10)


def card(rnd: random.Random) -> str:
    kind = rnd.choice(["visa", "mc", "amex", "disc"])
    if kind == "amex":
        n = luhn_complete(rnd.choice(["34", "37"]), 15, rnd)
        sep = rnd.choice([" ", "-", ""])
        return sep.join([n[:4], n[4:10], n[10:]])
    n = luhn_complete(
        {"visa": "4", "mc": rnd.choice(["51", "52", "53", "54", "55", "2221"]), "disc": "6011"}[kind], 16, rnd
    )
    sep = rnd.choice([" ", "-", "", " "])
    return sep.join(n[i : i + 4] for i in range(0, 16, 4))


def failing_luhn16(rnd: random.Random) -> str:
    n = luhn_complete("4", 16, rnd)
    return n[:-1] + str((int(n[-1]) + rnd.randint(1, 9)) % 10)


IBAN_BBAN = {  # country: (length of BBAN, builder)
    "DE": lambda r: _d(r, 18),
    "GB": lambda r: r.choice(["NWBK", "BARC", "LOYD", "MIDL"]) + _d(r, 14),
    "FR": lambda r: _d(r, 10) + _a(r, 11) + _d(r, 2),
    "NL": lambda r: r.choice(["ABNA", "INGB", "RABO", "TRIO"]) + _d(r, 10),
    "ES": lambda r: _d(r, 20),
    "IT": lambda r: r.choice(string.ascii_uppercase) + _d(r, 10) + _a(r, 12),
    "BE": lambda r: _d(r, 12),
}


def _d(r: random.Random, n: int) -> str:
    return "".join(r.choice(string.digits) for _ in range(n))


def _a(r: random.Random, n: int) -> str:
    return "".join(r.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def iban(rnd: random.Random, country: str | None = None, grouped: bool | None = None) -> str:
    cc = country or rnd.choice(list(IBAN_BBAN))
    bban = IBAN_BBAN[cc](rnd)
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    check = 98 - int(num) % 97
    s = f"{cc}{check:02d}{bban}"
    assert int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1
    if grouped if grouped is not None else rnd.random() < 0.5:
        s = " ".join(s[i : i + 4] for i in range(0, len(s), 4))
    return s


def ssn(rnd: random.Random, fmt: str | None = None) -> str:
    while True:
        area = rnd.randint(1, 899)
        if area != 666:
            break
    g, s = rnd.randint(1, 99), rnd.randint(1, 9999)
    sep = fmt if fmt is not None else rnd.choice(["-", "-", " ", ""])
    return f"{area:03d}{sep}{g:02d}{sep}{s:04d}"


def passport(rnd: random.Random) -> str:
    return rnd.choice([_d(rnd, 9), rnd.choice("ACEFGHJKLMNPRSTUVWXYZ") + _d(rnd, 8)])


def mrn(rnd: random.Random) -> str:
    return rnd.choice(
        [_d(rnd, 8), f"MRN{_d(rnd, 7)}", _d(rnd, 3) + "-" + _d(rnd, 2) + "-" + _d(rnd, 3), "H" + _d(rnd, 7)]
    )


MONTHS = "January February March April May June July August September October November December".split()


def dob(rnd: random.Random) -> str:
    y, m, d = rnd.randint(1938, 2008), rnd.randint(1, 12), rnd.randint(1, 28)
    return rnd.choice(
        [
            f"{m:02d}/{d:02d}/{y}",
            f"{d} {MONTHS[m - 1]} {y}",
            f"{MONTHS[m - 1]} {d}, {y}",
            f"{y}-{m:02d}-{d:02d}",
            f"{d:02d}.{m:02d}.{y}",
            f"{d:02d}-{MONTHS[m - 1][:3]}-{y}",
        ]
    )


def phone(rnd: random.Random, cc: str | None = None) -> str:
    cc = cc or rnd.choice(["US", "US", "UK", "DE", "FR", "NL", "ES", "IT", "IN", "AU"])
    a = lambda n: _d(rnd, n)  # noqa: E731
    if cc == "US":
        ar = str(rnd.choice([n for n in range(201, 990) if n % 100 != 11]))  # no N11 service codes
        # NANP: area and exchange codes start with 2-9
        a3 = lambda: str(rnd.randint(200, 999))  # noqa: E731
        return rnd.choice(
            [
                f"({ar}) {a3()}-{a(4)}",
                f"{ar}.{a3()}.{a(4)}",
                f"+1 {ar} {a3()} {a(4)}",
                f"{ar}-{a3()}-{a(4)}",
                f"1-{ar}-{a3()}-{a(4)}",
            ]
        )
    if cc == "UK":
        return rnd.choice(
            [f"+44 20 {a(4)} {a(4)}", f"07{a(3)} {a(6)}", f"+44 (0)161 {a(3)} {a(4)}", f"0131 {a(3)} {a(4)}"]
        )
    if cc == "DE":
        return rnd.choice([f"+49 89 {a(7)}", f"030 {a(8)}", f"+49 (0)171 {a(7)}", f"0151-{a(8)}"])
    if cc == "FR":
        return rnd.choice(
            [
                f"+33 1 {a(2)} {a(2)} {a(2)} {a(2)}",
                f"06 {a(2)} {a(2)} {a(2)} {a(2)}",
                f"+33 (0)6 {a(2)} {a(2)} {a(2)} {a(2)}",
            ]
        )
    if cc == "NL":
        return rnd.choice([f"+31 20 {a(3)} {a(4)}", f"06-{a(8)}", f"+31 6 {a(8)}"])
    if cc == "ES":
        return rnd.choice([f"+34 91 {a(3)} {a(2)} {a(2)}", f"6{a(2)} {a(3)} {a(3)}"])
    if cc == "IT":
        return rnd.choice([f"+39 06 {a(4)} {a(4)}", f"+39 3{a(2)} {a(3)} {a(4)}"])
    if cc == "IN":
        return f"+91 {rnd.choice('6789')}{a(4)} {a(5)}"
    return f"+61 4{a(2)} {a(3)} {a(3)}"


def ipv4(rnd: random.Random) -> str:
    return rnd.choice(
        [
            f"{rnd.randint(11, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
            f"10.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
            f"192.168.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
        ]
    )


def ipv6(rnd: random.Random) -> str:
    groups = [f"{rnd.randint(0, 0xFFFF):x}" for _ in range(8)]
    if rnd.random() < 0.5:
        return "2001:db8:" + ":".join(groups[:3]) + "::" + groups[7]
    return ":".join(groups)


def ip(rnd: random.Random) -> str:
    return ipv6(rnd) if rnd.random() < 0.2 else ipv4(rnd)


US_STREETS = "Larkspur Lane|Oak Hollow Drive|Wexford Court|Juniper Street|Cedar Bluff Road|Harmon Avenue|Old Mill Way|Bayview Terrace|Quarry Hill Road|Magnolia Boulevard".split(
    "|"
)
US_CITIES = [
    ("Portland", "OR", "972"),
    ("Austin", "TX", "787"),
    ("Columbus", "OH", "432"),
    ("Madison", "WI", "537"),
    ("Raleigh", "NC", "276"),
    ("Boise", "ID", "837"),
    ("Tucson", "AZ", "857"),
    ("Albany", "NY", "122"),
]
UK = [
    ("Baker Street", "London", "NW1 6XE"),
    ("Deansgate", "Manchester", "M3 4LQ"),
    ("Leith Walk", "Edinburgh", "EH6 8NR"),
    ("Park Row", "Leeds", "LS1 5HD"),
    ("Gloucester Road", "Bristol", "BS7 8AE"),
    ("Mill Lane", "Cambridge", "CB2 1RX"),
    ("Whitechapel Road", "London", "E1 1BY"),
]
DE = [
    ("Hauptstraße", "10115", "Berlin"),
    ("Schillerstraße", "80336", "München"),
    ("Lindenallee", "50968", "Köln"),
    ("Am Sandtorkai", "20457", "Hamburg"),
    ("Königstraße", "70173", "Stuttgart"),
]
FR = [
    ("rue de la Paix", "75002", "Paris"),
    ("avenue Jean Jaurès", "69007", "Lyon"),
    ("boulevard Longchamp", "13001", "Marseille"),
    ("rue Sainte-Catherine", "33000", "Bordeaux"),
]
NL = [
    ("Keizersgracht", "1015 CJ", "Amsterdam"),
    ("Oudegracht", "3511 AR", "Utrecht"),
    ("Witte de Withstraat", "3012 BP", "Rotterdam"),
]
ES = [
    ("Calle de Alcalá", "28014", "Madrid"),
    ("Carrer de Mallorca", "08036", "Barcelona"),
    ("Avenida de la Constitución", "41004", "Sevilla"),
]
IT = [
    ("Via Roma", "00184", "Roma"),
    ("Corso Buenos Aires", "20124", "Milano"),
    ("Via dei Calzaiuoli", "50122", "Firenze"),
]


def address(rnd: random.Random, cc: str | None = None, multiline: bool = False) -> tuple[str, str]:
    """Return (address, country code).  Multi-line addresses keep street and city on separate lines."""
    cc = cc or rnd.choice(["US", "US", "UK", "DE", "FR", "NL", "ES", "IT"])
    sep = "\n" if multiline else ", "
    if cc == "US":
        city, st, z = rnd.choice(US_CITIES)
        unit = rnd.choice(
            ["", "", f" Apt {rnd.randint(1, 40)}{rnd.choice('ABCD')}", f", Suite {rnd.randint(100, 900)}"]
        )
        return (
            f"{rnd.randint(12, 9899)} {rnd.choice(US_STREETS)}{unit}{sep}{city}, {st} {z}{rnd.randint(10, 99)}",
            cc,
        )
    if cc == "UK":
        s, city, pc = rnd.choice(UK)
        return f"{rnd.randint(1, 240)}{rnd.choice(['', '', 'B'])} {s}{sep}{city} {pc}", cc
    if cc == "DE":
        s, pc, city = rnd.choice(DE)
        return f"{s} {rnd.randint(1, 120)}{sep}{pc} {city}", cc
    if cc == "FR":
        s, pc, city = rnd.choice(FR)
        return f"{rnd.randint(1, 90)}{rnd.choice(['', '', ' bis'])} {s}{sep}{pc} {city}", cc
    if cc == "NL":
        s, pc, city = rnd.choice(NL)
        return f"{s} {rnd.randint(1, 400)}{sep}{pc} {city}", cc
    if cc == "ES":
        s, pc, city = rnd.choice(ES)
        return f"{s}, {rnd.randint(1, 150)}{sep}{pc} {city}", cc
    s, pc, city = rnd.choice(IT)
    return f"{s} {rnd.randint(1, 120)}{sep}{pc} {city}", cc


B62 = string.ascii_letters + string.digits


def rs(rnd: random.Random, n: int, alphabet: str = B62) -> str:
    return "".join(rnd.choice(alphabet) for _ in range(n))


def secret(rnd: random.Random, kind: str) -> str:
    if kind == "AWS_ACCESS_KEY":
        return rnd.choice(["AKIA", "AKIA", "ASIA"]) + rs(rnd, 16, string.ascii_uppercase + "234567")
    if kind == "AWS_SECRET_KEY":
        return rs(rnd, 40, B62 + "+/")
    if kind == "GITHUB_TOKEN":
        return rnd.choice(
            [
                f"ghp_{rs(rnd, 36)}",
                f"gho_{rs(rnd, 36)}",
                f"ghs_{rs(rnd, 36)}",
                f"github_pat_{rs(rnd, 22)}_{rs(rnd, 59)}",
            ]
        )
    if kind == "STRIPE_KEY":
        return f"{rnd.choice(['sk_live_', 'rk_live_', 'sk_test_'])}{rs(rnd, rnd.choice([24, 99]))}"
    if kind == "SLACK_TOKEN":
        return f"{rnd.choice(['xoxb', 'xoxp'])}-{_d(rnd, 12)}-{_d(rnd, 13)}-{rs(rnd, 24)}"
    if kind == "SLACK_WEBHOOK":
        return f"https://hooks.slack.com/services/T{rs(rnd, 8, string.ascii_uppercase + string.digits)}/B{rs(rnd, 10, string.ascii_uppercase + string.digits)}/{rs(rnd, 24)}"
    if kind == "OPENAI_KEY":
        return rnd.choice(
            [f"sk-proj-{rs(rnd, 74, B62 + '-_')}{rs(rnd, 2)}", f"sk-{rs(rnd, 20)}T3BlbkFJ{rs(rnd, 20)}"]
        )
    if kind == "ANTHROPIC_KEY":
        return f"sk-ant-api03-{rs(rnd, 93, B62 + '-_')}AA"
    if kind == "GOOGLE_API_KEY":
        return "AIza" + rs(rnd, 35, B62 + "-_")
    if kind == "GITLAB_TOKEN":
        return "glpat-" + rs(rnd, 20, B62 + "-_")
    if kind == "SENDGRID_KEY":
        return f"SG.{rs(rnd, 22, B62 + '-_')}.{rs(rnd, 43, B62 + '-_')}"
    if kind == "TWILIO_KEY":
        return "SK" + rs(rnd, 32, "0123456789abcdef")
    if kind == "NPM_TOKEN":
        return "npm_" + rs(rnd, 36)
    if kind == "HUGGINGFACE_TOKEN":
        return "hf_" + rs(rnd, 34, string.ascii_letters)
    if kind == "JWT":
        hdr = (
            base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()).decode().rstrip("=")
        )
        body = (
            base64.urlsafe_b64encode(
                json.dumps({"sub": _d(rnd, 7), "iat": 1764000000 + rnd.randint(0, 10**6)}).encode()
            )
            .decode()
            .rstrip("=")
        )
        return f"{hdr}.{body}.{rs(rnd, 43, B62 + '-_')}"
    if kind == "PRIVATE_KEY":
        kt = rnd.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY"])
        lines = [rs(rnd, 64, B62 + "+/") for _ in range(rnd.randint(4, 9))] + [
            rs(rnd, rnd.randint(8, 60), B62 + "+/") + "=="
        ]
        return f"-----BEGIN {kt}-----\n" + "\n".join(lines) + f"\n-----END {kt}-----"
    if kind == "PASSWORD":
        return password(rnd)
    raise ValueError(kind)


WORDS = (
    "river maple copper falcon orbit velvet tundra harbor quartz ember lantern cobalt meadow saffron".split()
)


def password(rnd: random.Random) -> str:
    return rnd.choice(
        [
            rs(rnd, rnd.randint(12, 20), B62 + "!#%^*_-"),
            f"{rnd.choice(WORDS).capitalize()}{rnd.choice(WORDS)}{rnd.randint(10, 99)}{rnd.choice('!?#$')}",
            f"{rnd.choice(WORDS)}-{rnd.choice(WORDS)}-{rnd.choice(WORDS)}-{rnd.randint(1, 9)}",
            rs(rnd, 24, B62),
        ]
    )


# --------------------------------------------------------------------------- builder
class Doc:
    """Appends text and records the exact offsets of every labelled value."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.n = 0
        self.spans: list[dict] = []

    def t(self, s: str) -> Doc:
        self.parts.append(s)
        self.n += len(s)
        return self

    def v(self, typ: str, value: str, pattern: str) -> Doc:
        self.spans.append(
            {"start": self.n, "end": self.n + len(value), "type": typ, "value": value, "pattern": pattern}
        )
        return self.t(value)

    def text(self) -> str:
        return "".join(self.parts)


def cased(rnd: random.Random, name: str, p: float = 0.0) -> tuple[str, bool]:
    """Lower-case the name with probability ``p`` (people type names that way in chat)."""
    if rnd.random() < p:
        return name.lower(), True
    return name, False


# --------------------------------------------------------------------------- negatives
COMPANIES = [
    "Brightwater Analytics GmbH",
    "Northwind Traders",
    "Kestrel Logistics",
    "Harbour View Health",
    "Maple Ridge Capital",
    "Zephyr Labs B.V.",
    "Studio Ombre SARL",
    "Corvid Systems",
    "Blue Heron Outfitters",
    "Silver Birch Insurance",
]
EPONYM_COMPANIES = [
    "Morgan Stanley",
    "Goldman Sachs",
    "Wells Fargo",
    "Harley-Davidson",
    "Rolls-Royce",
    "Mercedes-Benz",
    "Louis Vuitton",
    "Johnson & Johnson",
    "Procter & Gamble",
    "Marks & Spencer",
    "Ernst & Young",
    "Dow Jones",
    "Charles Schwab",
    "Hewlett Packard Enterprise",
]
PRODUCTS = [
    "Atlas Pro 14",
    "Nimbus Sync",
    "Quantum Ledger",
    "Falcon Edge Router",
    "Aurora Desk Lamp",
    "Cobalt Series X",
    "Summit Backpack 40L",
    "Harbor Cloud Backup",
    "Redwood CRM",
    "Orion Analytics Suite",
]
CITIES = [
    "Lisbon",
    "Kyoto",
    "Marrakesh",
    "Reykjavik",
    "Buenos Aires",
    "Cape Town",
    "Vancouver",
    "Hanoi",
    "Tbilisi",
    "Valparaíso",
    "Ljubljana",
    "Oaxaca",
]


def uuid(rnd: random.Random) -> str:
    h = rs(rnd, 32, "0123456789abcdef")
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{rnd.choice('89ab')}{h[17:20]}-{h[20:]}"


def sha(rnd: random.Random, n: int = 40) -> str:
    return rs(rnd, n, "0123456789abcdef")


def ts(rnd: random.Random) -> str:
    return f"2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T{rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:{rnd.randint(0, 59):02d}Z"


def money(rnd: random.Random) -> str:
    return rnd.choice(
        [
            f"${rnd.randint(5, 9999)}.{rnd.randint(0, 99):02d}",
            f"€{rnd.randint(5, 9999)},{rnd.randint(0, 99):02d}",
            f"£{rnd.randint(5, 999)}.{rnd.randint(0, 99):02d}",
            f"{rnd.randint(5, 9999)}.{rnd.randint(0, 99):02d} USD",
        ]
    )


def version(rnd: random.Random) -> str:
    return f"{rnd.randint(0, 9)}.{rnd.randint(0, 30)}.{rnd.randint(0, 20)}"


def order_id(rnd: random.Random) -> str:
    return rnd.choice(
        [
            f"ORD-{_d(rnd, 7)}",
            f"#{_d(rnd, 6)}",
            f"INV-2026-{_d(rnd, 5)}",
            f"PO{_d(rnd, 8)}",
            f"SO-{_d(rnd, 4)}-{rs(rnd, 3, string.ascii_uppercase)}",
        ]
    )


# --------------------------------------------------------------------------- genres
def g_email_thread(rnd: random.Random) -> Doc:
    a, b, c = Person(rnd), Person(rnd), Person(rnd)
    d = Doc()
    d.t("From: ").v("PERSON", a.full, "email_header_from").t(" <").v(
        "EMAIL_ADDRESS", a.email, "email_header_angle"
    ).t(">\n")
    d.t("To: ").v("EMAIL_ADDRESS", b.email, "email_header_to").t("\n")
    d.t(f"Subject: Re: {rnd.choice(PRODUCTS)} renewal – {order_id(rnd)}\n\n")
    d.t(rnd.choice(["Hi ", "Hello ", "Dear ", "Hey "])).v("PERSON", b.first, "greeting_first_name").t(",\n\n")
    verb = rnd.choice(["Please email ", "Could you loop in ", "I spoke with ", "Send ", "Can you cc "])
    d.t(f"Thanks for the quick turnaround. {verb}").v("PERSON", c.full, "after_verb:" + verb.strip().lower())
    if verb.startswith("Send"):
        d.t(" the signed copy")
    d.t(rnd.choice([" before Friday", " when you get a chance", " so legal can review", ""]) + ". ")
    d.t(f"The quote of {money(rnd)} still stands until {rnd.choice(MONTHS)} {rnd.randint(1, 28)}.\n\n")
    d.t(rnd.choice(["Best,\n", "Kind regards,\n", "Cheers,\n", "Thanks,\n"]))
    d.v("PERSON", a.full, "signature_name").t("\n")
    d.t(
        rnd.choice(["Account Manager", "Head of Procurement", "Senior Counsel", "Operations Lead"])
        + f" | {rnd.choice(COMPANIES)}\n"
    )
    d.t(rnd.choice(["M: ", "Mobile: ", "Tel ", "t. "])).v("PHONE_NUMBER", phone(rnd), "signature_phone").t(
        "\n"
    )
    if rnd.random() < 0.5:
        adr, _ = address(rnd)
        d.v("STREET_ADDRESS", adr, "signature_address").t("\n")
    d.t("\n")
    day = rnd.choice(["Mon", "Tue", "Wed", "Thu", "Fri"])
    d.t(
        f"On {day}, {rnd.randint(1, 28)} {rnd.choice(MONTHS)[:3]} 2026 at {rnd.randint(8, 18)}:{rnd.randint(10, 59)}, "
    )
    d.v("PERSON", b.full, "quoted_reply_header").t(" <").v("EMAIL_ADDRESS", b.email, "quoted_reply_header").t(
        "> wrote:\n"
    )
    d.t("> Can you confirm the billing contact? Last time it went to ").v(
        "PERSON", c.first, "quoted_first_name_only"
    ).t(".\n")
    d.t("> I'm out next week, reach me on ").v("PHONE_NUMBER", phone(rnd), "quoted_phone").t(" if urgent.\n")
    return d


def g_chat(rnd: random.Random) -> Doc:
    d = Doc()
    ppl = [Person(rnd) for _ in range(3)]
    other = Person(rnd)
    h, m = rnd.randint(8, 17), rnd.randint(0, 50)
    for i, p in enumerate(ppl):
        d.t(f"[{h}:{m + i * 3:02d}] ").v("PERSON", p.full, "chat_display_name").t(": ")
        r = rnd.random()
        if i == 0:
            nm, low = cased(rnd, other.full, 0.4)
            d.t(
                rnd.choice(
                    ["just got off a call with ", "talked to ", "ping ", "has anyone heard back from "]
                )
            )
            d.v("PERSON", nm, "chat_lowercase_name" if low else "chat_name_inline")
            d.t(rnd.choice([" about the refund", "?", " re: the migration", " – she's waiting on us"]) + "\n")
        elif r < 0.35:
            d.t("here's the staging key, rotate after: ").v(
                "OPENAI_KEY", secret(rnd, "OPENAI_KEY"), "chat_pasted_key"
            ).t("\n")
        elif r < 0.55:
            d.t("use ").v("SLACK_TOKEN", secret(rnd, "SLACK_TOKEN"), "chat_pasted_key").t(
                " for the bot for now\n"
            )
        elif r < 0.75:
            d.t("her number is ").v("PHONE_NUMBER", phone(rnd), "chat_phone").t(", email ").v(
                "EMAIL_ADDRESS", other.email, "chat_email"
            ).t("\n")
        else:
            d.t(f"deployed {version(rnd)} to prod, build {sha(rnd, 7)} :tada:\n")
    return d


def g_meeting(rnd: random.Random) -> Doc:
    d = Doc()
    ppl = [Person(rnd) for _ in range(rnd.randint(3, 5))]
    d.t(
        f"# {rnd.choice(['Weekly sync', 'Q3 planning', 'Incident review', 'Vendor kickoff'])} – {rnd.randint(1, 28)} {rnd.choice(MONTHS)} 2026\n\n"
    )
    style = rnd.choice(["list", "prose", "bullets"])
    if style == "list":
        d.t("Attendees: ")
        for i, p in enumerate(ppl):
            d.v("PERSON", p.full, "attendees_colon_list").t(", " if i < len(ppl) - 1 else "\n")
    elif style == "prose":
        d.t(rnd.choice(["Attendees were ", "Present: ", "Joined by "]))
        for i, p in enumerate(ppl):
            sep = ", " if i < len(ppl) - 2 else (" and " if i == len(ppl) - 2 else ".\n")
            d.v("PERSON", p.full, "attendees_were_prose").t(sep)
    else:
        d.t("Attendees:\n")
        for p in ppl:
            d.t("- ").v("PERSON", p.full, "attendees_bullets").t(
                f" ({rnd.choice(['PM', 'Eng', 'Design', 'Legal', 'Finance'])})\n"
            )
    d.t("Apologies: ").v("PERSON", Person(rnd).full, "apologies_line").t("\n\n## Notes\n")
    d.t(f"- {rnd.choice(PRODUCTS)} launch moved to {rnd.choice(MONTHS)}; budget {money(rnd)}.\n")
    d.t("- ").v("PERSON", ppl[0].first, "notes_first_name_subject").t(
        " raised the latency issue in " + rnd.choice(CITIES) + " region.\n"
    )
    d.t("\n## Action items\n")
    d.t("- [ ] @").v("PERSON", ppl[1].full, "action_item_at_mention").t(" to send the deck to ").v(
        "PERSON", Person(rnd).full, "after_verb:send the deck to"
    ).t("\n")
    d.t("- [ ] ").v("PERSON", ppl[-1].full, "action_item_owner").t(": follow up with legal\n")
    return d


def g_crm(rnd: random.Random) -> Doc:
    p = Person(rnd)
    d = Doc()
    d.t(
        f"Opportunity: {rnd.choice(COMPANIES)} – {rnd.choice(PRODUCTS)} ({money(rnd)})\nStage: {rnd.choice(['Discovery', 'Proposal', 'Negotiation'])}\n"
    )
    d.t(f"{rnd.randint(1, 28)}/{rnd.randint(1, 12)}: Called ").v("PERSON", p.full, "crm_called_name")
    d.t(f" ({rnd.choice(['CFO', 'VP Ops', 'procurement', 'IT director'])}) on ").v(
        "PHONE_NUMBER", phone(rnd), "crm_phone"
    ).t(". ")
    d.t(rnd.choice(["He", "She", "They"]) + " wants a pilot in " + rnd.choice(CITIES) + " first. ")
    d.t("Decision maker is ").v("PERSON", Person(rnd).full, "crm_decision_maker").t(", reports to ").v(
        "PERSON", Person(rnd).full, "crm_reports_to"
    ).t(".\n")
    d.t("Follow-up: send pricing to ").v("EMAIL_ADDRESS", p.email, "crm_email").t(" and cc ").v(
        "PERSON", Person(rnd).first, "crm_cc_first_name"
    ).t(".\n")
    if rnd.random() < 0.5:
        adr, _ = address(rnd)
        d.t("HQ: ").v("STREET_ADDRESS", adr, "crm_hq_address").t("\n")
    return d


def g_hr(rnd: random.Random) -> Doc:
    p, e = Person(rnd), Person(rnd)
    d = Doc()
    d.t("EMPLOYEE RECORD – CONFIDENTIAL\n")
    d.t("Name: ").v("PERSON", p.full, "hr_name_field").t(f"    Employee ID: E{_d(rnd, 6)}\n")
    d.t("Date of birth: ").v("DATE_OF_BIRTH", dob(rnd), "hr_dob_field").t("\n")
    d.t(rnd.choice(["SSN: ", "Social Security No.: ", "SSN/TIN: "])).v("US_SSN", ssn(rnd), "hr_ssn_field").t(
        "\n"
    )
    adr, _ = address(rnd, "US")
    d.t("Home address: ").v("STREET_ADDRESS", adr, "hr_home_address").t("\n")
    d.t(
        f"Start date: 2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}   Salary band: L{rnd.randint(3, 7)}\n"
    )
    d.t("Payroll account: ").v("IBAN_CODE", iban(rnd), "hr_payroll_iban").t("\n")
    d.t("Emergency contact: ").v("PERSON", e.full, "hr_emergency_contact").t(
        f" ({rnd.choice(['spouse', 'sister', 'father', 'partner'])}), "
    )
    d.v("PHONE_NUMBER", phone(rnd), "hr_emergency_phone").t("\n")
    if rnd.random() < 0.5:
        d.t("Passport: ").v("US_PASSPORT", passport(rnd), "hr_passport").t(
            f" (exp. 20{rnd.randint(27, 35)})\n"
        )
    d.t("Manager: ").v("PERSON", Person(rnd).full, "hr_manager_field").t("\n")
    return d


SOAP_A = [
    "Community-acquired pneumonia, improving.",
    "Type 2 diabetes, suboptimally controlled.",
    "Acute lumbar strain.",
    "Migraine without aura.",
    "Essential hypertension.",
    # eponyms: people's names that are not patients' names
    "Bell's palsy, left side; House-Brackmann grade II.",
    "Suspected Crohn's disease; Hashimoto thyroiditis stable.",
    "Early Parkinson disease, Hoehn and Yahr stage 1.",
]


def g_soap(rnd: random.Random) -> Doc:
    p = Person(rnd)
    d = Doc()
    age = rnd.randint(19, 88)
    d.t(f"{rnd.choice(['Clinic note', 'Progress note', 'Visit'])} — ").v("PERSON", p.full, "soap_header_name")
    d.t(", ").v("MEDICAL_RECORD_NUMBER", mrn(rnd), "soap_mrn_bare_after_name").t(", DOB ").v(
        "DATE_OF_BIRTH", dob(rnd), "soap_dob_abbrev"
    ).t("\n")
    d.t(
        f"S: {age} y/o {rnd.choice(['M', 'F'])} presents with {rnd.choice(['cough x5 days', 'low back pain', 'headache', 'fatigue'])}. "
    )
    d.t("Pt's daughter ").v("PERSON", Person(rnd).full, "soap_relative_name").t(" accompanies.\n")
    d.t(
        f"O: BP {rnd.randint(105, 165)}/{rnd.randint(60, 99)}, HR {rnd.randint(55, 110)}, T {rnd.randint(36, 39)}.{rnd.randint(0, 9)} C, SpO2 {rnd.randint(91, 99)}%.\n"
    )
    d.t(f"A: {rnd.choice(SOAP_A)}\n")
    d.t(
        f"P: {rnd.choice(['Amoxicillin 500 mg TID x7d', 'Metformin 1000 mg BID', 'Ibuprofen 400 mg PRN', 'Sumatriptan 50 mg PRN'])}. "
    )
    d.t("Refer to Dr. ").v("PERSON", rnd.choice(LAST), "dr_surname_only").t(" (cardiology). RTC 4 wks.\n")
    d.t("Signed: ").v("PERSON", Person(rnd).full, "clinician_signature").t(", MD\n")
    return d


def g_discharge(rnd: random.Random) -> Doc:
    p = Person(rnd)
    d = Doc()
    d.t("DISCHARGE SUMMARY\n")
    d.t("Patient: ").v("PERSON", p.full.upper() if rnd.random() < 0.3 else p.full, "discharge_patient_field")
    d.t("   MR#: ").v("MEDICAL_RECORD_NUMBER", mrn(rnd), "discharge_mr_hash").t("\n")
    d.t("D.O.B.: ").v("DATE_OF_BIRTH", dob(rnd), "discharge_dob_dotted").t(
        f"   Admitted: 2026-{rnd.randint(1, 6):02d}-{rnd.randint(1, 28):02d}   Discharged: 2026-{rnd.randint(7, 12):02d}-{rnd.randint(1, 28):02d}\n"
    )
    d.t("Attending: Dr. ").v("PERSON", Person(rnd).full, "dr_full_name").t("\n\n")
    d.t(
        f"Hospital course: {rnd.choice(SOAP_A)} Treated with IV fluids and {rnd.choice(['ceftriaxone', 'heparin', 'insulin sliding scale'])}. "
    )
    d.v("PERSON", p.first, "discharge_first_name_in_prose").t(
        " tolerated diet and ambulated independently.\n"
    )
    adr, _ = address(rnd, "US")
    d.t("Discharged home to ").v("STREET_ADDRESS", adr, "discharge_home_address").t(" with ").v(
        "PERSON", Person(rnd).full, "discharge_with_name"
    ).t(" (caregiver).\n")
    d.t("Follow-up: PCP in 1 week; call ").v("PHONE_NUMBER", phone(rnd, "US"), "discharge_phone").t(
        " with questions.\n"
    )
    return d


def g_claim(rnd: random.Random) -> Doc:
    p = Person(rnd)
    d = Doc()
    d.t(
        f"CLAIM {rnd.choice(['CLM', 'AUTO', 'HO'])}-2026-{_d(rnd, 6)}   Policy {rs(rnd, 3, string.ascii_uppercase)}{_d(rnd, 7)}\n"
    )
    d.t("Policyholder: ").v("PERSON", p.full, "claim_policyholder").t("\n")
    d.t("DOB: ").v("DATE_OF_BIRTH", dob(rnd), "claim_dob").t(
        "   SSN (last 4 not accepted, full required): "
    ).v("US_SSN", ssn(rnd), "claim_ssn").t("\n")
    adr, _ = address(rnd, "US")
    d.t("Loss location: ").v("STREET_ADDRESS", adr, "claim_loss_address").t("\n")
    d.t(f"Date of loss: {rnd.randint(1, 12)}/{rnd.randint(1, 28)}/2026   Estimated damage: {money(rnd)}\n")
    d.t("Narrative: Insured states that ").v("PERSON", Person(rnd).full, "claim_narrative_name").t(
        f" reversed into the vehicle in the parking lot of {rnd.choice(COMPANIES)}. "
    )
    d.t("Witness ").v("PERSON", Person(rnd).full, "claim_witness").t(" can be reached at ").v(
        "PHONE_NUMBER", phone(rnd), "claim_witness_phone"
    ).t(".\n")
    d.t("Refund to card ending in ").v("CREDIT_CARD", card(rnd), "claim_card_full").t("\n")
    return d


def g_ticket(rnd: random.Random) -> Doc:
    p, q = Person(rnd), Person(rnd)
    d = Doc()
    d.t(f"Ticket #{_d(rnd, 6)} · Priority: {rnd.choice(['P2', 'P3', 'Normal'])} · {rnd.choice(PRODUCTS)}\n\n")
    d.t("Hi ").v("PERSON", p.first, "ticket_greeting_first").t(",\n")
    d.t(f"Sorry for the trouble with order {order_id(rnd)}. I've asked ")
    d.v("PERSON", q.full, "ticket_asked_name").t(" from billing to reverse the charge on the card ").v(
        "CREDIT_CARD", card(rnd), "ticket_card_prose"
    ).t(". ")
    verb = rnd.choice(["Please email ", "Forward the receipt to ", "You can also write to "])
    d.t(verb).v("PERSON", q.full, "after_verb:" + verb.strip().lower()).t(" directly at ").v(
        "EMAIL_ADDRESS", q.email, "ticket_email"
    ).t(".\n")
    d.t("For the address change, we now have ").v(
        "STREET_ADDRESS", address(rnd)[0], "ticket_address_prose"
    ).t(" on file.\n")
    d.t("— ").v("PERSON", Person(rnd).first, "ticket_agent_signoff").t(f", {rnd.choice(COMPANIES)} Support\n")
    return d


def g_invoice(rnd: random.Random) -> Doc:
    p = Person(rnd)
    d = Doc()
    cc = rnd.choice(["UK", "DE", "FR", "NL", "ES", "IT", "US"])
    d.t(
        f"INVOICE {order_id(rnd)}\nDate: 2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}\n\nBill to:\n"
    )
    d.v("PERSON", p.full, "invoice_bill_to_name").t("\n")
    adr, _ = address(rnd, cc, multiline=True)
    d.v("STREET_ADDRESS", adr, f"invoice_address_multiline_{cc}").t(
        f"\n{ {'UK': 'United Kingdom', 'DE': 'Germany', 'FR': 'France', 'NL': 'Netherlands', 'ES': 'Spain', 'IT': 'Italy', 'US': 'USA'}[cc] }\n\n"
    )
    for _ in range(rnd.randint(1, 3)):
        d.t(f"{rnd.choice(PRODUCTS):24s} x{rnd.randint(1, 5)}  {money(rnd)}\n")
    d.t(f"VAT 20%  {money(rnd)}\nTotal  {money(rnd)}\n\n")
    d.t("Pay by bank transfer to IBAN ").v(
        "IBAN_CODE", iban(rnd, rnd.choice(list(IBAN_BBAN))), "invoice_iban"
    ).t(f", BIC {rs(rnd, 4, string.ascii_uppercase)}{rnd.choice(['DE', 'GB', 'FR', 'NL'])}2X\n")
    d.t("Questions: ").v("EMAIL_ADDRESS", p.email, "invoice_email").t("\n")
    return d


def g_shipping(rnd: random.Random) -> Doc:
    p = Person(rnd)
    d = Doc()
    cc = rnd.choice(["UK", "DE", "FR", "NL", "ES", "IT", "US"])
    d.t("SHIP TO\n")
    nm = p.full.upper() if rnd.random() < 0.4 else p.full
    d.v("PERSON", nm, "label_ship_to_name").t("\n")
    adr, _ = address(rnd, cc, multiline=True)
    if rnd.random() < 0.3:
        adr = adr.upper()
    d.v("STREET_ADDRESS", adr, f"label_address_multiline_{cc}").t("\n")
    d.t("TEL ").v(
        "PHONE_NUMBER",
        phone(rnd, cc if cc in ("US", "UK", "DE", "FR", "NL", "ES", "IT") else None),
        "label_tel",
    ).t("\n")
    d.t(
        f"TRACKING 1Z{rs(rnd, 6, string.ascii_uppercase + string.digits)}{_d(rnd, 10)}   WEIGHT {rnd.randint(1, 30)}.{rnd.randint(0, 9)} kg   REF {order_id(rnd)}\n"
    )
    return d


def g_csv(rnd: random.Random) -> Doc:
    d = Doc()
    kind = rnd.choice(["customers", "patients", "payouts"])
    if kind == "customers":
        d.t("id,full_name,email,phone,city,created_at\n")
        for _ in range(rnd.randint(3, 6)):
            p = Person(rnd)
            d.t(f"{_d(rnd, 5)},").v("PERSON", p.full, "csv_name_col").t(",").v(
                "EMAIL_ADDRESS", p.email, "csv_email_col"
            ).t(",")
            d.v("PHONE_NUMBER", phone(rnd), "csv_phone_col").t(f",{rnd.choice(CITIES)},{ts(rnd)}\n")
    elif kind == "patients":
        d.t("mrn;last_name;first_name;dob;ssn\n")
        for _ in range(rnd.randint(3, 6)):
            p = Person(rnd)
            d.v("MEDICAL_RECORD_NUMBER", mrn(rnd), "csv_mrn_col").t(";").v(
                "PERSON", p.last, "csv_last_name_col"
            ).t(";").v("PERSON", p.first, "csv_first_name_col").t(";")
            d.v("DATE_OF_BIRTH", dob(rnd).replace(",", ""), "csv_dob_col").t(";").v(
                "US_SSN", ssn(rnd), "csv_ssn_col"
            ).t("\n")
    else:
        d.t('"payee","iban","amount","currency","reference"\n')
        for _ in range(rnd.randint(3, 6)):
            p = Person(rnd)
            d.t('"').v("PERSON", p.full, "csv_quoted_name").t('","').v(
                "IBAN_CODE", iban(rnd, grouped=False), "csv_iban_col"
            ).t(f'","{rnd.randint(10, 9000)}.{rnd.randint(0, 99):02d}","EUR","{order_id(rnd)}"\n')
    return d


def g_config(rnd: random.Random) -> Doc:
    d = Doc()
    fmt = rnd.choice(["yaml", "toml", "ini"])
    host = rnd.choice(["db.internal", "pg-primary.prod.svc", "mysql.example.net"])
    if fmt == "yaml":
        d.t(
            f"# app.yaml – {rnd.choice(PRODUCTS)}\nversion: {version(rnd)}\ndatabase:\n  host: {host}\n  user: app_rw\n  password: "
        )
        d.v("PASSWORD", password(rnd), "yaml_password").t("\nintegrations:\n  stripe:\n    secret_key: ").v(
            "STRIPE_KEY", secret(rnd, "STRIPE_KEY"), "yaml_key"
        )
        d.t('\n  sendgrid:\n    api_key: "').v(
            "SENDGRID_KEY", secret(rnd, "SENDGRID_KEY"), "yaml_quoted_key"
        ).t('"\n')
        d.t("  maps:\n    key: ").v("GOOGLE_API_KEY", secret(rnd, "GOOGLE_API_KEY"), "yaml_key").t(
            f"\nfeature_flags:\n  new_checkout: true\n  rollout_id: {uuid(rnd)}\n"
        )
    elif fmt == "toml":
        d.t(
            f'[server]\nport = {rnd.randint(3000, 9000)}\nbuild = "{sha(rnd, 12)}"\n\n[database]\nurl = "postgres://svc_app:'
        )
        d.v(
            "PASSWORD",
            password(rnd).replace("@", "").replace("/", "").replace(":", ""),
            "toml_password_in_url",
        ).t(f'@{host}:5432/main"\n\n[openai]\napi_key = "')
        d.v("OPENAI_KEY", secret(rnd, "OPENAI_KEY"), "toml_key").t('"\n\n[github]\ntoken = "').v(
            "GITHUB_TOKEN", secret(rnd, "GITHUB_TOKEN"), "toml_key"
        ).t('"\n')
    else:
        d.t(f"[smtp]\nhost = smtp.{rnd.choice(DOMAINS)}\nuser = ").v(
            "EMAIL_ADDRESS", Person(rnd).email, "ini_email"
        ).t("\npass = ").v("PASSWORD", password(rnd), "ini_pass_key")
        d.t("\n\n[aws]\naws_access_key_id = ").v("AWS_ACCESS_KEY", secret(rnd, "AWS_ACCESS_KEY"), "ini_key")
        d.t("\naws_secret_access_key = ").v("AWS_SECRET_KEY", secret(rnd, "AWS_SECRET_KEY"), "ini_key").t(
            f"\nregion = eu-west-{rnd.randint(1, 3)}\n"
        )
    return d


def g_compose_k8s(rnd: random.Random) -> Doc:
    d = Doc()
    if rnd.random() < 0.5:
        d.t(
            f"services:\n  db:\n    image: postgres:{rnd.randint(13, 17)}\n    environment:\n      POSTGRES_USER: app\n      POSTGRES_PASSWORD: "
        )
        d.v("PASSWORD", password(rnd), "compose_env_password").t(
            "\n  worker:\n    image: ghcr.io/acme/worker:"
            + version(rnd)
            + "\n    environment:\n      - HF_TOKEN="
        )
        d.v("HUGGINGFACE_TOKEN", secret(rnd, "HUGGINGFACE_TOKEN"), "compose_list_env").t(
            "\n      - ANTHROPIC_API_KEY="
        ).v("ANTHROPIC_KEY", secret(rnd, "ANTHROPIC_KEY"), "compose_list_env")
        d.t("\n      - LOG_LEVEL=info\n")
    else:
        pw = password(rnd)
        tok = secret(rnd, "JWT")
        d.t(
            f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-creds\n  namespace: {rnd.choice(['prod', 'payments', 'default'])}\ntype: Opaque\ndata:\n  DB_PASSWORD: "
        )
        d.v("PASSWORD", base64.b64encode(pw.encode()).decode(), "k8s_secret_base64").t(
            "\nstringData:\n  SERVICE_JWT: "
        ).v("JWT", tok, "k8s_stringdata_jwt")
        d.t("\n  NPM_TOKEN: ").v("NPM_TOKEN", secret(rnd, "NPM_TOKEN"), "k8s_stringdata").t("\n")
    return d


def g_shell(rnd: random.Random) -> Doc:
    d = Doc()
    n = rnd.randint(400, 1900)
    lines = [
        lambda: d.t("export OPENAI_API_KEY=").v("OPENAI_KEY", secret(rnd, "OPENAI_KEY"), "shell_export"),
        lambda: (
            d.t("mysql -h ")
            .v("IP_ADDRESS", ipv4(rnd), "mysql_host_ip")
            .t(" -u root -p")
            .v("PASSWORD", password(rnd).replace("'", ""), "mysql_p_flag_glued")
            .t(" billing")
        ),
        lambda: (
            d.t('curl -H "Authorization: Bearer ')
            .v("GITHUB_TOKEN", secret(rnd, "GITHUB_TOKEN"), "curl_bearer_header")
            .t('" https://api.github.com/user')
        ),
        lambda: (
            d.t("git clone https://oauth2:")
            .v("GITLAB_TOKEN", secret(rnd, "GITLAB_TOKEN"), "git_url_userinfo")
            .t("@gitlab.com/acme/infra.git")
        ),
        lambda: (
            d.t('psql "postgresql://report:')
            .v(
                "PASSWORD",
                password(rnd).replace("@", "").replace("/", "").replace(":", "").replace('"', ""),
                "psql_url_password",
            )
            .t('@db.internal/analytics"')
        ),
        lambda: (
            d.t("ssh deploy@").v("IP_ADDRESS", ipv4(rnd), "ssh_user_at_ip").t(" 'sudo systemctl restart api'")
        ),
        lambda: d.t("aws configure set aws_secret_access_key ").v(
            "AWS_SECRET_KEY", secret(rnd, "AWS_SECRET_KEY"), "aws_cli_set"
        ),
        lambda: (
            d.t("docker login -u ci -p ")
            .v("PASSWORD", password(rnd), "docker_login_p")
            .t(" registry.acme.io")
        ),
        lambda: (
            d.t("curl -X POST ")
            .v("SLACK_WEBHOOK", secret(rnd, "SLACK_WEBHOOK"), "curl_webhook_url")
            .t(' -d \'{"text":"deploy done"}\'')
        ),
        lambda: d.t(f"git log --oneline -5 && git checkout {sha(rnd, 7)}"),
        lambda: d.t(f"kubectl rollout status deploy/api -n prod --timeout={rnd.randint(60, 300)}s"),
        lambda: d.t(f"pip install 'requests=={version(rnd)}'"),
    ]
    for i in range(rnd.randint(4, 7)):
        d.t(f" {n + i}  ")
        rnd.choice(lines)()
        d.t("\n")
    return d


def g_logs(rnd: random.Random) -> Doc:
    d = Doc()
    style = rnd.choice(["kv", "json", "trace"])
    if style == "kv":
        for _ in range(rnd.randint(3, 5)):
            p = Person(rnd)
            d.t(f"{ts(rnd)} level=info svc=checkout req_id={uuid(rnd)} ")
            r = rnd.random()
            if r < 0.4:
                d.t("customer_email=").v("EMAIL_ADDRESS", p.email, "log_kv_email").t(" client_ip=").v(
                    "IP_ADDRESS", ip(rnd), "log_kv_ip"
                )
            elif r < 0.7:
                d.t('msg="payment declined" name="').v("PERSON", p.full, "log_kv_quoted_name").t(
                    f'" amount={money(rnd)}'
                )
            else:
                d.t(f'msg="cache warm" took_ms={rnd.randint(1, 900)} build={sha(rnd, 12)}')
            d.t("\n")
    elif style == "json":
        p = Person(rnd)
        rec = [
            ("ts", ts(rnd), None),
            ("level", "warn", None),
            ("user", p.full, ("PERSON", "jsonlog_user_field")),
            ("email", p.email, ("EMAIL_ADDRESS", "jsonlog_email")),
            ("remote_addr", ip(rnd), ("IP_ADDRESS", "jsonlog_ip")),
            ("trace_id", sha(rnd, 32), None),
            ("msg", "login from new device", None),
        ]
        d.t("{")
        for i, (k, val, lab) in enumerate(rec):
            d.t(f'"{k}": "')
            if lab:
                d.v(lab[0], val, lab[1])
            else:
                d.t(val)
            d.t('"' + (", " if i < len(rec) - 1 else "}\n"))
    else:
        pw = password(rnd).replace("@", "").replace("/", "").replace(":", "").replace("'", "")
        d.t(
            'Traceback (most recent call last):\n  File "/srv/app/db.py", line '
            + str(rnd.randint(10, 400))
            + ", in connect\n"
        )
        d.t("    engine = create_engine('mysql+pymysql://etl:").v("PASSWORD", pw, "traceback_dsn_password").t(
            "@"
        ).v("IP_ADDRESS", ipv4(rnd), "traceback_dsn_ip").t(":3306/warehouse')\n")
        d.t(
            "sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (1045, \"Access denied for user 'etl'@'"
        )
        d.v("IP_ADDRESS", ipv4(rnd), "traceback_ip").t("' (using password: YES)\")\n")
    return d


def g_code(rnd: random.Random) -> Doc:
    d = Doc()
    if rnd.random() < 0.5:
        d.t("import boto3\nimport stripe\n\n# TODO move to vault before launch\n")
        d.t('session = boto3.Session(\n    aws_access_key_id="').v(
            "AWS_ACCESS_KEY", secret(rnd, "AWS_ACCESS_KEY"), "python_kwarg"
        )
        d.t('",\n    aws_secret_access_key="').v(
            "AWS_SECRET_KEY", secret(rnd, "AWS_SECRET_KEY"), "python_kwarg"
        ).t('",\n)\n')
        d.t("stripe.api_key = '").v("STRIPE_KEY", secret(rnd, "STRIPE_KEY"), "python_assign").t("'\n")
        d.t('ADMIN_PASS = "').v("PASSWORD", password(rnd).replace('"', ""), "python_const_pass").t('"\n')
        d.t(f'TIMEOUT_S = {rnd.randint(5, 60)}\nBUILD = "{sha(rnd, 40)}"\n')
    else:
        d.t("const { WebClient } = require('@slack/web-api');\n")
        d.t("const slack = new WebClient('").v("SLACK_TOKEN", secret(rnd, "SLACK_TOKEN"), "js_ctor_arg").t(
            "');\n"
        )
        d.t("const db = { user: 'svc', password: '").v(
            "PASSWORD", password(rnd).replace("'", ""), "js_object_password"
        ).t("' };\n")
        d.t("fetch(`https://api.twilio.com/2010-04-01/Accounts`, { headers: { Authorization: 'Bearer ").v(
            "TWILIO_KEY", secret(rnd, "TWILIO_KEY"), "js_bearer"
        ).t("' } });\n")
        d.t(f"export const VERSION = '{version(rnd)}';\n")
    return d


def g_git(rnd: random.Random) -> Doc:
    a, b, c = Person(rnd), Person(rnd), Person(rnd)
    d = Doc()
    d.t(f"commit {sha(rnd)}\nAuthor: ").v("PERSON", a.full, "git_author").t(" <").v(
        "EMAIL_ADDRESS", a.email, "git_author_email"
    ).t(">\n")
    d.t(
        f"Date:   {rnd.choice(['Mon', 'Tue', 'Wed'])} {rnd.choice(MONTHS)[:3]} {rnd.randint(1, 28)} {rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:11 2026 +0100\n\n"
    )
    d.t(
        f"    {rnd.choice(['Fix race in token refresh', 'Bump', 'Add retry to upload'])} ({rnd.choice(['#', 'GH-'])}{rnd.randint(100, 9999)})\n\n"
    )
    d.t("    Reported-by: ").v("PERSON", b.full, "git_trailer_name").t(" <").v(
        "EMAIL_ADDRESS", b.email, "git_trailer_email"
    ).t(">\n")
    d.t("    Co-authored-by: ").v("PERSON", c.full, "git_trailer_name").t(" <").v(
        "EMAIL_ADDRESS", c.email, "git_trailer_email"
    ).t(">\n")
    return d


def g_html(rnd: random.Random) -> Doc:
    p = Person(rnd)
    d = Doc()
    d.t(
        '<form action="/account" method="post">\n  <label for="fn">Full name</label>\n  <input id="fn" name="full_name" value="'
    ).v("PERSON", p.full, "html_value_attr")
    d.t('">\n  <input type="email" name="email" value="').v("EMAIL_ADDRESS", p.email, "html_value_attr").t(
        '">\n'
    )
    d.t('  <input type="tel" name="phone" value="').v("PHONE_NUMBER", phone(rnd), "html_value_attr").t('">\n')
    d.t('  <textarea name="address">').v("STREET_ADDRESS", address(rnd)[0], "html_textarea_address").t(
        "</textarea>\n"
    )
    d.t('  <input type="hidden" name="csrf" value="' + sha(rnd, 32) + '">\n')
    d.t('  <input type="password" name="pw" value="').v(
        "PASSWORD", password(rnd).replace('"', ""), "html_password_value"
    ).t('">\n</form>\n')
    return d


def g_markdown(rnd: random.Random) -> Doc:
    d = Doc()
    d.t(
        f"### On-call roster ({rnd.choice(MONTHS)})\n\n| Name | Email | Phone | Home IP |\n|---|---|---|---|\n"
    )
    for _ in range(rnd.randint(3, 5)):
        p = Person(rnd)
        d.t("| ").v("PERSON", p.full, "md_table_name").t(" | ").v(
            "EMAIL_ADDRESS", p.email, "md_table_email"
        ).t(" | ")
        d.v("PHONE_NUMBER", phone(rnd), "md_table_phone").t(" | ").v("IP_ADDRESS", ip(rnd), "md_table_ip").t(
            " |\n"
        )
    d.t(f"\nEscalation: page the secondary after {rnd.randint(5, 30)} minutes.\n")
    return d


def g_misc_ids(rnd: random.Random) -> Doc:
    """Prose around the rarer identifiers: passports, SSNs, card numbers, PEM keys, JWTs in requests."""
    d = Doc()
    p = Person(rnd)
    r = rnd.random()
    if r < 0.3:
        d.t("Travel desk: booking for ").v("PERSON", p.full, "travel_booking_name").t(
            f", flying to {rnd.choice(CITIES)} on {rnd.choice(MONTHS)} {rnd.randint(1, 28)}. "
        )
        d.t("US passport no. ").v("US_PASSPORT", passport(rnd), "travel_passport").t(", DOB ").v(
            "DATE_OF_BIRTH", dob(rnd), "travel_dob"
        ).t(". ")
        d.t(f"Fare {money(rnd)}, ref {order_id(rnd)}.\n")
    elif r < 0.55:
        d.t("W-9 received from ").v("PERSON", p.full, "tax_form_name").t("; taxpayer id ").v(
            "US_SSN", ssn(rnd), "tax_tin_prose"
        ).t(" verified. ")
        d.t("Mail the 1099 to ").v("STREET_ADDRESS", address(rnd, "US")[0], "tax_mail_address").t(".\n")
    elif r < 0.8:
        d.t("POST /v2/session HTTP/1.1\nHost: api.acme.io\nAuthorization: Bearer ").v(
            "JWT", secret(rnd, "JWT"), "http_auth_header_jwt"
        )
        d.t(f"\nX-Request-Id: {uuid(rnd)}\nX-Forwarded-For: ").v("IP_ADDRESS", ipv4(rnd), "http_xff").t(
            "\n\n"
        )
    else:
        d.t(f"Ops note: the deploy key for {rnd.choice(PRODUCTS)} was committed by mistake, rotate it:\n\n")
        d.v("PRIVATE_KEY", secret(rnd, "PRIVATE_KEY"), "pem_block_in_prose").t("\n")
    return d


# -- negatives: nothing labelled, and all of it must survive unmasked.
def g_negative(rnd: random.Random) -> Doc:
    d = Doc()
    k = rnd.choice(["release", "docs", "travel", "pricing", "ops", "roles", "companies", "lookalikes"])
    if k == "companies":
        # Company and brand names built from people's names, in business prose.
        a, b, c = rnd.sample(EPONYM_COMPANIES, 3)
        d.t(f"Q{rnd.randint(1, 4)} recap: {a} and {b} both raised guidance; analysts at {c} expect ")
        d.t(
            f"{rnd.randint(2, 9)}.{rnd.randint(0, 9)}% growth. Shares closed at {money(rnd)} on {rnd.choice(MONTHS)} {rnd.randint(1, 28)}.\n"
        )
        d.t(
            f"The {rnd.choice(['Nobel', 'Pulitzer', 'Turing', 'Fields'])} Prize committee meets in {rnd.choice(CITIES)}; "
        )
        d.t(
            f"see the {rnd.choice(['Fibonacci', 'Dijkstra', 'Bloom filter', 'Kalman filter'])} section of the spec.\n"
        )
        return d
    if k == "lookalikes":
        # Numbers shaped like identifiers that fail their checks or are something else.
        bad_iban = iban(rnd, "DE", grouped=True)
        bad_iban = bad_iban[:2] + f"{(int(bad_iban[2:4]) + rnd.randint(1, 50)) % 100:02d}" + bad_iban[4:]
        d.t(
            f"Build {rnd.randint(10, 11)}.0.{rnd.randint(19041, 26100)}.{rnd.randint(1000, 5000)} ships with driver {version(rnd)}.\n"
        )
        d.t(f"Test fixture IBAN (bad checksum, must be rejected): {bad_iban}\n")
        d.t(
            f"Gift card {failing_luhn16(rnd)} and ISBN 978-{rnd.randint(0, 1)}-{_d(rnd, 3)}-{_d(rnd, 5)}-{rnd.randint(0, 9)}; "
        )
        d.t(
            f"resolution 1920x1080, tracking 9400 1{_d(rnd, 3)} {_d(rnd, 4)} {_d(rnd, 4)} {_d(rnd, 4)} {_d(rnd, 2)}.\n"
        )
        d.t(
            "Placeholders: STRIPE_SECRET=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx, password=<your-password>, token: ${GITHUB_TOKEN}.\n"
        )
        d.t(f"Logo: data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAA{rs(rnd, 60, B62 + '+/')}\n")
        d.t(f"We walked down Abbey Road to Baker Street station, then took the {rnd.randint(7, 99)} bus.\n")
        return d
    if k == "roles":
        # Title Case words in the slots where names usually go: greetings, after verbs, sign-offs.
        d.t(f"Hi {rnd.choice(['team', 'all', 'Support', 'everyone', 'Billing Team'])},\n\n")
        d.t(
            f"Please email {rnd.choice(['Customer Success', 'Accounts Payable', 'the Help Desk', 'Legal Ops'])} before {rnd.choice(MONTHS)} {rnd.randint(1, 28)}. "
        )
        d.t(
            f"Send {rnd.choice(['Finance', 'Procurement', 'Security Review', 'the Data Platform group'])} the {rnd.choice(PRODUCTS)} quote ({money(rnd)}). "
        )
        d.t(
            f"Attendees were Platform, Payments and {rnd.choice(['Growth', 'Trust & Safety', 'Mobile'])}.\n\n"
        )
        d.t(f"Best,\nThe {rnd.choice(COMPANIES)} Team\n")
        return d
    if k == "release":
        d.t(f"## {rnd.choice(PRODUCTS)} {version(rnd)} ({ts(rnd)[:10]})\n\n")
        d.t(
            f"- Fixed a crash when {rnd.choice(['Outlook', 'Safari', 'Windows Hello', 'Google Drive'])} sync was paused (#{rnd.randint(1000, 9999)}).\n"
        )
        d.t(f"- Upgraded OpenSSL to {version(rnd)}; commit {sha(rnd)}.\n")
        d.t(f"- Thanks to the {rnd.choice(COMPANIES)} team for the report. Migration id {uuid(rnd)}.\n")
    elif k == "docs":
        d.t(
            f"To configure {rnd.choice(PRODUCTS)}, set `API_KEY` to the value shown in Settings → Developer. "
        )
        d.t("Never commit it. See https://docs.acme.io/guide/auth#keys for rotation. ")
        d.t(
            f"Example placeholder: `API_KEY=<your-key-here>`; password: `changeme` is rejected. Default port {rnd.randint(3000, 9000)}, timeout {rnd.randint(5, 60)}s.\n"
        )
    elif k == "travel":
        a, b = rnd.sample(CITIES, 2)
        d.t(
            f"Day {rnd.randint(1, 9)}: From {a} we took the night train to {b}. The Grand Hotel Central near Plaza Mayor was {money(rnd)} a night, "
        )
        d.t(
            f"and the Museum of Modern Art opens at 9:30. Flight {rs(rnd, 2, string.ascii_uppercase)}{rnd.randint(100, 9999)} departs {ts(rnd)}.\n"
        )
    elif k == "pricing":
        for _ in range(3):
            d.t(
                f"{rnd.choice(PRODUCTS)} — SKU {rs(rnd, 3, string.ascii_uppercase)}-{_d(rnd, 5)} — {money(rnd)} (was {money(rnd)}), ships from {rnd.choice(CITIES)}\n"
            )
        d.t(f"Gift card batch {failing_luhn16(rnd)} is void. Order {order_id(rnd)} total {money(rnd)}.\n")
    else:
        d.t(
            f"{ts(rnd)} deploy {sha(rnd, 12)} to us-east-1 by ci-bot; p99 {rnd.randint(80, 900)} ms, error rate 0.{rnd.randint(1, 9)}%.\n"
        )
        d.t(f"Rollback target {version(rnd)}, image digest sha256:{sha(rnd, 64)}, checksum {sha(rnd, 32)}.\n")
        d.t(
            f"Ticket {rs(rnd, 4, string.ascii_uppercase)}-{rnd.randint(100, 9999)} closed by Release Engineering; Monday Standup moved to Thursday.\n"
        )
    return d


GENRES = {
    "email_thread": (g_email_thread, 50),
    "chat": (g_chat, 45),
    "meeting_notes": (g_meeting, 45),
    "crm_note": (g_crm, 40),
    "hr_record": (g_hr, 35),
    "clinical_soap": (g_soap, 40),
    "discharge_summary": (g_discharge, 35),
    "insurance_claim": (g_claim, 35),
    "support_ticket": (g_ticket, 45),
    "invoice": (g_invoice, 40),
    "shipping_label": (g_shipping, 40),
    "csv_export": (g_csv, 35),
    "config_file": (g_config, 40),
    "compose_k8s": (g_compose_k8s, 30),
    "shell_history": (g_shell, 35),
    "log_lines": (g_logs, 45),
    "source_code": (g_code, 35),
    "git_log": (g_git, 30),
    "html_form": (g_html, 30),
    "markdown_table": (g_markdown, 30),
    "misc_ids": (g_misc_ids, 40),
    "negatives": (g_negative, 150),
}


def build(seed: int) -> list[dict]:
    rnd = random.Random(seed)
    recs: list[dict] = []
    for genre, (fn, count) in GENRES.items():
        for i in range(count):
            doc = fn(rnd)
            text = doc.text()
            for s in doc.spans:
                if text[s["start"] : s["end"]] != s["value"]:
                    raise AssertionError(f"offset mismatch in {genre}/{i}: {s['type']}")
            recs.append({"id": f"ho-{genre}-{i:03d}", "genre": genre, "text": text, "spans": doc.spans})
    return recs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20261129)
    ap.add_argument("--out", type=Path, default=HERE / "heldout.jsonl")
    args = ap.parse_args(argv)
    recs = build(args.seed)
    with args.out.open("w", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    n = sum(len(r["spans"]) for r in recs)
    print(f"wrote {args.out}: {len(recs)} records, {n} spans", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
