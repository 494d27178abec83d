"""The floor plan of docs/architecture.md, enforced: layers point one way, and only defs/ knows Dagster."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hf_daily"

# What each part of hf_daily may import from hf_daily (itself always). The order is the floor plan, bottom up.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "sources": {"core"},
    "warehouse": {"core", "sources"},
    "translate": {"core"},
    "steps": {"core", "sources", "warehouse", "translate"},
    "channels": {"core", "sources", "warehouse", "steps"},
    "defs": {"core", "sources", "warehouse", "translate", "steps", "channels"},
    "definitions": {"defs"},
    "runner": {"core", "definitions", "defs"},
    "cli": {"core", "sources", "warehouse", "translate", "steps", "channels", "runner"},
}
# Only the Dagster wiring and what runs it know Dagster.
DAGSTER_ALLOWED = {"defs", "definitions", "runner"}
# Imports inside functions that are not there to dodge a cycle: the CLI loads Dagster only for the commands
# that run it (`hf-daily sql` starts at once), and the translator backends load their heavy runtimes on use.
LAZY_ALLOWED = {("cli", "runner"), ("translate", "translate")}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def part(module: str) -> str:
    """The layer a module of hf_daily belongs to: its first folder, or its own name at the top."""
    return module.split(".")[1] if module.count(".") else ""


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, inside a function) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((alias.name, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                assert child.level == 0, f"{path}: relative import; write the absolute module"
                base = child.module or ""
                # `from hf_daily.steps import ingest` imports the module hf_daily.steps.ingest.
                found.extend((f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base, in_function)
                             for alias in child.names)
            visit(child, nested)

    visit(tree, False)
    return found


MODULES = modules()


def hf_daily_imports(module: str, *, lazy: bool | None = None) -> set[str]:
    return {name for name, in_function in imports(MODULES[module])
            if name.split(".")[0] == "hf_daily" and (lazy is None or in_function == lazy)}


@pytest.mark.parametrize("module", [m for m in MODULES if part(m)])
def test_each_layer_imports_only_the_layers_below_it(module):
    layer = part(module)
    assert layer in ALLOWED, f"{module}: a new top-level part of hf_daily; give it its place in ALLOWED and the docs"
    wrong = sorted(name for name in hf_daily_imports(module)
                   if part(name) not in ALLOWED[layer] | {layer} and name != "hf_daily")
    assert not wrong, f"{module} ({layer}/) may import only {sorted(ALLOWED[layer])}, but imports {wrong}"


@pytest.mark.parametrize("module", [m for m in MODULES if part(m) not in DAGSTER_ALLOWED])
def test_only_the_wiring_knows_dagster(module):
    found = sorted(name for name, _ in imports(MODULES[module]) if name.split(".")[0].startswith("dagster"))
    assert not found, f"{module} is plain Python but imports {found}: Dagster belongs in hf_daily/defs/"


@pytest.mark.parametrize("module", [m for m in MODULES if part(m)])
def test_no_import_hides_inside_a_function(module):
    hidden = sorted(name for name in hf_daily_imports(module, lazy=True)
                    if (part(module), part(name)) not in LAZY_ALLOWED)
    assert not hidden, f"{module} imports {hidden} inside a function; import at the top (a cycle means a layer is wrong)"


def test_the_modules_form_no_cycle():
    graph = {m: {n for n in hf_daily_imports(m) if n in MODULES and n != m} for m in MODULES}
    done: set[str] = set()

    def walk(module: str, path: list[str]) -> None:
        if module in path:
            cycle = path[path.index(module):] + [module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for name in sorted(graph[module]):
            walk(name, path + [module])
        done.add(module)

    for module in MODULES:
        walk(module, [])


def test_every_module_imports_cleanly_alone():
    # One process, forgetting hf_daily between imports: each module must bring in all it needs itself.
    script = (
        "import importlib, sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "failed = []\n"
        f"for name in {sorted(MODULES)!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'hf_daily' or m.startswith('hf_daily.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        module = importlib.import_module(name)\n"
        # An editable install of another checkout would quietly answer for a module missing here.
        f"        assert module.__file__.startswith({str(PACKAGE)!r}), module.__file__\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{name}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=PACKAGE.parent, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]


def test_no_test_module_imports_another():
    tests = Path(__file__).resolve().parent
    found = set()
    for path in sorted(tests.rglob("test_*.py")):
        module = ".".join(path.relative_to(tests.parent).with_suffix("").parts)
        found |= {(module, name) for name, _ in imports(path)
                  if name.split(".")[0] == "hf_daily_tests" and (name.rsplit(".", 1)[-1].startswith("test_")
                                                                  or name.endswith("conftest"))}
    assert not found, f"share these through conftest.py fixtures or hf_daily_tests/factories.py: {found}"
