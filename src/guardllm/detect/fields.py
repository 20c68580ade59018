"""Recall for record and field layouts: values that a key, a column or a record format names.

The other recognizers read ``key: value`` lines, JSON, Markdown tables and prose.  Records come in
more shapes than that, and each shape here was measured missing:

* airline itineraries ``OKAFOR/MAREN MS`` and bank statement rows ``TRANSFER TO CARLOS DRAZENKO``;
* last-first names: ``NAME :  OKAFOR  ,  MAREN`` (OCR spacing), ``From: "Okafor, Maren" <m@x.com>``;
* vCards (``N:Okafor;Maren;;;``, ``BDAY:19531121``), LDIF (``sn: Okafor``), XML elements
  (``<GivenName>``, ``<SSN>``, ``<PatientID>``) and psql / box-drawing / aligned text tables;
* review bylines ``— Maren O.``, transcript speakers ``Agent (Dmitri):``, a date of birth given
  on the line after the question that asked for it, OCR labels ``D0B:``;
* patient numbers after ``Patient ID``, ``codice paziente``, ``Patientennummer``,
  ``número de historia clínica``.

Every pass is gated on a literal substring or a ``str.find`` anchor, so a text holding none of
these layouts pays a few C-level ``in`` tests.  Candidates are only appended; the engine's overlap
resolution merges them with what other recognizers found.  Values are validated by the same
rules as everywhere else (``structure.VALUE_OK``, ``ssn_ok``), never accepted on the label alone.
"""

from __future__ import annotations

import re

from guardllm.detect import names, structure, upper
from guardllm.detect.context import DATE, U, fold, is_stop

__all__ = ["find_fields"]

Cand = tuple[str, int, int, float, str]

_REC = "fields"


def _line_from(text: str, i: int) -> int:
    """Start of the line holding ``i``, looked for at most 300 characters back: an unbounded
    ``rfind`` per candidate would make a text without newlines quadratic."""
    lo = max(0, i - 300)
    return max(lo, text.rfind("\n", lo, i) + 1)


def _name_words_ok(words: list[str], *, need_given: bool = False) -> bool:
    """Every word may be part of a person's name and at least one is not an everyday word."""
    given, common, _ = names._lexicons()
    if not words or len(words) > 4:
        return False
    has_given = False
    rare = False
    for w in words:
        f = fold(w)
        if len(f) < 2 or is_stop(w) or f in names._ROLE_WORDS:
            return False
        if f in given:
            has_given = True
        elif names._is_common(f, common) and f not in names._WORD_SURNAMES:
            return False
        else:
            rare = True
    if need_given and not has_given:
        return False
    return has_given or rare


# -- itineraries: "OKAFOR/MAREN MS", "1. KOWALSKI/JAN MR" -------------------------------------------
_UP = U  # capitals of every Latin, Greek and Cyrillic script: HAUGEN/JOAQUÍN, ŞAHIN/ELIF
_UPC = rf"[{U[1:-1]}'’-]"
_PNR_NAME = re.compile(
    rf"(?<![\w/])(?P<name>(?:(?:VAN|VON|DER|DEN|DE|DI|DA|DU|DEL|DELLA|DOS|LA|LE|NÍ|NI|MAC|MC|AL|EL|BIN|ST)[ \t]){{0,2}}"
    rf"{_UP}{_UPC}{{1,30}}/{_UP}{_UPC}{{1,30}}(?:[ \t](?!(?:MRS|MR|MS|MISS|MSTR|DR|CHD|INF)(?![\w/])){_UP}{_UPC}{{1,30}})?)"
    r"(?:[ \t]+(?P<title>MRS|MR|MS|MISS|MSTR|DR|CHD|INF))?(?![\w/])"
)
_PNR_LABELS = ("passenger", "pax", "traveller", "traveler", "name", "guest", "passagier", "pasajero")
# Literal-led: one fast search for "/" between two capitals, then the name is matched around it.
_PNR_SLASH = re.compile(rf"/(?<={U}{U}/)(?={U}{U})")
_CAPS_BACK = re.compile(rf"{_UPC}{{0,30}}{U}")
_PNR_PARTICLES = frozenset("van von der den de di da du del della dos la le ni mac mc al el bin st".split())
# Read backwards (reversed text): " RED NAV" is "VAN DER " before the surname.
_PARTICLES_BACK = re.compile(
    r"(?:[ \t](?:NAV|NOV|RED|NED|ED|ID|AD|UD|LED|ALLED|SOD|LA|EL|ÍN|IN|CAM|CM|AL|NIB|TS)){1,2}(?!\w)"
)


