"""Record and field layouts (detect/fields.py), through the public ``guardllm.scan``.

Each positive case says which value must be covered entirely (strict, like the scorer); each
near-miss is text of the same shape that must stay clean.
"""

from __future__ import annotations

import pytest

import guardllm


def _covered(text: str, value: str, etype: str | None = None) -> bool:
    i = text.index(value)
    j = i + len(value)
    cov = bytearray(len(text))
    for f in guardllm.scan(text):
        if etype is None or f.entity_type == etype:
            for k in range(f.start, f.end):
                cov[k] = 1
    return all(cov[k] for k in range(i, j) if text[k].isalnum())


POSITIVE = [
    # itineraries
    ("Passenger: OKAFOR/MAREN MS\nFlight BA117 LHR-JFK", "OKAFOR/MAREN", "PERSON"),
    ("1. KOWALSKI/JAN MR  2. KOWALSKI/ANNA MRS", "KOWALSKI/JAN", "PERSON"),
    ("1. KOWALSKI/JAN MR  2. KOWALSKI/ANNA MRS", "KOWALSKI/ANNA", "PERSON"),
    ("NAME: HALVORSEN/INGRID MARIE\nSEAT 14C", "HALVORSEN/INGRID MARIE", "PERSON"),
    # bank statements
    ("12/03 TRANSFER TO CARLOS DRAZENKO   -250.00", "CARLOS DRAZENKO", "PERSON"),
    ("03/11  ZELLE FROM ANIKA BRUNSWIG  +80.00", "ANIKA BRUNSWIG", "PERSON"),
    # last-first labels, OCR spacing
    ("NAME :  OKAFOR  ,  MAREN\nDOB :  03/03/1961", "OKAFOR  ,  MAREN", "PERSON"),
    ("Patient: OKAFOR, Maren\nCollected: 2024-01-02", "OKAFOR, Maren", "PERSON"),
    # mail headers
    ('From: "Okafor, Maren" <m.okafor@example.com>', "Okafor, Maren", "PERSON"),
    ("To: Kowalski, Jan <jan.k@example.org>", "Kowalski, Jan", "PERSON"),
    ('Cc: a@b.com, "Drazenko, Carlos" <cd@example.com>', "Drazenko, Carlos", "PERSON"),
    ("Reply-To: Brunswig, Anika <ab@example.net>", "Brunswig, Anika", "PERSON"),
    # vCard
    ("BEGIN:VCARD\nN:Okafor;Maren;;;\nFN:Maren Okafor\nEND:VCARD", "Okafor", "PERSON"),
    ("BEGIN:VCARD\nN:Okafor;Maren;;;\nFN:Maren Okafor\nEND:VCARD", "Maren", "PERSON"),
    ("BEGIN:VCARD\nFN:Tolulope Adeyemi-Marsh\nEND:VCARD", "Tolulope Adeyemi-Marsh", "PERSON"),
    ("BEGIN:VCARD\nBDAY:19531121\nEND:VCARD", "19531121", "DATE_TIME"),
    ("BEGIN:VCARD\nBDAY:1953-11-21\nEND:VCARD", "1953-11-21", "DATE_TIME"),
    # XML
    ("<Person><GivenName>Maren</GivenName></Person>", "Maren", "PERSON"),
    ("<Person><FamilyName>Okafor</FamilyName></Person>", "Okafor", "PERSON"),
    ("<p><FirstName>Maren</FirstName><LastName>Okafor</LastName></p>", "Okafor", "PERSON"),
    ("<p><Surname>Drazenko</Surname></p>", "Drazenko", "PERSON"),
    ("<p><BirthDate>1953-11-21</BirthDate></p>", "1953-11-21", "DATE_TIME"),
    ("<p><DOB>03/03/1961</DOB></p>", "03/03/1961", "DATE_TIME"),
    ("<p><SSN>532714409</SSN></p>", "532714409", "US_SSN"),
    ("<p><PatientID>48291302</PatientID></p>", "48291302", "MEDICAL_RECORD_NUMBER"),
    ("<p><MRN>H9999999</MRN></p>", "H9999999", "MEDICAL_RECORD_NUMBER"),
    ('<ns:Patient><ns:SSN type="US">532-71-4409</ns:SSN></ns:Patient>', "532-71-4409", "US_SSN"),
    # LDIF
    ("dn: uid=mokafor,ou=people,dc=example\nsn: Okafor\ngivenName: Maren", "Okafor", "PERSON"),
    ("dn: uid=mokafor,ou=people,dc=example\ncn: Maren Okafor\n", "Maren Okafor", "PERSON"),
    # review bylines
    ("Great product, works fine. — Maren O.", "Maren O", "PERSON"),
    ("Maren O., Verified buyer\nFive stars", "Maren O", "PERSON"),
    ("Review by Tavish K. on 2024-02-01", "Tavish K", "PERSON"),
    # transcripts
    ("Agent (Dmitri): Thanks for calling.\nCaller: Hi.", "Dmitri", "PERSON"),
    ("[00:14] Rep (Ilona Wieczorek): Can I help?", "Ilona Wieczorek", "PERSON"),
    (
        "Agent: Can you confirm your date of birth?\nCaller: Sure, it's March 3rd, 1961",
        "March 3rd, 1961",
        "DATE_TIME",
    ),
    ("Agent: Can you confirm your date of birth?\nCaller: 03/03/1961", "03/03/1961", "DATE_TIME"),
    ("Nurse: And your DOB?\n\nPatient: 11/21/1953, I think", "11/21/1953", "DATE_TIME"),
    # OCR labels
    ("D0B: 03/03/1961", "03/03/1961", "DATE_TIME"),
    ("D.0.B 03/03/1961", "03/03/1961", "DATE_TIME"),
    ("DOB : 03/03/1961", "03/03/1961", "DATE_TIME"),
    # tables
    (" id | name  | ssn\n----+-------+-----------\n  1 | Maren | 532714409\n(1 row)", "532714409", "US_SSN"),
    (
        "┌────┬───────┬───────────┐\n│ id │ name  │ ssn       │\n├────┼───────┼───────────┤\n"
        "│ 1  │ Maren │ 532714409 │\n└────┴───────┴───────────┘",
        "532714409",
        "US_SSN",
    ),
    ("id  name   ssn\n1   Maren  532714409\n2   Jan    532714408\n", "532714408", "US_SSN"),
    ("emp_id    dob           dept\n  1041    1961-03-03    HR\n", "1961-03-03", "DATE_TIME"),
    # SSN in transcripts and letters
    ("Agent: and your SSN?\nCaller: My SSN is 532714409", "532714409", "US_SSN"),
    ("Your Social Security Number 532714409 is on file.", "532714409", "US_SSN"),
    # patient numbers
    ("Patient ID: 48291302", "48291302", "MEDICAL_RECORD_NUMBER"),
    ("Patient ID H9999999", "H9999999", "MEDICAL_RECORD_NUMBER"),
    ("MRN: 999-999-999", "999-999-999", "MEDICAL_RECORD_NUMBER"),
    ("codice paziente: 48291302", "48291302", "MEDICAL_RECORD_NUMBER"),
    ("número de historia clínica: 48291302", "48291302", "MEDICAL_RECORD_NUMBER"),
    ("Patientennummer: 48291302", "48291302", "MEDICAL_RECORD_NUMBER"),
    ("Numéro de patient : 7734120", "7734120", "MEDICAL_RECORD_NUMBER"),
]


