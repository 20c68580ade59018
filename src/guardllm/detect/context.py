"""Values found from their context: names, street addresses, dates of birth, record numbers.

Names are found the way a reader finds them: after "my name is", "Dear", "Patient:", a title
(Mr/Ms/Dr), before a sign-off, next to an email address whose local part spells them, or as a
quoted "First Last" string in the same row as an email.  A dictionary is never required: about
a fifth of real names are in none.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from functools import lru_cache

from guardllm.detect.pii import matches_at

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
# Starts with the upper-case class itself so the regex engine can skip ahead to candidates.
_WORD = rf"{U}(?:['’]{U})?{L}+(?:{U}{L}+)?(?:-{U}?{L}+)*"
_PARTICLE = r"(?:van|von|de|der|den|da|di|du|del|della|dos|das|la|le|ten|ter|bin|ibn|al|el|y|St\.?)"
_SUFFIX = r"(?:Jr\.?|Sr\.?|II|III|IV|VI|V)"
#: A full name: 1-4 capitalised words with optional lower-case particles, same line only.
NAME = re.compile(
    rf"{_WORD}(?:[ \t]+(?:{U}\.[ \t]+)?(?:{_PARTICLE}[ \t]+){{0,2}}{_WORD}){{0,3}}(?:,?[ \t]+{_SUFFIX}\b)?(?![^\W\d_])"
)
NAME2 = re.compile(
    rf"{_WORD}(?:[ \t]+(?:{U}\.[ \t]+)?(?:{_PARTICLE}[ \t]+){{0,2}}{_WORD}){{1,3}}(?:,?[ \t]+{_SUFFIX}\b)?"
)

# Capitalised words that start sentences or name things, never people.
STOP = frozenset(
    """the a an and or but if then this that these those there here it its i im i'm me my we our you your he she
    they them his her their hello hi hey dear thanks thank regards cheers sincerely yours
    please note see ref re fw fwd subject from to cc bcc date sent order ticket invoice account card
    customer patient user admin support team service services help desk manager department office
    monday tuesday wednesday thursday friday saturday sunday january february march july
    september october november december today tomorrow yesterday morning evening
    mr mrs ms miss dr prof sir madam street avenue road drive boulevard suite apt unit
    inc llc ltd corp corporation company co gmbh group bank university hospital clinic school
    info warn warning error debug trace fatal critical notice ok yes no not none null true false
    assessment plan diagnosis history medication medications allergies vitals follow up address
    email phone mobile tel fax name dob mrn ssn id number status total amount payment billing
    new old good great bad just also still very much more most some any all each every other
    can could would should shall might must have has had is are was were be been being do does did
    got get make made call called calling write wrote reach contact my your system build release version
    having trying looking wondering writing following sorry okay sure hope
    portal login logout page pages docs doc documentation class classes center centre guide guides update updates
    upgrade driver drivers version versions agreement policy policies report reports notes note release releases
    data file files form forms list lists home index settings setting profile dashboard app apps api apis
    server servers client clients cluster node nodes pipeline pipelines deployment deployments service
    portal request requests response responses error errors warning warnings event events log logs message
    messages user users admin admins account accounts product products feature features module modules
    overview summary details detail section chapter appendix table figure image images video videos
    terms conditions privacy security settings preferences options help faq contact about careers press
    blog news store shop cart checkout search results login signup register password reset confirm
    community foundation open source software hardware network networks database databases cloud platform
    """.split()
)


def is_stop(word: str) -> bool:
    return word.lower().strip(".'’") in STOP


_NON_BLANK = re.compile(r"\S+")


def _trim_name(text: str, s: int, e: int, *, min_words: int = 1) -> tuple[int, int] | None:
    """Drop stop words at both ends of a NAME match; None when too little is left."""
    seg = text[s:e].split()
    if len(seg) >= min_words and not is_stop(seg[0]) and not is_stop(seg[-1]):
        return s, e
    words = [(m.start() + s, m.end() + s) for m in _NON_BLANK.finditer(text[s:e])]
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


@lru_cache(maxsize=16384)
def fold(s: str) -> str:
    """Lower-case ASCII skeleton of a string (González -> gonzalez) for comparing with email local parts."""
    if s.isascii():
        return _NON_ALPHA.sub("", s.lower())
    return _NON_ALPHA.sub(
        "", unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii").lower()
    )


_NON_ALPHA = re.compile(r"[^a-z]+")


def lower_same_length(text: str) -> str:
    """``text.lower()`` with every offset kept: a few letters (Turkish İ) lower-case to two code points."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(lc := c.lower()) != 1 else lc for c in text)


def tokens(text: str) -> frozenset[str]:
    """The words of ``text`` with common punctuation removed: a set to test trigger words against cheaply."""
    return frozenset(
        text.replace(",", " ")
        .replace(".", " ")
        .replace(":", " ")
        .replace("(", " ")
        .replace('"', " ")
        .replace("'", " ")
        .replace("=", " ")
        .replace("#", " ")
        .replace(";", " ")
        .split()
    )


