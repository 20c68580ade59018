"""Policy model: decisions by tool, role, principal and purpose; file loading with line numbers."""

from __future__ import annotations

import textwrap

import pytest

from guardllm import Guard, Policy, PolicyError, load_policy
from guardllm.cli import main
from guardllm.policy import default_policy_text, parse_policy

POLICY_YAML = textwrap.dedent("""\
    version: 1
    entities:
      EMAIL_ADDRESS:
        reveal_to:
          tools: [send_email]
          roles: [support]
        deny:
          principals: [intern-bot]
      CREDIT_CARD:
        action: mask
      US_SSN:
        action: block
      PHONE_NUMBER:
        reveal_to:
          principals: [svc-billing]
          purposes: [billing]
          user: false
    principals:
      alice: {roles: [support]}
    tools:
      run_sql: {read_only: true, max_rows: 100, reveal: [PERSON]}
    """)


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY_YAML)
    return load_policy(path)


def test_default_policy_file_matches_builtin():
    assert parse_policy(default_policy_text()) == Policy.default()


@pytest.mark.parametrize(
    "etype,to,principal,purpose,allowed,rule",
    [
        (
            "EMAIL_ADDRESS",
            "tool:send_email",
            None,
            None,
            True,
            "entities.EMAIL_ADDRESS.reveal_to.tools[send_email]",
        ),
        ("EMAIL_ADDRESS", "tool:web", None, None, False, "default.least_privilege"),
        (
            "EMAIL_ADDRESS",
            "role:support",
            None,
            None,
            True,
            "entities.EMAIL_ADDRESS.reveal_to.roles[support]",
        ),
        (
            "EMAIL_ADDRESS",
            "principal:alice",
            None,
            None,
            True,
            "entities.EMAIL_ADDRESS.reveal_to.roles[support]",
        ),
        ("EMAIL_ADDRESS", "principal:bob", None, None, False, "default.least_privilege"),
        (
            "EMAIL_ADDRESS",
            "tool:send_email",
            "intern-bot",
            None,
            False,
            "entities.EMAIL_ADDRESS.deny.principals[intern-bot]",
        ),
        ("EMAIL_ADDRESS", "user", None, None, True, "default.user_same_scope"),
        ("EMAIL_ADDRESS", "model", None, None, False, "default.model_sees_tokens"),
        ("PERSON", "tool:run_sql", None, None, True, "tools.run_sql.reveal[PERSON]"),
        ("CREDIT_CARD", "user", None, None, False, "entities.CREDIT_CARD.action.mask"),
        ("PHONE_NUMBER", "user", None, None, False, "entities.PHONE_NUMBER.reveal_to.purposes"),
        (
            "PHONE_NUMBER",
            "user",
            "svc-billing",
            "billing",
            True,
            "entities.PHONE_NUMBER.reveal_to.principals[svc-billing]",
        ),
        ("PHONE_NUMBER", "user", "alice", "billing", False, "entities.PHONE_NUMBER.reveal_to.user"),
        ("AWS_ACCESS_KEY", "user", None, None, False, "secrets.never_revealed"),
        ("IBAN_CODE", "user", None, None, True, "default.user_same_scope"),
    ],
)
def test_decisions(policy, etype, to, principal, purpose, allowed, rule):
    d = policy.decide(etype, to, principal=principal, purpose=purpose, roles=policy.roles_of(principal))
    assert (d.allowed, d.rule) == (allowed, rule)
    assert bool(d) is allowed


def test_actions_and_tool_options(policy):
    assert policy.action_for("CREDIT_CARD") == "mask"
    assert policy.action_for("EMAIL_ADDRESS") == "tokenize"
    assert policy.action_for("GITHUB_TOKEN") == "redact"
    assert policy.tool_options("run_sql")["max_rows"] == 100
    assert policy.tool_options("other") == {}


def test_with_tool_grant_is_a_copy(policy):
    granted = policy.with_tool_grant("crm", ["PHONE_NUMBER", "AWS_ACCESS_KEY"])
    assert granted.decide("PHONE_NUMBER", "tool:crm", purpose="billing").allowed
    assert not policy.decide("PHONE_NUMBER", "tool:crm", purpose="billing").allowed
    assert not granted.decide("AWS_ACCESS_KEY", "tool:crm").allowed  # secrets are never grantable


