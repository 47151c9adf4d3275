"""Spec strings: ``adamw(learning_rate=3e-4, weight_decay=0.05)``, ``mypkg.opt:make``.

A spec is a name (a registry name, a Keras class, or ``package.module:callable``),
optionally followed by keyword arguments whose values are literals: numbers,
booleans, strings, None, tuples of those, lists, which make a grid in
combinations.py, and the search spaces ``loguniform(lo, hi)``, ``uniform(lo, hi)`` and
``choice(a, b, ...)``, from which combinations.py --trials draws. The text is parsed with
:mod:`ast` and every value read with ``ast.literal_eval``: nothing in a spec is ever
evaluated as code.

No Keras here: the scripts parse and label specs in a blink; the registry resolves
them into optimizers and models.
"""
import ast
import hashlib
import itertools
import math
import re
from dataclasses import dataclass

_NAME = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*:)?"
                   r"[A-Za-z_][A-Za-z0-9_]*$")
_SAFE = re.compile(r"[^A-Za-z0-9._=-]")
MAX_LABEL = 120  # characters; longer labels are cut and end in a hash


class SpecError(ValueError):
    """A spec that cannot be parsed or resolved; the message is one line for the user."""


@dataclass(frozen=True)
class Spec:
    name: str  # as written: "adamw", "mypkg.opt:make"
    arguments: tuple = ()  # ((keyword, value), ...) in the order given

    @property
    def kwargs(self):
        return dict(self.arguments)

    @property
    def is_callable(self):
        """``package.module:callable``: the user's own code."""
        return ":" in self.name

    def text(self):
        """The canonical spec: what a grid script passes to train.py."""
        if not self.arguments:
            return self.name
        return f"{self.name}({', '.join(f'{k}={_literal(v)}' for k, v in self.arguments)})"

    def label(self):
        """A readable, filesystem-safe, unambiguous name: ``adam-learning_rate=0.0003``.

        Characters ``[A-Za-z0-9._=-]`` only. Numbers, booleans and None are written
        as Python writes them, keywords sorted; a string or tuple value, or a label
        cut for length, adds a hash of the whole spec, so two different specs never
        share a label."""
        name = self.name.replace(":", ".")
        parts = [name] + [f"{k}={_literal(v)}" for k, v in sorted(self.arguments)]
        label = _SAFE.sub("_", "-".join(parts))
        plain = all(isinstance(v, (int, float, bool, type(None))) for _, v in self.arguments)
        if not plain or len(label) > MAX_LABEL:
            digest = hashlib.sha1(self.text().encode()).hexdigest()[:8]
            label = f"{label[:MAX_LABEL]}-h{digest}"
        return label

    def grid(self):
        """Every spec a list value makes: ``adam(learning_rate=[1e-4, 1e-3])`` -> 2 specs."""
        keys = [k for k, _ in self.arguments]
        choices = [v if isinstance(v, list) else [v] for _, v in self.arguments]
        return [Spec(self.name, tuple(zip(keys, combo))) for combo in itertools.product(*choices)]

    def has_grid(self):
        return any(isinstance(v, list) for _, v in self.arguments)

    def space(self):
        """The searched hyperparameters: ((keyword, Distribution), ...)."""
        return tuple((k, v) for k, v in self.arguments if isinstance(v, Distribution))

    def at(self, point):
        """The spec with each searched hyperparameter set from ``point`` (quantiles in
        [0, 1), one per entry of :meth:`space`, in order)."""
        quantiles = iter(point)
        return Spec(self.name, tuple((k, v.draw(next(quantiles)) if isinstance(v, Distribution)
                                      else v) for k, v in self.arguments))


def _literal(value):
    """Python's own spelling: floats in their shortest round-tripping form (0.0003, 1e-05)."""
    return repr(value)


@dataclass(frozen=True)
class Distribution:
    """A search space for one hyperparameter: ``loguniform(lo, hi)``, ``uniform(lo, hi)``
    or ``choice(a, b, ...)``. combinations.py --trials maps quasi-random points in [0, 1)
    through :meth:`draw`; a run's recorded spec only ever holds the drawn number."""
    kind: str
    values: tuple

    def __repr__(self):  # how Spec.text() writes it back
        return f"{self.kind}({', '.join(_literal(v) for v in self.values)})"

    def draw(self, u):
        """The value at quantile ``u`` in [0, 1): continuous draws keep 4 significant
        digits (readable run names), clipped to the bounds."""
        if self.kind == "choice":
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        lo, hi = self.values
        if self.kind == "loguniform":
            value = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        else:
            value = lo + u * (hi - lo)
        return min(max(float(f"{value:.4g}"), lo), hi)


