"""The public detection API: configuration, bad input, scan_object, type registry, safety of repr."""

from __future__ import annotations

import re
import threading
from collections import namedtuple
from dataclasses import dataclass

import pytest

import guardllm
from guardllm.detect import CustomPattern, Detector, scan_object
from guardllm.detect.types import ALL_TYPES, is_secret, label_for, register_type

EMAIL = "quillon.vantreese@example.org"
CARD = "4111 1111 1111 1111"


def test_scan_returns_findings_with_presidio_field_names() -> None:
    f = guardllm.scan(f"mail {EMAIL}")[0]
    assert (f.entity_type, f.start, f.end) == ("EMAIL_ADDRESS", 5, 5 + len(EMAIL))
    assert 0 < f.score <= 1 and f.text == EMAIL and f.recognizer


def test_repr_never_shows_the_value() -> None:
    fs = guardllm.scan(f"{EMAIL} {CARD} ssn 536-22-8470")
    assert len(fs) == 3
    for f in fs:
        assert f.text not in repr(f) and f.text not in str(f)
        assert f.text not in str(f.to_dict())


@pytest.mark.parametrize("bad", [None, 42, 3.5, ["a"], object()])
def test_non_text_is_a_clear_input_error(bad: object) -> None:
    with pytest.raises(guardllm.InputError, match="scan"):
        guardllm.scan(bad)  # type: ignore[arg-type]


def test_bytes_are_decoded_or_rejected_clearly() -> None:
    assert guardllm.scan(f"mail {EMAIL}".encode())[0].entity_type == "EMAIL_ADDRESS"
    with pytest.raises(guardllm.InputError, match="not valid UTF-8"):
        guardllm.scan(b"mail \xff\xfe" + EMAIL.encode())


def test_oversized_text_gets_a_clear_error_pointing_to_streaming() -> None:
    d = Detector(max_chars=1000)
    with pytest.raises(guardllm.InputError, match=r"guardllm\.detect\.stream"):
        d.scan("x" * 1001)


def test_empty_text() -> None:
    assert guardllm.scan("") == []


@pytest.mark.parametrize(
    "adversarial",
    [
        "7" * 300_000,
        "@." * 150_000,
        "a-" * 150_000,
        "QUJD" * 75_000,
        "1.1." * 75_000,
        ":" * 300_000,
        "Aa " * 100_000,
    ],
)
def test_adversarial_inputs_complete(adversarial: str) -> None:
    assert isinstance(guardllm.scan(adversarial), list)


def test_enabled_and_disabled_types() -> None:
    text = f"{EMAIL} call 415-555-0132"
    assert {f.entity_type for f in Detector(enabled=["EMAIL_ADDRESS"]).scan(text)} == {"EMAIL_ADDRESS"}
    assert {f.entity_type for f in Detector(disabled=["EMAIL_ADDRESS"]).scan(text)} == {"PHONE_NUMBER"}


def test_thresholds_global_and_per_type() -> None:
    text = f"{EMAIL} call 415 555 0132"  # space-separated phone scores lower than a dashed one
    assert {f.entity_type for f in Detector(thresholds=0.99).scan(text)} == set()
    only_email = Detector(thresholds={"PHONE_NUMBER": 0.99}).scan(text)
    assert {f.entity_type for f in only_email} == {"EMAIL_ADDRESS"}


def test_custom_pattern_with_validator_and_context() -> None:
    emp = CustomPattern(
        name="employee_id",
        entity_type="EMPLOYEE_ID",
        regex=r"\bE-\d{6}\b",
        score=0.4,
        validator=lambda v: not v.endswith("000000"),
        context=("employee",),
    )
    d = Detector(custom_patterns=[emp])
    assert [f.text for f in d.scan("employee E-123456 badge")] == ["E-123456"]  # 0.4 + context boost
    assert d.scan("ref E-123456") == []  # below threshold without context
    assert d.scan("employee E-000000") == []  # validator rejects
    d2 = Detector(custom_patterns=[{"name": "ticket", "pattern": r"TCK\d{4}", "score": 0.9}])
    assert [f.entity_type for f in d2.scan("see TCK1234")] == ["TICKET"]


def test_bad_custom_regex_is_an_input_error() -> None:
    with pytest.raises(guardllm.InputError, match="invalid regex"):
        Detector(custom_patterns=[CustomPattern(name="x", regex="(")])


