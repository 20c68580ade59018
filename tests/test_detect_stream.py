"""Chunked scanning: values across chunk boundaries, long PEM blocks, offsets, bad bytes."""

from __future__ import annotations

import io

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import guardllm
from guardllm.detect.stream import scan_file, scan_file_located, scan_stream

EMAIL = "quentin.marlowe@example.org"
AWS = "AKIAQX4VYT7R2MNB3KDZ"


def _pem() -> str:
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem.strip()


def _spans(findings: list[guardllm.Finding]) -> list[tuple[str, int, int]]:
    return [(f.entity_type, f.start, f.end) for f in findings]


@pytest.mark.parametrize("shift", range(0, 70, 7))
def test_value_straddling_every_boundary_found_once_with_absolute_offsets(tmp_path, shift):
    text = "word " * 8 + "." * shift + f" reach me at {EMAIL} today " + "filler " * 20 + f"key {AWS}\n"
    path = tmp_path / "f.txt"
    path.write_text(text, encoding="utf-8")
    whole = _spans(guardllm.scan(text))
    assert {t for t, _, _ in whole} >= {"EMAIL_ADDRESS", "AWS_ACCESS_KEY"}
    chunked = list(scan_file(path, chunk_size=64, overlap=32))
    assert _spans(chunked) == whole
    for f in chunked:
        assert text[f.start : f.end] == f.text


def test_pem_block_longer_than_overlap_is_found_whole(tmp_path):
    pem = _pem()
    assert len(pem) > 200
    text = "intro line\n" * 5 + "key:\n" + pem + "\ntrailer " * 10 + f"\n{EMAIL}\n"
    path = tmp_path / "key.txt"
    path.write_text(text)
    found = list(scan_file(path, chunk_size=64, overlap=32))
    keys = [f for f in found if f.entity_type == "PRIVATE_KEY"]
    assert len(keys) == 1
    assert keys[0].text == pem and text[keys[0].start : keys[0].end] == pem
    assert [f.entity_type for f in found].count("EMAIL_ADDRESS") == 1


def test_scan_stream_accepts_any_str_pieces():
    text = f"Contact: {EMAIL}, backup key {AWS}."
    pieces = list(text)  # one character at a time
    assert _spans(list(scan_stream(pieces, chunk_size=16, overlap=40))) == _spans(guardllm.scan(text))


def test_multibyte_utf8_split_across_byte_chunks_keeps_char_offsets():
    text = "Grüße 😀 " * 30 + f"email {EMAIL} ende"
    data = text.encode("utf-8")
    found = list(scan_file(io.BytesIO(data), chunk_size=7, overlap=64))
    emails = [f for f in found if f.entity_type == "EMAIL_ADDRESS"]
    assert len(emails) == 1 and text[emails[0].start : emails[0].end] == EMAIL


def test_line_and_column_are_one_based(tmp_path):
    path = tmp_path / "l.txt"
    path.write_text("first\nsecond line\n  mail " + EMAIL + "\n")
    located = [loc for loc in scan_file_located(path, chunk_size=8, overlap=32)]
    assert [(loc.finding.entity_type, loc.line, loc.column) for loc in located] == [("EMAIL_ADDRESS", 3, 8)]


def test_non_utf8_bytes_name_file_and_offset(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"hello " * 20 + b"\xff\xfe rest")
    with pytest.raises(guardllm.InputError) as exc:
        list(scan_file(path, chunk_size=16, overlap=8))
    assert "bad.txt" in str(exc.value) and "byte offset 120" in str(exc.value)
    # replace mode scans anyway
    path.write_bytes(b"\xff " + f"mail {EMAIL}".encode())
    assert [f.entity_type for f in scan_file(path, errors="replace")] == ["EMAIL_ADDRESS"]


def test_bad_arguments_are_clear_errors(tmp_path):
    with pytest.raises(guardllm.InputError):
        list(scan_stream(["x"], chunk_size=0))
    with pytest.raises(guardllm.InputError):
        list(scan_file(tmp_path / "missing.txt"))
    with pytest.raises(guardllm.InputError):
        list(scan_file(io.StringIO("text")))  # type: ignore[arg-type]


def test_many_windows_stay_consistent_with_whole_scan():
    block = f"row name=Alice Smith email={EMAIL} ssn 536-22-8741 card 4111 1111 1111 1111\n"
    text = block * 200
    chunks = [text[i : i + 1000] for i in range(0, len(text), 1000)]
    assert _spans(list(scan_stream(chunks, chunk_size=512, overlap=256))) == _spans(guardllm.scan(text))


def test_unterminated_begin_marker_does_not_stall_tiny_windows():
    text = "-----BEGIN PRIVATE KEY-----\n" + ("QUJD" * 16 + "\n") * 300 + f"tail {EMAIL}\n"
    chunks = [text[i : i + 64] for i in range(0, len(text), 64)]
    found = list(scan_stream(chunks, chunk_size=64, overlap=32, max_value=4096))
    assert [f.entity_type for f in found].count("EMAIL_ADDRESS") == 1
    starts = [f.start for f in found]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