DISTRIBUTIONS = ("loguniform", "uniform", "choice")


def _distribution(node, text):
    """A :class:`Distribution` from ``kind(args)``; :class:`SpecError` for anything else."""
    kind = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
    shown = ast.unparse(node)
    if kind not in DISTRIBUTIONS:
        raise SpecError(f"{text!r}: {shown!r} is not a literal; the only calls a spec takes are "
                        "loguniform(lo, hi), uniform(lo, hi) and choice(a, b, ...)")
    if node.keywords:
        raise SpecError(f"{text!r}: {shown!r}: give {kind}'s values by position")
    values = tuple(_value(arg, text) for arg in node.args)
    if any(isinstance(v, (list, Distribution)) for v in values):
        raise SpecError(f"{text!r}: {shown!r}: its values are literals, not lists or searches")
    if kind == "choice":
        if len(values) < 2 or len(set(map(repr, values))) != len(values):
            raise SpecError(f"{text!r}: {shown!r}: choice needs at least 2 distinct values")
        return Distribution(kind, values)
    if len(values) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                   and math.isfinite(v) for v in values):
        raise SpecError(f"{text!r}: {shown!r}: {kind} takes two finite numbers, lo and hi")
    lo, hi = (float(v) for v in values)
    if not lo < hi:
        raise SpecError(f"{text!r}: {shown!r}: lo must be below hi")
    if kind == "loguniform" and lo <= 0:
        raise SpecError(f"{text!r}: {shown!r}: loguniform needs lo > 0")
    return Distribution(kind, (lo, hi))


_KEYWORDS = {"true": True, "false": False, "none": None}


def _value(node, text):
    """A literal value from an AST node; JSON's true/false/null spellings accepted."""
    if isinstance(node, ast.Name) and node.id.lower() in (*_KEYWORDS, "null"):
        return _KEYWORDS.get(node.id.lower())
    if isinstance(node, ast.List):
        values = [_value(e, text) for e in node.elts]
        if not values or any(isinstance(v, (list, Distribution)) for v in values):
            raise SpecError(f"{text!r}: a list of values makes a grid; give at least one, "
                            "not nested")
        return values
    if isinstance(node, ast.Tuple):
        return tuple(_value(e, text) for e in node.elts)
    if isinstance(node, ast.Call):
        return _distribution(node, text)
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise SpecError(f"{text!r}: {ast.unparse(node)!r} is not a literal (numbers, booleans, "
                        "strings, None, and [lists] for grids only)") from None
    if isinstance(value, (dict, set, bytes, complex)):
        raise SpecError(f"{text!r}: {ast.unparse(node)!r}: give a number, boolean, string or None")
    return value


def parse(text):
    """``text`` as a :class:`Spec`; :class:`SpecError` naming what is wrong."""
    text = text.strip()
    head, paren, rest = text.partition("(")
    head = head.strip()
    if not _NAME.match(head):
        raise SpecError(f"{text!r}: not a name, name(key=value, ...) or package.module:callable")
    if not paren:
        return Spec(head)
    if not rest.rstrip().endswith(")"):
        raise SpecError(f"{text!r}: missing the closing parenthesis")
    try:
        call = ast.parse("f(" + rest, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise SpecError(f"{text!r}: arguments are not key=value, ... with literal values") from None
    if not isinstance(call, ast.Call) or call.args or any(k.arg is None for k in call.keywords):
        raise SpecError(f"{text!r}: give arguments by keyword only, e.g. "
                        "adamw(learning_rate=3e-4, weight_decay=0.05)")
    return Spec(head, tuple((k.arg, _value(k.value, text)) for k in call.keywords))


def split_list(text):
    """Split a comma-separated list of specs; commas inside () and [] do not split."""
    items, depth, current, quote = [], 0, [], None
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [i.strip() for i in items if i.strip()]


def data_label(text):
    """File-safe label of a ``folder:PATH`` or ``npz:PATH`` dataset: its kind, the path's
    last name and a hash of the path (two folders of the same name stay apart)."""
    kind, _, rest = text.partition(":")
    base = rest.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1] or "root"
    base = _SAFE.sub("_", base.rsplit(".", 1)[0] if kind == "npz" else base)
    return f"{kind}-{base[:40]}-h{hashlib.sha1(rest.encode()).hexdigest()[:6]}"