def _find_pnr(text: str, lower: str, out: list[Cand]) -> None:
    last = -1
    for sl in _PNR_SLASH.finditer(text):
        i = sl.start()
        if i < last:
            continue
        b = _CAPS_BACK.match(text[max(0, i - 32) : i][::-1])
        if b is None:
            continue
        st = i - b.end()
        pb = _PARTICLES_BACK.match(text[max(0, st - 14) : st][::-1])
        if pb is not None:
            st -= pb.end()  # "VAN DER BERG/MAREVIK": particles before the surname
        m = _PNR_NAME.match(text, st)
        if m is None:
            continue
        last = m.end()
        s, e = m.span("name")
        if m.group("title") is None:
            ls = _line_from(lower, s)
            line_head = lower[ls:s]
            numbered = line_head.strip().rstrip(".)").isdigit()
            if not numbered and not any(w in line_head for w in _PNR_LABELS):
                # "PASSENGER NAME\nDRAZENKO/CARLOS": the label on the line above, the name alone at the start.
                if line_head.strip() or ls < 2:
                    continue
                prev = lower[_line_from(lower, ls - 1) : ls - 1]
                if len(prev) > 40 or not any(w in prev for w in _PNR_LABELS):
                    continue
        words = [w for w in text[s:e].replace("/", " ").split() if fold(w) not in _PNR_PARTICLES]
        if all(len(w) <= 3 for w in words) and not any(fold(w) in names._lexicons()[0] for w in words):
            continue  # "FRA/JFK", "LH/UA": airport and airline codes
        if _name_words_ok(words):
            out.append(("PERSON", s, e, 0.75, _REC))


# -- bank statements: "TRANSFER TO CARLOS DRAZENKO", "ZELLE FROM ANA LIMA" --------------------------
_BANK_ROW = re.compile(
    r"(?:TRANSFER|TRANSFERENCIA|TRF|TFR|XFER|PAYMENT|PMT|ZELLE(?:[ \t]+PAYMENT)?|VENMO|WIRE|DEPOSIT|PAID|SENT|"
    r"RECEIVED|CREDIT|DEBIT|BILL[ \t]+PAY|P2P|SEPA|FPS|BACS|STO)[ \t]+(?:TO|FROM)[ \t]+"
    r"(?P<name>[A-Z][A-Z'’-]+(?:[ \t][A-Z][A-Z'’-]+){1,3})(?![\w'’-])"
)
_BANK_GATES = ("TO ", "FROM ")


def _find_bank_rows(text: str, out: list[Cand]) -> None:
    for m in _BANK_ROW.finditer(text):
        s = m.start("name")
        words = m.group("name").split()
        # Trailing reference words ("... REF", "... ONLINE") drop off; a name keeps two words or more.
        if any(fold(w) in upper._ORG for w in words):
            continue  # "PAYMENT TO ANNA SCHMIDT GMBH": a firm named after its founder
        given, common, _ = names._lexicons()
        while len(words) > 2 and names._is_common(fold(words[-1]), common) and fold(words[-1]) not in given:
            words.pop()
        if len(words) >= 2 and _name_words_ok(words):
            # Words were split on blanks: the end is found over the original spacing.
            e = s
            for w in words:
                e = text.index(w, e) + len(w)
            out.append(("PERSON", s, e, 0.75, _REC))


