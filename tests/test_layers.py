"""The import layers: walks every import of the package with `ast` (those inside functions
included) and fails on one that runs upward, goes sideways between sibling domain packages, or
closes a package cycle. The failure names the importing module, the imported one and the line."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "generec"

# low -> high; a unit may import its own rank's *own* package and anything lower, nothing higher
LAYERS = [
    {"__init__", "config", "types", "prompts", "events", "limits", "media", "shots"},   # base
    {"store", "models"},                                                       # infrastructure
    {"llm"},
    {"fidelity"},
    {"recsys"},                                                                # retrieval: catalog, index, feed, profile
    {"corpus", "editor", "creator", "instructor"},                             # domain: siblings never import each other
    {"app"},                                                                   # application: wiring, turn, people, tools
    {"ui"},
    {"bench"},                                                                 # outer layer: benchmarks and evaluation
    {"cli", "__main__"},                                                       # outer layer: the command line and launching
]
RANK = {unit: r for r, units in enumerate(LAYERS) for unit in units}
APART = LAYERS[5]   # the domain packages: each is used by the layers above, never by another


def unit_of(module: str) -> str:
    """generec.recsys.feed -> recsys; generec.config -> config; generec -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path):
    """(imported generec module, line) for every import in the file."""
    mod = module_name(path)
    pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "generec" or target.startswith("generec."):
                subs = [f"{target}.{a.name}" for a in node.names]
                found = [s for s in subs if (PKG.parent / (s.replace(".", "/") + ".py")).exists()
                         or (PKG.parent / s.replace(".", "/")).is_dir()]
                for t in found or [target]:
                    yield t, node.lineno
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "generec" or a.name.startswith("generec."):
                    yield a.name, node.lineno


def edges():
    for path in sorted(PKG.rglob("*.py")):
        src = module_name(path)
        for target, line in imports(path):
            yield src, target, f"{path.relative_to(ROOT)}:{line}"


def test_every_unit_has_a_layer():
    units = {unit_of(module_name(p)) for p in PKG.rglob("*.py")}
    assert units <= set(RANK), f"put these in LAYERS: {sorted(units - set(RANK))}"


def test_no_import_runs_upward_or_sideways():
    bad = []
    for src, target, where in edges():
        a, b = unit_of(src), unit_of(target)
        if a == b or target == "generec":
            continue
        if RANK[b] > RANK[a]:
            bad.append(f"{where}: {src} (layer {RANK[a]}) imports {target} (layer {RANK[b]}), which is above it")
        elif RANK[b] == RANK[a] and a in APART:
            bad.append(f"{where}: {src} imports its sibling {target}")
    assert not bad, "\n".join(bad)


def package_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_no_package_cycle():
    graph, where = {}, {}
    for src, target, at in edges():
        a, b = unit_of(src), unit_of(target)
        if a != b and target != "generec":
            graph.setdefault(a, set()).add(b)
            where.setdefault((a, b), at)
    cycles = package_cycles(graph)
    assert not cycles, "; ".join(" ".join(f"{a}->{b} ({where[a, b]})" for a in c for b in c if (a, b) in where) for c in cycles)


def test_the_checks_see_a_bad_edge(tmp_path):
    """The walker finds relative imports inside functions and names the line."""
    pkg = tmp_path / "generec" / "recsys"
    pkg.mkdir(parents=True)
    f = pkg / "feed.py"
    f.write_text("def f():\n    from ..app.turn import Turns\n    from ..ui import chat\n")
    global ROOT
    old = ROOT
    ROOT = tmp_path
    try:
        got = list(imports(f))
    finally:
        ROOT = old
    assert ("generec.app.turn", 2) in got and ("generec.ui.chat", 3) in got
    assert package_cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


if __name__ == "__main__":
    pytest.main([__file__])
