"""``notebooks/quickstart.ipynb`` runs top to bottom, offline, and shows what it claims.

Executed with nbclient on the ``python3`` kernel of this interpreter's environment, in
a temporary working directory, with no API keys and no configured store.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from guardllm.demo.data import CUSTOMERS, raw_values

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "quickstart.ipynb"
TOP_NAME, TOP_EMAIL = CUSTOMERS[0][1], CUSTOMERS[0][2]


def _text(output: Any) -> str:
    if output.output_type == "stream":
        return str(output.text)
    if output.output_type in ("execute_result", "display_data"):
        data = output.get("data", {})
        return "\n".join(str(data.get(k, "")) for k in ("text/plain", "text/html", "text/markdown"))
    return ""


def test_stored_notebook_has_no_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.fixture
def executed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    for var in list(os.environ):
        if var.startswith("GUARDLLM_") or var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
            monkeypatch.delenv(var)
    # the kernel spec runs "python": make it this environment's interpreter
    # run_demo() puts its database, store and throwaway key in a new temp dir: keep it here
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    return nb


def test_notebook_runs_offline(executed: Any) -> None:
    cells = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in cells)
    errors = [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert not errors
    outs = ["\n".join(_text(o) for o in c.outputs) for c in cells]
    everything = "\n".join(outs)
    # 1. mask / unmask
    assert "model sees:    Please email [PERSON_1] at [EMAIL_1]" in outs[0]
    assert f"user sees:     Please email {TOP_NAME} at {TOP_EMAIL}" in outs[0]
    assert "a tool sees:   Please email [PERSON_1] at [EMAIL_1]" in outs[0]
    # 2. wrapped tools: the granted one got the address, the other tokens only
    assert f"tool received: ('send_email', '{TOP_EMAIL}', 'Hello [PERSON_1]')" in outs[1]
    assert "tool received: ('log_note', 'Emailed [PERSON_1] <[EMAIL_1]>')" in outs[1]
    assert "model gets back: sent to [EMAIL_1]" in outs[1]
    # 3. the demo agent
    assert "| [PERSON_1] | [EMAIL_1] | [CARD_1] |" in outs[2]
    assert f"send_email received: {{'to': '{TOP_EMAIL}'" in outs[2]
    assert f"user sees: Done: I emailed {TOP_NAME} at {TOP_EMAIL}" in outs[2]
    assert "throwaway" in outs[2]
    # the unguarded comparison: leaks recorded, without values
    assert "raw values the model saw: 2 leaked flows" in outs[4] and "leak model" in outs[4]
    assert not [v for v in raw_values() if v in outs[4]]
    # 4. lineage: rich display (SVG or Mermaid), tree, revealed flows
    assert "<svg" in outs[5] or 'class="mermaid"' in outs[5]
    assert "tool send_email" in outs[6] and "column customers.email" in outs[6]
    assert "-> tool send_email ('EMAIL_ADDRESS',)" in outs[7]
    # 5. audit
    assert "audit log OK" in outs[8] and "raw to" in outs[8]
    assert "reveal principal=support-agent scope=demo-thread recipient=tool:send_email" in outs[8]
    # the model side never held a raw value: no token-free customer row was printed for it
    assert "[REDACTED:STRIPE_KEY]" in everything and raw_values()[-1] not in everything