# -- "NAME :  OKAFOR  ,  MAREN", "Patient: OKAFOR, Maren" --------------------------------------------
_LF_LABELS = ("name", "patient", "pt", "customer", "client", "member", "insured", "passenger", "employee")
# Literal-led on ":": a capitalised word (or two), a comma, a capitalised word.
_LF_VALUE = re.compile(
    r":[ \t]*(?P<last>[A-Z][A-Za-z'’-]+(?:[ \t][A-Z][A-Za-z'’-]+)?)[ \t]*,[ \t]*"
    r"(?P<first>[A-Z][A-Za-z'’-]+(?:[ \t][A-Z][A-Za-z'’-]*\.?)?)(?![\w'’-])"
)


def _find_last_first(text: str, lower: str, out: list[Cand]) -> None:
    for m in _LF_VALUE.finditer(text):
        i = m.start()
        head = lower[max(0, i - 30) : i].rstrip(" \t")
        if not head.endswith(_LF_LABELS):
            continue
        for lab in _LF_LABELS:
            if head.endswith(lab):
                j = len(head) - len(lab)
                if j == 0 or not head[j - 1].isalnum():
                    break
        else:
            continue
        words = (m.group("last") + " " + m.group("first")).split()
        if _name_words_ok([w.rstrip(".") for w in words if len(w.rstrip(".")) >= 2]):
            out.append(("PERSON", m.start("last"), m.end("first"), 0.75, _REC))


# -- display names in mail headers: From: "Okafor, Maren" <m@x.com> ---------------------------------
_HEADER_LINE = re.compile(r"(?i)[ \t>]*(?:from|to|cc|bcc|reply-to|sender|de|von|an|para|da|a)[ \t]*:")


def _find_display_names(text: str, emails: list[tuple[int, int]], out: list[Cand]) -> None:
    for s, _e in emails:
        if s < 2 or text[s - 1] != "<":
            continue
        lt = s - 1
        ls = _line_from(text, lt)
        lo = max(ls, lt - 90)
        seg_start = lo
        for ch in (">", ":", ";"):
            i = text.rfind(ch, lo, lt)
            if i + 1 > seg_start:
                seg_start = i + 1
        seg = text[seg_start:lt]
        at = seg.rfind("@")
        if at != -1:
            c = seg.find(",", at)
            if c == -1:
                continue
            seg_start += c + 1
            seg = text[seg_start:lt]
        a = seg_start + len(seg) - len(seg.lstrip(" \t,"))
        b = lt
        while b > a and text[b - 1] in " \t":
            b -= 1
        quoted = b - a >= 2 and text[a] in "\"'" and text[b - 1] == text[a]
        if quoted:
            a, b = a + 1, b - 1
        elif not _HEADER_LINE.match(text, ls):
            continue  # an unquoted "Last, First" needs a header to say the comma is not a list
        v = text[a:b]
        if not v or len(v) > 60 or any(c.isdigit() for c in v) or "@" in v:
            continue
        words = v.replace(",", " ").split()
        if not 2 <= len(words) <= 4 or not all(w[:1].isupper() for w in words):
            continue
        if _name_words_ok([w.rstrip(".") for w in words if len(w.rstrip(".")) >= 2]):
            out.append(("PERSON", a, b, 0.75, _REC))


# -- vCard and LDIF --------------------------------------------------------------------------------
_VC_N = re.compile(r"(?m)^N(?:;[^:\n]{0,80})?:(?P<v>[^\n\r]{1,120})")
_VC_FN = re.compile(r"(?m)^(?:FN|NICKNAME)(?:;[^:\n]{0,80})?:(?P<v>[^\n\r]{1,120})")
_VC_BDAY = re.compile(
    r"(?m)^(?:BDAY|ANNIVERSARY)(?:;[^:\n]{0,80})?:(?P<v>(?:19|20)\d\d-?(?:0[1-9]|1[0-2])-?(?:0[1-9]|[12]\d|3[01])|--\d\d-?\d\d)"
)
_LDIF = re.compile(
    r"(?m)^(?P<k>sn|cn|givenName|displayName|gecos|surname|commonName)[ \t]*:[ \t]*(?P<v>[^\n\r]{1,120})"
)
_NAME_CHARS = re.compile(r"[^\W\d_][^\W\d_'’. -]*(?:[ '’.-]+[^\W\d_]+)*\.?")


