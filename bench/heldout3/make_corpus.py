#!/usr/bin/env python3
"""Write ``heldout3.jsonl``: the third held-out detection corpus (see README.md).

Stdlib only and deterministic (fixed seed).  Every record is built from parts: plain text
and labelled values; offsets are computed while the text is built and asserted
(``text[start:end] == value``) before the file is written.  Each span carries a
``pattern`` naming the context it sits in, so misses can be grouped.

    python bench/heldout3/make_corpus.py
"""

from __future__ import annotations

import base64
import collections
import itertools
import json
import random
import string
from pathlib import Path

SEED = 30031129
HERE = Path(__file__).resolve().parent
OUT = HERE / "heldout3.jsonl"

R = random.Random(SEED)

# ---------------------------------------------------------------------------------- names
FIRST = [
    "Priya",
    "Tomasz",
    "Oluwaseun",
    "Mei-Ling",
    "Siddharth",
    "Ingrid",
    "Mateo",
    "Ayesha",
    "Kwame",
    "Léa",
    "Björn",
    "Chiamaka",
    "Raúl",
    "Yuki",
    "Fatima",
    "Dmitri",
    "Saoirse",
    "Thandiwe",
    "Hamid",
    "Ximena",
    "Joaquín",
    "Anneliese",
    "Kofi",
    "Nadia",
    "Eitan",
    "Marisol",
    "Takeshi",
    "Ngozi",
    "Rhiannon",
    "Aleksandra",
    "Bao",
    "Zeynep",
    "Cormac",
    "Leilani",
    "Arjun",
    "Małgorzata",
    "Sven",
    "Amara",
    "Jean-Baptiste",
    "Maëlle",
    "Ekaterina",
    "Hyun-woo",
    "Isidro",
    "Wanjiru",
    "Radu",
    "Tamsin",
    "Ifeoma",
    "Emeka",
    "Lucía",
    "Rasmus",
    "Aoife",
    "Darnell",
    "Shanice",
    "Brandon",
    "Kayleigh",
    "Trevor",
    "Dolores",
    "Harold",
    "Beatriz",
    "Gustavo",
    "Noor",
    "Yousef",
    "Ana-Maria",
    # names that are also common words
    "Hope",
    "Grace",
    "Will",
    "Rose",
    "Bill",
    "Mark",
    "Faith",
    "Dawn",
    "Chase",
    "Joy",
    "Summer",
    "Drew",
    "Hunter",
    "Ivy",
    "River",
    "Jade",
    "Pat",
    "Sue",
    "Art",
    "Rusty",
    "Penny",
    "Sunny",
]
LAST = [
    "Natarajan",
    "Wiśniewski",
    "Adeyemi",
    "Chen",
    "Raghunathan",
    "Lindqvist",
    "Herrera",
    "Siddiqui",
    "Mensah",
    "Fontaine",
    "Gústafsson",
    "Okafor",
    "Villanueva",
    "Takahashi",
    "Haddad",
    "Volkov",
    "Ní Bhriain",
    "Dlamini",
    "Karimi",
    "Ocampo",
    "Echeverría",
    "Brandt",
    "Asante",
    "Petrenko",
    "Ben-David",
    "Cisneros",
    "Morimoto",
    "Eze",
    "Pryce",
    "Kowalczyk",
    "Trần",
    "Yılmaz",
    "Mac Giolla",
    "Kahananui",
    "Iyer",
    "Zając",
    "Halvorsen",
    "Osei",
    "van der Merwe",
    "de la Cruz",
    "al-Rashid",
    "O'Connell",
    "N'Diaye",
    "D'Souza",
    "Müller-Lüdenscheidt",
    "Søndergaard",
    "Ólafsdóttir",
    "von Hohenberg",
    "da Silva",
    "El Amrani",
    "St. Clair",
    "McAllister",
    "Fitzgerald-Hayes",
    "Nguyễn",
    "Papadopoulos",
    "Abernathy",
    "Washington",
    "Kuznetsova",
    "Fernández",
    "Kimura",
    # surnames that are also common words
    "Baker",
    "Cook",
    "Young",
    "Long",
    "Green",
    "Bird",
    "Hill",
    "Stone",
    "Price",
    "Rich",
    "Sharp",
    "Little",
    "Moon",
    "Day",
    "Frost",
    "King",
    "Love",
    "Church",
    "Mann",
    "Wolf",
    "Snow",
    "Fox",
]
SYL = [
    "ka",
    "ro",
    "mi",
    "tel",
    "zan",
    "vo",
    "qui",
    "dra",
    "nes",
    "bel",
    "tor",
    "ix",
    "ul",
    "sha",
    "ven",
    "lor",
    "pe",
    "ga",
    "dun",
    "ri",
    "mo",
    "thi",
    "ax",
    "eb",
    "wyn",
    "cos",
    "fen",
    "ira",
]
KNOWN = {w for n in FIRST + LAST for w in n.split()}


def invented(parts: int) -> str:
    while True:
        w = "".join(R.choice(SYL) for _ in range(parts)).capitalize()
        if w not in KNOWN and 4 <= len(w) <= 11:
            return w


def first() -> str:
    return invented(2) if R.random() < 0.18 else R.choice(FIRST)


def last() -> str:
    return invented(R.choice([2, 3])) if R.random() < 0.18 else R.choice(LAST)


def fullname() -> tuple[str, str, str]:
    f, surname = first(), last()
    return f, surname, f"{f} {surname}"


def slug(s: str) -> str:
    import unicodedata

    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return "".join(c for c in s.lower() if c.isalnum())


# ------------------------------------------------------------------------- value makers
DOMAINS = [
    "gmail.com",
    "outlook.com",
    "yahoo.co.uk",
    "proton.me",
    "icloud.com",
    "gmx.de",
    "orange.fr",
    "hey.com",
    "fastmail.fm",
    "web.de",
    "mail.ru",
    "bigpond.com",
]
COMPANY_DOMAINS = [
    "northwind-logistics.com",
    "kestrelbio.io",
    "harbourline.co.uk",
    "quillfin.com",
    "tallgrass.ag",
    "brightpath.edu",
    "meridian-health.org",
    "copperleaf.net",
]


def email(f: str, surname: str, company: bool = False) -> str:
    a, b = slug(f), slug(surname)
    local = R.choice(
        [
            f"{a}.{b}",
            f"{a[0]}{b}",
            f"{a}{R.randint(1, 99)}",
            f"{b}.{a[0]}",
            f"{a}_{b}",
            f"{a}+{R.choice(['shop', 'news', 'bills'])}",
        ]
    )
    return f"{local}@{R.choice(COMPANY_DOMAINS if company else DOMAINS)}"


def nanp() -> tuple[str, str, str]:
    while True:
        area = f"{R.randint(2, 9)}{R.randint(0, 8)}{R.randint(0, 9)}"
        if area[1:] != "11":
            break
    while True:
        exch = f"{R.randint(2, 9)}{R.randint(0, 9)}{R.randint(0, 9)}"
        if exch[1:] != "11" and exch != "555":
            break
    return area, exch, f"{R.randint(0, 9999):04d}"


def us_phone(fmt: int | None = None) -> str:
    a, e, n = nanp()
    fmt = R.randint(0, 6) if fmt is None else fmt
    return [
        f"({a}) {e}-{n}",
        f"{a}-{e}-{n}",
        f"{a}.{e}.{n}",
        f"+1 {a} {e} {n}",
        f"+1-{a}-{e}-{n}",
        f"+1{a}{e}{n}",
        f"1 ({a}) {e}-{n}",
    ][fmt]


def d(n: int) -> str:
    return "".join(R.choice(string.digits) for _ in range(n))


def intl_phone() -> str:
    return R.choice(
        [
            lambda: f"+44 20 7{d(3)} {d(4)}",
            lambda: f"+44 7700 {d(6)}",
            lambda: f"07{d(3)} {d(6)}",
            lambda: f"+49 30 {d(8)}",
            lambda: f"+49 (0)151 {d(4)} {d(4)}",
            lambda: f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}",
            lambda: f"+91 98{d(3)} {d(5)}",
            lambda: f"+61 4{d(2)} {d(3)} {d(3)}",
            lambda: f"+55 11 9{d(4)}-{d(4)}",
            lambda: f"+81 3-{d(4)}-{d(4)}",
            lambda: f"+234 803 {d(3)} {d(4)}",
            lambda: f"+52 55 {d(4)} {d(4)}",
            lambda: f"+353 87 {d(3)} {d(4)}",
            lambda: f"+31 6 {d(8)}",
            lambda: f"+27 82 {d(3)} {d(4)}",
        ]
    )()


def phone() -> str:
    return us_phone() if R.random() < 0.6 else intl_phone()


def luhn_ok(num: str) -> bool:
    s = 0
    for i, ch in enumerate(reversed(num)):
        k = int(ch)
        if i % 2:
            k = k * 2 - 9 if k > 4 else k * 2
        s += k
    return s % 10 == 0


def card_digits() -> str:
    brand = R.choice(["visa", "mc", "mc2", "amex", "disc", "jcb", "diners"])
    prefix, length = {
        "visa": ("4", 16),
        "mc": (str(R.randint(51, 55)), 16),
        "mc2": (str(R.randint(2221, 2720)), 16),
        "amex": (R.choice(["34", "37"]), 15),
        "disc": ("6011", 16),
        "jcb": (str(R.randint(3528, 3589)), 16),
        "diners": (R.choice(["36", "38"]), 14),
    }[brand]
    body = prefix + d(length - len(prefix) - 1)
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def fmt_card(num: str, style: int | None = None) -> str:
    style = R.randint(0, 2) if style is None else style
    if style == 0:
        return num
    sep = " " if style == 1 else "-"
    if len(num) == 15:
        return sep.join([num[:4], num[4:10], num[10:]])
    if len(num) == 14:
        return sep.join([num[:4], num[4:10], num[10:]])
    return sep.join(num[i : i + 4] for i in range(0, 16, 4))


def card() -> str:
    return fmt_card(card_digits())


def bad_card() -> str:
    num = card_digits()
    last_d = (int(num[-1]) + R.randint(1, 9)) % 10
    return fmt_card(num[:-1] + str(last_d), R.choice([0, 1]))


IBAN_FMT = {  # country: BBAN layout (n digits, a upper letters, c alnum)
    "DE": "8n10n",
    "GB": "4a6n8n",
    "FR": "10n11n2n",
    "ES": "20n",
    "IT": "1a10n12n",
    "NL": "4a10n",
    "BE": "12n",
    "CH": "5n12n",
    "AT": "16n",
    "IE": "4a6n8n",
    "PL": "24n",
    "SE": "20n",
    "DK": "14n",
    "NO": "11n",
    "PT": "21n",
    "LU": "3n13n",
    "FI": "14n",
}


def _bban(layout: str) -> str:
    out, num = [], ""
    for ch in layout:
        if ch.isdigit():
            num += ch
        else:
            k = int(num)
            num = ""
            pool = (
                string.digits
                if ch == "n"
                else string.ascii_uppercase
                if ch == "a"
                else string.digits + string.ascii_uppercase
            )
            out.append("".join(R.choice(pool) for _ in range(k)))
    return "".join(out)


def _mod97(s: str) -> int:
    return int("".join(str(int(c, 36)) for c in s)) % 97


def iban(spaced: bool | None = None, country: str | None = None) -> str:
    cc = country or R.choice(list(IBAN_FMT))
    bban = _bban(IBAN_FMT[cc])
    check = 98 - _mod97(bban + cc + "00")
    raw = f"{cc}{check:02d}{bban}"
    assert _mod97(raw[4:] + raw[:4]) == 1
    if spaced if spaced is not None else R.random() < 0.4:
        return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    return raw


def bad_iban() -> str:
    good = iban(spaced=False)
    while True:
        chk = f"{R.randint(2, 98):02d}"
        cand = good[:2] + chk + good[4:]
        if _mod97(cand[4:] + cand[:4]) != 1:
            return cand


def ssn(style: int | None = None) -> str:
    while True:
        area = R.randint(1, 899)
        if area != 666:
            break
    g, s = R.randint(1, 99), R.randint(1, 9999)
    style = R.randint(0, 2) if style is None else style
    return [f"{area:03d}-{g:02d}-{s:04d}", f"{area:03d} {g:02d} {s:04d}", f"{area:03d}{g:02d}{s:04d}"][style]


