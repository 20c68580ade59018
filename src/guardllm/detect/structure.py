"""Structure is evidence: a key or column name says what its value is.

Handles ``"key": "value"`` (JSON, Python dict text), ``key=value`` (.env, logs, query strings),
``Key: value`` (headers, YAML, clinical notes), Markdown tables and CSV with a header row.  The key
picks a type; the value must still have that type's shape (a ``name`` field holding ``42`` is not a
person), so structure raises recall without guessing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from guardllm.detect.context import DATE, NAME, Family, U, anchors, is_stop, tokens
from guardllm.detect.validators import aba_routing_ok, card_iin_ok, iban_ok, luhn_ok, nhs_ok, ssn_ok, vin_ok

Cand = tuple[str, int, int, float, str]


_NON_ALNUM = re.compile(r"[\W_]+")


def norm_key(key: str) -> str:
    """``Full-Name`` / ``full_name`` / ``fullName`` -> ``fullname``."""
    return _NON_ALNUM.sub("", key.lower())


_K: dict[str, str] = {}


def _keys(etype: str, names: str) -> None:
    for n in names.split():
        _K[n] = etype


_keys(
    "PERSON",
    "name fullname firstname lastname givenname familyname surname middlename forename customername clientname "
    "patientname patient cardholder cardholdername holdername accountholder accountholdername contactname "
    "displayname legalname preferredname maidenname mothersmaidenname employee employeename recipientname "
    "sendername beneficiary beneficiaryname guardian guardianname nextofkin emergencycontact emergencycontactname "
    "spouse spousename physician doctor attendingphysician referringphysician signedby billingname shippingname "
    "attn attention insured insuredname subscriber subscribername policyholder applicant applicantname tenant "
    "tenantname witness payee payeename nameoncard person personname contactperson authorname ownername "
    "parentname fathername mothername studentname membername customer client recipient sender author owner "
    "from to cc bcc assignee reporter manager supervisor agent rep doctor nurse provider createdby updatedby "
    "approvedby requestedby submittedby reviewedby assignedto contact holder claimant decedent victim defendant "
    "plaintiff borrower guarantor cosigner driver passenger traveler traveller visitor contractor dependent "
    "ptname",
)
_keys("EMAIL_ADDRESS", "email emailaddress mail email1 workemail personalemail contactemail useremail")
_keys(
    "PHONE_NUMBER",
    "phone phonenumber phoneno mobile mobilenumber mobilephone cell cellphone cellnumber tel telephone "
    "telephonenumber fax faxnumber homephone workphone contactnumber contactphone whatsapp sms msisdn",
)
_keys("US_SSN", "ssn socialsecuritynumber socialsecurity socialsecurityno ssnumber ssnno")
_keys(
    "DATE_TIME",
    "dob dateofbirth birthdate birthday born dateofbirthdob geburtsdatum datedenaissance fechadenacimiento",
)
_keys(
    "LOCATION",
    "address streetaddress street addr homeaddress mailingaddress billingaddress shippingaddress "
    "residentialaddress address1 address2 addressline1 addressline2 addressline line1 line2 postaladdress "
    "residence homeaddr deliveryaddress permanentaddress currentaddress patientaddress adresse anschrift direccion",
)
_keys(
    "MEDICAL_RECORD_NUMBER",
    "mrn medicalrecordnumber medicalrecord medicalrecordno mrnumber chartnumber chartno patientid patientnumber "
    "patientno healthrecordnumber ehrid",
)
_keys(
    "HEALTH_PLAN_ID",
    "memberid membernumber healthplanid healthplannumber insuranceid insurancenumber policynumber policyno "
    "subscriberid beneficiaryid medicareid medicarenumber medicaidid medicaidnumber groupnumber planid",
)
_keys(
    "US_BANK_NUMBER",
    "accountnumber accountno acctno acctnumber acct bankaccount bankaccountnumber checkingaccount savingsaccount",
)
_keys("ABA_ROUTING_NUMBER", "routingnumber routing routingno aba abanumber")
_keys("US_PASSPORT", "passport passportnumber passportno passportid")
_keys(
    "US_DRIVER_LICENSE",
    "driverlicense driverslicense driverlicensenumber driverslicensenumber dl dlnumber dlno licensenumber",
)
_keys("CREDIT_CARD", "card cardnumber creditcard creditcardnumber cc ccnumber ccnum pan cardno debitcard")
_keys("IBAN_CODE", "iban ibancode")
_keys("UK_NHS", "nhs nhsnumber nhsno")
_keys("DEVICE_ID", "imei deviceid deviceserial udid serialnumber")
_keys("VEHICLE_ID", "vin vehicleid")
_keys("LICENSE_PLATE", "licenseplate plate platenumber numberplate")
# Export column names seen in CRM/EHR/payroll dumps (tax ids, localised phone labels, short MRN forms).
_keys("US_SSN", "taxid taxpayerid taxpayerno taxidnumber taxidno tin itin ssnlast9 socsec")
_keys(
    "PHONE_NUMBER", "handy handynummer movil telefono telefon telefonnummer mobil mobilnummer cellulare tfno"
)
_keys("MEDICAL_RECORD_NUMBER", "mrno medrec medrecno medicalrecno medicalrecordid")
_keys("DATE_TIME", "birthdt dobdt bdate dateborn")
_keys("PERSON", "fname lname")
# Profile and KYC keys (Slack exports, identity checks) and ticket roles named with a "_name" suffix.
_keys("PERSON", "givennames firstnames realname requestername assigneename reportername agentname")

# Keys whose name is too generic to say "person" unless the value has at least two name words.
_WEAK_PERSON = frozenset(
    "name customer client recipient sender author owner from to cc bcc contact assignee reporter manager supervisor "
    "agent rep doctor nurse provider createdby updatedby approvedby requestedby submittedby reviewedby assignedto "
    "holder".split()
)
# Keys under which one word is a whole name: a given name, a surname, or a chat display name ("Amara").
_SINGLE_OK = frozenset(
    "firstname lastname givenname familyname surname middlename forename fname lname givennames firstnames "
    "displayname realname".split()
)
_ORG_WORDS = frozenset(
    "inc llc ltd corp corporation company co gmbh ag sa plc group bank university hospital clinic school "
    "service services project team department office store shop product plan pro premium basic standard".split()
)


#: Last words that make a name an organisation even when its first word is a given name ("Wayne
#: Systems", "Acme Freight", "Umbrella Health"): legal forms and trade words no surname is.
COMPANY_LAST = frozenset(
    """inc incorporated llc llp ltd limited plc gmbh ag sarl bv nv pty srl corp
    corporation company group holdings holding partners associates industries enterprises ventures capital
    logistics freight shipping transport transportation trucking express couriers labs laboratories systems
    technologies technology solutions consulting analytics software networks telecom communications
    electronics robotics dynamics biotech biosciences therapeutics diagnostics pharmaceuticals pharma health
    healthcare insurance assurance bancorp financial motors automotive airlines airways foods beverages
    energy utilities manufacturing supply supplies construction realty properties studios media
    entertainment""".split()
)
#: Keys whose value is an organisation, never a person (normalised: lower case, no ``_ -``).
ORG_KEYS = frozenset(
    """company companyname employer employername organization organisation organizationname
    organisationname org orgname business businessname firm firmname vendor vendorname supplier merchant
    merchantname accountname brand manufacturer carrier insurer insurancecompany bank bankname institution
    school university""".split()
)
#: Record types (JSON ``type`` / ``@type`` / ``object``) whose ``Name`` is an organisation.
ORG_RECORD_TYPES = frozenset(
    """account organization organisation company business corporation vendor supplier partner competitor
    merchant employer localbusiness brand""".split()
)


def org_record(mapping: object) -> bool:
    """Is this mapping a record about an organisation (``{"attributes": {"type": "Account"}, ...}``,
    ``{"@type": "Organization"}``, ``{"object": "account"}``)?"""
    get = getattr(mapping, "get", None)
    if get is None:
        return False
    for k in ("type", "@type", "object", "kind", "sobjectType", "record_type", "recordType", "entity_type"):
        t = get(k)
        if isinstance(t, str) and norm_key(t) in ORG_RECORD_TYPES:
            return True
    attrs = get("attributes")
    if isinstance(attrs, dict):
        t = attrs.get("type")
        return isinstance(t, str) and norm_key(t) in ORG_RECORD_TYPES
    return False


#: Keys that name a person only when the record around them is about people ("name" of a product).
AMBIGUOUS_PERSON_KEYS = frozenset(
    "name owner author provider holder agent manager contact from to client customer recipient sender rep "
    "supervisor".split()
)
#: Types whose presence in the same record says the record is about a person.
PERSONISH_TYPES = frozenset(
    (
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "DATE_TIME",
        "US_SSN",
        "LOCATION",
        "MEDICAL_RECORD_NUMBER",
        "PERSON",
        "CREDIT_CARD",
        "IBAN_CODE",
        "US_PASSPORT",
        "US_DRIVER_LICENSE",
        "HEALTH_PLAN_ID",
    )
)
_PERSON_MARKERS = (
    "email",
    "e-mail",
    "phone",
    "mobile",
    "dob",
    "d.o.b",
    "birth",
    "ssn",
    "address",
    "patient",
    "mrn",
    "medical",
    "customer",
    "user",
    "employee",
    "member",
    "contact",
    "first_name",
    "last_name",
    "firstname",
    "lastname",
    "@",
    "person",
    "people",
    "staff",
    "author",
    "owner",
    "client",
)


def record_about_people(keys: Iterable[str]) -> bool:
    """Do these sibling keys describe a person (an email, a birth date, a first_name ...)?"""
    for k in keys:
        t = key_type(str(k))
        if (
            t is not None
            and t in PERSONISH_TYPES
            and (t != "PERSON" or norm_key(str(k)) not in AMBIGUOUS_PERSON_KEYS)
        ):
            return True
    return False


def person_context_near(text: str, s: int, e: int) -> bool:
    """Does the record around ``text[s:e]`` look like it describes a person?"""
    window = text[max(0, s - 200) : e + 200].lower()
    return any(w in window for w in _PERSON_MARKERS)


def known_given_name(value: str) -> bool:
    from guardllm.detect.context import FIRST_NAMES, fold

    first = value.split(None, 1)[0] if value.split() else ""
    return fold(first) in FIRST_NAMES


@lru_cache(maxsize=8192)
def key_type(key: str) -> str | None:
    """The entity type a key or column name announces, or None."""
    k = norm_key(key)
    t = _K.get(k)
    if t is not None:
        return t
    if k[-1:].isdigit():  # phone2, address_1, email_2
        k = k.rstrip("0123456789")
        t = _K.get(k)
        if t is not None:
            return t
    # camelCase / prefixed variants: customer_email, billing_phone, patient_dob, home_address ...
    for suffix, etype in (
        ("fullname", "PERSON"),
        ("firstname", "PERSON"),
        ("lastname", "PERSON"),
        ("phonenumber", "PHONE_NUMBER"),
        ("phone", "PHONE_NUMBER"),
        ("mobile", "PHONE_NUMBER"),
        ("address", "LOCATION"),
        ("dob", "DATE_TIME"),
        ("birthdate", "DATE_TIME"),
        ("dateofbirth", "DATE_TIME"),
        ("ssn", "US_SSN"),
        ("mrn", "MEDICAL_RECORD_NUMBER"),
        ("cardnumber", "CREDIT_CARD"),
        ("iban", "IBAN_CODE"),
        ("accountnumber", "US_BANK_NUMBER"),
        ("passportnumber", "US_PASSPORT"),
        ("holdername", "PERSON"),
    ):
        if k.endswith(suffix) and len(k) > len(suffix):
            return etype
    if k.endswith("name") and k[:-4] in (
        "customer",
        "client",
        "patient",
        "contact",
        "employee",
        "member",
        "user",
        "guest",
        "buyer",
        "seller",
        "student",
        "teacher",
        "doctor",
        "nurse",
        "agent",
        "passenger",
        "traveler",
        "traveller",
        "driver",
        "insured",
        "account",
        "billing",
        "shipping",
        "legal",
        "real",
        "given",
        "family",
        "middle",
        "emergency",
    ):
        return "PERSON"
    return None


# -- value validators per type -------------------------------------------------------------------
_HAS_DIGIT = re.compile(r"\d")
_HAS_ALPHA = re.compile(r"[^\W\d_]")
_NON_DIGIT = re.compile(r"\D+")
_PHONE_CHARS = re.compile(r"[\d +().\-/x]+")
_DIGITS_SPACED = re.compile(r"[\d -]+")
_ID_CHARS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 #/._-]{2,30}$")


def _person_ok(v: str, k: str) -> bool:
    if not v or len(v) > 80 or _HAS_DIGIT.search(v) is not None or "@" in v:
        return False
    words = v.replace(",", " ").split()
    if not 1 <= len(words) <= 5:
        return False
    if any(w.lower().strip(".") in _ORG_WORDS for w in words):
        return False
    if _not_a_person(words):
        return False
    if v.isupper() and len(v) > 3:  # JOHN SMITH
        if not all(w.replace("-", "").replace("'", "").replace("’", "").isalpha() for w in words):
            return False
        if len(words) < 2:
            return k in _SINGLE_OK and _single_name_ok(v)
        # Capitals erase the case cue: "JOINT ACCOUNT", "CITY OF AUSTIN WATER" under a name key are no
        # one.  The key is evidence, so only a firm word, a function word, or nothing but everyday
        # words without a known given name ("MARY STATE" stays a name) turns the value down.
        from guardllm.detect import names, upper  # lazy: names loads its lexicons at import

        given, common, _ = names._lexicons()
        folded = [names._fold(w) for w in words]
        if any(f in upper._ORG or is_stop(w) for f, w in zip(folded, words, strict=True)):
            return False
        return any(f in given for f in folded) or not all(names._is_common(f, common) for f in folded)
    m = NAME.fullmatch(v)
    if not m:
        return k in _SINGLE_OK and _single_name_ok(v)
    if all(is_stop(w) for w in words):
        return False
    if len(words) == 1 and k not in _SINGLE_OK:
        return False
    if k in _WEAK_PERSON and len(words) < 2:
        return False
    return True


_ONE_WORD = re.compile(r"[^\W\d_]{2,}(?:['’-][^\W\d_]+)*")
_NOT_A_NAME = frozenset(
    "null none nan nil n/a na unknown test tbd tba redacted anonymous anon true false yes no "
    "unassigned pending various multiple everyone nobody someone withheld undisclosed blank empty".split()
)
# Whole values that fill a name slot without naming anyone ("PATIENT: NOT ON FILE", "Owner: To Be Determined").
_PLACEHOLDER_PHRASES = frozenset(
    """not on file|on file|not applicable|not available|not provided|not given|not known|not specified|not set
    |not assigned|no one|no name|to be determined|to be confirmed|to be assigned|see above|see below|same as above
    |walk in|walk-in|general public|the public|prefer not to say|name withheld|n a""".replace("\n", "").split(
        "|"
    )
)
# Insurers and payers: "INSURED: STATE FARM" names the company, not the insured person.
_PAYERS = frozenset(
    """state farm|blue cross|blue shield|blue cross blue shield|bcbs|allstate|geico|progressive|aetna|cigna
    |humana|kaiser|kaiser permanente|united healthcare|unitedhealthcare|liberty mutual|nationwide|farmers
    |travelers|medicare|medicaid|tricare|anthem|molina|centene|highmark|oscar health""".replace(
        "\n", ""
    ).split("|")
)
# Last words of teams and desks on top of names._ORG_LAST ("Payments Squad", "Front Desk", "Enterprise Accounts").
_TEAM_LAST = frozenset(
    "squad team teams crew desk accounts unit pod guild tribe dept department division office center centre "
    "queue pool rota oncall on-call public reception helpdesk servicedesk frontdesk".split()
)
# Words no run of name words contains: a phrase with one of them is prose, not a name ("NOT ON FILE").
_PHRASE_WORDS = frozenset("not on the in at to for of see same as above below per tbd tba n/a".split())


def _not_a_person(words: list[str]) -> bool:
    """The words under a person key are an organisation, a team, a role, a placeholder or an everyday
    phrase ("Globex Industries", "Marketing Ops", "NOT ON FILE"), not someone's name.

    A word that is a known given name keeps the value a name ("Grace Hall", "Frank Marketing"), and
    invented names are not everyday words, so they stay found."""
    from guardllm.detect import names  # lazy: names imports context at load, keep this module light

    given, common, _ = names._lexicons()
    folded = [names._fold(w.strip(".")) for w in words]
    phrase = " ".join(folded)
    if phrase in _PLACEHOLDER_PHRASES or phrase in _PAYERS:
        return True
    if len(folded) == 1:
        f = folded[0]
        return f in _NOT_A_NAME or (f in names._ROLE_WORDS and f not in given)  # "Travis", "Dev" stay names
    if folded[-1] in COMPANY_LAST:
        return True  # "Wayne Systems", "Grace Health": a given name does not make a firm a person
    if any(f in given for f in folded):
        return False
    last = folded[-1]
    if last in names._ORG_LAST or last in _TEAM_LAST:
        return True
    # Only everyday words, one of them a department/role or a phrase word: "Marketing Ops", "Sales Desk".
    return all(names._is_common(f, common) for f in folded) and any(
        f in names._ROLE_WORDS or f in _PHRASE_WORDS for f in folded
    )


def _single_name_ok(v: str) -> bool:
    """A first_name / last_name column holding one word in any case: "ANA", "lima" (exports often
    upper- or lower-case everything); placeholders like "NULL" or "unknown" are not names."""
    return _ONE_WORD.fullmatch(v) is not None and v.lower() not in _NOT_A_NAME and not is_stop(v)


def _phone_ok(v: str, k: str) -> bool:
    d = len(_NON_DIGIT.sub("", v))
    return 7 <= d <= 15 and _PHONE_CHARS.fullmatch(v) is not None


def _digits(v: str) -> str:
    return _NON_DIGIT.sub("", v)


def _ssn_ok(v: str, k: str) -> bool:
    return _DIGITS_SPACED.fullmatch(v) is not None and ssn_ok(_digits(v))


def _date_ok(v: str, k: str) -> bool:
    m = DATE.match(v)
    return (bool(m) and m.end() >= len(v.rstrip(" .,;"))) or _compact_date_ok(v)


_COMPACT_DATE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\w)")


def _compact_date_ok(v: str) -> bool:
    """``19570314`` under a birth-date key or column (database exports write dates that way)."""
    return _COMPACT_DATE.fullmatch(v) is not None


_CODE_CHARS = re.compile(r"[=(){}\[\]<>;`_|\\]")
_HOUSE_NUMBER = re.compile(r"(?<![^\W\d_])\d{1,6}(?![^\W\d_]{2})")
_CAP_WORD = re.compile(r"[^\W\d_][^\W\d_]+")
_STREET_HINT = re.compile(
    r"(?i)\b(?:rue|avenue|av|chemin|boulevard|allée|place|calle|via|rua|straße|strasse|str|weg|platz|road|rd|street|st|"
    r"lane|ln|drive|dr|box|flat|apt|suite|unit)\b|(?:straße|strasse|weg|allee|platz|ring|straat|laan)\b"
)


def _addr_ok(v: str, k: str) -> bool:
    # A postal address has a number (house, postcode, box) and a name; prose and code after an
    # "address:" label do not look like that.
    if not 5 <= len(v) <= 160 or _CODE_CHARS.search(v) or not _HOUSE_NUMBER.search(v):
        return False
    caps = [w for w in _CAP_WORD.findall(v) if w[0].isupper() and not w.isupper()]
    return bool(caps) or bool(_STREET_HINT.search(v))


def _id_ok(v: str, k: str) -> bool:
    return bool(_ID_CHARS.match(v)) and _HAS_DIGIT.search(v) is not None and len(_NON_DIGIT.sub("", v)) >= 4


def _card_ok(v: str, k: str) -> bool:
    d = _digits(v)
    return _DIGITS_SPACED.fullmatch(v) is not None and 12 <= len(d) <= 19 and luhn_ok(d) and card_iin_ok(d)


def _bank_ok(v: str, k: str) -> bool:
    d = _digits(v)
    return _DIGITS_SPACED.fullmatch(v) is not None and 6 <= len(d) <= 17


def _aba_ok(v: str, k: str) -> bool:
    return aba_routing_ok(v) and _DIGITS_SPACED.fullmatch(v) is not None


def _passport_ok(v: str, k: str) -> bool:
    return bool(_ALNUM_6_10.fullmatch(v.upper())) and _HAS_DIGIT.search(v) is not None


def _dl_ok(v: str, k: str) -> bool:
    return bool(_ALNUM_DASH_4_16.fullmatch(v.upper())) and len(_NON_DIGIT.sub("", v)) >= 3


def _iban_ok(v: str, k: str) -> bool:
    return iban_ok(v.replace(" ", "").replace("-", ""))


def _nhs_ok(v: str, k: str) -> bool:
    return nhs_ok(v) and _DIGITS_SPACED.fullmatch(v) is not None


def _vin_ok(v: str, k: str) -> bool:
    return vin_ok(v)


def _plate_ok(v: str, k: str) -> bool:
    return bool(_PLATE_SHAPE.fullmatch(v.upper())) and _HAS_DIGIT.search(v) is not None


VALUE_OK: dict[str, Callable[[str, str], bool]] = {
    "PERSON": _person_ok,
    "PHONE_NUMBER": _phone_ok,
    "US_SSN": _ssn_ok,
    "DATE_TIME": _date_ok,
    "LOCATION": _addr_ok,
    "MEDICAL_RECORD_NUMBER": _id_ok,
    "HEALTH_PLAN_ID": _id_ok,
    "US_BANK_NUMBER": _bank_ok,
    "ABA_ROUTING_NUMBER": _aba_ok,
    "US_PASSPORT": _passport_ok,
    "US_DRIVER_LICENSE": _dl_ok,
    "CREDIT_CARD": _card_ok,
    "IBAN_CODE": _iban_ok,
    "UK_NHS": _nhs_ok,
    "DEVICE_ID": _id_ok,
    "VEHICLE_ID": _vin_ok,
    "LICENSE_PLATE": _plate_ok,
}


def value_type(key: str, value: str) -> str | None:
    """The type of ``value`` stored under ``key`` (key names it, value has its shape), or None."""
    t = key_type(key)
    if t is None:
        return None
    ok = VALUE_OK.get(t)
    if ok is None:
        return None
    return t if ok(value.strip(), norm_key(key)) else None


# Precompiled: inline ``re.fullmatch(pattern, ...)`` pays a cache lookup on every call.
_ALNUM_6_10 = re.compile(r"[A-Z0-9]{6,10}")
_ALNUM_DASH_4_16 = re.compile(r"[A-Z0-9-]{4,16}")
_PLATE_SHAPE = re.compile(r"[A-Z0-9][A-Z0-9 -]{1,8}[A-Z0-9]")
_LABEL_WORD_SEP = re.compile(r"[ \t'.]")
# "E-mail", "Phone#", "D.O.B." are column names too.
_COLUMN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_ .#-]{0,40}")


# -- key/value pairs in text ---------------------------------------------------------------------
_KV = re.compile(
    r"(?<![\w.-])(?P<q>[\"']?)(?P<key>[A-Za-z][A-Za-z0-9_-]{0,40})(?P=q)[ \t]*(?P<sep>=|:(?!//))[ \t]*"
)
# Keys that are the last word of a multi-word label ("Date of birth:", "Home address:").
_TAIL_WORDS = frozenset(
    "birth name number address no id license licence record security code card phone holder of".split()
)
_PREV_WORDS = re.compile(r"(?:[A-Za-z']+[ \t]+){1,3}$")
_VALUE_STOP = re.compile(r"[\n|\t]|  |\s[A-Za-z][A-Za-z0-9_-]{0,30}[=]|,\s*\"")
_ID_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9#/._-]{0,40}")
_LINE_END = re.compile(r"[\n|\t]|  |\"|;")


# _PREV_WORDS read backwards from the key: a match anchored at the key instead of a search that
# retries every start position of the window (the longest match is the same words).
_PREV_WORDS_REV = re.compile(r"(?:[ \t]+[A-Za-z']+){1,3}")


def _multiword_key(text: str, s: int, key: str) -> str:
    lo = max(0, s - 40)
    # ``$`` also matched before a final newline: "Date of\nbirth:" read "Date of" as part of the key.
    hi = s - 1 if s > lo and text[s - 1] == "\n" else s
    m = _PREV_WORDS_REV.match(text[lo:hi][::-1])
    if not m:
        return key
    words = m.group()[::-1].split()
    for i in range(len(words)):
        cand = "".join(words[i:]) + key
        if norm_key(cand) in _K:
            return cand
    return key


def _emit(etype: str, s: int, e: int, score: float, out: list[Cand]) -> None:
    out.append((etype, s, e, score, "structure"))


def _extract_value(text: str, vs: int, etype: str, k: str) -> tuple[int, int] | None:
    """Span of the value that starts at ``vs`` for a key of type ``etype``, validated, or None."""
    n = len(text)
    if vs >= n:
        return None
    ch = text[vs]
    if ch in "\"'":
        ve = text.find(ch, vs + 1, min(n, vs + 300))
        if ve == -1:
            return None
        s, e = vs + 1, ve
    elif ch in "{[":
        return None
    else:
        s = vs
        if etype == "PERSON":
            tm = _CAPS_TITLE.match(text, s)
            if tm is not None:
                s = tm.end()
            nm = NAME.match(text, s) or _CAPS_NAME.match(text, s)
            if not nm:
                return None
            e = nm.end()
        elif etype == "DATE_TIME":
            dm = DATE.match(text, s) or _COMPACT_DATE.match(text, s)
            if not dm:
                return None
            e = dm.end()
        elif etype == "LOCATION":
            lm = _LINE_END.search(text, s, min(n, s + 200))
            e = lm.start() if lm else min(n, s + 200)
            e = _address_continuation(text, e)
        elif etype == "PHONE_NUMBER":
            pm = _PHONE_VALUE.match(text, s)
            if not pm:
                return None
            e = pm.end()
        else:
            im = _ID_VALUE.match(text, s)
            if not im:
                return None
            e = im.end()
            if etype in _SPACED_TYPES:
                sm = _SPACED_VALUE.match(text, s)
                if sm:
                    e = sm.end()
    while e > s and text[e - 1] in " \t.,;:":
        e -= 1
    while s < e and text[s] in " \t":
        s += 1
    if e <= s:
        return None
    ok = VALUE_OK[etype]
    if ok(text[s:e], k):
        return s, e
    if etype in _SPACED_TYPES:
        # "123 45 6789 please" : retry with the first token only
        im = _ID_VALUE.match(text, s)
        if im and im.end() < e and ok(text[s : im.end()], k):
            return s, im.end()
    return None


_ADDR_LINE = re.compile(r"\n[ \t]*([^\n:=|\t]{2,60})(?=\n|$)")


def _address_continuation(text: str, e: int) -> int:
    """Multi-line addresses: following lines with no ``key:`` that end in a line holding a number."""
    best = e
    pos = e
    for _ in range(3):
        m = _ADDR_LINE.match(text, pos)
        if m is None:
            break
        pos = m.end()
        if _HAS_DIGIT.search(m.group(1)):
            best = pos
    return best


_CAPS_NAME = re.compile(rf"{U}[{U[1:-1]}'’-]+(?:[ \t]+{U}[{U[1:-1]}'’-]+){{1,3}}(?![\w])")
# "DR. AMARA OKONKWO": a title before a name in capitals stays out of the span.
_CAPS_TITLE = re.compile(rf"(?:DR|MR|MRS|MS|MX|PROF|MISS|Dr|Mr|Mrs|Ms|Mx|Prof)\.?[ \t]+(?={U}{U})")
_PHONE_VALUE = re.compile(r"\+?[\d(][\d ().-]{5,22}\d")
_SPACED_VALUE = re.compile(r"[A-Za-z0-9]+(?:[ -][A-Za-z0-9]+){0,7}")
_SPACED_TYPES = frozenset(
    ("US_SSN", "CREDIT_CARD", "IBAN_CODE", "UK_NHS", "US_BANK_NUMBER", "ABA_ROUTING_NUMBER")
)


# Keys are found on the reversed text: the separator comes first there, so one C-level pass finds
# every "key: value" / "key=value" without Python work per separator.
_KV_REV = re.compile(
    r"(?:=|:(?<!//:))[ \t]*(?:#[ \t]*|\.on[ \t]+)?([\"']?)([A-Za-z0-9_-]{0,40}[A-Za-z])\1(?![\w.-])"
)
_SPACES = re.compile(r"[ \t]*")
_IRRELEVANT_REV: set[str] = set()
#: Reversed key -> (key, type, normalised key, is a label tail word) for keys that matter: keys
#: repeat across texts (every JSON record has "email"), so each is classified once.
_KEY_INFO_REV: dict[str, tuple[str, str | None, str, bool]] = {}


def _key_info(rk: str) -> tuple[str, str | None, str, bool] | None:
    info = _KEY_INFO_REV.get(rk)
    if info is not None:
        return info
    key = rk[::-1]
    etype = key_type(key)
    tail = key.lower() in _TAIL_WORDS
    if etype is None and not tail:
        if len(_IRRELEVANT_REV) < 4096:
            _IRRELEVANT_REV.add(rk)
        return None
    info = (key, etype, norm_key(key), tail)
    if len(_KEY_INFO_REV) < 4096:
        _KEY_INFO_REV[rk] = info
    return info


def find_key_values(text: str, out: list[Cand]) -> None:
    if ":" not in text and "=" not in text:
        return
    n = len(text)
    rev = text[::-1]
    for km in _KV_REV.finditer(rev):
        rk = km.group(2)
        # Most keys name nothing sensitive (id, status, level): answer those from a small cache.
        if rk in _IRRELEVANT_REV:
            continue
        info = _key_info(rk)
        if info is None:
            continue
        key, etype, k, tail = info
        if tail:
            # "Date of birth:", "Pt Name:", "Home address:": the label is several words.
            longer = _multiword_key(text, n - km.end(2), key)
            if longer != key:
                lt = key_type(longer)
                if lt is not None:
                    key, etype, k = longer, lt, norm_key(longer)
        if etype is None or etype not in VALUE_OK:
            continue
        sep = n - 1 - km.start()  # offset of the separator in the forward text
        vs = sep + 1
        if vs < n and text[vs] in " \t":
            vs = _SPACES.match(text, vs).end()
        span = _extract_value(text, vs, etype, k)
        if span:
            score = 0.85
            if (
                etype == "PERSON"
                and k in AMBIGUOUS_PERSON_KEYS
                and not person_context_near(text, span[0], span[1])
                and not known_given_name(text[span[0] : span[1]])
            ):
                score = 0.45  # {"name": "Blue Widget"}: a name key alone does not make a person
            _emit(etype, span[0], span[1], score, out)


# "MRN 8812345", "SSN is 123456789", "NHS number 943 476 5919", "passport no. X1234567": a label
# without a colon still names the value that follows it.
_LABEL = re.compile(
    r"(?i)\b(?P<label>mrn|med(?:ical)?[ \t]+rec(?:ord)?(?:[ \t]+(?:number|no\.?|#))?|ssn|social[ \t]+security(?:[ \t]+(?:number|no\.?|#))?"
    r"|nhs(?:[ \t]+(?:number|no\.?))?|passport(?:[ \t]+(?:number|no\.?|#))?"
    r"|driver'?s?[ \t]+licen[cs]e(?:[ \t]+(?:number|no\.?|#))?|account[ \t]+(?:number|no\.?|#)|acct\.?(?:[ \t]*(?:#|no\.?))?"
    r"|routing[ \t]+(?:number|no\.?|#)|member[ \t]+id|policy[ \t]+(?:number|no\.?|#)|vin|imei"
    r"|card[ \t]+(?:number|no\.?|#)|date[ \t]+of[ \t]+birth|dob|dl|d\.l)\b\.?[ \t]*(?:is|was|of)?[ \t]*[:=#-]?[ \t]*"
)
_LABEL_TYPES = {
    "mrn": "MEDICAL_RECORD_NUMBER",
    "medical": "MEDICAL_RECORD_NUMBER",
    "med": "MEDICAL_RECORD_NUMBER",
    "ssn": "US_SSN",
    "social": "US_SSN",
    "nhs": "UK_NHS",
    "passport": "US_PASSPORT",
    "driver": "US_DRIVER_LICENSE",
    "account": "US_BANK_NUMBER",
    "acct": "US_BANK_NUMBER",
    "routing": "ABA_ROUTING_NUMBER",
    "member": "HEALTH_PLAN_ID",
    "policy": "HEALTH_PLAN_ID",
    "vin": "VEHICLE_ID",
    "imei": "DEVICE_ID",
    "card": "CREDIT_CARD",
    "date": "DATE_TIME",
    "dob": "DATE_TIME",
    "dl": "US_DRIVER_LICENSE",
    "d": "US_DRIVER_LICENSE",
}
_LABEL_KEY = {
    "MEDICAL_RECORD_NUMBER": "mrn",
    "US_SSN": "ssn",
    "UK_NHS": "nhsnumber",
    "US_PASSPORT": "passportnumber",
    "US_DRIVER_LICENSE": "driverslicense",
    "US_BANK_NUMBER": "accountnumber",
    "ABA_ROUTING_NUMBER": "routingnumber",
    "HEALTH_PLAN_ID": "memberid",
    "VEHICLE_ID": "vin",
    "DEVICE_ID": "imei",
    "CREDIT_CARD": "cardnumber",
    "DATE_TIME": "dob",
}


def find_labels(
    text: str, lower: str, out: list[Cand], toks: frozenset[str] | None = None, seen: set[int] | None = None
) -> None:
    for p in anchors(lower, _LABEL_HINTS, toks if toks is not None else tokens(text), _LABEL_FAMILY):
        m = _LABEL.match(text, p)
        if m is None or (seen is not None and (m.end() in seen or m.end() + 1 in seen)):
            continue
        first = _LABEL_WORD_SEP.split(m.group("label").lower(), maxsplit=1)[0]
        etype = _LABEL_TYPES.get(first)
        if etype is None:
            continue
        span = _extract_value(text, m.end(), etype, _LABEL_KEY[etype])
        if span:
            _emit(etype, span[0], span[1], 0.8, out)


_LABEL_HINTS = (
    "mrn",
    "medical",
    "med rec",
    "ssn",
    "social",
    "nhs",
    "passport",
    "driver",
    "account",
    "acct",
    "routing",
    "member",
    "policy",
    "vin",
    "imei",
    "card",
    "date of birth",
    "dob",
    "dl",
    "d.l",
)
_LABEL_FAMILY = Family(_LABEL_HINTS)


# -- HTML: <td>Name</td><td>Ana Lima</td>, <dt>DOB</dt><dd>1970-01-02</dd>, <b>Email:</b> x ----------
_HTML_KV = re.compile(
    r"<(?P<t>td|th|dt|b|strong|label|span)(?:\s[^<>]{0,200})?>[ \t]*(?P<key>[A-Za-z][A-Za-z0-9 _#.'-]{0,40}?)[ \t]*:?[ \t]*"
    r"</(?P=t)>\s{0,20}(?:<(?:td|dd|span|div)(?:\s[^<>]{0,200})?>)?[ \t]*(?P<val>[^<>\n]{1,200})<"
)


def find_html(text: str, out: list[Cand]) -> None:
    if "</" not in text:
        return
    for m in _HTML_KV.finditer(text):
        key = m.group("key")
        etype = key_type(key)
        if etype is None or etype not in VALUE_OK:
            continue
        s, e = m.span("val")
        while e > s and text[e - 1] in " \t":
            e -= 1
        while s < e and text[s] in " \t":
            s += 1
        k = norm_key(key)
        if e > s and VALUE_OK[etype](text[s:e], k):
            weak = (
                etype == "PERSON"
                and k in AMBIGUOUS_PERSON_KEYS
                and not person_context_near(text, s, e)
                and not known_given_name(text[s:e])
            )
            _emit(etype, s, e, 0.45 if weak else 0.85, out)


# -- Markdown tables and CSV ---------------------------------------------------------------------
_MD_SEP = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$", re.M)


def _cells(line: str, base: int, delim: str) -> list[tuple[int, int]]:
    """Spans of the cells of one table/CSV line (quotes respected for CSV)."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(line)
    start = 0
    inq = False
    while i < n:
        c = line[i]
        if c == '"' and delim == ",":
            inq = not inq
        elif c == delim and not inq:
            spans.append((start, i))
            start = i + 1
        i += 1
    spans.append((start, n))
    out = []
    for a, b in spans:
        while a < b and line[a] in ' \t"':
            a += 1
        while b > a and line[b - 1] in ' \t"\r':
            b -= 1
        out.append((base + a, base + b))
    return out