def test_deny_and_allow_lists() -> None:
    d = Detector(
        deny_list={"Project Nightjar": "CODENAME"},
        allow_list=["support@example.com", re.compile(r".*@internal\.example")],
    )
    fs = d.scan("Project Nightjar: mail support@example.com, ops@internal.example or ana@example.org")
    assert [(f.entity_type, f.text) for f in fs] == [
        ("CODENAME", "Project Nightjar"),
        ("EMAIL_ADDRESS", "ana@example.org"),
    ]
    assert [f.entity_type for f in Detector(deny_list=["zx-42"]).scan("code zx-42")] == ["DENY_LIST"]


def test_overlaps_resolve_to_one_full_span() -> None:
    d = Detector(custom_patterns=[CustomPattern(name="acct", regex=r"1111 1111 1111", score=0.95)])
    fs = d.scan(f"card {CARD}")
    assert len(fs) == 1 and fs[0].text == CARD


def test_thread_safe_default_detector() -> None:
    results: list[int] = []

    def work() -> None:
        for _ in range(50):
            results.append(len(guardllm.scan(f"{EMAIL} {CARD}")))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) == {2}


# -- scan_object -------------------------------------------------------------------------------------
def test_scan_object_reports_field_paths() -> None:
    obj = {
        "customer": {"name": "Marisol Ybarra", "email": EMAIL, "note": "call 415-555-0132"},
        "rows": [{"card": CARD}, {"card": "n/a"}],
        "count": 3,
    }
    got = {(f.field_path, f.entity_type, f.text) for f in scan_object(obj)}
    assert got == {
        ("customer.name", "PERSON", "Marisol Ybarra"),
        ("customer.email", "EMAIL_ADDRESS", EMAIL),
        ("customer.note", "PHONE_NUMBER", "415-555-0132"),
        ("rows[0].card", "CREDIT_CARD", CARD),
    }
    f = next(f for f in scan_object(obj) if f.field_path == "rows[0].card")
    assert f.path == ("rows", 0, "card")


def test_scan_object_key_names_single_values() -> None:
    got = {
        (f.field_path, f.entity_type)
        for f in guardllm.scan_object({"first_name": "Tavish", "dob": "1970-01-02", "mrn": "A-0048291"})
    }
    assert got == {("first_name", "PERSON"), ("dob", "DATE_TIME"), ("mrn", "MEDICAL_RECORD_NUMBER")}


def test_scan_object_rows_with_columns_and_row_types() -> None:
    rows = [(1, "Brannoch Tillery", "536-22-8470")]
    got = {(f.field_path, f.entity_type) for f in scan_object(rows, columns=["id", "full_name", "ssn"])}
    assert got == {("[0].full_name", "PERSON"), ("[0].ssn", "US_SSN")}
    assert {f.path for f in scan_object(rows, columns=["id", "full_name", "ssn"])} == {(0, 1), (0, 2)}
    assert {f.path for f in scan_object({7: {"email": EMAIL}})} == {(7, "email")}
    Row = namedtuple("Row", "id patient_name phone")
    got = {(f.field_path, f.entity_type) for f in scan_object([Row(1, "Orsolya Benedek", 4155550132)])}
    assert got == {("[0].patient_name", "PERSON"), ("[0].phone", "PHONE_NUMBER")}

    @dataclass
    class Patient:
        name: str
        birth_date: str

    got = {(f.field_path, f.entity_type) for f in scan_object(Patient("Caoimhe Brady", "04/07/1962"))}
    assert got == {("name", "PERSON"), ("birth_date", "DATE_TIME")}


def test_scan_object_cycles_and_depth() -> None:
    a: list[object] = [EMAIL]
    a.append(a)
    assert len(scan_object(a)) == 1
    deep: object = EMAIL
    for _ in range(500):
        deep = [deep]
    with pytest.raises(guardllm.InputError, match="nested deeper"):
        scan_object(deep)


