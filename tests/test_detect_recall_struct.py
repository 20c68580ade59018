"""Recall for structured exports and labelled values that a held-out measurement showed missed:
CSV/TSV/semicolon exports with a header row, MRN / TIN labels, ES/DE mobiles after a phone word,
UK postcodes, European "street line / postcode town" addresses and "Bill to:" blocks.  Each group
has near-misses that must stay clean.  Everything goes through the public ``guardllm.scan`` /
``guardllm.scan_object`` API.
"""

from __future__ import annotations

import pytest

import guardllm


def covered(text: str, value: str) -> bool:
    """Every letter/digit of ``value`` (first occurrence) lies inside some finding."""
    i = text.find(value)
    assert i >= 0, "test value must occur in its text"
    found = guardllm.scan(text)
    return all(
        any(f.start <= k < f.end for f in found) or not text[k].isalnum() for k in range(i, i + len(value))
    )


def one_span(text: str, value: str) -> bool:
    """``value`` lies inside one single finding (an address is not cut in pieces)."""
    i = text.find(value)
    return any(f.start <= i and i + len(value) <= f.end for f in guardllm.scan(text))


# -- 1. delimited exports with a header row --------------------------------------------------------
CSV = (
    "first_name,last_name,mrn,dob,ssn,phone,email\n"
    "Tavish,Okafor,0048213,1957-03-14,316281282,+1 415 555 0199,t.okafor@example.com\n"
    "Maren,Lindqvist,55-0912,03/14/1957,316-28-1282,(212) 555-0143,maren@example.org\n"
    "ANA,LIMA,MRN4829130,14 Mar 1957,316 28 1282,661 422 731,ana@example.net\n"
    'jonas,weber,A0048213,"March 14, 1957",219-09-9998,0151 08185112,jw@example.de\n'
)


@pytest.mark.parametrize(
    "value",
    [
        "Tavish",
        "Okafor",
        "0048213",
        "1957-03-14",
        "316281282",
        "Maren",
        "Lindqvist",
        "55-0912",
        "03/14/1957",
        "316-28-1282",
        "ANA",
        "LIMA",
        "MRN4829130",
        "14 Mar 1957",
        "316 28 1282",
        "661 422 731",
        "jonas",
        "weber",
        "A0048213",
        "March 14, 1957",
        "0151 08185112",
    ],
)
def test_csv_column_values_found_in_every_row(value: str) -> None:
    assert covered(CSV, value)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        (
            "first_name\tlast_name\tmrn\tdob\tssn\nTavish\tOkafor\t0048213\t14.03.1957\t316281282\n",
            ["Tavish", "Okafor", "0048213", "14.03.1957", "316281282"],
        ),
        (
            "first_name;last_name;geburtsdatum;telefon\nJonas;Weber;14.03.1957;0151 08185112\n",
            ["Jonas", "Weber", "14.03.1957", "0151 08185112"],
        ),
        (
            "| first_name | last_name | dob | ssn |\n|---|---|---|---|\n| Tavish | Okafor | 14 Mar 1957 | 316 28 1282 |\n",
            ["Tavish", "Okafor", "14 Mar 1957", "316 28 1282"],
        ),
        (
            "First Name,Last Name,Date of Birth,Tax ID\r\nJosé,Núñez,1957/03/14,316281282\r\n",
            ["José", "Núñez", "1957/03/14", "316281282"],
        ),
        ("patient_id,mrn,birth_date\n7,0048213,19570314\n", ["0048213", "19570314"]),
        ("fname,lname,dob\nAna,Lima,1957-03-14\n", ["Ana", "Lima", "1957-03-14"]),
        (
            "Name,E-mail,Phone#,D.O.B.,SSN#\nAna Lima,ana@x.com,0151 08185112,1957-03-14,316281282\n",
            ["0151 08185112", "1957-03-14", "316281282"],
        ),
        (",first_name,last_name,ssn\n0,Ana,Lima,316281282\n", ["Ana", "Lima", "316281282"]),
    ],
)
def test_tsv_semicolon_markdown_and_variants(text: str, values: list[str]) -> None:
    for v in values:
        assert covered(text, v), v


@pytest.mark.parametrize(
    "text",
    [
        "order_id,amount,sku\n316281282,12.50,AB-1\n",
        "id\tcount\n316281282\t4\n",
        "a;b;c\n1;2;3\n",
        "name,version\nnumpy,1.26.4\n",
        "first_name,last_name\nNULL,unknown\n",
        "dob\n19571314\n",  # month 13: not a date
    ],
)
def test_exports_without_sensitive_columns_stay_clean(text: str) -> None:
    assert guardllm.scan(text) == []


