"""Precision: role words, firms, drug codes, listings and street names that are not personal data.

Each must-not-fire case is paired with a neighbour that must still fire, so a fix that simply
stops detecting a whole category fails here.
"""

from __future__ import annotations

import pytest

import guardllm


def _types(text: str) -> list[str]:
    return [f.entity_type for f in guardllm.scan(text)]


def _spans(text: str, entity: str) -> list[str]:
    return [text[f.start : f.end] for f in guardllm.scan(text) if f.entity_type == entity]


@pytest.mark.parametrize(
    "text",
    [
        "Dear Parent/Guardian, the school trip is on Friday.",
        "Dear Parent or Guardian, please sign the form.",
        "Dear Guardian, your child was absent today.",
        "Dear Customer, your order has shipped.",
        "Dear Valued Customer, thank you for your loyalty.",
        "Dear Applicant, we received your form.",
        "Dear Member, renewals open Monday.",
        "Dear Colleague, see the agenda below.",
        "Dear Resident, the water will be off.",
        "Dear Patient, your results are ready.",
        "Dear Sir or Madam, I am writing to complain.",
        "Dear Team, great work this quarter.",
        "Dear Friend, thank you for your gift.",
        "Dear Hiring Manager, please find my CV attached.",
        "Dear Student, classes resume on Monday.",
        "Dear Homeowner, your policy is due.",
        "Dear Policyholder, rates change in May.",
        "Dear Tenant, rent is due on the 1st.",
    ],
)
def test_salutation_role_is_not_a_person(text: str) -> None:
    assert "PERSON" not in _types(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Dear Priya, the school trip is on Friday.", "Priya"),
        ("Dear Okonkwo, please sign the form.", "Okonkwo"),
    ],
)
def test_salutation_name_still_fires(text: str, name: str) -> None:
    assert name in _spans(text, "PERSON")


@pytest.mark.parametrize(
    "text",
    [
        "Contact Harbor Realty for a tour.",
        "Listed by Pacific Crest Realty today.",
        "Ask Sunrise Dental about the cleaning.",
        "Contact Blue Oak Partners for details.",
        "Contact Riverside Pharmacy for a refill.",
        "Contact Westlake Credit Union today.",
        "Contact Golden Crust Bakery for the order.",
        "Contact Maple Grove Homes for a viewing.",
    ],
)
def test_organisation_last_word_is_not_a_person(text: str) -> None:
    assert "PERSON" not in _types(text)


def test_person_beside_organisation_still_fires() -> None:
    text = "Contact Harbor Lim for a tour."
    assert _spans(text, "PERSON") == ["Harbor Lim"]
    text = "Contact Dana Whitfield at Harbor Realty."
    assert _spans(text, "PERSON") == ["Dana Whitfield"]


@pytest.mark.parametrize(
    "text",
    [
        "Dispense NDC 0093-8191-01 once daily.",
        "Refill code 0093-8191-01 at the counter.",
        "Item 50090-1234-1 and 0378-6157-93 are in stock.",
        "Package 00093-819-10 was recalled.",
    ],
)
def test_ndc_drug_code_is_not_a_phone(text: str) -> None:
    assert "PHONE_NUMBER" not in _types(text)


@pytest.mark.parametrize(
    "text",
    [
        "Call 0044 20 7946 0958 now.",
        "Call 0049-30-1234567 now.",
        "Phone 0093-819-1011 after six.",
        "Call 415-555-0132 today.",
    ],
)
def test_phone_with_same_digit_count_still_fires(text: str) -> None:
    assert "PHONE_NUMBER" in _types(text)


@pytest.mark.parametrize(
    "text",
    [
        "Condo 2 bd / 2 ba, great view.",
        "Home: 3 bd | 2 ba | 1,450 sqft.",
        "Listing: 4 bd, 3 ba, garage.",
    ],
)
def test_listing_bedrooms_are_not_a_french_address(text: str) -> None:
    assert "LOCATION" not in _types(text)


@pytest.mark.parametrize(
    "text",
    [
        "J'habite au 12 bd Saint-Michel, 75005 Paris.",
        "Livraison au 8 bd de la Liberté, Lyon.",
        "Rendez-vous au 3 boulevard Haussmann, Paris.",
    ],
)
def test_french_boulevard_address_still_fires(text: str) -> None:
    assert "LOCATION" in _types(text)


@pytest.mark.parametrize(
    "text",
    [
        "Then turn left on Martin Luther King Jr Blvd and continue.",
        "Then turn left on Martin Luther King Jr. Blvd and continue.",
        "Turn right on Martin Luther King Blvd.",
        "Take MLK Jr Way north.",
        "Merge onto John F Kennedy Pkwy after the bridge.",
    ],
)
def test_name_inside_street_name_is_not_a_person(text: str) -> None:
    assert "PERSON" not in _types(text)


def test_person_and_street_address_still_fire() -> None:
    assert "PERSON" in _types("I met with Martin Luther King Jr yesterday.")
    text = "Meet me at 400 Martin Luther King Jr Blvd, Atlanta, GA 30303."
    assert "LOCATION" in _types(text)
