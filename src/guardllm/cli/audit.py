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


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "principal": args.principal,
        "recipient": args.recipient,
        "entity_type": args.type,
        "scope": args.scope,
        "since": args.since,
        "until": args.until,
        "event": args.event,
        "run_id": args.run_id,
    }


def _tail(args: argparse.Namespace) -> int:
    _print(_log(args).tail(args.n, **_filters(args)), args.json)
    return 0


def _query(args: argparse.Namespace) -> int:
    _print(_log(args).query(**_filters(args), limit=args.limit), args.json)
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

    def add_filters(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--principal", help="who the step ran for, e.g. agent:support")
        sp.add_argument("--recipient", help="user, model, tool:<name>, role:<name>, principal:<id>")
        sp.add_argument("--scope", help="token scope (session, thread, tenant)")
        sp.add_argument("--event", help="mask, reveal, refuse, block, forget, foreign_token, ...")
        sp.add_argument("--run-id", help="lineage run id")
        sp.add_argument("--type", help="entity type, e.g. EMAIL_ADDRESS")
        sp.add_argument("--since", help="ISO time or unix seconds")
        sp.add_argument("--until", help="ISO time or unix seconds")
        sp.add_argument("--json", action="store_true", help="one JSON record per line")

    t = add("tail", "the newest records (optionally filtered)", _tail)
    t.add_argument("-n", type=int, default=20, help="how many (default 20)")
    add_filters(t)
    q = add("query", "records matching filters", _query)
    add_filters(q)
    q.add_argument("--limit", type=int, help="only the newest N matches")
    s = add("summary", "which principals saw which types raw or masked", _summary)
    s.add_argument("--since")
    s.add_argument("--until")
    s.add_argument("--json", action="store_true")
    p.set_defaults(handler=lambda a: (p.print_help(), 2)[1])