#: Every word some trigger test looks for (families register theirs): a text's words are reduced
#: to these once, so the many set tests that follow run on a handful of words, not on all of them.
_VOCAB: set[str] = set()


def trigger_tokens(text: str) -> frozenset[str]:
    """The words of ``text`` (as :func:`tokens` splits them) that any trigger test looks for."""
    return frozenset(
        _VOCAB.intersection(
            text.replace(",", " ")
            .replace(".", " ")
            .replace(":", " ")
            .replace("(", " ")
            .replace('"', " ")
            .replace("'", " ")
            .replace("=", " ")
            .replace("#", " ")
            .replace(";", " ")
            .split()
        )
    )


class Family:
    """Trigger phrases indexed by their first word (in lower, Title and UPPER case) for a set test."""

    __slots__ = ("by_key", "keys")

    def __init__(self, phrases: tuple[str, ...]) -> None:
        self.by_key: dict[str, list[str]] = {}
        for ph in phrases:
            first = ph.strip().split()[0].strip(".:'")
            for v in {first, first.title(), first.upper()}:
                self.by_key.setdefault(v, []).append(ph)
        self.keys = frozenset(self.by_key)
        _VOCAB.update(self.keys)

    def present(self, toks: frozenset[str]) -> list[str]:
        if self.keys.isdisjoint(toks):
            return []  # the common case, answered without building a set
        hits = self.keys & toks
        out: list[str] = []
        for h in hits:
            for ph in self.by_key[h]:
                if ph not in out:
                    out.append(ph)
        return out


def anchors(
    lower: str,
    words: tuple[str, ...] | list[str],
    toks: frozenset[str] | None = None,
    family: Family | None = None,
) -> list[int]:
    """Start offsets of ``words`` in ``lower`` that begin a word (``str.find`` is far cheaper than a regex pass).

    With ``toks`` and ``family``, only the phrases whose first word occurs in the text are looked for.
    """
    if toks is not None and family is not None:
        words = family.present(toks)
    pos: list[int] = []
    for w in words:
        i = lower.find(w)
        while i != -1:
            if i == 0 or not lower[i - 1].isalnum():
                pos.append(i)
            i = lower.find(w, i + 1)
    return pos


# -- person ---------------------------------------------------------------------------------------
# Phrases that, right before a capitalised word sequence, say it is a person's name.  Checked with
# ``str.endswith`` on a short lower-cased window, which is far cheaper than a regex per candidate.
_STRONG_TRIGGERS = (
    "my name is",
    "my name's",
    "name is",
    "name:",
    "dear",
    "signed by",
    "signed",
    "cardholder",
    "card holder",
    "cardholder name",
    "patient",
    "patient name",
    "call me",
    "client name",
    "customer name",
    "attn",
    "attention",
    "full name",
    "next of kin",
    "emergency contact",
    "beneficiary",
    "policyholder",
    "spoke with",
    "spoke to",
    "speaking with",
    "on behalf of",
    "referred by",
    "assigned to",
    "regards",
    "thanks",
    "thank you",
    "cheers",
    "sincerely",
    "best",
    "from",
    "to",
    "cc",
    "i am",
    "i'm",
    "i’m",
    "this is",
    "it's",
    "hi",
    "hello",
    "hey",
    "mr",
    "mrs",
    "ms",
    "mx",
    "miss",
    "dr",
    "prof",
    "sir",
    "madam",
    "mme",
    "herr",
    "frau",
    "rev",
    "contact",
    "customer",
    "client",
    "employee",
    "member",
    "applicant",
    "tenant",
    "physician",
    "doctor",
    "nurse",
    "by",
    "with",
    "for",
    "user",
    "guest",
    "resident",
    "insured",
    "subscriber",
    "recipient",
    "sender",
    "payee",
    "owner",
    "author",
    "witness",
    "guardian",
    "spouse",
    "parent",
    "student",
    "agent",
    "rep",
    "representative",
    "attendees",
    "participants",
    "assignee",
    "reviewer",
    "approver",
    "requester",
    "caller",
    "candidate",
    "approved by",
    "requested by",
    "created by",
    "submitted by",
    "reported by",
    "prepared by",
    "written by",
    "sent by",
    "handled by",
    "reviewed by",
    "signed off by",
    "escalated to",
    "forwarded to",
    "married to",
    "son of",
    "daughter of",
    "wife",
    "husband",
    "mother",
    "father",
    "son",
    "daughter",
    "brother",
    "sister",
    "named",
    "called",
    "mrs.",
    "mr.",
    "ms.",
    "dr.",
    "prof.",
    "teammate",
    "colleague",
    "manager",
    "supervisor",
    "landlord",
    "lawyer",
    "attorney",
    "pharmacist",
    "surgeon",
    "therapist",
    "dentist",
    "accountant",
    "claimant",
    "decedent",
    "deceased",
    "victim",
    "defendant",
    "plaintiff",
    "borrower",
    "guarantor",
    "cosigner",
    "co-signer",
    "driver",
    "passenger",
    "traveler",
    "traveller",
    "visitor",
    "contractor",
    "dependent",
    "insured",
    "subscriber",
    "beneficiary",
    "policyholder",
    "account holder",
    "holder",
)
_ONE_WORD_TRIGGERS = frozenset(t for t in _STRONG_TRIGGERS if " " not in t and t.isalpha())
_WEAKEST_TRIGGERS = frozenset(("from", "to", "cc", "by", "with", "for"))
_WEAK_TRIGGERS = frozenset(
    (
        "from",
        "to",
        "cc",
        "by",
        "with",
        "for",
        "hi",
        "hello",
        "hey",
        "i am",
        "i'm",
        "i’m",
        "this is",
        "it's",
        "contact",
        "customer",
        "client",
        "employee",
        "member",
        "user",
        "guest",
        "owner",
        "author",
        "agent",
        "rep",
    )
)
_TRAIL = " \t\n\r:,-–—\"'(*_"


