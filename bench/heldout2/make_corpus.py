#!/usr/bin/env python3
"""Write ``heldout2.jsonl``: a second, fresh held-out detection corpus (seeded, deterministic).

Genres and phrasings are written from what production agent traffic looks like (RAG
retrievals, transcripts, CLI output, payloads, letters, multilingual support, OCR), not
from the development corpus, the first held-out corpus or detection code.  Every span
carries a ``pattern`` naming its context so misses can be grouped precisely.

    python bench/heldout2/make_corpus.py   # rewrites bench/heldout2/heldout2.jsonl
"""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

SEED = 4242_1129
OUT = Path(__file__).resolve().parent / "heldout2.jsonl"

# Names from many cultures; INVENTED_* are in no dictionary (about a fifth of picks).
FIRST = [
    "Oluwaseun",
    "Chidinma",
    "Kwame",
    "Ayesha",
    "Farhan",
    "Mei-Ling",
    "Haruto",
    "Yuki",
    "Soo-ah",
    "Thanh",
    "Nguyen Van",
    "Bartosz",
    "Zofia",
    "Eero",
    "Sigrid",
    "Ingrid",
    "Tiago",
    "Leticia",
    "Joaquín",
    "Valentina",
    "Rafael",
    "Giulia",
    "Matteo",
    "Élodie",
    "Benoît",
    "Anneke",
    "Jurgen",
    "Dmitri",
    "Anastasia",
    "Tariq",
    "Fatima",
    "Yusuf",
    "Aarav",
    "Deepika",
    "Sunita",
    "Rohan",
    "Siobhan",
    "Padraig",
    "Maeve",
    "Bronwyn",
    "Keoni",
    "Ngaio",
    "Amara",
    "Thabo",
    "Nomvula",
    "Carlos",
    "Emily",
    "Michael",
    "Sarah",
    "David",
    "Laura",
    "James",
    "Olivia",
    "Kenji",
    "Lucía",
]
LAST = [
    "Adeyemi",
    "Okonkwo",
    "Mensah",
    "Siddiqui",
    "Chowdhury",
    "Tanaka",
    "Watanabe",
    "Park",
    "Tran",
    "Kowalczyk",
    "Wiśniewska",
    "Virtanen",
    "Lindqvist",
    "Haugen",
    "Carvalho",
    "Figueiredo",
    "Ibáñez",
    "Castellanos",
    "Bianchi",
    "Esposito",
    "Lefèvre",
    "Rousseau",
    "van der Berg",
    "Schäfer",
    "Volkov",
    "Haddad",
    "Al-Masri",
    "Yilmaz",
    "Iyer",
    "Banerjee",
    "Krishnan",
    "O'Sullivan",
    "Ní Bhriain",
    "Llewellyn",
    "Kahale",
    "Dlamini",
    "Nkosi",
    "Mthembu",
    "Reyes",
    "Johnson",
    "Miller",
    "Thompson",
    "Garcia",
    "Brennan",
    "Fitzgerald",
    "Nakamura",
    "Moreau",
]
INVENTED_FIRST = [
    "Zorvath",
    "Keliandra",
    "Tamsk",
    "Ouvren",
    "Brelisa",
    "Quintor",
    "Ysolde",
    "Marevik",
    "Dalcen",
    "Fenwyra",
]
INVENTED_LAST = [
    "Varnokk",
    "Trellwyn",
    "Oskarrow",
    "Plindemar",
    "Quessit",
    "Hollowmere",
    "Drazenko",
    "Uvelli",
    "Kastorin",
    "Brimvale",
]

DOMAINS = [
    "gmail.com",
    "outlook.com",
    "proton.me",
    "yahoo.co.uk",
    "web.de",
    "orange.fr",
    "libero.it",
    "northwind-legal.com",
    "harbor-realty.net",
    "medisys-labs.org",
    "acme-corp.io",
    "uni-koeln.de",
]
STREETS_US = [
    "Maple Ridge Dr",
    "W 34th St",
    "Old Country Rd",
    "Lakeshore Blvd",
    "Juniper Ln",
    "Pine Hollow Ct",
    "Market St",
]
CITIES_US = [
    ("Austin", "TX", "78704"),
    ("Portland", "OR", "97214"),
    ("Columbus", "OH", "43215"),
    ("Raleigh", "NC", "27601"),
    ("Denver", "CO", "80205"),
    ("Tampa", "FL", "33602"),
]


