"""The ``guardllm`` command.

Each subcommand lives in its own module exposing ``register(subparsers)``; the
module is imported only to build the parser, and heavy imports happen inside the
command's handler so ``guardllm --help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from guardllm import __version__
from guardllm.errors import GuardError

# Order is the order shown in --help.
_COMMANDS = ("scan", "mask", "demo", "lineage", "audit", "policy")

EXIT_OK, EXIT_FOUND, EXIT_ERROR = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guardllm",
        description=("Find and mask sensitive data before LLMs see it; inspect lineage and the audit trail."),
        epilog="Run 'guardllm COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"guardllm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"guardllm.cli.{name}")
        except ModuleNotFoundError as exc:  # a command still being built must not break the rest
            if exc.name != f"guardllm.cli.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        return int(handler(args) or 0)
    except GuardError as exc:
        print(f"guardllm: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("guardllm: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
