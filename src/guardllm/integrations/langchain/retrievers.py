"""``guard.wrap_retriever(retriever)``: documents come back with ``page_content`` and
``metadata`` masked, and each document's source is recorded as a lineage input.

The source of a document is its ``metadata["source"]`` (LangChain's loaders set it),
else ``metadata["url"]``/``["file_path"]``/``["id"]``, else the document id, else the
retriever's name.  Sources are recorded as lineage nodes ``source:retriever:<source>``
with an edge into the retriever step that carries the entity types and token
fingerprints of what that source contributed.  Source names are masked like any text,
so a file named after a person does not put the name into the lineage store.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from guardllm.integrations.langchain._context import (
    CallContext,
    bound_config,
    context_from_config,
    current_config,
    lineage_run_id,
    registry,
)
from guardllm.integrations.langchain._messages import types_and_fingerprints, unique_refs
from guardllm.integrations.langchain.tools import no_tracing
from guardllm.tokencount import count_tokens

__all__ = ["GuardedRetriever", "wrap_retriever"]

_SOURCE_KEYS = ("source", "url", "file_path", "path", "id")


class GuardedRetriever(BaseRetriever):
    """A retriever wrapped by guardllm; see the module docs.  Build it with :func:`wrap_retriever`.

    ``k`` (optional) caps the number of documents returned; it is also passed on to the
    wrapped retriever as ``k`` when given per call (``retriever.invoke(q, k=3)``).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    wrapped: BaseRetriever = Field(exclude=True, repr=False)
    guard: Any = Field(exclude=True, repr=False)
    k: int | None = None
    scope: str | None = None
    principal: str | None = None

    def invoke(self, input: str, config: Any = None, **kwargs: Any) -> list[Document]:
        with bound_config(config):
            return super().invoke(input, config, **kwargs)

    async def ainvoke(self, input: str, config: Any = None, **kwargs: Any) -> list[Document]:
        with bound_config(config):
            return await super().ainvoke(input, config, **kwargs)

    def _ctx(self) -> CallContext:
        return context_from_config(current_config(), scope=self.scope, principal=self.principal)

    def _inner_config(self) -> dict[str, Any]:
        config = current_config()
        # An empty list, not None: None would let the ambient run's callbacks back in, and
        # the wrapped retriever's raw documents must not reach callbacks or traces.
        return {**{k: v for k, v in config.items() if k not in ("run_id", "run_name")}, "callbacks": []}

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        ctx = self._ctx()
        # The query is what the model (or user) asked: restore nothing, pass it as it came.
        with no_tracing():
            docs = self.wrapped.invoke(query, self._inner_config(), **kwargs)
        return self._guard_docs(docs, ctx, run_manager)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        ctx = self._ctx()
        with no_tracing():
            docs = await self.wrapped.ainvoke(query, self._inner_config(), **kwargs)
        return self._guard_docs(docs, ctx, run_manager)

    def _guard_docs(self, docs: list[Document], ctx: CallContext, run_manager: Any) -> list[Document]:
        if self.k is not None:
            docs = list(docs)[: self.k]
        out: list[Document] = []
        flows: dict[str, list[str]] = {}
        for doc in docs:
            content = self.guard.mask(doc.page_content or "", **ctx.as_kwargs())
            metadata = self.guard.mask_object(dict(doc.metadata or {}), **ctx.as_kwargs())
            source = _source(metadata) or self.wrapped.get_name()
            flows.setdefault(source, []).append(content)
            out.append(Document(page_content=content, metadata=metadata, id=doc.id))
        self._record(flows, ctx, run_manager)
        return out

    def _record(self, flows: dict[str, list[str]], ctx: CallContext, run_manager: Any) -> None:
        step = str(run_manager.run_id) if run_manager is not None else None
        registry.update(step, scope=ctx.scope, principal=ctx.principal)
        run = lineage_run_id(run_manager, current_config(), self.guard)
        rec = self.guard.recorder
        common = {"scope": ctx.scope, "principal": ctx.principal}
        node = step or f"retriever:{self.get_name()}"
        parent = getattr(run_manager, "parent_run_id", None)
        rec.node(
            run,
            node,
            "retriever",
            self.wrapped.get_name(),
            parent_id=str(parent) if parent else None,
            **common,
            guarded=True,
        )
        all_refs: list[Any] = []
        for source, texts in flows.items():
            text = "\n".join(texts)
            refs = unique_refs(self.guard.find_tokens(text, scope=ctx.scope)) if text else []
            all_refs.extend(refs)
            types, fps = types_and_fingerprints(refs)
            src = f"source:retriever:{source}"
            rec.node(run, src, "source", source, **common, documents=len(texts))
            rec.edge(
                run,
                src,
                node,
                entity_types=types,
                fingerprints=fps,
                status="masked",
                tokens=count_tokens(text),
                label="documents",
            )
        types, fps = types_and_fingerprints(unique_refs(all_refs))
        self.guard.audit.record(
            "retrieval",
            run_id=run,
            scope=ctx.scope,
            principal=ctx.principal,
            entity_types=types,
            fingerprints=fps,
            counts={"documents": sum(len(t) for t in flows.values()), "sources": len(flows)},
            detail=self.wrapped.get_name(),
        )


def _source(metadata: dict[str, Any]) -> str | None:
    for key in _SOURCE_KEYS:
        value = metadata.get(key)
        if value is not None and value != "":
            return str(value)
    return None


def wrap_retriever(
    guard: Any,
    retriever: BaseRetriever,
    *,
    k: int | None = None,
    scope: str | None = None,
    principal: str | None = None,
) -> GuardedRetriever:
    """Wrap a LangChain retriever so its documents are masked and their sources recorded.

    Args:
        guard: the :class:`guardllm.Guard`.
        retriever: any ``BaseRetriever`` (a vector store's ``as_retriever()`` included).
        k: optional cap on the number of documents returned.
        scope / principal: fallbacks when the run's config does not say.
    """
    if isinstance(retriever, GuardedRetriever):
        retriever = retriever.wrapped
    if not isinstance(retriever, BaseRetriever):
        raise TypeError(f"wrap_retriever expects a LangChain BaseRetriever, got {type(retriever).__name__}")
    return GuardedRetriever(
        wrapped=retriever,
        guard=guard,
        k=k,
        scope=scope,
        principal=principal,
        tags=list(retriever.tags or []) or None,
        metadata={**(retriever.metadata or {}), "guardllm_guarded": "retriever"},
    )