def passport() -> str:
    return d(9) if R.random() < 0.5 else R.choice("ACEFGHJKLMNPRSTUVWXYZ") + d(8)


def dob() -> str:
    y, m, dd = R.randint(1941, 2008), R.randint(1, 12), R.randint(1, 28)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return R.choice(
        [
            f"{m:02d}/{dd:02d}/{y}",
            f"{y}-{m:02d}-{dd:02d}",
            f"{dd} {months[m - 1]} {y}",
            f"{months[m - 1]} {dd}, {y}",
            f"{dd:02d}.{m:02d}.{y}",
            f"{m}/{dd}/{str(y)[2:]}",
        ]
    )


def ip() -> str:
    return R.choice(
        [
            lambda: f"{R.randint(11, 223)}.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}",
            lambda: f"10.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}",
            lambda: f"2001:db8:{R.randint(0, 0xFFFF):x}:{R.randint(0, 0xFFFF):x}::{R.randint(1, 0xFFF):x}",
            lambda: f"{R.randint(11, 223)}.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}",
        ]
    )()


def mrn() -> str:
    return R.choice([d(8), f"MRN{d(7)}", f"{d(3)}-{d(2)}-{d(3)}", f"E{d(9)}"])


US_STREETS = [
    "Maple Ave",
    "Coldwater Canyon Dr",
    "N Halsted St",
    "Kettle Creek Rd",
    "SW Alder St",
    "Peachtree Industrial Blvd",
    "Old Orchard Ln",
    "E 87th St",
    "Bayshore Pkwy",
    "Quarry Hill Rd",
]
US_CITIES = [
    ("Portland", "OR", "97205"),
    ("Chicago", "IL", "60614"),
    ("Austin", "TX", "78704"),
    ("Duluth", "GA", "30096"),
    ("Burbank", "CA", "91505"),
    ("Albany", "NY", "12203"),
    ("Tacoma", "WA", "98402"),
    ("Madison", "WI", "53703"),
    ("Boise", "ID", "83702"),
]


def us_addr_parts() -> tuple[str, str, str, str]:
    line1 = f"{R.randint(2, 9899)} {R.choice(US_STREETS)}"
    if R.random() < 0.3:
        line1 += R.choice(
            [
                f" Apt {R.randint(1, 40)}{R.choice('ABCD')}",
                f" Unit {R.randint(100, 999)}",
                f" #{R.randint(2, 90)}",
            ]
        )
    city, st, z = R.choice(US_CITIES)
    return line1, city, st, z


def address(sep: str = ", ") -> str:
    kind = R.random()
    if kind < 0.55:
        l1, c, s, z = us_addr_parts()
        return f"{l1}{sep}{c}, {s} {z}"
    if kind < 0.7:
        return f"{R.randint(1, 220)} {R.choice(['Gloucester Road', 'Mill Lane', 'Dalston Lane', 'Park Terrace'])}{sep}{R.choice(['Bristol BS7 8NR', 'London E8 3DL', 'Leeds LS6 2AB', 'Glasgow G12 8QQ'])}"
    if kind < 0.8:
        return f"{R.choice(['Kastanienallee', 'Schillerstraße', 'Bergmannstr.'])} {R.randint(1, 120)}{sep}{R.choice(['10435 Berlin', '80331 München', '50667 Köln'])}"
    if kind < 0.88:
        return f"{R.randint(1, 90)} {R.choice(['rue de la Roquette', 'avenue Jean Jaurès', 'boulevard Voltaire'])}{sep}{R.choice(['75011 Paris', '69007 Lyon', '31000 Toulouse'])}"
    if kind < 0.94:
        return f"{R.choice(['Prinsengracht', 'Oudegracht', 'Witte de Withstraat'])} {R.randint(1, 400)}{sep}{R.choice(['1015 DV Amsterdam', '3511 AL Utrecht', '3012 BR Rotterdam'])}"
    return f"{R.randint(2, 300)} {R.choice(['Bloor St W', 'Rue Sherbrooke O', 'Main St'])}{sep}{R.choice(['Toronto, ON M5S 1V6', 'Montréal, QC H3A 1E8', 'Vancouver, BC V6B 2W9'])}"


# ------------------------------------------------------------------------------ secrets
AN = string.ascii_letters + string.digits
B64 = AN + "+/"
URLSAFE = AN + "-_"
HEX = "0123456789abcdef"


def rs(n: int, pool: str = AN) -> str:
    return "".join(R.choice(pool) for _ in range(n))