_TRIGGER_SET = frozenset(_STRONG_TRIGGERS)
# Every phrase tried below ends in the window's last word, so a last word that ends no trigger
# answers "no trigger" without building the joined phrases (most capitalised runs in prose).
_TRIGGER_LAST = frozenset(t.rsplit(" ", 1)[-1] for t in _TRIGGER_SET)


def _trigger_before(lower: str, s: int) -> str | None:
    window = lower[max(0, s - 40) : s].rstrip(_TRAIL).rstrip(".")
    words = window.rsplit(None, 3)
    if not words or words[-1] not in _TRIGGER_LAST:
        return None
    # Longest phrase first: "my name is" before "name is".
    for k in (3, 2, 1):
        if len(words) >= k:
            phrase = " ".join(words[-k:]) if k > 1 else words[-1]
            if phrase in _TRIGGER_SET:
                return phrase
    return None


_LOCAL_SPLIT = re.compile(r"[._+\-\d]+")
_NAME_SPLIT = re.compile(r"[\s\-'’]+")


def _name_matches_local(name: str, local: str) -> bool:
    parts = [p for p in (fold(w) for w in _NAME_SPLIT.split(name)) if p]
    if not parts:
        return False
    base = local.split("+", 1)[0].lower()
    loc = _NON_ALPHA.sub("", base)
    toks = [t for t in _LOCAL_SPLIT.split(base) if t]
    for p in parts:
        if len(p) >= 3 and (p in toks or (len(p) >= 4 and p in loc)):
            return True
    first, last = parts[0], parts[-1]
    return loc.startswith(first[:1] + last) or loc.startswith(last + first[:1])


def _spelled_by_email(
    text: str, s: int, e: int, emails: list[tuple[int, int]], email_starts: list[int]
) -> bool:
    k = bisect_left(email_starts, s - 80)
    while k < len(emails) and emails[k][0] <= e + 160:
        es, ee = emails[k]
        k += 1
        if es - 160 <= e <= es or ee <= s <= ee + 80:
            at = text.find("@", es, ee)
            parts = [p for p in (fold(w) for w in _NAME_SPLIT.split(text[s:e])) if p]
            local = _NON_ALPHA.sub("", text[es:at].split("+", 1)[0].lower())
            # Stricter than for ordinary candidates: every part of the name must be in the local part.
            if len(parts) >= 2 and all(
                p in local or (p[0] == local[:1] and parts[-1] in local) for p in parts
            ):
                return True
    return False


_ROW_CONTACT = re.compile(r"@|\d{3}[ .)-]{1,2}\d{3}[ .-]\d{4}|\+\d")
# (?![^\W\d_]) after a word: never let backtracking shorten "John" to "Joh".
_TITLE1 = re.compile(rf"(?:Mr|Mrs|Ms|Mx|Dr|Prof|Miss|Mme|Herr|Frau)\.?[ \t]+({_WORD})(?![^\W\d_])")
_STRONG1 = re.compile(
    rf"(?:[Dd]ear|[Nn]ame is|[Cc]all me|[Pp]atient:|[Nn]ame:)[ \t]+({_WORD})(?![^\W\d_])(?![ \t]*{U})"
)


# A person's name that is part of a street name: "left on Martin Luther King Jr Blvd".
_STREET_AFTER_NAME = re.compile(
    r"\.?[ \t]+(?:Jr\.?[ \t]+)?(?:Blvd|Boulevard|Ave|Avenue|St|Street|Way|Dr|Drive|Rd|Road|Pkwy|Parkway|Ln|Lane|"
    r"Hwy|Highway|Expy|Expressway|Fwy|Freeway|Pl|Place|Ct|Court|Cir|Circle|Sq|Square|Ter|Terrace|Bridge|Tunnel)"
    r"(?![\w-])"
)
# Salutation role words: "Dear Parent/Guardian," "Dear Valued Customer" address a role, not a person.
_DEAR_ROLES = frozenset(
    """parent parents guardian guardians customer customers applicant applicants member members colleague
    colleagues resident residents patient patients sir sirs madam team friend friends valued hiring student
    students homeowner homeowners policyholder policyholders tenant tenants neighbor neighbors neighbour
    neighbours subscriber subscribers participant participants employee employees partner partners supporter
    supporters donor donors landlord reader readers traveler travelers traveller guest guests shareholder
    shareholders investor investors buyer buyers seller sellers families family client clients candidate
    candidates user users owner owners volunteer volunteers attendee attendees visitor visitors""".split()
)


