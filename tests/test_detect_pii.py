"""True positives and near-misses for every pattern-based PII type, through the public API."""

from __future__ import annotations

from itertools import pairwise

import pytest

import guardllm


def found(text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, f.text) for f in guardllm.scan(text)]


def types_of(text: str) -> set[str]:
    return {f.entity_type for f in guardllm.scan(text)}


@pytest.mark.parametrize(
    ("text", "etype", "value"),
    [
        (
            "write to ana.lima+news@correio.example.br today",
            "EMAIL_ADDRESS",
            "ana.lima+news@correio.example.br",
        ),
        ("user=o_brien99@mail.sub.example.co.uk src=x", "EMAIL_ADDRESS", "o_brien99@mail.sub.example.co.uk"),
        ("call (415) 555-0132 now", "PHONE_NUMBER", "(415) 555-0132"),
        ("call 415-555-0132.", "PHONE_NUMBER", "415-555-0132"),
        ("mobile 415.555.0132", "PHONE_NUMBER", "415.555.0132"),
        ("ring +1 415 555 0132", "PHONE_NUMBER", "+1 415 555 0132"),
        ("tel: +44 20 7946 0958", "PHONE_NUMBER", "+44 20 7946 0958"),
        ("handy +49 30 12345678", "PHONE_NUMBER", "+49 30 12345678"),
        ("portable +33 6 12 34 56 78", "PHONE_NUMBER", "+33 6 12 34 56 78"),
        ("mobile 07700 900123", "PHONE_NUMBER", "07700 900123"),
        ("card 4111 1111 1111 1111 was used", "CREDIT_CARD", "4111 1111 1111 1111"),
        ("card 4111-1111-1111-1111", "CREDIT_CARD", "4111-1111-1111-1111"),
        ("amex 378282246310005", "CREDIT_CARD", "378282246310005"),
        ("mc 5555555555554444", "CREDIT_CARD", "5555555555554444"),
        ("ssn 536-22-8470", "US_SSN", "536-22-8470"),
        ("SSN: 536 22 8470", "US_SSN", "536 22 8470"),
        ("my social security number is 536228470", "US_SSN", "536228470"),
        ("iban GB82WEST12345698765432 ok", "IBAN_CODE", "GB82WEST12345698765432"),
        ("IBAN: DE89 3704 0044 0532 0130 00 EUR", "IBAN_CODE", "DE89 3704 0044 0532 0130 00"),
        ("from 203.0.113.77 port", "IP_ADDRESS", "203.0.113.77"),
        ("peer 2001:db8::8a2e:370:7334 up", "IP_ADDRESS", "2001:db8::8a2e:370:7334"),
        ("nic 00:1A:2B:3C:4D:5E", "MAC_ADDRESS", "00:1A:2B:3C:4D:5E"),
        ("NHS number 943 476 5919", "UK_NHS", "943 476 5919"),
        ("prescriber DEA AB1234563", "MEDICAL_LICENSE", "AB1234563"),
        ("VIN 1HGCM82633A004352", "VEHICLE_ID", "1HGCM82633A004352"),
        ("send btc to 1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "CRYPTO", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
        (
            "eth wallet 0x52908400098527886E0F7030069857D2E4169EE7",
            "CRYPTO",
            "0x52908400098527886E0F7030069857D2E4169EE7",
        ),
        ("MRN: 00482913", "MEDICAL_RECORD_NUMBER", "00482913"),
        ("passport number X1234567", "US_PASSPORT", "X1234567"),
        ("routing number 021000021", "ABA_ROUTING_NUMBER", "021000021"),
        ("account number 000123456789", "US_BANK_NUMBER", "000123456789"),
        ("DOB: 1975-07-04", "DATE_TIME", "1975-07-04"),
        ("born on March 3, 1991", "DATE_TIME", "March 3, 1991"),
        ("date of birth 04/07/1962", "DATE_TIME", "04/07/1962"),
        (
            "see https://app.example.com/u?email=ana%40x.org&x=1",
            "URL",
            "https://app.example.com/u?email=ana%40x.org&x=1",
        ),
    ],
)
def test_true_positive(text: str, etype: str, value: str) -> None:
    assert (etype, value) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "order 4111111111111112 failed",  # Luhn-invalid
        "Build 1234567812345678 finished",  # Luhn-invalid 16 digits
        "session=9c973603-8202-4ab2-9b92-d2a887110871",  # UUID
        "commit 3f786850e387550fdab836ed7e6dc881de23001b",  # git SHA
        "released v1.2.3.4 and version 10.2.0.1",  # version strings
        "at 2026-11-17T09:43:00Z the job ran",  # timestamp
        "total 9447.23 USD",  # price
        "ticket 228-785-11340 is open",  # order number shaped like a phone
        "SKU LCB-7116 in stock",  # SKU
        "ISBN 978-8-382-29687-2",  # ISBN
        "See https://docs.example.com/guide/install for setup",  # documentation URL
        "ssn 000-12-3456 and 666-12-3456 and 912-34-5678",  # invalid SSN areas
        "IBAN GB82WEST12345698765433",  # bad mod-97
        "meeting at 10:30:45 in room 4",  # time
        "colour #ca99de and hash 11df7f190112",
        "code 123-456-7890",  # NANP area code cannot start with 1, and no phone words around it
        "ratio 1.5 and 0.0.0.0 bind",
    ],
)
def test_near_miss_does_not_fire(text: str) -> None:
    assert guardllm.scan(text) == [], [(f.entity_type, f.preview()) for f in guardllm.scan(text)]


