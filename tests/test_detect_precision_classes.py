"""Precision by class of text: version numbers, CI step names, scrubbed values, JDBC properties,
timestamps and company names that look like PII or secrets to a pattern but are not.

Every class pairs the must-not-fire shapes with the true positives next to them that must survive,
so a fix that stops detecting the whole entity type fails here.  All values are invented.
"""

from __future__ import annotations

import json

import pytest

import guardllm


def _spans(text: str, entity: str) -> list[str]:
    return [text[f.start : f.end] for f in guardllm.scan(text) if f.entity_type == entity]


def _all(text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in guardllm.scan(text)]


# -- 1. dotted quads that are product versions ------------------------------------------------------
@pytest.mark.parametrize(
    "ua",
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.3.1.4 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/119.0.0.0 Edg/119.0.2151.97",
        "Server: nginx/1.24.0.2",
        "agent=curl/7.88.1.0 lib=libssl/3.0.2.1",
        "(Linux; Android 14) okhttp/4.12.0.1",
    ],
)
def test_version_after_product_slash_is_not_an_ip(ua: str) -> None:
    assert _spans(ua, "IP_ADDRESS") == []


def test_access_log_keeps_real_addresses_next_to_user_agent() -> None:
    line = (
        '10.20.30.40 - - [03/Feb/2025:08:15:02 +0000] "GET /cart HTTP/1.1" 200 512 "-" '
        '"Mozilla/5.0 (X11; Linux x86_64) Chrome/122.0.0.0 Safari/537.36" xff="198.51.100.77"'
    )
    assert _spans(line, "IP_ADDRESS") == ["10.20.30.40", "198.51.100.77"]
    assert _spans("upstream client=203.0.113.45 status=502", "IP_ADDRESS") == ["203.0.113.45"]
    assert _spans("X-Forwarded-For: 192.0.2.18, 10.1.1.9", "IP_ADDRESS") == ["192.0.2.18", "10.1.1.9"]
    # An address word before the slash, a URL host and a CIDR stay addresses.
    assert _spans("route via gw/172.16.4.1 ok", "IP_ADDRESS") == ["172.16.4.1"]
    assert _spans("fetch http://172.16.9.20/health", "IP_ADDRESS") == ["172.16.9.20"]
    assert _spans("allow 10.64.0.0/10 and 100.70.8.9", "IP_ADDRESS") == ["10.64.0.0", "100.70.8.9"]


# -- 2. CI / automation step names --------------------------------------------------------------------
_GITHUB = """name: Release
on:
  push:
    tags: ['v*']
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - name: Checkout
        uses: actions/checkout@v4
      - name: Notify
        run: ./scripts/notify.sh
      - name: Upload artifacts
        uses: actions/upload-artifact@v4
        with:
          path: dist/
      - name: Announce
        env:
          CHANNEL: releases
"""
_GITLAB = """stages:
  - build
  - deploy
deploy_prod:
  stage: deploy
  script:
    - ./deploy.sh
  environment:
    name: Production
"""
_ANSIBLE = """- hosts: web
  tasks:
    - name: Restart
      service:
        name: nginx
        state: restarted
    - name: Cleanup
      file:
        path: /tmp/build
"""
_SNIPPET = """      - name: Deploy
        run: make deploy
      - name: Verify
        if: success()
        run: make smoke
"""


@pytest.mark.parametrize("doc", [_GITHUB, _GITLAB, _ANSIBLE, _SNIPPET])
def test_ci_step_names_are_not_people(doc: str) -> None:
    assert _spans(doc, "PERSON") == []


def test_step_name_as_object_is_not_a_person() -> None:
    wf = {"jobs": {"ci": {"steps": [{"name": "Notify", "run": "x"}, {"name": "Publish", "uses": "a/b@v1"}]}}}
    assert [f for f in guardllm.scan_object(wf) if f.entity_type == "PERSON"] == []


