"""Tokens: surface format, the encrypted vault, keys, surrogates and stream restore.

Knows nothing of LangChain or of policies; :class:`guardllm.guard.Guard` ties it
to detection and policy.
"""

from __future__ import annotations

from guardllm.tokens.format import TOKEN_RE, TokenRef, format_token, is_secret, label_for

__all__ = ["TOKEN_RE", "TokenRef", "format_token", "is_secret", "label_for"]
