"""Imports only go down (ingest < assistant < CLI; evals beside the CLI), and nothing reaches into private names."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import REPO

# Owned by other work streams; their private-name uses are tracked there, not hidden here.
PENDING: set[tuple[str, str]] = set()


def _modules() -> list[Path]:
    """Every source module of the three packages."""
    return sorted(p for pkg in ("ingest", "assistant", "evals") for p in (REPO / pkg).rglob("*.py"))


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import in a file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name, []) for a in node.names]
    return out


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def test_no_module_imports_a_layer_above_it():
    bad = []
    for path in _modules():
        rel = _rel(path)
        for line, module, _ in _imports(path):
            top = module.split(".")[0]
            if rel.startswith("ingest/") and top in ("assistant", "evals"):
                bad.append(f"{rel}:{line} imports {module}")
            elif rel.startswith("assistant/") and not rel.startswith("assistant/cli/") and (
                    top == "evals" or module.startswith("assistant.cli")):
                bad.append(f"{rel}:{line} imports {module}")
            elif rel.startswith("evals/") and module.startswith("assistant.cli"):
                bad.append(f"{rel}:{line} imports {module}")
    assert not bad, "imports must go down: " + "; ".join(bad)


def test_no_module_uses_another_modules_private_names():
    bad = []
    for path in _modules():
        rel = _rel(path)
        for line, module, names in _imports(path):
            bad += [f"{rel}:{line} imports {module}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                    continue
                text = ast.unparse(node)
                if not any(rel == f and text.endswith(t) for f, t in PENDING):
                    bad.append(f"{rel}:{node.lineno} uses {text}")
    assert not bad, "private names stay private: " + "; ".join(bad)


@pytest.mark.parametrize("module", ["assistant.ui.app", "assistant.ui.service", "assistant.ui.tools"])
def test_ui_does_not_load_the_cli(module):
    import subprocess
    import sys

    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith('assistant.cli')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
# Layers inside assistant/, lowest first: a module may import its own layer and the ones below.
LAYERS = ["models", "retrieval", "llm", "answering", "compliance", "ui", "cli"]


def _layer(module: str) -> int | None:
    """Rank of an assistant module's layer (None outside assistant/ or for the package root)."""
    parts = module.split(".")
    if parts[0] != "assistant" or len(parts) < 2:
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def test_assistant_layers_import_only_down():
    """retrieval < llm < answering < compliance < ui < cli: the folder tree is the flow."""
    bad = []
    for path in _modules():
        rel = _rel(path)
        if not rel.startswith("assistant/") or rel.count("/") < 2 and not rel.endswith("models.py"):
            continue
        own = _layer(rel[:-3].replace("/", "."))
        for line, module, _ in _imports(path):
            other = _layer(module)
            if own is not None and other is not None and other > own:
                bad.append(f"{rel}:{line} ({LAYERS[own]}) imports {module} ({LAYERS[other]})")
    assert not bad, "imports must go down the layers: " + "; ".join(bad)


def test_every_assistant_module_sits_in_a_layer():
    """No flat modules left beside the packages, except the shared data contract."""
    flat = [p.name for p in (REPO / "assistant").glob("*.py") if p.name not in ("__init__.py", "models.py")]
    assert not flat, f"modules outside the layer packages: {flat}"
