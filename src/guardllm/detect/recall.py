"""Extra recall for formats the main recognizers miss: labelled record numbers and tax ids,
European mobile numbers after a phone word, tab/semicolon separated exports, UK postcodes and
European "street line / postcode town" addresses, and "Bill to:" / "Ship to:" blocks.

Everything here is gated on a trigger word (a set test on the text's words) or on a literal
substring, so texts that hold none of these formats pay a few C-level ``in`` tests and nothing more.
Candidates are appended, never rewritten: a longer span found here simply wins the overlap
resolution in the engine.
"""

from __future__ import annotations

import re

from guardllm.detect import structure
from guardllm.detect.context import Family, L, U, anchors
from guardllm.detect.validators import ssn_ok

Cand = tuple[str, int, int, float, str]

# -- phone numbers after a phone word: ES mobiles "661 422 731", DE mobiles "0151 08185112" --------
_PHONE_WORDS = (
    "phone",
    "telephone",
    "tel",
    "mobile",
    "mob",
    "cell",
    "call",
    "ring",
    "text",
    "sms",
    "whatsapp",
    "contact",
    "reach",
    "móvil",
    "movil",
    "teléfono",
    "telefono",
    "llámame",
    "llamame",
    "llámeme",
    "llama",
    "handy",
    "handynummer",
    "mobil",
    "mobilnummer",
    "telefon",
    "telefonnummer",
    "rufnummer",
    "anrufen",
    "erreichbar",
    "cellulare",
    "telefono",
    "portable",
    "téléphone",
)
_PHONE_FAMILY = Family(_PHONE_WORDS)
_NON_DIGIT = re.compile(r"\D+")
# The word, then up to 30 non-digit characters on the same line: where the number must start.
_TO_NUMBER = re.compile(r"[^\W\d_]*[^\d\n+]{0,30}")
_CTX_PHONE = re.compile(
    r"(?<![\w+])(?P<num>"
    r"(?:(?:\+|00)34[ .-]?)?[6-9]\d{2}(?:[ .-]?\d{3}){2}"  # ES: 9 digits, mobiles 6xx/7xx
    r"|(?P<de>(?:(?:\+|00)49[ .-]?(?:\(0\)[ .-]?)?|0)1[5-7]\d{1,2}(?:[ ./-]?\d{2,8}){1,3})"  # DE mobiles 015x/016x/017x
    r")(?![\w-]|[.,]\d)"
)


_NUMBER_START = frozenset("+0123456789")


def _find_context_phones(text: str, lower: str, toks: frozenset[str], out: list[Cand]) -> None:
    n = len(text)
    for p in anchors(lower, (), toks, _PHONE_FAMILY):
        q = _TO_NUMBER.match(text, p).end()
        if q >= n or text[q] not in _NUMBER_START:
            continue
        m = _CTX_PHONE.match(text, q)
        if m:
            de = m.group("de")
            if de is not None:
                d = _NON_DIGIT.sub("", de)
                # National 015x/016x/017x numbers have 10-12 digits after the trunk 0 / country code.
                if not 10 <= len(d) - (2 if d.startswith("49") else 4 if d.startswith("0049") else 0) <= 12:
                    continue
            out.append(("PHONE_NUMBER", m.start("num"), m.end("num"), 0.75, "phone-ctx"))


# -- SSN / TIN after "taxpayer id", "TIN", "ITIN", "tax id" -------------------------------------
_TAX_WORDS = ("taxpayer", "tin", "itin", "tax", "ssn", "social")
_TAX_FAMILY = Family(_TAX_WORDS)
_CTX_SSN = re.compile(
    r"(?i)(?:taxpayer(?:[ \t]+(?:id(?:entification)?|identification[ \t]+number|no\.?|number|#))?"
    r"|i?tin|tax[ \t_-]?(?:id|identification)(?:[ \t]+(?:number|no\.?|#))?|ssn|social[ \t]+security(?:[ \t]+(?:number|no\.?|#))?)"
    r"\b\.?[ \t]*(?:\((?:ssn|tin|itin|ein)\)[ \t]*)?(?:is|was|of|:|#|=|-|no\.?)?[ \t]*(?:is)?[ \t]*"
    r"(?P<num>\d{3}(?P<sep>[- ]?)\d{2}(?P=sep)\d{4})(?![\w-]|[.,/]\d)"
)