_AFTER_TRIGGERS = (
    " called",
    " wrote",
    " said",
    " emailed",
    " reported",
    " asked",
    " mentioned",
    " complained",
    " phoned",
    " signed",
    " was born",
    " was admitted",
    " presented",
    " (age",
    ", age",
    ", dob",
    " (dob",
    " <",
    " (born",
    ", born",
    " is the patient",
    " is a patient",
    " visited",
    " requested",
    " confirmed",
)
_LAST_FIRST = re.compile(
    rf"(?:[Pp]atient|[Nn]ame|[Pp]t\.?|[Cc]ustomer|[Cc]ardholder|[Cc]lient)[ \t]*:?[ \t]+({_WORD}),[ \t]*({_WORD}(?:[ \t]+{_WORD})?)(?![^\W\d_])"
)
# Common given names across locales: weak evidence only, never required.
FIRST_NAMES = frozenset(
    """james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony mark
    donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary
    nicholas eric jonathan stephen larry justin scott brandon benjamin samuel gregory alexander frank patrick raymond
    jack dennis jerry tyler aaron jose adam nathan henry douglas zachary peter kyle noah ethan jeremy walter christian
    keith roger terry austin sean gerald carl harold dylan arthur lawrence jordan jesse bryan billy bruce gabriel joe
    logan alan juan albert willie elijah wayne randy vincent mason roy ralph bobby russell bradley philip eugene
    mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty sandra margaret ashley
    kimberly emily donna michelle carol amanda melissa deborah stephanie dorothy rebecca sharon laura cynthia amy
    kathleen angela shirley brenda emma anna pamela nicole samantha katherine christine helen debra rachel carolyn
    janet maria catherine heather diane olivia julie joyce victoria ruth virginia lauren kelly christina joan evelyn
    judith andrea hannah megan cheryl jacqueline martha madison teresa gloria sara janice ann kathryn abigail sophia
    frances jean alice judy isabella julia grace amber denise danielle marilyn beverly charlotte natalie theresa
    diana brittany doris kayla alexis lori marie sophie lea chloe camille manon ines jade louise alice lucas hugo
    louis gabriel arthur jules leo raphael adam nathan mathis theo tom enzo paul antoine nicolas pierre jean
    francois philippe michel alain bernard claude jacques laurent olivier julien sebastien thierry christophe
    hans peter klaus jurgen wolfgang stefan andreas thomas michael frank markus uwe matthias lukas leon finn jonas
    felix maximilian paul elias ben noah anna lena lea hannah mia emilia sophie marie laura julia sarah lisa katharina
    giuseppe giovanni antonio mario luigi francesco angelo vincenzo pietro salvatore carlo franco domenico bruno
    paolo marco andrea luca matteo alessandro lorenzo davide simone federico giulia chiara francesca sara martina
    jose antonio manuel francisco juan javier carlos jesus alejandro miguel rafael pedro pablo angel sergio fernando
    jorge luis alberto carmen maria ana isabel laura cristina marta lucia paula elena rosa pilar dolores mercedes
    mohammed muhammad ahmed ali omar hassan hussein ibrahim youssef fatima aisha amina zainab mariam khadija
    wei li ming jun hui yan xin hao jie lei yang chen ying jing mei hiroshi takashi kenji yuki haruto sakura yui
    aiko raj rahul amit vijay sanjay priya anjali pooja neha deepak arjun rohan anil sunil kavya ananya
    olga ivan dmitri sergei vladimir natasha tatiana elena irina svetlana aleksandr mikhail anastasia
    kwame kofi ama abena chinedu ngozi emeka oluwaseun adebayo tunde wanjiru juma amani zuri
    liam oliver elijah lucas mason ethan aiden jackson sebastian mateo levi ezra luna aria chloe ella avery
    mila layla nora riley zoey lily eleanor hazel violet aurora savannah audrey brooklyn bella claire skylar
    ciaran siobhan aoife niamh saoirse sean patrick declan conor eoin cormac aisling ciara roisin
    """.split()
) - frozenset(
    # Given names that are also everyday words or places: no evidence on their own ("Grace Period").
    "will mark grace hope faith joy rose amber crystal dawn lily violet hazel ruby jade summer river bill pat "
    "drew chase hunter carter parker mason jordan austin victoria georgia virginia savannah brooklyn aurora "
    "angel christian luna bella paris florence".split()
)


