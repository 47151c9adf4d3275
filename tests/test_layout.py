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


# third-party packages that take a second or more to import, or are optional extras: a
# function may import them where it needs them (start-up time, or a one-line message
# where they are missing)
HEAVY = {"tensorflow", "keras", "tensorboard", "torch", "jax", "jaxlib", "optax", "mlflow",
         "wandb", "ray", "cv2", "pandas", "matplotlib", "plotly", "statsmodels", "sklearn",
         "scipy", "pyarrow", "PIL", "google"}


def top_level_imports(path):
    """The modules a file imports when it is imported (not those inside its functions)."""
    found = []
    tree = ast.parse(open(path, encoding="utf-8").read())
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, (ast.If, ast.Try)):
            todo += [*node.body, *node.orelse, *getattr(node, "handlers", []),
                     *getattr(node, "finalbody", [])]
        elif isinstance(node, ast.ExceptHandler):
            todo += node.body
    return found


def heavy_packages(known):
    """{module: the heavy packages importing it brings in}, through the package's own
    top-level imports."""
    direct = {name: top_level_imports(path) for name, path in known.items()}
    out = {}

    def visit(name, trail=()):
        if name in out:
            return out[name]
        if name in trail:
            return set()
        found = set()
        for m in direct[name]:
            if m.split(".")[0] in HEAVY:
                found.add(m.split(".")[0])
            elif m in known:
                found |= visit(m, trail + (name,))
        parent = name.rsplit(".", 1)[0]  # a submodule's package is imported first
        if parent != name and parent in known and parent not in trail:
            found |= visit(parent, trail + (name,))
        out[name] = found
        return found
    for name in known:
        visit(name)
    return out


def test_an_import_inside_a_function_is_there_for_start_up_time_and_says_why():
    """The standard library and numpy at the top, always. Inside a function only a heavy
    or optional package, or a module of ours that brings one in which its importer does
    not have, with a word why (a comment on its line or above its group of imports)."""
    import sys
    known = modules()
    heavy = heavy_packages(known)
    wrong = []
    for name, path in known.items():
        lines = open(path, encoding="utf-8").read().split("\n")
        for fn in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if not isinstance(node, (ast.Import, ast.ImportFrom)) or getattr(node, "level", 0):
                    continue
                targets = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                           [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known
                            else node.module for a in node.names])
                where = f"{path}:{node.lineno}: {lines[node.lineno - 1].strip()}"
                for target in targets:
                    top = target.split(".")[0]
                    if top in HEAVY:
                        continue
                    if top in sys.stdlib_module_names or top == "numpy":
                        wrong.append(f"{where} (imports in no time: at the top)")
                    elif target in known and not heavy[target] - heavy[name]:
                        wrong.append(f"{where} (brings in nothing {name} lacks: at the top)")
                k = node.lineno - 1  # the comment: on its line or above its group
                said = "#" in lines[k]
                while not said and k > 0 and lines[k - 1].strip().startswith(("from ", "import ", "#")):
                    k -= 1
                    said = "#" in lines[k]
                if not said and not all(t.split(".")[0] in HEAVY for t in targets):
                    wrong.append(f"{where} (no word why)")
    assert not wrong, "\n".join(wrong)


def test_figures_are_drawn_by_outputs_alone():
    """matplotlib and Plotly are the writers' (pyimagesearch.outputs): the statistics, the
    training code and the commands hand them results."""
    for name, path in modules().items():
        if not name.startswith("pyimagesearch.outputs"):
            drawn = [m for m in top_level_imports(path) + list(imports_anywhere(path))
                     if m.split(".")[0] in ("matplotlib", "plotly")]
            assert not drawn, (name, drawn)


def imports_anywhere(path):
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