def _find_context_ssns(text: str, lower: str, toks: frozenset[str], out: list[Cand]) -> None:
    for p in anchors(lower, (), toks, _TAX_FAMILY):
        m = _CTX_SSN.match(text, p)
        if m and ssn_ok(m.group("num").replace("-", "").replace(" ", "")):
            out.append(("US_SSN", m.start("num"), m.end("num"), 0.8, "ssn-ctx"))


# -- bare 9-digit SSNs where the text around says SSN ------------------------------------------
# "SSN on file: 830891564", "Social Security number on file is 830891564", and a transcript where the
# agent asked for the social and the caller answered on the next line.  The number alone is no SSN
# (orders, accounts, routing numbers have nine digits too): a keyword must stand before it on the same
# line or the line before, with no other identifier named or given in between.
_NINE = re.compile(r"(?<![\w.,/+-])\d{9}(?![\w-]|[.,/]\d)")
_SSN_WORD = re.compile(
    r"\bssn\b|\bs\.s\.n\b|\bss[ \t]?#|\bsocial[ \t]+security\b|\bsocial[ \t]+sec\b"
    r"|\bsocial\b(?=[ \t]*(?:[?.!,:#)]|no\b|num|number|$))",
    re.M,
)
# Another identifier named between the keyword and the number: the number is that one.
_OTHER_ID = re.compile(
    r"\b(?:account|acct|a/c|order|routing|aba|invoice|policy|member|claim|phone|tel|mobile|cell|tracking"
    r"|reference|ref|confirmation|conf|case|ticket|npi|ein|fein|mrn|fax|zip|passport|licen[cs]e|card|iban"
    r"|employee|badge|booking|itinerary|isbn|serial|transaction|txn|loan|check|cheque|pin)\b|\d{4}"
)


_SSN_ANY = re.compile(r"ss(?:n|[ ]?#)|social|s\.s\.n")
# How far before its keyword a number may stand ("383198266 is my social security number").
_SSN_AFTER = 24


def _find_bare_ssns(text: str, lower: str, out: list[Cand], start: int) -> None:
    n = len(text)
    done: set[int] = set()
    for am in _SSN_ANY.finditer(lower, start):
        p = am.start()
        km = _SSN_WORD.match(lower, p)
        if km is None or (p > 0 and lower[p - 1].isalnum()):
            continue
        # The window: the rest of this line and the next one, at most 200 characters on.
        hi = min(n, km.end() + 200)
        nl = lower.find("\n", km.end(), hi)
        if nl != -1:
            nl2 = lower.find("\n", nl + 1, hi)
            hi = nl2 if nl2 != -1 else hi
        for m in _NINE.finditer(text, km.end(), hi):
            s = m.start()
            if s in done or _OTHER_ID.search(lower, km.end(), s) is not None:
                break  # a later number is further from the keyword, past the same identifier
            if ssn_ok(m.group()):
                done.add(s)
                out.append(("US_SSN", s, m.end(), 0.8, "ssn-ctx"))
        # The keyword right after the number, on its line: "383198266 (SSN)", "383198266 is my
        # social security number" -- unless another identifier names the number first.
        ls = lower.rfind("\n", 0, p) + 1
        last = None
        for m in _NINE.finditer(text, max(ls, p - _SSN_AFTER), p):
            last = m
        if last is not None and last.start() not in done and ssn_ok(last.group()):
            if (
                _OTHER_ID.search(lower, last.end(), p) is None
                and _OTHER_ID.search(lower, ls, last.start()) is None
            ):
                done.add(last.start())
                out.append(("US_SSN", last.start(), last.end(), 0.8, "ssn-ctx"))


# -- medical record numbers: "MR#: 0048213", "MRN4829130", "MR No. 55-0912" ----------------------
_MRN = re.compile(
    r"(?i)(?:mrn|mr[ \t]*(?:#|no\.|num(?:ber)?\b))[ \t]*[:#=-]?[ \t]*(?:is[ \t]+)?"
    r"(?P<num>[A-Z]{0,3}\d[\dA-Z]*(?:-\d+)*)(?![\w-])"
)