def find_persons(
    text: str, lower: str, emails: list[tuple[int, int]], out: list[Cand], toks: frozenset[str] | None = None
) -> None:
    """Capitalised word sequences that the surrounding text marks as a person's name."""
    n = len(text)
    email_starts = [es for es, _ in emails]
    last_end = -1
    for m in NAME2.finditer(text):
        s, e = m.span()
        words = m.group().split()
        w0 = words[0].lower()
        if w0.strip(".'’") in STOP or words[-1].lower().strip(".'’") in STOP:
            span = _trim_name(text, s, e, min_words=2)
            if span is None:
                # "Server Akça", "Grace Price": a given name that is also a word still counts when a
                # nearby email spells the name.
                if emails and _spelled_by_email(text, s, e, emails, email_starts):
                    out.append(("PERSON", s, e, 0.8, "person-email"))
                continue
            s, e = span
            w0 = text[s:e].split(None, 1)[0].lower()
        score = 0.0
        trig = None
        if w0 in _ONE_WORD_TRIGGERS:
            # "Cardholder Zebediah Marlowe": a capitalised trigger word glued to the front of the name.
            first = text[s:e].split(None, 1)
            while len(first) == 2 and first[0].lower() in _ONE_WORD_TRIGGERS and len(first[1].split()) >= 2:
                trig = first[0].lower()
                s = e - len(first[1])
                first = first[1].split(None, 1)
        if trig is None:
            trig = _trigger_before(lower, s)
        if trig is not None:
            if trig in _WEAKEST_TRIGGERS:
                # "with Product Marketing", "for Customer Success": only a known given name makes it a person.
                score = 0.65 if fold(text[s:e].split()[0]) in FIRST_NAMES else 0.45
            else:
                score = 0.6 if trig in _WEAK_TRIGGERS else 0.85
        if score < 0.75 and s > 0 and text[s - 1] in "'\"" and e < n and text[e] == text[s - 1]:
            # A quoted name in the same row as contact data: (12, 'Ana Lima', 'ana@x.io', ...)
            w0 = max(0, s - 200)
            lo = max(
                text.rfind("(", w0, s),
                text.rfind("\n", w0, s),
                text.rfind("{", w0, s),
                text.rfind("[", w0, s),
            )
            lo = w0 - 1 if lo < 0 else lo
            w1 = min(n, e + 300)
            his = [
                x for x in (text.find(")", e, w1), text.find("\n", e, w1), text.find("}", e, w1)) if x != -1
            ]
            hi = min(his) if his else w1
            if _ROW_CONTACT.search(text, lo + 1, hi):
                score = max(score, 0.75)
        if score < 0.6 and emails:
            # Only emails close by can vouch for a name: bisect instead of scanning them all.
            k = bisect_left(email_starts, s - 80)
            while k < len(emails) and emails[k][0] <= e + 160:
                es, ee = emails[k]
                k += 1
                if es - 160 <= e <= es or ee <= s <= ee + 80:
                    at = text.find("@", es, ee)
                    if _name_matches_local(text[s:e], text[es:at]):
                        score = 0.85
                        break
            if score < 0.85 and e < n - 2 and text[e : e + 3].lstrip(" \t").startswith("<"):
                score = max(score, 0.8)
        if score < 0.6:
            after = lower[e : e + 16]
            if after.startswith(_AFTER_TRIGGERS):
                score = 0.6
            elif fold(text[s:e].split()[0]) in FIRST_NAMES and not is_stop(text[s:e].split()[-1]):
                score = 0.55
        if (
            score < 0.6
            and last_end >= 0
            and text[last_end:s].strip(" \t") in (",", "and", "&", ", and", ";", "/")
        ):
            score = 0.6  # "Attendees: Ana Lima, Kofi Mensah and Li Wei": a list goes on naming people
        s, score = names.rescore(text, lower, s, e, score)  # "Send Priya Raghunathan", "email Dana Whitfield"
        if (
            score >= 0.5
            and not _STREET_AFTER_NAME.match(text, e)
            and not _STREET_AFTER_NAME.fullmatch(text, text.rfind(" ", s, e), e)
        ):
            out.append(("PERSON", s, e, score, "person-context"))
            last_end = e
    # Both patterns begin at their trigger word: try them only there.
    for m in matches_at(text, _TITLE1, text, _TITLE_HINTS, gate=_TITLE_GATE):
        if not is_stop(m.group(1)):
            out.append(("PERSON", m.start(1), m.end(1), 0.75, "person-title"))
    for m in matches_at(text, _LOWER_NAME, lower, _LOWER_NAME_HINTS, (0, 3)):
        # "hi, my name is john smith": typed in lower case, so only a known given name or an
        # email that spells it makes it a name.
        words = m.group(1).split()
        while words and is_stop(words[-1]):
            words.pop()
        if not words or is_stop(words[0]):
            continue
        s = m.start(1)
        e = s + len(" ".join(words))
        if text[s:e] != " ".join(words):
            continue
        if fold(words[0]) in FIRST_NAMES or (emails and _spelled_by_email(text, s, e, emails, email_starts)):
            out.append(("PERSON", s, e, 0.6, "person-context"))
    for p in anchors(lower, _ONE_NAME_WORDS, toks if toks is not None else tokens(text), _ONE_NAME_FAMILY):
        m = _STRONG1.match(text, p)
        if m and not is_stop(m.group(1)) and m.group(1).lower() not in _DEAR_ROLES:
            out.append(("PERSON", m.start(1), m.end(1), 0.7, "person-context"))
        m = _LAST_FIRST.match(text, p)
        if m and not is_stop(m.group(1)) and not is_stop(m.group(2)):
            out.append(("PERSON", m.start(1), m.end(2), 0.8, "person-context"))
    names.find_single(text, lower, out, toks)  # "Hi Tom,", "@Lindiwe", "ping Rasmus about"