def _table_rows(
    text: str, header_line_start: int, header: str, delim: str, body_from: int, out: list[Cand]
) -> None:
    hcells = _cells(header, header_line_start, delim)
    types = [key_type(text[a:b]) if b > a else None for a, b in hcells]
    if not any(types):
        return
    keys = [norm_key(text[a:b]) for a, b in hcells]
    about_people = record_about_people(text[a:b] for a, b in hcells if b > a)
    pos = body_from
    n = len(text)
    while pos < n:
        le = text.find("\n", pos)
        le = n if le == -1 else le
        line = text[pos:le]
        if not line.strip() or (delim not in line):
            break
        cells = _cells(line, pos, delim)
        for idx, (a, b) in enumerate(cells):
            if idx < len(types) and types[idx] and b > a:
                t = types[idx]
                ok = VALUE_OK.get(t)
                if ok and ok(text[a:b], keys[idx]):
                    weak = (
                        t == "PERSON"
                        and keys[idx] in AMBIGUOUS_PERSON_KEYS
                        and not about_people
                        and not known_given_name(text[a:b])
                    )
                    _emit(t, a, b, 0.45 if weak else 0.85, out)
        pos = le + 1


def find_tables(text: str, out: list[Cand]) -> None:
    if "|" in text and "---" in text:
        for m in _MD_SEP.finditer(text):
            hs = text.rfind("\n", 0, max(0, m.start() - 1)) + 1
            header = text[hs : m.start()].rstrip("\n")
            _table_rows(text, hs, header, "|", m.end() + 1, out)
    if "," in text and "\n" in text:
        # CSV: a header line naming at least one known column, followed by rows with the same shape.
        pos = 0
        checked = 0
        while pos < len(text) and checked < 50:
            le = text.find("\n", pos)
            if le == -1:
                break
            line = text[pos:le]
            checked += 1
            if line.count(",") >= 1 and len(line) < 400 and "=" not in line and ":" not in line:
                names = [c.strip().strip('"') for c in line.split(",")]
                # An empty first name is the index column of a pandas export (",first_name,...").
                if all(not c or _COLUMN_NAME.fullmatch(c) for c in names) and any(
                    key_type(c) for c in names if c
                ):
                    _table_rows(text, pos, line, ",", le + 1, out)
            pos = le + 1
