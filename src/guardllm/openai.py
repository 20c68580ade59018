"""``guardllm.openai``: guard the official OpenAI SDK.

    import guardllm.openai
    client = guardllm.openai.wrap(openai.OpenAI(), guard)

The implementation lives in :mod:`guardllm.integrations.openai`.
"""

from guardllm.integrations.openai import GuardedOpenAI, wrap

__all__ = ["GuardedOpenAI", "wrap"]
