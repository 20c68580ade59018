"""Names typed in UPPER CASE and bare 9-digit SSNs named by their context, through the public API.

Each positive case is a kind of record that prints names in capitals (statement rows, lab and pharmacy
headers, itineraries, OCR'd ID cards, labelled fields); each near miss is capitals that name no one
(headings, firms, places, table headers) or a nine-digit number that is no SSN.
"""

from __future__ import annotations

import pytest

import guardllm


def _persons(text: str) -> list[str]:
    return [f.text for f in guardllm.scan(text) if f.entity_type == "PERSON"]


def _ssns(text: str) -> list[str]:
    return [f.text for f in guardllm.scan(text) if f.entity_type == "US_SSN"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # statement rows with a payer or payee in capitals
        ("03.10.  SEPA transfer from TOMASZ WIELGOSZ   +65,00", "TOMASZ WIELGOSZ"),
        ("2024-05-02  Zelle payment from MAEVE O'SULLIVAN        250.00", "MAEVE O'SULLIVAN"),
        ("11/02  Faster payment to ISOLDE VAN DER MEER   -40.00", "ISOLDE VAN DER MEER"),
        ("05/14  ACH CREDIT   PAYER: LINNEA ABERNATHY-OKAFOR   1,200.00", "LINNEA ABERNATHY-OKAFOR"),
        ("Wire 05/03  CHIDINMA IYER  REF 8812   -400.00", "CHIDINMA IYER"),
        ("04/11 ZELLE THOMAS VELLKAMP REF 8812 PAYMENT  -25.00", "THOMAS VELLKAMP"),
        # lab / pharmacy headers, "LAST, First" after a patient label
        ("Patient: FITZGERALD, Joaquín    MRN: 65845372", "FITZGERALD, Joaquín"),
        ("Rx# 4471023  Patient: MCALLISTER, RUAIRÍ\nQty 30", "MCALLISTER, RUAIRÍ"),
        ("Insured: DE LA FUENTE, MARÍA JOSÉ", "DE LA FUENTE, MARÍA JOSÉ"),
        # itineraries: SURNAME/GIVEN, with or without a label, particles and accents
        ("PASSENGER 1: VAN DER BERG/MAREVIK MS\n  Passport: L18722372", "VAN DER BERG/MAREVIK"),
        ("1. HAUGEN/JOAQUÍN MR   LH462  FRA-JFK", "HAUGEN/JOAQUÍN"),
        ("Passenger: ROUSSEAU/BENOÎT", "ROUSSEAU/BENOÎT"),
        ("BOARDING PASS\nPASSENGER NAME\nWIELGOSZ/TOMASZ\nFROM FRA TO JFK", "WIELGOSZ/TOMASZ"),
        # OCR'd ID cards with spaced commas
        ("NAME :  NÍ BHRIAIN  ,  DALCEN\nSEX: F", "NÍ BHRIAIN  ,  DALCEN"),
        ("NAME :  VAN DER BERG  ,  SIOBHAN\nSEX: F", "VAN DER BERG  ,  SIOBHAN"),
        # labelled fields in capitals
        ("Beneficiary: MAREK DE LA CRUZ\nIBAN: DE89370400440532013000", "MAREK DE LA CRUZ"),
        ("Account holder: SIOBHAN MAC GIOLLA", "SIOBHAN MAC GIOLLA"),
        ("Payee: GRÁINNE O'DONOVAN", "GRÁINNE O'DONOVAN"),
        ("Card holder: JOÃO PEDRO MENDONÇA", "JOÃO PEDRO MENDONÇA"),
        ("Customer: ABDULLAH AL-FARSI\nOrder 77812", "ABDULLAH AL-FARSI"),
        ("BENEFICIARY NAME    MAREK DE LA CRUZ", "MAREK DE LA CRUZ"),
        ("Name on card: THOMAS VELLKAMP\nExp 04/29", "THOMAS VELLKAMP"),
        ("BORROWER: ISOLDE VAN DER MEER\nCO-BORROWER: TOMASZ WIELGOSZ", "ISOLDE VAN DER MEER"),
        ("BORROWER: ISOLDE VAN DER MEER\nCO-BORROWER: TOMASZ WIELGOSZ", "TOMASZ WIELGOSZ"),
        ("PLAINTIFF: SIOBHAN MAC GIOLLA", "SIOBHAN MAC GIOLLA"),
        ("PAY TO THE ORDER OF GRÁINNE O'DONOVAN  ***150.00***", "GRÁINNE O'DONOVAN"),
    ],
)
def test_upper_case_name_is_found_whole(text: str, name: str) -> None:
    assert name in _persons(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Prescriber: DR. AMARA OKONKWO-BELL   NPI 1234567893", "AMARA OKONKWO-BELL"),
        ("Ordering physician: DR ELIF ŞAHIN", "ELIF ŞAHIN"),
        ("Payer: MRS HALDIS BRØNSTAD", "HALDIS BRØNSTAD"),
        # no label: a known given name starts the span, and a verb in capitals after the surname stays out
        ("IN NO EVENT SHALL THOMAS VELLKAMP BE LIABLE FOR ANY DAMAGES", "THOMAS VELLKAMP"),
        ("THOMAS VELLKAMP DISCLAIMS ALL WARRANTIES", "THOMAS VELLKAMP"),
    ],
)
def test_title_and_label_stay_outside_the_span(text: str, name: str) -> None:
    found = _persons(text)
    assert found == [name]