def test_ip_in_version_context_is_not_an_ip() -> None:
    assert types_of("upgraded to version 1.2.3.4 today") == set()
    assert types_of("client ip 1.2.3.4 blocked") == {"IP_ADDRESS"}


def test_findings_are_sorted_and_do_not_overlap() -> None:
    text = "Ana Lima <ana.lima@example.org>, 415-555-0132, card 4111 1111 1111 1111, ssn 536-22-8470"
    fs = guardllm.scan(text)
    assert [f.start for f in fs] == sorted(f.start for f in fs)
    for a, b in pairwise(fs):
        assert a.end <= b.start
    for f in fs:
        assert text[f.start : f.end] == f.text


def test_offsets_with_unicode_text() -> None:
    text = "Ünïcødé ✓ — write to zoë@exämple.com? no: zoe@example.com"
    fs = guardllm.scan(text)
    assert any(f.text == "zoe@example.com" and text[f.start : f.end] == f.text for f in fs)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("call me at 4155550132 tomorrow", "4155550132"),  # bare digits only count next to phone words
        ("my number is 555-123-4567", "555-123-4567"),  # outside the numbering plan, but the words say phone
        ("ring 0049 30 1234567 please", "0049 30 1234567"),
    ],
)
def test_phones_from_context(text: str, value: str) -> None:
    assert ("PHONE_NUMBER", value) in found(text)


def test_bare_ten_digits_without_context_are_not_phones() -> None:
    assert found("invoice 4155550132 paid") == []


@pytest.mark.parametrize(
    "addr",
    [
        "Flat 91h, Taylor Rapid, Oliviatown, RM0 2LW",
        "Flat 3, 14 Baker Street, London NW1 6XE",
        "Calle Mayor 12, 28013 Madrid",
        "Via Roma 10, 00184 Roma",
        "PSC 0260, Box 6389, APO AP 11287",
    ],
)
def test_street_addresses_in_free_text(addr: str) -> None:
    assert ("LOCATION", addr) in found(f"please send it to {addr} thanks")


@pytest.mark.parametrize(
    ("text", "etype", "value"),
    [
        ("passport no. 912345678", "US_PASSPORT", "912345678"),
        ("mrn#12345678", "MEDICAL_RECORD_NUMBER", "12345678"),
        ("SSN# 536228470", "US_SSN", "536228470"),
        ("DL# S530-4417-8824", "US_DRIVER_LICENSE", "S530-4417-8824"),
        ("Account No. 000123456789", "US_BANK_NUMBER", "000123456789"),
    ],
)
def test_label_punctuation_variants(text: str, etype: str, value: str) -> None:
    assert (etype, value) in found(text)


# -- anchored scans: the same values as a whole-text regex search, found from their anchors ---------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The local part is the whole run of local-part characters before '@' (<= 64, starting
        # with a letter/digit/underscore) and cannot begin inside the previous address.
        ("a@b.com+c@d.com", [("EMAIL_ADDRESS", "a@b.com")]),
        (".ana@x.io and _bo@x.io", [("EMAIL_ADDRESS", "_bo@x.io")]),
        ("x" * 64 + "@example.org", [("EMAIL_ADDRESS", "x" * 64 + "@example.org")]),
        ("x" * 65 + "@example.org", []),
        ("see https://u:pw@host.example.com/x", []),
    ],
)
def test_email_anchored_at_the_at_sign(text: str, expected: list[tuple[str, str]]) -> None:
    assert [p for p in found(text) if p[0] == "EMAIL_ADDRESS"] == expected