# -- 2. medical record numbers -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Patient MR#: 0048213 admitted.", "0048213"),
        ("MR #: 0048213", "0048213"),
        ("MR No. 0048213", "0048213"),
        ("Record MRN4829130 updated.", "4829130"),
        ("Pt seen, MRN#48291302, stable", "48291302"),
        ("Medical record no. 55-0912 was merged.", "55-0912"),
        ("MRN: 48291302", "48291302"),
        ('{"mrn": "0048213"}', "0048213"),
        ("mrn=A0048213", "A0048213"),
        ("MRN-0048213", "MRN-0048213"),
        ("Record MRN4829130 updated.", "MRN4829130"),
    ],
)
def test_medical_record_numbers(text: str, value: str) -> None:
    assert covered(text, value)
    assert any(f.entity_type == "MEDICAL_RECORD_NUMBER" for f in guardllm.scan(text))


@pytest.mark.parametrize(
    "text", ["The MRN field is required", "MR2 engine running", "Mr Smithers and MRI 3T"]
)
def test_mrn_near_misses(text: str) -> None:
    assert not any(f.entity_type == "MEDICAL_RECORD_NUMBER" for f in guardllm.scan(text))


# -- 3. dates of birth under a key ---------------------------------------------------------------
@pytest.mark.parametrize("key", ["dob", "birth_date", "date_of_birth", "DOB", "birthDate", "patient_dob"])
@pytest.mark.parametrize("date", ["1957-03-14", "03/14/1957", "14.03.1957", "14 Mar 1957", "March 14, 1957"])
def test_dob_keys_every_format(key: str, date: str) -> None:
    assert covered(f"{key}: {date}", date)
    assert covered(f'{{"{key}": "{date}"}}', date)
    found = guardllm.scan_object({key: date})
    assert [f.entity_type for f in found] == ["DATE_TIME"]


# -- 4. SSNs and taxpayer ids ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Please use taxpayer id 316-28-1282 on the form.", "316-28-1282"),
        ("TIN: 316-28-1282", "316-28-1282"),
        ("TIN 316281282", "316281282"),
        ("Taxpayer Identification Number (TIN): 316-28-1282", "316-28-1282"),
        ("tax_id: 316281282", "316281282"),
        ("ssn=316281282", "316281282"),
    ],
)
def test_taxpayer_ids(text: str, value: str) -> None:
    assert covered(text, value)


def test_ssn_fields_in_objects() -> None:
    found = guardllm.scan_object({"tax_id": "316281282", "ssn": "316 28 1282", "order_id": "316281282"})
    assert sorted(f.field_path for f in found) == ["ssn", "tax_id"]
    assert guardllm.scan_object({"tax_id": "666281282"}) == []  # area 666 is never issued


@pytest.mark.parametrize(
    "text",
    [
        "Invoice 316281282 paid.",
        "Tax 19% on 316281282 units",
        "TIN 666-28-1282",
        "tin can 12",
        "ref 316281282",
    ],
)
def test_nine_digit_numbers_elsewhere_stay_clean(text: str) -> None:
    assert not any(f.entity_type == "US_SSN" for f in guardllm.scan(text))


# -- 5. Spanish and German mobiles -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Llámame al 661 422 731 mañana", "661 422 731"),
        ("Móvil: +34 661 422 731", "+34 661 422 731"),
        ("Mi móvil es 661422731", "661422731"),
        ("whatsapp +34661422731", "+34661422731"),
        ("Handy: 0151-08185112", "0151-08185112"),
        ("Tel. 0151 08185112", "0151 08185112"),
        ("call me on 0151 08185112", "0151 08185112"),
        ("Telefon: +49 151 08185112", "+49 151 08185112"),
        ('{"handy": "0151 08185112"}', "0151 08185112"),
        ("Handy 0151 0818 5112", "0151 0818 5112"),
        ("Tel: 661 42 27 31", "661 42 27 31"),
    ],
)
def test_european_mobiles_with_context(text: str, value: str) -> None:
    assert covered(text, value)


@pytest.mark.parametrize(
    "text",
    [
        "ticket 661 422 731 closed",
        "build 0151-08185112 ok",
        "call in 5 minutes, 661 people joined",
        "661 422 731",
    ],
)
def test_number_groups_without_phone_context_stay_clean(text: str) -> None:
    assert not any(f.entity_type == "PHONE_NUMBER" for f in guardllm.scan(text))