@pytest.mark.parametrize(
    "text",
    [
        "ACCOUNT SUMMARY\nTOTAL DUE  $1,204.00",
        "JUNE SALES REPORT",
        "PAYMENT TO ACME SUPPLIES LLC   -300.00",
        "TRANSFER TO SAVINGS ACCOUNT  -100.00",
        "SEPA transfer from PAYPAL EUROPE  +12,00",
        "DIRECT DEBIT FROM VODAFONE LTD",
        "TRANSFER TO CENTRAL PARK GARAGE  -3.00",
        "Name: ACME HOLDINGS INC",
        "Payee: CITY OF AUSTIN WATER",
        "Customer: GLOBEX CORP",
        "Payer: FIRST NATIONAL BANK",
        "Beneficiary: DEUTSCHE BANK AG",
        "Account holder: JOINT ACCOUNT",
        "Passenger: ADULT/CHILD",
        "PASSENGER INFO\nFRA/JFK\nLH/UA CODESHARE",
        "123 MAIN STREET\nAUSTIN TX 78701",
        "GRACE CHURCH  donation  -50.00",
        "MONDAY MEETING NOTES",
        "ORDER STATUS: SHIPPED\nCARRIER: UPS GROUND",
        "INVOICE TOTAL\nAMOUNT DUE",
        "MARTIN MARIETTA MATERIALS INC  -1,200.00",
        "FRANCISCO MORAZAN AVE",
        "DR. PEPPER 12 PACK",
        "NEW YORK, NY",
        "Q3 ROADMAP: API GATEWAY, SSO, RBAC",
        "PAYMENT TO ANNA SCHMIDT GMBH  -80.00",
        "Transfer to THOMAS VELLKAMP HOLDINGS LTD  -1,000.00",
        "TRAFFIC ON THE GEORGE VELLKAMP BRIDGE",
        "SAN DIEGO HARBOR TOUR",
        "MARTIN LUTHER KING JR BLVD",
        "BILLIE JEAN KING CUP",
        "MARIA DB CONNECTION FAILED",
        "Card: VISA PLATINUM",
        "PAY TO THE ORDER OF ACME ROOFING LLC",
        "Provider: BLUE CROSS",
        "Parent: ACME HOLDINGS",
        "Seller: NORTHWIND TRADERS INC",
    ],
)
def test_capitals_that_name_no_one_stay_unflagged(text: str) -> None:
    assert _persons(text) == []


@pytest.mark.parametrize(
    ("text", "ssn"),
    [
        ("my SSN is 383198266", "383198266"),
        ("SSN on file: 830891564", "830891564"),
        ("His Social Security number on file is 830891564 and his address is unchanged.", "830891564"),
        ("SS#: 240767459", "240767459"),
        (
            "Agent: And the last four of your social?\nCaller: Actually the whole thing is 383198266, sorry.",
            "383198266",
        ),
        ("Agent: Can I get your social security number?\nCaller: sure it's 567324941.", "567324941"),
        # the keyword after the number
        ("383198266 (SSN)", "383198266"),
        ("Caller: 567324941 is my social security number.", "567324941"),
        ("applicant 830891564 - SSN, verified", "830891564"),
    ],
)
def test_bare_nine_digit_ssn_with_ssn_context(text: str, ssn: str) -> None:
    assert _ssns(text) == [ssn]


@pytest.mark.parametrize(
    "text",
    [
        "Order #383198266 shipped",
        "Account number 830891564",
        "Last four of SSN: 6266. Your order number is 383198266.",
        "Agent: last four please?\nCaller: 383198266",
        "Social media followers: 383198266",
        "EIN 830891564",
        "routing number 021000021",
        "SSN on file. Tracking number 383198266",
        "Social Security Administration letter, case number 383198266",
        "SSN verified.\nOrder 383198266 ships Monday.",
        "Order 383198266 (SSN required at pickup)",
        "Account 830891564 is linked to the SSN on file",
        "383198266\nSSN verified separately",
        "tracking 383198266 and then, much later in the same line, the SSN was checked",
        # the SSN area / group / serial rules still apply
        "my SSN is 000123456",
        "SSN 666123456",
        "SSN 912345678",
        "SSN 123004567",
        "SSN 123450000",
    ],
)
def test_nine_digit_numbers_without_ssn_context_stay_no_ssn(text: str) -> None:
    assert _ssns(text) == []


def test_guard_mask_hides_upper_case_payer_and_bare_ssn() -> None:
    guard = guardllm.Guard(store="memory://")
    text = "03.10.  SEPA transfer from TOMASZ WIELGOSZ   +65,00\nSSN on file: 830891564"
    masked = guard.mask(text)
    assert "TOMASZ" not in masked and "WIELGOSZ" not in masked
    assert "830891564" not in masked
    assert "SEPA transfer from" in masked and "+65,00" in masked