def test_guard_uses_roles_of_principal(policy):
    g = Guard(policy=policy, principal="alice")
    assert g.check_allowed("EMAIL_ADDRESS", to="principal:alice")
    assert not g.check_allowed("EMAIL_ADDRESS", to="tool:send_email", principal="intern-bot")


def test_yaml_errors_name_field_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        textwrap.dedent("""\
        version: 1
        entities:
          EMAIL_ADDRESS:
            action: tokenise
            reveal_to:
              tool: [send_email]
          AWS_ACCESS_KEY:
            action: tokenize
        principals:
          alice: {roles: support}
        """)
    )
    with pytest.raises(PolicyError) as ei:
        load_policy(bad)
    where = dict(ei.value.errors)
    assert f"{bad}:4: entities.EMAIL_ADDRESS.action" in where
    assert f"{bad}:6: entities.EMAIL_ADDRESS.reveal_to.tool" in where
    assert f"{bad}:10: principals.alice.roles" in where


def test_secret_action_rejected(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("entities:\n  GITHUB_TOKEN:\n    action: tokenize\n")
    with pytest.raises(PolicyError, match="secret"):
        load_policy(bad)


def test_semantic_errors_name_field_and_line_all_at_once(tmp_path):
    """Rules beyond the schema (secret actions, type names, tool grants) are reported like
    schema errors -- each with its field and line, all of them, in file order."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        textwrap.dedent("""\
        version: 1
        entities:
          EMAIL_ADDRESS:
            action: tokenise
          GITHUB_TOKEN:
            action: tokenize
          email_address:
            action: redact
        tools:
          run_sql:
            reveal: EMAIL_ADDRESS
        """)
    )
    with pytest.raises(PolicyError) as ei:
        load_policy(bad)
    assert [where for where, _ in ei.value.errors] == [
        f"{bad}:4: entities.EMAIL_ADDRESS.action",
        f"{bad}:6: entities.GITHUB_TOKEN.action",
        f"{bad}:7: entities.email_address",
        f"{bad}:11: tools.run_sql.reveal",
    ]
    assert "secret" in ei.value.errors[1][1] and "upper-case" in ei.value.errors[2][1]
    toml = tmp_path / "bad.toml"
    toml.write_text('version = 1\n\n[entities.AWS_SECRET_KEY]\naction = "allow"\n')
    with pytest.raises(PolicyError) as ei:
        load_policy(toml)
    assert ei.value.errors[0][0] == f"{toml}:4: entities.AWS_SECRET_KEY.action"
    with pytest.raises(PolicyError) as ei:
        Policy.from_dict({"entities": {"GITHUB_TOKEN": {"action": "allow"}}}, source="cfg")
    assert ei.value.errors[0][0] == "cfg: entities.GITHUB_TOKEN.action"


def test_duplicate_yaml_key_is_an_error(tmp_path, capsys):
    """YAML keeps the last of two equal keys: a second EMAIL_ADDRESS block would silently
    replace the first (e.g. drop a deny rule), so it is refused with both lines."""
    dup = tmp_path / "dup.yaml"
    dup.write_text(
        "version: 1\nentities:\n  EMAIL_ADDRESS:\n    deny: {tools: [web]}\n"
        "  EMAIL_ADDRESS:\n    action: allow\n"
    )
    with pytest.raises(PolicyError) as ei:
        load_policy(dup)
    assert ei.value.errors == [
        (
            f"{dup}:5: entities.EMAIL_ADDRESS",
            "duplicate key (first defined on line 3); YAML would keep only the last",
        )
    ]
    assert main(["policy", "check", str(dup)]) == 1
    assert f"{dup}:5: entities.EMAIL_ADDRESS: duplicate key" in capsys.readouterr().out


def test_yaml_syntax_error_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nentities:\n  EMAIL_ADDRESS: [unclosed\n")
    with pytest.raises(PolicyError) as ei:
        load_policy(bad)
    assert ei.value.errors[0][0].startswith(f"{bad}:")


def test_toml_policy_and_errors(tmp_path):
    good = tmp_path / "p.toml"
    good.write_text(
        'version = 1\n[entities.EMAIL_ADDRESS]\naction = "surrogate"\n'
        '[entities.EMAIL_ADDRESS.reveal_to]\ntools = ["send_email"]\n'
    )
    p = load_policy(good)
    assert p.action_for("EMAIL_ADDRESS") == "surrogate"
    bad = tmp_path / "b.toml"
    bad.write_text('version = 1\n\n[entities.EMAIL_ADDRESS]\naction = "tokenise"\n')
    with pytest.raises(PolicyError) as ei:
        load_policy(bad)
    assert ei.value.errors[0][0] == f"{bad}:4: entities.EMAIL_ADDRESS.action"


def test_cli_policy_check(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(POLICY_YAML)
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ndefault_action: explode\n")
    assert main(["policy", "check", str(good)]) == 0
    assert main(["policy", "check", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{good}: OK" in out
    assert f"{bad}:2: default_action: must be one of" in out


def test_cli_policy_show(capsys):
    assert main(["policy", "show"]) == 0
    out = capsys.readouterr().out
    assert "default_action: tokenize" in out and "user_sees_restored: true" in out


def test_guard_accepts_path_and_dict(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(POLICY_YAML)
    assert Guard(policy=str(path)).policy.action_for("CREDIT_CARD") == "mask"
    assert Guard(policy={"default_action": "redact"}).policy.action_for("PERSON") == "redact"
    with pytest.raises(PolicyError):
        Guard(policy={"default_action": "nope"})


def test_policy_check_warns_about_unknown_entity_types(tmp_path, capsys):
    """A misspelt type is valid (custom types exist) but its rule would never apply:
    `policy check` warns with field, line and the likely intended type; --strict fails."""
    p = tmp_path / "typo.yaml"
    p.write_text(
        "version: 1\nentities:\n  CREDITCARD:\n    action: block\n  EMAIL_ADDRESS:\n    action: tokenize\n"
        "  ACME_CUSTOMER_ID:\n    action: redact\ntools:\n  crm:\n    reveal: [EMAIL_ADRESS, PERSON]\n"
    )
    assert main(["policy", "check", str(p)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{p}:3: entities.CREDITCARD: warning: unknown entity type CREDITCARD (did you mean CREDIT_CARD?)",
        f"{p}:7: entities.ACME_CUSTOMER_ID: warning: unknown entity type ACME_CUSTOMER_ID "
        "(a custom recognizer's type is fine)",
        f"{p}:11: tools.crm.reveal[0]: warning: unknown entity type EMAIL_ADRESS (did you mean EMAIL_ADDRESS?)",
        f"{p}: OK (3 warnings)",
    ]
    assert main(["policy", "check", "--strict", str(p)]) == 1
    toml = tmp_path / "typo.toml"
    toml.write_text('version = 1\n\n[entities.US_SNN]\naction = "block"\n')
    assert main(["policy", "check", str(toml)]) == 0
    assert f"{toml}:3: entities.US_SNN: warning: unknown entity type US_SNN (did you mean US_SSN?)" in (
        capsys.readouterr().out
    )


def test_a_secret_under_hash_is_hashed_as_the_policy_says_never_stored() -> None:
    from guardllm import Guard

    key = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    guard = Guard(store="memory://", policy={"entities": {"GITHUB_TOKEN": {"action": "hash"}}})
    assert guard.policy.action_for("GITHUB_TOKEN") == "hash"
    out = guard.mask(f"token {key}", scope="s")
    assert key not in out and out.startswith("token [") and ":" in out
    assert guard.mask(f"token {key}", scope="s") == out  # stable: the same key, the same hash
    assert guard.unmask(out, scope="s") == out  # nothing stored, nothing to reveal
    default = Guard(store="memory://")
    assert "[REDACTED:GITHUB_TOKEN]" in default.mask(f"token {key}", scope="s")
