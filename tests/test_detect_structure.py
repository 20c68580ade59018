"""Names, addresses and dates found from context and from structure (keys, columns, rows)."""

from __future__ import annotations

import pytest

import guardllm


def values(text: str, etype: str) -> list[str]:
    return [f.text for f in guardllm.scan(text) if f.entity_type == etype]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hello, my name is Tavish Quarrender and I need help.", "Tavish Quarrender"),
        ("Hey there - I'm Ji-woo Park, calling about my bill.", "Ji-woo Park"),
        ("Dear Imelda Struthers-Vane,\nyour order shipped.", "Imelda Struthers-Vane"),
        ("Thanks,\nOrsolya Benedek", "Orsolya Benedek"),
        ("Patient: Émilie De Sousa\nDOB: 1970-01-02", "Émilie De Sousa"),
        ("Pt seen. Patient: O'Rourke, Siobhan. Stable.", "O'Rourke, Siobhan"),
        ("Seen by Dr. Okonkwo this morning.", "Okonkwo"),
        ("Cardholder Zebediah Marlowe disputed the charge.", "Zebediah Marlowe"),
        ("Contact Quillon Vantreese <q.vantreese@example.org> for access.", "Quillon Vantreese"),
        ("Forwarded by Leon van Nimwegen today.", "Leon van Nimwegen"),
        ("Rows: (12, 'Brannoch Tillery', 'btillery@example.net', '415-555-0101')", "Brannoch Tillery"),
        ("Anselm Grubbe - anselm.grubbe@example.com", "Anselm Grubbe"),
        ('{"id": 3, "full_name": "Marisol Ybarra", "tier": "gold"}', "Marisol Ybarra"),
        ("customer_name=Horst-Günter Vollbrecht level=info", "Horst-Günter Vollbrecht"),
        ("Patient Name: Caoimhe Ní Bhraonáin", "Caoimhe Ní Bhraonáin"),
    ],
)
def test_person_from_context(text: str, name: str) -> None:
    assert name in values(text, "PERSON"), guardllm.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "Please Note: The Quarterly Report is attached.",
        "Build Pipeline Failed at Stage Deploy",
        '{"name": "Widget Pro", "price": 12}',
        '{"product_name": "Acme Corp Premium Plan"}',
        "INFO Service Started OK",
    ],
)
def test_capitalised_words_alone_are_not_people(text: str) -> None:
    assert values(text, "PERSON") == []


@pytest.mark.parametrize(
    ("text", "addr"),
    [
        (
            "Address: 74, rue Philippe, 77799 Sainte Gabrielle\nNext",
            "74, rue Philippe, 77799 Sainte Gabrielle",
        ),
        (
            "Ship to 1600 Pennsylvania Avenue NW, Washington, DC 20500 today",
            "1600 Pennsylvania Avenue NW, Washington, DC 20500",
        ),
        ("lives at 55 Oak Street Apt 4B, Boston, MA 02118.", "55 Oak Street Apt 4B, Boston, MA 02118"),
        ("Wohnt in Salzstraße 9/7, 13040 Pasewalk seit Mai", "Salzstraße 9/7, 13040 Pasewalk"),
        (
            '{"home_address": "Flat 7, Judith Parkway, Lewisside, KY5 9YT"}',
            "Flat 7, Judith Parkway, Lewisside, KY5 9YT",
        ),
    ],
)
def test_addresses(text: str, addr: str) -> None:
    assert addr in values(text, "LOCATION"), guardllm.scan(text)


def test_dates_need_birth_context() -> None:
    assert values("DOB: 13.08.1965", "DATE_TIME") == ["13.08.1965"]
    assert values('{"birth_date": "1981-12-24"}', "DATE_TIME") == ["1981-12-24"]
    assert values("deployed on 2024-05-01 at noon", "DATE_TIME") == []


def test_markdown_table_columns() -> None:
    text = "| Name | Email | DOB |\n|---|---|---|\n| Kofi Mensah | kofi@example.org | 1984-02-29 |\n"
    fs = {(f.entity_type, f.text) for f in guardllm.scan(text)}
    assert ("PERSON", "Kofi Mensah") in fs
    assert ("DATE_TIME", "1984-02-29") in fs


def test_csv_header_columns() -> None:
    text = "id,name,phone,address\n1,Juan Pérez,+34 612 345 678,Calle Mayor 12\n"
    fs = {(f.entity_type, f.text) for f in guardllm.scan(text)}
    assert ("PERSON", "Juan Pérez") in fs
    assert ("PHONE_NUMBER", "+34 612 345 678") in fs
    assert ("LOCATION", "Calle Mayor 12") in fs


