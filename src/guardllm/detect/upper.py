"""Person names typed in UPPER CASE: statement rows, labelled record fields, ID cards, itineraries.

Records written by banks, labs, pharmacies, airlines and OCR engines print names in capitals
("SEPA transfer from CARLOS DRAZENKO", "Patient: FITZGERALD, Joaquín", "NAME :  NÍ BHRIAIN  ,  DALCEN",
"Payee: GRÁINNE O'DONOVAN").  Capitals erase the one cue the prose rules rely on (a capital letter
starting each name word), and the same capitals print headings ("ACCOUNT SUMMARY", "TOTAL DUE"),
firms ("ACME SUPPLIES LLC") and places ("MAIN STREET").  So a run of capitals counts as a name only
with evidence around it:

* a label that names a person ("Patient", "Payee", "Beneficiary", "Passenger 1", "Prescriber" ...),
  with the value in natural order, "LAST, First" order or the airline "SURNAME/GIVEN" form;
* a payment phrase in a statement row ("transfer from", "Zelle payment to");
* or, with no label at all, a known given name followed by one or two words that are no everyday
  word, in a run of capitals that holds no company, street or place word.

Every name word is checked against the everyday-word lexicon; particles (VAN DER, DE LA, NÍ, MAC,
AL-) are allowed around them; titles (DR, MR, MRS) and labels stay outside the span.  Each pass is
gated on a set test or a ``str.find`` anchor, so texts without these layouts pay almost nothing.
"""

from __future__ import annotations

import re

from guardllm.detect import context, names
from guardllm.detect.context import Family, U, fold, is_stop

__all__ = ["find_upper", "upper_name_ok"]

Cand = tuple[str, int, int, float, str]
_REC = "upper-name"

# One word in capitals: O'SULLIVAN, AL-FARSI, ABERNATHY-OKAFOR, NÍ, ŞAHIN.
_UW = rf"{U}(?:['’]?{U})*(?:-{U}(?:['’]?{U})*)*"
_UWORD = re.compile(_UW)
# A run of capital words separated by one blank (two blanks end a column).
_URUN = re.compile(rf"{_UW}(?:[ \t]{_UW}){{0,5}}(?![\w'’-])")
_WORD_END = re.compile(r"(?![\w'’-])")

# Particles that stand between name words in capitals: allowed, but never a name on their own.
_PARTICLES = frozenset(
    """van von der den de di da du del della dos das do la le les ten ter bin ibn binti bint al el y ni nic
    mac mc ua o ap st abu""".split()
)
_TITLES = frozenset("dr mr mrs ms mx miss mstr prof rev sr sra dra herr frau mme mlle m".split())
# Words that make a run of capitals a firm, a place, a date or a heading, never a person.
# Words that make a run of capitals a firm: never part of a person's name.
_ORG = (
    frozenset(
        """inc llc ltd llp lp plc gmbh ag sa sas sarl srl spa bv nv pty co corp corporation company companies
        bank banque banco trust group holdings partners associates foundation fund capital insurance mutual
        university college school academy hospital clinic church pharmacy store stores shop market supermarket
        restaurant cafe hotel motel airlines airways travel services service solutions systems industries
        international national federal county city council government department dept office""".split()
    )
    | names._ORG_LAST
)
# Words that make a run of capitals a place, a date or a heading.  After a label or a payment phrase
# they may still end a name that starts with a known given name ("MAEVE PARK", "MARY STATE").
_PLACE = frozenset(
    """state street st ave avenue road rd blvd boulevard lane ln drive dr way court ct place pl square sq highway
    hwy park plaza parkway terrace crescent close strasse straße str weg platz allee gasse rue chemin calle via
    rua avenida north south east west upper lower new old saint san santa fort mount lake port cape
    bridge tunnel memorial museum center centre hall tower station airport stadium arena library gallery
    theatre theater cathedral chapel garden gardens building house estate bay river beach island valley
    heights springs falls""".split()
)
_BLOCK = (
    _ORG
    | _PLACE
    | frozenset(
        """january february march september october november december jan feb mar apr jun jul aug sep sept oct
        nov dec monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun
        total due balance summary account statement amount sales report invoice payment payments deposit
        transfer credit debit fee fees interest tax charge charges refund rent salary payroll usa uk eu""".split()
    )
)

