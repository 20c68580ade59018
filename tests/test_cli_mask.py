"""``guardllm mask`` / ``unmask`` / ``keygen`` through the real CLI entry point."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

from guardllm.cli import main

EMAIL = "noah.fischer@lakeside-clinic.example"


def test_mask_then_unmask_across_processes(tmp_path):
    store = f"sqlite:///{tmp_path / 'cli.db'}"
    src = tmp_path / "in.txt"
    src.write_text(f"Please email {EMAIL} today.\n")
    run = [sys.executable, "-m", "guardllm"]
    masked = subprocess.run(
        [*run, "mask", str(src), "--store", store, "--scope", "t1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert EMAIL not in masked and "[EMAIL_1]" in masked
    restored = subprocess.run(
        [*run, "unmask", "-", "--store", store, "--scope", "t1", "--to", "user"],
        input=masked,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert restored == src.read_text()
    refused = subprocess.run(
        [*run, "unmask", "-", "--store", store, "--scope", "t1", "--to", "tool:crm"],
        input=masked,
        capture_output=True,
        text=True,
        check=True,
    )
    assert refused.stdout == masked and "not revealed" in refused.stderr


def test_mask_json(tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_text(f"to {EMAIL}")
    assert main(["mask", str(src), "--store", "memory://", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["text"] == "to [EMAIL_1]"
    assert data["entities"][0]["entity_type"] == "EMAIL_ADDRESS" and EMAIL not in json.dumps(data)


def test_missing_key_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GUARDLLM_KEY")
    src = tmp_path / "in.txt"
    src.write_text("x")
    assert main(["mask", str(src), "--store", f"sqlite:///{tmp_path / 'k.db'}"]) == 2
    assert "guardllm keygen" in capsys.readouterr().err
    assert not (tmp_path / "k.db").exists()  # no database nobody could read


def test_non_utf8_input(tmp_path, capsys):
    src = tmp_path / "in.bin"
    src.write_bytes(b"\xff\xfe\x00bad")
    assert main(["mask", str(src), "--store", "memory://"]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_keygen(capsys):
    assert main(["keygen"]) == 0
    key = capsys.readouterr().out.strip()
    assert len(base64.b64decode(key)) == 32


def test_forget_and_rotate_key(tmp_path, capsys, monkeypatch):
    store = f"sqlite:///{tmp_path / 'cli.db'}"
    src = tmp_path / "in.txt"
    src.write_text(f"mail {EMAIL}")
    assert main(["mask", str(src), "--store", store, "--scope", "t1"]) == 0
    masked = capsys.readouterr().out
    keyfile = tmp_path / "new.key"
    keyfile.write_text(base64.b64encode(b"n" * 32).decode())
    assert main(["rotate-key", "--store", store, "--new-key-file", str(keyfile)]) == 0
    assert "re-wrapped" in capsys.readouterr().err
    monkeypatch.setenv("GUARDLLM_KEY", keyfile.read_text())
    back = tmp_path / "masked.txt"
    back.write_text(masked)
    assert main(["unmask", str(back), "--store", store, "--scope", "t1"]) == 0
    assert capsys.readouterr().out == f"mail {EMAIL}"
    assert main(["forget", "--store", store, "--scope", "t1"]) == 0
    assert "erased 1 vault entry" in capsys.readouterr().out
    assert main(["unmask", str(back), "--store", store, "--scope", "t1"]) == 0
    assert capsys.readouterr().out == masked
    assert main(["forget", "--store", store]) == 2


def test_default_store_location_and_overrides(tmp_path, monkeypatch, capsys):
    """Documented default: $GUARDLLM_HOME/guardllm.db, else ./.guardllm/guardllm.db;
    $GUARDLLM_STORE overrides both and --store overrides everything."""
    src = tmp_path / "in.txt"
    src.write_text(f"mail {EMAIL}")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("GUARDLLM_HOME", raising=False)
    monkeypatch.delenv("GUARDLLM_STORE", raising=False)
    assert main(["mask", str(src), "--scope", "d"]) == 0
    assert (work / ".guardllm" / "guardllm.db").is_file()
    home = tmp_path / "home"
    monkeypatch.setenv("GUARDLLM_HOME", str(home))
    assert main(["mask", str(src), "--scope", "d"]) == 0
    assert (home / "guardllm.db").is_file()
    env_db = tmp_path / "env.db"
    monkeypatch.setenv("GUARDLLM_STORE", f"sqlite:///{env_db}")
    assert main(["mask", str(src), "--scope", "d"]) == 0
    flag_db = tmp_path / "flag.db"
    assert main(["mask", str(src), "--scope", "d", "--store", f"sqlite:///{flag_db}"]) == 0
    assert env_db.is_file() and flag_db.is_file()
    capsys.readouterr()
    # each file holds its own log: one mask each, nothing spilled into the others
    for db in (work / ".guardllm" / "guardllm.db", home / "guardllm.db", env_db, flag_db):
        assert main(["audit", "query", "--store", f"sqlite:///{db}", "--event", "mask", "--json"]) == 0
        assert capsys.readouterr().out.count("\n") == 1


def test_subject_erasure_from_the_shell(tmp_path, capsys):
    store = f"sqlite:///{tmp_path / 'cli.db'}"
    src = tmp_path / "in.txt"
    src.write_text(f"mail {EMAIL}")
    assert main(["mask", str(src), "--store", store, "--scope", "t1", "--subject", "patient-7"]) == 0
    masked = tmp_path / "m.txt"
    masked.write_text(capsys.readouterr().out)
    assert main(["forget", "--store", store, "--subject", "patient-7", "--principal", "dpo:anna"]) == 0
    assert "erased 1 vault entry" in capsys.readouterr().out
    assert main(["unmask", str(masked), "--store", store, "--scope", "t1"]) == 0
    assert capsys.readouterr().out == masked.read_text()
    assert main(["audit", "query", "--store", store, "--event", "forget", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["principal"] == "dpo:anna" and "patient-7" not in json.dumps(rec)
    # both at once would erase the subject everywhere while the record named one scope
    assert main(["forget", "--store", store, "--scope", "t1", "--subject", "patient-7"]) == 2
    assert "not both" in capsys.readouterr().err
