"""Audit filtering shared by the stores that filter in Python."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardllm.stores.base import AuditFilter


def audit_matches(record: Mapping[str, Any], flt: AuditFilter) -> bool:
    """Whether ``record`` passes every set field of ``flt``."""
    if flt.event is not None and record.get("event") != flt.event:
        return False
    if flt.principal is not None and record.get("principal") != flt.principal:
        return False
    if flt.recipient is not None and record.get("recipient") != flt.recipient:
        return False
    if flt.scope is not None and record.get("scope") != flt.scope:
        return False
    if flt.run_id is not None and record.get("run_id") != flt.run_id:
        return False
    ts = record.get("ts") or 0.0
    if flt.since is not None and ts < flt.since:
        return False
    if flt.until is not None and ts > flt.until:
        return False
    if flt.entity_type is not None:
        types = set(record.get("entity_types") or ())
        if record.get("entity_type"):
            types.add(record["entity_type"])
        types.update((record.get("counts") or {}).keys())
        if flt.entity_type not in types:
            return False
    return True