_TITLE_HINTS = ("Mr", "Ms", "Mx", "Dr", "Prof", "Miss", "Mme", "Herr", "Frau")
# No title begins inside another (they start with an upper-case letter that none contains).
_TITLE_GATE = re.compile("|".join(_TITLE_HINTS))
_LOWER_NAME_HINTS = ("name is", "i'm", "i am", "this is", "call me")
_LOWER_NAME = re.compile(
    r"(?:[Mm]y name is|[Nn]ame is|\b[Ii]'m|\b[Ii] am|[Tt]his is|[Cc]all me)[ \t]+([a-z][a-z'-]{1,30}(?:[ \t][a-z][a-z'-]{1,30})?)\b"
)
_ONE_NAME_WORDS = ("dear", "name", "call me", "patient", "pt", "customer", "cardholder", "client")
_ONE_NAME_FAMILY = Family(_ONE_NAME_WORDS)


# -- dates of birth ------------------------------------------------------------------------------
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
DATE = re.compile(
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"
    rf"|\d{{1,2}}[-/ ]{_MONTHS}[-/ ](?:\d{{4}}|\d{{2}})"
    rf"|{_MONTHS}[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?{_MONTHS},?[ \t]+\d{{4}})"
    r"(?![\w:]|[-/.]\d)",
    re.I,
)
_DOB_TRIGGER = re.compile(
    r"(?i)\b(?:d\.?o\.?b\.?|date[ \t]+of[ \t]+birth|birth[ \t_-]?date|birthdate|birthday|born(?:[ \t]+on)?|"
    r"geburtsdatum|geboren(?:[ \t]+am)?|n[ée]e?[ \t]+le|date[ \t]+de[ \t]+naissance|fecha[ \t]+de[ \t]+nacimiento)"
    r"\.?[ \t]*(?:\([^)]{0,12}\))?[ \t]*(?:is|was|of|on)?[ \t]*[:=#-]?[ \t]*[\"']?"
)


_DOB_WORDS = (
    "dob",
    "date of birth",
    "birth",
    "birthdate",
    "birthday",
    "born",
    "geburtsdatum",
    "geboren",
    "née",
    "nee le",
    "ne le",
    "date de naissance",
    "fecha de nacimiento",
)
_DOB_FAMILY = Family(_DOB_WORDS)


def find_dob(
    text: str, lower: str, out: list[Cand], toks: frozenset[str] | None = None, seen: set[int] | None = None
) -> None:
    found = anchors(lower, _DOB_WORDS, toks if toks is not None else tokens(text), _DOB_FAMILY)
    if "d.o.b" in lower:
        found += anchors(lower, ("d.o.b",))
    for p in found:
        m = _DOB_TRIGGER.match(text, p)
        if m and (seen is None or m.end() not in seen):
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
_UNIT = r"(?:,?[ \t]+(?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl|Room|Rm|Bldg|#)(?![a-z])\.?[ \t]*#?[\w-]{1,8}(?![\w-]))"
# A town name: capitalised words joined by spaces, hyphens or particles ("Lefèvre-les-Bains", "Bad Ems").
_CITY = rf"{U}[^\W\d_]*(?:[ \t-]+(?:{U}[^\W\d_]*|sur|sous|les|la|le|de|del|di|du|des|en|am|an|der|im|bei|upon|on|op|aan|ter|den|bij)){{0,4}}"
# ", Springfield, IL 62704" / "\nBookerton, DC 03998" / ", London NW1 6XE" after the street line.
_CITY_TAIL = (
    rf"(?:(?:,[ \t]*|[ \t]*\n[ \t]*(?={_CITY},?[ \t]+(?:[A-Z]{{2}}[ \t]+\d{{5}}|[A-Z]{{1,2}}\d)))"
    rf"{_CITY}(?:,?[ \t]+(?:[A-Z]{{2}}[ \t]+\d{{5}}(?:-\d{{4}})?"
    r"|[A-Z]{1,2}\d[A-Z\d]?[ \t]*\d[A-Z]{2}))?)?"
)
_US_STREET = re.compile(
    rf"\d(?<![\w-]\d)\d{{0,5}}[A-Za-z]?[ \t]+(?:[NSEW]\.?[ \t]+|(?:North|South|East|West)[ \t]+)?"
    rf"(?:(?:{U}{L}+|\d{{1,3}}(?:st|nd|rd|th))[ \t]+){{1,4}}{_STREET_SUFFIX}\.?(?![\w-])(?:[ \t]+(?:NW|NE|SW|SE|N|S|E|W)\b)?{_UNIT}?{_CITY_TAIL}"
)
_FR_STREET = re.compile(
    rf"(?<![\w-])\d{{1,4}}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?:rue|avenue|av\.|boulevard|chemin|allée|place|impasse|quai|"
    # "bd" is a boulevard only before its name, never in a listing's "2 bd / 2 ba".
    rf"route|cours|square|passage|bd(?=[ \t]+(?-i:[A-ZÀ-ÖØ-Þ]|du[ \t]|de[ \t]|des[ \t]|l'|d')))[ \t]+(?:(?:de|du|des|la|le|l'|d')[ \t]*)*[^\n,;]{{1,40}}?"
    rf"(?:,[ \t]*\d{{5}}[ \t]+{U}[^\n,;]{{1,40}})?(?=[\n,;.]|$)",
    re.I,
)
_DE_STREET = re.compile(
    rf"{U}(?<![\w-]{U})(?:{L}+-{U})*{L}*(?:straße|strasse|str\.|weg|allee|platz|ring|gasse|damm|ufer|chaussee|straat|laan|gracht|plein|steeg|kade|singel|dijk|pad|hof|dreef|baan|boulevard|plantsoen|vej|gade|gatan|vägen"
    r"|-(?:Allee|Weg|Platz|Ring|Straße|Strasse|Gasse|Damm|Ufer))"
    rf"[ \t]+\d{{1,4}}[a-z]?(?:[/-]\d{{1,4}}[a-z]?)?(?:,[ \t]*(?:\d{{5}}|\d{{4}}[ \t]?[A-Z]{{2}}),?[ \t]+{_CITY})?"
)
_PO_BOX = re.compile(
    r"\b(?:P\.?[ \t]?O\.?[ \t]+Box|PSC|Unit)[ \t]+\d{1,6}(?:,?[ \t]*Box[ \t]+\d{1,6})?,[ \t]*(?:APO|FPO|DPO)[ \t]+(?:AA|AE|AP)[ \t]+\d{5}"
    r"|\b(?:USNS|USNV|USS|USCGC)[ \t]+[A-Z][a-z]+,[ \t]*(?:APO|FPO|DPO)[ \t]+(?:AA|AE|AP)[ \t]+\d{5}"
)