@pytest.mark.parametrize(("text", "value", "etype"), POSITIVE)
def test_field_layout_found(text: str, value: str, etype: str) -> None:
    assert _covered(text, value, etype), [(f.entity_type, f.start, f.end) for f in guardllm.scan(text)]


NEAR_MISSES = [
    "See TCP/IP and AND/OR in the RFC; I/O is fine.",
    "Route LHR/JFK operated daily, status ON TIME/DELAYED.",
    "12/03 TRANSFER TO SAVINGS ACCOUNT   -250.00",
    "12/04 PAYMENT TO AMAZON MARKETPLACE  -19.99",
    "Status: Open, Pending review",
    "Member: Gold, Premium tier",
    "Take Vitamin D. daily; see Appendix A. and Plan B.",
    "<Name>Blue Widget</Name><Price>12.00</Price>",
    "<SSN>123456789</SSN>",
    "<SSN>000-12-3456</SSN>",
    "<PatientID>pending</PatientID>",
    "SN: Unknown\nfirmware: 1.2.3",
    "id  name   ssn\n1   Maren  000123456\n",
    "Agent: What is your date of birth?\nCaller: I'd rather not say.",
    "Agent: What is the order date?\nCaller: 03/03/2024",
    "Agent (Tier Two): escalating now.",
    "The patient identified 2024 as the start.",
    "Patient ID: pending",
    " id | status | total\n----+--------+------\n  1 | open   | 12.50\n",
    'From: "Support, Acme" <help@acme.example>',
]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_miss_stays_clean(text: str) -> None:
    found = [(f.entity_type, text[f.start : f.end]) for f in guardllm.scan(text)]
    assert [x for x in found if x[0] != "EMAIL_ADDRESS"] == []


def test_adversarial_inputs_scan_in_linear_time() -> None:
    # 200 KB of repeated triggers must complete quickly (a quadratic pass would take minutes);
    # the 1 MB timings are measured outside the suite.
    for unit in (
        "AB/CD ",
        "TRANSFER TO AB CD ",
        "Name: A, ",
        "<SSN>1</SSN>",
        "<a>",
        " X. ",
        "(A):",
        "Ab X. ",
        "Agent (Ab):",
        ":Ab, Cd ",
        "From: Ab, Cd <a@b.c>\n",
        "date of birth\n",
        "d0b ",
        "patient id ",
        "N:a;b;c\n",
        "sn: x\n",
        "a  ssn\n",
        "--+--\n",
    ):
        text = unit * (200_000 // len(unit))
        guardllm.scan(text)
