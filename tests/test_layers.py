"""The layer rules of the package, checked by static analysis (no symrg module is imported here).

Every module under ``symrg/`` is parsed with :mod:`ast`; every ``import`` / ``from ... import``
(module level or inside a function) and every ``importlib.import_module("<constant>")`` gives an
edge.  Layers, bottom to top (a module may import its own folder and any lower layer; folders on
the same floor may not import each other)::

    ground (symrg/__init__, errors, _io, _validate, _parallel, _progress, _generated)
    < spectra, data < engine < theory < codegen, numerics < verify < studies, derivations < api < cli

``symrg/__init__`` may name ``symrg.api`` inside its ``__getattr__`` (the lazy facade ``import symrg as rg``).

``numerics`` consumes the generated modules only: it may not reach SymPy, the engine, theory or
codegen, directly or through anything it imports.  No two modules may import each other in a
loop.  ``symrg/__init__`` imports nothing but the errors (nothing computed at import).
"""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "symrg"

FLOORS = {
    "ground": 0, "spectra": 1, "data": 1, "engine": 2, "theory": 3, "codegen": 4, "numerics": 4,
    "verify": 5, "studies": 6, "derivations": 6, "api": 6.5, "cli": 7,
}
# the package's lazy facade: ``symrg.<name>`` resolves ``symrg.api.<name>`` on first access (``__getattr__``),
# so ``import symrg`` imports nothing (test_package_init_is_cheap runs it in a fresh interpreter)
LAZY = {("symrg", "symrg.api")}
GROUND = {"symrg", "symrg.errors", "symrg._io", "symrg._validate", "symrg._parallel", "symrg._progress"}
SYMBOLIC = {"engine", "theory", "codegen"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def group(mod: str) -> str:
    """The folder (layer) a ``symrg`` module belongs to."""
    if mod in GROUND or mod.startswith("symrg._generated"):
        return "ground"
    if mod == "symrg.__main__":
        return "cli"
    sub = mod.split(".")[1]
    if sub not in FLOORS:
        raise AssertionError(f"{mod} is in no layer: add its folder to FLOORS in tests/test_layers.py")
    return sub


def _imports(mod: str):
    """``[(imported name, line)]`` of one module; symrg targets resolved to the module imported."""
    path = MODULES[mod]
    pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for a in node.names:
                sub = f"{target}.{a.name}"
                out.append((sub if sub in MODULES else target, node.lineno))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            out.append((node.args[0].value, node.lineno))
    return out


def _symrg_target(name: str):
    """The ``symrg`` module an import resolves to (``None`` for third-party imports)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


GRAPH = {m: sorted({t for n, _ in _imports(m) if n.split(".")[0] == "symrg" and (t := _symrg_target(n))
                    and (m, t) not in LAZY} - {m})
         for m in MODULES}


def test_every_module_has_a_layer():
    assert {m: group(m) for m in MODULES}


def test_no_import_climbs_a_layer():
    bad = []
    for mod in MODULES:
        g = group(mod)
        for name, line in _imports(mod):
            if name.split(".")[0] != "symrg":
                continue
            if (mod, _symrg_target(name)) in LAZY:
                continue
            t = group(_symrg_target(name))
            if t != g and FLOORS[t] >= FLOORS[g]:
                bad.append(f"{MODULES[mod].relative_to(PKG.parent)}:{line} ({g}) imports {name} ({t})")
    assert not bad, "imports to the same or a higher layer:\n" + "\n".join(bad)


def _reachable(mod: str) -> set:
    seen, todo = set(), [mod]
    while todo:
        m = todo.pop()
        for t in GRAPH[m]:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def test_numerics_never_reaches_sympy_or_the_symbolic_layers():
    bad = []
    for mod in sorted(m for m in MODULES if group(m) == "numerics"):
        reach = _reachable(mod) | {mod}
        bad += [f"{mod} reaches {m}" for m in sorted(reach) if group(m) in SYMBOLIC]
        bad += [f"{mod} reaches SymPy: {m}:{line} imports {name}" for m in sorted(reach)
                for name, line in _imports(m) if name.split(".")[0] == "sympy"]
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    # Tarjan's strongly connected components
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
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
                cycles.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_package_init_is_cheap():
    imported = {n for n, _ in _imports("symrg") if n != "__future__"}
    assert imported <= {"symrg.errors", "symrg.api"}, imported
    import subprocess
    import sys

    code = ("import sys, symrg; heavy = [m for m in ('numpy', 'sympy', 'scipy', 'mpmath', 'symrg.api') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(PKG.parent), check=True)
    assert out.stdout.strip() == "[]", out.stdout
