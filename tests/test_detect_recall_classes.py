"""Recall for four classes of text a held-out corpus found missing, through the public API.

URL-encoded values (query strings, form posts), SQL INSERT statements, profile/KYC key names, and
one-word names after a sign-off.  Every example is invented; each class has near-misses that must
stay unflagged.
"""

from __future__ import annotations

import guardllm
from guardllm import Guard


def _found(text: str) -> set[tuple[str, str]]:
    return {(f.entity_type, f.text) for f in guardllm.scan(text)}


def _types(text: str) -> set[str]:
    return {f.entity_type for f in guardllm.scan(text)}


# -- 1. URL-encoded values ---------------------------------------------------------------------------
def test_query_string_email_and_phone_are_found_encoded() -> None:
    line = (
        '203.0.113.9 - - [03/Feb/2025:10:00:01 +0000] "GET /join?email=tova.brink%40example.net'
        '&phone=%2B1%20206%20555%200143&ref=ad HTTP/1.1" 302 0'
    )
    found = _found(line)
    assert ("EMAIL_ADDRESS", "tova.brink%40example.net") in found
    assert ("PHONE_NUMBER", "%2B1%20206%20555%200143") in found


def test_literal_plus_in_an_encoded_email_stays_inside_the_span() -> None:
    found = _found("GET /api/lookup?email=mara+alerts%40example.org&_=1712 HTTP/2.0")
    assert ("EMAIL_ADDRESS", "mara+alerts%40example.org") in found


def test_form_post_plus_spaces_and_utf8_escapes() -> None:
    body = (
        "POST /notify HTTP/1.1\nContent-Type: application/x-www-form-urlencoded\n\n"
        "amount=12.50&first_name=Ren%C3%A9e&last_name=Osterhout&payer_email=renee%2Bshop%40example.com"
        "&address_street=4410+Larkspur+Ave&status=Completed"
    )
    found = _found(body)
    assert ("EMAIL_ADDRESS", "renee%2Bshop%40example.com") in found
    assert ("PERSON", "Ren%C3%A9e") in found
    assert ("LOCATION", "4410+Larkspur+Ave") in found


def test_mask_hides_the_encoded_value() -> None:
    g = Guard()
    out = g.mask("redirect_uri=/done?contact=pia.holm%40example.com&lang=en")
    assert "pia.holm" not in out and "%40example.com" not in out
    assert "[EMAIL_ADDRESS_1]" in out or "[EMAIL_1]" in out


def test_encoded_text_without_personal_data_stays_clean() -> None:
    for text in (
        "GET /docs/Quarterly%20Plan%202025.pdf HTTP/1.1",
        "progress 50% done, 100%ok",
        "GET /search?q=blue+widgets&sort=price%3Aasc&page=2 HTTP/1.1",
        "x=a+b&y=c+d",
    ):
        assert guardllm.scan(text) == [], text


# -- 2. SQL INSERT statements ------------------------------------------------------------------------
_INSERT = """INSERT INTO clinic.patients (patient_id, full_name, ssn, date_of_birth, email, passport_no)
VALUES (501, 'Odile Fenwick', '212458871', DATE '1984-07-19', 'odile.f@example.org', 'K4418203'),
       (502, 'Bram O''Hare', '401-22-9087', '1979-02-28', 'bram@example.net', NULL);"""


def test_insert_columns_name_every_row_value() -> None:
    found = _found(_INSERT)
    assert ("PERSON", "Odile Fenwick") in found
    assert ("US_SSN", "212458871") in found
    assert ("DATE_TIME", "1984-07-19") in found
    assert ("US_PASSPORT", "K4418203") in found
    assert ("PERSON", "Bram O''Hare") in found
    assert ("US_SSN", "401-22-9087") in found
    assert ("DATE_TIME", "1979-02-28") in found


def test_insert_near_misses() -> None:
    # An invalid SSN (area 000), a product name under "name", and a column the lexicon does not know.
    text = (
        "INSERT INTO products (name, sku, price) VALUES ('Blue Widget', 'A1234567', 9.5);\n"
        "INSERT INTO staff (ssn, team) VALUES ('000123456', 'ops');\n"
        "INSERT INTO t (code, note) VALUES ('212458871', 'rush order');"
    )
    assert _types(text) == set()


def test_insert_without_column_list_is_not_guessed() -> None:
    assert _types("INSERT INTO t VALUES (1, '212458871', 'hello');") == set()


# -- 3. Key names ------------------------------------------------------------------------------------
def test_profile_and_kyc_keys() -> None:
    found = _found(
        '{"profile": {"real_name": "Linnea Vaszary", "display_name": "Linnea"},'
        ' "kyc": {"given_names": "Teodor", "family_name": "Ruml", "surname": "Ruml"},'
        ' "ticket": {"requester_name": "Ines Marlow", "assignee_name": "Kofi Adjei", "agent_name": "Sela Ort"}}'
    )
    for name in ("Linnea Vaszary", "Linnea", "Teodor", "Ruml", "Ines Marlow", "Kofi Adjei", "Sela Ort"):
        assert ("PERSON", name) in found, name


def test_passport_document_number() -> None:
    text = '{"documents": [{"type": "passport", "number": "X7730156"}, {"type": "library_card", "number": "X7730157"}]}'
    found = _found(text)
    assert ("US_PASSPORT", "X7730156") in found
    assert all(v != "X7730157" for _t, v in found)
    objs = guardllm.scan_object({"document_type": "passport", "document_number": "Q5512093"})
    assert [(o.entity_type, o.text) for o in objs] == [("US_PASSPORT", "Q5512093")]
    assert guardllm.scan_object({"document_type": "invoice", "document_number": "Q5512093"}) == []


def test_display_name_near_misses() -> None:
    assert _types('{"display_name": "admin"}') == set()
    assert _types('{"display_name": "null"}') == set()
    assert _types('{"agent_name": "Support Team"}') == set()


# -- 4. Sign-offs --------------------------------------------------------------------------------------
def test_one_word_names_after_a_sign_off() -> None:
    assert ("PERSON", "Wren") in _found("Your refund is on its way.\n\nWarmly,\nWren\nAcme Help Centre")
    assert ("PERSON", "Joaquín") in _found("See you then.\nBest,\nJoaquín")
    assert ("PERSON", "Mei") in _found("Fixed in the last deploy. Cheers -- Mei")
    assert ("PERSON", "Anjali") in _found("Got it, will check.\nThanks!\nAnjali")
    assert ("PERSON", "Dovrin") in _found(
        '{"body": "Please change my address. Thanks, Dovrin", "public": true}'
    )


def test_sign_offs_by_a_group_are_not_names() -> None:
    for text in (
        "Thanks,\nSupport Team",
        "Regards,\nThe Billing Team",
        "Kind regards,\nCustomer Service",
        "Cheers,\nMarketing",
        "It was the best. Paris was lovely.",
        "Thanks!\nAnyway, the build is green.",
    ):
        assert not any(f.entity_type == "PERSON" for f in guardllm.scan(text)), text