_SUFFIX_WORDS = frozenset(_STREET_SUFFIX[3:-1].split("|"))
_VOCAB.update(_SUFFIX_WORDS)
_FR_WORDS = (
    "rue ",
    "avenue ",
    "av. ",
    "boulevard ",
    "bd ",
    "chemin ",
    "allée ",
    "place ",
    "impasse ",
    "quai ",
    "route ",
    "cours ",
    "square ",
    "passage ",
)
# Glued suffixes cannot be found by a word-set test; keep the list to the common ones.
_DE_WORDS = (
    "straße ",
    "strasse ",
    "str. ",
    "weg ",
    "allee ",
    "platz ",
    "ring ",
    "gasse ",
    "straat ",
    "laan ",
    "gracht ",
    "kade ",
    "plein ",
    "singel ",
    "dijk ",
    "steeg ",
    "pad ",
    "hof ",
    "dreef ",
    "baan ",
    "boulevard ",
)
_EU_WORDS = (
    "calle ",
    "via ",
    "viale ",
    "vicolo ",
    "piazza ",
    "piazzale ",
    "corso ",
    "largo ",
    "strada ",
    "contrada ",
    "rotonda ",
    "borgo ",
    "avenida ",
    "plaza ",
    "paseo ",
    "camino ",
    "ronda ",
    "glorieta ",
    "callejón ",
    "cuesta ",
    "alameda ",
    "pasaje ",
    "carretera ",
    "travesía ",
    "rambla ",
    "rua ",
    "travessa ",
    "carrer ",
    "pasadizo ",
    "acceso ",
    "vial ",
    "cañada ",
    "urbanización ",
    "incrocio ",
    "canale ",
    "stretto ",
    "lungomare ",
    "traversa ",
    "salita ",
    "quartiere ",
)
_DE_SUFFIXES = tuple(w.rstrip() for w in _DE_WORDS)
_BLANK_DIGIT = re.compile(r"[ \t]\d")
_SPACE_DIGIT = re.compile(r" \d")
_DE_BY_LAST: dict[str, tuple[str, ...]] = {}
for _w in _DE_SUFFIXES:
    _DE_BY_LAST[_w[-1]] = (*_DE_BY_LAST.get(_w[-1], ()), _w)
