"""LangChain's own standard suites (``langchain-tests``) against guarded components,
the way an integration package runs them."""

from __future__ import annotations

import functools
import json
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import BaseTool, tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_tests.integration_tests import RetrieversIntegrationTests, ToolsIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests, ToolsUnitTests
from pydantic import SecretStr

from guardllm.integrations.langchain import GuardedChatModel, wrap_retriever, wrap_tool
from tests.lc_support import ALICE_EMAIL, ALICE_SSN, BOB_EMAIL


@functools.lru_cache(maxsize=1)
def _guard() -> Any:
    from guardllm import Guard

    return Guard(store="memory://")


# -- tools ---------------------------------------------------------------------------------


@tool
def send_email(to: str, body: str) -> str:
    """Send an email to a customer."""
    return json.dumps({"status": "sent", "to": to})


@tool(response_format="content_and_artifact")
def find_customers(query: str, limit: int = 2) -> tuple[str, dict[str, Any]]:
    """Find customers matching a query."""
    rows = [{"email": ALICE_EMAIL, "ssn": ALICE_SSN}, {"email": BOB_EMAIL, "ssn": None}][:limit]
    return f"{len(rows)} customers: " + ", ".join(r["email"] for r in rows), {"rows": rows}


class TestGuardedToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> BaseTool:
        return wrap_tool(_guard(), send_email, reveal=["EMAIL_ADDRESS"])

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"to": "[EMAIL_1]", "body": "Your invoice is overdue."}


class TestGuardedToolIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> BaseTool:
        return wrap_tool(_guard(), send_email, reveal=["EMAIL_ADDRESS"])

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"to": "[EMAIL_1]", "body": "Your invoice is overdue."}


class TestGuardedArtifactToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> BaseTool:
        return wrap_tool(_guard(), find_customers)

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"query": "overdue", "limit": 2}


class TestGuardedArtifactToolIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> BaseTool:
        return wrap_tool(_guard(), find_customers)

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"query": "overdue", "limit": 2}


# -- retriever -----------------------------------------------------------------------------

_DOCS = [
    Document(
        page_content=f"Ticket {i}: customer {ALICE_EMAIL if i % 2 else BOB_EMAIL} asked about billing.",
        metadata={"source": f"tickets/{i}.txt", "reporter": ALICE_EMAIL},
    )
    for i in range(6)
]


class CustomerTickets(BaseRetriever):
    """A keyword retriever over support tickets (real BaseRetriever, no vector store needed)."""

    k: int = 4

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        words = query.lower().split()
        hits = [d for d in _DOCS if any(w in d.page_content.lower() for w in words)] or list(_DOCS)
        return hits[: k or self.k]


def _guarded_tickets(**kwargs: Any) -> BaseRetriever:
    return wrap_retriever(_guard(), CustomerTickets(**kwargs))


class TestGuardedRetriever(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> Any:
        return _guarded_tickets

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"k": 2}

    @property
    def retriever_query_example(self) -> str:
        return "billing"


# -- chat model ----------------------------------------------------------------------------


class ChatFakeProvider(BaseChatModel):
    """A provider-like fake: takes the standard parameters and formats tools like OpenAI."""

    model: str = "fake-provider-1"
    temperature: float | None = None
    max_tokens: int | None = None
    timeout: float | None = None
    stop: list[str] | None = None
    max_retries: int = 2
    api_key: SecretStr | None = None
    streaming: bool = False

    @property
    def _llm_type(self) -> str:
        return "fake-provider"

    def bind_tools(self, tools: Any, *, tool_choice: Any = None, **kwargs: Any) -> Any:
        formatted = [convert_to_openai_tool(t) for t in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=formatted, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="ok"))])


class GuardedFakeProvider(GuardedChatModel):
    """How a user meets it: the provider model, guarded (the standard params go to the provider)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(wrapped=ChatFakeProvider(**kwargs), guard=_guard())


class TestGuardedChatModelUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return GuardedFakeProvider

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "fake-provider-1"}
