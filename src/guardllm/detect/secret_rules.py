"""The provider secret rule table: one entry per known token format.

Each rule is data (id, entity type, provider, regex, prefilter keywords, validator knobs, score)
plus a deterministic example value, so tests can check every rule against its own example.
Two shapes cover most formats:

* ``_prefixed``: a distinctive literal prefix followed by a random body of a known alphabet and
  length (``ghp_`` + 36 alphanumerics).  The prefix doubles as the prefilter keyword.
* ``_context``: a format with no prefix (32 hex, a UUID ...) that only counts when a provider
  keyword sits shortly before it on the same line, and whose body passes an entropy check.

Patterns are written for linear-time matching: every repetition is bounded, and no rule begins
with an unbounded or optional repetition.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import cached_property

__all__ = ["RULE_TYPES", "SECRET_RULES", "SecretRule"]


@dataclass(frozen=True)
class SecretRule:
    """One provider token format.

    ``pattern`` (compiled as ``regex`` on first use: most rules never run in a given process)
    matches the token; when it has a group named ``s`` only that group is the secret (the rest
    is context).  ``keywords`` are lowercase literals: the rule only runs when one of them occurs
    in the lower-cased text.  ``min_entropy`` is the Shannon entropy (bits/char) the secret's
    random part must reach; ``body_start`` skips a fixed prefix before measuring it.

    ``leads``, when the table builder knows them, are ``(literal, ignore_case, boundary)``
    triples one of which starts every match (``boundary``: ``"alnum"`` when a look-behind rules
    out an ASCII letter or digit before it, ``"alpha"`` a letter, None nothing); otherwise the
    secret finder reads them from the pattern.
    """

    id: str
    entity_type: str
    provider: str
    pattern: str
    keywords: tuple[str, ...]
    score: float = 0.95
    min_entropy: float = 2.5
    body_start: int = 0
    examples: tuple[str, ...] = field(default=(), compare=False)
    leads: tuple[tuple[str, bool, str | None], ...] | None = field(default=None, compare=False)

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """The compiled pattern."""
        return re.compile(self.pattern)


# Body alphabets, named for readability in the table below.
ALNUM = "A-Za-z0-9"
HEX = "a-f0-9"
HEXU = "A-F0-9"
HEXA = "a-fA-F0-9"
B64U = "A-Za-z0-9_-"
B64 = "A-Za-z0-9+/"
LOWALNUM = "a-z0-9"
UPALNUM = "A-Z0-9"

_CHARSETS = {
    ALNUM: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    HEX: "0123456789abcdef",
    HEXU: "0123456789ABCDEF",
    HEXA: "0123456789abcdefABCDEF",
    B64U: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
    B64: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    LOWALNUM: "abcdefghijklmnopqrstuvwxyz0123456789",
    UPALNUM: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
}


def _expand(charset: str) -> str:
    """Expand a regex class body (``A-Za-z0-9_-``) into its characters."""
    if charset in _CHARSETS:
        return _CHARSETS[charset]
    out: list[str] = []
    i = 0
    while i < len(charset):
        if i + 2 < len(charset) and charset[i + 1] == "-":
            out.extend(chr(c) for c in range(ord(charset[i]), ord(charset[i + 2]) + 1))
            i += 3
        else:
            out.append(charset[i])
            i += 1
    return "".join(dict.fromkeys(out))


def rand_body(rule_id: str, charset: str, n: int, salt: str = "") -> str:
    """A deterministic random-looking body for examples (seeded by the rule id).

    It always holds a digit when the alphabet has one, as real random tokens of length do.
    """
    rng = random.Random(f"{rule_id}:{salt}")
    chars = _expand(charset)
    body = [rng.choice(chars) for _ in range(n)]
    digits = [c for c in chars if c.isdigit()]
    if digits and n >= 2 and not any(c.isdigit() for c in body):
        body[n // 2] = rng.choice(digits)
    return "".join(body)


_RULES: list[SecretRule] = []


def _lo(n: int | tuple[int, int]) -> int:
    return n if isinstance(n, int) else n[0]


def _quant(n: int | tuple[int, int]) -> str:
    return f"{{{n}}}" if isinstance(n, int) else f"{{{n[0]},{n[1]}}}"


def _prefixed(
    rid: str,
    etype: str,
    provider: str,
    prefixes: str | tuple[str, ...],
    charset: str,
    n: int | tuple[int, int],
    *,
    tail: str = "",
    tail_example: str = "",
    score: float = 0.95,
    min_entropy: float = 2.5,
    boundary: bool = True,
    case_insensitive_prefix: bool = False,
) -> None:
    """Register a ``prefix + body{n}`` rule (``tail`` is an optional fixed regex suffix)."""
    if isinstance(prefixes, str):
        prefixes = (prefixes,)
    alt = "|".join(re.escape(p) for p in prefixes)
    if case_insensitive_prefix:
        alt = f"(?i:{alt})"
    lead = f"(?<![{B64U}])" if boundary else ""
    pat = f"{lead}(?:{alt})[{charset}]{_quant(n)}{tail}(?![{charset}])"
    example = prefixes[0] + rand_body(rid, charset, _lo(n)) + tail_example
    _RULES.append(
        SecretRule(
            id=rid,
            entity_type=etype,
            provider=provider,
            pattern=pat,
            keywords=tuple(sorted({p.lower() for p in prefixes})),
            score=score,
            min_entropy=min_entropy,
            body_start=min(len(p) for p in prefixes),
            examples=(example,),
            leads=tuple(
                (
                    p.lower() if case_insensitive_prefix else p,
                    case_insensitive_prefix,
                    "alnum" if boundary else None,
                )
                for p in prefixes
            ),
        )
    )


def _custom(
    rid: str,
    etype: str,
    provider: str,
    pattern: str,
    keywords: tuple[str, ...],
    examples: tuple[str, ...],
    *,
    score: float = 0.95,
    min_entropy: float = 2.5,
    body_start: int = 0,
) -> None:
    """Register a hand-written rule (its examples are given explicitly)."""
    _RULES.append(
        SecretRule(rid, etype, provider, pattern, keywords, score, min_entropy, body_start, examples)
    )


def _context(
    rid: str,
    etype: str,
    provider: str,
    keywords: tuple[str, ...],
    body: str,
    example_body: str,
    *,
    score: float = 0.8,
    min_entropy: float = 3.0,
    gap: int = 40,
) -> None:
    """Register a prefix-less format that needs a provider keyword up to ``gap`` chars before it."""
    kw = "|".join(re.escape(k) for k in keywords)
    pat = f"(?<![A-Za-z])(?i:{kw})[^\\n]{{0,{gap}}}?(?<![{B64U}])(?P<s>{body})(?![{B64U}])"
    _RULES.append(
        SecretRule(
            rid,
            etype,
            provider,
            pat,
            tuple(k.lower() for k in keywords),
            score,
            min_entropy,
            0,
            (f"{keywords[0]}_api_key = {example_body}",),
            leads=tuple((k.lower(), True, "alpha") for k in keywords),
        )
    )


def _ctx_hex(rid: str, etype: str, provider: str, keywords: tuple[str, ...], n: int, **kw: object) -> None:
    _context(rid, etype, provider, keywords, f"[a-fA-F0-9]{{{n}}}", rand_body(rid, HEX, n), **kw)  # type: ignore[arg-type]


def _ctx_alnum(
    rid: str, etype: str, provider: str, keywords: tuple[str, ...], n: int | tuple[int, int], cs: str = ALNUM
) -> None:
    _context(rid, etype, provider, keywords, f"[{cs}]{_quant(n)}", rand_body(rid, cs, _lo(n)))


def _ctx_uuid(rid: str, etype: str, provider: str, keywords: tuple[str, ...]) -> None:
    h = rand_body(rid, HEX, 32)
    ex = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    _context(rid, etype, provider, keywords, "[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", ex)


def _r(rid: str, cs: str, n: int, salt: str = "") -> str:
    return rand_body(rid, cs, n, salt)


# ---------------------------------------------------------------------------------------------
# Core families
# ---------------------------------------------------------------------------------------------
_AWS_PREFIXES = (
    "AKIA",
    "ASIA",
    "ABIA",
    "ACCA",
    "AGPA",
    "AIDA",
    "AIPA",
    "ANPA",
    "ANVA",
    "APKA",
    "AROA",
    "ASCA",
)
_prefixed("aws-access-key-id", "AWS_ACCESS_KEY", "aws", _AWS_PREFIXES, UPALNUM, 16, min_entropy=2.0)
_custom(
    "aws-secret-access-key",
    "AWS_SECRET_KEY",
    "aws",
    r"(?i:aws|secret_access|secretaccess|secret access)[^\n]{0,60}?(?<![A-Za-z0-9/+])(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
    ("aws", "secret_access", "secretaccess", "secret access"),
    (f"aws_secret_access_key = {_r('aws-sk', 'A-Za-z0-9', 20)}/{_r('aws-sk', 'A-Za-z0-9', 19, '2')}",),
    min_entropy=3.5,
)
_custom(
    "aws-session-token",
    "AWS_SESSION_TOKEN",
    "aws",
    r"(?i:aws_session_token|aws_security_token|x-amz-security-token)[\"']?\s{0,3}[:=]\s{0,3}[\"']?(?P<s>[A-Za-z0-9/+=]{100,2000})",
    ("aws_session_token", "aws_security_token", "x-amz-security-token"),
    (f"AWS_SESSION_TOKEN={_r('aws-st', B64, 180)}",),
    min_entropy=4.0,
)

for _p in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"):
    _prefixed(f"github-{_p[:3]}", "GITHUB_TOKEN", "github", _p, ALNUM, (36, 251))
_custom(
    "github-fine-grained-pat",
    "GITHUB_TOKEN",
    "github",
    r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{50,70}(?![A-Za-z0-9_])|(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{60,255}(?![A-Za-z0-9_])",
    ("github_pat_",),
    (f"github_pat_{_r('gh-fg', ALNUM, 22)}_{_r('gh-fg', ALNUM, 59, 'b')}",),
    body_start=11,
)

for _p, _cs, _n in (
    ("glpat-", B64U, (20, 64)),
    ("gldt-", B64U, (20, 64)),
    ("glrt-", B64U, (20, 64)),
    ("glrtr-", B64U, (20, 64)),
    ("glcbt-", B64U, (20, 64)),
    ("glimt-", B64U, (25, 64)),
    ("glptt-", HEX, 40),
    ("glft-", B64U, (20, 64)),
    ("glsoat-", B64U, (20, 64)),
    ("glffct-", B64U, (20, 64)),
    ("gloas-", B64U, (40, 80)),
    ("glagent-", B64U, (40, 80)),
    ("GR1348941", B64U, (20, 40)),
):
    # GitLab 17+ "routable" tokens append ".<version>.<checksum>" to the base64 body.
    _prefixed(
        f"gitlab-{_p.strip('-').lower()}",
        "GITLAB_TOKEN",
        "gitlab",
        _p,
        _cs,
        _n,
        tail="(?:\\.[A-Za-z0-9_-]{2,80}){0,2}" if _cs == B64U else "",
    )

for _p in ("xoxb-", "xoxp-", "xoxa-", "xoxe-", "xoxs-", "xoxr-", "xoxo-", "xoxc-"):
    _custom(
        f"slack-{_p[:4]}",
        "SLACK_TOKEN",
        "slack",
        rf"(?<![A-Za-z0-9_-]){_p}[0-9]{{1,16}}(?:-[0-9A-Za-z]{{1,80}}){{1,4}}(?![A-Za-z0-9_-])",
        (_p,),
        (f"{_p}{_r(_p, '0123456789', 12)}-{_r(_p, '0123456789', 13, 'b')}-{_r(_p, ALNUM, 24, 'c')}",),
        body_start=5,
    )
_custom(
    "slack-config-token",
    "SLACK_TOKEN",
    "slack",
    r"(?<![A-Za-z0-9_-])xoxe\.xox[bp]-\d-[A-Za-z0-9]{100,200}(?![A-Za-z0-9_-])",
    ("xoxe.xox",),
    (f"xoxe.xoxp-1-{_r('slack-cfg', ALNUM, 146)}",),
)
_custom(
    "slack-app-token",
    "SLACK_TOKEN",
    "slack",
    r"(?<![A-Za-z0-9_-])xapp-\d-[A-Z0-9]{6,16}-\d{6,16}-[a-f0-9]{40,80}(?![A-Za-z0-9_-])",
    ("xapp-",),
    (
        f"xapp-1-A{_r('slack-app', UPALNUM, 9)}-{_r('slack-app', '0123456789', 13, 'b')}-{_r('slack-app', HEX, 64, 'c')}",
    ),
)
_custom(
    "slack-webhook",
    "SLACK_WEBHOOK",
    "slack",
    r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,200}",
    ("hooks.slack.com",),
    (
        f"https://hooks.slack.com/services/T{_r('swh', UPALNUM, 8)}/B{_r('swh', UPALNUM, 8, 'b')}/{_r('swh', ALNUM, 24, 'c')}",
    ),
    min_entropy=3.0,
    body_start=33,
)

_prefixed(
    "stripe-secret-key",
    "STRIPE_KEY",
    "stripe",
    ("sk_live_", "sk_test_", "rk_live_", "rk_test_"),
    ALNUM,
    (10, 247),
)
_prefixed("stripe-webhook-secret", "STRIPE_KEY", "stripe", "whsec_", ALNUM, (32, 64))

_custom(
    "openai-project-key",
    "OPENAI_KEY",
    "openai",
    r"(?<![A-Za-z0-9_-])sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,250}(?![A-Za-z0-9_-])",
    ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-none-"),
    (f"sk-proj-{_r('oai-proj', B64U, 156)}",),
    body_start=8,
)
_custom(
    "openai-legacy-key",
    "OPENAI_KEY",
    "openai",
    r"(?<![A-Za-z0-9_-])sk-(?!ant-)[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}(?![A-Za-z0-9_-])|(?<![A-Za-z0-9_-])sk-[A-Za-z0-9]{48}(?![A-Za-z0-9_-])",
    ("sk-",),
    (f"sk-{_r('oai-l', ALNUM, 20)}T3BlbkFJ{_r('oai-l', ALNUM, 20, 'b')}", f"sk-{_r('oai-l2', ALNUM, 48)}"),
    body_start=3,
)
_custom(
    "anthropic-key",
    "ANTHROPIC_KEY",
    "anthropic",
    r"(?<![A-Za-z0-9_-])sk-ant-(?:api|admin|oat|sid|ort)\d\d-[A-Za-z0-9_-]{32,200}(?![A-Za-z0-9_-])",
    ("sk-ant-",),
    (f"sk-ant-api03-{_r('ant', B64U, 93)}AA", f"sk-ant-admin01-{_r('ant2', B64U, 93)}AA"),
    body_start=14,
)

_prefixed("google-api-key", "GOOGLE_API_KEY", "google", "AIza", B64U, 35)
_prefixed("google-oauth-client-secret", "GOOGLE_OAUTH_SECRET", "google", "GOCSPX-", B64U, 28)
_prefixed("google-oauth-access-token", "GOOGLE_OAUTH_TOKEN", "google", "ya29.", B64U, (30, 2000))
_custom(
    "gcp-service-account-key",
    "GOOGLE_SERVICE_ACCOUNT",
    "google",
    r"\"private_key_id\"\s{0,3}:\s{0,3}\"(?P<s>[a-f0-9]{40})\"",
    ('"private_key_id"',),
    (f'"private_key_id": "{_r("gcp-sa", HEX, 40)}"',),
)

_custom(
    "azure-storage-connection-string",
    "AZURE_CONNECTION_STRING",
    "azure",
    r"(?i:AccountKey|SharedAccessKey|PrimaryKey|SecondaryKey)\s{0,2}=\s{0,2}(?P<s>[A-Za-z0-9+/]{30,100}={0,2})",
    ("accountkey", "sharedaccesskey", "primarykey", "secondarykey"),
    (
        f"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={_r('az-cs', B64, 86)}==;EndpointSuffix=core.windows.net",
        f"Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={_r('az-sb', B64, 43)}=",
    ),
    min_entropy=3.5,
)
_custom(
    "azure-sas-signature",
    "AZURE_KEY",
    "azure",
    r"[?&]sig=(?P<s>[A-Za-z0-9%+/]{30,120}(?:%3[Dd]|=){0,2})",
    ("sig=",),
    (
        f"https://acme.blob.core.windows.net/c/f?sv=2022-11-02&se=2026-01-01&sp=r&sig={_r('az-sas', ALNUM, 43)}%3D",
    ),
    min_entropy=3.5,
)
_custom(
    "azure-ad-client-secret",
    "AZURE_KEY",
    "azure",
    r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])",
    ("q~",),
    (f"{_r('az-ad', ALNUM, 3)}8Q~{_r('az-ad', ALNUM, 34, 'b')}",),
)
_context(
    "azure-key-context",
    "AZURE_KEY",
    "azure",
    ("azure", "ocp-apim-subscription-key", "cognitive"),
    "[a-fA-F0-9]{32}|[A-Za-z0-9]{84}|[A-Za-z0-9]{52}",
    _r("az-ctx", HEX, 32),
)
_context(
    "azure-devops-pat",
    "AZURE_KEY",
    "azure",
    ("azure_devops", "azure-devops", "ado_pat", "dev.azure.com", "system_accesstoken"),
    "[a-z2-7]{52}",
    _r("ado", "abcdefghijklmnopqrstuvwxyz234567", 52),
    gap=60,
)

_prefixed("twilio-api-key-sid", "TWILIO_KEY", "twilio", "SK", HEX, 32, min_entropy=3.0)
_prefixed("twilio-account-sid", "TWILIO_KEY", "twilio", "AC", HEX, 32, score=0.7, min_entropy=3.0)
_ctx_hex("twilio-auth-token", "TWILIO_KEY", "twilio", ("twilio", "auth_token", "authtoken"), 32)

_custom(
    "sendgrid-api-key",
    "SENDGRID_KEY",
    "sendgrid",
    r"(?<![A-Za-z0-9_.-])SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,50}(?![A-Za-z0-9_-])",
    ("sg.",),
    (f"SG.{_r('sg', B64U, 22)}.{_r('sg', B64U, 43, 'b')}",),
)
_prefixed("npm-token", "NPM_TOKEN", "npm", "npm_", ALNUM, 36)
_prefixed(
    "pypi-token",
    "PYPI_TOKEN",
    "pypi",
    ("pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw"),
    B64U,
    (50, 300),
)
# Hugging Face bodies are letters only (no digits); the wider ALNUM class also accepts any
# older or hand-made variant, and the digit heuristic in ``_random_enough`` lets letter-only
# bodies through when their case mix looks random.
_prefixed("huggingface-token", "HUGGINGFACE_TOKEN", "huggingface", "hf_", ALNUM, 34)
_prefixed("huggingface-org-token", "HUGGINGFACE_TOKEN", "huggingface", "api_org_", ALNUM, 34)
_prefixed("databricks-token", "DATABRICKS_TOKEN", "databricks", "dapi", HEX, 32, tail="(?:-\\d)?")
_prefixed("databricks-oauth-secret", "DATABRICKS_TOKEN", "databricks", "dose", HEX, 32, tail="(?:-\\d)?")

# ---------------------------------------------------------------------------------------------
# Breadth: prefixed formats (provider, prefix, alphabet, length)
# ---------------------------------------------------------------------------------------------
_PREFIXED: list[tuple[str, str, str, tuple[str, ...] | str, str, int | tuple[int, int]]] = [
    ("shopify-access-token", "SHOPIFY_TOKEN", "shopify", ("shpat_", "shpca_", "shppa_", "shpss_"), HEXA, 32),
    ("digitalocean-token", "DIGITALOCEAN_TOKEN", "digitalocean", ("dop_v1_", "doo_v1_", "dor_v1_"), HEX, 64),
    ("heroku-token", "HEROKU_KEY", "heroku", "HRKU-", B64U, (40, 70)),
    ("netlify-token", "NETLIFY_TOKEN", "netlify", "nfp_", ALNUM, 36),
    (
        "doppler-token",
        "DOPPLER_TOKEN",
        "doppler",
        ("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
        ALNUM,
        (40, 44),
    ),
    ("linear-api-key", "LINEAR_KEY", "linear", "lin_api_", ALNUM, 40),
    ("linear-oauth", "LINEAR_KEY", "linear", "lin_oauth_", HEX, 64),
    ("notion-token", "NOTION_TOKEN", "notion", "ntn_", ALNUM, (46, 50)),
    ("notion-legacy-secret", "NOTION_TOKEN", "notion", "secret_", ALNUM, 43),
    ("atlassian-api-token", "ATLASSIAN_TOKEN", "atlassian", ("ATATT3", "ATCTT3"), "A-Za-z0-9_=-", (150, 260)),
    (
        "postman-api-key",
        "POSTMAN_KEY",
        "postman",
        "PMAK-",
        HEX,
        24,
    ),
    ("pulumi-token", "PULUMI_TOKEN", "pulumi", "pul-", HEX, 40),
    ("grafana-cloud-token", "GRAFANA_TOKEN", "grafana", "glc_", "A-Za-z0-9+/", (32, 400)),
    ("grafana-api-key", "GRAFANA_TOKEN", "grafana", "eyJrIjoi", "A-Za-z0-9", (60, 400)),
    ("newrelic-user-key", "NEWRELIC_KEY", "newrelic", "NRAK-", UPALNUM, 27),
    ("newrelic-insert-key", "NEWRELIC_KEY", "newrelic", ("NRII-", "NRIQ-"), B64U, 32),
    ("newrelic-browser-key", "NEWRELIC_KEY", "newrelic", "NRJS-", HEX, 19),
    ("newrelic-admin-key", "NEWRELIC_KEY", "newrelic", "NRAA-", HEX, 27),
    ("sentry-org-token", "SENTRY_TOKEN", "sentry", "sntrys_eyJ", "A-Za-z0-9_=+/-", (60, 400)),
    ("sentry-user-token", "SENTRY_TOKEN", "sentry", "sntryu_", HEX, 64),
    ("figma-token", "FIGMA_TOKEN", "figma", ("figd_", "figo_", "figu_"), B64U, (40, 60)),
    ("supabase-token", "SUPABASE_KEY", "supabase", "sbp_", HEX, 40),
    ("supabase-secret-key", "SUPABASE_KEY", "supabase", "sb_secret_", B64U, (31, 64)),
    (
        "planetscale-token",
        "PLANETSCALE_TOKEN",
        "planetscale",
        ("pscale_pw_", "pscale_tkn_", "pscale_oauth_"),
        "A-Za-z0-9_.-",
        (32, 64),
    ),
    ("age-secret-key", "AGE_SECRET_KEY", "age", "AGE-SECRET-KEY-1", "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
    ("vault-service-token", "VAULT_TOKEN", "hashicorp", ("hvs.", "hvr."), B64U, (24, 300)),
    ("vault-batch-token", "VAULT_TOKEN", "hashicorp", "hvb.", B64U, (100, 400)),
    ("docker-pat", "DOCKER_TOKEN", "docker", ("dckr_pat_", "dckr_oat_"), B64U, (27, 40)),
    ("contentful-pat", "CONTENTFUL_TOKEN", "contentful", "CFPAT-", B64U, 43),
    ("sonarqube-token", "SONARQUBE_TOKEN", "sonarqube", ("sqp_", "squ_", "sqa_"), HEX, 40),
    ("buildkite-token", "BUILDKITE_TOKEN", "buildkite", ("bkua_", "bkct_"), HEX, 40),
    ("adafruit-key", "ADAFRUIT_KEY", "adafruit", "aio_", ALNUM, 28),
    ("clojars-token", "CLOJARS_TOKEN", "clojars", "CLOJARS_", LOWALNUM, 60),
    (
        "dynatrace-token",
        "DYNATRACE_TOKEN",
        "dynatrace",
        ("dt0c01.", "dt0s01.", "dt0s02.", "dt0s16."),
        UPALNUM,
        24,
    ),
    ("easypost-key", "EASYPOST_KEY", "easypost", ("EZAK", "EZTK"), ALNUM, 54),
    ("frameio-token", "FRAMEIO_TOKEN", "frameio", "fio-u-", "A-Za-z0-9_=-", 64),
    ("prefect-key", "PREFECT_KEY", "prefect", ("pnu_", "pnb_"), ALNUM, 36),
    ("readme-key", "README_KEY", "readme", "rdme_", LOWALNUM, 70),
    ("rubygems-key", "RUBYGEMS_KEY", "rubygems", "rubygems_", HEX, 48),
    ("scalingo-token", "SCALINGO_TOKEN", "scalingo", ("tk-us-", "tk-eu-"), B64U, 48),
    ("shippo-token", "SHIPPO_TOKEN", "shippo", ("shippo_live_", "shippo_test_"), HEX, 40),
    ("typeform-token", "TYPEFORM_TOKEN", "typeform", "tfp_", "A-Za-z0-9_.=-", (44, 64)),
    ("duffel-token", "DUFFEL_TOKEN", "duffel", ("duffel_live_", "duffel_test_"), "A-Za-z0-9_=-", 43),
    ("flutterwave-secret", "FLUTTERWAVE_KEY", "flutterwave", ("FLWSECK-", "FLWSECK_TEST-"), HEXA, 32),
    ("bitbucket-app-password", "BITBUCKET_TOKEN", "bitbucket", ("ATBB", "ATCTT"), "A-Za-z0-9_=.-", (32, 80)),
    ("circleci-pat", "CIRCLECI_TOKEN", "circleci", ("CCIPAT_", "CCIPRJ_"), "A-Za-z0-9_", (50, 70)),
    ("square-access-token", "SQUARE_TOKEN", "square", ("sq0atp-", "EAAA"), B64U, (22, 60)),
    ("square-oauth-secret", "SQUARE_TOKEN", "square", "sq0csp-", B64U, 43),
    ("mapbox-secret-token", "MAPBOX_TOKEN", "mapbox", "sk.eyJ", "A-Za-z0-9_.-", (60, 300)),
    ("dropbox-token", "DROPBOX_TOKEN", "dropbox", ("sl.u.", "sl."), B64U, (130, 1400)),
    ("alibaba-access-key", "ALIBABA_KEY", "alibaba", "LTAI", ALNUM, (12, 24)),
    ("tencent-secret-id", "TENCENT_KEY", "tencent", "AKID", ALNUM, 32),
    ("cloudflare-origin-ca", "CLOUDFLARE_KEY", "cloudflare", "v1.0-", "a-f0-9-", (150, 200)),
    ("facebook-access-token", "FACEBOOK_TOKEN", "facebook", "EAA", ALNUM, (90, 400)),
    ("twitter-bearer-token", "TWITTER_TOKEN", "twitter", "AAAAAAAAAAAAAAAAAAAAA", "A-Za-z0-9%", (40, 120)),
    (
        "telnyx-key",
        "TELNYX_KEY",
        "telnyx",
        "KEY",
        HEXU,
        32,
    ),
    ("brevo-key", "BREVO_KEY", "brevo", ("xkeysib-", "xsmtpsib-"), "a-f0-9A-Za-z-", (80, 90)),
    ("mandrill-key", "MAILCHIMP_KEY", "mailchimp", "md-", B64U, 22),
    ("mailgun-key", "MAILGUN_KEY", "mailgun", "key-", HEX, 32),
    ("mailgun-pubkey", "MAILGUN_KEY", "mailgun", "pubkey-", HEX, 32),
    ("resend-key", "RESEND_KEY", "resend", "re_", "A-Za-z0-9_", (30, 40)),
    ("segment-token", "SEGMENT_TOKEN", "segment", "sgp_", ALNUM, 64),
    ("sourcegraph-token", "SOURCEGRAPH_TOKEN", "sourcegraph", ("sgp_local_", "sgph_"), HEX, 40),
    ("posthog-personal-key", "POSTHOG_KEY", "posthog", "phx_", ALNUM, 43),
    ("launchdarkly-key", "LAUNCHDARKLY_KEY", "launchdarkly", ("api-", "sdk-"), "a-f0-9-", 36),
    ("hubspot-pat", "HUBSPOT_TOKEN", "hubspot", ("pat-na1-", "pat-eu1-"), "a-f0-9-", 36),
    ("zoho-token", "ZOHO_TOKEN", "zoho", "1000.", "a-f0-9.", 65),
    ("clickup-token", "CLICKUP_TOKEN", "clickup", "pk_", "0-9_A-Z", (40, 45)),
    ("woocommerce-key", "WOOCOMMERCE_KEY", "woocommerce", ("ck_", "cs_"), HEX, 40),
    ("groq-key", "GROQ_KEY", "groq", "gsk_", ALNUM, 52),
    ("replicate-token", "REPLICATE_TOKEN", "replicate", "r8_", ALNUM, 37),
    ("perplexity-key", "PERPLEXITY_KEY", "perplexity", "pplx-", ALNUM, 48),
    ("xai-key", "XAI_KEY", "xai", "xai-", ALNUM, 80),
    ("pinecone-key", "PINECONE_KEY", "pinecone", "pcsk_", "A-Za-z0-9_", (60, 90)),
    ("langsmith-key", "LANGSMITH_KEY", "langchain", ("lsv2_pt_", "lsv2_sk_"), "a-f0-9_", 43),
    ("fireworks-key", "FIREWORKS_KEY", "fireworks", "fw_", ALNUM, 24),
    ("deno-token", "DENO_TOKEN", "deno", ("ddp_", "ddw_"), ALNUM, 36),
    ("render-key", "RENDER_KEY", "render", "rnd_", ALNUM, 32),
    ("fly-token", "FLY_TOKEN", "fly", ("fo1_", "fm1r_", "fm2_"), "A-Za-z0-9_+/=-", (43, 600)),
    ("nuget-key", "NUGET_KEY", "nuget", "oy2", LOWALNUM, 43),
    ("jfrog-api-key", "JFROG_KEY", "jfrog", "AKCp", ALNUM, 69),
    ("jfrog-identity-token", "JFROG_KEY", "jfrog", "cmVmdGtuOjAx", ALNUM, (52, 64)),
    ("octopus-key", "OCTOPUS_KEY", "octopus", "API-", UPALNUM, 26),
    ("harness-pat", "HARNESS_TOKEN", "harness", ("pat.", "sat."), "A-Za-z0-9_.", (60, 80)),
    ("ory-pat", "ORY_TOKEN", "ory", ("ory_pat_", "ory_at_", "ory_apikey_"), ALNUM, 32),
    ("onepassword-service-token", "ONEPASSWORD_TOKEN", "1password", "ops_eyJ", "A-Za-z0-9_+/=-", (250, 1000)),
    ("infracost-key", "INFRACOST_KEY", "infracost", "ico-", ALNUM, 32),
    ("deepsource-key", "DEEPSOURCE_KEY", "deepsource", "dsp_", ALNUM, (36, 64)),
    ("paddle-key", "PADDLE_KEY", "paddle", ("pdl_live_apikey_", "pdl_sdbx_apikey_"), "A-Za-z0-9_", (40, 60)),
    ("razorpay-key", "RAZORPAY_KEY", "razorpay", ("rzp_live_", "rzp_test_"), ALNUM, 14),
    (
        "plaid-access-token",
        "PLAID_TOKEN",
        "plaid",
        ("access-sandbox-", "access-development-", "access-production-"),
        "a-f0-9-",
        36,
    ),
    ("adobe-client-secret", "ADOBE_KEY", "adobe", "p8e-", "A-Za-z0-9_-", 32),
    ("akamai-client-token", "AKAMAI_TOKEN", "akamai", "akab-", "a-z0-9-", 33),
    ("scaleway-access-key", "SCALEWAY_KEY", "scaleway", "SCW", UPALNUM, 17),
    ("yandex-api-key", "YANDEX_KEY", "yandex", "AQVN", B64U, (35, 38)),
    ("yandex-access-key", "YANDEX_KEY", "yandex", "YC", B64U, 38),
    ("yandex-oauth", "YANDEX_KEY", "yandex", "y0_", B64U, (50, 60)),
    ("openrouter-key", "OPENROUTER_KEY", "openrouter", "sk-or-v1-", HEX, 64),
    ("anyscale-key", "ANYSCALE_KEY", "anyscale", "esecret_", ALNUM, 32),
    ("huggingface-write", "HUGGINGFACE_TOKEN", "huggingface", "hf_oauth_", ALNUM, 34),
    ("artifactory-ref", "JFROG_KEY", "jfrog", "AKCp8", ALNUM, 64),
    ("new-vercel-token", "VERCEL_TOKEN", "vercel", ("vcp_", "vci_", "vca_", "vcr_", "vck_"), ALNUM, (56, 64)),
    ("gitea-token", "GITEA_TOKEN", "gitea", "gta_", HEX, 40),
    ("mux-token", "MUX_TOKEN", "mux", "mux_", ALNUM, 40),
    ("neon-key", "NEON_KEY", "neon", "napi_", LOWALNUM, 64),
    ("upstash-token", "UPSTASH_TOKEN", "upstash", "AX", B64U, (60, 80)),
    ("cohere-key", "COHERE_KEY", "cohere", "co-", ALNUM, 40),
    (
        "tailscale-key",
        "TAILSCALE_KEY",
        "tailscale",
        ("tskey-auth-", "tskey-api-", "tskey-client-", "tskey-scim-", "tskey-webhook-"),
        "A-Za-z0-9-",
        (40, 80),
    ),
    ("ngrok-token", "NGROK_TOKEN", "ngrok", "ngrok_", "A-Za-z0-9_", (40, 60)),
    ("stytch-secret", "STYTCH_KEY", "stytch", ("secret-live-", "secret-test-"), B64U, (36, 44)),
    ("sumologic-access-id", "SUMOLOGIC_KEY", "sumologic", "su", ALNUM, 12),
    ("lob-live-key", "LOB_KEY", "lob", ("live_", "test_"), HEX, 35),
    ("gocardless-token", "GOCARDLESS_TOKEN", "gocardless", ("live_", "sandbox_"), "A-Za-z0-9_=-", 40),
    ("checkout-secret", "CHECKOUT_KEY", "checkout", ("sk_sbox_", "sk_prod_"), LOWALNUM, 26),
    ("paystack-secret", "PAYSTACK_KEY", "paystack", ("sk_live_", "sk_test_"), HEX, 40),
    ("deepseek-key", "DEEPSEEK_KEY", "deepseek", "sk-", HEX, 32),
    ("tavily-key", "TAVILY_KEY", "tavily", ("tvly-", "tvly-dev-", "tvly-prod-"), ALNUM, 32),
    ("firecrawl-key", "FIRECRAWL_KEY", "firecrawl", "fc-", HEX, 32),
]
# A few prefixes above are too short to stand alone; they need context (see below), so skip them here.
_NEEDS_CONTEXT = {
    "sumologic-access-id",
    "lob-live-key",
    "gocardless-token",
    "mollie-key",
    "upstash-token",
    "elevenlabs-key",
    "cohere-key",
    "paystack-secret",
}
for _rid, _et, _prov, _pfx, _cs, _n in _PREFIXED:
    if _rid in _NEEDS_CONTEXT:
        continue
    _prefixed(_rid, _et, _prov, _pfx, _cs, _n)

# Hand-shaped formats -------------------------------------------------------------------------
_custom(
    "mailchimp-api-key",
    "MAILCHIMP_KEY",
    "mailchimp",
    r"(?<![A-Za-z0-9])[a-f0-9]{32}-us[0-9]{1,2}(?![A-Za-z0-9])",
    ("-us",),
    (f"{_r('mc', HEX, 32)}-us14",),
    min_entropy=3.0,
)
_custom(
    "braintree-access-token",
    "PAYPAL_TOKEN",
    "paypal",
    r"access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}",
    ("access_token$",),
    (f"access_token$production${_r('bt', LOWALNUM, 16)}${_r('bt', HEX, 32, 'b')}",),
    body_start=24,
)
_custom(
    "terraform-cloud-token",
    "TERRAFORM_TOKEN",
    "hashicorp",
    r"(?<![A-Za-z0-9])[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}(?![A-Za-z0-9_=-])",
    (".atlasv1.",),
    (f"{_r('tfc', ALNUM, 14)}.atlasv1.{_r('tfc', B64U, 67, 'b')}",),
)
_custom(
    "grafana-service-account",
    "GRAFANA_TOKEN",
    "grafana",
    r"(?<![A-Za-z0-9_])glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}(?![A-Za-z0-9_])",
    ("glsa_",),
    (f"glsa_{_r('glsa', ALNUM, 32)}_{_r('glsa', HEX, 8, 'b')}",),
    body_start=5,
)
_custom(
    "postman-api-key-full",
    "POSTMAN_KEY",
    "postman",
    r"(?<![A-Za-z0-9_])PMAK-[a-f0-9]{24}-[a-f0-9]{34}(?![A-Za-z0-9_])",
    ("pmak-",),
    (f"PMAK-{_r('pmak', HEX, 24)}-{_r('pmak', HEX, 34, 'b')}",),
    body_start=5,
)
_custom(
    "discord-bot-token",
    "DISCORD_TOKEN",
    "discord",
    r"(?<![A-Za-z0-9_.-])[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}(?![A-Za-z0-9_.-])",
    ("discord", "bot "),
    (f"discord bot token: M{_r('dc', ALNUM, 25)}.{_r('dc', B64U, 6, 'b')}.{_r('dc', B64U, 38, 'c')}",),
)
_custom(
    "discord-webhook",
    "DISCORD_WEBHOOK",
    "discord",
    r"https?://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{10,20}/[A-Za-z0-9_-]{60,70}",
    ("discord",),
    (f"https://discord.com/api/webhooks/{_r('dcw', '0123456789', 18)}/{_r('dcw', B64U, 68, 'b')}",),
    body_start=40,
)
_custom(
    "telegram-bot-token",
    "TELEGRAM_TOKEN",
    "telegram",
    r"(?<![A-Za-z0-9_:])\d{8,10}:AA[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])",
    (":aa",),
    (f"{_r('tg', '123456789', 10)}:AA{_r('tg', B64U, 33, 'b')}",),
)
_custom(
    "teams-webhook",
    "TEAMS_WEBHOOK",
    "microsoft",
    r"https://[a-z0-9-]{1,60}\.webhook\.office\.com/webhookb2/[a-f0-9-]{36}@[a-f0-9-]{36}/IncomingWebhook/[A-Za-z0-9]{32}/[a-f0-9-]{36}(?:/[A-Za-z0-9_-]{20,60})?",
    ("webhook.office.com",),
    (
        "https://acme.webhook.office.com/webhookb2/"
        + "-".join(_r("teams", HEX, k, str(i)) for i, k in enumerate((8, 4, 4, 4, 12)))
        + "@"
        + "-".join(_r("teams", HEX, k, "b" + str(i)) for i, k in enumerate((8, 4, 4, 4, 12)))
        + f"/IncomingWebhook/{_r('teams', ALNUM, 32, 'c')}/"
        + "-".join(_r("teams", HEX, k, "d" + str(i)) for i, k in enumerate((8, 4, 4, 4, 12))),
    ),
    min_entropy=3.0,
)
_custom(
    "zapier-webhook",
    "ZAPIER_WEBHOOK",
    "zapier",
    r"https://hooks\.zapier\.com/hooks/catch/\d{4,12}/[a-z0-9]{5,12}/?",
    ("hooks.zapier.com",),
    (f"https://hooks.zapier.com/hooks/catch/{_r('zap', '0123456789', 8)}/{_r('zap', LOWALNUM, 7, 'b')}/",),
    min_entropy=2.0,
)
_custom(
    "firebase-fcm-server-key",
    "FIREBASE_KEY",
    "firebase",
    r"(?<![A-Za-z0-9_-])AAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{130,150}(?![A-Za-z0-9_-])",
    (":apa91b",),
    (f"AAAA{_r('fcm', B64U, 7)}:APA91b{_r('fcm', B64U, 134, 'b')}",),
)
_custom(
    "airtable-pat",
    "AIRTABLE_TOKEN",
    "airtable",
    r"(?<![A-Za-z0-9_])pat[A-Za-z0-9]{14}\.[a-f0-9]{64}(?![A-Za-z0-9_])",
    ("pat",),
    (f"pat{_r('at', ALNUM, 14)}.{_r('at', HEX, 64, 'b')}",),
    body_start=3,
)
_custom(
    "asana-pat",
    "ASANA_TOKEN",
    "asana",
    r"(?<![0-9/])[0-9]/[0-9]{10,20}(?:/[0-9]{10,20})?:[a-f0-9]{32}(?![A-Za-z0-9])",
    ("asana",),
    (
        f"asana: 2/{_r('asana', '123456789', 16)}/{_r('asana', '123456789', 16, 'b')}:{_r('asana', HEX, 32, 'c')}",
    ),
    min_entropy=3.0,
)
_custom(
    "dynatrace-token-full",
    "DYNATRACE_TOKEN",
    "dynatrace",
    r"(?<![A-Za-z0-9])dt0[a-z][0-9]{2}\.[A-Z0-9]{24}\.[A-Z0-9]{64}(?![A-Za-z0-9])",
    ("dt0",),
    (f"dt0c01.{_r('dt', UPALNUM, 24)}.{_r('dt', UPALNUM, 64, 'b')}",),
    body_start=7,
)
_custom(
    "yandex-iam-token",
    "YANDEX_KEY",
    "yandex",
    r"(?<![A-Za-z0-9_])t1\.[A-Za-z0-9_-]{8,200}={0,2}\.[A-Za-z0-9_-]{86}={0,2}",
    ("t1.",),
    (f"t1.{_r('yiam', B64U, 40)}.{_r('yiam', B64U, 86, 'b')}",),
)
_custom(
    "ghost-admin-key",
    "GHOST_KEY",
    "ghost",
    r"(?<![A-Za-z0-9])[a-f0-9]{24}:[a-f0-9]{64}(?![A-Za-z0-9])",
    ("ghost",),
    (f"ghost admin key {_r('ghost', HEX, 24)}:{_r('ghost', HEX, 64, 'b')}",),
    min_entropy=3.0,
)
_custom(
    "salesforce-access-token",
    "SALESFORCE_TOKEN",
    "salesforce",
    r"(?<![A-Za-z0-9])00D[A-Za-z0-9]{12,15}![A-Za-z0-9_.]{90,110}",
    ("00d",),
    (f"00D{_r('sf', ALNUM, 12)}!{_r('sf', ALNUM, 96, 'b')}",),
)
_custom(
    "private-pypi-netrc",
    "PASSWORD",
    "netrc",
    r"(?m)^\s{0,8}machine\s+\S{1,200}\s+login\s+\S{1,200}\s+password\s+(?P<s>\S{1,200})",
    ("machine",),
    (f"machine example.org login alice password {_r('netrc', ALNUM, 14)}",),
    min_entropy=1.5,
)

_custom(
    "npmrc-auth-token",
    "NPM_TOKEN",
    "npm",
    # Legacy npm and GitHub Packages tokens in .npmrc are bare UUIDs, which the generic
    # assignment check rejects (a UUID is usually an id); after ``_authToken=`` it is a token.
    r"(?i:_authtoken)\s{0,3}=\s{0,3}[\"']?(?P<s>[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})(?![A-Za-z0-9-])",
    ("_authtoken",),
    ("//registry.npmjs.org/:_authToken=" + "-".join(_r("npmrc", HEX, k, str(k)) for k in (8, 4, 4, 4, 12)),),
    min_entropy=3.0,
)
_custom(
    "langfuse-secret-key",
    "LANGFUSE_KEY",
    "langfuse",
    r"(?<![A-Za-z0-9_-])sk-lf-[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}(?![A-Za-z0-9_-])",
    ("sk-lf-",),
    ("sk-lf-" + "-".join(_r("langfuse", HEX, k, str(k)) for k in (8, 4, 4, 4, 12)),),
    body_start=6,
    min_entropy=3.0,
)
_custom(
    "vault-legacy-token",
    "VAULT_TOKEN",
    "hashicorp",
    # Vault before 1.10 issued ``s.`` + 24 alphanumerics; the prefix is too short to stand alone.
    r"(?<![A-Za-z0-9_.-])s\.[A-Za-z0-9]{24}(?![A-Za-z0-9_.-])",
    ("vault",),
    (f"VAULT_TOKEN=s.{_r('vault-legacy', ALNUM, 24)}",),
    body_start=2,
)

# ---------------------------------------------------------------------------------------------
# Breadth: context-bound formats (no prefix; a provider keyword must come shortly before)
# ---------------------------------------------------------------------------------------------
for _rid, _et, _prov, _kws, _n in [
    (
        "datadog-api-key",
        "DATADOG_KEY",
        "datadog",
        ("datadog", "dd_api_key", "dd-api-key", "dd_app_key", "dd-application-key"),
        32,
    ),
    ("datadog-app-key", "DATADOG_KEY", "datadog", ("datadog", "dd_app_key", "dd-application-key"), 40),
    ("algolia-key", "ALGOLIA_KEY", "algolia", ("algolia",), 32),
    ("facebook-app-secret", "FACEBOOK_TOKEN", "facebook", ("facebook", "fb_app_secret", "fb_secret"), 32),
    ("rollbar-token", "ROLLBAR_TOKEN", "rollbar", ("rollbar",), 32),
    ("bugsnag-key", "BUGSNAG_KEY", "bugsnag", ("bugsnag",), 32),
    ("trello-key", "TRELLO_KEY", "trello", ("trello",), 32),
    ("trello-token", "TRELLO_KEY", "trello", ("trello",), 64),
    ("pipedrive-token", "PIPEDRIVE_TOKEN", "pipedrive", ("pipedrive",), 40),
    ("todoist-token", "TODOIST_TOKEN", "todoist", ("todoist",), 40),
    ("wandb-key", "WANDB_KEY", "wandb", ("wandb", "weights_and_biases"), 40),
    ("deepgram-key", "DEEPGRAM_KEY", "deepgram", ("deepgram",), 40),
    ("assemblyai-key", "ASSEMBLYAI_KEY", "assemblyai", ("assemblyai", "assembly_ai"), 32),
    ("infura-key", "INFURA_KEY", "infura", ("infura",), 32),
    ("etherscan-key", "ETHERSCAN_KEY", "etherscan", ("etherscan",), 34),
    ("openweather-key", "OPENWEATHER_KEY", "openweather", ("openweather", "owm_api"), 32),
    ("newsapi-key", "NEWSAPI_KEY", "newsapi", ("newsapi",), 32),
    ("kaggle-key", "KAGGLE_KEY", "kaggle", ("kaggle",), 32),
    ("spotify-secret", "SPOTIFY_KEY", "spotify", ("spotify",), 32),
    ("webflow-token", "WEBFLOW_TOKEN", "webflow", ("webflow",), 64),
    ("linode-token", "LINODE_TOKEN", "linode", ("linode",), 64),
    ("sparkpost-key", "SPARKPOST_KEY", "sparkpost", ("sparkpost",), 40),
    ("mailgun-signing-key", "MAILGUN_KEY", "mailgun", ("mailgun",), 32),
    ("cloudflare-global-key", "CLOUDFLARE_KEY", "cloudflare", ("cloudflare", "cf_api_key", "x-auth-key"), 37),
    ("circleci-token", "CIRCLECI_TOKEN", "circleci", ("circleci", "circle_token"), 40),
    ("gitea-legacy-token", "GITEA_TOKEN", "gitea", ("gitea",), 40),
    ("box-token", "BOX_TOKEN", "box", ("box_client_secret", "box_developer_token"), 32),
    ("pusher-secret", "PUSHER_KEY", "pusher", ("pusher",), 20),
    ("nasa-key", "NASA_KEY", "nasa", ("nasa",), 40),
    ("zendesk-token-hex", "ZENDESK_TOKEN", "zendesk", ("zendesk",), 40),
    ("shopify-custom-token", "SHOPIFY_TOKEN", "shopify", ("shopify",), 32),
    ("lastfm-key", "LASTFM_KEY", "lastfm", ("lastfm", "last.fm", "audioscrobbler"), 32),
    ("zulip-key", "ZULIP_KEY", "zulip", ("zulip",), 32),
    ("mistral-key-hex", "MISTRAL_KEY", "mistral", ("mistral",), 32),
    ("hetzner-dns-token", "HETZNER_TOKEN", "hetzner", ("hetzner",), 32),
]:
    _ctx_hex(_rid, _et, _prov, _kws, _n)

for _rid, _et, _prov, _kws, _n, _cs in [
    ("vercel-token", "VERCEL_TOKEN", "vercel", ("vercel", "now_token"), 24, ALNUM),
    ("netlify-legacy-token", "NETLIFY_TOKEN", "netlify", ("netlify",), (40, 46), B64U),
    ("okta-token", "OKTA_TOKEN", "okta", ("okta", "ssws"), 42, B64U),
    ("auth0-client-secret", "AUTH0_KEY", "auth0", ("auth0",), 64, B64U),
    ("alibaba-secret", "ALIBABA_KEY", "alibaba", ("alibaba", "aliyun", "accesskeysecret"), 30, ALNUM),
    ("tencent-secret-key", "TENCENT_KEY", "tencent", ("tencent", "secretkey"), 32, ALNUM),
    ("ibm-cloud-key", "IBM_KEY", "ibm", ("ibm", "bluemix"), 44, B64U),
    ("cloudflare-api-token", "CLOUDFLARE_KEY", "cloudflare", ("cloudflare", "cf_api_token"), 40, B64U),
    ("fastly-token", "FASTLY_TOKEN", "fastly", ("fastly",), 32, B64U),
    (
        "confluent-secret",
        "CONFLUENT_KEY",
        "confluent",
        ("confluent", "sasl.jaas", "ccloud"),
        64,
        "A-Za-z0-9+/",
    ),
    ("confluent-key", "CONFLUENT_KEY", "confluent", ("confluent", "ccloud"), 16, UPALNUM),
    ("intercom-token", "INTERCOM_TOKEN", "intercom", ("intercom",), 60, "A-Za-z0-9_=-"),
    ("zendesk-token", "ZENDESK_TOKEN", "zendesk", ("zendesk",), 40, ALNUM),
    ("twitch-token", "TWITCH_TOKEN", "twitch", ("twitch",), 30, LOWALNUM),
    (
        "twitter-api-secret",
        "TWITTER_TOKEN",
        "twitter",
        ("twitter", "consumer_secret", "x_api_secret"),
        (45, 50),
        ALNUM,
    ),
    ("coinbase-secret", "COINBASE_KEY", "coinbase", ("coinbase",), 64, B64U),
    ("travis-token", "TRAVIS_TOKEN", "travis", ("travis",), 22, ALNUM),
    ("beamer-key", "BEAMER_KEY", "beamer", ("beamer",), 44, "A-Za-z0-9_=-"),
    (
        "messagebird-key",
        "MESSAGEBIRD_KEY",
        "messagebird",
        ("messagebird", "message_bird", "message-bird"),
        25,
        ALNUM,
    ),
    (
        "nytimes-key",
        "NYTIMES_KEY",
        "nytimes",
        ("nytimes", "new-york-times", "newyorktimes"),
        32,
        "A-Za-z0-9_=-",
    ),
    ("upstash-token", "UPSTASH_TOKEN", "upstash", ("upstash",), (60, 90), B64U),
    ("cohere-key", "COHERE_KEY", "cohere", ("cohere", "co_api_key"), 40, ALNUM),
    ("sumologic-key", "SUMOLOGIC_KEY", "sumologic", ("sumologic", "sumo_"), 64, ALNUM),
    ("mattermost-token", "MATTERMOST_TOKEN", "mattermost", ("mattermost",), 26, LOWALNUM),
    ("pagerduty-key", "PAGERDUTY_KEY", "pagerduty", ("pagerduty",), 20, "A-Za-z0-9_+-"),
    ("jira-token", "ATLASSIAN_TOKEN", "atlassian", ("jira", "confluence", "atlassian"), 24, ALNUM),
    ("finnhub-key", "FINNHUB_KEY", "finnhub", ("finnhub",), 20, LOWALNUM),
    ("vultr-key", "VULTR_KEY", "vultr", ("vultr",), 36, UPALNUM),
    ("hetzner-token", "HETZNER_TOKEN", "hetzner", ("hetzner", "hcloud"), 64, ALNUM),
    ("smartsheet-token", "SMARTSHEET_TOKEN", "smartsheet", ("smartsheet",), (26, 37), ALNUM),
    ("mixpanel-secret", "MIXPANEL_KEY", "mixpanel", ("mixpanel",), 32, ALNUM),
    ("amplitude-key", "AMPLITUDE_KEY", "amplitude", ("amplitude",), 32, ALNUM),
    ("rapidapi-key", "RAPIDAPI_KEY", "rapidapi", ("rapidapi", "x-rapidapi-key"), 50, B64U),
    ("binance-key", "BINANCE_KEY", "binance", ("binance",), 64, ALNUM),
    ("kraken-key", "KRAKEN_KEY", "kraken", ("kraken",), (56, 88), "A-Za-z0-9+/="),
    ("plivo-token", "PLIVO_KEY", "plivo", ("plivo",), 40, ALNUM),
    ("vonage-secret", "VONAGE_KEY", "vonage", ("vonage", "nexmo"), 16, ALNUM),
    ("freshdesk-key", "FRESHDESK_KEY", "freshdesk", ("freshdesk",), 20, ALNUM),
    ("miro-token", "MIRO_TOKEN", "miro", ("miro",), 40, B64U),
    ("harvest-token", "HARVEST_TOKEN", "harvest", ("harvest",), (50, 100), B64U),
    ("loggly-token", "LOGGLY_TOKEN", "loggly", ("loggly",), 36, "a-f0-9-"),
    ("honeycomb-key", "HONEYCOMB_KEY", "honeycomb", ("honeycomb", "x-honeycomb-team"), (22, 64), ALNUM),
    ("codecov-token", "CODECOV_TOKEN", "codecov", ("codecov",), 36, "a-f0-9-"),
    ("bitbucket-secret", "BITBUCKET_TOKEN", "bitbucket", ("bitbucket",), 32, B64U),
    ("railway-token", "RAILWAY_TOKEN", "railway", ("railway",), 36, "a-f0-9-"),
    ("together-key", "TOGETHER_KEY", "together", ("together_api", "togetherai", "together.ai"), 64, HEX),
    ("mistral-key", "MISTRAL_KEY", "mistral", ("mistral",), 32, ALNUM),
    ("stability-key", "STABILITY_KEY", "stability", ("stability",), 48, ALNUM),
    ("mongodb-atlas-key", "MONGODB_KEY", "mongodb", ("atlas_private_key", "mongodb_atlas"), 36, "a-f0-9-"),
    ("snowflake-password", "SNOWFLAKE_KEY", "snowflake", ("snowflake_password",), (8, 64), ALNUM),
    ("oracle-oci-fingerprint", "ORACLE_KEY", "oracle", ("oci_auth_token",), (20, 30), "A-Za-z0-9_:;.<>()+-"),
]:
    _ctx_alnum(_rid, _et, _prov, _kws, _n, _cs)

for _rid, _et, _prov, _kws in [
    ("heroku-api-key", "HEROKU_KEY", "heroku", ("heroku",)),
    ("snyk-token", "SNYK_TOKEN", "snyk", ("snyk",)),
    ("postmark-token", "POSTMARK_TOKEN", "postmark", ("postmark", "x-postmark-server-token")),
    ("coda-token", "CODA_TOKEN", "coda", ("coda",)),
    ("scaleway-secret", "SCALEWAY_KEY", "scaleway", ("scaleway", "scw_secret")),
    ("launchdarkly-sdk", "LAUNCHDARKLY_KEY", "launchdarkly", ("launchdarkly",)),
    ("split-key", "SPLIT_KEY", "split", ("split.io", "splitio")),
    ("azure-client-secret-uuid", "AZURE_KEY", "azure", ("client_secret", "azure_client_secret")),
    ("sauce-labs-key", "SAUCELABS_KEY", "saucelabs", ("sauce_access_key", "saucelabs")),
    ("browserstack-key", "BROWSERSTACK_KEY", "browserstack", ("browserstack",)),
    ("newrelic-license", "NEWRELIC_KEY", "newrelic", ("new_relic", "newrelic")),
]:
    _ctx_uuid(_rid, _et, _prov, _kws)


for _rid, _et, _prov, _kws, _body, _ex in [
    ("lob-key", "LOB_KEY", "lob", ("lob",), "(?:live|test)_[a-f0-9]{35}", "live_" + _r("lob", HEX, 35)),
    (
        "gocardless-key",
        "GOCARDLESS_TOKEN",
        "gocardless",
        ("gocardless",),
        "(?:live|sandbox)_[A-Za-z0-9_=-]{40}",
        "live_" + _r("gc", ALNUM, 40),
    ),
    (
        "mollie-key",
        "MOLLIE_KEY",
        "mollie",
        ("mollie",),
        "(?:live|test)_[A-Za-z0-9]{30}",
        "live_" + _r("mol", ALNUM, 30),
    ),
    (
        "elevenlabs-key",
        "ELEVENLABS_KEY",
        "elevenlabs",
        ("elevenlabs", "xi-api-key"),
        "sk_[a-f0-9]{48}|[a-f0-9]{32}",
        "sk_" + _r("el", HEX, 48),
    ),
]:
    _context(_rid, _et, _prov, _kws, _body, _ex)

SECRET_RULES: list[SecretRule] = list(_RULES)

#: Every provider entity type the table can emit, with its token label.
RULE_TYPES: dict[str, str] = {}
for _rule in SECRET_RULES:
    RULE_TYPES.setdefault(_rule.entity_type, _rule.entity_type)
_LABEL_OVERRIDES = {
    "AWS_ACCESS_KEY": "AWS_KEY",
    "AWS_SECRET_KEY": "AWS_SECRET",
    "GOOGLE_API_KEY": "GOOGLE_KEY",
    "AZURE_CONNECTION_STRING": "AZURE_CONN",
    "HUGGINGFACE_TOKEN": "HF_TOKEN",
}
RULE_TYPES.update({k: v for k, v in _LABEL_OVERRIDES.items() if k in RULE_TYPES})