# Literal-led, on the lower-cased text: one C pass finds every "mrn" / "mr#" / "mr no" start.
_MRN_GATE = re.compile(r"mr(?:n|[ \t]*#|[ \t]*no\.|[ \t]*num)")


def _find_mrns(text: str, lower: str, out: list[Cand]) -> None:
    for g in _MRN_GATE.finditer(lower):
        i = g.start()
        if i and lower[i - 1].isalnum():
            continue
        m = _MRN.match(text, i)
        if m:
            v = m.group("num")
            if sum(c.isdigit() for c in v) >= 4 and len(v) <= 16:
                # "MRN4829130" / "MRN-0048213": the prefix is part of the identifier as written.
                glued = text[i : m.start("num")].lower() in ("mrn", "mrn-")
                out.append(
                    ("MEDICAL_RECORD_NUMBER", i if glued else m.start("num"), m.end("num"), 0.8, "mrn")
                )


# -- tab- and semicolon-separated exports with a header row ---------------------------------------
def _find_delimited(text: str, out: list[Cand]) -> None:
    for delim in ("\t", ";"):
        if delim not in text:
            continue
        pos = 0
        checked = 0
        n = len(text)
        while pos < n and checked < 50:
            le = text.find("\n", pos)
            if le == -1:
                break
            line = text[pos:le].rstrip("\r")
            checked += 1
            if delim in line and len(line) < 400 and "=" not in line and ":" not in line:
                names = [c.strip().strip('"') for c in line.split(delim)]
                if all(not c or structure._COLUMN_NAME.fullmatch(c) for c in names) and any(
                    structure.key_type(c) for c in names if c
                ):
                    structure._table_rows(text, pos, line, delim, le + 1, out)
            pos = le + 1


# -- addresses ------------------------------------------------------------------------------------
_UK_POSTCODE = r"(?:[A-Z]{1,2}\d[A-Z\d]?[ \t]*\d[A-Z]{2})"
# A UK postcode that starts in the last few characters of an address span (a town regex that ate
# "NW" of "NW1 6XE") or right after it.
_UK_PC_NEAR = re.compile(rf"(?<![A-Za-z0-9])({_UK_POSTCODE})(?![A-Za-z0-9])")
_LINE_OR_COMMA = r"(?:[ \t]*,[ \t]*(?:\r?\n[ \t]*)?|[ \t]*\r?\n[ \t]*)"
_UK_LINES_AFTER = re.compile(
    rf"(?:{_LINE_OR_COMMA}{U}{L}+(?:[ \t-]+{U}{L}+){{0,2}}){{0,2}}(?:{_LINE_OR_COMMA}|[ \t]+){_UK_POSTCODE}(?![A-Za-z0-9])"
)
# "Manchester M1 1AE", "London, EC1A 1BB": a town then a UK postcode.
_TOWN_UK_PC = re.compile(rf"{U}{L}+(?:[ \t-]+{U}{L}+){{0,2}},?[ \t]+{_UK_POSTCODE}$")
# Read backwards from a town: ", Piccadilly 1" = "1 Piccadilly, " (number, 1-3 capitalised words, comma).
_STREET_BEFORE_REV = re.compile(
    rf"[ \t]*,(?:[ \t]*[^\W\d_]*{U}){{1}}(?:[ \t]+[^\W\d_]*{U}){{0,3}}[ \t]+[A-Za-z]?\d{{1,5}}(?![\w-])"
)
_INWARD = re.compile(r"[ \t]\d[A-Z]{2}(?![A-Za-z0-9])")
# A literal-led pattern is found several times faster: use it when the text has no tab.
_INWARD_SPACE = re.compile(r" \d[A-Z]{2}(?![A-Za-z0-9])")
_CITY_TAIL_WORDS = rf"{U}[^\W\d_]*(?:[ \t-]+(?:{U}[^\W\d_]*|sur|sous|les|la|le|de|del|di|du|des|am|an|der|im|bei|aan|den)){{0,3}}"
# After a street line: ", 10435 Berlin" / "\n1015 CJ Amsterdam" / "\nD-10435 Berlin" / "\n00184 Roma".
_PC_TOWN_AFTER = re.compile(
    rf"(?:[ \t]*,[ \t]*|[ \t]*\r?\n[ \t]*)(?:[A-Z]{{1,2}}-)?(?:\d{{5}}|\d{{4}}(?:[ \t]?[A-Z]{{2}})?)[ \t]+{_CITY_TAIL_WORDS}"
    rf"(?:[ \t]*\([A-Z]{{2}}\))?"
)
_PC_LINE = re.compile(r"\n[ \t]*(?:[A-Z]{1,2}-)?\d{4,5}(?:[ \t]?[A-Z]{2})?[ \t]+" + U)
_STREET_LINE_HINT = re.compile(
    r"(?i)(?:^|[\s,])(?:c/|avda\.|rue|avenue|av\.|boulevard|bd|chemin|allée|place|impasse|quai|route|calle|via|viale|vicolo|piazza|"
    r"piazzale|corso|largo|strada|avenida|plaza|paseo|camino|ronda|carrer|rua|travessa|rambla|"
    r"street|st\.?|road|rd\.?|lane|drive|way)(?=[\s.,])"
    r"|(?:straße|strasse|str\.|weg|allee|platz|ring|gasse|damm|ufer|straat|laan|gracht|plein|kade|singel|dijk|steeg)"
    r"(?=[\s\d,])"
)
_HAS_NUMBER = re.compile(r"(?<![\w-])\d{1,5}[a-zA-Z]?(?![\w-]{2})")


