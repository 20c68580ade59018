"""Values found from their context: names, street addresses, dates of birth, record numbers.

Names are found the way a reader finds them: after "my name is", "Dear", "Patient:", a title
(Mr/Ms/Dr), before a sign-off, next to an email address whose local part spells them, or as a
quoted "First Last" string in the same row as an email.  A dictionary is never required: about
a fifth of real names are in none.
"""

from __future__ import annotations

import re
import unicodedata

Cand = tuple[str, int, int, float, str]


def _class(pred, ranges: tuple[tuple[int, int], ...]) -> str:
    """A regex character class of every code point in ``ranges`` that satisfies ``pred``."""
    out: list[str] = []
    for lo, hi in ranges:
        run_start = None
        for cp in range(lo, hi + 1):
            ok = pred(chr(cp))
            if ok and run_start is None:
                run_start = cp
            if (not ok or cp == hi) and run_start is not None:
                end = cp if ok else cp - 1
                a, b = re.escape(chr(run_start)), re.escape(chr(end))
                out.append(a if run_start == end else f"{a}-{b}")
                run_start = None
    return "[" + "".join(out) + "]"


_RANGES = ((0x41, 0x7A), (0xC0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x1E00, 0x1EFF))
U = _class(str.isupper, _RANGES)
L = _class(str.islower, _RANGES)
# One name word: O'Brien, McGruddy, MacGinley, Horst-Günter, D'Angelo, González.
_WORD = rf"(?:{U}['’])?{U}{L}+(?:{U}{L}+)?(?:-{U}{L}+)*"
_PARTICLE = r"(?:van|von|de|der|den|da|di|du|del|della|dos|das|la|le|ten|ter|bin|ibn|al|el|y|St\.?)"
_SUFFIX = r"(?:Jr\.?|Sr\.?|II|III|IV|VI|V)"
#: A full name: 1-4 capitalised words with optional lower-case particles, same line only.
NAME = re.compile(rf"{_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_WORD}){{0,3}}(?:,?[ \t]+{_SUFFIX}\b)?")
NAME2 = re.compile(rf"{_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_WORD}){{1,3}}")

# Capitalised words that start sentences or name things, never people.
STOP = frozenset(
    """the a an and or but if then this that these those there here it its i im i'm me my we our you your he she
    they them his her their hello hi hey dear thanks thank regards best cheers sincerely yours kind warm
    please note see ref re fw fwd subject from to cc bcc date sent order ticket invoice account card
    customer patient user admin support team service services help desk manager department office
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december today tomorrow yesterday morning evening
    mr mrs ms miss dr prof sir madam street avenue road lane drive boulevard suite apt unit
    inc llc ltd corp corporation company co gmbh group bank university hospital clinic school
    info warn warning error debug trace fatal critical notice ok yes no not none null true false
    assessment plan diagnosis history medication medications allergies vitals follow up address
    email phone mobile tel fax name dob mrn ssn id number status total amount price payment billing
    new old good great bad just also still very much more most some any all each every other
    can could would should will shall might must have has had is are was were be been being do does did
    got get make made call called calling write wrote reach contact my your system build release version
    having trying looking wondering writing following sorry okay sure hope
    """.split()
)


def is_stop(word: str) -> bool:
    return word.lower().strip(".'’") in STOP


def _trim_name(text: str, s: int, e: int, *, min_words: int = 1) -> tuple[int, int] | None:
    """Drop stop words at both ends of a NAME match; None when too little is left."""
    words = [(m.start() + s, m.end() + s) for m in re.finditer(r"\S+", text[s:e])]
    while words and is_stop(text[words[0][0] : words[0][1]]):
        words.pop(0)
    while words and is_stop(text[words[-1][0] : words[-1][1]]):
        words.pop()
    if len(words) < min_words:
        return None
    return words[0][0], words[-1][1]


def name_at(text: str, pos: int, *, min_words: int = 1) -> tuple[int, int] | None:
    """The span of a name starting at ``pos`` (after optional spaces), or None."""
    n = len(text)
    while pos < n and text[pos] in " \t":
        pos += 1
    m = NAME.match(text, pos)
    if not m:
        return None
    return _trim_name(text, m.start(), m.end(), min_words=min_words)


def fold(s: str) -> str:
    """Lower-case ASCII skeleton of a string (González -> gonzalez) for comparing with email local parts."""
    return "".join(c for c in unicodedata.normalize("NFKD", s) if c.isascii() and c.isalpha()).lower()


