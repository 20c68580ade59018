"""The offline demo behind ``guardllm demo``: a LangChain agent over a bundled SQLite table.

``run_demo()`` runs it and returns a :class:`DemoResult`; LangChain is imported only
when it runs, so importing this package stays cheap.
"""

from guardllm.demo.run import DemoResult, ValueView, run_demo

__all__ = ["DemoResult", "ValueView", "run_demo"]