# The street part of a line: the house number opens it ("12 rue de la Paix", "221B Baker Street")
# or closes it ("Calle Mayor 5", "Kastanienallee 12", "Hauptstr. 5/2"); searched so that prose
# before it on the same line ("the customer moved to ...") stays out of the span.
_PARTICLES = r"(?:de|del|della|delle|dei|di|da|do|dos|das|la|las|los|le|du|des|den|der|van|von|l'|d')"
_NUM_FIRST_TAIL = re.compile(
    rf"(?<![\w-])\d{{1,5}}[a-zA-Z]?(?:[ \t]?(?:bis|ter))?,?[ \t]+"
    rf"(?:(?i:rue|avenue|av\.|boulevard|bd|chemin|allée|place|impasse|quai|route|cours|passage)[ \t]+[^\n,;:]{{1,40}}"
    rf"|(?:{U}[\w'’.-]*[ \t]+){{1,3}}(?:Street|St\.?|Road|Rd\.?|Lane|Ln\.?|Drive|Dr\.?|Avenue|Ave\.?|Way|Close|"
    rf"Crescent|Gardens|Terrace|Place|Square|Hill|Grove|Court|Mews|Row|Walk|Park|Boulevard|Blvd\.?))[ \t,]*$"
)
_NUM_LAST_TAIL = re.compile(
    rf"(?:(?i:c/|avda\.|calle|via|viale|vicolo|piazza|piazzale|corso|largo|strada|avenida|plaza|paseo|camino|ronda|"
    rf"carrer|rua|travessa|rambla)[ \t]+)?(?:{_PARTICLES}[ \t]+)*{U}[\w'’.-]*(?:[ \t]+(?:{_PARTICLES}|{U}[\w'’.-]*)){{0,5}}"
    rf",?[ \t]+\d{{1,5}}[a-zA-Z]?(?:[/-]\d{{1,4}}[a-zA-Z]?)?[ \t,]*$"
)


def _street_line_start(text: str, ls: int, le: int) -> int | None:
    """Start of the street in the line ``text[ls:le]`` ("Calle Mayor 5", "12 rue de la Paix"), or None."""
    if le - ls > 120:
        return None
    line = text[ls:le].rstrip("\r")
    if len(line.strip()) < 4 or ":" in line or "@" in line:
        return None
    m = _NUM_FIRST_TAIL.search(line)
    if m is None:
        m = _NUM_LAST_TAIL.search(line)
        # Number-last streets need a street word: "Meeting Room 12" is not an address.
        if m is None or not _STREET_LINE_HINT.search(line, max(0, m.start() - 1)):
            return None
    return ls + m.start()