_FR_FAMILY = Family(_FR_WORDS)
_EU_FAMILY = Family(_EU_WORDS)
_UK_FAMILY = Family(("flat ", "studio ", "apartment ", "unit ", "apt"))
_EU_TYPES = "|".join(w.strip() for w in (*_EU_WORDS, *_FR_WORDS) if not w.strip().endswith("."))
# Street type first (ES/IT/PT/FR): "Calle Mayor 12, 28013 Madrid", "Vicolo Ariasso, 6 Piano 5, 73024, Maglie (LE)",
# "rue Techer, 17343 Jean", "Ronda Amelia Vicens 8 Apt. 60 , Barcelona, 21727".
_EU_STREET = re.compile(
    rf"(?i:{_EU_TYPES})[ \t]+(?:(?:de|del|della|delle|dei|di|da|do|dos|das|la|los|las|le|du|des|l'|d')[ \t]*){{0,2}}"
    rf"{U}[\w'’.-]*(?:[ \t]+(?:de|del|della|di|da|do|la|le|du|des|{U}[\w'’.-]*)){{0,4}}"
    rf"(?:,?[ \t]*\d{{1,5}}[A-Za-z]?(?:[ \t]+(?:Apt\.?|Puerta|Piso|Piano|Appartamento|Interno|Scala|Portal|Bajo|Escalera)"
    rf"[ \t]*\d{{1,4}}[A-Za-z]?)?)?"
    rf"(?:[ \t]*,?[ \t]*(?:\d{{4,5}}[ \t]*,?[ \t]*)?{_CITY}(?:[ \t]*,[ \t]*\d{{4,5}})?(?:[ \t]*\([A-Z]{{2}}\))?)?"
)
_UK_FLAT = re.compile(
    rf"(?:Flat|Studio|Apartment|Unit|Apt\.?)[ \t]+\w{{1,5}},[ \t]*(?:\d{{1,5}}[ \t]+)?(?:{U}{L}+[ \t]+){{0,3}}{_STREET_SUFFIX},"
    rf"[ \t]*{_CITY},?[ \t]+[A-Z]{{1,2}}\d[A-Z\d]?[ \t]*\d[A-Z]{{2}}"
)
_UNIT_BEFORE = re.compile(r"(?:Flat|Studio|Apartment|Apt\.?|Unit|Suite)[ \t]+\w{1,5},?[ \t]*$")


_POSTCODE = re.compile(r"(?<!\d)\d{4,5}(?!\d)")
_NUMBER_THEN_TOWN = re.compile(rf"\d[^,\n]{{0,30}},[ \t]*{U}")


def _type_first_street(text: str, p: int, out: list[Cand]) -> None:
    m = _EU_STREET.match(text, p)
    if not m:
        return
    v = m.group()
    # "via email" is not a street: a postcode, or a house number followed by a town, must be there.
    if _POSTCODE.search(v) or _NUMBER_THEN_TOWN.search(v):
        e = m.end()
        while e > p and text[e - 1] in " \t,":
            e -= 1
        out.append(("LOCATION", p, e, 0.65, "address-eu"))


def find_addresses(text: str, lower: str, out: list[Cand], toks: frozenset[str] | None = None) -> None:
    if toks is None:
        toks = tokens(text)
    # A set test on the words is cheaper than letting the regex try every number.
    it = _US_STREET.finditer(text) if not _SUFFIX_WORDS.isdisjoint(toks) else iter(())
    for m in it:
        st = m.start()
        # "Flat 3, 14 Baker Street ...": the unit before the number belongs to the address.
        um = _UNIT_BEFORE.search(text, max(0, st - 24), st)
        if um:
            st = um.start()
        out.append(("LOCATION", st, m.end(), 0.75 if m.end() - st > 25 else 0.6, "address-us"))
    for p in anchors(lower, (), toks, _UK_FAMILY):
        m = _UK_FLAT.match(text, p)
        if m:
            out.append(("LOCATION", m.start(), m.end(), 0.75, "address-uk"))
    for p in anchors(lower, (), toks, _EU_FAMILY):
        _type_first_street(text, p, out)
    n = len(text)
    for p in anchors(lower, (), toks, _FR_FAMILY):
        # The house number sits just before the street type: "74, rue ...", "12 bis avenue ..."
        m = _FR_STREET.search(text, max(0, p - 12), min(n, p + 120))
        if m and m.start() <= p:
            out.append(("LOCATION", m.start(), m.end(), 0.7, "address-fr"))
        else:
            _type_first_street(text, p, out)
    # The street type is followed by the house number: look only where a blank precedes a digit
    # (one C pass for a literal-led pattern) instead of 18 ``str.find`` passes for the type words.
    # (A literal-led " \d" is found several times faster than "[ \t]\d": use it when there is no tab.)
    for dm in (_BLANK_DIGIT if "\t" in lower else _SPACE_DIGIT).finditer(lower):
        j = dm.start()
        while j > 0 and lower[j - 1] in " \t":
            j -= 1
        ends = _DE_BY_LAST.get(lower[j - 1]) if j else None
        if ends is None or not lower.endswith(ends, j - 9 if j > 9 else 0, j):
            continue
        i = next(j - len(w) for w in _DE_SUFFIXES if lower.endswith(w, 0, j))
        # German street names end in the type word, glued or hyphenated: "Salzstraße 9", "Madlen-Ernst-Allee 24"
        m = _DE_STREET.search(text, max(0, i - 40), min(n, i + 90))
        if m:
            out.append(("LOCATION", m.start(), m.end(), 0.7, "address-de"))
    if "APO" in text or "FPO" in text or "DPO" in text:
        for m in _PO_BOX.finditer(text):
            out.append(("LOCATION", m.start(), m.end(), 0.8, "address-mil"))


# Last: names.py builds on this module (its lexicons extend STOP and FIRST_NAMES, its greetings are a Family).
from guardllm.detect import names  # noqa: E402