# Months that are given names too: "JUNE SALES", "MAY DAY" (a label can still carry "Payee: JUNE OKAFOR").
_MONTHS = frozenset(("april", "may", "june", "july", "august"))

# The last word of a label that names a person ("Patient:", "Account holder:", "Ordering physician:"):
# a label is found by the word right before its separator, so one search covers every longer form.
_LABEL_WORDS = frozenset(
    """patient pt name payee payer payor beneficiary remitter passenger pax traveller traveler guest holder
    cardholder policyholder customer client member insured subscriber employee prescriber physician doctor
    ordering surname applicant claimant guarantor debtor tenant nom nombre apellidos nome
    plaintiff defendant petitioner respondent decedent deceased grantor grantee borrower co-borrower coborrower
    lessee lessor buyer seller purchaser student parent guardian spouse dependent dependant child kin
    attending pharmacist nurse therapist counselor resident occupant homeowner card""".split()
)
_LABEL_FAMILY = Family(tuple(sorted(_LABEL_WORDS)))
# "Company name:", "Product name:", "Host name:": the name of a thing, not of a person.
_THING_BEFORE = frozenset(
    """company product project file host user brand store business bank branch street city device app
    application team event server domain database table column field plan package model display screen
    trading venue building hotel ship vessel""".split()
)
_SEP_CHARS = frozenset(":#=–—-0123456789")
_LABEL_SEP = re.compile(r"[ \t]*(?:\d{1,2}[ \t]*)?(?:[:#=–—-]|(?=[ \t]{2,}\S))[ \t]*")
_TITLE_RE = re.compile(r"(?i:dr|mr|mrs|ms|mx|miss|mstr|prof|rev)\.?[ \t]+")
# "LAST, First" and "LAST  ,  FIRST" (OCR spacing): the comma may stand between blanks.
_COMMA = re.compile(r"[ \t]*,[ \t]*")
_TITLE_WORD = re.compile(rf"{U}[^\W\d_]*(?:['’-][^\W\d_]+)*")

# Payment phrases of statement rows, as the last word before "from"/"to".
_PAY_WORDS = frozenset(
    """transfer transfers transferencia transferência trf tfr xfer payment payments pmt pymt zelle venmo wire
    deposit paid sent received credit debit p2p sepa fps bacs sto ach remittance order instant bank money
    faster mobile online cash app cashapp paypal revolut wise""".split()
)


_PAY_FAMILY = Family(tuple(sorted(_PAY_WORDS)))


def _lex() -> tuple[frozenset[str], frozenset[str]]:
    given, common, _ = names._lexicons()
    return given, common


def upper_name_ok(words: list[str], *, need_given: bool = False, min_core: int = 2) -> bool:
    """Could these capital words (particles allowed) be one person's name?

    ``need_given``: with no label around, the first word must be a known given name and the others
    no everyday word at all."""
    given, common = _lex()
    core = 0
    has_given = False
    for i, w in enumerate(words):
        f = fold(w)
        if not f:
            return False
        if (f in _PARTICLES or (len(f) == 1 and core > 0)) and i < len(words) - 1:
            continue  # VAN DER, DE LA, NÍ; a middle initial ("JOHN A SMITH")
        if f in _BLOCK and (
            # "MAEVE PARK", "MARY STATE": a place word ends a name that a known given name starts.
            f in _ORG or need_given or not has_given or i != len(words) - 1
        ):
            return False
        if len(f) < 2 or f in names._ROLE_WORDS or is_stop(w) or f in _TITLES:
            return False
        if need_given:
            if core == 0:
                if (
                    f in _MONTHS
                    or f not in given
                    or f in names._WORDLIKE_GIVEN
                    or names._is_common(f, common)
                ):
                    return False
            elif len(f) < 3 or names._is_common(f, common) or not any(c in "aeiouy" for c in f):
                return False
        if f in given:
            has_given = True
        elif names._is_common(f, common) and not (core > 0 and f in names._WORD_SURNAMES):
            return False
        core += 1
    if core < min_core or (need_given and not has_given):
        return False
    return not names._is_brand(" ".join(words))