def _extend_addresses(text: str, out: list[Cand]) -> None:
    n = len(text)
    extra: list[Cand] = []
    for _etype, s, e, _score, _rec in [c for c in out if c[0] == "LOCATION"]:
        if e >= n:
            continue
        c = text[e]
        if c not in ", \t\r\n":
            if c.isalnum():
                # "..., London NW" cut inside a UK postcode: take the whole postcode.
                m = _UK_PC_NEAR.search(text, max(s, e - 4), min(n, e + 12))
                if m and m.start(1) <= e + 2 and m.end(1) > e:
                    extra.append(("LOCATION", s, m.end(1), 0.75, "address-uk-pc"))
            continue
        m = _PC_TOWN_AFTER.match(text, e)
        if m:
            extra.append(("LOCATION", s, m.end(), 0.75, "address-pc"))
            continue
        m = _UK_LINES_AFTER.match(text, e)
        if m:
            # "221B Baker Street\nMarylebone\nLondon\nNW1 6XE": district and town lines, then the postcode.
            extra.append(("LOCATION", s, m.end(), 0.75, "address-uk-pc"))
    out.extend(extra)


def _find_pc_lines(text: str, out: list[Cand]) -> bool:
    """ "Calle Mayor 5\n28013 Madrid": a postcode-town line after a street line.  True when the text
    has any postcode-town line at all (only then can an address found elsewhere grow over one)."""
    seen = False
    for m in _PC_LINE.finditer(text):
        seen = True
        nl = m.start()
        ls = text.rfind("\n", 0, nl) + 1
        st = _street_line_start(text, ls, nl)
        if st is None:
            continue
        t = _PC_TOWN_AFTER.match(text, nl)
        if t:
            end = t.end()
            if end < len(text) and text[end] == "\n":
                ce = text.find("\n", end + 1)
                ce = len(text) if ce == -1 else ce
                if ce - end < 40 and text[end + 1 : ce].strip(" \t\r.").lower() in _COUNTRIES:
                    end = ce
            out.append(("LOCATION", st, end, 0.75, "address-pc"))
    return seen


_UK_PC_LABELLED = re.compile(rf"(?i:post(?:al)?[ \t]?code)[ \t]*[:=-]?[ \t]*({_UK_POSTCODE})$")


def _lower_window(text: str, pos: int) -> str:
    return text[max(0, pos - 30) : pos].lower()


def _find_uk_postcodes(text: str, out: list[Cand]) -> bool:
    """Only where an inward code (" 6XE") occurs: a literal-led pass, then a look back for the town.
    True when the text has any inward code."""
    seen = False
    for m in (_INWARD if "\t" in text else _INWARD_SPACE).finditer(text):
        seen = True
        lo = max(0, m.start() - 40)
        t = _TOWN_UK_PC.search(text, lo, m.end())
        if t is not None:
            st = t.start()
            # "1 Piccadilly, Manchester M1 1AE": the house number and street before the town.
            b = _STREET_BEFORE_REV.match(text[max(0, st - 50) : st][::-1])
            if b is not None:
                st -= b.end()
            out.append(("LOCATION", st, t.end(), 0.7, "address-uk"))
        elif "post" in _lower_window(text, m.start()):
            # "Postcode: EC1A 1BB", "post code EC1A 1BB": the label says what the code is.
            pc = _UK_PC_LABELLED.search(text, max(0, m.start() - 30), m.end())
            if pc is not None and pc.end() == m.end():
                out.append(("LOCATION", pc.start(1), pc.end(1), 0.75, "address-uk"))
    return seen


_BLOCK_WORDS = (
    "bill to",
    "ship to",
    "sold to",
    "deliver to",
    "remit to",
    "mail to",
    "billing address",
    "shipping address",
    "delivery address",
    "invoice to",
    "send to",
)
_BLOCK_FAMILY = Family(_BLOCK_WORDS)
_BLOCK_LABEL = re.compile(
    r"(?i)(?:bill|ship|sold|deliver|remit|mail|invoice|send)[ \t]+to|(?:billing|shipping|delivery)[ \t]+address"
)
_BLOCK_POSTCODE = re.compile(
    rf"\b[A-Z]{{2}}[ \t]+\d{{5}}\b|(?<![\w-])(?:[A-Z]{{1,2}}-)?\d{{4,5}}(?:[ \t]?[A-Z]{{2}})?[ \t]+{U}|{_UK_POSTCODE}\b"
)
# A country under the postcode line belongs to the address ("Thanks" does not).
_COUNTRIES = frozenset(
    (
        "usa|us|united states|united states of america|uk|united kingdom|great britain|england|scotland|wales|"
        "northern ireland|ireland|germany|deutschland|france|spain|españa|espana|italy|italia|netherlands|"
        "the netherlands|nederland|holland|belgium|belgique|belgië|austria|österreich|switzerland|schweiz|"
        "suisse|portugal|canada|australia|new zealand|sweden|sverige|denmark|danmark|norway|norge|finland|"
        "poland|polska|czech republic|czechia|mexico|méxico|brazil|brasil|argentina|japan|india|luxembourg|greece"
    ).split("|")
)


