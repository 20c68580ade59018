"""``guardllm policy check FILE`` and ``guardllm policy show``."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _check(args: argparse.Namespace) -> int:
    from guardllm.errors import PolicyError
    from guardllm.policy import load_policy, policy_warnings

    bad = 0
    for path in args.files:
        try:
            load_policy(path)
        except PolicyError as exc:
            bad += 1
            for where, message in exc.errors or [(path, str(exc))]:
                print(f"{where}: {message}")
            continue
        warnings = policy_warnings(path)
        for where, message in warnings:
            print(f"{where}: warning: {message}")
        if warnings and args.strict:
            bad += 1
        else:
            print(
                f"{path}: OK"
                + (f" ({len(warnings)} warning{'s' if len(warnings) != 1 else ''})" if warnings else "")
            )
    return 1 if bad else 0


def _show(args: argparse.Namespace) -> int:
    from guardllm.policy import default_policy_text, load_policy

    if args.file:
        sys.stdout.write(load_policy(args.file).to_yaml())
    else:
        sys.stdout.write(default_policy_text())
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "policy",
        help="check or show a policy",
        description="Validate policy files or print the effective policy.",
    )
    sub = p.add_subparsers(dest="policy_command", metavar="ACTION")
    c = sub.add_parser("check", help="validate policy files (exit 1 on errors: file:line: field: message)")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.add_argument(
        "--strict", action="store_true", help="warnings (e.g. an unknown entity type) fail the check too"
    )
    c.set_defaults(handler=_check)
    s = sub.add_parser("show", help="print the default policy (or FILE's) as YAML")
    s.add_argument("file", nargs="?")
    s.set_defaults(handler=_show)
    p.set_defaults(handler=lambda a: (p.print_help(), 2)[1])
