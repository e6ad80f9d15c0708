"""Imports point down (style.md): the lower features never reach up into tickets' operations, the
state machine or notify, and no import circle passes through the state machine's modules.

Read from the source with ``ast`` (every import, a function's own included), not by importing:
``python -m tests.test_layers`` prints the graph's circles."""

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "linkdesk"
# Lower features: they return findings or announce events; the layers above act on them.
LOWER = ("linkdesk.workdays", "linkdesk.links", "linkdesk.cutovers.schedule")
FORBIDDEN = ("linkdesk.notify", "linkdesk.tickets.operations", "linkdesk.tickets.workflow")
# The modules of the state machine and of the features it was cut from: no circle may pass here.
OWNED = (
    "linkdesk.tickets",
    "linkdesk.cutovers",
    "linkdesk.workdays",
    "linkdesk.links",
    "linkdesk.overview",
    "linkdesk.web.errors",
    "linkdesk.accounts.access",
    "linkdesk.seed",
)


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name, the migrations left out."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports (a name imported from a package counts as its
    submodule when there is one)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            candidates = [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate not in known and "." in candidate:
                candidate = candidate.rsplit(".", 1)[0]
            if candidate in known and candidate != name:
                targets.add(candidate)
    return targets


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, without recursion)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def test_lower_features_import_neither_notify_nor_the_tickets_operations():
    upward = sorted(
        (name, target) for name, targets in graph().items() if _within(name, LOWER) for target in targets if _within(target, FORBIDDEN)
    )
    assert upward == []


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle_passes_through_the_state_machine_and_its_features(capsys):
    found = cycles(graph())
    with capsys.disabled():
        print(f"\nimport circles in linkdesk/ ({len(found)}):", *(" → ".join(c) for c in found), sep="\n  ")
    assert [c for c in found if any(_within(name, OWNED) for name in c)] == []


if __name__ == "__main__":
    for component in cycles(graph()):
        print("cycle:", " ".join(component))
    sys.exit(0)