def _name_value(text: str, a: int, b: int, out: list[Cand], *, one_word_ok: bool) -> None:
    while b > a and text[b - 1] in " \t\r;,":
        b -= 1
    while a < b and text[a] in " \t;":
        a += 1
    v = text[a:b]
    if not v or _NAME_CHARS.fullmatch(v) is None:
        return
    words = [w for w in v.replace(".", " ").split() if len(w) >= 2]
    if len(words) == 1 and not one_word_ok:
        return
    if (
        words
        and len(words) <= 4
        and all(not is_stop(w) for w in words)
        and fold(v) not in ("unknown", "none", "null")
    ):
        out.append(("PERSON", a, b, 0.8, _REC))


def _find_vcard(text: str, out: list[Cand]) -> None:
    for m in _VC_N.finditer(text):
        # N:Family;Given;Additional;Prefix;Suffix -- the family, given and additional parts are the name.
        s = m.start("v")
        parts = m.group("v").split(";")
        pos = s
        for i, part in enumerate(parts):
            if i < 3 and part.strip():
                _name_value(text, pos, pos + len(part), out, one_word_ok=True)
            pos += len(part) + 1
    for m in _VC_FN.finditer(text):
        _name_value(text, m.start("v"), m.end("v"), out, one_word_ok=True)
    for m in _VC_BDAY.finditer(text):
        out.append(("DATE_TIME", m.start("v"), m.end("v"), 0.85, _REC))


def _find_ldif(text: str, out: list[Cand]) -> None:
    for m in _LDIF.finditer(text):
        k = m.group("k")
        if k in ("cn", "commonName") and "dn:" not in text and "objectClass" not in text:
            continue  # "cn" is a name only in a directory entry
        _name_value(text, m.start("v"), m.end("v"), out, one_word_ok=k in ("sn", "givenName", "surname"))


# -- XML elements: <GivenName>Maren</GivenName>, <SSN>...</SSN>, <PatientID>...</PatientID> ---------
_XML_EL = re.compile(
    r"<(?P<t>[A-Za-z][\w.-]{0,40}:)?(?P<k>[A-Za-z][\w.-]{0,40})(?:[ \t][^<>]{0,200})?>(?P<v>[^<>\n]{1,120})</(?P=t)?(?P=k)>"
)
_XML_EXTRA = {"sn": "PERSON", "dob": "DATE_TIME", "bday": "DATE_TIME", "patientid": "MEDICAL_RECORD_NUMBER"}


def _find_xml(text: str, out: list[Cand]) -> None:
    for m in _XML_EL.finditer(text):
        key = m.group("k")
        k = structure.norm_key(key)
        etype = structure.key_type(key) or _XML_EXTRA.get(k)
        if etype is None:
            continue
        ok = structure.VALUE_OK.get(etype)
        if ok is None:
            continue
        s, e = m.span("v")
        while e > s and text[e - 1] in " \t\r":
            e -= 1
        while s < e and text[s] in " \t":
            s += 1
        if e <= s or not ok(text[s:e], "lastname" if k == "sn" else k):
            continue
        weak = (
            etype == "PERSON"
            and k in structure.AMBIGUOUS_PERSON_KEYS
            and not structure.person_context_near(text, s, e)
            and not structure.known_given_name(text[s:e])
        )
        out.append((etype, s, e, 0.45 if weak else 0.85, _REC))


# -- review bylines: "— Maren O.", "Maren O., Verified buyer", "by Maren O." ------------------------
# Literal-led on "." (a fast search), the initial and the blank before it checked by a look-behind.
_INITIAL = re.compile(r"\.(?<=[ \t][A-Z]\.)(?![\w.])")
_BYLINE_BEFORE = re.compile(
    r"(?:[—–~-]|\b[Bb]y|\b[Rr]eviewed[ \t]+by|\b[Pp]osted[ \t]+by|\b[Ww]ritten[ \t]+by)[ \t]*$"
)
_BYLINE_AFTER = re.compile(
    r"[ \t]*(?:[,(|·•-][ \t]*)?(?i:verified|customer|reviewer|buyer|purchaser|owner|member)"
)
_FIRST_WORD_REV = re.compile(r"[a-zà-ÿ'’-]+[A-ZÀ-Þ]")


