"""The package laid out by concern: no import circle between its modules (counting the
imports inside functions too), and the study's own imports still work."""
import ast
import os

from tests.conftest import ROOT

PACKAGE = os.path.join(ROOT, "pyimagesearch")


def modules():
    out = {}
    for folder, _, files in os.walk(PACKAGE):
        if "vendor" in folder:
            continue
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                out[dotted.removesuffix(".__init__")] = path
    return out


def imports(name, path, known):
    """The package's modules that ``name`` imports, anywhere in its file."""
    found = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.ImportFrom):
            base = name.split(".") if path.endswith("__init__.py") else name.split(".")[:-1]
            module = ".".join(base[:len(base) - node.level + 1] + [node.module or ""]).strip(".") \
                if node.level else node.module or ""
            for alias in node.names:
                full = f"{module}.{alias.name}"
                found.add(full if full in known else module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in known and m != name}


def test_no_import_circle():
    known = modules()
    graph = {name: imports(name, path, known) for name, path in known.items()}
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in graph[node]:
            assert state.get(nxt) != "open", " -> ".join(trail + [node, nxt])
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = "done"
    for node in graph:
        if node not in state:
            visit(node, [])


def test_the_package_shows_its_concerns_and_the_studys_imports_work():
    for folder in ("models", "data", "train", "runs", "stats", "program", "launch", "outputs",
                   "commands"):
        assert os.path.isfile(os.path.join(PACKAGE, folder, "__init__.py")), folder
    from pyimagesearch.minigooglenet import MiniGoogLeNet
    from pyimagesearch.minivggnet import MiniVGGNet
    from pyimagesearch.models import minivggnet
    from pyimagesearch.resnet import ResNet
    assert MiniVGGNet is minivggnet.MiniVGGNet and callable(ResNet.build)
    assert callable(MiniGoogLeNet.build)


def test_the_statistics_import_no_io():
    """stats/ is the statistics with no I/O and no text: none of its modules imports the
    run table, the writers, a program's wrapper, the launchers or the commands, at its top
    or inside a function; what it needs of a run comes in as rows."""
    known = modules()
    forbidden = ("pyimagesearch.runs", "pyimagesearch.outputs", "pyimagesearch.program",
                 "pyimagesearch.launch", "pyimagesearch.commands")
    for name, path in known.items():
        if name.startswith("pyimagesearch.stats"):
            found = [m for m in imports(name, path, known) if m.startswith(forbidden)]
            assert not found, (name, found)