class Rec:
    """Accumulates text and labelled spans with offsets that are exact by construction."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.n = 0
        self.spans: list[dict] = []

    def t(self, s: str) -> Rec:
        self.parts.append(s)
        self.n += len(s)
        return self

    def v(self, typ: str, value: str, pattern: str) -> Rec:
        self.spans.append(
            {"start": self.n, "end": self.n + len(value), "type": typ, "value": value, "pattern": pattern}
        )
        return self.t(value)

    def text(self) -> str:
        return "".join(self.parts)


class Gen:
    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    # ---- people and contact -------------------------------------------------------
    def first(self) -> str:
        return self.r.choice(INVENTED_FIRST) if self.r.random() < 0.2 else self.r.choice(FIRST)

    def last(self) -> str:
        return self.r.choice(INVENTED_LAST) if self.r.random() < 0.2 else self.r.choice(LAST)

    def name(self) -> tuple[str, str]:
        return self.first(), self.last()

    def full(self) -> str:
        f, l_ = self.name()
        return f"{f} {l_}"

    def email(self, f: str | None = None, l_: str | None = None) -> str:
        f = f or self.first()
        l_ = l_ or self.last()
        norm = lambda s: "".join(c for c in s.lower() if c.isascii() and c.isalnum())  # noqa: E731
        style = self.r.randrange(4)
        local = [
            f"{norm(f)}.{norm(l_)}",
            f"{norm(f)[0]}{norm(l_)}",
            f"{norm(f)}{self.r.randint(1, 99)}",
            f"{norm(l_)}_{norm(f)[:3]}",
        ][style]
        return f"{local}@{self.r.choice(DOMAINS)}"

    def phone(self) -> str:
        r = self.r
        a, e, s = r.randint(201, 989), r.randint(200, 989), r.randint(1000, 9999)
        k = r.randrange(7)
        if k == 0:
            return f"({a}) {e}-{s}"
        if k == 1:
            return f"+1 {a}.{e}.{s}"
        if k == 2:
            return f"+44 7{r.randint(100, 999)} {r.randint(100000, 999999)}"
        if k == 3:
            return f"+49 30 {r.randint(1000, 9999)} {r.randint(1000, 9999)}"
        if k == 4:
            return f"+33 6 {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)}"
        if k == 5:
            return f"+34 6{r.randint(10, 99)} {r.randint(100, 999)} {r.randint(100, 999)}"
        return f"{a}-{e}-{s}"

    def ip(self) -> str:
        r = self.r
        if r.random() < 0.15:
            return (
                "2001:db8:"
                + ":".join(f"{r.randint(0, 65535):x}" for _ in range(4))
                + "::"
                + f"{r.randint(1, 4095):x}"
            )
        first = r.choice([10, 172, 192, 34, 52, 81, 185, 203, 91])
        return f"{first}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    def street(self) -> str:
        r = self.r
        k = r.randrange(5)
        if k <= 1:
            c = r.choice(CITIES_US)
            return f"{r.randint(12, 9870)} {r.choice(STREETS_US)}, {c[0]}, {c[1]} {c[2]}"
        if k == 2:
            return f"{r.choice(['Friedrichstraße', 'Lindenweg', 'Bergstr.'])} {r.randint(1, 140)}, {r.randint(10115, 99998)} {r.choice(['Berlin', 'Köln', 'Leipzig'])}"
        if k == 3:
            return f"{r.randint(1, 90)} {r.choice(['rue de la Roquette', 'avenue Jean Jaurès', 'boulevard Voltaire'])}, {r.randint(75001, 75020)} Paris"
        return f"Flat {r.randint(1, 30)}, {r.randint(1, 220)} {r.choice(['Kingsland Road', 'Bath Street', 'Church Lane'])}, London {r.choice(['E8 4AA', 'N1 7GU', 'SW9 8PQ'])}"

    def dob(self) -> str:
        r = self.r
        y, m, d = r.randint(1941, 2006), r.randint(1, 12), r.randint(1, 28)
        mon = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ][m - 1]
        return r.choice(
            [
                f"{m:02d}/{d:02d}/{y}",
                f"{y}-{m:02d}-{d:02d}",
                f"{d} {mon} {y}",
                f"{mon} {d}, {y}",
                f"{d:02d}.{m:02d}.{y}",
            ]
        )

    # ---- ids ------------------------------------------------------------------------
    def card(self) -> str:
        r = self.r
        kind = r.randrange(3)
        prefix, n = [("4", 16), ("5" + str(r.randint(1, 5)), 16), ("3" + r.choice("47"), 15)][kind]
        digits = prefix + "".join(str(r.randint(0, 9)) for _ in range(n - len(prefix) - 1))
        digits += str(luhn_check(digits))
        fmt = r.randrange(3)
        if fmt == 0:
            return digits
        sep = " " if fmt == 1 else "-"
        if n == 15:
            return sep.join([digits[:4], digits[4:10], digits[10:]])
        return sep.join(digits[i : i + 4] for i in range(0, 16, 4))

    def iban(self, spaced: bool | None = None) -> str:
        r = self.r
        cc, blen = r.choice(
            [("DE", 18), ("FR", 23), ("ES", 20), ("IT", 23), ("PT", 21), ("NL", 14), ("GB", 18), ("BE", 12)]
        )
        if cc in ("NL", "GB"):
            bban = "".join(r.choice(string.ascii_uppercase) for _ in range(4)) + "".join(
                str(r.randint(0, 9)) for _ in range(blen - 4)
            )
        elif cc == "IT":
            bban = r.choice(string.ascii_uppercase) + "".join(str(r.randint(0, 9)) for _ in range(blen - 1))
        else:
            bban = "".join(str(r.randint(0, 9)) for _ in range(blen))
        iban = cc + iban_check(cc, bban) + bban
        if spaced if spaced is not None else r.random() < 0.5:
            return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        return iban

    def ssn(self) -> str:
        r = self.r
        area = r.choice([a for a in range(1, 900) if a != 666])
        s = f"{area:03d}{r.randint(1, 99):02d}{r.randint(1, 9999):04d}"
        return r.choice([f"{s[:3]}-{s[3:5]}-{s[5:]}", s, f"{s[:3]} {s[3:5]} {s[5:]}"])

    def passport(self) -> str:
        r = self.r
        if r.random() < 0.5:
            return str(r.randint(100000000, 999999999))
        return r.choice("ACEFHKL") + str(r.randint(10000000, 99999999))

    def mrn(self) -> str:
        r = self.r
        return r.choice(
            [
                f"{r.randint(10000000, 99999999)}",
                f"MRN-{r.randint(100000, 999999)}",
                f"H{r.randint(1000000, 9999999)}",
                f"{r.randint(100, 999)}-{r.randint(100, 999)}-{r.randint(100, 999)}",
            ]
        )

    # ---- secrets ----------------------------------------------------------------------
    def rs(self, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def secret(self, kind: str | None = None) -> tuple[str, str]:
        r = self.r
        up = string.ascii_uppercase + string.digits
        hexd = "0123456789abcdef"
        kinds = [
            "AWS_ACCESS_KEY",
            "AWS_SECRET_KEY",
            "GITHUB_TOKEN",
            "GITLAB_TOKEN",
            "SLACK_TOKEN",
            "STRIPE_KEY",
            "OPENAI_KEY",
            "ANTHROPIC_KEY",
            "GOOGLE_API_KEY",
            "TWILIO_KEY",
            "SENDGRID_KEY",
            "NPM_TOKEN",
            "PYPI_TOKEN",
            "HF_TOKEN",
            "JWT",
        ]
        kind = kind or r.choice(kinds)
        if kind == "AWS_ACCESS_KEY":
            v = r.choice(["AKIA", "ASIA"]) + self.rs(16, up)
        elif kind == "AWS_SECRET_KEY":
            v = self.rs(40, string.ascii_letters + string.digits + "+/")
        elif kind == "GITHUB_TOKEN":
            v = (
                r.choice(["ghp_", "gho_", "ghs_"]) + self.rs(36)
                if r.random() < 0.7
                else "github_pat_11" + self.rs(20, up) + "_" + self.rs(59)
            )
        elif kind == "GITLAB_TOKEN":
            v = "glpat-" + self.rs(20, string.ascii_letters + string.digits + "-_")
        elif kind == "SLACK_TOKEN":
            v = f"xox{r.choice('bp')}-{r.randint(10**10, 10**12)}-{r.randint(10**10, 10**12)}-{self.rs(24)}"
        elif kind == "STRIPE_KEY":
            v = r.choice(["sk_live_", "rk_live_"]) + self.rs(r.choice([24, 99]))
        elif kind == "OPENAI_KEY":
            v = (
                "sk-proj-"
                + self.rs(48, string.ascii_letters + string.digits + "-_")
                + "T3BlbkFJ"
                + self.rs(40)
                if r.random() < 0.5
                else "sk-" + self.rs(20) + "T3BlbkFJ" + self.rs(20)
            )
        elif kind == "ANTHROPIC_KEY":
            v = "sk-ant-api03-" + self.rs(93, string.ascii_letters + string.digits + "-_") + "AA"
        elif kind == "GOOGLE_API_KEY":
            v = "AIza" + self.rs(35, string.ascii_letters + string.digits + "-_")
        elif kind == "TWILIO_KEY":
            v = "SK" + self.rs(32, hexd)
        elif kind == "SENDGRID_KEY":
            v = (
                "SG."
                + self.rs(22, string.ascii_letters + string.digits + "-_")
                + "."
                + self.rs(43, string.ascii_letters + string.digits + "-_")
            )
        elif kind == "NPM_TOKEN":
            v = "npm_" + self.rs(36)
        elif kind == "PYPI_TOKEN":
            v = "pypi-AgEIcHlwaS5vcmc" + self.rs(70, string.ascii_letters + string.digits + "-_")
        elif kind == "HF_TOKEN":
            v = "hf_" + self.rs(34)
        elif kind == "JWT":

            def b(o):
                return (
                    base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode())
                    .rstrip(b"=")
                    .decode()
                )

            v = (
                b({"alg": "HS256", "typ": "JWT"})
                + "."
                + b({"sub": str(r.randint(1000, 99999)), "iat": r.randint(1.7e9, 1.8e9)})
                + "."
                + self.rs(43, string.ascii_letters + string.digits + "-_")
            )
        else:
            raise ValueError(kind)
        return kind, v

    def password(self) -> str:
        r = self.r
        return r.choice(
            [
                self.rs(r.randint(10, 18), string.ascii_letters + string.digits + "!#%^*"),
                f"{r.choice(['Summer', 'Winter', 'Harbor', 'Falcon'])}{r.randint(2019, 2026)}!{self.rs(3)}",
                "-".join(self.rs(5, string.ascii_lowercase) for _ in range(3)),
            ]
        )

    def pem(self) -> str:
        body = base64.b64encode(
            bytes(self.r.randrange(256) for _ in range(self.r.choice([120, 180])))
        ).decode()
        lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        kind = self.r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY"])
        return f"-----BEGIN {kind}-----\n{lines}\n-----END {kind}-----"


def luhn_check(partial: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def luhn_ok(num: str) -> bool:
    return luhn_check(num[:-1]) == int(num[-1])


def iban_check(cc: str, bban: str) -> str:
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return f"{98 - n % 97:02d}"


# ============================ genres =====================================================
def rag_policy(g: Gen) -> Rec:
    r = Rec()
    f, l_ = g.name()
    f2, l2 = g.name()
    r.t(
        f"[retrieved chunk 3/7 | source: confluence://HR/Travel-Expense-Policy v{g.r.randint(2, 9)}.{g.r.randint(0, 9)}]\n"
    )
    r.t("## 4.2 Approvals\nClaims above EUR 2,500 need sign-off from the regional controller (currently ")
    r.v("PERSON", f"{f} {l_}", "wiki 'currently X' parenthetical")
    r.t(", ").v("EMAIL_ADDRESS", g.email(f, l_), "wiki contact email").t("). During leave, ")
    r.v("PERSON", f"{f2} {l2}", "wiki deputy name").t(" covers; reach them on ext. ").t(
        str(g.r.randint(2000, 7999))
    )
    r.t(" or ").v("PHONE_NUMBER", g.phone(), "wiki phone").t(".\nLast edited by ")
    r.v("PERSON", f"{g.first()} {g.last()}", "wiki 'Last edited by X'").t(
        f" on 2025-{g.r.randint(1, 12):02d}-{g.r.randint(1, 28):02d}. Page ID 88{g.r.randint(1000, 9999)}."
    )
    return r


def review(g: Gen) -> Rec:
    r = Rec()
    f = g.first()
    stars = g.r.randint(1, 5)
    r.t(f"★{'★' * (stars - 1)}{'☆' * (5 - stars)}  Verified purchase — ")
    r.v("PERSON", f"{g.first()} {g.last()[0]}.", "review byline 'First L.'")
    r.t(f"\nStayed 3 nights in room {g.r.randint(101, 820)}. ")
    r.t(g.r.choice(["Huge thanks to ", "Ask for ", "The night manager, "]))
    r.v("PERSON", f, "review first name only")
    r.t(", who sorted out the double charge. ")
    if g.r.random() < 0.5:
        r.t("They had charged my card ").v("CREDIT_CARD", g.card(), "review full card inline").t(" twice. ")
    r.t("If the owner reads this, email me at ").v("EMAIL_ADDRESS", g.email(), "review email").t(
        ". 4/5 for location only."
    )
    return r


def call_transcript(g: Gen) -> Rec:
    r = Rec()
    f, l_ = g.name()
    agent = g.first()
    r.t(f"[00:00:0{g.r.randint(1, 9)}] Agent (").v("PERSON", agent, "transcript 'Agent (X)' speaker").t(
        "): Thank you for calling, who am I speaking with?\n"
    )
    r.t("[00:00:07] Caller: Hi, yeah, this is ").v("PERSON", f"{f} {l_}", "Caller: 'this is X'").t(".\n")
    r.t("[00:00:12] Agent: Can you confirm your date of birth?\n[00:00:15] Caller: ").v(
        "DATE_OF_BIRTH", g.dob(), "Caller: DOB answer"
    ).t(".\n")
    r.t(
        "[00:00:21] Agent: And the last four of your social?\n[00:00:24] Caller: Actually the whole thing is "
    )
    r.v("US_SSN", g.ssn(), "Caller: SSN spoken").t(", I never know which you need.\n")
    r.t("[00:00:40] Agent: Best number to reach you?\n[00:00:43] Caller: ").v(
        "PHONE_NUMBER", g.phone(), "Caller: phone answer"
    ).t(".\n")
    if g.r.random() < 0.5:
        r.t("[00:01:02] Caller: My address changed, it's now ").v(
            "STREET_ADDRESS", g.street(), "Caller: new address"
        ).t(".\n")
    r.t(f"[00:01:30] Agent: Perfect, ticket CS-{g.r.randint(100000, 999999)} is open. Anything else?")
    return r


def legal_letter(g: Gen) -> Rec:
    r = Rec()
    f, l_ = g.name()
    r.t("WITHOUT PREJUDICE\n\n").v("PERSON", f"{f} {l_}", "letter addressee block").t("\n").v(
        "STREET_ADDRESS", g.street(), "letter addressee address"
    )
    r.t(f"\n\nOur ref: NL/{g.r.randint(1000, 9999)}/LIT\n\nDear {g.r.choice(['Mr', 'Ms', 'Dr'])} ").v(
        "PERSON", l_, "letter 'Dear Mr X' surname"
    ).t(",\n\n")
    r.t("We act for our client, ").v("PERSON", g.full(), "letter 'our client, X'").t(
        ", in connection with the tenancy at the above address. "
    )
    r.t("Payment of the outstanding GBP 4,812.00 should be made to account ").v(
        "IBAN_CODE", g.iban(), "letter payment IBAN"
    )
    r.t(" within 14 days.\n\nYours faithfully,\n\n").v("PERSON", g.full(), "letter signature name").t(
        "\nSenior Associate, Northwind Legal LLP\nDirect: "
    ).v("PHONE_NUMBER", g.phone(), "letter signature phone")
    return r


def real_estate(g: Gen) -> Rec:
    r = Rec()
    beds = g.r.randint(1, 5)
    r.t(
        f"JUST LISTED — {beds} bd / {beds} ba, {g.r.randint(700, 3400)} sq ft  |  ${g.r.randint(250, 1900)},000\n"
    )
    r.t("Open house Sat 1–4pm at ").v("STREET_ADDRESS", g.street(), "listing property address").t(".\n")
    r.t("Built 1998, roof 2021, MLS# ").t(str(g.r.randint(1000000, 9999999))).t(". HOA $220/mo.\n")
    r.t("Listing agent: ").v("PERSON", g.full(), "listing 'Listing agent: X'").t(" | ").v(
        "PHONE_NUMBER", g.phone(), "listing agent phone"
    )
    r.t(" | ").v("EMAIL_ADDRESS", g.email(), "listing agent email").t("\nCo-listed with ").v(
        "PERSON", g.full(), "listing 'Co-listed with X'"
    ).t(", Harbor Realty Group. Lic #0").t(str(g.r.randint(1000000, 9999999)))
    return r


def travel(g: Gen) -> Rec:
    r = Rec()
    f, l_ = g.name()
    pnr = g.rs(6, string.ascii_uppercase + string.digits)
    r.t(f"BOOKING REFERENCE: {pnr}\nPASSENGER 1: ").v(
        "PERSON", f"{l_.upper()}/{f.upper()}", "itinerary 'SURNAME/GIVEN' upper"
    )
    r.t(f" {g.r.choice(['MR', 'MS', 'MRS'])}\n  Passport: ").v(
        "US_PASSPORT", g.passport(), "itinerary 'Passport:' field"
    ).t("  Exp: 2031-04-30  Nationality: USA\n")
    r.t("  DOB: ").v("DATE_OF_BIRTH", g.dob(), "itinerary DOB").t("\n")
    r.t(
        f"FLIGHT LH{g.r.randint(400, 499)}  FRA-JFK  14MAR  Dep 10:25  Seat {g.r.randint(10, 45)}{g.r.choice('ABCDK')}  ETKT 220{g.r.randint(10**9, 10**10 - 1)}\n"
    )
    r.t("Emergency contact: ").v("PERSON", g.full(), "itinerary emergency contact").t(" ").v(
        "PHONE_NUMBER", g.phone(), "itinerary emergency phone"
    )
    r.t(f"\nHotel: Marriott Times Square, conf #{g.r.randint(80000000, 89999999)}, 3 nights.")
    return r


def bank_statement(g: Gen) -> Rec:
    r = Rec()
    r.t("STATEMENT  01 Oct – 31 Oct\nAccount holder: ").v("PERSON", g.full(), "statement 'Account holder: X'")
    r.t("\nIBAN: ").v("IBAN_CODE", g.iban(True), "statement IBAN header").t(
        f"   BIC: {g.r.choice(['DEUTDEFF', 'BNPAFRPP', 'CAIXESBB'])}\n"
    )
    r.t("Date        Description                                  Amount\n")
    r.t("03.10.  SEPA transfer from ").v("PERSON", g.full().upper(), "statement row payer upper").t(
        f"   +{g.r.randint(10, 900)},00\n"
    )
    r.t("07.10.  SEPA DD ref ").t(f"MNDT{g.r.randint(10**7, 10**8)}").t(
        f" Vodafone                 -{g.r.randint(10, 90)},99\n"
    )
    r.t("12.10.  Transfer to ").v("IBAN_CODE", g.iban(False), "statement row beneficiary IBAN").t(
        f"   -{g.r.randint(100, 900)},00\n"
    )
    r.t(f"Closing balance                                    {g.r.randint(1000, 9000)},{g.r.randint(10, 99)}")
    return r


def receipt(g: Gen) -> Rec:
    r = Rec()
    r.t(f"Payment receipt #{g.r.randint(10**6, 10**7)}\nMerchant: Blue Bottle Coffee, SF\nCardholder: ").v(
        "PERSON", g.full(), "receipt 'Cardholder: X'"
    )
    r.t("\nCard: ").v("CREDIT_CARD", g.card(), "receipt full card").t("   Exp 08/29\nAuth code: ").t(
        g.rs(6, string.ascii_uppercase + string.digits)
    )
    r.t(f"\nTotal: $ {g.r.randint(3, 60)}.{g.r.randint(10, 99)}\nReceipt sent to ").v(
        "EMAIL_ADDRESS", g.email(), "receipt 'sent to' email"
    ).t("\nAlso on file: **** **** **** 4417")
    return r


def lab_result(g: Gen) -> Rec:
    r = Rec()
    r.t("MEDISYS LABORATORIES — CUMULATIVE REPORT\nPatient: ").v(
        "PERSON", f"{g.last().upper()}, {g.first()}", "lab 'Patient: LAST, First'"
    )
    r.t("    MRN: ").v("MEDICAL_RECORD_NUMBER", g.mrn(), "lab 'MRN:' header").t("    DOB: ").v(
        "DATE_OF_BIRTH", g.dob(), "lab DOB header"
    )
    r.t("\nOrdering: Dr. ").v("PERSON", g.full(), "lab 'Ordering: Dr. X'").t(
        f"   Collected: 2026-{g.r.randint(1, 11):02d}-{g.r.randint(1, 28):02d} 07:42\n"
    )
    r.t(
        f"HbA1c        {g.r.randint(50, 95) / 10:.1f} %      (4.0-5.6)   H\nLDL-C        {g.r.randint(70, 190)} mg/dL  (<100)\neGFR         {g.r.randint(40, 110)}       (>60)\n"
    )
    r.t("Verified by ").v("PERSON", g.full(), "lab 'Verified by X'").t(", MLS(ASCP)")
    return r


def pharmacy(g: Gen) -> Rec:
    r = Rec()
    r.t(f"Rx #{g.r.randint(1000000, 9999999)}  REFILLS: {g.r.randint(0, 5)}\n").v(
        "PERSON", g.full(), "pharmacy label patient line"
    )
    r.t("\n").v("STREET_ADDRESS", g.street(), "pharmacy label address").t(
        f"\nMETFORMIN HCL 500 MG TAB  Qty {g.r.choice([30, 60, 90])}\nTake 1 tablet by mouth twice daily\n"
    )
    r.t("Prescriber: ").v("PERSON", g.full(), "pharmacy 'Prescriber: X'").t(
        f"  NDC 0093-{g.r.randint(1000, 9999)}-01  Patient ID "
    ).v("MEDICAL_RECORD_NUMBER", g.mrn(), "pharmacy 'Patient ID'")
    return r


def hr_letter(g: Gen) -> Rec:
    r = Rec()
    f, l_ = g.name()
    r.t(
        f"{g.r.randint(1, 28)} {g.r.choice(['March', 'June', 'October'])} 2026\n\nTo whom it may concern,\n\nThis is to confirm that "
    )
    r.v("PERSON", f"{f} {l_}", "HR 'confirm that X'").t(", born ").v(
        "DATE_OF_BIRTH", g.dob(), "HR 'born DATE'"
    )
    r.t(
        f", has been employed at Acme Corp as a {g.r.choice(['Data Engineer', 'Nurse Practitioner', 'Sales Lead'])} since 2019. "
    )
    r.t(f"{g.r.choice(['Her', 'His', 'Their'])} Social Security number on file is ").v(
        "US_SSN", g.ssn(), "HR SSN on file"
    )
    r.t(" and current home address is ").v("STREET_ADDRESS", g.street(), "HR home address").t(
        ".\n\nKind regards,\n"
    ).v("PERSON", g.full(), "HR signature name").t("\nPeople Operations")
    return r


def school_letter(g: Gen) -> Rec:
    r = Rec()
    kid = g.first()
    fam = g.last()
    r.t("Dear Parent/Guardian of ").v("PERSON", f"{kid} {fam}", "school 'Guardian of X'").t(
        f" (Year {g.r.randint(3, 11)}),\n\n"
    )
    r.v("PERSON", kid, "school first name in body").t(
        " has been selected for the regional maths olympiad on 14 May. Please return the consent form to "
    )
    r.t("Mrs ").v("PERSON", g.last(), "school 'Mrs X' teacher surname").t(" by Friday or email ").v(
        "EMAIL_ADDRESS", g.email(), "school teacher email"
    ).t(".\nRoom B12, Student no. 2026-").t(str(g.r.randint(1000, 9999)))
    return r


def github_issue(g: Gen) -> Rec:
    r = Rec()
    kind, tok = g.secret()
    r.t(
        f"### Bug: sync job fails with 401 after upgrading to v{g.r.randint(1, 4)}.{g.r.randint(0, 20)}.{g.r.randint(0, 9)}\n\n"
    )
    r.t("**Steps to reproduce**\n1. set the env below\n2. run `make sync`\n\n```env\n")
    r.t(f"API_BASE=https://api.internal.example\n{kind}=").v(kind, tok, "issue env block KEY=value")
    r.t(
        f"\nTIMEOUT=30\n```\n\n**Logs**\n```\n2026-11-{g.r.randint(1, 28):02d}T09:1{g.r.randint(0, 9)}:22Z ERROR auth failed for user="
    ).v("EMAIL_ADDRESS", g.email(), "issue log user=email")
    r.t(" from ").v("IP_ADDRESS", g.ip(), "issue log 'from IP'").t(
        f" trace={g.rs(32, '0123456789abcdef')}\n```\ncc @{g.first().lower()}-dev  (commit {g.rs(7, '0123456789abcdef')})"
    )
    return r


def pr_description(g: Gen) -> Rec:
    r = Rec()
    r.t(
        f"## Summary\nRotate the staging creds (see INC-{g.r.randint(1000, 9999)}). Old key for reference so ops can revoke it:\n\n> "
    )
    kind, tok = g.secret(
        g.r.choice(["AWS_ACCESS_KEY", "SLACK_TOKEN", "GITLAB_TOKEN", "SENDGRID_KEY", "TWILIO_KEY"])
    )
    r.v(kind, tok, "PR blockquote old key").t(
        '\n\nAlso moved the DSN out of `settings.py`:\n```diff\n- DATABASE_URL = "postgres://app_rw:'
    )
    r.v("PASSWORD", g.password(), "PR diff password in URL").t(
        f'@db-{g.r.randint(1, 9)}.staging.internal:5432/app"\n+ DATABASE_URL = os.environ["DATABASE_URL"]\n```\n'
    )
    r.t("Reviewed-by: ").v("PERSON", g.full(), "PR 'Reviewed-by: X' trailer").t(" <").v(
        "EMAIL_ADDRESS", g.email(), "PR trailer email"
    ).t(">")
    return r


def terminal(g: Gen) -> Rec:
    r = Rec()
    user = g.first().lower()
    r.t(f"{user}@build-{g.r.randint(1, 40)}:~/svc$ mysql -h ").v("IP_ADDRESS", g.ip(), "CLI 'mysql -h IP'")
    r.t(" -u admin -p")
    r.v("PASSWORD", g.password(), "CLI 'mysql -pPASSWORD'").t(
        " -e 'select 1'\nmysql: [Warning] Using a password on the command line interface can be insecure.\n+---+\n| 1 |\n+---+\n| 1 |\n+---+\n"
    )
    r.t(f"{user}@build:~/svc$ curl -s -u deploy:").v(
        "PASSWORD", g.password(), "CLI 'curl -u user:PASSWORD'"
    ).t(" https://registry.acme-corp.io/v2/_catalog\n")
    r.t(f"{user}@build:~/svc$ export HF_TOKEN=")
    r.v("HF_TOKEN", g.secret("HF_TOKEN")[1], "shell 'export X=token'").t(
        f"\n{user}@build:~/svc$ ssh ubuntu@"
    ).v("IP_ADDRESS", g.ip(), "shell 'ssh user@IP'")
    r.t(f"\nWelcome to Ubuntu 22.04.4 LTS (GNU/Linux 5.15.0-{g.r.randint(80, 120)}-generic x86_64)")
    return r


def jupyter(g: Gen) -> Rec:
    r = Rec()
    r.t(f"In [{g.r.randint(3, 40)}]: df[df.churn_risk > 0.8].head(3)\nOut[{g.r.randint(3, 40)}]:\n")
    r.t("      customer_id            full_name                         email    churn_risk\n")
    for _ in range(3):
        name = g.full()
        r.t(f"{g.r.randint(10, 9999):>5}  C{g.r.randint(100000, 999999)}  {' ' * max(0, 19 - len(name))}").v(
            "PERSON", name, "pandas DataFrame repr cell"
        )
        r.t("  ").v("EMAIL_ADDRESS", g.email(), "pandas DataFrame email cell").t(f"  {g.r.random():.3f}\n")
    r.t('\nIn [41]: openai.api_key = "').v(
        "OPENAI_KEY", g.secret("OPENAI_KEY")[1], "notebook 'api_key = \"...\"'"
    ).t('"')
    return r


def psql_table(g: Gen) -> Rec:
    r = Rec()
    r.t("app=> SELECT id, name, phone, ssn FROM patients WHERE ward = 'B3' LIMIT 3;\n")
    r.t(
        " id  |        name         |      phone       |     ssn     \n-----+---------------------+------------------+-------------\n"
    )
    for _ in range(3):
        name, ph, s = g.full(), g.phone(), g.ssn()
        r.t(f" {g.r.randint(100, 999)} | ").v("PERSON", name, "psql aligned cell").t(
            " " * max(1, 20 - len(name)) + "| "
        )
        r.v("PHONE_NUMBER", ph, "psql phone cell").t(" " * max(1, 17 - len(ph)) + "| ").v(
            "US_SSN", s, "psql ssn cell"
        ).t("\n")
    r.t("(3 rows)\n")
    return r


def mysql_box(g: Gen) -> Rec:
    r = Rec()
    r.t("mysql> SELECT user, email, last_ip, card FROM billing LIMIT 2;\n")
    r.t("┌───────────────────┬──────────────────────────────┬────────────────┬─────────────────────┐\n")
    for _ in range(2):
        r.t("│ ").v("PERSON", g.full(), "box-drawing table cell").t(" │ ").v(
            "EMAIL_ADDRESS", g.email(), "box table email"
        ).t(" │ ")
        r.v("IP_ADDRESS", g.ip(), "box table ip").t(" │ ").v("CREDIT_CARD", g.card(), "box table card").t(
            " │\n"
        )
    r.t(
        "└───────────────────┴──────────────────────────────┴────────────────┴─────────────────────┘\n2 rows in set (0.01 sec)"
    )
    return r


def soap(g: Gen) -> Rec:
    r = Rec()
    r.t(
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">\n <soapenv:Header><wsse:Security><wsse:UsernameToken>'
    )
    r.t("<wsse:Username>svc_claims</wsse:Username><wsse:Password>").v(
        "PASSWORD", g.password(), "SOAP wsse:Password element"
    ).t("</wsse:Password>")
    r.t(
        "</wsse:UsernameToken></wsse:Security></soapenv:Header>\n <soapenv:Body><ns:SubmitClaim>\n  <ns:Member><ns:GivenName>"
    )
    f, l_ = g.name()
    r.v("PERSON", f, "XML GivenName element").t("</ns:GivenName><ns:FamilyName>").v(
        "PERSON", l_, "XML FamilyName element"
    ).t("</ns:FamilyName>\n")
    r.t("  <ns:BirthDate>").v("DATE_OF_BIRTH", g.dob(), "XML BirthDate element").t(
        "</ns:BirthDate><ns:SSN>"
    ).v("US_SSN", g.ssn(), "XML SSN element")
    r.t(
        f'</ns:SSN></ns:Member>\n  <ns:ClaimId>CLM-{g.r.randint(10**6, 10**7)}</ns:ClaimId><ns:Amount currency="USD">{g.r.randint(100, 9000)}.00</ns:Amount>\n </ns:SubmitClaim></soapenv:Body>\n</soapenv:Envelope>'
    )
    return r


def ldap(g: Gen) -> Rec:
    r = Rec()
    f, l_ = g.name()
    uid = (f[0] + l_).lower().replace(" ", "").replace("'", "")
    r.t("# extended LDIF\n#\ndn: CN=").v("PERSON", f"{f} {l_}", "LDAP dn CN=").t(
        ",OU=Staff,DC=corp,DC=acme,DC=io\nobjectClass: user\ncn: "
    )
    r.v("PERSON", f"{f} {l_}", "LDAP 'cn:' attribute").t("\nsn: ").v("PERSON", l_, "LDAP 'sn:' attribute").t(
        "\ngivenName: "
    ).v("PERSON", f, "LDAP 'givenName:' attribute")
    r.t(f"\nsAMAccountName: {uid[:12]}\nmail: ").v("EMAIL_ADDRESS", g.email(f, l_), "LDAP 'mail:'").t(
        "\ntelephoneNumber: "
    ).v("PHONE_NUMBER", g.phone(), "LDAP 'telephoneNumber:'")
    r.t("\nmanager: CN=").v("PERSON", g.full(), "LDAP manager CN=").t(
        f",OU=Staff,DC=corp,DC=acme,DC=io\nwhenCreated: 2019{g.r.randint(1, 12):02d}{g.r.randint(10, 28)}101512.0Z\nobjectGUID:: {base64.b64encode(bytes(g.r.randrange(256) for _ in range(16))).decode()}"
    )
    return r


def vcard(g: Gen) -> Rec:
    r = Rec()
    f, l_ = g.name()
    r.t("BEGIN:VCARD\nVERSION:3.0\nN:").v("PERSON", f"{l_};{f}", "vCard 'N:last;first'").t(";;;\nFN:").v(
        "PERSON", f"{f} {l_}", "vCard 'FN:'"
    )
    r.t("\nORG:Harbor Realty\nTEL;TYPE=CELL:").v("PHONE_NUMBER", g.phone(), "vCard TEL").t(
        "\nEMAIL;TYPE=INTERNET:"
    ).v("EMAIL_ADDRESS", g.email(f, l_), "vCard EMAIL")
    r.t("\nBDAY:").v(
        "DATE_OF_BIRTH",
        f"{g.r.randint(1950, 2000)}{g.r.randint(1, 12):02d}{g.r.randint(1, 28):02d}",
        "vCard BDAY compact",
    ).t("\nEND:VCARD")
    return r


def ical(g: Gen) -> Rec:
    r = Rec()
    r.t(
        f"BEGIN:VEVENT\nUID:{g.rs(24, string.ascii_lowercase + string.digits)}@calendar.acme-corp.io\nDTSTART:202612{g.r.randint(10, 28)}T140000Z\nSUMMARY:Quarterly review\n"
    )
    r.t("ORGANIZER;CN=").v("PERSON", g.full(), "iCal ORGANIZER;CN=").t(":mailto:").v(
        "EMAIL_ADDRESS", g.email(), "iCal mailto organizer"
    )
    r.t("\nATTENDEE;ROLE=REQ-PARTICIPANT;CN=").v("PERSON", g.full(), "iCal ATTENDEE;CN=").t(":mailto:").v(
        "EMAIL_ADDRESS", g.email(), "iCal mailto attendee"
    )
    r.t("\nLOCATION:").v("STREET_ADDRESS", g.street(), "iCal LOCATION address").t("\nEND:VEVENT")
    return r


def email_headers(g: Gen) -> Rec:
    r = Rec()
    f, l_ = g.name()
    r.t('From: "').v("PERSON", f"{l_}, {f}", "header 'From: \"Last, First\"'").t('" <').v(
        "EMAIL_ADDRESS", g.email(f, l_), "header From addr"
    ).t(">\nTo: ")
    r.v("PERSON", g.full(), "header 'To: Name <addr>'").t(" <").v(
        "EMAIL_ADDRESS", g.email(), "header To addr"
    ).t(">\nCc: ")
    r.v("EMAIL_ADDRESS", g.email(), "header bare Cc addr").t(", ").v(
        "PERSON", g.full(), "header Cc display name"
    ).t(" <").v("EMAIL_ADDRESS", g.email(), "header Cc addr")
    r.t(
        f">\nDate: Tue, {g.r.randint(1, 28)} Oct 2026 09:14:02 +0200\nMessage-ID: <{g.rs(16, string.hexdigits.lower())}@mail.acme-corp.io>\nReceived: from mx2 ("
    )
    r.v("IP_ADDRESS", g.ip(), "header Received IP").t(")\nSubject: Re: contract renewal\n\nSee attached.")
    return r


def ocr(g: Gen) -> Rec:
    r = Rec()
    f, l_ = g.name()
    r.t("S T A T E   O F   N E W   Y O R K\nDEPARTMENT  OF  MOTOR  VEH1CLES\n\nNAME :  ").v(
        "PERSON", f"{l_.upper()}  ,  {f.upper()}", "OCR 'NAME :' spaced upper"
    )
    r.t("\nD0B:  ").v("DATE_OF_BIRTH", g.dob(), "OCR 'D0B:' zero-for-O").t(
        "    SEX: F   HGT: 5-06\nADDR :  "
    ).v("STREET_ADDRESS", g.street(), "OCR 'ADDR :'")
    r.t("\nSSN  ").v("US_SSN", g.ssn(), "OCR SSN after spaced label").t(
        f"\nISS  03/{g.r.randint(10, 28)}/2024   EXP  03/{g.r.randint(10, 28)}/2032   CLASS  D"
    )
    return r


def multilingual(g: Gen) -> Rec:
    r = Rec()
    lang = g.r.randrange(5)
    name = g.full()
    if lang == 0:
        r.t("Hola, soy ").v("PERSON", name, "ES 'soy X'").t(". No me llega el reembolso del pedido 40-").t(
            str(g.r.randint(10000, 99999))
        )
        r.t(". Mi IBAN es ").v("IBAN_CODE", g.iban(), "ES 'Mi IBAN es'").t(" y mi móvil ").v(
            "PHONE_NUMBER", g.phone(), "ES 'mi móvil'"
        ).t(". Gracias.")
    elif lang == 1:
        r.t("Bonjour, je m'appelle ").v("PERSON", name, 'FR "je m\'appelle X"').t(". J'habite au ").v(
            "STREET_ADDRESS", g.street(), 'FR "J\'habite au"'
        )
        r.t(". Née le ").v("DATE_OF_BIRTH", g.dob(), "FR 'Née le'").t(". Merci de répondre à ").v(
            "EMAIL_ADDRESS", g.email(), "FR email"
        ).t(".")
    elif lang == 2:
        r.t("Guten Tag, mein Name ist ").v("PERSON", name, "DE 'mein Name ist X'").t(
            ". Bitte buchen Sie die Rückerstattung auf "
        ).v("IBAN_CODE", g.iban(), "DE IBAN")
        r.t(". Geburtsdatum: ").v("DATE_OF_BIRTH", g.dob(), "DE 'Geburtsdatum:'").t(". Tel. ").v(
            "PHONE_NUMBER", g.phone(), "DE 'Tel.'"
        ).t(" – Mit freundlichen Grüßen")
    elif lang == 3:
        r.t("Olá, aqui é a ").v("PERSON", name, "PT 'aqui é a X'").t(". Meu cartão ").v(
            "CREDIT_CARD", g.card(), "PT 'Meu cartão'"
        )
        r.t(" foi cobrado duas vezes. Contato: ").v("EMAIL_ADDRESS", g.email(), "PT 'Contato:' email").t(
            ". Obrigada!"
        )
    else:
        r.t("Buongiorno, sono ").v("PERSON", name, "IT 'sono X'").t(
            ", cliente dal 2018. Il mio codice paziente è "
        ).v("MEDICAL_RECORD_NUMBER", g.mrn(), "IT 'codice paziente'")
        r.t(", telefono ").v("PHONE_NUMBER", g.phone(), "IT 'telefono'").t(". Cordiali saluti.")
    return r


def config_secrets(g: Gen) -> Rec:
    r = Rec()
    k = g.r.randrange(4)
    if k == 0:
        r.t("# ~/.npmrc\nregistry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=").v(
            "NPM_TOKEN", g.secret("NPM_TOKEN")[1], "npmrc _authToken"
        )
        r.t("\n# ~/.pypirc\n[pypi]\nusername = __token__\npassword = ").v(
            "PYPI_TOKEN", g.secret("PYPI_TOKEN")[1], "pypirc password token"
        )
    elif k == 1:
        r.t("spring:\n  datasource:\n    url: jdbc:postgresql://").v(
            "IP_ADDRESS", g.ip(), "YAML jdbc url host IP"
        ).t(":5432/orders\n    username: orders_svc\n    password: ").v(
            "PASSWORD", g.password(), "YAML 'password:' value"
        )
        r.t("\n  mail:\n    sendgrid-key: ").v(
            "SENDGRID_KEY", g.secret("SENDGRID_KEY")[1], "YAML sendgrid-key"
        ).t("\n")
    elif k == 2:
        r.t("[default]\naws_access_key_id = ").v(
            "AWS_ACCESS_KEY", g.secret("AWS_ACCESS_KEY")[1], "aws credentials file id"
        )
        r.t("\naws_secret_access_key = ").v(
            "AWS_SECRET_KEY", g.secret("AWS_SECRET_KEY")[1], "aws credentials file secret"
        ).t("\nregion = eu-west-1\n")
    else:
        r.t('const client = new Anthropic({ apiKey: "').v(
            "ANTHROPIC_KEY", g.secret("ANTHROPIC_KEY")[1], "JS apiKey literal"
        ).t('" });\n')
        r.t("const maps = loadMaps({ key: '").v(
            "GOOGLE_API_KEY", g.secret("GOOGLE_API_KEY")[1], "JS maps key literal"
        ).t("' });\n")
        r.t("fetch(url, { headers: { Authorization: `Bearer ").v(
            "JWT", g.secret("JWT")[1], "JS Bearer JWT"
        ).t("` } });")
    return r


def incident_paste(g: Gen) -> Rec:
    r = Rec()
    r.t("Pasting the key we found in the public gist so we can confirm it's revoked:\n\n").v(
        "PRIVATE_KEY", g.pem(), "PEM block in chat"
    )
    r.t("\n\nAlso the stripe one: ").v("STRIPE_KEY", g.secret("STRIPE_KEY")[1], "chat inline stripe key").t(
        " and the bot token "
    ).v("SLACK_TOKEN", g.secret("SLACK_TOKEN")[1], "chat inline slack token").t(".")
    return r


# ---- negatives: lookalikes only, nothing labelled -----------------------------------------
def isbn13(g: Gen) -> str:
    d = "978" + "".join(str(g.r.randint(0, 9)) for _ in range(9))
    c = (10 - sum(int(x) * (1 if i % 2 == 0 else 3) for i, x in enumerate(d)) % 10) % 10
    return f"{d[:3]}-{d[3]}-{d[4:8]}-{d[8:12]}-{c}"


def bad_luhn(g: Gen) -> str:
    while True:
        s = "4" + "".join(str(g.r.randint(0, 9)) for _ in range(15))
        if not luhn_ok(s):
            return s


def negative(g: Gen) -> Rec:
    r = Rec()
    k = g.r.randrange(8)
    if k == 0:
        r.t(
            f"Reading list: 'Designing Data-Intensive Applications' ISBN {isbn13(g)}; 'The Phoenix Project' ISBN {isbn13(g)}. Ordered via PO-{g.r.randint(10**5, 10**6)}."
        )
    elif k == 1:
        r.t(
            f"Your parcel 1Z{g.rs(16, string.ascii_uppercase + string.digits)} left the Louisville hub at 04:12. USPS tracking 9400 1{g.r.randint(10**9, 10**10 - 1)} {g.r.randint(10**9, 10**10 - 1)}. SKU WH-{g.r.randint(1000, 9999)}-BLK x2."
        )
    elif k == 2:
        r.t(
            f"Bumped requests 2.31.0 -> 2.32.{g.r.randint(0, 5)}, numpy 1.26.4, image sha256:{g.rs(64, '0123456789abcdef')}; build 10.0.{g.r.randint(19041, 26100)}.{g.r.randint(100, 4000)} passes."
        )
    elif k == 3:
        r.t(
            f"Meet at 48.8{g.r.randint(100, 999)}° N, 2.3{g.r.randint(100, 999)}° E — then head down Martin Luther King Jr Blvd and turn onto Washington Street past the Lincoln Memorial. Opening hours 09:00–17:30."
        )
    elif k == 4:
        r.t(
            f"Invoice INV-2026-{g.r.randint(1000, 9999)} dated 2026-{g.r.randint(1, 12):02d}-{g.r.randint(1, 28):02d}, due 30 days. Test card number {bad_luhn(g)} failed Luhn as expected. Ref {g.r.randint(10**15, 10**16 - 1)}."
        )
    elif k == 5:
        r.t(
            f"Johnson & Johnson, Morgan Stanley and Goldman Sachs reported Q3 results on October {g.r.randint(1, 30)}, 2026; Ford Motor and Walt Disney follow next week. Ticker volume 1,{g.r.randint(100, 999)},{g.r.randint(100, 999)}."
        )
    elif k == 6:
        r.t(
            f"Example config: DB_PASSWORD=<your-password>, API_KEY=${{API_KEY}}, token: changeme. See https://docs.example.com/auth#tokens and RFC 7519. Commit {g.rs(40, '0123456789abcdef')}."
        )
    else:
        r.t(
            f"Patient education leaflet v{g.r.randint(1, 9)}.{g.r.randint(0, 9)}: the nurse will call you; your doctor reviews results within 48 h. Form HHS-{g.r.randint(100, 999)}, rev. 03/2024. Room 4B, extension 4410."
        )
    return r


GENRES = {
    "rag_policy": (rag_policy, 40),
    "review": (review, 40),
    "call_transcript": (call_transcript, 45),
    "legal_letter": (legal_letter, 30),
    "real_estate": (real_estate, 30),
    "travel": (travel, 35),
    "bank_statement": (bank_statement, 30),
    "receipt": (receipt, 30),
    "lab_result": (lab_result, 30),
    "pharmacy": (pharmacy, 25),
    "hr_letter": (hr_letter, 30),
    "school_letter": (school_letter, 20),
    "github_issue": (github_issue, 40),
    "pr_description": (pr_description, 30),
    "terminal": (terminal, 30),
    "jupyter": (jupyter, 25),
    "psql_table": (psql_table, 25),
    "mysql_box": (mysql_box, 20),
    "soap_xml": (soap, 25),
    "ldap": (ldap, 25),
    "vcard": (vcard, 20),
    "ical": (ical, 20),
    "email_headers": (email_headers, 30),
    "ocr": (ocr, 25),
    "multilingual": (multilingual, 50),
    "config_secrets": (config_secrets, 40),
    "incident_paste": (incident_paste, 15),
    "negative": (negative, 95),
}


def main() -> None:
    rng = random.Random(SEED)
    g = Gen(rng)
    recs = []
    for genre, (fn, n) in GENRES.items():
        for _ in range(n):
            rec = fn(g)
            text = rec.text()
            for s in rec.spans:  # offsets are exact by construction; check anyway
                assert text[s["start"] : s["end"]] == s["value"], (genre, s)
            recs.append({"genre": genre, "text": text, "spans": rec.spans})
    rng.shuffle(recs)
    with OUT.open("w", encoding="utf-8") as fh:
        for i, rec in enumerate(recs):
            fh.write(json.dumps({"id": f"heldout2-{i}", **rec}, ensure_ascii=False) + "\n")
    print(f"wrote {len(recs)} records, {sum(len(r['spans']) for r in recs)} spans to {OUT}")


if __name__ == "__main__":
    main()