# -- person from trigger phrases -----------------------------------------------------------------
_PERSON_TRIGGER = re.compile(
    r"(?i:\bmy name is|\bmy name's|\bname is|\bi am|\bi'm|\bi’m|\bthis is|\bcall me|\bdear|\bhi|\bhello|\bhey|"
    r"\bsigned by|\bsigned|\bcardholder(?: name)?|\bcard holder|\bpatient(?: name)?|\bclient(?: name)?|"
    r"\bcustomer(?: name)?|\bspoke (?:with|to)|\bspeaking with|\bon behalf of|\bcontact(?: person)?|"
    r"\bassigned to|\breferred by|\battn|\battention|\bemployee|\bbeneficiary|\bguardian|\bspouse|"
    r"\bnext of kin|\bemergency contact|\bphysician|\bprovider|\bauthor|\bowner|\bapplicant|\btenant|"
    r"\bwitness|\brecipient|\bsender|\bpayee|\bpolicyholder|\bmember|\bresident|\buser name|\bfull name|"
    r"\bfrom|\bto|\bcc|\bby|\bwith|\bfor|\bregards|\bthanks|\bcheers|\bsincerely|\bbest)"
    r"[ \t]*[:,\-–]?[ \t]*\n?[ \t]*"
)
_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Madam|Mme|Mlle|Herr|Frau|Sr|Sra|Rev|Capt)\.?[ \t]+")
_STRONG = frozenset(
    """my name is|my name's|name is|dear|signed by|cardholder|cardholder name|card holder|patient|patient name|
    call me|client name|customer name|attn|attention|full name|user name|next of kin|emergency contact|
    beneficiary|policyholder|regards|thanks|cheers|sincerely|best|spoke with|spoke to|speaking with|
    on behalf of|referred by|assigned to""".replace("\n", "").split("|")
)
_SIGNOFF = frozenset(("regards", "thanks", "cheers", "sincerely", "best"))


def find_person_triggers(text: str, lower: str, out: list[Cand]) -> None:
    for m in _PERSON_TRIGGER.finditer(text):
        trig = " ".join(lower[m.start() : m.end()].replace("\n", " ").split()).rstrip(":,-– ")
        trig = trig.replace("’", "'")
        strong = trig in _STRONG
        if trig in _SIGNOFF and "\n" not in text[m.start() : m.end()] and text[m.end() - 1 : m.end()] not in ",":
            strong = False
        span = name_at(text, m.end(), min_words=1 if strong else 2)
        if span is None:
            continue
        s, e = span
        nwords = len(text[s:e].split())
        if nwords == 1 and not strong:
            continue
        if trig in ("from", "to", "cc", "by", "with", "for") and nwords < 2:
            continue
        score = 0.85 if strong else 0.6
        if trig in ("from", "to", "cc", "by", "with", "for", "hi", "hello", "hey", "i am", "i'm", "this is"):
            score = 0.65 if nwords >= 2 else 0.5
        out.append(("PERSON", s, e, score, "person-context"))
    for m in _TITLE.finditer(text):
        span = name_at(text, m.end(), min_words=1)
        if span:
            out.append(("PERSON", span[0], span[1], 0.8, "person-title"))


# -- person next to an email whose local part spells the name ------------------------------------
_LOCAL_SPLIT = re.compile(r"[._+\-\d]+")


def _name_matches_local(name: str, local: str) -> bool:
    parts = [fold(w) for w in re.split(r"[\s\-'’]+", name) if w]
    parts = [p for p in parts if p]
    if not parts:
        return False
    loc = fold(local.split("+", 1)[0])
    toks = [t for t in _LOCAL_SPLIT.split(local.split("+", 1)[0].lower()) if t]
    toks = [fold(t) for t in toks]
    for p in parts:
        if len(p) >= 3 and (p in toks or (len(p) >= 4 and p in loc)):
            return True
    first, last = parts[0], parts[-1]
    if loc.startswith(first[:1] + last) or loc.startswith(last + first[:1]) or loc == first[:1] + last:
        return True
    return False


def find_person_near_email(text: str, emails: list[tuple[int, int]], out: list[Cand]) -> None:
    """Capitalised names within a short window of an email that spells them."""
    for es, ee in emails:
        at = text.find("@", es, ee)
        local = text[es:at]
        lo = max(0, es - 120)
        window = text[lo:es]
        for m in NAME2.finditer(window):
            span = _trim_name(window, m.start(), m.end(), min_words=2)
            if not span:
                continue
            s, e = span[0] + lo, span[1] + lo
            if _name_matches_local(text[s:e], local):
                out.append(("PERSON", s, e, 0.85, "person-email"))
        hi = min(len(text), ee + 60)
        for m in NAME2.finditer(text, ee, hi):
            span = _trim_name(text, m.start(), m.end(), min_words=2)
            if span and _name_matches_local(text[span[0] : span[1]], local):
                out.append(("PERSON", span[0], span[1], 0.8, "person-email"))