def test_contact_yaml_names_stay_people() -> None:
    contacts = """contacts:
  - name: Ilse Varga
    email: ilse.varga@example.org
  - name: Tomasz Brandvold
    phone: +44 20 7946 0321
"""
    assert _spans(contacts, "PERSON") == ["Ilse Varga", "Tomasz Brandvold"]
    # Even inside a workflow file, an item that carries an email is a person (a maintainers list).
    wf = _GITHUB + "maintainers:\n  - name: Ilse Varga\n    email: ilse.varga@example.org\n"
    assert _spans(wf, "PERSON") == ["Ilse Varga"]


# -- 3. scrubber placeholders are not secrets ---------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Cookie: sessionid=[Filtered]; csrftoken=[FILTERED]",
        '{"headers": {"Cookie": "session_token=[Filtered]; auth_token=[redacted]"}}',
        "Set-Cookie: remember_token=<redacted>; Path=/; HttpOnly",
        "Set-Cookie: sid=********; Secure",
        'Parameters: {"user"=>{"password"=>"[FILTERED]"}, "api_key"=>"[FILTERED]"}',
        "password: [redacted]\napi_key: <redacted>\nclient_secret: ********\nauth_token: ***",
        "DB_PASSWORD=(hidden)\nSTRIPE_SECRET={scrubbed}",
    ],
)
def test_redaction_placeholders_are_not_secrets(text: str) -> None:
    assert [t for t, _ in _all(text) if guardllm.is_secret(t)] == []


def test_real_session_cookie_next_to_a_filtered_one_is_found() -> None:
    text = '{"Cookie": "sessionid=q8v2k1zt9mx4r7pw3nb6yc0d5hj; csrftoken=[Filtered]"}'
    assert _spans(text, "SESSION_TOKEN") == ["q8v2k1zt9mx4r7pw3nb6yc0d5hj"]
    assert _spans("Cookie: sessionid=[Filtered]; auth_token=Zx81nQw0pLk2Rt7Yv4Bs", "SESSION_TOKEN") == [
        "Zx81nQw0pLk2Rt7Yv4Bs"
    ]
    assert _spans("password: Kv7#mQ2!rTw9", "PASSWORD") == ["Kv7#mQ2!rTw9"]


# -- 4. JDBC / SQL Server URLs: the password is the password= value ----------------------------------
def test_sqlserver_jdbc_properties_are_not_a_password() -> None:
    url = (
        "jdbc:sqlserver://sql-7k2.database.windows.net:1433;database=ledger;"
        "user=ledger_rw@sql-7k2;password=amber-falcon-Ridge8;encrypt=true;loginTimeout=30;"
    )
    assert _spans(url, "PASSWORD") == ["amber-falcon-Ridge8"]
    plain = "jdbc:sqlserver://db01:1433;databaseName=hr;user=hr_app;password=Gr33n-Lamp-42;encrypt=true"
    assert _spans(plain, "PASSWORD") == ["Gr33n-Lamp-42"]


def test_jdbc_query_string_password_is_found_alone() -> None:
    url = "jdbc:mysql://mysql.internal:3306/orders?user=orders_app&password=Qp4-wintry-Lute&useSSL=true"
    assert _spans(url, "PASSWORD") == ["Qp4-wintry-Lute"]
    # The userinfo form keeps working.
    assert _spans("postgres://svc_app:Lq9v-Trellis-22@pg.internal:5432/app", "PASSWORD") == [
        "Lq9v-Trellis-22"
    ]


# -- 5. clock readings and barcodes are not cards -----------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "GET /api/v1/search?q=boots&_=4739182005578 HTTP/1.1",
        "GET /feed?_=1733004455667",
        '{"event": "view", "ts": 4028177001549}',
        '{"created_at": 4091234567894, "status": "ok"}',
        "poll.js?t=4739182005578&cb=4028177001549",
        "EAN 4006381333932 · qty 2",
    ],
)
def test_timestamps_and_barcodes_are_not_cards(text: str) -> None:
    assert _spans(text, "CREDIT_CARD") == []


