"""The offline demo behind ``guardllm demo``: a LangChain agent over a bundled SQLite table."""
