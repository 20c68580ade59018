"""The append-only, hash-chained audit log: who requested which data, when and how.

Every record commits to its predecessor: ``hash = SHA-256(canonical JSON of the
record including seq and prev_hash)``.  The store also keeps an anchor (record
count and head hash) beside the records, so :meth:`AuditLog.verify` notices an
edited, deleted, inserted or reordered record *and* a dropped tail.

When the log belongs to a Guard (or the CLI finds the master key), every record also
carries ``mac = HMAC(audit key, hash)``, the audit key derived from the master key: someone
who can write the database but has no key cannot rewrite the chain consistently.
Without the key, ``verify`` still checks the chain and the anchor and says the MACs
were not checked.

Records hold types, counts, rule ids and keyed fingerprints -- never a raw value.
Events: ``mask`` (counts per type), ``reveal`` (fingerprints, recipient, rule,
purpose), ``refuse``, ``block``, ``forget``, ``foreign_token``, ``leak``,
``guardrail``, ``key_rotate``, ``fail_open``, and from the integrations ``tool_call``
(what a guarded tool was given raw or as tokens), ``llm_call`` and ``retrieval``; see
:data:`EVENTS`.  Every record names the principal.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from guardllm.errors import InputError
from guardllm.stores.base import AuditFilter, Store
from guardllm.tokens.crypto import KeyedHmac

GENESIS = "0" * 64
EVENTS = (
    "mask",
    "reveal",
    "refuse",
    "block",
    "forget",
    "foreign_token",
    "leak",
    "guardrail",
    "key_rotate",
    "fail_open",
    "tool_call",
    "llm_call",
    "retrieval",
)
_FIELDS = (
    "principal",
    "scope",
    "run_id",
    "recipient",
    "entity_type",
    "entity_types",
    "fingerprints",
    "rule",
    "purpose",
    "counts",
    "detail",
    "source",
)
_FIELD_SET = frozenset(_FIELDS)


@dataclass(frozen=True)
class AuditRecord:
    """One audit record (attribute access; :meth:`to_dict` for JSON)."""

    seq: int
    ts: float
    event: str
    principal: str
    scope: str | None = None
    run_id: str | None = None
    recipient: str | None = None
    entity_type: str | None = None
    entity_types: list[str] = field(default_factory=list)
    fingerprints: list[str] = field(default_factory=list)
    rule: str | None = None
    purpose: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    detail: str | None = None
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""
    mac: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)

    @property
    def time(self) -> str:
        """ISO-8601 UTC time of the record."""
        return datetime.fromtimestamp(self.ts, timezone.utc).isoformat(timespec="milliseconds")

    @property
    def types(self) -> list[str]:
        """Every entity type the record mentions."""
        out = list(self.entity_types)
        if self.entity_type and self.entity_type not in out:
            out.append(self.entity_type)
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> AuditRecord:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known.setdefault("principal", "unknown")
        return cls(**known)


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of :meth:`AuditLog.verify`: truthy when the chain is intact."""

    ok: bool
    count: int
    first_bad_seq: int | None = None
    reason: str | None = None
    macs_checked: bool = False

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            how = (
                "chain and keyed MACs intact"
                if self.macs_checked
                else "chain intact (MACs not checked: no key configured)"
            )
            return f"audit log OK: {self.count} records, {how}"
        return f"audit log BROKEN at record {self.first_bad_seq}: {self.reason}"


#: The lineage run the current call belongs to; records without an explicit run_id get it.
current_run_id: ContextVar[str | None] = ContextVar("guardllm_run_id", default=None)


@contextmanager
def run_context(run_id: object | None) -> Iterator[None]:
    """Attribute every audit record written inside the block to ``run_id``."""
    if run_id is None:
        yield
        return
    token = current_run_id.set(str(run_id))
    try:
        yield
    finally:
        current_run_id.reset(token)