def test_thirteen_digit_visa_with_card_context_is_found() -> None:
    assert _spans("Card number: 4739182005578", "CREDIT_CARD") == ["4739182005578"]
    assert _spans('{"card_number": "4028177001549", "exp": "09/28"}', "CREDIT_CARD") == ["4028177001549"]
    assert _spans("paid with visa 4091234567894 yesterday", "CREDIT_CARD") == ["4091234567894"]


# -- 6. organisations in name-keyed fields ------------------------------------------------------------
def test_salesforce_account_name_is_not_a_person() -> None:
    payload = {
        "totalSize": 1,
        "records": [
            {
                "attributes": {"type": "Contact", "url": "/services/data/v60.0/sobjects/Contact/003AB"},
                "Name": "Orsolya Treadwell",
                "Email": "o.treadwell@example.net",
                "Account": {
                    "attributes": {"type": "Account"},
                    "Name": "Brightwater Cartage",
                    "Owner": {"Name": "Desmond Okoro"},
                },
            }
        ],
    }
    text = json.dumps(payload)
    assert _spans(text, "PERSON") == ["Orsolya Treadwell", "Desmond Okoro"]
    obj = [(f.field_path, f.text) for f in guardllm.scan_object(payload) if f.entity_type == "PERSON"]
    assert obj == [
        ("records[0].Name", "Orsolya Treadwell"),
        ("records[0].Account.Owner.Name", "Desmond Okoro"),
    ]


@pytest.mark.parametrize(
    "record",
    [
        {"attributes": {"type": "Account"}, "Name": "Brightwater Cartage", "Phone": "(415) 555-0142"},
        {"@type": "Organization", "name": "Quillmoor", "telephone": "+1 415 555 0142"},
        {"name": "Harlan Wexford Freight", "email": "ops@example.com"},
    ],
)
def test_organisation_records_are_not_people(record: dict[str, str]) -> None:
    assert [f for f in guardllm.scan_object(record) if f.entity_type == "PERSON"] == []
    assert _spans(json.dumps(record), "PERSON") == []


@pytest.mark.parametrize(
    "text",
    [
        '{"candidate": {"name": "Leontyne Marsh", "company": "Brightwater Cartage", "email": "lm@example.com"}}',
        "Employer: Quillmoor Analytics\nApplicant: Leontyne Marsh",
        "EXPERIENCE\nStaff Nurse, Larkspur Health (2019–present)\nApplicant: Leontyne Marsh",
        "Signed for Wayne Systems by Leontyne Marsh.",
        "Bill to: Fenwick Holdings Ltd, attn. Leontyne Marsh",
    ],
)
def test_company_values_are_not_people_but_the_person_stays(text: str) -> None:
    assert _spans(text, "PERSON") == ["Leontyne Marsh"]


def test_company_word_alone_does_not_hide_a_person() -> None:
    # A surname that is not a company suffix, and a given name in front of a firm's word, stay names.
    assert _spans("Contact: Casper Sas, casper.sas@example.com", "PERSON") == ["Casper Sas"]
    assert _spans('{"name": "Grace Lindqvist", "company": "Acme"}', "PERSON") == ["Grace Lindqvist"]


@pytest.mark.parametrize(
    "doc",
    [
        "users:\n  - name: Ilse Varga\n    id: 42\n  - name: Tomasz Brandvold\n    id: 43\n",
        "team:\n  - name: Ilse Varga\n    image: /img/ilse.png\n",
        "tasks:\n  - title: Renew lease\n    assignee:\n      name: Ilse Varga\n",
    ],
)
def test_people_in_plain_yaml_lists_stay_people(doc: str) -> None:
    assert "Ilse Varga" in _spans(doc, "PERSON")
