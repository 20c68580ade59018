"""``guardllm scan`` through the real entry point: exit codes, JSON, stdin, walking, no raw values."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from guardllm.cli import main

EMAIL = "quentin.marlowe@example.org"
AWS = "AKIAQX4VYT7R2MNB3KDZ"
GHP = "ghp_R8kLm2Qw9Zx4Vt7Np3Hs6Jd1Fb5Gc0Ya8Ue2"
RAW = (EMAIL, AWS, GHP)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "app.env").write_text(f"CONTACT={EMAIL}\nAWS_ACCESS_KEY_ID={AWS}\n")
    sub = tmp_path / "src"
    sub.mkdir()
    (sub / "config.py").write_text(f'TOKEN = "{GHP}"\n')
    (sub / "clean.py").write_text("def add(a, b):\n    return a + b\n")
    (sub / "blob.bin").write_bytes(b"\0\1\2" + EMAIL.encode())
    for ignored in (".git", "node_modules", ".venv"):
        (tmp_path / ignored).mkdir()
        (tmp_path / ignored / "leak.txt").write_text(f"{AWS}\n")
    return tmp_path


def test_findings_exit_1_and_table_has_location_type_preview(tree, capsys):
    assert main(["scan", str(tree / "app.env")]) == 1
    out = capsys.readouterr().out
    assert f"{tree / 'app.env'}:1:9" in out and "EMAIL_ADDRESS" in out
    assert f"{tree / 'app.env'}:2:19" in out and "AWS_ACCESS_KEY" in out
    assert not any(v in out for v in RAW)


def test_clean_file_exit_0(tree, capsys):
    assert main(["scan", str(tree / "src" / "clean.py")]) == 0
    assert "0 finding(s)" in capsys.readouterr().out


def test_json_lines_parse_and_hold_no_raw_values(tree, capsys):
    assert main(["scan", "--json", str(tree)]) == 1
    captured = capsys.readouterr()
    recs = [json.loads(line) for line in captured.out.splitlines()]
    assert {r["entity_type"] for r in recs} == {"EMAIL_ADDRESS", "AWS_ACCESS_KEY", "GITHUB_TOKEN"}
    for r in recs:
        assert set(r) == {"file", "line", "column", "start", "end", "entity_type", "score", "preview"}
    # ignored dirs are not walked; binary files are skipped with a note
    assert not any(".git" in r["file"] or "node_modules" in r["file"] for r in recs)
    assert "skipped binary file" in captured.err
    assert not any(v in captured.out + captured.err for v in RAW)


def test_type_filters_and_min_score(tree, capsys):
    assert main(["scan", "--json", "--types", "email_address", str(tree)]) == 1
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {r["entity_type"] for r in recs} == {"EMAIL_ADDRESS"}
    assert main(["scan", "--exclude-types", "EMAIL_ADDRESS,AWS_ACCESS_KEY", str(tree / "app.env")]) == 0
    capsys.readouterr()
    assert main(["scan", "--min-score", "1.01", str(tree)]) == 0


def test_stdin_dash_via_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "guardllm", "scan", "--json", "-"],
        input=f"please mail {EMAIL}\n".encode(),
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    rec = json.loads(proc.stdout.splitlines()[0])
    assert rec["file"] == "<stdin>" and rec["entity_type"] == "EMAIL_ADDRESS" and rec["line"] == 1
    assert EMAIL.encode() not in proc.stdout + proc.stderr


def test_non_utf8_is_error_2_or_replaced(tmp_path, capsys):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"caf\xe9 " + EMAIL.encode())
    assert main(["scan", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "latin1.txt" in err and "byte offset 3" in err
    assert main(["scan", "--encoding-errors", "replace", str(bad)]) == 1


def test_missing_path_is_error_2(tmp_path, capsys):
    assert main(["scan", str(tmp_path / "nope")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_chunked_cli_finds_value_across_boundary(tmp_path, capsys):
    f = tmp_path / "long.txt"
    f.write_text("x " * 40 + f"{AWS}\n")
    assert main(["scan", "--json", "--chunk-size", "64", "--overlap", "32", str(f)]) == 1
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(r["entity_type"], r["start"], r["column"]) for r in recs] == [("AWS_ACCESS_KEY", 80, 81)]


def test_progress_bar_only_when_asked(tree, capsys):
    main(["scan", str(tree)])
    assert "files" not in capsys.readouterr().err  # stderr is not a TTY under pytest
    main(["scan", "--progress", str(tree)])
    err = capsys.readouterr().err
    assert "scanning [" in err and "files" in err
    assert not any(v in err for v in RAW)


def test_sample_scan_summarises_by_type(capsys):
    assert main(["scan", "--sample"]) == 1
    out = capsys.readouterr().out
    assert "finding(s)" in out
    for t in ("EMAIL_ADDRESS", "CREDIT_CARD", "AWS_ACCESS_KEY", "PERSON", "JWT"):
        assert t in out
    assert "4111 1111 1111 1111" not in out and "AKIAQX4VYT7R2MNB3KDZ" not in out