def canonical_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of ``record`` without its own ``hash``."""
    return _digest({k: v for k, v in record.items() if k not in ("hash", "mac") and not k.startswith("_")})


def _digest(body: Mapping[str, Any]) -> str:
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _ts(value: float | datetime | str | None) -> float | None:
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                f"not a time: {value!r} (use ISO 8601 like 2026-11-28T12:00:00Z, or unix seconds)"
            ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


class AuditLog:
    """Append, query and verify the audit chain kept in a store."""

    def __init__(self, store: Store, *, principal: str = "unknown", mac_key: bytes | None = None) -> None:
        self.store = store
        self.default_principal = principal
        self._mac_key = mac_key
        self._keyed: KeyedHmac | None = None  # pre-keyed: the same MAC at a fifth of the cost

    def _mac(self, record_hash: str) -> str:
        assert self._mac_key is not None
        if self._keyed is None:
            self._keyed = KeyedHmac(self._mac_key)
        return self._keyed.hexdigest(record_hash)

    def _anchor_mac(self, count: int, head: str) -> str:
        # a message no record MAC can be (those are over a bare 64-hex hash)
        return self._mac(f"audit-anchor:{count}:{head}")

    def __repr__(self) -> str:
        return f"AuditLog(store={self.store.url!r})"

    def record(self, event: str, **fields: Any) -> AuditRecord:
        """Append one record.  Known fields are typed columns; other keyword
        arguments go to ``extra``.  Never pass raw values."""
        if not isinstance(event, str) or not event:
            raise ValueError("audit event must be a non-empty string")
        body: dict[str, Any] = {
            "event": event,
            "ts": time.time(),
            "principal": fields.pop("principal", None) or self.default_principal,
        }
        fps = fields.pop("fingerprint", None)
        if fps is not None:
            fields.setdefault("fingerprints", [fps] if isinstance(fps, str) else list(fps))
        for name in [n for n in fields if n in _FIELD_SET]:
            value = fields.pop(name)
            if value is None:
                continue
            if name in ("entity_types", "fingerprints"):
                value = [str(v) for v in value]
            elif name == "counts":
                value = {str(k): v for k, v in dict(value).items()}
            elif name == "run_id":
                value = str(value)
            body[name] = value
        if "run_id" not in body and (ctx_run := current_run_id.get()) is not None:
            body["run_id"] = ctx_run
        if fields:
            body["extra"] = {k: v for k, v in fields.items() if v is not None}

        def build(seq: int, prev_hash: str) -> dict[str, Any]:
            rec = {**body, "seq": seq, "prev_hash": prev_hash}
            rec["hash"] = _digest(rec)  # rec has no hash/mac/_ keys yet: no filtering needed
            if self._mac_key is not None:
                rec["mac"] = self._mac(rec["hash"])
                # the store keeps this beside the anchor: rewriting (count, head) after
                # deleting the newest records needs the key too
                rec["_anchor_mac"] = self._anchor_mac(seq, rec["hash"])
            return rec

        return AuditRecord.from_mapping(self.store.audit_append(build))

    # reading ------------------------------------------------------------------------
    def records(self) -> Iterator[AuditRecord]:
        for raw in self.store.audit_records(None):
            yield AuditRecord.from_mapping(raw)

    def query(
        self,
        *,
        principal: str | None = None,
        recipient: str | None = None,
        entity_type: str | None = None,
        scope: str | None = None,
        since: float | datetime | str | None = None,
        until: float | datetime | str | None = None,
        event: str | None = None,
        run_id: str | None = None,
        limit: int | None = None,
    ) -> list[AuditRecord]:
        """Records matching every given filter, oldest first (``limit``: the newest n of them)."""
        flt = AuditFilter(
            principal=principal,
            recipient=recipient,
            entity_type=entity_type,
            scope=scope,
            event=event,
            since=_ts(since),
            until=_ts(until),
            run_id=None if run_id is None else str(run_id),
            limit=limit,
        )
        return [AuditRecord.from_mapping(r) for r in self.store.audit_records(flt)]

    def tail(
        self,
        n: int = 20,
        *,
        principal: str | None = None,
        recipient: str | None = None,
        entity_type: str | None = None,
        scope: str | None = None,
        since: float | datetime | str | None = None,
        until: float | datetime | str | None = None,
        event: str | None = None,
        run_id: str | None = None,
    ) -> list[AuditRecord]:
        """The newest ``n`` records matching the filters (see :meth:`query`), oldest first."""
        return self.query(
            principal=principal,
            recipient=recipient,
            entity_type=entity_type,
            scope=scope,
            since=since,
            until=until,
            event=event,
            run_id=run_id,
            limit=n,
        )

    def __len__(self) -> int:
        return self.store.audit_head()[0]

    def verify(self) -> VerifyReport:
        """Recompute the chain; name the first record that does not verify."""
        expected_seq, prev = 1, GENESIS
        count = 0
        for raw in self.store.audit_records(None):
            count += 1
            seq = raw.get("seq")
            row = raw.get("_row")
            at = row["seq"] if row else seq
            if raw.get("_unreadable"):
                return VerifyReport(False, count, at, "record is not valid JSON")
            if row is not None:
                for col in (
                    "seq",
                    "ts",
                    "event",
                    "principal",
                    "scope",
                    "recipient",
                    "run_id",
                    "prev_hash",
                    "hash",
                ):
                    if row.get(col) != raw.get(col):
                        return VerifyReport(
                            False, count, at, f"column {col!r} differs from the hashed record"
                        )
            if seq != expected_seq:
                if isinstance(seq, int) and seq > expected_seq:
                    return VerifyReport(False, count, expected_seq, f"record {expected_seq} is missing")
                return VerifyReport(
                    False, count, at, f"sequence number {seq} where {expected_seq} was expected"
                )
            if raw.get("prev_hash") != prev:
                return VerifyReport(
                    False,
                    count,
                    seq,
                    "prev_hash does not match the previous record (deleted, inserted or reordered record)",
                )
            if canonical_hash(raw) != raw.get("hash"):
                return VerifyReport(False, count, seq, "hash does not match the record's content (edited)")
            if self._mac_key is not None and not hmac.compare_digest(
                str(raw.get("mac") or ""), self._mac(raw["hash"])
            ):
                return VerifyReport(
                    False,
                    count,
                    seq,
                    "keyed MAC does not match (record rewritten without the "
                    "key, or written under another key)",
                )
            prev = raw["hash"]
            expected_seq += 1
        head_count, head_hash = self.store.audit_head()
        if head_count != count or (count and head_hash != prev):
            first_bad = min(head_count, count) + 1 if head_count != count else count
            return VerifyReport(
                False,
                count,
                first_bad,
                f"the anchor records {head_count} records ending in {head_hash[:12]}, "
                f"the log holds {count} ending in {prev[:12]} (dropped or appended records)",
            )
        if self._mac_key is not None and head_count:
            stored = self.store.audit_anchor_mac()
            if stored is not NotImplemented and not hmac.compare_digest(
                str(stored or ""), self._anchor_mac(head_count, head_hash)
            ):
                return VerifyReport(
                    False,
                    count,
                    count,
                    "the anchor's keyed MAC does not match (anchor rewritten, e.g. after deleting the "
                    "newest records; or written without the key / by a guardllm that did not key it)",
                )
        return VerifyReport(True, count, macs_checked=self._mac_key is not None)

    def summary(
        self, *, since: float | datetime | str | None = None, until: float | datetime | str | None = None
    ) -> AuditSummary:
        """Which principals saw which types raw (reveals) or masked, in the period."""
        rows: dict[tuple[str, str], dict[str, int]] = {}
        for rec in self.query(since=since, until=until):
            kind = {"reveal": "raw", "mask": "masked", "refuse": "refused", "block": "blocked"}.get(rec.event)
            if kind is None:
                continue
            counts = rec.counts or {t: 1 for t in rec.types}
            for etype, n in counts.items():
                cell = rows.setdefault(
                    (rec.principal, etype), {"raw": 0, "masked": 0, "refused": 0, "blocked": 0}
                )
                cell[kind] += int(n) if isinstance(n, int) else 1
            if kind == "raw" and rec.recipient:
                for etype in counts:
                    rows[(rec.principal, etype)].setdefault("recipients", set()).add(rec.recipient)  # type: ignore[attr-defined]
        out = []
        for (principal, etype), cell in sorted(rows.items()):
            recipients = sorted(cell.pop("recipients", set()))  # type: ignore[arg-type]
            out.append({"principal": principal, "entity_type": etype, **cell, "raw_to": recipients})
        return AuditSummary(out, _ts(since), _ts(until))


@dataclass(frozen=True)
class AuditSummary:
    """Rows of (principal, entity_type, raw, masked, refused, blocked, raw_to)."""

    rows: list[dict[str, Any]]
    since: float | None = None
    until: float | None = None

    def saw_raw(self, principal: str) -> list[str]:
        """Entity types this principal had revealed raw in the period."""
        return sorted({r["entity_type"] for r in self.rows if r["principal"] == principal and r["raw"]})

    def to_text(self) -> str:
        if not self.rows:
            return "no mask or reveal records in the period"
        head = f"{'principal':<24} {'entity type':<20} {'raw':>5} {'masked':>7} {'refused':>8} {'blocked':>8}  raw to"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(
                f"{r['principal']:<24} {r['entity_type']:<20} {r['raw']:>5} {r['masked']:>7} "
                f"{r['refused']:>8} {r['blocked']:>8}  {', '.join(r['raw_to'])}"
            )
        return "\n".join(lines)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)


def format_record(rec: AuditRecord, fields: Sequence[str] = ()) -> str:
    """A one-line rendering for ``guardllm audit tail``."""
    parts = [f"#{rec.seq}", rec.time, rec.event, f"principal={rec.principal}"]
    for name in ("scope", "recipient", "rule", "purpose", "run_id", "source", "detail"):
        v = getattr(rec, name)
        if v:
            parts.append(f"{name}={v}")
    if rec.counts:
        parts.append("counts=" + ",".join(f"{k}:{v}" for k, v in sorted(rec.counts.items())))
    elif rec.types:
        parts.append("types=" + ",".join(rec.types))
    for name in fields:
        parts.append(f"{name}={getattr(rec, name, None)}")
    return " ".join(parts)


__all__ = [
    "EVENTS",
    "AuditLog",
    "AuditRecord",
    "AuditSummary",
    "VerifyReport",
    "canonical_hash",
    "current_run_id",
    "format_record",
    "run_context",
]