def _find_bylines(text: str, out: list[Cand]) -> None:
    given, common, _ = names._lexicons()
    n = len(text)
    for m in _INITIAL.finditer(text):
        sp = m.start() - 2
        w = _FIRST_WORD_REV.match(text[max(0, sp - 30) : sp][::-1])
        if w is None:
            continue
        a = sp - w.end()
        word = text[a:sp]
        f = fold(word)
        if is_stop(word) or f in names._ROLE_WORDS or len(f) < 2:
            continue
        e = m.end()
        before = text[max(0, a - 20) : a]
        ls = _line_from(text, a)
        alone = not text[ls:a].strip() and (e >= n or text[e] in "\r\n")
        strong = bool(_BYLINE_BEFORE.search(before)) or bool(_BYLINE_AFTER.match(text, e))
        if strong and (f in given or not names._is_common(f, common)):
            out.append(("PERSON", a, e, 0.7, _REC))
        elif alone and f in given:
            out.append(("PERSON", a, e, 0.6, _REC))


# -- transcripts: "Agent (Dmitri):", a DOB answered on the next line ----------------------------------
_SPEAKER = re.compile(r"\(([A-Z][\w'’-]+(?:[ \t][A-Z][\w'’.-]+){0,2})\)[ \t]*:")
_ALPHA_WORD = re.compile(r"[A-Za-z]+")
_SPEAKER_ROLES = frozenset(
    "agent rep representative operator caller customer advisor adviser support csr nurse doctor dr interviewer "
    "interviewee speaker host guest patient client member associate specialist technician tech user".split()
)


def _find_speakers(text: str, out: list[Cand]) -> None:
    i = text.find("):")
    while i != -1:
        o = text.rfind("(", max(0, i - 50), i)
        if o != -1:
            m = _SPEAKER.match(text, o)
            if m is not None:
                ls = _line_from(text, o)
                # The last word before "(": "Agent (Dmitri):", "[00:12] Agent (Dmitri):".
                role_words = _ALPHA_WORD.findall(text[ls:o])
                role = role_words[-1].lower() if role_words else ""
                words = m.group(1).split()
                if role in _SPEAKER_ROLES and _name_words_ok(
                    [w.rstrip(".") for w in words if len(w) > 2] or words
                ):
                    out.append(("PERSON", m.start(1), m.end(1), 0.75, _REC))
        i = text.find("):", i + 2)


_DOB_ASKS = ("date of birth", "birth date", "birthdate", "dob", "d.o.b", "birthday", "born")
_ANSWER_LEAD = re.compile(r"[ \t]*(?:[A-Za-z][\w .()'-]{0,30}:)?[ \t]*")


def _find_dob_answers(text: str, lower: str, out: list[Cand]) -> None:
    n = len(text)
    done: set[int] = set()
    for w in _DOB_ASKS:
        p = lower.find(w)
        while p != -1:
            nl = text.find("\n", p, p + 200)
            if nl != -1 and nl - p < 200 and nl not in done:
                done.add(nl)
                ls = nl + 1
                while ls < n and text[ls] in "\r\n":
                    ls += 1
                le = text.find("\n", ls)
                le = n if le == -1 else le
                lead = _ANSWER_LEAD.match(text, ls).end()
                hi = min(le, lead + 60)
                d = DATE.search(text, lead, hi)
                if d is not None:
                    out.append(("DATE_TIME", d.start(), d.end(), 0.8, _REC))
            p = lower.find(w, p + len(w))


# -- OCR labels: "D0B:", "D.0.B" ----------------------------------------------------------------------
_OCR_DOB = re.compile(r"(?i)d[ \t]?\.?[ \t]?[0o][ \t]?\.?[ \t]?b\.?[ \t]*[:#=-]?[ \t]*")


