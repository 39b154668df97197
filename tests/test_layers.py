"""The package's layers import only downward: params <- model <- experiments <- interfaces.

An AST walk over ``sim/`` (nothing is imported), failing on (a) an import cycle between modules,
(b) an upward import and (c) importing a private name (``_x``, not dunder) from another sim module.
Imports under ``if TYPE_CHECKING:`` are annotations only: they count for (b) and (c), not for (a).
"""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parent.parent / "sim"
# What each layer may import from sim (the package's top: sim/__init__, __main__, cli may import all).
ALLOWED = {
    "params": {"params"},
    "model": {"params", "model"},
    "experiments": {"params", "model", "experiments"},
    "interfaces": {"params", "model", "experiments", "interfaces"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SIM.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def imports(module: str) -> list[tuple[str, list[str], bool, int]]:
    """(imported sim module, names taken from it, annotation-only, line) for every import."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "sim" or a.name.startswith("sim."):
                    out.append((a.name, [], id(node) in typing_only, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target != "sim" and not target.startswith("sim."):
                continue
            names = [a.name for a in node.names]
            # ``from sim.model import enrollment`` imports the module sim.model.enrollment
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            out.append((target, [n for n in names if f"{target}.{n}" not in MODULES],
                        id(node) in typing_only, node.lineno))
            out += [(s, [], id(node) in typing_only, node.lineno) for s in subs]
    return out


def test_every_module_imports_only_its_own_layer_and_those_below():
    upward = []
    for module in MODULES:
        mine = layer(module)
        if mine is None:  # the top: sim, sim.__main__, sim.cli
            continue
        for target, _names, _typing, line in imports(module):
            theirs = layer(target)
            if theirs is None and target != "sim" and target in MODULES:
                upward.append(f"{module}:{line} imports the top-level {target}")
            elif target == "sim":
                upward.append(f"{module}:{line} imports the package top (sim)")
            elif theirs is not None and theirs not in ALLOWED[mine]:
                upward.append(f"{module}:{line} ({mine}) imports {target} ({theirs})")
    assert not upward, "\n".join(upward)


def test_no_private_name_is_imported_from_another_sim_module():
    private = [f"{module}:{line} imports {n} from {target}"
               for module in MODULES for target, names, _typing, line in imports(module)
               for n in names if n.startswith("_") and not n.startswith("__")]
    assert not private, "\n".join(private)


def test_there_is_no_import_cycle_between_modules():
    graph = {m: {t for t, _n, typing_only, _l in imports(m) if not typing_only and t in MODULES
                 and t != m}
             for m in MODULES}
    # A package's __init__ is imported with any of its modules: an edge to it is an edge.
    cycles, state = [], {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = "open"
        for t in sorted(graph[m]):
            if state.get(t) == "open":
                cycles.append(" -> ".join(stack[stack.index(t):] + [t]))
            elif t not in state:
                visit(t, stack + [t])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, "\n".join(cycles)


def test_the_walk_sees_the_layers():
    """Guard against a walk that passes because it found nothing."""
    assert {layer(m) for m in MODULES} >= set(ALLOWED)
    assert any(t.startswith("sim.params") for t, *_ in imports("sim.model.model"))


# What the engines and the model leave to the interfaces: drawing, printing, progress bars and
# command-line parsing (they report through return values, ``log`` and ``progress`` callbacks).
PRESENTATION = {"tqdm", "matplotlib", "argparse"}


def presentation_uses(module: str) -> list[str]:
    """``module:line what`` for each import of a presentation library and each ``print(`` call."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "print"):
            found.append(f"{module}:{node.lineno} calls print(")
            continue
        else:
            continue
        found += [f"{module}:{node.lineno} imports {n}" for n in names
                  if n.split(".")[0] in PRESENTATION]
    return found


def test_engines_and_model_neither_print_nor_draw_nor_parse_the_command_line():
    found = [x for m in MODULES if layer(m) in ("model", "experiments")
             for x in presentation_uses(m)]
    assert not found, "\n".join(found)


def test_the_presentation_walk_sees_imports_and_prints():
    """Guard: the walk finds what the interfaces do use."""
    assert any("imports tqdm" in x for x in presentation_uses("sim.interfaces.progress"))
    assert any("calls print(" in x for x in presentation_uses("sim.interfaces.cli.forecast"))