# -- 6. addresses --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("221B Baker Street, London NW1 6XE", "221B Baker Street, London NW1 6XE"),
        ("Flat 2, 10 Downing Street, London SW1A 2AA", "Flat 2, 10 Downing Street, London SW1A 2AA"),
        ("Office: 1 Piccadilly, Manchester M1 1AE", "1 Piccadilly, Manchester M1 1AE"),
        ("She lives at 1 Piccadilly, Manchester M1 1AE now", "1 Piccadilly, Manchester M1 1AE"),
        ("Birmingham B33 8TH", "Birmingham B33 8TH"),
        ("Write to London EC1A 1BB.", "London EC1A 1BB"),
        ("Kastanienallee 12\n10435 Berlin", "Kastanienallee 12\n10435 Berlin"),
        ("Hauptstraße 5\nD-80331 München", "Hauptstraße 5\nD-80331 München"),
        ("12 rue de la Paix\n75002 Paris", "12 rue de la Paix\n75002 Paris"),
        ("Keizersgracht 246\n1015 CJ Amsterdam", "Keizersgracht 246\n1015 CJ Amsterdam"),
        ("Keizersgracht 246, 1015 CJ Amsterdam", "Keizersgracht 246, 1015 CJ Amsterdam"),
        ("Calle Mayor 5\n28013 Madrid", "Calle Mayor 5\n28013 Madrid"),
        ("Avenida de la Constitución 12\n41004 Sevilla", "Avenida de la Constitución 12\n41004 Sevilla"),
        ("Via Roma 10\n00184 Roma", "Via Roma 10\n00184 Roma"),
        ("Ship to: 12 rue de la Paix, 75002 Paris", "12 rue de la Paix, 75002 Paris"),
        ("C/ Mayor 5\n28013 Madrid", "C/ Mayor 5\n28013 Madrid"),
        ("Hauptstr. 5\n80331 München", "Hauptstr. 5\n80331 München"),
        ("Bahnhofstrasse 1\nCH-8001 Zürich", "Bahnhofstrasse 1\nCH-8001 Zürich"),
        ("Postcode: EC1A 1BB", "EC1A 1BB"),
        (
            "221B Baker Street\nMarylebone\nLondon\nNW1 6XE\nthanks",
            "221B Baker Street\nMarylebone\nLondon\nNW1 6XE",
        ),
        ("10 Downing Street,\nLondon,\nSW1A 2AA", "10 Downing Street,\nLondon,\nSW1A 2AA"),
        ("He lives at Calle Mayor 5\n28013 Madrid", "Calle Mayor 5\n28013 Madrid"),
        ("Send it to Via Roma 10\n00184 Roma\nItalia", "Via Roma 10\n00184 Roma\nItalia"),
        ("221B Baker Street\nLondon NW1 6XE", "221B Baker Street\nLondon NW1 6XE"),
    ],
)
def test_addresses_are_one_span(text: str, value: str) -> None:
    assert one_span(text, value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (
            "Bill To:\nMaren Lindqvist\nKeizersgracht 246\n1015 CJ Amsterdam\nNetherlands\n\nTotal: 12",
            "Maren Lindqvist\nKeizersgracht 246\n1015 CJ Amsterdam\nNetherlands",
        ),
        (
            "SHIP TO:\nOkafor Ltd\n221B Baker Street\nLondon NW1 6XE\nUnited Kingdom",
            "221B Baker Street\nLondon NW1 6XE\nUnited Kingdom",
        ),
        (
            "BILL TO\nJane Roe\n12 rue de la Paix\n75002 Paris\nFrance",
            "12 rue de la Paix\n75002 Paris\nFrance",
        ),
        (
            "Ship to:\n725 Nicholas Inlet Apt. 072\nBookerton, DC 03998\nThanks",
            "725 Nicholas Inlet Apt. 072\nBookerton, DC 03998",
        ),
    ],
)
def test_bill_to_blocks(text: str, value: str) -> None:
    assert one_span(text, value)
    assert not covered(text, "Thanks") if "Thanks" in text else True
    assert not covered(text, "Total") if "Total" in text else True


@pytest.mark.parametrize(
    "text",
    [
        "The year 1957 and 12 items\n10435 units shipped",
        "Step 2 via the API\n2024 Results",
        "Chapter 12 Via Dolorosa\n10435 Pages",
        "Ship to: the warehouse\n\nOK",
        "Bill to:\nAcme Corp\nNet 30\n",
        "room B33 8TH",
        "Use SKU AB1 2CD in the form",
        "Ship to the warehouse by Friday\nRoute 66 closed",
    ],
)
def test_address_near_misses_stay_clean(text: str) -> None:
    assert not any(f.entity_type == "LOCATION" for f in guardllm.scan(text))


def test_prose_before_a_street_line_stays_out_of_the_span() -> None:
    text = "Dear team, the customer moved to Keizersgracht 246\n1015 CJ Amsterdam\nNetherlands\nThanks"
    assert one_span(text, "Keizersgracht 246\n1015 CJ Amsterdam\nNetherlands")
    assert not covered(text, "customer moved")
    assert not covered(text, "Thanks")


def test_spaced_mrn_label_is_not_part_of_the_value() -> None:
    found = guardllm.scan("MRN 0048213; MRN4829130")
    assert [f.text for f in found] == ["0048213", "MRN4829130"]


@pytest.mark.parametrize("text", ["Meeting Room 12\n10435 Berlin", "Chapter 12 Via Dolorosa\n10435 Pages"])
def test_number_lines_that_are_not_streets(text: str) -> None:
    assert not any(f.entity_type == "LOCATION" for f in guardllm.scan(text))