def _find_ocr_dob(text: str, lower: str, out: list[Cand]) -> None:
    for lab in ("d0b", "d.0.b", "d. 0. b", "d 0 b"):
        p = lower.find(lab)
        while p != -1:
            if p == 0 or not lower[p - 1].isalnum():
                m = _OCR_DOB.match(text, p)
                if m is not None:
                    d = DATE.match(text, m.end())
                    if d is not None:
                        out.append(("DATE_TIME", d.start(), d.end(), 0.85, _REC))
            p = lower.find(lab, p + 1)


# -- tables: psql (----+----), box drawing (│ ┼), whitespace-aligned under an "ssn" / "dob" header -----
_SEP_LINE = re.compile(r"(?m)^[ \t]*[├╞╟┝+|]?[-─━═]{2,}(?:[+┼╪╫┿╋|][-─━═]{2,})+[┤╡╢┥+|]?[ \t]*\r?$")
_ALIGNED_HEADS = ("ssn", "social", "dob", "birth", "mrn", "patient")
_COL = re.compile(r"[A-Za-z][A-Za-z0-9_.#-]*")
_TOKEN = re.compile(r"\S+")
_ALIGNED_TYPES = frozenset(("US_SSN", "DATE_TIME", "MEDICAL_RECORD_NUMBER"))


def _find_grid_tables(text: str, out: list[Cand]) -> None:
    for m in _SEP_LINE.finditer(text):
        if m.start() == 0:
            continue
        he = m.start() - 1
        hs = _line_from(text, he)
        header = text[hs:he].rstrip("\r")
        delim = "│" if "│" in header else "|" if "|" in header else None
        if delim is None:
            continue
        structure._table_rows(text, hs, header, delim, m.end() + 1, out)


def _find_aligned_tables(text: str, lower: str, out: list[Cand]) -> None:
    heads: set[int] = set()
    for w in _ALIGNED_HEADS:
        p = lower.find(w)
        while p != -1:
            heads.add(_line_from(lower, p))
            p = lower.find(w, p + 1)
    n = len(text)
    covered = -1
    for hs in sorted(heads):
        if hs < covered:
            continue  # inside a table already read: each line is read once, not once per header
        he = text.find("\n", hs)
        if he == -1:
            continue
        header = text[hs:he].rstrip("\r")
        if "  " not in header or len(header) > 300 or any(c in header for c in ":=|│,;\t"):
            continue
        cols = [(c.start(), c.end(), c.group()) for c in _COL.finditer(header)]
        if len(cols) < 2 or len(_TOKEN.findall(header)) != len(cols):
            continue
        typed = [
            (a, b, t, structure.norm_key(k))
            for a, b, k in cols
            if (t := structure.key_type(k)) in _ALIGNED_TYPES
        ]
        if not typed:
            continue
        pos = he + 1
        rows = 0
        while pos < n and rows < 1000:
            le = text.find("\n", pos)
            le = n if le == -1 else le
            line = text[pos:le].rstrip("\r")
            if not line.strip():
                break
            rows += 1
            if set(line.strip()) <= set("-=─ +"):
                pos = le + 1
                continue
            toks = [(t.start(), t.end()) for t in _TOKEN.finditer(line)]
            for a, b, etype, k in typed:
                for ta, tb in toks:
                    if ta < b + 2 and tb > a - 2:  # the token under the header word (left or right aligned)
                        v = line[ta:tb]
                        if structure.VALUE_OK[etype](v, k):
                            out.append((etype, pos + ta, pos + tb, 0.8, _REC))
                        break
            pos = le + 1
        covered = pos


# -- bare 9-digit SSNs in SSN contexts the context rules miss: "<SSN>", tables (above) ----------------
# -- patient numbers after labels in several languages ---------------------------------------------------
_MRN_LABELS = (
    "patient id",
    "patient-id",
    "patient no",
    "patient number",
    "patient #",
    "patient nr",
    "codice paziente",
    "id paziente",
    "numero paziente",
    "número de historia clínica",
    "numero de historia clinica",
    "número de historia clinica",
    "historia clínica",
    "historia clinica",
    "patientennummer",
    "patienten-nr",
    "patientnummer",
    "patienten-id",
    "numéro de patient",
    "numero de patient",
    "n° patient",
    "numéro patient",
)
_MRN_VALUE = re.compile(
    r"[ \t]*(?:\([^)\n]{0,20}\)[ \t]*)?(?:[:#=-]|n[º°o]\.?|nr\.?|no\.?|number|is)?[ \t]*(?:[:#]?[ \t]*)"
    r"(?P<v>[A-Z]{0,3}\d[\dA-Z]*(?:[- ]\d{2,})*)(?![\w-])"
)


