"""``guardllm audit verify|tail|query|summary`` -- read and check the audit log.

Reading the audit log needs no encryption key: records hold no values.  With the key
configured (``GUARDLLM_KEY`` / ``GUARDLLM_KEY_FILE``) ``verify`` also checks every
record's keyed MAC.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _log(args: argparse.Namespace) -> Any:
    from guardllm.audit import AuditLog
    from guardllm.cli.mask import existing_store_url
    from guardllm.errors import VaultError
    from guardllm.stores import open_store
    from guardllm.tokens.crypto import KeyRing, load_master_key, load_previous_key
    from guardllm.tokens.vault import Vault

    store = open_store(existing_store_url(args.store))
    mac_key = None
    try:
        master = load_master_key()
        if master is not None and store.key_get("root:index") is not None:
            mac_key = Vault(store, KeyRing(master, load_previous_key())).audit_key
    except VaultError as exc:
        print(f"guardllm: note: keyed MACs not checked ({exc})", file=sys.stderr)
    return AuditLog(store, mac_key=mac_key)


def _print(records: list[Any], as_json: bool) -> None:
    from guardllm.audit import format_record

    for rec in records:
        print(json.dumps(rec.to_dict(), ensure_ascii=False, default=str) if as_json else format_record(rec))


def _verify(args: argparse.Namespace) -> int:
    report = _log(args).verify()
    print(str(report), file=sys.stdout if report else sys.stderr)
    return 0 if report else 1


def _tail(args: argparse.Namespace) -> int:
    _print(_log(args).tail(args.n), args.json)
    return 0


def _query(args: argparse.Namespace) -> int:
    recs = _log(args).query(
        principal=args.principal,
        recipient=args.recipient,
        entity_type=args.type,
        scope=args.scope,
        since=args.since,
        until=args.until,
        event=args.event,
        run_id=args.run_id,
        limit=args.limit,
    )
    _print(recs, args.json)
    return 0


def _summary(args: argparse.Namespace) -> int:
    s = _log(args).summary(since=args.since, until=args.until)
    if args.json:
        print(json.dumps(s.rows, indent=2))
    else:
        print(s.to_text())
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "audit",
        help="verify, tail, query and summarise the audit log",
        description="Read and verify the hash-chained audit log.",
    )
    sub = p.add_subparsers(dest="audit_command", metavar="ACTION")

    def add(name: str, helptext: str, handler: Any) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=helptext, description=helptext)
        sp.add_argument("--store", help="store URL (default: $GUARDLLM_STORE or ./.guardllm/guardllm.db)")
        sp.set_defaults(handler=handler)
        return sp

    add("verify", "check the hash chain; exit 1 and name the first bad record if broken", _verify)
    t = add("tail", "the newest records", _tail)
    t.add_argument("-n", type=int, default=20, help="how many (default 20)")
    t.add_argument("--json", action="store_true")
    q = add("query", "records matching filters", _query)
    for flag in ("principal", "recipient", "scope", "event", "run-id"):
        q.add_argument(f"--{flag}")
    q.add_argument("--type", help="entity type, e.g. EMAIL_ADDRESS")
    q.add_argument("--since", help="ISO time or unix seconds")
    q.add_argument("--until", help="ISO time or unix seconds")
    q.add_argument("--limit", type=int, help="only the newest N matches")
    q.add_argument("--json", action="store_true")
    s = add("summary", "which principals saw which types raw or masked", _summary)
    s.add_argument("--since")
    s.add_argument("--until")
    s.add_argument("--json", action="store_true")
    p.set_defaults(handler=lambda a: (p.print_help(), 2)[1])