# -- person as a quoted value in a row that also holds contact data ------------------------------
_QUOTED_NAME = re.compile(rf"(['\"])((?:{_WORD})(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_WORD}){{1,3}})\1")


def find_person_in_rows(text: str, out: list[Cand]) -> None:
    """``(12, 'Ana Lima', 'ana@x.io', ...)``: a quoted 2-4 word name in the same tuple/row as an email or phone."""
    for m in _QUOTED_NAME.finditer(text):
        s, e = m.span(2)
        words = text[s:e].split()
        if any(is_stop(w) for w in words):
            continue
        # Same row: look to the next row delimiter on both sides.
        lo = max(text.rfind("(", 0, s), text.rfind("\n", 0, s), text.rfind("[", 0, s), text.rfind("{", 0, s))
        hi_candidates = [x for x in (text.find(")", e), text.find("\n", e), text.find("}", e)) if x != -1]
        hi = min(hi_candidates) if hi_candidates else len(text)
        row = text[lo + 1 : hi] if lo >= 0 else text[:hi]
        if "@" in row or re.search(r"\d{3}[ .)-]{1,2}\d{3}[ .-]\d{4}|\+\d", row):
            out.append(("PERSON", s, e, 0.75, "person-row"))


# -- name followed by <email> --------------------------------------------------------------------
_NAME_ANGLE = re.compile(rf"({_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_WORD}){{1,3}})[ \t]*<[^<>\s@]{{1,64}}@")


def find_person_angle(text: str, out: list[Cand]) -> None:
    if "<" not in text:
        return
    for m in _NAME_ANGLE.finditer(text):
        span = _trim_name(text, m.start(1), m.end(1), min_words=2)
        if span:
            out.append(("PERSON", span[0], span[1], 0.85, "person-angle"))


# -- dates of birth ------------------------------------------------------------------------------
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
DATE = re.compile(
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"
    rf"|{_MONTHS}[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?{_MONTHS},?[ \t]+\d{{4}})"
    r"(?![\w:]|[-/.]\d)",
    re.I,
)
_DOB_TRIGGER = re.compile(
    r"(?i)\b(?:d\.?o\.?b\.?|date[ \t]+of[ \t]+birth|birth[ \t_-]?date|birthdate|birthday|born(?:[ \t]+on)?|"
    r"geburtsdatum|geboren(?:[ \t]+am)?|n[ée]e?[ \t]+le|date[ \t]+de[ \t]+naissance|fecha[ \t]+de[ \t]+nacimiento)"
    r"\b[ \t]*(?:\([^)]{0,12}\))?[ \t]*[:=#-]?[ \t]*[\"']?"
)


def find_dob(text: str, lower: str, out: list[Cand]) -> None:
    if not ("dob" in lower or "birth" in lower or "born" in lower or "d.o.b" in lower or "geb" in lower
            or "naissance" in lower or "nacimiento" in lower or "née" in lower or "ne le" in lower):
        return
    for m in _DOB_TRIGGER.finditer(text):
        d = DATE.match(text, m.end())
        if d:
            out.append(("DATE_TIME", d.start(), d.end(), 0.9, "dob"))


