"""Secret detection: every rule against its own example, the structural rules, placeholders,
near misses, and adversarial inputs that must stay linear."""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from guardllm.detect import types as entity_types
from guardllm.detect.secret_rules import rand_body
from guardllm.detect.secrets import (
    SECRET_RULES,
    SECRET_TYPES,
    find_secret_spans,
    find_secrets,
    is_placeholder,
)

RNG = random.Random(20261128)
ALNUM = string.ascii_letters + string.digits


def rnd(n: int, chars: str = ALNUM) -> str:
    s = [RNG.choice(chars) for _ in range(n)]
    digits = [c for c in chars if c.isdigit()]
    if digits:
        s[0] = RNG.choice(digits)  # real random tokens of any length hold a digit
    return "".join(s)


def types_at(text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, f.text) for f in find_secrets(text)]


def covered(text: str, value: str) -> bool:
    """Every character of ``value`` (first occurrence) lies inside some finding."""
    start = text.index(value)
    spans = [(f.start, f.end) for f in find_secrets(text)]
    return all(any(a <= i < b for a, b in spans) for i in range(start, start + len(value)))


# -- the rule table ---------------------------------------------------------------------------------
def test_rule_table_is_broad_and_well_formed() -> None:
    assert len(SECRET_RULES) >= 200
    assert len({r.provider for r in SECRET_RULES}) >= 150
    assert len({r.id for r in SECRET_RULES}) == len(SECRET_RULES)
    for r in SECRET_RULES:
        assert r.examples, r.id
        assert r.keywords and all(k == k.lower() for k in r.keywords), r.id
        assert r.entity_type in SECRET_TYPES


@pytest.mark.parametrize("rule", SECRET_RULES, ids=lambda r: r.id)
def test_each_rule_matches_its_own_example(rule) -> None:
    for example in rule.examples:
        found = find_secrets(example)
        assert any(f.entity_type == rule.entity_type for f in found), (rule.id, found)
        for f in found:
            assert example[f.start : f.end] == f.text