def b64url(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def jwt() -> str:
    head = b64url({"alg": R.choice(["RS256", "HS256", "ES256"]), "typ": "JWT", "kid": rs(8, HEX)})
    body = b64url({"sub": rs(12, HEX), "iat": 1790000000 + R.randint(0, 9999999), "scope": "read write"})
    return f"{head}.{body}.{rs(R.choice([43, 86, 342]), URLSAFE)}"


SECRETS = {
    "AWS_ACCESS_KEY": lambda: R.choice(["AKIA", "ASIA"]) + rs(16, string.ascii_uppercase + "234567"),
    "AWS_SECRET_KEY": lambda: rs(40, B64),
    "GITHUB_TOKEN": lambda: R.choice(
        [
            f"ghp_{rs(36)}",
            f"gho_{rs(36)}",
            f"ghs_{rs(36)}",
            f"github_pat_11{rs(20, string.ascii_uppercase + string.digits)}_{rs(59)}",
        ]
    ),
    "SLACK_TOKEN": lambda: f"{R.choice(['xoxb', 'xoxp', 'xoxe.xoxp-1'])}-{d(12)}-{d(13)}-{rs(24)}",
    "STRIPE_KEY": lambda: R.choice([f"sk_live_{rs(99)}", f"rk_live_{rs(24)}", f"whsec_{rs(32)}"]),
    "OPENAI_KEY": lambda: R.choice(
        [f"sk-proj-{rs(156, URLSAFE)}", f"sk-{rs(20)}T3BlbkFJ{rs(20)}", f"sk-svcacct-{rs(74, URLSAFE)}"]
    ),
    "ANTHROPIC_KEY": lambda: f"sk-ant-api03-{rs(93, URLSAFE)}AA",
    "SENDGRID_KEY": lambda: f"SG.{rs(22, URLSAFE)}.{rs(43, URLSAFE)}",
    "TWILIO_KEY": lambda: R.choice([f"SK{rs(32, HEX)}", rs(32, HEX)]),
    "GOOGLE_API_KEY": lambda: f"AIza{rs(35, URLSAFE)}",
    "HF_TOKEN": lambda: f"hf_{rs(34, string.ascii_letters)}",
    "NPM_TOKEN": lambda: f"npm_{rs(36)}",
    "GITLAB_TOKEN": lambda: f"glpat-{rs(20, URLSAFE)}",
    "DOCKER_TOKEN": lambda: f"dckr_pat_{rs(27, URLSAFE)}",
    "AZURE_STORAGE_KEY": lambda: rs(86, B64) + "==",
    "AZURE_CLIENT_SECRET": lambda: f"{rs(3)}{R.randint(1, 9)}Q~{rs(34, URLSAFE + '.~')}",
    "DATADOG_KEY": lambda: rs(32, HEX),
    "MAILGUN_KEY": lambda: f"key-{rs(32, HEX)}",
    "JWT": jwt,
}


def secret(kind: str) -> str:
    return SECRETS[kind]()


def password() -> str:
    return R.choice(
        [
            lambda: (
                f"{R.choice(['Summer', 'Winter', 'Bluebird', 'Marlin', 'Kestrel'])}{R.randint(2019, 2026)}{R.choice('!#$%')}"
            ),
            lambda: rs(R.randint(14, 24), AN + "!#%^*_-"),
            lambda: (
                "-".join(
                    R.choice(["copper", "violet", "hinge", "ladder", "quartz", "ember", "tundra", "pickle"])
                    for _ in range(3)
                )
                + str(R.randint(1, 99))
            ),
            lambda: f"{rs(4)}{R.choice('@!')}{rs(6)}{R.randint(10, 99)}",
        ]
    )()


def pem_body(lines: int = 6) -> list[str]:
    return (
        ["MII" + rs(61, B64)] + [rs(64, B64) for _ in range(lines - 1)] + [rs(R.randint(8, 40), B64) + "=="]
    )


# ------------------------------------------------------------------------------ builder
class B:
    """Accumulates text; ``v`` appends a labelled value at the current offset."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[dict] = []
        self.n = 0

    def t(self, s: str) -> B:
        self.parts.append(s)
        self.n += len(s)
        return self

    def v(self, value: str, typ: str, pattern: str) -> B:
        self.spans.append(
            {"start": self.n, "end": self.n + len(value), "type": typ, "value": value, "pattern": pattern}
        )
        return self.t(value)

    def q(self, value: str, typ: str, pattern: str, quote: str = '"') -> B:
        return self.t(quote).v(value, typ, pattern).t(quote)

    def text(self) -> str:
        return "".join(self.parts)


def person(b: B, name: str, pattern: str) -> B:
    return b.v(name, "PERSON", pattern)


def casefold(name: str, mode: str) -> str:
    return name.lower() if mode == "lower" else name.upper() if mode == "upper" else name


def J(s: str) -> str:
    """A JSON string literal (non-ASCII kept, as most agent frameworks print it)."""
    return json.dumps(s, ensure_ascii=False)


# ---------------------------------------------------------------------- genre templates
def g_slack_export_json(b: B) -> None:
    b.t("[\n")
    people = [fullname() for _ in range(R.randint(2, 3))]
    for i, (f, _surname, full) in enumerate(people):
        uid = "U0" + rs(8, string.ascii_uppercase + string.digits)
        b.t(
            f'  {{"type": "message", "user": "{uid}", "ts": "17{d(8)}.{d(6)}",\n   "user_profile": {{"real_name": '
        )
        b.q(full, "PERSON", "slack_user_profile_real_name")
        b.t(', "display_name": ')
        b.q(f.lower() if R.random() < 0.5 else f, "PERSON", "slack_user_profile_display_name")
        b.t('},\n   "text": "')
        k = R.randint(0, 3)
        if k == 0:
            of, ol, ofull = fullname()
            b.t("<@U0" + rs(8, string.ascii_uppercase + string.digits) + "> can you ping ")
            person(b, ofull, "slack_text_prose_name")
            b.t(" at ").v(email(of, ol), "EMAIL_ADDRESS", "slack_text_email").t(
                "? she asked about the refund"
            )
        elif k == 1:
            b.t("customer called back from ").v(phone(), "PHONE_NUMBER", "slack_text_phone").t(
                ", said the card ending 4421 was charged twice"
            )
        elif k == 2:
            b.t("prod creds for the migration job: `DATABASE_URL=postgres://svc_etl:")
            b.v(password(), "PASSWORD", "slack_text_dsn_password").t(
                f"@db-{rs(6, HEX)}.internal:5432/etl` pls rotate after"
            )
        else:
            b.t("thanks ")
            person(b, R.choice(people)[0], "slack_text_thanks_firstname")
            b.t("! :raised_hands:")
        b.t(
            f'",\n   "reactions": [{{"name": "eyes", "count": {R.randint(1, 6)}}}]}}'
            + (",\n" if i < len(people) - 1 else "\n")
        )
    b.t("]")


def g_slack_channel_text(b: B) -> None:
    b.t(f"#{R.choice(['cs-escalations', 'billing-ops', 'onboarding', 'fraud-review'])}\n")
    for _ in range(R.randint(3, 5)):
        _f, _surname, full = fullname()
        b.t(f"{R.randint(8, 18):02d}:{R.randint(0, 59):02d}  ")
        person(b, full, "slack_line_author")
        b.t("\n")
        k = R.randint(0, 4)
        if k == 0:
            _of, _ol, ofull = fullname()
            b.t("@")
            person(b, ofull, "slack_at_mention_display_name")
            b.t(" the account holder is ")
            person(b, casefold(fullname()[2], R.choice(["title", "lower"])), "slack_after_account_holder_is")
            b.t(", dob ").v(dob(), "DATE_OF_BIRTH", "slack_dob_abbrev").t(" — can you verify?\n")
        elif k == 1:
            b.t("new # for her: ").v(phone(), "PHONE_NUMBER", "slack_new_number_for").t(
                "  :white_check_mark: 2\n"
            )
        elif k == 2:
            b.t("fwd from ").v(email(*fullname()[:2]), "EMAIL_ADDRESS", "slack_fwd_from").t(
                " — wants the invoice resent\n"
            )
        elif k == 3:
            b.t("ship to ").v(address(), "STREET_ADDRESS", "slack_ship_to_inline").t(" instead pls\n")
        else:
            b.t("approved, closing :tada:\n")


def g_teams_vtt(b: B) -> None:
    b.t("WEBVTT\n\n")
    speakers = [fullname() for _ in range(2)]
    t0 = R.randint(0, 500)
    for i in range(R.randint(3, 5)):
        f, surname, full = speakers[i % 2]
        b.t(
            f"{rs(8, HEX)}-{rs(4, HEX)}/{i}\n00:{t0 // 60:02d}:{t0 % 60:02d}.000 --> 00:{(t0 + 4) // 60:02d}:{(t0 + 4) % 60:02d}.500\n<v "
        )
        person(b, full, "teams_vtt_voice_tag")
        b.t(">")
        k = R.randint(0, 3)
        if k == 0:
            b.t("My number is ").v(phone(), "PHONE_NUMBER", "teams_vtt_my_number_is").t(
                ", if the line drops."
            )
        elif k == 1:
            b.t("Send it to ").v(email(f, surname, True), "EMAIL_ADDRESS", "teams_vtt_send_it_to").t(
                " please."
            )
        elif k == 2:
            b.t("I'll loop in ")
            person(b, fullname()[2], "teams_vtt_loop_in")
            b.t(" from legal.")
        else:
            b.t("Sounds good, let's do Thursday.")
        b.t("</v>\n\n")
        t0 += 7


def g_zendesk_webhook(b: B) -> None:
    f, surname, full = fullname()
    af, _al, afull = fullname()
    b.t('{"ticket": {"id": ' + d(6) + ', "status": "open", "priority": "high",\n  "requester": {"name": ')
    b.q(full, "PERSON", "zendesk_requester_name")
    b.t(', "email": ')
    b.q(email(f, surname), "EMAIL_ADDRESS", "zendesk_requester_email")
    b.t(', "phone": ')
    b.q(phone(), "PHONE_NUMBER", "zendesk_requester_phone")
    b.t('},\n  "assignee": {"name": ')
    b.q(afull, "PERSON", "zendesk_assignee_name")
    b.t('},\n  "latest_comment": {"body": "Hi ')
    person(b, af, "zendesk_comment_hi_firstname")
    b.t(
        R.choice(
            [
                ", I moved house, new address is ",
                ", please update my shipping address to ",
            ]
        )
    )
    b.v(address(", "), "STREET_ADDRESS", "zendesk_comment_new_address")
    b.t(". Thanks, ")
    person(b, f, "zendesk_comment_signoff_firstname")
    b.t('", "public": true},\n  "tags": ["address_change", "vip"], "via": {"channel": "email"}}}')


def g_intercom_conversation(b: B) -> None:
    f, surname, full = fullname()
    b.t('{"type": "conversation", "id": "' + d(12) + '", "source": {"author": {"type": "user", "name": ')
    b.q(full, "PERSON", "intercom_source_author_name")
    b.t(', "email": ')
    b.q(email(f, surname), "EMAIL_ADDRESS", "intercom_source_author_email")
    b.t('}, "body": "<p>')
    k = R.randint(0, 2)
    if k == 0:
        b.t("I was charged twice on card ").v(card(), "CREDIT_CARD", "intercom_html_body_card").t(
            "</p><p>please refund one"
        )
    elif k == 1:
        b.t("Can someone call me on ").v(phone(), "PHONE_NUMBER", "intercom_html_body_phone").t(
            "?</p><p>urgent"
        )
    else:
        b.t("My colleague <b>")
        person(b, fullname()[2], "intercom_html_bold_name")
        b.t("</b> needs access too")
    b.t(
        '</p>"}, "conversation_parts": {"conversation_parts": [{"part_type": "comment", "author": {"type": "admin", "name": '
    )
    b.q(fullname()[2], "PERSON", "intercom_admin_author_name")
    b.t('}, "body": "<p>Thanks for reaching out!</p>"}]}}')


def g_hubspot_contacts(b: B) -> None:
    b.t('{"results": [\n')
    n = R.randint(1, 3)
    for i in range(n):
        f, surname, _ = fullname()
        l1, c, s, z = us_addr_parts()
        b.t('  {"id": "' + d(11) + '", "properties": {"firstname": ')
        b.q(f, "PERSON", "hubspot_firstname_field")
        b.t(', "lastname": ')
        b.q(surname, "PERSON", "hubspot_lastname_field")
        b.t(', "email": ')
        b.q(email(f, surname, True), "EMAIL_ADDRESS", "hubspot_email_field")
        b.t(', "mobilephone": ')
        b.q(us_phone(R.choice([5, 1, 4])), "PHONE_NUMBER", "hubspot_mobilephone_field")
        b.t(', "address": ')
        b.q(l1, "STREET_ADDRESS", "hubspot_address_line_only")
        b.t(
            f', "city": "{c}", "state": "{s}", "zip": "{z}", "lifecyclestage": "customer", "hs_object_id": "{d(11)}"}},\n'
        )
        b.t(
            '   "associations": {"companies": {"results": [{"id": "'
            + d(10)
            + '", "type": "contact_to_company"}]}}}'
        )
        b.t(",\n" if i < n - 1 else "\n")
    b.t('], "paging": {"next": {"after": "' + d(3) + '"}}}')


def g_salesforce_soql(b: B) -> None:
    b.t(
        '{"totalSize": 1, "done": true, "records": [{"attributes": {"type": "Contact", "url": "/services/data/v59.0/sobjects/Contact/003'
        + rs(15)
        + '"},\n'
    )
    f, surname, full = fullname()
    _of, _ol, ofull = fullname()
    b.t(' "Name": ')
    b.q(full, "PERSON", "sfdc_contact_Name")
    b.t(', "Email": ')
    b.q(email(f, surname, True), "EMAIL_ADDRESS", "sfdc_contact_Email")
    b.t(', "Phone": ')
    b.q(us_phone(0), "PHONE_NUMBER", "sfdc_contact_Phone")
    b.t(', "Birthdate": ')
    y, m, dd = R.randint(1950, 2000), R.randint(1, 12), R.randint(1, 28)
    b.q(f"{y}-{m:02d}-{dd:02d}", "DATE_OF_BIRTH", "sfdc_contact_Birthdate")
    l1, c, _s, z = us_addr_parts()
    b.t(', "MailingStreet": ')
    b.q(l1, "STREET_ADDRESS", "sfdc_MailingStreet")
    b.t(
        f', "MailingCity": "{c}", "MailingPostalCode": "{z}",\n "Account": {{"attributes": {{"type": "Account"}}, "Name": "{R.choice(["Acme Freight", "Blue Heron Dental", "Granite Peak Insurance"])}", "Owner": {{"Name": '
    )
    b.q(ofull, "PERSON", "sfdc_nested_Owner_Name")
    b.t("}}}]}")


def g_stripe_webhook(b: B) -> None:
    f, surname, full = fullname()
    l1, c, s, z = us_addr_parts()
    b.t(
        '{\n  "id": "evt_'
        + rs(24)
        + '",\n  "object": "event",\n  "type": "charge.succeeded",\n  "data": {"object": {\n'
    )
    b.t(
        '    "id": "ch_'
        + rs(24)
        + '", "amount": '
        + str(R.randint(500, 90000))
        + ', "currency": "usd",\n    "billing_details": {"address": {"city": "'
        + c
        + '", "country": "US", "line1": '
    )
    b.q(l1, "STREET_ADDRESS", "stripe_billing_line1")
    b.t(', "line2": null, "postal_code": "' + z + '", "state": "' + s + '"},\n      "email": ')
    b.q(email(f, surname), "EMAIL_ADDRESS", "stripe_billing_email")
    b.t(', "name": ')
    b.q(full, "PERSON", "stripe_billing_name")
    b.t(', "phone": ')
    b.q(f"+1{''.join(nanp())}", "PHONE_NUMBER", "stripe_billing_phone_e164")
    b.t(
        '},\n    "payment_method_details": {"card": {"brand": "visa", "last4": "'
        + d(4)
        + '", "exp_month": '
        + str(R.randint(1, 12))
        + ', "exp_year": 2029, "fingerprint": "'
        + rs(16)
        + '"}},\n'
    )
    b.t('    "receipt_email": ')
    b.q(email(f, surname), "EMAIL_ADDRESS", "stripe_receipt_email")
    b.t(',\n    "receipt_url": "https://pay.stripe.com/receipts/payment/' + rs(60, URLSAFE) + '"\n  }}\n}')


def g_paypal_ipn(b: B) -> None:
    f, surname, _ = fullname()
    em = email(f, surname).replace("@", "%40").replace("+", "%2B")
    l1, c, _s, z = us_addr_parts()
    b.t("POST /ipn HTTP/1.1\nContent-Type: application/x-www-form-urlencoded\n\n")
    b.t(
        f"mc_gross={R.randint(5, 400)}.{d(2)}&protection_eligibility=Eligible&address_status=confirmed&payer_id={rs(13, string.ascii_uppercase + string.digits)}"
    )
    b.t("&address_street=").v(
        l1.replace(" ", "+").replace("#", "%23"), "STREET_ADDRESS", "paypal_ipn_urlencoded_street"
    )
    b.t(
        f"&payment_date=03%3A{R.randint(10, 59)}%3A{R.randint(10, 59)}+Nov+12%2C+2026+PST&payment_status=Completed&charset=UTF-8"
    )
    b.t("&first_name=").v(slug(f).capitalize(), "PERSON", "paypal_ipn_first_name")
    b.t("&last_name=").v(slug(surname).capitalize(), "PERSON", "paypal_ipn_last_name")
    b.t("&payer_email=").v(em, "EMAIL_ADDRESS", "paypal_ipn_urlencoded_email")
    b.t(
        f"&address_city={c}&address_zip={z}&txn_id={rs(17, string.ascii_uppercase + string.digits)}&verify_sign={rs(56, AN + '.-')}"
    )


def g_jira_issue(b: B) -> None:
    rf, rl, rfull = fullname()
    _af, _al, afull = fullname()
    b.t(
        '{"key": "'
        + R.choice(["SUP", "BILL", "OPS"])
        + "-"
        + str(R.randint(100, 9999))
        + '", "fields": {\n  "summary": "Customer cannot log in after SSO change",\n  "reporter": {"accountId": "'
        + rs(24, HEX)
        + '", "displayName": '
    )
    b.q(rfull, "PERSON", "jira_reporter_displayName")
    b.t(', "emailAddress": ')
    b.q(email(rf, rl, True), "EMAIL_ADDRESS", "jira_reporter_emailAddress")
    b.t('},\n  "assignee": {"displayName": ')
    b.q(afull, "PERSON", "jira_assignee_displayName")
    b.t('},\n  "description": "h3. Steps\\n# customer ')
    cf, cl, cfull = fullname()
    person(b, cfull, "jira_wiki_markup_customer_name")
    b.t(" (")
    b.v(email(cf, cl), "EMAIL_ADDRESS", "jira_wiki_markup_paren_email")
    b.t(") signs in\\n# gets 500\\n{code}\\nERROR auth.saml user=")
    b.v(email(cf, cl), "EMAIL_ADDRESS", "jira_code_block_user_eq")
    b.t(" ip=")
    b.v(ip(), "IP_ADDRESS", "jira_code_block_ip_eq")
    b.t(
        " trace_id="
        + rs(32, HEX)
        + "\\n{code}\\ncc [~accountid:"
        + rs(24, HEX)
        + ']",\n  "labels": ["sso", "p2"], "customfield_10020": [{"name": "Sprint 41"}]}}'
    )


def g_confluence_oncall(b: B) -> None:
    b.t(
        f"{R.choice(['Payments', 'Platform', 'Identity'])} on-call rotation — Q{R.randint(1, 4)}\nLast updated by "
    )
    person(b, fullname()[2], "confluence_last_updated_by")
    b.t(f" · {R.randint(2, 11)} min read\n\n|| Week || Primary || Phone || Secondary ||\n")
    for _w in range(R.randint(2, 4)):
        _pf, _pl, pfull = fullname()
        b.t(f"| W{R.randint(1, 52)} | ")
        person(b, pfull, "confluence_wiki_table_primary")
        b.t(" | ").v(phone(), "PHONE_NUMBER", "confluence_wiki_table_phone").t(" | ")
        person(b, fullname()[2], "confluence_wiki_table_secondary")
        b.t(" |\n")
    b.t("\n(i) Escalation manager: ")
    ef, el, efull = fullname()
    person(b, efull, "confluence_info_macro_escalation")
    b.t(" — ").v(email(ef, el, True), "EMAIL_ADDRESS", "confluence_info_macro_email")
    b.t(
        "\nPagerDuty service ID P"
        + rs(6, string.ascii_uppercase + string.digits)
        + ", runbook v"
        + f"{R.randint(1, 4)}.{R.randint(0, 9)}"
    )


def g_calendar_prose(b: B) -> None:
    of, ol, ofull = fullname()
    b.t(R.choice(["Invitation: ", "Updated invitation: ", "Accepted: "]))
    b.t(
        f"{R.choice(['Lease renewal walkthrough', 'Quarterly review', 'Offer call', 'Home visit'])} @ {R.choice(['Tue', 'Wed', 'Fri'])} {R.randint(1, 28)} {R.choice(['Jan', 'Apr', 'Sep'])} 2027 {R.randint(9, 16)}:00 - {R.randint(9, 16)}:30 (EST) ("
    )
    b.v(email(of, ol, True), "EMAIL_ADDRESS", "calendar_subject_paren_calendar_owner")
    b.t(")\n\nOrganizer\n")
    person(b, ofull, "calendar_organizer_name_alone_line")
    b.t("\n\nGuests\n")
    for _ in range(R.randint(1, 3)):
        gf, gl, gfull = fullname()
        person(b, gfull, "calendar_guest_list_name")
        b.t(" - ").v(email(gf, gl), "EMAIL_ADDRESS", "calendar_guest_list_email").t("\n")
    b.t("\nWhere: ").v(address(), "STREET_ADDRESS", "calendar_where_address")
    b.t("\nNote from organizer: if you are running late text me on ").v(
        phone(), "PHONE_NUMBER", "calendar_note_text_me_on"
    )
    b.t("\n\nReply for ").v(email(*fullname()[:2]), "EMAIL_ADDRESS", "calendar_reply_for").t(
        "\nInvitation from Google Calendar"
    )


def ocr(s: str) -> str:
    # OCR'd scans: a few substitutions in the *surrounding* text only (values stay as printed).
    return s.replace("Invoice", R.choice(["Invoice", "lnvoice", "INV0ICE"])).replace(
        "Total", R.choice(["Total", "TotaI", "T0tal"])
    )


def g_ocr_invoice(b: B) -> None:
    b.t(
        ocr(
            f"{R.choice(['Riverside Plumbing & Heating', 'Kowloon Kitchen Supply', 'Apex Roofing LLC'])}\nInvoice # {d(5)}   Date: {R.randint(1, 12)}/{R.randint(1, 28)}/2026\n\nBILL  TO :\n"
        )
    )
    _f, _surname, full = fullname()
    person(b, casefold(full, R.choice(["upper", "title"])), "ocr_invoice_bill_to_name")
    b.t("\n")
    b.v(address("\n"), "STREET_ADDRESS", "ocr_invoice_bill_to_two_line_address")
    b.t("\nTel  ").v(phone(), "PHONE_NUMBER", "ocr_invoice_tel_double_space")
    b.t(
        ocr(
            f"\n\nQTY  DESCRIPTION            AMOUNT\n 2   {R.choice(['PEX fitting 3/4', 'Flue liner', 'Gutter guard'])}        {R.randint(10, 90)}.{d(2)}\n 1   Labour (hrs: {R.randint(1, 8)})          {R.randint(100, 900)}.00\n\nTotal due: ${R.randint(200, 2000)}.{d(2)}\n"
        )
    )
    b.t(R.choice(["Paid by card ", "CARD NO. ", "Charged to: "]))
    b.v(card(), "CREDIT_CARD", "ocr_invoice_card_footer")
    b.t(f"   AUTH {rs(6, string.ascii_uppercase + string.digits)}\nThank you for your business!")


def g_receipt_ocr(b: B) -> None:
    b.t(
        f"{R.choice(['FRESHMART #0412', 'CORNER BODEGA', 'GAS N GO 2231'])}\n{R.randint(10, 999)} MAIN ST\nTERMINAL {d(8)}\n"
    )
    for _ in range(R.randint(2, 4)):
        b.t(
            f"{R.choice(['MILK 2%', 'BREAD WHT', 'UNL 87', 'EGGS LG', 'COFFEE'])}   {R.randint(1, 40)}.{d(2)}\n"
        )
    b.t(f"SUBTOTAL {R.randint(10, 90)}.{d(2)}\nTAX {R.randint(0, 9)}.{d(2)}\n")
    num = card_digits()
    b.t("CARD # ")
    b.v(fmt_card(num, R.choice([0, 1])), "CREDIT_CARD", "receipt_ocr_full_card_unmasked")
    b.t("\nCARDHOLDER: ")
    person(b, fullname()[2].upper(), "receipt_ocr_cardholder_upper")
    b.t(f"\nAPPR CODE {d(6)}  SEQ {d(4)}\nREF {d(12)}\n** CUSTOMER COPY **")


def g_insurance_eob(b: B) -> None:
    _f, _surname, full = fullname()
    b.t("EXPLANATION OF BENEFITS — THIS IS NOT A BILL\n\nMember: ")
    person(b, full, "eob_member_name")
    b.t("\nDate of birth: ").v(dob(), "DATE_OF_BIRTH", "eob_date_of_birth")
    b.t(f"\nGroup #: {d(6)}   Claim #: {d(4)}-{d(7)}\nPatient account (MRN): ")
    b.v(mrn(), "MEDICAL_RECORD_NUMBER", "eob_patient_account_mrn")
    b.t("\nMailing address:\n").v(address("\n"), "STREET_ADDRESS", "eob_mailing_address_multiline")
    b.t("\n\nProvider: Dr. ")
    person(b, fullname()[2], "eob_provider_after_dr")
    b.t(
        f"\nService   Billed   Allowed   Plan paid   You owe\n9921{R.randint(3, 5)}     {R.randint(150, 400)}.00   {R.randint(80, 140)}.00    {R.randint(50, 100)}.00      {R.randint(10, 40)}.00\n"
    )
    b.t("Questions? Call Member Services at ").v(
        us_phone(R.choice([0, 1, 6])), "PHONE_NUMBER", "eob_member_services_phone"
    ).t(" (TTY 711).")


def g_prescription(b: B) -> None:
    _pf, _pl, pfull = fullname()
    b.t(f"Rx #{d(7)}\n{R.choice(['Walbrook Pharmacy', 'CarePoint Rx', 'Mercy Outpatient Pharmacy'])}  ")
    b.v(us_phone(0), "PHONE_NUMBER", "rx_pharmacy_phone_header")
    b.t("\n\n")
    person(b, pfull.upper(), "rx_patient_name_upper")
    b.t("   DOB ").v(dob(), "DATE_OF_BIRTH", "rx_dob_after_name")
    b.t("\n").v(address(), "STREET_ADDRESS", "rx_patient_address")
    b.t(
        f"\n\n{R.choice(['Atorvastatin 20 mg', 'Sertraline 50 mg', 'Amoxicillin 500 mg', 'Levothyroxine 75 mcg'])} tablets  Qty: {R.choice([30, 60, 90])}\nTake 1 tablet by mouth {R.choice(['once daily', 'twice daily', 'at bedtime'])}\nRefills: {R.randint(0, 5)}   NDC {d(5)}-{d(4)}-{d(2)}\nPrescriber: "
    )
    b.t(R.choice(["Dr. ", "DR ", ""]))
    person(b, fullname()[2], "rx_prescriber_name")
    b.t(R.choice([", MD", ", NP", ", DO", ""]))
    b.t(
        f"\nFilled {R.randint(1, 12)}/{R.randint(1, 28)}/26   Discard after {R.randint(1, 12)}/{R.randint(1, 28)}/27"
    )


def g_report_card(b: B) -> None:
    sf, sl, sfull = fullname()
    b.t(
        f"{R.choice(['Lakeview Middle School', 'St. Brigid Primary', 'Horizon Charter Academy'])} — Progress Report, Term {R.randint(1, 3)}\n\nStudent: "
    )
    person(b, f"{sl}, {sf}" if R.random() < 0.5 else sfull, "report_card_student_name")
    b.t(f"   Grade: {R.randint(3, 8)}   Student ID: {d(7)}\nBirthdate: ")
    b.v(dob(), "DATE_OF_BIRTH", "report_card_birthdate")
    b.t("\nParent/Guardian: ")
    gf, _gl, gfull = fullname()
    person(b, f"{gf} {sl}" if R.random() < 0.6 else gfull, "report_card_guardian")
    b.t("   Contact: ").v(phone(), "PHONE_NUMBER", "report_card_guardian_contact")
    b.t(
        f"\n\nMath: {R.choice('ABC')}{R.choice(['+', '', '-'])}   Reading: {R.choice('ABC')}   Science: {R.choice('ABC')}\n"
    )
    b.t("Teacher comment (" + R.choice(["Ms. ", "Mr. ", "Mx. "]))
    person(b, last(), "report_card_teacher_after_honorific")
    b.t("): ")
    person(b, sf, "report_card_comment_student_firstname")
    b.t(
        R.choice(
            [
                " has made great progress with fractions this term.",
                " needs to turn homework in on time.",
                " is a kind and curious classmate.",
            ]
        )
    )


def g_court_docket(b: B) -> None:
    _pf, _pl, pfull = fullname()
    _df, _dl, dfull = fullname()
    b.t(
        f"IN THE {R.choice(['SUPERIOR', 'DISTRICT', 'CIRCUIT'])} COURT OF {R.choice(['KING COUNTY', 'COOK COUNTY', 'TRAVIS COUNTY'])}\nCase No. {R.randint(20, 26)}-{R.choice(['CV', 'CR', 'FL'])}-{d(5)}\n\n"
    )
    person(b, pfull.upper(), "court_caption_plaintiff_upper")
    b.t(",\n        Plaintiff,\n   v.\n")
    person(b, dfull.upper(), "court_caption_defendant_upper")
    b.t(", an individual,\n        Defendant.\n\nDOCKET ENTRIES\n")
    b.t(f"{R.randint(1, 12):02d}/{R.randint(1, 28):02d}/2026  1  COMPLAINT filed by ")
    person(b, pfull, "court_docket_filed_by")
    b.t(". (Attorney ")
    af, al, afull = fullname()
    person(b, afull, "court_docket_attorney")
    b.t(f", Bar No. {d(6)})\n")
    b.t(f"{R.randint(1, 12):02d}/{R.randint(1, 28):02d}/2026  2  SUMMONS issued as to ")
    person(b, dfull, "court_docket_summons_as_to")
    b.t(", served at ").v(address(), "STREET_ADDRESS", "court_docket_served_at")
    b.t(
        f"\n{R.randint(1, 12):02d}/{R.randint(1, 28):02d}/2026  3  NOTICE of appearance by {R.choice(['Atty.', 'counsel'])} "
    )
    person(b, fullname()[2], "court_docket_notice_appearance")
    b.t(" (").v(email(af, al, True), "EMAIL_ADDRESS", "court_docket_attorney_email").t(")")


def g_police_incident(b: B) -> None:
    b.t(f"INCIDENT REPORT  #{R.randint(2026, 2026)}-{d(6)}\nReporting officer: Ofc. ")
    person(b, last(), "police_officer_surname_after_ofc")
    b.t(f" #{d(4)}\n\nCOMPLAINANT: ")
    cf, cl, cfull = fullname()
    person(b, f"{cl.upper()}, {cf.upper()}", "police_complainant_last_comma_first_upper")
    b.t("  DOB: ").v(dob(), "DATE_OF_BIRTH", "police_complainant_dob")
    b.t("\nADDR: ").v(address(" "), "STREET_ADDRESS", "police_addr_abbrev")
    b.t("  PH: ").v(phone(), "PHONE_NUMBER", "police_ph_abbrev")
    b.t(
        f"\nVEHICLE: {R.choice(['2017 Honda Civic', '2021 Ford F-150', '2012 Subaru Outback'])}, plate {rs(3, string.ascii_uppercase)}-{d(4)}\n\nNARRATIVE: On arrival R/P "
    )
    person(b, cfull, "police_narrative_rp_name")
    b.t(" stated that an unknown male took her wallet containing her SSN card (")
    b.v(ssn(), "US_SSN", "police_narrative_ssn_paren")
    b.t(") and bank cards. Witness ")
    _wf, _wl, wfull = fullname()
    person(b, wfull, "police_narrative_witness")
    b.t(" can be reached at ").v(phone(), "PHONE_NUMBER", "police_narrative_witness_phone")
    b.t(". Case referred to detectives.")


def g_cv_resume(b: B) -> None:
    f, surname, full = fullname()
    person(b, casefold(full, R.choice(["title", "upper"])), "cv_header_name_alone")
    b.t("\n")
    b.v(phone(), "PHONE_NUMBER", "cv_contact_line_phone").t(" | ")
    b.v(email(f, surname), "EMAIL_ADDRESS", "cv_contact_line_email").t(" | ")
    if R.random() < 0.5:
        b.v(address(), "STREET_ADDRESS", "cv_contact_line_address")
    else:
        b.t(R.choice(["Remote", "Open to relocation", "Berlin, DE"]))
    b.t(
        f"\n\nSUMMARY\n{R.choice(['Data analyst', 'Backend engineer', 'Registered nurse', 'Logistics coordinator'])} with {R.randint(2, 15)} years of experience.\n\nEXPERIENCE\n"
    )
    b.t(
        f"{R.choice(['Senior Analyst', 'Engineer II', 'Charge Nurse'])}, {R.choice(['Initech', 'Globex', 'Umbrella Health'])} ({R.randint(2015, 2020)}–present)\n- Led migration of {R.randint(3, 40)} services to Kubernetes 1.{R.randint(20, 30)}\n\n"
    )
    if R.random() < 0.5:
        b.t("Date of birth: ").v(dob(), "DATE_OF_BIRTH", "cv_date_of_birth_line").t("\n")
    b.t("REFERENCES\n")
    for _ in range(R.randint(1, 2)):
        _rf, _rl, rfull = fullname()
        person(b, rfull, "cv_reference_name")
        b.t(f", {R.choice(['Engineering Manager', 'Director of Nursing', 'Head of Ops'])} — ")
        b.v(phone(), "PHONE_NUMBER", "cv_reference_phone").t("\n")


def g_job_application_form(b: B) -> None:
    f, surname, _full = fullname()
    b.t(
        "Application for: "
        + R.choice(["Warehouse Associate", "Barista", "Junior Accountant"])
        + f" (req {d(5)})\n"
    )
    rows = [
        ("First name", f, "PERSON", "jobapp_first_name_field"),
        ("Last name", surname, "PERSON", "jobapp_last_name_field"),
        (
            "Date of Birth (MM/DD/YYYY)",
            f"{R.randint(1, 12):02d}/{R.randint(1, 28):02d}/{R.randint(1960, 2006)}",
            "DATE_OF_BIRTH",
            "jobapp_dob_field",
        ),
        ("Social Security Number", ssn(), "US_SSN", "jobapp_ssn_field"),
        ("Mobile", phone(), "PHONE_NUMBER", "jobapp_mobile_field"),
        ("E-mail", email(f, surname), "EMAIL_ADDRESS", "jobapp_email_field"),
        ("Home address", address(), "STREET_ADDRESS", "jobapp_home_address_field"),
        ("Emergency contact", fullname()[2], "PERSON", "jobapp_emergency_contact_field"),
    ]
    for label, value, typ, pat in rows:
        b.t(f"{label}: ").v(value, typ, pat).t("\n")
    b.t(
        "Are you legally authorized to work in the US? Yes\nSalary expectation: $"
        + str(R.randint(15, 90))
        + ",000"
    )


def g_tenancy_application(b: B) -> None:
    _f, _surname, full = fullname()
    b.t("RENTAL APPLICATION — Unit " + str(R.randint(100, 999)) + "\n\nApplicant ")
    person(b, full, "tenancy_applicant_name")
    b.t(" (SSN ").v(ssn(R.choice([0, 1])), "US_SSN", "tenancy_ssn_paren").t(", born ").v(
        dob(), "DATE_OF_BIRTH", "tenancy_born_prose"
    )
    b.t(") currently resides at ").v(address(), "STREET_ADDRESS", "tenancy_currently_resides_at")
    b.t(f" and has done so for {R.randint(1, 9)} years.\nPrevious landlord: ")
    _lf, _ll, lfull = fullname()
    person(b, lfull, "tenancy_previous_landlord")
    b.t(", tel. ").v(phone(), "PHONE_NUMBER", "tenancy_landlord_tel")
    b.t(
        f".\nEmployer: {R.choice(['Costco', 'State of Oregon', 'Riverbend Clinic'])}, monthly income ${R.randint(3, 12)},{d(3)}.\nCo-applicant: "
    )
    if R.random() < 0.5:
        person(b, fullname()[2], "tenancy_co_applicant")
    else:
        b.t("none")
    b.t(
        "\nPets: "
        + R.choice(["1 cat", "none", "dog (30 lb)"])
        + f"\nApplication fee paid by card ending {d(4)}."
    )


def g_wire_instructions(b: B) -> None:
    _bf, _bl, bfull = fullname()
    b.t(R.choice(["Subject: Updated wire instructions\n\n", "WIRE TRANSFER INSTRUCTIONS\n\n"]))
    b.t("Beneficiary name: ")
    person(b, bfull, "wire_beneficiary_name")
    b.t("\nBeneficiary address: ").v(address(), "STREET_ADDRESS", "wire_beneficiary_address")
    cc = R.choice(["DE", "GB", "FR", "NL", "CH", "IE", "PL", "SE", "DK", "AT", "LU", "FI", "NO"])
    b.t(
        f"\nBank: {R.choice(['Commerzbank AG', 'Barclays Bank UK PLC', 'ING Bank N.V.', 'UBS Switzerland AG'])}\nSWIFT/BIC: {rs(4, string.ascii_uppercase)}{cc}{rs(2, string.ascii_uppercase + string.digits)}XXX\nIBAN: "
    )
    b.v(iban(country=cc), "IBAN_CODE", "wire_iban_field")
    b.t(
        f"\nReference: INV-{d(6)} / PO {d(8)}\nIntermediary: {rs(4, string.ascii_uppercase)}US33, ABA {d(9)}\n\n"
    )
    b.t("Please confirm by phone with ")
    of, _ol, _ofull = fullname()
    person(b, of, "wire_confirm_with_firstname")
    b.t(" on ").v(phone(), "PHONE_NUMBER", "wire_confirm_phone").t(" before releasing funds.")


def g_kyc_form(b: B) -> None:
    f, surname, _full = fullname()
    b.t('{"kyc_submission": {"applicant": {"given_names": ')
    b.q(f, "PERSON", "kyc_json_given_names")
    b.t(', "surname": ')
    b.q(surname, "PERSON", "kyc_json_surname")
    b.t(', "dob": ')
    b.q(
        f"{R.randint(1950, 2004)}-{R.randint(1, 12):02d}-{R.randint(1, 28):02d}",
        "DATE_OF_BIRTH",
        "kyc_json_dob_iso",
    )
    b.t(', "nationality": "US"},\n  "documents": [{"type": "passport", "number": ')
    b.q(passport(), "US_PASSPORT", "kyc_json_passport_number")
    b.t(f', "expiry": "20{R.randint(27, 35)}-{R.randint(1, 12):02d}-01"}}, {{"type": "ssn", "value": ')
    b.q(ssn(R.choice([0, 2])), "US_SSN", "kyc_json_ssn_value")
    b.t('}],\n  "residential_address": ')
    b.q(address(), "STREET_ADDRESS", "kyc_json_residential_address")
    b.t(
        ', "source_of_funds": "salary", "pep": false, "risk_score": '
        + str(R.randint(1, 99))
        + ', "selfie_match": 0.'
        + d(3)
        + "}}"
    )


def g_sms_thread(b: B) -> None:
    contact = fullname()
    b.t(R.choice(["Messages with ", "Conversation: "]))
    person(b, contact[0] if R.random() < 0.5 else contact[2], "sms_thread_header_contact")
    b.t(" (").v(us_phone(R.choice([0, 5])), "PHONE_NUMBER", "sms_thread_header_number").t(")\n\n")
    for _ in range(R.randint(3, 5)):
        who = R.choice(["Me", contact[0]])
        if who == "Me":
            b.t("Me: ")
        else:
            person(b, who, "sms_sender_prefix_firstname")
            b.t(": ")
        k = R.randint(0, 5)
        if k == 0:
            b.t("ok whats the gate code at ").v(address(), "STREET_ADDRESS", "sms_whats_the_gate_code_at").t(
                "?"
            )
        elif k == 1:
            b.t("text ").v(phone(), "PHONE_NUMBER", "sms_text_bare_number").t(" thats my work cell")
        elif k == 2:
            b.t("ur verification code is " + d(6) + " lol jk")
        elif k == 3:
            b.t("tell ")
            person(
                b,
                contact[0].lower() if R.random() < 0.5 else fullname()[0].lower(),
                "sms_lowercase_firstname",
            )
            b.t(" i said hi")
        elif k == 4:
            b.t("venmo pw is ").v(password(), "PASSWORD", "sms_pw_is").t(" dont lose it again")
        else:
            b.t("omw 10 min")
        b.t("\n")


WORDS = {
    "0": "zero",
    "1": "one",
    "2": "two",
    "3": "three",
    "4": "four",
    "5": "five",
    "6": "six",
    "7": "seven",
    "8": "eight",
    "9": "nine",
}


def g_voicemail(b: B) -> None:
    f, surname, full = fullname()
    a, e, n = nanp()
    b.t(
        f'Voicemail from {R.choice(["Unknown", "WIRELESS CALLER", "Restricted"])} · {R.randint(0, 2)}:{R.randint(10, 59)}\nTranscription (low confidence):\n"'
    )
    b.t(R.choice(["Hi, this is ", "Hey it's ", "Good morning, my name is "]))
    person(b, R.choice([full, full.lower(), f]), "voicemail_this_is_name")
    b.t(R.choice([" calling about the claim. ", " from the apartment viewing. ", " about my prescription. "]))
    k = R.randint(0, 3)
    b.t("You can reach me at ")
    if k == 0:
        b.v(f"{' '.join(a)} {' '.join(e)} {' '.join(n)}", "PHONE_NUMBER", "voicemail_digits_spaced_singly")
    elif k == 1:
        b.v(" ".join(WORDS[c] for c in a + e + n), "PHONE_NUMBER", "voicemail_digits_as_words")
    elif k == 2:
        b.v(f"{a} {e} {n}", "PHONE_NUMBER", "voicemail_digits_grouped_spaces")
    else:
        b.v(f"{a}, {e}, {n}", "PHONE_NUMBER", "voicemail_digits_grouped_commas")
    b.t(R.choice([". Again that's ", ". My email is "]))
    if b.parts[-1].endswith("email is "):
        em = email(f, surname)
        spoken = em.replace("@", " at ").replace(".", " dot ")
        b.v(spoken, "EMAIL_ADDRESS", "voicemail_email_spoken_at_dot")
    else:
        b.v(f"{a}-{e}-{n}", "PHONE_NUMBER", "voicemail_repeat_dashed")
    b.t('. Thanks, bye."')


def g_support_macro(b: B) -> None:
    f, surname, _full = fullname()
    af = fullname()[0]
    b.t(f"[Macro: {R.choice(['Refund issued', 'Account locked', 'Address verification'])}] applied by ")
    person(b, af, "macro_applied_by_agent_firstname")
    b.t("\n---\nHi ")
    person(b, f, "macro_hi_requester_firstname")
    b.t(",\n\nThanks for your patience. We've verified the account registered to ")
    b.v(email(f, surname), "EMAIL_ADDRESS", "macro_registered_to_email")
    b.t(R.choice([" and the card on file ", " and the payment card "]))
    b.v(card(), "CREDIT_CARD", "macro_card_on_file")
    b.t(
        f". A refund of ${R.randint(5, 300)}.{d(2)} will appear in 5–10 business days.\n\nIf you need anything else, reply here or call "
    )
    b.v(us_phone(R.choice([0, 1])), "PHONE_NUMBER", "macro_call_support_line")
    b.t(".\n\nWarmly,\n")
    person(b, af, "macro_signoff_agent_firstname")
    b.t(f"\n{R.choice(['Customer Care', 'Team Lumen Support'])}\nTicket #{d(6)} · Ref: {rs(8, HEX)}")


def g_nginx_log(b: B) -> None:
    for _ in range(R.randint(3, 6)):
        k = R.randint(0, 3)
        b.v(ip(), "IP_ADDRESS", "nginx_remote_addr")
        b.t(" - ")
        if k == 0:
            b.v(email(*fullname()[:2]), "EMAIL_ADDRESS", "nginx_remote_user_email")
        else:
            b.t("-")
        b.t(f' [12/Nov/2026:{R.randint(0, 23):02d}:{R.randint(0, 59):02d}:{R.randint(0, 59):02d} +0000] "')
        if k == 1:
            em = email(*fullname()[:2]).replace("@", "%40")
            b.t("GET /api/v2/users/lookup?email=").v(em, "EMAIL_ADDRESS", "nginx_query_email_pct40").t(
                f'&_={d(13)} HTTP/1.1"'
            )
        elif k == 2:
            b.t("POST /reset-password?phone=").v(
                us_phone(5).replace("+", "%2B"), "PHONE_NUMBER", "nginx_query_phone_pct2B"
            ).t(' HTTP/2.0"')
        else:
            b.t(f'GET /static/app.{rs(8, HEX)}.js HTTP/1.1"')
        b.t(
            f' {R.choice([200, 200, 304, 404, 500])} {R.randint(100, 90000)} "-" "Mozilla/5.0 (X11; Linux x86_64) Chrome/1{R.randint(20, 31)}.0.0.0" rt={R.random():.3f}'
        )
        if R.random() < 0.3:
            b.t(' xff="').v(ip(), "IP_ADDRESS", "nginx_xff_quoted").t('"')
        b.t("\n")


def g_k8s_json_log(b: B) -> None:
    for _ in range(R.randint(2, 4)):
        f, surname, full = fullname()
        b.t(
            '{"ts":"2026-11-12T'
            + f"{R.randint(0, 23):02d}:{R.randint(0, 59):02d}:{R.randint(0, 59):02d}.{d(3)}Z"
            + '","level":"'
            + R.choice(["info", "warn", "error"])
            + '","logger":"checkout.svc","pod":"checkout-'
            + rs(10, "abcdefghijklmnopqrstuvwxyz0123456789")
            + "-"
            + rs(5, "bcdfghjklmnpqrstvwxz2456789")
            + '","msg":"'
        )
        k = R.randint(0, 3)
        if k == 0:
            b.t('payment declined","customer_email":').q(
                email(f, surname), "EMAIL_ADDRESS", "k8s_log_customer_email_key"
            )
            b.t(',"client_ip":').q(ip(), "IP_ADDRESS", "k8s_log_client_ip_key")
        elif k == 1:
            b.t("sending sms to ").v(phone(), "PHONE_NUMBER", "k8s_log_msg_sending_sms_to").t('"')
        elif k == 2:
            b.t('address validation failed","input":').q(address(), "STREET_ADDRESS", "k8s_log_input_address")
        else:
            b.t('user created","user":{"name":').q(full, "PERSON", "k8s_log_nested_user_name")
            b.t(',"email":').q(email(f, surname), "EMAIL_ADDRESS", "k8s_log_nested_user_email").t("}")
        b.t(',"trace_id":"' + rs(32, HEX) + '","span_id":"' + rs(16, HEX) + '"}\n')


def g_django_log(b: B) -> None:
    for _ in range(R.randint(2, 4)):
        b.t(f"[2026-11-12 {R.randint(0, 23):02d}:{R.randint(0, 59):02d}:{R.randint(0, 59):02d},{d(3)}] ")
        k = R.randint(0, 3)
        if k == 0:
            b.t("ERROR django.security.DisallowedHost: Invalid HTTP_HOST header: '")
            b.v(ip(), "IP_ADDRESS", "django_invalid_http_host_ip").t(
                "'. You may need to add it to ALLOWED_HOSTS.\n"
            )
        elif k == 1:
            f, surname, _full = fullname()
            b.t("WARNING accounts.views: failed login for ").v(
                email(f, surname), "EMAIL_ADDRESS", "django_failed_login_for"
            ).t(" from ").v(ip(), "IP_ADDRESS", "django_failed_login_from_ip").t("\n")
        elif k == 2:
            b.t(
                'ERROR django.request: Internal Server Error: /orders/checkout/\nTraceback (most recent call last):\n  File "/app/orders/views.py", line '
                + str(R.randint(20, 400))
                + ", in checkout\n    charge(card_number="
            )
            b.q(card(), "CREDIT_CARD", "django_traceback_kwarg_card", "'")
            b.t(", name=")
            b.q(fullname()[2], "PERSON", "django_traceback_kwarg_name", "'")
            b.t(")\nstripe.error.CardError: Your card was declined.\n")
        else:
            b.t(
                f"INFO celery.worker: Task orders.tasks.sync_erp[{rs(8, HEX)}-{rs(4, HEX)}-{rs(4, HEX)}-{rs(4, HEX)}-{rs(12, HEX)}] succeeded in {R.random():.4f}s\n"
            )


def g_sentry_event(b: B) -> None:
    f, surname, full = fullname()
    b.t(
        '{"event_id": "'
        + rs(32, HEX)
        + '", "level": "error", "platform": "python",\n "exception": {"values": [{"type": "KeyError", "value": "\'shipping_address\'"}]},\n "user": {"id": "'
        + d(6)
        + '", "email": '
    )
    b.q(email(f, surname), "EMAIL_ADDRESS", "sentry_user_email")
    b.t(', "ip_address": ')
    b.q(ip(), "IP_ADDRESS", "sentry_user_ip_address")
    b.t(', "username": ')
    b.q(full, "PERSON", "sentry_user_username_fullname")
    b.t(
        '},\n "request": {"url": "https://app.'
        + R.choice(COMPANY_DOMAINS)
        + '/checkout", "method": "POST",\n  "headers": {"Authorization": "Bearer '
    )
    b.v(jwt(), "JWT", "sentry_request_auth_bearer_jwt")
    b.t('", "Cookie": "sessionid=')
    b.v(rs(32, "abcdefghijklmnopqrstuvwxyz0123456789"), "SESSION_COOKIE", "sentry_request_cookie_sessionid")
    b.t('; csrftoken=[Filtered]"},\n  "data": {"phone": ')
    b.q(phone(), "PHONE_NUMBER", "sentry_request_data_phone")
    b.t(
        '}},\n "tags": {"release": "web@'
        + f"{R.randint(1, 9)}.{R.randint(0, 30)}.{R.randint(0, 9)}"
        + '", "environment": "production"}}'
    )


def g_datadog_event(b: B) -> None:
    b.t(
        '{"data": [{"id": "'
        + rs(40, AN)
        + '", "type": "log", "attributes": {"service": "billing-api", "status": "warn",\n  "message": "'
    )
    k = R.randint(0, 2)
    if k == 0:
        b.t("retrying webhook for customer ").v(
            email(*fullname()[:2]), "EMAIL_ADDRESS", "datadog_message_for_customer_email"
        )
    elif k == 1:
        b.t("invalid IBAN supplied: ").v(iban(spaced=False), "IBAN_CODE", "datadog_message_iban_supplied")
        b.t(" (checksum ok, bank unreachable)")
    else:
        b.t("upstream 401 with key DD_API_KEY=").v(
            secret("DATADOG_KEY"), "DATADOG_KEY", "datadog_message_dd_api_key"
        )
    b.t('",\n  "attributes": {"http": {"client_ip": ')
    b.q(ip(), "IP_ADDRESS", "datadog_http_client_ip")
    b.t(', "status_code": ' + str(R.choice([401, 429, 502])) + '}, "usr": {"name": ')
    b.q(fullname()[2], "PERSON", "datadog_usr_name")
    b.t('}, "duration": ' + d(8) + "}}}]}")


def sql_str(v: str) -> str:
    return v.replace("'", "''")


def g_sql_insert(b: B) -> None:
    b.t(
        f"INSERT INTO {R.choice(['public.customers', '`crm`.`contacts`', 'dbo.Patients'])} (id, full_name, email, phone, dob, ssn, street, created_at) VALUES\n"
    )
    n = R.randint(1, 3)
    for i in range(n):
        f, surname, full = fullname()
        b.t(f"  ({d(5)}, '")
        # SQL doubles apostrophes: the label covers the text as written.
        b.v(sql_str(full), "PERSON", "sql_insert_values_name")
        b.t("', '").v(email(f, surname), "EMAIL_ADDRESS", "sql_insert_values_email")
        b.t("', '").v(phone(), "PHONE_NUMBER", "sql_insert_values_phone")
        y = R.randint(1950, 2005)
        b.t("', DATE '").v(
            f"{y}-{R.randint(1, 12):02d}-{R.randint(1, 28):02d}",
            "DATE_OF_BIRTH",
            "sql_insert_date_literal_dob",
        )
        b.t("', '").v(ssn(R.choice([0, 2])), "US_SSN", "sql_insert_values_ssn")
        b.t("', '").v(sql_str(address()), "STREET_ADDRESS", "sql_insert_values_street")
        b.t(f"', NOW() - INTERVAL '{R.randint(1, 900)} days')" + (",\n" if i < n - 1 else ";\n"))
    b.t(f"-- {n} rows affected ({R.random():.3f} sec)")


def g_csv_odd_delims(b: B) -> None:
    delim = R.choice(["|", "\t", "^", "~"])
    cols = ["member_no", "name", "email", "phone", "iban", "balance"]
    b.t(delim.join(cols) + "\n")
    for _ in range(R.randint(2, 5)):
        f, surname, full = fullname()
        b.t(d(7) + delim)
        b.v(
            casefold(full, R.choice(["title", "upper", "title"])),
            "PERSON",
            f"csv_delim_{'tab' if delim == chr(9) else delim}_name",
        )
        b.t(delim).v(email(f, surname), "EMAIL_ADDRESS", "csv_odd_delim_email")
        b.t(delim).v(phone(), "PHONE_NUMBER", "csv_odd_delim_phone")
        b.t(delim).v(iban(), "IBAN_CODE", "csv_odd_delim_iban")
        b.t(f"{delim}{R.randint(-500, 9000)}.{d(2)}\n")


def g_llm_markdown_answer(b: B) -> None:
    b.t(
        R.choice(
            [
                "Sure! Here are the customers whose payments failed this week:\n\n",
                "I found 3 matching records in the CRM:\n\n",
                "Based on the tool output, these are the open leases:\n\n",
            ]
        )
    )
    b.t("| # | Customer | Contact | Card | Notes |\n|---|----------|---------|------|-------|\n")
    for i in range(R.randint(2, 4)):
        f, surname, full = fullname()
        b.t(f"| {i + 1} | **")
        person(b, full, "llm_md_table_bold_name")
        b.t("** | ")
        if R.random() < 0.5:
            b.v(email(f, surname), "EMAIL_ADDRESS", "llm_md_table_email")
        else:
            b.v(phone(), "PHONE_NUMBER", "llm_md_table_phone")
        b.t(" | `").v(card(), "CREDIT_CARD", "llm_md_table_backtick_card").t(
            "` | " + R.choice(["retry scheduled", "card expired", "3DS failed"]) + " |\n"
        )
    b.t("\n**Next steps:**\n1. Email ")
    person(b, fullname()[0], "llm_md_next_steps_firstname")
    b.t(
        " to confirm the new card.\n2. Escalate if no reply in 48h.\n\nWould you like me to draft the emails?"
    )


def g_openai_messages(b: B) -> None:
    f, surname, full = fullname()
    b.t(
        '{"model": "gpt-4o-2024-08-06", "messages": [\n  {"role": "system", "content": "You are a helpful booking assistant for Harbourline Hotels."},\n  {"role": "user", "content": "'
    )
    b.t(R.choice(["hi, I'm ", "Hello, this is ", "name's "]))
    person(b, R.choice([full, full.lower()]), "openai_msg_user_content_im_name")
    b.t(", can you move my booking? my email is ").v(
        email(f, surname), "EMAIL_ADDRESS", "openai_msg_user_content_email"
    ).t('"},\n')
    b.t(
        '  {"role": "assistant", "content": null, "tool_calls": [{"id": "call_'
        + rs(24)
        + '", "type": "function", "function": {"name": "lookup_booking", "arguments": "{\\"guest_name\\": \\"'
    )
    person(b, full, "openai_tool_call_arguments_escaped_json_name")
    b.t('\\", \\"phone\\": \\"').v(phone(), "PHONE_NUMBER", "openai_tool_call_arguments_escaped_phone").t(
        '\\"}"}}]},\n'
    )
    b.t(
        '  {"role": "tool", "tool_call_id": "call_'
        + rs(24)
        + '", "content": "{\\"booking_id\\": \\"HB'
        + d(7)
        + '\\", \\"card_on_file\\": \\"'
    )
    b.v(card_digits(), "CREDIT_CARD", "openai_tool_content_escaped_card")
    b.t('\\", \\"billing_address\\": \\"').v(
        address(), "STREET_ADDRESS", "openai_tool_content_escaped_address"
    ).t('\\"}"}\n]}')


def g_graphql_response(b: B) -> None:
    b.t('{"data": {"viewer": {"organization": {"members": {"edges": [\n')
    n = R.randint(1, 3)
    for i in range(n):
        f, surname, full = fullname()
        b.t(
            '  {"node": {"__typename": "User", "id": "'
            + base64.b64encode(f"User:{d(6)}".encode()).decode()
            + '", "fullName": '
        )
        b.q(full, "PERSON", "graphql_node_fullName")
        b.t(', "primaryEmail": ')
        b.q(email(f, surname, True), "EMAIL_ADDRESS", "graphql_node_primaryEmail")
        b.t(', "profile": {"phoneNumber": ')
        b.q(phone(), "PHONE_NUMBER", "graphql_profile_phoneNumber")
        b.t(', "lastLoginIp": ')
        b.q(ip(), "IP_ADDRESS", "graphql_profile_lastLoginIp")
        b.t("}}}" + (",\n" if i < n - 1 else "\n"))
    b.t(']}}}}}, "extensions": {"cost": {"requestedQueryCost": ' + str(R.randint(5, 90)) + "}}}")


ENV_KEYS = [
    ("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"),
    ("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"),
    ("SLACK_BOT_TOKEN", "SLACK_TOKEN"),
    ("TWILIO_AUTH_TOKEN", "TWILIO_KEY"),
    ("SENDGRID_API_KEY", "SENDGRID_KEY"),
    ("OPENAI_API_KEY", "OPENAI_KEY"),
    ("ANTHROPIC_API_KEY", "ANTHROPIC_KEY"),
    ("STRIPE_SECRET_KEY", "STRIPE_KEY"),
    ("GITHUB_TOKEN", "GITHUB_TOKEN"),
    ("HF_TOKEN", "HF_TOKEN"),
    ("MAPS_API_KEY", "GOOGLE_API_KEY"),
    ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_SECRET"),
    ("DD_API_KEY", "DATADOG_KEY"),
    ("MAILGUN_API_KEY", "MAILGUN_KEY"),
    ("GITLAB_TOKEN", "GITLAB_TOKEN"),
    ("NPM_TOKEN", "NPM_TOKEN"),
    ("DOCKERHUB_TOKEN", "DOCKER_TOKEN"),
]


def g_env_dump(b: B) -> None:
    b.t(
        R.choice(
            ["$ printenv | sort\n", "root@worker-7f9c:/app# env\n", "Environment (from /proc/1/environ):\n"]
        )
    )
    b.t(f"HOME=/root\nHOSTNAME={rs(12, HEX)}\nLANG=C.UTF-8\n")
    for key, typ in R.sample(ENV_KEYS, R.randint(3, 6)):
        b.t(f"{key}=").v(secret(typ), typ, f"env_dump_{key}").t("\n")
    if R.random() < 0.5:
        b.t(
            "AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName="
            + rs(10, "abcdefghijklmnopqrstuvwxyz")
            + ";AccountKey="
        )
        b.v(secret("AZURE_STORAGE_KEY"), "AZURE_STORAGE_KEY", "env_dump_azure_conn_accountkey").t(
            ";EndpointSuffix=core.windows.net\n"
        )
    if R.random() < 0.4:
        b.t("TWILIO_ACCOUNT_SID=AC" + rs(32, HEX) + "\n")
    b.t(
        f"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin\nPYTHON_VERSION=3.12.{R.randint(0, 7)}\nGOOGLE_APPLICATION_CREDENTIALS=/var/secrets/google/key.json\nOTEL_SERVICE_NAME=worker"
    )


def g_connection_strings(b: B) -> None:
    b.t("# connection strings found in settings (redact before sharing)\n")
    for _ in range(R.randint(2, 4)):
        k = R.randint(0, 5)
        host = (
            f"{R.choice(['db', 'cache', 'cluster0', 'sql'])}-{rs(5, 'abcdefghijklmnopqrstuvwxyz0123456789')}"
        )
        if k == 0:
            b.t("postgresql://app_rw:").v(password(), "PASSWORD", "dsn_postgres_userinfo_password").t(
                f"@{host}.eu-west-1.rds.amazonaws.com:5432/orders?sslmode=require\n"
            )
        elif k == 1:
            b.t("mongodb+srv://analytics:").v(rs(16, AN), "PASSWORD", "dsn_mongodb_srv_password").t(
                f"@{host}.mongodb.net/?retryWrites=true&w=majority\n"
            )
        elif k == 2:
            b.t("redis://:").v(rs(32, AN), "PASSWORD", "dsn_redis_empty_user_password").t(
                f"@{host}.cache.amazonaws.com:6379/0\n"
            )
        elif k == 3:
            b.t(
                f"jdbc:sqlserver://{host}.database.windows.net:1433;database=erp;user=erp_svc@{host};password="
            ).v(password(), "PASSWORD", "dsn_jdbc_sqlserver_password_param").t(
                ";encrypt=true;loginTimeout=30;\n"
            )
        elif k == 4:
            b.t(
                f"Server=tcp:{host}.database.windows.net,1433;Initial Catalog=Billing;User ID=billing;Password="
            ).v(password(), "PASSWORD", "dsn_adonet_Password_param").t(";MultipleActiveResultSets=False;\n")
        else:
            b.t("amqps://broker:").v(rs(20, AN), "PASSWORD", "dsn_amqps_password").t(
                f"@{host}.rmq.cloudamqp.com/vhost\n"
            )


def g_netrc(b: B) -> None:
    b.t("$ cat ~/.netrc\n")
    for _ in range(R.randint(2, 3)):
        k = R.randint(0, 2)
        if k == 0:
            b.t("machine api.heroku.com\n  login ").v(
                email(*fullname()[:2]), "EMAIL_ADDRESS", "netrc_login_email"
            ).t("\n  password ")
            u = f"{rs(8, HEX)}-{rs(4, HEX)}-{rs(4, HEX)}-{rs(4, HEX)}-{rs(12, HEX)}"
            b.v(u, "PASSWORD", "netrc_password_uuid_shaped_heroku").t("\n")
        elif k == 1:
            b.t("machine github.com login x-access-token password ").v(
                secret("GITHUB_TOKEN"), "GITHUB_TOKEN", "netrc_inline_password_github"
            ).t("\n")
        else:
            b.t(f"machine ftp.{R.choice(COMPANY_DOMAINS)}\nlogin deploy\npassword ").v(
                password(), "PASSWORD", "netrc_password_plain"
            ).t("\n")


def g_docker_login(b: B) -> None:
    user = slug(first()) + str(R.randint(1, 99))
    k = R.randint(0, 2)
    if k == 0:
        pw = password()
        b.t(f"$ docker login -u {user} -p ").v(pw, "PASSWORD", "docker_login_dash_p").t(
            "\nWARNING! Using --password via the CLI is insecure. Use --password-stdin.\nLogin Succeeded\n"
        )
    elif k == 1:
        tok = secret("DOCKER_TOKEN")
        b.t("$ echo ").v(tok, "DOCKER_TOKEN", "docker_echo_pipe_password_stdin").t(
            f" | docker login --username {user} --password-stdin\nLogin Succeeded\n"
        )
    else:
        b.t(
            '$ cat ~/.docker/config.json\n{\n  "auths": {\n    "https://index.docker.io/v1/": {\n      "auth": "'
        )
        auth = base64.b64encode(f"{user}:{password()}".encode()).decode()
        b.v(auth, "PASSWORD", "docker_config_auths_auth_b64").t(
            '"\n    },\n    "ghcr.io": {\n      "auth": "'
        )
        auth2 = base64.b64encode(f"{user}:{secret('GITHUB_TOKEN')}".encode()).decode()
        b.v(auth2, "PASSWORD", "docker_config_auths_auth_b64").t('"\n    }\n  },\n  "credsStore": ""\n}\n')
    b.t(f"$ docker pull ghcr.io/{user}/api@sha256:{rs(64, HEX)}")


def g_kubeconfig(b: B) -> None:
    cluster = R.choice(["prod-eu", "staging", "gke_acme_us-central1_main"])
    b.t(
        f"apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t{rs(60, B64)}\n    server: https://"
    )
    b.v(ip(), "IP_ADDRESS", "kubeconfig_server_url_ip")
    b.t(
        f":6443\n  name: {cluster}\ncontexts:\n- context:\n    cluster: {cluster}\n    user: admin\n  name: {cluster}\ncurrent-context: {cluster}\nusers:\n- name: admin\n  user:\n"
    )
    if R.random() < 0.5:
        b.t("    token: ").v(jwt(), "JWT", "kubeconfig_user_token_jwt").t("\n")
    else:
        b.t(
            "    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"
            + rs(40, B64)
            + "\n    client-key-data: "
        )
        b.v(
            "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t" + rs(160, B64) + "=",
            "PRIVATE_KEY",
            "kubeconfig_client_key_data_b64",
        ).t("\n")


def g_gcp_service_account(b: B) -> None:
    proj = R.choice(["acme-prod", "billing-342118", "ml-sandbox-7"])
    b.t(
        '{\n  "type": "service_account",\n  "project_id": "'
        + proj
        + '",\n  "private_key_id": "'
        + rs(40, HEX)
        + '",\n  "private_key": "'
    )
    key = (
        "-----BEGIN PRIVATE KEY-----\\n"
        + "\\n".join(pem_body(R.randint(4, 8)))
        + "\\n-----END PRIVATE KEY-----"
    )
    # The span ends at the END marker; the JSON's trailing escaped newline is not the key.
    b.v(key, "PRIVATE_KEY", "gcp_sa_json_private_key_escaped_newlines")
    b.t('\\n",\n  "client_email": "')
    b.v(
        f"{R.choice(['etl-runner', 'ci-deployer', 'looker'])}@{proj}.iam.gserviceaccount.com",
        "EMAIL_ADDRESS",
        "gcp_sa_client_email",
    )
    b.t(
        '",\n  "client_id": "'
        + d(21)
        + '",\n  "auth_uri": "https://accounts.google.com/o/oauth2/auth",\n  "token_uri": "https://oauth2.googleapis.com/token"\n}'
    )


def g_slack_webhook_ci(b: B) -> None:
    b.t(
        "# .github/workflows/notify.yml (excerpt)\n      - name: Notify\n        run: |\n          curl -X POST -H 'Content-type: application/json' \\\n            --data '{\"text\":\"Deploy done\"}' \\\n            "
    )
    url = f"https://hooks.slack.com/services/T{rs(8, string.ascii_uppercase + string.digits)}/B{rs(10, string.ascii_uppercase + string.digits)}/{rs(24)}"
    b.v(url, "SLACK_WEBHOOK", "ci_yaml_run_curl_slack_webhook")
    b.t("\n      - name: Upload\n        env:\n          SENDGRID_API_KEY: ")
    b.v(secret("SENDGRID_KEY"), "SENDGRID_KEY", "ci_yaml_env_inline_sendgrid")
    b.t("\n          GOOGLE_MAPS_KEY: ${{ secrets.MAPS_KEY }}\n")


def g_medical_intake_es(b: B) -> None:
    # A bilingual intake form (Spanish labels), a genre not in earlier corpora.
    _f, _surname, full = fullname()
    b.t("FORMULARIO DE ADMISIÓN / INTAKE FORM\nNombre del paciente / Patient name: ")
    person(b, full, "intake_bilingual_patient_name")
    b.t("\nFecha de nacimiento / DOB: ").v(
        f"{R.randint(1, 28):02d}/{R.randint(1, 12):02d}/{R.randint(1945, 2010)}",
        "DATE_OF_BIRTH",
        "intake_bilingual_fecha_nacimiento",
    )
    b.t("\nN.º de expediente / MRN: ").v(mrn(), "MEDICAL_RECORD_NUMBER", "intake_bilingual_expediente")
    b.t("\nDomicilio / Address: ").v(address(), "STREET_ADDRESS", "intake_bilingual_domicilio")
    b.t("\nTeléfono / Phone: ").v(phone(), "PHONE_NUMBER", "intake_bilingual_telefono")
    b.t("\nContacto de emergencia / Emergency contact: ")
    person(b, fullname()[2], "intake_bilingual_emergencia")
    b.t(
        f" ({R.choice(['esposa', 'hijo', 'madre', 'hermano'])})\nAlergias / Allergies: {R.choice(['ninguna', 'penicilina', 'látex'])}"
    )


def g_expense_report(b: B) -> None:
    _f, _surname, full = fullname()
    b.t(f"Expense report ER-{d(6)} submitted by ")
    person(b, full, "expense_submitted_by")
    b.t(
        f" on 2026-{R.randint(1, 12):02d}-{R.randint(1, 28):02d}\n\nDate        Merchant              Amount   Card\n"
    )
    num = card_digits()
    for _ in range(R.randint(2, 4)):
        b.t(
            f"2026-{R.randint(1, 12):02d}-{R.randint(1, 28):02d}  {R.choice(['Uber *Trip', 'Delta Air 006', 'Marriott Downtown', 'Pret A Manger']):<20s}  {R.randint(5, 900):>5d}.{d(2)}  "
        )
        b.v(fmt_card(num, 1), "CREDIT_CARD", "expense_table_card_column").t("\n")
    b.t("\nApprover: ")
    person(b, fullname()[2], "expense_approver")
    b.t(" · Reimburse to IBAN ").v(iban(), "IBAN_CODE", "expense_reimburse_to_iban")
    b.t(f"\nPolicy check: {R.choice(['passed', '1 warning (hotel > cap)'])}")


# ----------------------------------------------------------------------------- negatives
def neg_devops(b: B) -> None:
    lines = [
        f'resolved "https://registry.npmjs.org/lodash/-/lodash-4.17.{R.randint(10, 21)}.tgz#{rs(40, HEX)}"',
        f"integrity sha512-{rs(86, B64)}==",
        f"image: ghcr.io/acme/api@sha256:{rs(64, HEX)}",
        f"commit {rs(40, HEX)}\nMerge: {rs(7, HEX)} {rs(7, HEX)}",
        f"request_id={rs(8, HEX)}-{rs(4, HEX)}-4{rs(3, HEX)}-a{rs(3, HEX)}-{rs(12, HEX)} status=200 latency_ms={R.randint(1, 999)}",
        f"Kernel: 6.{R.randint(1, 9)}.{R.randint(0, 60)}-{R.randint(100, 300)}-generic  build 10.0.{R.randint(19041, 26100)}.{R.randint(1000, 5000)}",
        f"chart version 1.{R.randint(0, 40)}.{R.randint(0, 9)} (appVersion 2026.{R.randint(1, 12)}.{R.randint(1, 30)})",
        f'etag: W/"{rs(32, HEX)}"',
        f"terraform state serial {R.randint(100, 9999)} lineage {rs(8, HEX)}-{rs(4, HEX)}-{rs(4, HEX)}-{rs(4, HEX)}-{rs(12, HEX)}",
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE  # docs placeholder, see AWS CLI guide",
        "OPENAI_API_KEY=sk-...your-key-here...   STRIPE_SECRET_KEY=sk_test_XXXXXXXXXXXXXXXXXXXX",
        'password: ${DB_PASSWORD}   token: <REDACTED>   api_key: "********"',
        f"listening on 0.0.0.0:{R.randint(1024, 9999)} and [::]:{R.randint(1024, 9999)}",
        f"go.sum: golang.org/x/net v0.{R.randint(10, 30)}.0 h1:{rs(43, B64)}=",
    ]
    b.t("\n".join(R.sample(lines, R.randint(4, 7))))


def neg_commerce(b: B) -> None:
    lines = [
        f"Order #{d(3)}-{d(7)}-{d(7)} shipped via UPS 1Z{rs(6, string.ascii_uppercase + string.digits)}{d(10)}",
        f"FedEx tracking {d(12)} · DHL waybill {d(10)}",
        f"ISBN 978-{R.randint(0, 1)}-{d(3)}-{d(5)}-{R.randint(0, 9)}   EAN {d(13)}",
        f"Gift card number {bad_card()} could not be validated (checksum)",
        f"Test IBAN from the docs: {bad_iban()} (intentionally invalid)",
        f"SKU {rs(3, string.ascii_uppercase)}-{d(4)}-{rs(2, string.ascii_uppercase)}  qty {R.randint(1, 40)}  unit price €{R.randint(1, 300)},{d(2)}",
        f"Loyalty ID {d(4)} {d(4)} {d(4)}  points {R.randint(0, 90000)}",
        f"Invoice INV-2026-{d(5)} due 2026-{R.randint(1, 12):02d}-{R.randint(1, 28):02d}, total $ {R.randint(100, 9999)}.{d(2)}",
        f"Customer reference CR{d(9)} / case {d(8)}",
        "Contact us at support@example.com or sales@example.org (placeholder addresses for the template)",
        "Call 1-800-FLOWERS? No — our store hours are 9:00–17:30, Mon–Sat.",
        f"Coupon SAVE{R.randint(10, 50)}-{rs(6, string.ascii_uppercase)} valid through 12/31/2026",
        f"Bin location A{d(2)}-{d(3)}-{d(2)}, pallet {d(18)}",
    ]
    b.t("\n".join(R.sample(lines, R.randint(4, 7))))


def neg_prose(b: B) -> None:
    lines = [
        "The tenant must give 30 days' written notice; the landlord may inspect with 24 hours' notice.",
        "Patient was advised to follow up with their primary care physician in two weeks.",
        "The applicant, the co-signer and the guarantor each sign page 3.",
        "Our on-call engineer will respond within 15 minutes during business hours.",
        f"Meet at the north entrance of {R.choice(['Lincoln Park', 'Washington Square', 'Grand Central Terminal'])} at 10:30.",
        "Version 4.2.0.1 fixes the memory leak reported in 4.1.9.",
        "The hearing is set for 9:00 a.m. in Courtroom 4B; parties should arrive early.",
        "Your verification code expires in 10 minutes. Never share it with anyone.",
        "Reply STOP to unsubscribe, HELP for help. Msg & data rates may apply.",
        f"Temperature {R.randint(-10, 35)}°C, wind {R.randint(0, 40)} km/h, humidity {R.randint(10, 99)}%.",
        "Refunds are issued to the original payment method within 5–10 business days.",
        "Dear Customer, thank you for choosing us. Kind regards, The Support Team",
        "Hi team — standup moved to 10:15 tomorrow. Thanks all!",
        f"Coordinates {R.uniform(-80, 80):.5f}, {R.uniform(-170, 170):.5f} (approx.)",
    ]
    b.t(" ".join(R.sample(lines, R.randint(3, 6))))


def neg_tables(b: B) -> None:
    b.t("| build | commit | duration | artifact |\n|---|---|---|---|\n")
    for _ in range(R.randint(3, 6)):
        b.t(
            f"| #{R.randint(1000, 99999)} | `{rs(7, HEX)}` | {R.randint(1, 59)}m{R.randint(0, 59):02d}s | app-{R.randint(1, 9)}.{R.randint(0, 30)}.{R.randint(0, 99)}-{rs(8, HEX)}.tar.gz |\n"
        )
    b.t(
        f"\nTotal: {R.randint(1, 20)} builds, {R.randint(80, 100)}% green. Cache key v{R.randint(1, 9)}-{rs(16, HEX)}."
    )


GENRES = [
    ("slack_export_json", g_slack_export_json, 26),
    ("slack_channel_text", g_slack_channel_text, 26),
    ("teams_vtt_transcript", g_teams_vtt, 20),
    ("zendesk_webhook", g_zendesk_webhook, 24),
    ("intercom_conversation", g_intercom_conversation, 20),
    ("hubspot_contacts_api", g_hubspot_contacts, 20),
    ("salesforce_soql_json", g_salesforce_soql, 20),
    ("stripe_webhook", g_stripe_webhook, 22),
    ("paypal_ipn_form", g_paypal_ipn, 16),
    ("jira_issue_json", g_jira_issue, 20),
    ("confluence_oncall", g_confluence_oncall, 18),
    ("calendar_invite", g_calendar_prose, 20),
    ("ocr_invoice", g_ocr_invoice, 22),
    ("receipt_ocr", g_receipt_ocr, 16),
    ("insurance_eob", g_insurance_eob, 20),
    ("prescription_label", g_prescription, 20),
    ("school_report_card", g_report_card, 18),
    ("court_docket", g_court_docket, 18),
    ("police_incident", g_police_incident, 18),
    ("cv_resume", g_cv_resume, 22),
    ("job_application_form", g_job_application_form, 18),
    ("tenancy_application", g_tenancy_application, 18),
    ("wire_instructions", g_wire_instructions, 20),
    ("kyc_json", g_kyc_form, 18),
    ("sms_thread", g_sms_thread, 24),
    ("voicemail_transcript", g_voicemail, 22),
    ("support_macro", g_support_macro, 20),
    ("nginx_access_log", g_nginx_log, 20),
    ("k8s_json_log", g_k8s_json_log, 20),
    ("django_log", g_django_log, 18),
    ("sentry_event", g_sentry_event, 18),
    ("datadog_logs_api", g_datadog_event, 16),
    ("sql_insert", g_sql_insert, 20),
    ("csv_odd_delimiters", g_csv_odd_delims, 18),
    ("llm_markdown_answer", g_llm_markdown_answer, 20),
    ("openai_messages_json", g_openai_messages, 20),
    ("graphql_response", g_graphql_response, 16),
    ("env_dump_cloud", g_env_dump, 30),
    ("connection_strings", g_connection_strings, 18),
    ("netrc", g_netrc, 12),
    ("docker_login", g_docker_login, 14),
    ("kubeconfig", g_kubeconfig, 12),
    ("gcp_service_account", g_gcp_service_account, 10),
    ("ci_yaml_webhook", g_slack_webhook_ci, 10),
    ("intake_form_bilingual", g_medical_intake_es, 14),
    ("expense_report", g_expense_report, 16),
    ("neg_devops", neg_devops, 26),
    ("neg_commerce", neg_commerce, 26),
    ("neg_prose", neg_prose, 22),
    ("neg_build_tables", neg_tables, 16),
]


def main() -> None:
    out = []
    for genre, fn, count in GENRES:
        for _ in range(count):
            b = B()
            fn(b)
            text = b.text()
            spans = sorted(b.spans, key=lambda s: s["start"])
            for s in spans:
                assert text[s["start"] : s["end"]] == s["value"], (genre, s)
                assert s["value"] == s["value"].strip() and s["value"], (genre, s)
            for a, c in itertools.pairwise(spans):
                assert a["end"] <= c["start"], (genre, a, c)
            if genre.startswith("neg_"):
                assert not spans, genre
            out.append({"genre": genre, "text": text, "spans": spans})
    R.shuffle(out)
    with OUT.open("w", encoding="utf-8") as fh:
        for i, rec in enumerate(out):
            fh.write(json.dumps({"id": f"h3-{i}", **rec}, ensure_ascii=False) + "\n")
    nvals = sum(len(r["spans"]) for r in out)
    types = collections.Counter(s["type"] for r in out for s in r["spans"])
    print(f"wrote {OUT.name}: {len(out)} records, {nvals} values, {len(GENRES)} genres")
    print(dict(sorted(types.items())))


if __name__ == "__main__":
    main()