def _find_mrn_labels(text: str, lower: str, out: list[Cand]) -> None:
    for lab in _MRN_LABELS:
        p = lower.find(lab)
        while p != -1:
            q = p + len(lab)
            if (p == 0 or not lower[p - 1].isalnum()) and (q >= len(lower) or not lower[q].isalnum()):
                m = _MRN_VALUE.match(text, q)
                if m is not None:
                    v = m.group("v")
                    if sum(c.isdigit() for c in v) >= 4 and len(v) <= 20:
                        out.append(("MEDICAL_RECORD_NUMBER", m.start("v"), m.end("v"), 0.8, _REC))
            p = lower.find(lab, q)


# -- SQL INSERT statements: INSERT INTO t (name, ssn, dob) VALUES ('Ana Lima', '...', DATE '...'), (...) --
# The column list names every value of every row, exactly like a CSV header: the values are checked
# with the same key lexicon and validators (``structure.value_type``) as JSON keys and table columns.
_SQL_INSERT = re.compile(
    r"(?i)\binsert[ \t]+(?:(?:ignore|or[ \t]+\w+)[ \t]+)?into[ \t]+[^\s(]{1,120}[ \t]*"
    r"\((?P<cols>[^()']{1,2000})\)\s*values\s*"
)
# A quoted literal, optionally typed or prefixed: 'x', N'x', E'x', DATE 'x', TIMESTAMP 'x'.
_SQL_LITERAL = re.compile(r"(?i)(?:date|timestamp|time|n|e)?[ \t]*'")
_SQL_MAX_ROWS = 10000


def _sql_row(text: str, i: int) -> tuple[list[tuple[int, int, bool]], int] | None:
    """Values of one ``( ... )`` row starting at ``text[i] == "("``: (start, end, quoted) spans (inside
    the quotes for string literals) and the offset after the closing parenthesis; None if malformed."""
    n = len(text)
    vals: list[tuple[int, int, bool]] = []
    j = i + 1
    while j < n:
        while j < n and text[j] in " \t\r\n":
            j += 1
        lm = _SQL_LITERAL.match(text, j)
        if lm is not None:
            a = lm.end()
            k = a
            while True:  # '' is an escaped quote inside a SQL string
                k = text.find("'", k)
                if k == -1:
                    return None
                if text.startswith("''", k):
                    k += 2
                    continue
                break
            vals.append((a, k, True))
            j = k + 1
            while j < n and text[j] in " \t\r\n":
                j += 1
            # A literal may be followed by an operator ("'x' || 'y'", "'1 day'::interval"): skip to the comma.
        a = j
        depth = 0
        while j < n:
            c = text[j]
            if c == "'":
                k = text.find("'", j + 1)
                if k == -1:
                    return None
                j = k + 1
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    break
                depth -= 1
            elif c == "," and depth == 0:
                break
            j += 1
        if j >= n:
            return None
        if lm is None:
            b = j
            while b > a and text[b - 1] in " \t\r\n":
                b -= 1
            vals.append((a, b, False))
        if text[j] == ")":
            return vals, j + 1
        j += 1  # past the comma
    return None