@pytest.mark.parametrize("rule", SECRET_RULES, ids=lambda r: r.id)
def test_each_rule_rejects_a_placeholder_body(rule) -> None:
    # The same shape with an obviously fake body is not a secret of that rule.
    ex = rule.examples[0]
    fake = "".join("x" if c.isalnum() else c for c in ex[len(ex) // 2 :])
    found = find_secrets(ex[: len(ex) // 2] + fake)
    assert not any(f.entity_type == rule.entity_type and f.recognizer == rule.id for f in found)


def test_secret_types_have_valid_labels_and_are_registered_as_secrets() -> None:
    for name, label in SECRET_TYPES.items():
        assert label and label[0].isalpha() and label.replace("_", "").isalnum() and label.isupper()
        assert entity_types.is_secret(name), name


# -- core families ----------------------------------------------------------------------------------
def test_aws_keys() -> None:
    akid = "AKIA" + rnd(16, string.ascii_uppercase + "234567")
    sk = rnd(20) + "/" + rnd(18) + "+"
    text = f"[default]\naws_access_key_id = {akid}\naws_secret_access_key = {sk}\n"
    assert ("AWS_ACCESS_KEY", akid) in types_at(text)
    assert ("AWS_SECRET_KEY", sk) in types_at(text)
    assert types_at("key AKIAIOSFODNN7EXAMPLE") == []
    # A 40-hex git SHA after "secret" is no AWS secret key.
    assert not any(t == "AWS_SECRET_KEY" for t, _ in types_at("secret commit " + "a3f9" * 10))


@pytest.mark.parametrize("prefix", ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"])
def test_github_classic_tokens(prefix: str) -> None:
    tok = prefix + rnd(36)
    assert types_at(f"token: {tok}") == [("GITHUB_TOKEN", tok)]


def test_github_fine_grained_pat_and_gitlab() -> None:
    pat = f"github_pat_{rnd(22)}_{rnd(59)}"
    assert ("GITHUB_TOKEN", pat) in types_at(f"push rejected for token {pat} (scope)")
    for p in ("glpat-", "gldt-", "glrt-"):
        tok = p + rnd(20, ALNUM + "_-")
        assert ("GITLAB_TOKEN", tok) in types_at(f"CI uses {tok}")


def test_slack_stripe_openai_anthropic_google() -> None:
    cases = {
        "SLACK_TOKEN": f"xoxb-{rnd(12, string.digits)}-{rnd(13, string.digits)}-{rnd(24)}",
        "SLACK_WEBHOOK": f"https://hooks.slack.com/services/T{rnd(8, string.ascii_uppercase)}/B{rnd(9, string.ascii_uppercase)}/{rnd(24)}",
        "STRIPE_KEY": "rk_live_" + rnd(24),
        "OPENAI_KEY": "sk-proj-" + rnd(120, ALNUM + "_-"),
        "ANTHROPIC_KEY": "sk-ant-api03-" + rnd(93, ALNUM + "_-") + "AA",
        "GOOGLE_API_KEY": "AIza" + rnd(35, ALNUM + "_-"),
        "GOOGLE_OAUTH_SECRET": "GOCSPX-" + rnd(28, ALNUM + "_-"),
    }
    for etype, value in cases.items():
        assert (etype, value) in types_at(f"config value {value} here"), etype
    # Publishable Stripe keys are public by design.
    assert types_at("pk_live_" + rnd(24)) == []
    assert ("STRIPE_KEY", "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc") in types_at(
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
    )


def test_more_core_families() -> None:
    hexs = "0123456789abcdef"
    cases = {
        "TWILIO_KEY": "SK" + rnd(32, hexs),
        "SENDGRID_KEY": f"SG.{rnd(22, ALNUM + '_-')}.{rnd(43, ALNUM + '_-')}",
        "NPM_TOKEN": "npm_" + rnd(36),
        "PYPI_TOKEN": "pypi-AgEIcHlwaS5vcmc" + rnd(70, ALNUM + "_-"),
        "HUGGINGFACE_TOKEN": "hf_" + rnd(34),
        "DATABRICKS_TOKEN": "dapi" + rnd(32, hexs),
        "SHOPIFY_TOKEN": "shpat_" + rnd(32, hexs),
        "DIGITALOCEAN_TOKEN": "dop_v1_" + rnd(64, hexs),
        "AGE_SECRET_KEY": "AGE-SECRET-KEY-1" + rnd(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"),
        "VAULT_TOKEN": "hvs." + rnd(90, ALNUM + "_-"),
    }
    for etype, value in cases.items():
        assert (etype, value) in types_at(f"x = {value}"), etype


def test_azure_connection_string_masks_the_account_key() -> None:
    key = rnd(86, ALNUM + "+/") + "=="
    text = f"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={key};EndpointSuffix=core.windows.net"
    assert ("AZURE_CONNECTION_STRING", key) in types_at(text)


def test_context_rule_needs_its_keyword() -> None:
    value = rnd(32, "0123456789abcdef")
    assert any(t == "DATADOG_KEY" for t, _ in types_at(f"DD_API_KEY={value}"))
    assert types_at(f"build {value} finished") == []
    # A hash named as such is not a key even near a provider word.
    assert types_at(f"datadog agent sha256 checksum {value}") == []


# -- private keys and JWTs ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "label",
    [
        "RSA PRIVATE KEY",
        "PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "EC PRIVATE KEY",
        "PGP PRIVATE KEY BLOCK",
    ],
)
def test_private_key_block_is_covered_whole(label: str) -> None:
    body = "\n".join(rnd(64, ALNUM + "+/") for _ in range(5))
    block = f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"
    text = f"here is my key:\n{block}\nthanks"
    found = find_secrets(text)
    assert [(f.entity_type, f.text) for f in found] == [("PRIVATE_KEY", block)]


def test_private_key_in_json_and_truncated() -> None:
    body = rnd(64, ALNUM + "+/")
    pem = f"-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n"
    doc = json.dumps({"type": "service_account", "private_key": pem.replace("\\n", "\n")})
    assert covered(doc, body)
    cut = f"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n{body}\n{body[:30]}"
    assert covered(cut, body) and covered(cut, body[:30])
    # The public half is not a secret.
    assert types_at(f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----") == []


def _b64u(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def test_jwt_requires_a_json_header_with_alg() -> None:
    tok = f"{_b64u({'alg': 'HS256', 'typ': 'JWT'})}.{_b64u({'sub': '42', 'iat': 1700000000})}.{rnd(43, ALNUM + '_-')}"
    assert types_at(f"Cookie-less call with {tok} ok") == [("JWT", tok)]
    not_jwt = f"{_b64u({'typ': 'x'})}.{_b64u({'a': 1})}.{rnd(20)}"
    assert not any(t == "JWT" for t, _ in types_at(not_jwt))


# -- passwords and assignments --------------------------------------------------------------------
@pytest.mark.parametrize(
    "scheme",
    ["postgresql", "postgres", "mysql", "mongodb+srv", "redis", "amqp", "ftp", "https", "mssql+pyodbc"],
)
def test_url_password_is_masked_not_the_user(scheme: str) -> None:
    pw = rnd(6) + "#$!%?&@^*"[RNG.randrange(9)] + rnd(5)
    text = f"DATABASE_URL={scheme}://svc_user:{pw}@db.internal:5432/prod"
    assert ("PASSWORD", pw) in types_at(text)
    assert not any("svc_user" in v for _, v in types_at(text))


@pytest.mark.parametrize("user", ["a@b.com", "ops.team@corp.example.org", "x@y"])
def test_url_password_after_a_user_holding_an_at(user: str) -> None:
    # The LAST '@' before the host separates userinfo from host, in the user as in the password.
    pw = rnd(6) + "@" + rnd(5)
    text = f"postgres://{user}:{pw}@db.example.com:5432/app"
    assert types_at(text) == [("PASSWORD", pw)]


@pytest.mark.parametrize(
    "template",
    [
        "password={v}",
        "DB_PASSWORD={v}\n",
        'export PGPASSWORD="{v}"',
        "  password: {v}\n",
        '{{"password": "{v}", "user": "bob"}}',
        "{{'passwd': '{v}'}}",
        "[db]\npassword = {v}\n",
        "Server=db;Database=app;User Id=sa;Password={v};",
        "my password is {v}",
        "ldap bind pwd: {v}",
    ],
)
def test_password_assignments(template: str) -> None:
    pw = rnd(7) + "!" + rnd(3)
    text = template.format(v=pw)
    assert ("PASSWORD", pw) in types_at(text), text


@pytest.mark.parametrize(
    "template",
    [
        "api_key = '{v}'",
        "API_KEY={v}",
        'client_secret: "{v}"',
        "X-Api-Key: {v}",
        "My API key: {v}",
        "Secret Key: {v}",
        "client-key-data: {v}",
        "SECRET_KEY = '{v}'",
        '"auth_token": "{v}"',
        "https://api.acme.io/v1/items?access_token={v}&page=2",
    ],
)
def test_generic_credential_assignments(template: str) -> None:
    v = rnd(32, ALNUM + "_-")
    text = template.format(v=v)
    found = find_secrets(text)
    assert any(f.text == v for f in found), (text, found)


@pytest.mark.parametrize(
    "template",
    [
        "mysql -u root -p{v} mydb",
        "curl -u alice:{v} https://api.acme.io/v1",
        "docker login -u bob --password {v}",
        "CREATE USER bob IDENTIFIED BY '{v}';",
        "ALTER ROLE app WITH PASSWORD '{v}';",
        "<config><password>{v}</password></config>",
        "machine pypi.org login __token__ password {v}",
    ],
)
def test_passwords_in_commands_sql_and_xml(template: str) -> None:
    pw = rnd(8) + "!" + rnd(3)
    assert ("PASSWORD", pw) in types_at(template.format(v=pw)), template


def test_http_headers() -> None:
    tok = rnd(40, ALNUM + "._-")
    assert ("BEARER_TOKEN", tok) in types_at(f"Authorization: Bearer {tok}\nAccept: */*")
    basic = base64.b64encode(b"alice:" + rnd(12).encode()).decode()
    assert ("BASIC_AUTH", basic) in types_at(f"Authorization: Basic {basic}")
    sid = rnd(32)
    assert ("SESSION_TOKEN", sid) in types_at(f"Cookie: theme=dark; sessionid={sid}; lang=en")
    assert types_at("Cookie: theme=dark; lang=en-US") == []


# -- placeholders and near misses ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        "${DB_PASSWORD}",
        "$DB_PASSWORD",
        "<your-key>",
        "{{ token }}",
        "xxxxxxxx",
        "XXXXXXXXXXXX",
        "changeme",
        "password",
        "secret",
        "example",
        "dummy",
        "test",
        "********",
        "None",
        "null",
        "true",
        "",
        "os.environ['DB_PASSWORD']",
        "os.getenv('API_KEY')",
        "abcdef123456",
        "process.env.API_KEY",
    ],
)
def test_placeholders_are_not_secrets(value: str) -> None:
    assert is_placeholder(value)
    for template in ("password={v}\n", "api_key: {v}\n", '{{"secret": "{v}"}}', "postgres://u:{v}@h/db"):
        assert types_at(template.format(v=value)) == [], template.format(v=value)


@pytest.mark.parametrize(
    "text",
    [
        "commit a3f9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7 merged",
        "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        'etag: "33a64df551425fcc55e4d42a148795d9f25f89d4"',
        "token_type: bearer\nexpires_in: 3600",
        "max_tokens = 4096",
        "session=9c973603-8202-0ab2-9b92-d2a887110871",
        "api_key_id: 1234",
        "password_min_length: 12",
        "secret_name: prod-db-creds",
        "version = 2.23.33",
        "timestamp: 2026-12-02T22:02:00Z",
        "the passport number field",
        "tokenizer = AutoTokenizer.from_pretrained('bert')",
        "password = get_password()",
        "secret = settings.SECRET_KEY",
        "The password is expired, please reset it.",
        "Build c0aacc17fe4f4ad34d8df54cff4fe6e2a1b643bd finished; checksum bf37de27-c7aa-cef7-4550-5ae11003d86a.",
        "http://localhost:8080/path@v2",
        "api_token: 3c1b2f0a-6d5e-4c3b-9a8f-7e6d5c4b3a21",
        # code that merely mentions credentials
        "    token = current_run_id.set(str(run_id))",
        "    secrets_map: dict[str, str] | None = None,",
        '    new["input_token_details"] = merged_input',
        '    For example, `{"openai_api_key": "OPENAI_API_KEY"}`',
        "        api_key: Explicitly-provided API key.",
        "    pass_through_unknown_blocks: bool = True,",
        "def login(user: str, password: str) -> None:",
        'client = Anthropic(api_key="sk-ant-test")',
        "what SDK callers pass: dicts, lists and strings",
        "psql --password -h db",
        'git commit -m "fix password reset flow"',
        "use --password=$DB_PASS here",
        "        username, password = proxy_auth",
        "        password: Available when the proxy needs one.",
        "    token: JiraOauth2Token",
        "    password_mgr = HTTPPasswordMgr()",
        '"authorization: Bearer account-b"',
        'create_engine("postgresql://scott:tiger@localhost/test")',
        "f(keep_old_secret_active=keep_old_secret_active)",
        "Press any key: continue",
        "the primary key: id42abc",
    ],
)
def test_near_misses_do_not_fire(text: str) -> None:
    assert find_secrets(text) == [], text


@pytest.mark.parametrize("text", ['password = "hunter"', "PASSWORD=hunter", "password: hunter\n"])
def test_hardcoded_word_passwords_still_count(text: str) -> None:
    assert types_at(text) == [("PASSWORD", "hunter")]


def test_no_subspan_and_superset_both_reported() -> None:
    tok = "ghp_" + rnd(36)
    found = find_secrets(f'GITHUB_TOKEN="{tok}"')
    assert [(f.entity_type, f.text) for f in found] == [("GITHUB_TOKEN", tok)]


def test_bad_input() -> None:
    with pytest.raises(TypeError):
        find_secrets(None)  # type: ignore[arg-type]
    assert find_secrets("") == []


def test_example_bodies_are_deterministic() -> None:
    assert rand_body("x", "a-f0-9", 10) == rand_body("x", "a-f0-9", 10)


# -- adversarial inputs (must complete; timing lives in bench/) -----------------------------------------
_MB = 1_000_000
_ADVERSARIAL = {
    "base64": lambda r: base64.b64encode(r.randbytes(_MB * 3 // 4)).decode(),
    "digits": lambda r: "".join(r.choices(string.digits, k=_MB)),
    "a-a-": lambda r: "a-" * (_MB // 2),
    "at-dot": lambda r: "@." * (_MB // 2),
    "eyJ": lambda r: "eyJ" * (_MB // 3),
    "scheme": lambda r: "a://" * (_MB // 4),
    "begin-no-end": lambda r: "-----BEGIN RSA PRIVATE KEY-----\n" * (_MB // 32),
    "keys": lambda r: "password: token= api_key:" * (_MB // 25),
    "bearer": lambda r: "Authorization: Bearer " * (_MB // 22),
    "dash-flags": lambda r: "- --p " * (_MB // 6),
    "curl": lambda r: "curl http " * (_MB // 10),
    "hex": lambda r: "".join(r.choices("0123456789abcdef", k=_MB)),
}


@pytest.mark.parametrize("kind", list(_ADVERSARIAL))
def test_adversarial_input_completes(kind: str) -> None:
    text = _ADVERSARIAL[kind](random.Random(7))
    found = find_secrets(text)
    for f in found:
        assert f.entity_type in SECRET_TYPES
        assert 0 <= f.start < f.end <= len(text)


def test_every_finding_type_is_declared() -> None:
    blob = "\n".join(ex for r in SECRET_RULES for ex in r.examples)
    blob += "\npassword=" + rnd(12) + "\nAuthorization: Bearer " + rnd(40)
    for f in find_secrets(blob):
        assert f.entity_type in SECRET_TYPES


# -- the literal gates and lead-literal matching must not lose a rule in any surroundings ----------
@pytest.mark.parametrize(
    "wrap",
    [
        lambda ex: f"config:\n{ex}\n",  # after a newline, mid-text
        lambda ex: f"value={ex}; next",  # after '='
        lambda ex: f"Grüße, Kelvin \u212a: {ex}",  # non-ASCII that case-folds onto ASCII (exact path)
        lambda ex: f"café {ex} naïve",  # ordinary non-ASCII
        lambda ex: (ex[:4] + " ") * 80 + ex,  # the rule's lead repeated many times (dense path)
    ],
    ids=["newline", "equals", "case-folding-unicode", "unicode", "dense-leads"],
)
def test_every_rule_found_in_surrounding_text(wrap) -> None:
    # Wherever a rule's own regex matches its example, find_secrets must report that value.
    missed, tried = [], 0
    for rule in SECRET_RULES:
        ex = rule.examples[0]
        text = wrap(ex)
        m = rule.regex.search(text, text.rindex(ex))
        if m is None:
            continue  # the surroundings break the format itself (e.g. a netrc line must start a line)
        tried += 1
        a, b = m.span("s") if "s" in rule.regex.groupindex else m.span()
        mid = (a + b) // 2
        if not any(f.start <= mid < f.end and f.entity_type == rule.entity_type for f in find_secrets(text)):
            missed.append(rule.id)
    assert not missed
    assert tried >= len(SECRET_RULES) - 5


def test_span_tuples_match_findings() -> None:
    text = "\n".join(ex for r in SECRET_RULES for ex in r.examples) + "\nGrüße \u212a password=" + rnd(12)
    want = [(f.entity_type, f.start, f.end, f.score, f.recognizer) for f in find_secrets(text)]
    assert want and find_secret_spans(text) == want
    assert find_secret_spans(text, text.lower()) == want
    assert find_secret_spans(text, "short") == want  # a lower-cased text of another length is ignored
    with pytest.raises(TypeError):
        find_secret_spans(None)  # type: ignore[arg-type]


def test_stated_leads_agree_with_the_patterns() -> None:
    # Rules built from the regular shapes state their lead literals instead of having them read
    # from the regex; the two must agree (up to redundant longer leads such as 'sl.u.' next to 'sl.').
    from guardllm.detect.secrets import _triggers

    def minimal(leads):
        leads = set(leads)
        return {
            (lit, ci, b)
            for lit, ci, b in leads
            if not any(o != lit and lit.startswith(o) and (o, ci, b) in leads for o, _c, _b in leads)
        }

    stated = [r for r in SECRET_RULES if r.leads is not None]
    assert len(stated) >= 200
    for r in stated:
        assert minimal(r.leads) == minimal(_triggers(r.pattern)), r.id


# -- long texts: the tool-password rules run in windows around their gate words -----------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TOOL_LINES = [
    "docker login -u bob -p S3cr3tPass! registry.example.com",
    "sshpass -p 'hunter2xyz' ssh deploy@10.0.0.5",
    "htpasswd -b .htpasswd bob Passw0rd9x",
    "echo 'Pa55word!x' | docker login --password-stdin -u bob",
    "redis-cli -h cache -a Sup3rS3cretX",
    "mysql -u root -p'Sec#1234x' shop",
    "gpg --batch --passphrase Tr1cky!Pass file.gpg",
    "lftp -u bob,Pa55w0rdX ftp.example.com",
    'ConvertTo-SecureString "P@ssw0rd1" -AsPlainText -Force',
    "echo bob:Pa55w0rdZ | sudo chpasswd",
    "net use Z: \\\\srv\\share Pa55w0rdQ /user:bob",
    "7z x -pS3cretZip archive.7z",
    "keytool -list -storepass Chang3itNow -keystore ks.jks",
]
_FILLER = st.sampled_from(
    ["x" * 50, "lorem ipsum dolor sit amet ", "\n", " - ", " | ", "login ", "stdin ", "İ", "ß", "a" * 700]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_TOOL_LINES) | _FILLER, min_size=10, max_size=80), st.integers(0, 5000))
def test_gated_windows_find_what_a_full_scan_finds(parts: list[str], pad: int) -> None:
    from guardllm.detect.secrets import _TOOL_PW, _gated_matches

    text = "z" * pad + " ".join(parts) + " end " + "y" * 4200
    low = text.lower()
    for _tier, gates, rx, rid, _strict in _TOOL_PW:
        if rid == "cli-login":
            continue
        want = [(m.span(), m.groups()) for m in rx.finditer(text)]
        got = [(m.span(), m.groups()) for m in _gated_matches(rx, text, low, gates)]
        assert got == want, rid


def test_a_long_paste_finds_the_same_secrets_as_its_pieces() -> None:
    from guardllm.detect import scan

    filler = "routine log line without anything sensitive in it\n" * 400
    text = filler + "\n".join(_TOOL_LINES) + "\n" + filler
    assert len(text) > 40_000
    long_types = sorted(
        (f.entity_type, text[f.start : f.end]) for f in scan(text) if f.entity_type == "PASSWORD"
    )
    piece_types = sorted(
        (f.entity_type, line[f.start : f.end])
        for line in _TOOL_LINES
        for f in scan(line)
        if f.entity_type == "PASSWORD"
    )
    assert long_types == piece_types and len(long_types) >= 10