def _upper_words_at(text: str, q: int, limit: int = 5) -> list[tuple[int, int]]:
    """The capital words from ``q`` on, separated by one blank, at most ``limit``."""
    out: list[tuple[int, int]] = []
    n = len(text)
    while len(out) < limit:
        m = _UWORD.match(text, q)
        if m is None or not _WORD_END.match(text, m.end()):
            break
        out.append(m.span())
        q = m.end()
        if q + 1 < n and text[q] in " \t" and text[q + 1] not in " \t":
            q += 1
        else:
            break
    return out


def _trim_words(text: str, ws: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop trailing words of a run that are no name (a reference, a column word) and particles."""
    if any(fold(text[a:b]) in _ORG for a, b in ws):
        return []  # "PAYMENT TO ANNA SCHMIDT GMBH": a firm named after its founder
    given, common = _lex()
    while len(ws) > 2:
        f = fold(text[ws[-1][0] : ws[-1][1]])
        if f in _PARTICLES or f in _BLOCK or f in _TITLES or (names._is_common(f, common) and f not in given):
            ws.pop()
        else:
            break
    return ws


def _emit(out: list[Cand], a: int, b: int, score: float = 0.75) -> None:
    out.append(("PERSON", a, b, score, _REC))


def _value_at(text: str, q: int, out: list[Cand]) -> None:
    """A name value in capitals at ``q`` (after a label): natural order, LAST, First, or SURNAME/GIVEN."""
    n = len(text)
    tm = _TITLE_RE.match(text, q)
    if tm and q + 1 < n and tm.end() < n and text[tm.end()].isupper():
        q = tm.end()
    first = _upper_words_at(text, q, 4)
    if not first:
        return
    a, b = first[0][0], first[-1][1]
    words = [text[s:e] for s, e in first]
    # SURNAME/GIVEN (airline), optionally a middle name; a title after it stays out.
    if text.startswith("/", b):
        rest = _upper_words_at(text, b + 1, 2)
        if rest:
            gw = [text[s:e] for s, e in rest]
            if fold(gw[-1]) in _TITLES:
                rest = rest[:-1]
                gw = gw[:-1]
            if rest and upper_name_ok(words + gw):
                _emit(out, a, rest[-1][1])
        return
    cm = _COMMA.match(text, b)
    if cm is not None and cm.end() > b:
        # LAST, FIRST [MIDDLE] or LAST, First [Middle]: the given names in capitals or Title Case.
        r = cm.end()
        given_ws = _upper_words_at(text, r, 2)
        if not given_ws:
            tw = []
            p = r
            while len(tw) < 2:
                m = _TITLE_WORD.match(text, p)
                if m is None or m.group().isupper() or not _WORD_END.match(text, m.end()):
                    break
                tw.append(m.span())
                p = m.end()
                if p + 1 < n and text[p] == " " and text[p + 1].isupper():
                    p += 1
                else:
                    break
            given_ws = tw
        if given_ws:
            gw = [text[s:e] for s, e in given_ws]
            if fold(gw[-1]) in _TITLES:
                given_ws, gw = given_ws[:-1], gw[:-1]
            if given_ws and upper_name_ok(words + gw):
                _emit(out, a, given_ws[-1][1])
                return
    first = _trim_words(text, first)
    if not first:
        return
    words = [text[s:e] for s, e in first]
    end = first[-1][1]
    if len(first) >= 2 and _ends_value(text, end) and upper_name_ok(words):
        _emit(out, a, end)


def _ends_value(text: str, e: int) -> bool:
    """The value ends at ``e``: end of line, a column gap, or punctuation."""
    if e >= len(text):
        return True
    c = text[e]
    if c in "\r\n,;|)(/":
        return True
    if c in " \t":
        return e + 1 >= len(text) or text[e + 1] in " \t\r\n|" or text.startswith((" - ", " – "), e)
    return c in ".:" and (e + 1 >= len(text) or text[e + 1] in " \t\r\n")


def _find_labels(text: str, lower: str, toks: frozenset[str], out: list[Cand]) -> None:
    n = len(text)
    for word in _LABEL_FAMILY.present(toks):
        p = lower.find(word)
        while p != -1:
            q = p + len(word)
            r = q
            while r < n and text[r] in " \t":
                r += 1
            # A separator (or a number, or a column gap) must follow: "name is" in prose is skipped here.
            if (
                r < n
                and (text[r] in _SEP_CHARS or r - q >= 2)
                and (p == 0 or not lower[p - 1].isalnum())
                and (q >= n or not lower[q].isalnum())
            ):
                m = _LABEL_SEP.match(text, q)
                if m is not None and m.end() > q and m.end() + 1 < n and text[m.end()].isupper():
                    r = m.end()
                    # Only values in capitals here; Title Case values belong to the prose rules.
                    if (
                        (text[r + 1].isupper() or text[r + 1] in "'’" or _TITLE_RE.match(text, r))
                        and not (word in ("name", "holder") and _thing_before(lower, p))
                        and (word != "card" or lower[max(0, p - 8) : p] == "name on ")
                    ):
                        _value_at(text, r, out)
            p = lower.find(word, q)


def _thing_before(lower: str, p: int) -> bool:
    head = lower[max(0, p - 20) : p].split()
    return bool(head) and head[-1].strip("-_") in _THING_BEFORE


def _find_bank_rows(text: str, lower: str, out: list[Cand]) -> None:
    """Statement rows: "SEPA transfer from CARLOS DRAZENKO", "Zelle payment to MAEVE O'SULLIVAN"."""
    n = len(text)
    for prep in (" from ", " to ", " of "):
        i = lower.find(prep)
        while i != -1:
            q = i + len(prep)
            while q < n and text[q] in " \t":
                q += 1
            if q + 1 < n and text[q].isupper() and text[q + 1].isupper():
                head = lower[max(0, i - 30) : i].split()
                if head and (head[-1].strip("*:-") in _PAY_WORDS if prep != " of " else head[-1] == "order"):
                    _bank_name_at(text, q, out)
            i = lower.find(prep, q)


def _bank_name_at(text: str, q: int, out: list[Cand]) -> None:
    ws = _upper_words_at(text, q, 5)
    if len(ws) < 2:
        return
    if fold(text[ws[0][0] : ws[0][1]]) in _TITLES:
        ws = ws[1:]
    ws = _trim_words(text, ws)
    if len(ws) >= 2 and upper_name_ok([text[s:e] for s, e in ws]):
        _emit(out, ws[0][0], ws[-1][1])


_UPPER_GIVEN: frozenset[str] = frozenset()
_ALL_KEYS: frozenset[str] = frozenset()


def _build_given() -> None:
    global _UPPER_GIVEN
    given, common = _lex()
    _UPPER_GIVEN = frozenset(
        g.upper()
        for g in given
        if len(g) >= 3 and g.isalpha() and g not in names._WORDLIKE_GIVEN and not names._is_common(g, common)
    )
    # The engine reduces a text's words to the trigger vocabulary: the given names in capitals must be in it.
    context._VOCAB.update(_UPPER_GIVEN)
    global _ALL_KEYS
    _ALL_KEYS = _LABEL_FAMILY.keys | _PAY_FAMILY.keys | _UPPER_GIVEN


def _find_free(text: str, toks: frozenset[str], out: list[Cand]) -> None:
    """A known given name in capitals and one or two rare words after it: "CHIDINMA IYER  REF 8812"."""
    hits = _UPPER_GIVEN & toks
    if not hits:
        return
    n = len(text)
    for name in hits:
        i = text.find(name)
        while i != -1:
            b = i + len(name)
            if (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "'’-")) and (
                b < n and text[b] in " \t" and _WORD_END.match(text, b)
            ):
                _free_at(text, i, out)
            i = text.find(name, b)


def _free_at(text: str, i: int, out: list[Cand]) -> None:
    # No rare word in capitals glued before the name ("SAN DIEGO", "MARIA MARIA"): checked first, as it
    # is the cheapest test and turns down every later word of a long run of capitals.
    if i >= 2 and text[i - 1] in " \t" and text[i - 2] not in " \t":
        k0 = i - 2
        lo = max(0, i - 32)
        while k0 > lo and not text[k0 - 1].isspace():
            k0 -= 1
        prev = text[k0 : i - 1]
        if prev.isupper() and _UWORD.fullmatch(prev):
            f = fold(prev)
            given, common = _lex()
            if f not in _PAY_WORDS and (
                f in _BLOCK or f in _PARTICLES or not (names._is_common(f, common) or f in _TITLES)
            ):
                return
    ws = _upper_words_at(text, i, 6)  # two words past a name: "... KING JR BLVD" is a street
    if len(ws) < 2:
        return
    # The name: the given name and the rare words after it (one or two), then a column gap or a common word.
    given, common = _lex()
    # Given name, an optional middle given name, particles, the surname, and a second surname only when
    # it looks like one ("KEITH PACKARD DISCLAIMS" ends at PACKARD, "ANA GARCIA LOPEZ" keeps LOPEZ).
    k = 1
    surnames = 0
    while k < len(ws):
        f = fold(text[ws[k][0] : ws[k][1]])
        if f in _PARTICLES and k + 1 < len(ws):
            k += 1
            continue
        if f in _BLOCK or names._is_common(f, common):
            break
        if f in given:
            if k == 1 and k + 1 < len(ws):
                k += 1  # a middle name: "DAVID LOREN PARSONS"
                continue
            break
        if surnames == 1 and not names._surname_like(text[ws[k][0] : ws[k][1]].title()):
            break
        surnames += 1
        k += 1
        if surnames == 2:
            break
    if surnames == 0:
        return
    name_ws = ws[:k]
    rest = ws[k:]
    if len(name_ws) < 2:
        return
    if any(fold(text[s:e]) in _ORG or fold(text[s:e]) in _PLACE for s, e in rest):
        return  # "MARTIN MARIETTA MATERIALS INC", "FRANCISCO MORAZAN AVE"
    if rest and fold(text[rest[0][0] : rest[0][1]]) in given:
        return  # three given names in a row: a heading or a list, not one name
    if upper_name_ok([text[s:e] for s, e in name_ws], need_given=True):
        _emit(out, name_ws[0][0], name_ws[-1][1], 0.7)


def find_upper(text: str, lower: str, out: list[Cand], toks: frozenset[str]) -> None:
    """Append PERSON candidates for names in capitals (see the module docstring)."""
    if _ALL_KEYS.isdisjoint(toks):
        return  # no label, payment word or given name in capitals: most texts
    if not _LABEL_FAMILY.keys.isdisjoint(toks):
        _find_labels(text, lower, toks, out)
    if not _PAY_FAMILY.keys.isdisjoint(toks):
        _find_bank_rows(text, lower, out)
    if not _UPPER_GIVEN.isdisjoint(toks):
        _find_free(text, toks, out)


_build_given()
