"""The shape of colorizer/, read from its source with ast: no import cycle (function-level imports count:
they are edges too, only deferred), the sub-packages used in one direction only, and no function over
100 lines."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "colorizer"
MAX_LINES = 100


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(name: str) -> set:
    """The modules of colorizer/ that module `name` imports anywhere in its source. `from .x import y`
    counts as importing x.y where that is a module, else x; the packages a module sits in, which Python
    imports first, are not counted (every module would import colorizer/__init__ and so close a loop)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in MODULES and t != name}
    return found


GRAPH = {name: imported_modules(name) for name in MODULES}


def find_cycle(graph: dict) -> list:
    """One import cycle as [a, b, ..., a], or [] if there is none (depth-first search)."""
    state, path = {}, []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = "done"
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_the_graph_is_read_from_every_module():
    assert "colorizer.training.train" in GRAPH["colorizer.cli"]  # a function-level import
    assert "colorizer.icc" in GRAPH["colorizer.images"]  # from . import icc
    assert GRAPH["colorizer.training.train"] >= {"colorizer.training.config", "colorizer.hints"}
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_within_colorizer():
    assert find_cycle(GRAPH) == []


def layer(name: str) -> str:
    """The sub-package a module is in (nets: the torch networks; evaluation; training), or "core":
    colorizer/'s own modules, the inference."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ("nets", "training", "evaluation") else "core"


def test_the_sub_packages_are_used_in_one_direction():
    """The inference core needs no sub-package (the command line dispatches to them, and load_model builds
    torch's network); the networks know nothing of training or evaluation; evaluation nothing of training."""
    allowed = {"core": {"core"}, "nets": {"core", "nets"}, "evaluation": {"core", "nets", "evaluation"},
               "training": {"core", "nets", "evaluation", "training"}}
    exceptions = {("colorizer.cli", "training"), ("colorizer.cli", "evaluation"), ("colorizer.weights", "nets")}
    wrong = sorted(f"{a} -> {b}" for a, targets in GRAPH.items() for b in targets
                   if layer(b) not in allowed[layer(a)] and (a, layer(b)) not in exceptions)
    assert not wrong


def test_no_function_is_over_100_lines():
    long = [f"{module_name(path)}.{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for path in MODULES.values() for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_LINES]
    assert not long
