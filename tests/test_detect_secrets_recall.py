"""Secret recall gaps: letter-only provider tokens, tool command lines, HTML forms, config files.

Every positive checks that each letter and digit of the value lies inside a secret finding
returned by ``guardllm.scan``; every near miss checks that nothing secret is reported.
"""

from __future__ import annotations

import random
import string

import pytest

import guardllm
from guardllm.detect.types import is_secret

RNG = random.Random(20261129)


def letters(n: int) -> str:
    return "".join(RNG.choice(string.ascii_letters) for _ in range(n))


def alnum(n: int) -> str:
    body = [RNG.choice(string.ascii_letters + string.digits) for _ in range(n)]
    body[n // 2] = RNG.choice(string.digits)
    return "".join(body)


def secret_findings(text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in guardllm.scan(text) if is_secret(f.entity_type)]


def covered(text: str, value: str) -> bool:
    start = text.index(value)
    spans = [(f.start, f.end) for f in guardllm.scan(text) if is_secret(f.entity_type)]
    return all(
        any(a <= i < b for a, b in spans) for i in range(start, start + len(value)) if text[i].isalnum()
    )


HF_LETTERS = [letters(34) for _ in range(20)]


# -- provider alphabets -----------------------------------------------------------------------------
def test_huggingface_token_from_the_report() -> None:
    text = "HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyzABCDEFGH"
    assert ("HUGGINGFACE_TOKEN", "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH") in secret_findings(text)


@pytest.mark.parametrize("body", HF_LETTERS)
def test_huggingface_tokens_are_letters_only(body: str) -> None:
    for text in (f"HF_TOKEN=hf_{body}", f"login with hf_{body} then", f'{{"token": "hf_{body}"}}'):
        assert ("HUGGINGFACE_TOKEN", f"hf_{body}") in secret_findings(text), text


def test_random_alnum_tokens_without_a_digit_are_still_tokens() -> None:
    # About 1 in 70 random 36-char alphanumeric bodies draws no digit at all.
    body = "".join(RNG.choice(string.ascii_letters) for _ in range(36))
    assert covered(f"export GITHUB_TOKEN=ghp_{body}", f"ghp_{body}")


@pytest.mark.parametrize(
    "value",
    [
        "hf_YourHuggingFaceAccessTokenGoesHere",  # CamelCase words, not random letters
        "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "hf_abcdefghijklmnopqrstuvwxyzabcdefgh",  # one case only
        "ghp_ThisIsNotARealTokenJustAnIdentifier",
    ],
)
def test_token_shaped_placeholders_stay_clean(value: str) -> None:
    assert secret_findings(f"token: {value}") == []


def test_other_new_provider_formats() -> None:
    hexbody = "".join(RNG.choice("0123456789abcdef") for _ in range(32))
    assert covered(f"DEEPSEEK_API_KEY=sk-{hexbody}", f"sk-{hexbody}")
    tv = alnum(32)
    assert covered(f"TAVILY_API_KEY=tvly-{tv}", f"tvly-{tv}")
    vt = alnum(24)
    assert covered(f"vault login --token=s.{vt}", f"s.{vt}")
    uuid = "3f9a2c1e-7b4d-4e8f-9a6b-2c5d8e1f0a7b"
    assert covered(f"//npm.pkg.github.com/:_authToken={uuid}\n", uuid)
    assert covered(f"LANGFUSE_SECRET_KEY=sk-lf-{uuid}", f"sk-lf-{uuid}")
    assert covered(f"FIRECRAWL_API_KEY=fc-{hexbody}", f"fc-{hexbody}")
    routable = f"glpat-{alnum(27)}.01.{alnum(9)}"  # GitLab 17+ routable token
    assert covered(f"GITLAB_TOKEN={routable}", routable)


def test_gitlab_token_stops_at_sentence_end() -> None:
    tok = f"glpat-{alnum(20)}"
    assert secret_findings(f"rotate {tok}. Then redeploy.") == [("GITLAB_TOKEN", tok)]


# -- tool command lines -----------------------------------------------------------------------------
PW = "Tr0ub4dor&3x"
CLI_POSITIVES = [
    (f"docker login -u alice -p {PW} registry.example.com", PW),
    ("docker login -u alice -p hunterpass registry.example.com", "hunterpass"),
    (f"podman login --username alice --password {PW} quay.io", PW),
    (f"docker login --password={PW} ghcr.io", PW),
    (f"echo {PW} | docker login --username bob --password-stdin quay.io", PW),
    (f'echo "{PW}" | docker login -u bob --password-stdin', PW),
    (f"printf '%s' | true; echo -n '{PW}' | helm registry login r.io -u me --password-stdin", PW),
    (f"echo {PW} | sudo -S apt-get update", PW),
    (f"mysql -u root -p{PW} appdb", PW),
    (f'psql "postgresql://app:{PW}@db.internal:5432/app"', PW),
    (f"sshpass -p '{PW}' ssh root@10.0.0.5", PW),
    ("sshpass -p R4nd0mPw ssh root@host", "R4nd0mPw"),
    (f"curl -u admin:{PW} https://api.example.com/v1", PW),
    ("git clone https://alice:gh0stPw9@github.com/org/repo.git", "gh0stPw9"),
    ("az login -u user@contoso.com -p Azur3Pw!x", "Azur3Pw!x"),
    ("az login --service-principal -u http://app -p Zq8~abcDEF123 --tenant t", "Zq8~abcDEF123"),
    ("oc login https://api.c1:6443 -u kubeadmin -p Kx82-Fq9L-MzP3", "Kx82-Fq9L-MzP3"),
    ("htpasswd -b /etc/nginx/.htpasswd alice Ht9pwd77", "Ht9pwd77"),
    ("htpasswd -bcB -C 10 .htpasswd alice sunshine42", "sunshine42"),
    ("htpasswd -nb alice sunshine42", "sunshine42"),
    ("redis-cli -h cache -a R3dis!pw ping", "R3dis!pw"),
    ("ldapsearch -x -D cn=admin,dc=ex,dc=org -w Ld4pPw! -b dc=ex", "Ld4pPw!"),
    ("sqlcmd -S db -U sa -P Sq1Pw!x -Q 'select 1'", "Sq1Pw!x"),
    ("mongosh --host db -u root -p M0ngoPw", "M0ngoPw"),
    ("openssl pkcs12 -export -in c.pem -passout pass:P12pass9 -out c.p12", "P12pass9"),
    ("keytool -list -keystore ks.jks -storepass St0rePw9", "St0rePw9"),
    ("smbclient //srv/share -U alice%Smb9Pass", "Smb9Pass"),
    ("xfreerdp /v:host /u:admin /p:Rdp9Pass!", "Rdp9Pass!"),
    ("mysql -u root -p'S3cret!x' appdb", "S3cret!x"),
    ("zip -P Z1pPass9 out.zip a.txt", "Z1pPass9"),
    ("7z a -pS3venZip9 out.7z dir", "S3venZip9"),
    ("gpg --batch --passphrase Gpg9Phrase! -c f", "Gpg9Phrase!"),
    ("ssh-keygen -t ed25519 -N 'K3ygenPw9' -f key", "K3ygenPw9"),
    ("openssl enc -aes-256-cbc -k Enc9Pass -in f", "Enc9Pass"),
    ("openssl enc -aes-256-cbc -pass pass:Enc9Pass -in f", "Enc9Pass"),
    ("psexec \\\\host -u admin -p Psx9Pw! cmd", "Psx9Pw!"),
    ("lftp -u alice,Lftp9Pw sftp://host", "Lftp9Pw"),
    ("mysqladmin -u root password N3wRootPw", "N3wRootPw"),
    ("rabbitmqctl add_user admin Rabb1tPw9", "Rabb1tPw9"),
    ("rabbitmqctl change_password admin Rabb1tPw9", "Rabb1tPw9"),
    ("echo 'alice:Chp4sswd9' | chpasswd", "Chp4sswd9"),
    ("net use \\\\srv\\share Netu5e!pw /user:CORP\\bob", "Netu5e!pw"),
    ("net user alice P4ssw0rd! /add", "P4ssw0rd!"),
    ("sqlplus scott/Orcl9Pw@orcl", "Orcl9Pw"),
    ("expdp hr/Hr9Passw0rd DIRECTORY=d", "Hr9Passw0rd"),
    ('$pw = ConvertTo-SecureString "Ps9Secure!" -AsPlainText -Force', "Ps9Secure!"),
]


@pytest.mark.parametrize(("text", "value"), CLI_POSITIVES, ids=[t[:30] for t, _ in CLI_POSITIVES])
def test_tool_command_line_passwords(text: str, value: str) -> None:
    assert covered(text, value), secret_findings(text)


CLI_NEGATIVES = [
    "docker login -u alice -p $DOCKER_PASSWORD registry",
    "docker login -u alice -p ${PASS} registry",
    'docker login -u alice -p "$REGISTRY_PW" registry',
    "echo $CR_PAT | docker login ghcr.io -u bob --password-stdin",
    'echo "${DOCKER_TOKEN}" | docker login -u bob --password-stdin',
    "cat ~/pw.txt | docker login -u bob --password-stdin",
    "docker run -p 8080:80 nginx",
    "docker login -u alice registry.example.com",
    "mkdir -p /var/lib/app && cp -p a b",
    "mysql -u root -p appdb",
    "sshpass -p changeme ssh host",
    'sshpass -p "$SSHPASS" ssh host',
    "sshpass -e ssh host",
    "htpasswd -b .htpasswd alice $PASS",
    "htpasswd -c .htpasswd alice",
    "az login -p <password>",
    "curl -u admin:**** https://x",
    "git clone https://user:<token>@github.com/o/r.git",
    "echo hello | grep h",
    "redis-cli -a $REDIS_PASSWORD ping",
    "mysql -u root -p'$MYSQL_PWD' appdb",
    "zip -r out.zip dir",
    "7z a -p out.7z dir",
    "ssh-keygen -t ed25519 -N '' -f key",
    "gpg --passphrase-fd 0 -c f",
    "rabbitmqctl add_user admin $RABBIT_PW",
    "echo 'alice:$PW' | chpasswd",
    "net use Z: \\\\srv\\share /persistent:yes",
    "net use Z: \\\\srv\\share * /user:bob",
    "sqlplus / as sysdba",
    "sqlplus scott/tiger@orcl",
    "ConvertTo-SecureString $env:PW -AsPlainText -Force",
]


@pytest.mark.parametrize("text", CLI_NEGATIVES)
def test_tool_command_line_near_misses(text: str) -> None:
    assert secret_findings(text) == []


# -- HTML forms -------------------------------------------------------------------------------------
HTML_POSITIVES = [
    ('<input type="password" name="pw" value="S3cret!">', "S3cret!"),
    ('<input value="S3cret!" name="pw" type="password">', "S3cret!"),
    ("<INPUT TYPE=password VALUE=hunter2x>", "hunter2x"),
    ("<input type='password' value='hunter2x' />", "hunter2x"),
    ('<input class="f" name="api_key" value="a8F3kL9qZ2xW7vB1">', "a8F3kL9qZ2xW7vB1"),
    ('<input type="hidden" id="clientSecret" value="Qm7rT2vX9pL4sN8w">', "Qm7rT2vX9pL4sN8w"),
    ('<div class="w" data-token="Xy7Pq2Lm9Rt4Vb8N"></div>', "Xy7Pq2Lm9Rt4Vb8N"),
    ("<button data-api-key='Xy7Pq2Lm9Rt4Vb8N'>go</button>", "Xy7Pq2Lm9Rt4Vb8N"),
    ('<add key="ApiKey" value="Ab3dE5gH7jK9mN1pQ3sT5"/>', "Ab3dE5gH7jK9mN1pQ3sT5"),
    ('{"name": "password", "value": "Har9Secret!"}', "Har9Secret!"),
    ('[{"key":"api_key","value":"a8F3kL9qZ2xW7vB1","enabled":true}]', "a8F3kL9qZ2xW7vB1"),
]


@pytest.mark.parametrize(("text", "value"), HTML_POSITIVES, ids=[t[:30] for t, _ in HTML_POSITIVES])
def test_html_form_values(text: str, value: str) -> None:
    assert covered(text, value), secret_findings(text)


HTML_NEGATIVES = [
    '<input type="password" name="pw" value="">',
    '<input type="password" name="pw">',
    '<input type="password" value="{{ form.password }}">',
    '<input type="password" placeholder="Password">',
    '<input type="password" value="********">',
    '<input name="api_key" value="<your-key>">',
    '<input name="api_key" value="${API_KEY}">',
    '<input type="text" name="username" value="alice1234">',
    '<input type="hidden" name="csrf" value="a1b2c3">',
    '<input type="checkbox" name="remember_token" value="on">',
    '<div data-token="xxxx">',
    '<div data-toggle="collapse" data-target="#nav">',
    '<span data-key-name="Enter">',
    '<add key="LogLevel" value="Information"/>',
    '{"name": "password", "value": ""}',
    '{"name": "password", "type": "string"}',
    '{"name": "username", "value": "alice1234"}',
    '{"key": "api_key", "value": "{{apiKey}}"}',
]


@pytest.mark.parametrize("text", HTML_NEGATIVES)
def test_html_near_misses(text: str) -> None:
    assert secret_findings(text) == []


# -- configuration files ----------------------------------------------------------------------------
CONFIG_POSITIVES = [
    (
        "apiVersion: v1\nkind: Secret\ntype: Opaque\ndata:\n  password: UzNjcjN0UGFzcw==\n  username: YWRtaW4=\n",
        "UzNjcjN0UGFzcw==",
    ),
    ("services:\n  db:\n    environment:\n      - POSTGRES_PASSWORD=Pg5ecret9\n", "Pg5ecret9"),
    ("    environment:\n      - MYSQL_ROOT_PASSWORD=rootpw77\n", "rootpw77"),
    (
        "//registry.npmjs.org/:_authToken=npm_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gH3jK5\n",
        "npm_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gH3jK5",
    ),
    (
        "[distutils]\nindex-servers = pypi\n[pypi]\nusername = __token__\npassword = Rk29fjQ8sLw\n",
        "Rk29fjQ8sLw",
    ),
    ("machine api.heroku.com\n  login me@example.org\n  password 5f8a9c2e1b\n", "5f8a9c2e1b"),
    ("jdbc:sqlserver://db:1433;databaseName=app;user=sa;password=Jd8cPw!x;", "Jd8cPw!x"),
    ("jdbc:mysql://db/app?user=root&password=Jd8cPwx1", "Jd8cPwx1"),
    ("Driver={ODBC Driver 17};Server=db;Uid=sa;Pwd=Od8cPw!x;", "Od8cPw!x"),
    (
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey="
        "abcDEF123ghiJKL456mnoPQR789stuVWX012yzABCdefGHI345jklMNO678pqrSTU901vwx==;",
        "abcDEF123ghiJKL456mnoPQR789stuVWX012yzABCdefGHI345jklMNO678pqrSTU901vwx==",
    ),
    ("terraform login --token Ab3dE5gH7jK9mN1pQ3", "Ab3dE5gH7jK9mN1pQ3"),
]


@pytest.mark.parametrize(("text", "value"), CONFIG_POSITIVES, ids=[t[:30] for t, _ in CONFIG_POSITIVES])
def test_config_file_credentials(text: str, value: str) -> None:
    assert covered(text, value), secret_findings(text)


CONFIG_NEGATIVES = [
    "data:\n  password: ${PW}\n",
    "environment:\n  - POSTGRES_PASSWORD=${POSTGRES_PASSWORD}\n",
    "environment:\n  - POSTGRES_PASSWORD=changeme\n",
    "//registry.npmjs.org/:_authToken=${NPM_TOKEN}",
    "[pypi]\npassword = <your-token>\n",
    "machine example.com login me password changeme",
    "jdbc:sqlserver://db;user=sa;password=****;",
    "Driver={ODBC};Pwd=changeme;",
    "AccountKey=<your-account-key>;",
    "--token=$TOKEN",
    "use the --token flag to authenticate",
    "request_id=3f9a2c1e-7b4d-4e8f-9a6b-2c5d8e1f0a7b",
]


@pytest.mark.parametrize("text", CONFIG_NEGATIVES)
def test_config_near_misses(text: str) -> None:
    assert secret_findings(text) == []