# -- type registry -----------------------------------------------------------------------------------
def test_labels_and_secret_flags() -> None:
    assert label_for("EMAIL_ADDRESS") == "EMAIL"
    assert label_for("PHONE_NUMBER") == "PHONE"
    assert label_for("CREDIT_CARD") == "CARD"
    assert label_for("US_SSN") == "SSN"
    assert label_for("IBAN_CODE") == "IBAN"
    assert label_for("IP_ADDRESS") == "IP"
    assert label_for("LOCATION") == "ADDRESS"
    assert label_for("DATE_TIME") == "DOB"
    assert label_for("AWS_ACCESS_KEY") == "AWS_KEY"
    for t in ALL_TYPES:
        assert re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*", label_for(t)), t
    assert is_secret("PASSWORD") and is_secret("PRIVATE_KEY") and is_secret("GITHUB_TOKEN")
    assert not is_secret("EMAIL_ADDRESS") and not is_secret("PERSON")
    assert is_secret("SOME_VENDOR_API_KEY")  # unknown credential-looking types fail closed
    assert label_for("weird type-9") == "WEIRD_TYPE_9"


def test_register_type() -> None:
    et = register_type("ACME_TOKEN", label="ACME_TOKEN")
    assert et.secret and is_secret("ACME_TOKEN") and "ACME_TOKEN" in ALL_TYPES
    with pytest.raises(ValueError, match="invalid token label"):
        register_type("BAD", label="bad label")


def test_secret_findings_from_the_secrets_module_are_merged(monkeypatch: pytest.MonkeyPatch) -> None:
    """detect/secrets.py is optional to this engine; when present, its findings join the overlap resolution."""
    from guardllm.detect import engine
    from guardllm.detect.finding import Finding

    def fake_find_secrets(text: str) -> list[Finding]:
        i = text.find("hunter2-secret")
        return [Finding("PASSWORD", i, i + 14, 0.9, text[i : i + 14], "test")] if i >= 0 else []

    monkeypatch.setattr(engine, "_SECRET_LOADED", True)
    monkeypatch.setattr(engine, "_SECRET_FINDER", fake_find_secrets)
    d = Detector()
    text = f"password=hunter2-secret for {EMAIL}"
    assert [f.entity_type for f in d.scan(text)] == ["PASSWORD", "EMAIL_ADDRESS"]
    assert d.scan(text) == d.scan(text)
    assert not d._cache  # texts with secrets are never cached
    assert [f.entity_type for f in Detector(secrets=False).scan(text)] == ["EMAIL_ADDRESS"]


def test_repeated_text_gives_equal_independent_results() -> None:
    d = Detector()
    a = d.scan(f"mail {EMAIL}")
    a.clear()
    assert len(d.scan(f"mail {EMAIL}")) == 1


def test_secret_inside_a_pii_span_makes_the_span_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from guardllm.detect import engine
    from guardllm.detect.finding import Finding

    def fake_find_secrets(text: str) -> list[Finding]:
        i = text.find("Tr0ub4dor")
        return [Finding("PASSWORD", i, i + 9, 0.9, text[i : i + 9], "test")] if i >= 0 else []

    monkeypatch.setattr(engine, "_SECRET_LOADED", True)
    monkeypatch.setattr(engine, "_SECRET_FINDER", fake_find_secrets)
    fs = Detector().scan("see https://app.example.com/login?email=ana%40x.org&pw=Tr0ub4dor now")
    assert [f.entity_type for f in fs] == ["PASSWORD"]  # the URL span, typed as the secret it holds


def test_url_credentials_are_not_an_email() -> None:
    text = "DATABASE_URL=postgresql://svc_user:Zq9vLm2Xw@db.example.internal:5432/prod"
    assert "EMAIL_ADDRESS" not in {f.entity_type for f in Detector(secrets=False).scan(text)}


def test_name_keys_need_a_record_about_people() -> None:
    obj = {
        "product": {"name": "Blue Widget", "sku": "X1"},
        "customer": {"name": "Osevque Ranmoran"},
        "rows": [{"name": "Quillon Vantreese", "phone": "415-555-0132"}],
    }
    got = {(f.field_path, f.entity_type) for f in scan_object(obj)}
    assert ("product.name", "PERSON") not in got
    assert {("customer.name", "PERSON"), ("rows[0].name", "PERSON")} <= got
    assert [f.text for f in guardllm.scan('{"name": "Blue Widget", "price": 12}')] == []
    assert [f.text for f in guardllm.scan("| Name | Price |\n|---|---|\n| Blue Widget | 3 |")] == []