def _find_sql_inserts(text: str, out: list[Cand]) -> None:
    n = len(text)
    for m in _SQL_INSERT.finditer(text):
        cols = [c.strip().strip('"`[]') for c in m.group("cols").split(",")]
        if not any(structure.key_type(c) for c in cols if c):
            continue
        keys = [structure.norm_key(c) for c in cols]
        about_people = structure.record_about_people(c for c in cols if c)
        pos = m.end()
        for _ in range(_SQL_MAX_ROWS):
            if pos >= n or text[pos] != "(":
                break
            row = _sql_row(text, pos)
            if row is None:
                break
            vals, pos = row
            for idx, (a, b, quoted) in enumerate(vals):
                if idx >= len(cols) or b <= a or not cols[idx]:
                    continue
                v = text[a:b].replace("''", "'") if quoted else text[a:b]
                etype = structure.value_type(cols[idx], v)
                if etype is None:
                    continue
                weak = (
                    etype == "PERSON"
                    and keys[idx] in structure.AMBIGUOUS_PERSON_KEYS
                    and not about_people
                    and not structure.known_given_name(v)
                )
                out.append((etype, a, b, 0.45 if weak else 0.85, _REC))
            while pos < n and text[pos] in " \t\r\n":
                pos += 1
            if pos < n and text[pos] == ",":
                pos += 1
                while pos < n and text[pos] in " \t\r\n":
                    pos += 1
            else:
                break


# -- identity documents: {"type": "passport", "number": "X1234567"} ---------------------------------------
# KYC payloads list documents as a type plus a generic number key: the type says what the number is.
_DOC_TYPE = re.compile(r"""(?i)["']?(?:document_?|doc_?|id_?)?type["']?[ \t]*[:=][ \t]*["']passport["']""")
_DOC_NUMBER = re.compile(
    r"""(?i)["']?(?:document_?|doc_?|id_?|passport_?)?(?:number|no|num|value|id)["']?[ \t]*[:=][ \t]*["']?"""
    r"(?P<v>[A-Za-z0-9]{6,10})(?![\w])"
)


def _find_passport_documents(text: str, out: list[Cand]) -> None:
    for m in _DOC_TYPE.finditer(text):
        # The number sits in the same object: between the braces around the type, at most 300 characters away.
        lo = text.rfind("{", max(0, m.start() - 300), m.start())
        hi = text.find("}", m.end(), m.end() + 300)
        lo = m.start() - 300 if lo == -1 else lo
        hi = m.end() + 300 if hi == -1 else hi
        for nm in _DOC_NUMBER.finditer(text, max(0, lo), min(len(text), hi)):
            v = nm.group("v")
            if structure.VALUE_OK["US_PASSPORT"](v, "passportnumber"):
                out.append(("US_PASSPORT", nm.start("v"), nm.end("v"), 0.85, _REC))


def find_fields(text: str, lower: str, out: list[Cand], emails: list[tuple[int, int]] | None = None) -> None:
    """Append candidates for the record layouts above; each pass runs only when its marker is present."""
    if "/" in text:
        _find_pnr(text, lower, out)
    if "TO " in text or "FROM " in text:
        _find_bank_rows(text, out)
    if "," in text and (":" in text or "=" in text):
        _find_last_first(text, lower, out)
    if emails and "<" in text:
        _find_display_names(text, emails, out)
    if "VCARD" in text or "\nN:" in text or "\nN;" in text or text.startswith(("N:", "N;")) or "BDAY" in text:
        _find_vcard(text, out)
    if ":" in text and ("sn:" in text or "givenName" in text or "cn:" in text or "displayName" in text):
        _find_ldif(text, out)
    if "</" in text:
        _find_xml(text, out)
    if "." in text:
        _find_bylines(text, out)
    if "):" in text:
        _find_speakers(text, out)
    if "\n" in text and ("birth" in lower or "dob" in lower or "born" in lower or "d.o.b" in lower):
        _find_dob_answers(text, lower, out)
    if "d0b" in lower or "d.0.b" in lower or "d 0 b" in lower or "d. 0. b" in lower:
        _find_ocr_dob(text, lower, out)
    if "\n" in text:
        if ("--" in text and "+" in text) or "─" in text or "━" in text or "═" in text:
            _find_grid_tables(text, out)
        if "  " in text and any(w in lower for w in _ALIGNED_HEADS):
            _find_aligned_tables(text, lower, out)
    if "patient" in lower or "pazient" in lower or "historia" in lower:
        _find_mrn_labels(text, lower, out)
    if "insert" in lower and "values" in lower:
        _find_sql_inserts(text, out)
    if "passport" in lower:
        _find_passport_documents(text, out)