def test_key_value_log_line_and_http_header() -> None:
    text = "patient_name=Hana Kobayashi mrn=00482913 dob=1975-07-04\nX-User-Email: tom.hardy@example.com"
    fs = {(f.entity_type, f.text) for f in guardllm.scan(text)}
    assert {
        ("PERSON", "Hana Kobayashi"),
        ("MEDICAL_RECORD_NUMBER", "00482913"),
        ("DATE_TIME", "1975-07-04"),
        ("EMAIL_ADDRESS", "tom.hardy@example.com"),
    } <= fs


def test_sql_insert_row() -> None:
    text = "INSERT INTO users VALUES (7, 'Sade Adeyemi', 'sade.a@example.com', '+44 7700 900123');"
    assert values(text, "PERSON") == ["Sade Adeyemi"]


def test_dict_text() -> None:
    text = "{'full_name': 'Björn Ågren', 'card_number': '5555 5555 5555 4444', 'passport': 'X1234567'}"
    fs = {(f.entity_type, f.text) for f in guardllm.scan(text)}
    assert {
        ("PERSON", "Björn Ågren"),
        ("CREDIT_CARD", "5555 5555 5555 4444"),
        ("US_PASSPORT", "X1234567"),
    } <= fs


def test_offsets_survive_letters_that_lower_case_to_two_characters() -> None:
    # 'İ'.lower() is two code points; context windows must still line up with the text.
    text = (
        "İlkay İnönü (DOB 20/05/1945) was admitted. Attendees: Jacob Price, Emmanuelle Rolland and Ana Lima."
    )
    fs = {(f.entity_type, f.text) for f in guardllm.scan(text)}
    assert ("DATE_TIME", "20/05/1945") in fs
    assert {("PERSON", "Jacob Price"), ("PERSON", "Emmanuelle Rolland"), ("PERSON", "Ana Lima")} <= fs
    for f in guardllm.scan(text):
        assert text[f.start : f.end] == f.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Pt Name: Oyelaran Bakare\nD.O.B.: 04/12/1958\nMRN#: 00982231",
            {
                ("PERSON", "Oyelaran Bakare"),
                ("DATE_TIME", "04/12/1958"),
                ("MEDICAL_RECORD_NUMBER", "00982231"),
            },
        ),
        (
            "Patient Name - Ximena Quispe | Date of Birth - 1989-11-02 | Med Rec # 4471920",
            {("PERSON", "Ximena Quispe"), ("DATE_TIME", "1989-11-02"), ("MEDICAL_RECORD_NUMBER", "4471920")},
        ),
        (
            "claimant: Tobiah Quennell; policy number: HX-99812-7",
            {("PERSON", "Tobiah Quennell"), ("HEALTH_PLAN_ID", "HX-99812-7")},
        ),
        (
            "<tr><td>Name</td><td>Kwabena Asante</td></tr><dt>DOB</dt><dd>1970-01-02</dd>",
            {("PERSON", "Kwabena Asante"), ("DATE_TIME", "1970-01-02")},
        ),
    ],
)
def test_other_label_styles(text: str, expected: set[tuple[str, str]]) -> None:
    assert expected <= {(f.entity_type, f.text) for f in guardllm.scan(text)}


@pytest.mark.parametrize(
    "addr",
    [
        "rue Techer, 17343 Jean",
        "chemin de Simon, 86193 Descamps",
        "avenue Dupont, 56230 Lefèvre-les-Bains",
        "Röhrdanzweg 6-4, 06444 Sternberg",
        "Slobodan-Carsten-Gasse 21-82, 51138 Rosenheim",
        "Ronda Amelia Vicens 8 Apt. 60 , Barcelona, 21727",
        "Vicolo Ariasso, 6 Piano 5, 73024, Maglie (LE)",
        "Damianlaan 657, 6862 KV, Druten",
        "Flat 8, Summers Shoal, McCarthyhaven, W6 9PH",
        "Unit 3901 Box 4030, DPO AA 70815",
    ],
)
def test_european_and_military_addresses_in_free_text(addr: str) -> None:
    assert addr in values(f"Please ship the replacement to {addr}. Thanks!", "LOCATION")


@pytest.mark.parametrize(
    "text",
    ["send it via email 5 times, Bob", "Place your order at 10, Main", "we talked via Slack, 12 messages"],
)
def test_street_words_in_prose_are_not_addresses(text: str) -> None:
    assert values(text, "LOCATION") == []