# -- street addresses in free text ---------------------------------------------------------------
_STREET_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
    r"Circle|Cir|Highway|Hwy|Parkway|Pkwy|Square|Sq|Trail|Trl|Alley|Aly|Bend|Bluff|Bluffs|Branch|Bridge|"
    r"Brook|Brooks|Burg|Burgs|Bypass|Camp|Canyon|Cape|Causeway|Center|Centers|Cliff|Cliffs|Club|Common|"
    r"Corner|Corners|Course|Courts|Cove|Coves|Creek|Crescent|Crest|Crossing|Crossroad|Curve|Dale|Dam|"
    r"Divide|Drives|Estate|Estates|Expressway|Extension|Extensions|Falls|Ferry|Field|Fields|Flat|Flats|"
    r"Ford|Fords|Forest|Forge|Forges|Fork|Forks|Fort|Freeway|Garden|Gardens|Gateway|Glen|Glens|Green|"
    r"Greens|Grove|Groves|Harbor|Harbors|Haven|Heights|Hill|Hills|Hollow|Inlet|Island|Islands|Isle|"
    r"Junction|Junctions|Key|Keys|Knoll|Knolls|Lake|Lakes|Landing|Light|Lights|Loaf|Lock|Locks|Lodge|"
    r"Loop|Mall|Manor|Manors|Meadow|Meadows|Mews|Mill|Mills|Mission|Motorway|Mount|Mountain|Mountains|"
    r"Neck|Orchard|Oval|Overpass|Park|Parks|Parkways|Pass|Passage|Path|Pike|Pine|Pines|Plain|Plains|"
    r"Plaza|Point|Points|Port|Ports|Prairie|Radial|Ramp|Ranch|Rapid|Rapids|Rest|Ridge|Ridges|River|"
    r"Roads|Route|Row|Rue|Run|Shoal|Shoals|Shore|Shores|Skyway|Spring|Springs|Spur|Spurs|Squares|Station|"
    r"Stravenue|Stream|Streets|Summit|Throughway|Trace|Track|Trafficway|Tunnel|Turnpike|Underpass|Union|"
    r"Unions|Valley|Valleys|Via|Viaduct|View|Views|Village|Villages|Ville|Vista|Walk|Walks|Wall|Ways|"
    r"Well|Wells|Close|Gate|Hyde|Croft|Rise|Wharf|Yard)"
)
_UNIT = r"(?:,?[ \t]+(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Floor|Fl\.?|Room|Rm\.?|Bldg\.?|#)[ \t]*#?[\w-]{1,8})"
_CITY_TAIL = (
    rf"(?:,[ \t]*(?:{U}{L}+[ \t]+){{0,3}}{U}{L}+,?[ \t]+(?:[A-Z]{{2}}[ \t]+\d{{5}}(?:-\d{{4}})?"
    r"|[A-Z]{1,2}\d[A-Z\d]?[ \t]*\d[A-Z]{2}))?"
)
_US_STREET = re.compile(
    rf"(?<![\w-])\d{{1,6}}[A-Za-z]?[ \t]+(?:[NSEW]\.?[ \t]+|(?:North|South|East|West)[ \t]+)?"
    rf"(?:(?:{U}{L}+|\d{{1,3}}(?:st|nd|rd|th))[ \t]+){{1,3}}{_STREET_SUFFIX}\.?(?![\w-]){_UNIT}?{_CITY_TAIL}"
)
_FR_STREET = re.compile(
    rf"(?<![\w-])\d{{1,4}}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?:rue|avenue|av\.|boulevard|bd|chemin|allée|place|impasse|quai|"
    rf"route|cours|square|passage)[ \t]+(?:(?:de|du|des|la|le|l'|d')[ \t]*)*[^\n,;]{{1,40}}?"
    rf"(?:,[ \t]*\d{{5}}[ \t]+{U}[^\n,;]{{1,40}})?(?=[\n,;.]|$)",
    re.I,
)
_DE_STREET = re.compile(
    rf"(?<![\w-])(?:{U}{L}+-)*{U}{L}*(?:straße|strasse|str\.|weg|allee|platz|ring|gasse|damm|ufer|chaussee)"
    rf"[ \t]+\d{{1,4}}[a-z]?(?:/\d{{1,4}})?(?:,[ \t]*\d{{5}}[ \t]+{U}{L}+(?:[ \t-]{U}{L}+)*)?"
)
_PO_BOX = re.compile(
    r"\b(?:P\.?[ \t]?O\.?[ \t]+Box|PSC|Unit)[ \t]+\d{1,6}(?:,[ \t]*Box[ \t]+\d{1,6})?,[ \t]*(?:APO|FPO|DPO)[ \t]+(?:AA|AE|AP)[ \t]+\d{5}"
    r"|\b(?:USNS|USNV|USS|USCGC)[ \t]+[A-Z][a-z]+,[ \t]*(?:APO|FPO|DPO)[ \t]+(?:AA|AE|AP)[ \t]+\d{5}"
)


def find_addresses(text: str, out: list[Cand]) -> None:
    for m in _US_STREET.finditer(text):
        out.append(("LOCATION", m.start(), m.end(), 0.75 if m.end() - m.start() > 25 else 0.6, "address-us"))
    lower_has = text.lower()
    if any(w in lower_has for w in ("rue ", "avenue ", "boulevard ", "chemin ", "allée ", "place ", "impasse ", "quai ")):
        for m in _FR_STREET.finditer(text):
            out.append(("LOCATION", m.start(), m.end(), 0.7, "address-fr"))
    if any(w in lower_has for w in ("str", "weg ", "allee ", "platz ", "ring ", "gasse ", "damm ")):
        for m in _DE_STREET.finditer(text):
            out.append(("LOCATION", m.start(), m.end(), 0.7, "address-de"))
    if "APO" in text or "FPO" in text or "DPO" in text:
        for m in _PO_BOX.finditer(text):
            out.append(("LOCATION", m.start(), m.end(), 0.8, "address-mil"))