# An email after a URL is only skipped when its '@' is the URL's userinfo/host separator: a '://'
# earlier on the line used to hide every address up to 200 characters after it.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"site":"https://acme.com","email":"a@b.com"}', ["a@b.com"]),
        ('<a href="https://acme.com">home</a><td>a@b.com</td>', ["a@b.com"]),
        ("https://crm.example.com/customers/a@b.com/profile", ["a@b.com"]),
        ("https://acme.com,a@b.com", ["a@b.com"]),
        ("mailto:a@b.com", ["a@b.com"]),
        ("see mailto:a@b.com?subject=hi", ["a@b.com"]),
        # near misses: the '@' before the host is not an address
        ("https://alice@example.com/x", []),
        ("ssh://git@github.com/org/repo.git", []),
        ("https://u:Zq8rWv2LxK@host.example.com/x", []),
        ("https://u:p@ss.io@host.example.com/x", []),
    ],
)
def test_email_after_a_url(text: str, expected: list[str]) -> None:
    assert [v for t, v in found(text) if t == "EMAIL_ADDRESS"] == expected


def test_email_in_a_url_query_masks_the_whole_url() -> None:
    assert found("https://acme.com?to=a@b.com") == [("URL", "https://acme.com?to=a@b.com")]


@pytest.mark.parametrize(
    ("text", "email", "password"),
    [
        ("postgres://a@b.com:Zq8rWv2LxK@db.example.com/app", "a@b.com", "Zq8rWv2LxK"),
        ("https://user@x.com:Zq8rWv2LxK@host.example.com", "user@x.com", "Zq8rWv2LxK"),
        (
            "DSN=mysql://ops.team@corp.example.org:p@ss7Wq2@db.internal:3306/x",
            "ops.team@corp.example.org",
            "p@ss7Wq2",
        ),
    ],
)
def test_connection_string_whose_user_is_an_email(text: str, email: str, password: str) -> None:
    got = found(text)
    assert ("EMAIL_ADDRESS", email) in got
    assert ("PASSWORD", password) in got
    # nothing else: no "password@host" pseudo-address, no span over the host
    assert len(got) == 2


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("gw fe80::1ff:fe23:4567:890a up", "fe80::1ff:fe23:4567:890a"),
        ("peer [2001:db8::8a2e:370:7334]:443", "2001:db8::8a2e:370:7334"),
        ("mapped ::ffff:192.0.2.128 ok", "::ffff:192.0.2.128"),
    ],
)
def test_ipv6_found_from_its_colons(text: str, value: str) -> None:
    assert ("IP_ADDRESS", value) in found(text)


def test_ipv6_inside_a_longer_hex_run_is_not_an_address() -> None:
    assert "IP_ADDRESS" not in types_of("sha deadbeefcafe12fe80::1ff:fe23:4567:890az")


def test_mac_and_url_found_from_their_separators() -> None:
    text = (
        "nic aa-bb-cc-dd-ee-01 and 0a1b.2c3d.4e5f, not 00:00:00:00:00:00; "
        "form https://shop.example.com/c?email=ana%40x.io&x=1 and https://docs.example.com/guide"
    )
    got = found(text)
    assert ("MAC_ADDRESS", "aa-bb-cc-dd-ee-01") in got
    assert ("MAC_ADDRESS", "0a1b.2c3d.4e5f") in got
    assert ("URL", "https://shop.example.com/c?email=ana%40x.io&x=1") in got
    assert all(v != "00:00:00:00:00:00" and "docs.example.com" not in v for _, v in got)


@pytest.mark.parametrize("title", ["Mr", "Mrs.", "Dr", "Frau", "Herr", "Mme"])
def test_title_before_a_name(title: str) -> None:
    text = f"please ask {title} Okonkwo about it"
    at = text.index("Okonkwo")
    assert any(
        f.entity_type == "PERSON" and f.start <= at and f.end >= at + len("Okonkwo")
        for f in guardllm.scan(text)
    )


# -- word-gated recognizers in large texts --------------------------------------------------------
_FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit\n"
_BTC = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"


def test_short_text_gates_on_a_hint_anywhere() -> None:
    text = "wallet below\n" + _FILLER * 40 + f"pay to {_BTC}\n"
    assert len(text) < 4096
    assert ("CRYPTO", _BTC) in found(text)


def test_large_text_gates_on_a_hint_nearby() -> None:
    # Beyond 4 KB a hint word opens only the 2 KB around itself: one "wallet" at the top of a
    # 10 MB log does not make every 34-character base58 run anywhere in it worth checking.
    near = _FILLER * 200 + f"wallet {_BTC}\n" + _FILLER * 200
    assert ("CRYPTO", _BTC) in found(near)
    far = "wallet\n" + _FILLER * 200 + f"pay to {_BTC}\n" + _FILLER * 200
    assert ("CRYPTO", _BTC) not in found(far)
