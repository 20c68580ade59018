"""``guardllm mask``, ``unmask``, ``forget``, ``rotate-key`` and ``keygen``.

Masking from the shell only makes sense with a store that outlives the command,
so these default to the persistent store (``--store``, else ``$GUARDLLM_STORE``,
else ``$GUARDLLM_HOME/guardllm.db`` or ``./.guardllm/guardllm.db``) and need a key
(``$GUARDLLM_KEY`` or ``$GUARDLLM_KEY_FILE``; ``guardllm keygen`` makes one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from guardllm.errors import InputError


def cli_store_url(explicit: str | None) -> str:
    """``--store``, else ``$GUARDLLM_STORE``, else the default SQLite file."""
    from guardllm.stores import STORE_ENV, default_sqlite_url

    return explicit or os.environ.get(STORE_ENV) or default_sqlite_url()


def existing_store_url(explicit: str | None) -> str:
    """Like :func:`cli_store_url`, but a SQLite file must already exist (reading commands)."""
    url = cli_store_url(explicit)
    if url.startswith("sqlite:"):
        from guardllm.stores.sqlite import path_from_url

        path = path_from_url(url)
        if not path.exists():
            raise InputError(f"no guardllm store at {path}; pass --store URL or set GUARDLLM_STORE")
    return url


def read_input(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read()
        source = "standard input"
    else:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
        source = path
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source} is not UTF-8 text (byte {exc.start})") from None


def _guard(args: argparse.Namespace, *, create: bool = False) -> Any:
    from guardllm.guard import Guard

    url = cli_store_url(args.store) if create else existing_store_url(args.store)
    return Guard(policy=args.policy, store=url, principal=args.principal)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", default="-", help="input file, or - for standard input (default)")
    p.add_argument(
        "--scope", default="default", help="token scope (session, thread or tenant); default 'default'"
    )
    p.add_argument("--store", help="store URL (default: $GUARDLLM_STORE or ./.guardllm/guardllm.db)")
    p.add_argument("--policy", help="policy file (YAML or TOML); default: the built-in policy")
    p.add_argument("--principal", help="who runs this (recorded in the audit log)")
    p.add_argument("--json", action="store_true", help="print JSON with the text and the entities")


def _mask(args: argparse.Namespace) -> int:
    text = read_input(args.file)
    res = _guard(args, create=True).mask_result(text, scope=args.scope, subject=args.subject)
    if args.json:
        print(
            json.dumps(
                {
                    "text": res.text,
                    "entities": [
                        {
                            "token": r.token,
                            "entity_type": r.entity_type,
                            "fingerprint": r.fingerprint,
                            "action": r.action,
                        }
                        for r in res.entities
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        sys.stdout.write(res.text)
    return 0


def _unmask(args: argparse.Namespace) -> int:
    text = read_input(args.file)
    res = _guard(args).unmask_result(text, scope=args.scope, to=args.to, purpose=args.purpose)
    if args.json:
        print(
            json.dumps(
                {
                    "text": res.text,
                    "revealed": len(res.revealed),
                    "refused": len(res.refused),
                    "foreign": res.foreign,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        sys.stdout.write(res.text)
    if res.refused or res.foreign:
        print(
            f"guardllm: {len(res.refused)} token(s) not revealed to {args.to}, {res.foreign} foreign token(s) "
            "left unchanged",
            file=sys.stderr,
        )
    return 0


def _keygen(args: argparse.Namespace) -> int:
    from guardllm.tokens.crypto import generate_key

    print(generate_key())
    if sys.stdout.isatty():
        print(
            "# store it outside the database, e.g.: guardllm keygen > ~/.guardllm.key && chmod 600 "
            "~/.guardllm.key; export GUARDLLM_KEY_FILE=~/.guardllm.key",
            file=sys.stderr,
        )
    return 0


def _forget(args: argparse.Namespace) -> int:
    if not args.scope and not args.subject:
        raise InputError("forget needs --scope or --subject")
    if args.scope and args.subject:
        raise InputError("forget takes --scope or --subject, not both (a subject is erased in every scope)")
    n = _guard(args).forget(scope=args.scope, subject=args.subject)
    print(f"erased {n} vault entr{'y' if n == 1 else 'ies'}; their tokens can no longer be revealed")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    from guardllm.tokens.crypto import generate_key, parse_key

    if args.new_key_file:
        new = read_input(args.new_key_file).strip()
    else:
        new = generate_key()
    parse_key(new, source="new key")
    n = _guard(args).rotate_key(new)
    if not args.new_key_file:
        print(new)
    print(
        f"re-wrapped {n} data key(s); configure the new key as GUARDLLM_KEY (keep the old one in "
        "GUARDLLM_KEY_PREVIOUS until every process has switched)",
        file=sys.stderr,
    )
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "mask",
        help="replace sensitive values in a text with tokens",
        description="Mask a file or standard input; tokens are stored (encrypted) in the store.",
    )
    _common(p)
    p.add_argument("--subject", help="data subject id (per-subject key; guardllm forget can erase it)")
    p.set_defaults(handler=_mask)

    u = subparsers.add_parser(
        "unmask",
        help="restore tokens where the policy allows",
        description="Restore the tokens of one scope for a recipient the policy allows.",
    )
    _common(u)
    u.add_argument("--to", default="user", help="recipient: user, tool:<name>, role:<name>, principal:<id>")
    u.add_argument("--purpose", help="purpose of the reveal (checked by the policy, recorded in the audit)")
    u.set_defaults(handler=_unmask)

    f = subparsers.add_parser(
        "forget",
        help="erase a scope or a data subject (crypto-shredding)",
        description="Delete the data key and vault entries of a scope or a data subject; "
        "their tokens can never be revealed again. The erasure is audited.",
    )
    f.add_argument("--scope", help="the scope to erase")
    f.add_argument("--subject", help="the data subject id to erase (everywhere)")
    f.add_argument("--store", help="store URL (default: $GUARDLLM_STORE or ./.guardllm/guardllm.db)")
    f.add_argument("--principal", help="who runs this (recorded in the audit log)")
    f.set_defaults(handler=_forget, policy=None)

    r = subparsers.add_parser(
        "rotate-key",
        help="re-wrap all data keys under a new master key",
        description="Re-wrap every data key under a new master key (values are not "
        "re-encrypted). Without --new-key-file a new key is generated and printed.",
    )
    r.add_argument("--new-key-file", help="file holding the new key (base64 or hex)")
    r.add_argument("--store", help="store URL (default: $GUARDLLM_STORE or ./.guardllm/guardllm.db)")
    r.add_argument("--principal", help="who runs this (recorded in the audit log)")
    r.set_defaults(handler=_rotate, policy=None)

    k = subparsers.add_parser(
        "keygen",
        help="print a new random master key (base64)",
        description="Print a new 32-byte master key. Keep it outside the database.",
    )
    k.set_defaults(handler=_keygen)
