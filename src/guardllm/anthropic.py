"""``guardllm.anthropic``: guard the official Anthropic SDK.

    import guardllm.anthropic
    client = guardllm.anthropic.wrap(anthropic.Anthropic(), guard)

The implementation lives in :mod:`guardllm.integrations.anthropic`.
"""

from guardllm.integrations.anthropic import GuardedAnthropic, wrap

__all__ = ["GuardedAnthropic", "wrap"]