def _find_blocks(text: str, lower: str, toks: frozenset[str], out: list[Cand]) -> None:
    n = len(text)
    for p in anchors(lower, (), toks, _BLOCK_FAMILY):
        lm = _BLOCK_LABEL.match(text, p)
        if lm is None:
            continue
        q = lm.end()
        while q < n and text[q] in " \t*_":
            q += 1
        if q < n and text[q] == ":":
            q += 1
        elif q < n and text[q] not in "\r\n":
            continue  # "ship to the warehouse": only "Ship to:" or a "Ship to" heading line
        while q < n and text[q] in " \t*_":
            q += 1
        if q < n and text[q] == "\r":
            q += 1
        if q < n and text[q] == "\n":
            q += 1
        # Lines of the block: up to 6, until a blank line or a "key:" line.
        lines: list[tuple[int, int]] = []
        pos = q
        while pos < n and len(lines) < 6:
            le = text.find("\n", pos)
            le = n if le == -1 else le
            line = text[pos:le]
            if not line.strip() or (":" in line and len(lines) > 0) or len(line) > 80:
                break
            lines.append((pos, le))
            pos = le + 1
        digit_lines = [i for i, (a, b) in enumerate(lines) if _HAS_NUMBER.search(text, a, b)]
        if not digit_lines or (len(lines) < 2 and "," not in text[lines[0][0] : lines[0][1]]):
            continue
        block = text[lines[0][0] : lines[digit_lines[-1]][1]]
        if not (_STREET_LINE_HINT.search(block) or _BLOCK_POSTCODE.search(block)):
            continue  # "Bill to:\nAcme Corp\nNet 30": a number, but no street or postcode
        last = digit_lines[-1]
        if last + 1 < len(lines):
            a, b = lines[last + 1]
            if text[a:b].strip(" \t\r.").lower() in _COUNTRIES:
                last += 1
        a = lines[0][0]
        b = lines[last][1]
        while b > a and text[b - 1] in " \t\r,":
            b -= 1
        while a < b and text[a] in " \t":
            a += 1
        if b > a:
            out.append(("LOCATION", a, b, 0.7, "address-block"))


# Every first word of the trigger families above: one set test skips all three for most texts.
_TRIGGER_KEYS = _PHONE_FAMILY.keys | _TAX_FAMILY.keys | _BLOCK_FAMILY.keys


def find_recall(
    text: str, lower: str, out: list[Cand], toks: frozenset[str], *, location: bool = True
) -> None:
    """Append candidates for the formats above; ``out`` already holds the other recognizers' ones."""
    if not _TRIGGER_KEYS.isdisjoint(toks):
        _find_context_phones(text, lower, toks, out)
        _find_context_ssns(text, lower, toks, out)
        if location:
            _find_blocks(text, lower, toks, out)
    ssn_at = _SSN_ANY.search(lower)
    if ssn_at is not None:
        _find_bare_ssns(text, lower, out, ssn_at.start())
    if "mr" in lower:
        _find_mrns(text, lower, out)
    pc_lines = False
    if "\n" in text:
        if "\t" in text or ";" in text:
            _find_delimited(text, out)
        if location:
            pc_lines = _find_pc_lines(text, out)
    # Addresses found elsewhere grow only over a postcode line or a UK postcode: without either
    # in the text there is nothing to grow over (the other recognizers cover ", 10435 Berlin").
    if location and (_find_uk_postcodes(text, out) or pc_lines):
        _extend_addresses(text, out)