def test_multi_line_addresses() -> None:
    text = "Address: Flat 91h\nTaylor Rapid\nOliviatown\nRM0 2LW\nPlan: rest"
    assert values(text, "LOCATION") == ["Flat 91h\nTaylor Rapid\nOliviatown\nRM0 2LW"]
    text = "Ship to:\n725 Nicholas Inlet Apt. 072\nBookerton, DC 03998\nThanks"
    assert values(text, "LOCATION") == ["725 Nicholas Inlet Apt. 072\nBookerton, DC 03998"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Date of Birth: 12-Mar-1985", "12-Mar-1985"),
        ('{"dob": "1985-03-12T00:00:00Z"}', "1985-03-12T00:00:00Z"),
        ("born 3/12/85", "3/12/85"),
        ("birthday: March 12th, 1985", "March 12th, 1985"),
    ],
)
def test_date_of_birth_forms(text: str, value: str) -> None:
    assert values(text, "DATE_TIME") == [value]


def test_lower_case_names_need_a_given_name_or_a_spelling_email() -> None:
    assert values("hi, my name is john smith, email john.smith@example.com", "PERSON") == ["john smith"]
    assert values("this is osevque ranmoran, mail oranmoran@example.io", "PERSON") == ["osevque ranmoran"]
    assert values("i am trying to log in; this is urgent", "PERSON") == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("NAME: JOHN SMITH\nDOB: 01/02/1970", "JOHN SMITH"),
        ("Patient: John Q. Public, DOB 01/02/1970", "John Q. Public"),
        ("Patient: Smith, John", "Smith, John"),
        ("Dr. Johnson said so", "Johnson"),
        ("Thanks to Maria Gonzalez's team, customer Maria Gonzalez's order shipped", "Maria Gonzalez"),
    ],
)
def test_name_shapes(text: str, name: str) -> None:
    assert name in values(text, "PERSON")


@pytest.mark.parametrize(
    "text",
    [
        "Customer: Globex Industries",
        "Owner: Marketing Ops",
        "Owner: Payments Squad",
        "Owner: Enterprise Accounts",
        "Contact: Front Desk",
        "Contact: Sales Desk",
        "INSURED: STATE FARM",
        "INSURED: BLUE CROSS BLUE SHIELD",
        "PATIENT: NOT ON FILE",
        "Name: N/A",
        "Name: To Be Determined",
        "Contact: Customer Success Team",
        "Owner: Site Reliability",
        "Customer: General Public",
        '{"customer": "Globex Industries", "email": "ops@example.com"}',
        "Dear Applicant,\nthank you for applying.",
    ],
)
def test_label_values_that_are_not_people(text: str) -> None:
    assert values(text, "PERSON") == [], guardllm.scan(text)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("assignee", "Unassigned"),
        ("name", "Redacted"),
        ("patient", "Unknown"),
        ("firstname", "null"),
        ("lastname", "Unassigned"),
        ("owner", "Billing Team"),
        ("customer", "Walk In"),
        ("insured", "Aetna"),
    ],
)
def test_key_values_that_are_placeholders_or_teams(key: str, value: str) -> None:
    from guardllm.detect.structure import value_type

    assert value_type(key, value) is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Customer: Zebulon Quarrick", "Zebulon Quarrick"),
        ("Owner: Marta Quist", "Marta Quist"),
        ("INSURED: JOHN SMITH", "JOHN SMITH"),
        ("PATIENT: QUARRICK, ZEBULON", "QUARRICK, ZEBULON"),
        ("Patient: O'Rourke, Siobhan", "O'Rourke, Siobhan"),
        ("Assignee: Dana Field", "Dana Field"),
        ("Contact: Grace Hall", "Grace Hall"),
        ("Owner: Frank Marketing", "Frank Marketing"),
        ("INSURED: MARY STATE", "MARY STATE"),
        ('{"customer": "Ilse Varghese", "email": "ilse@example.com"}', "Ilse Varghese"),
        ("first_name: Zeb\nlast_name: Quarrick", "Zeb"),
        ("first_name: Zeb\nlast_name: Quarrick", "Quarrick"),
        ('{"first_name": "Travis", "last_name": "LIMA", "email": "t@example.com"}', "Travis"),
        ('{"first_name": "Travis", "last_name": "LIMA", "email": "t@example.com"}', "LIMA"),
    ],
)
def test_real_names_under_labels_stay_found(text: str, name: str) -> None:
    assert name in values(text, "PERSON"), guardllm.scan(text)
