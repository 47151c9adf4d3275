"""argparse types the scripts share: numbers, batch sizes, and specs the registry resolves
(each refused in one line that names the culprit)."""
import argparse
import os
import sys

from pyimagesearch import registry, specs
from pyimagesearch.stats import measure


class Once(argparse.Action):
    """A flag given once: a second -i would silently replace the first (two sources asked
    for, one read), so it is refused in one line naming both."""
    def __call__(self, parser, namespace, values, option_string=None):
        before = getattr(namespace, self.dest, None)
        if before is not None and before != self.default:
            parser.error(f"{option_string} given twice ({before} and {values}): give one")
        setattr(namespace, self.dest, values)


def _number(convert, what, valid, rule):
    """argparse type: ``convert(text)``, refused unless ``valid(value)``."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not valid(value):
            raise argparse.ArgumentTypeError(f"{text} must be {rule}")
        return value
    return parse


positive_int = _number(int, "an integer", lambda v: v >= 1, "at least 1")
positive_float = _number(float, "a number", lambda v: 0 < v < float("inf"), "a positive number")
fraction = _number(float, "a number", lambda v: 0 < v < 1, "between 0 and 1, e.g. 0.1")


def margin(text):
    """A margin in the metric's units (0.02) or relative to the pair's median (1%), kept as text."""
    try:
        measure.parse_margin(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix(f"--margin {text}: ")) from None
    return text


SIZE_UNITS = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}


def size(text):
    """A model size in parameters: 350000000, 3.5e8 or 350M (k, M, B/G, T)."""
    text = str(text).strip()
    scale = SIZE_UNITS.get(text[-1:], 1.0)
    try:
        value = float(text[:-1] if text[-1:] in SIZE_UNITS else text) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (give 350000000, 3.5e8 or "
                                         "350M)") from None
    if not (0 < value < float("inf")):
        raise argparse.ArgumentTypeError(f"{text!r}: a size must be a positive number")
    return value


def batch_size(text):
    return "full" if text == "full" else positive_int(text)


def spec_type(resolve):
    """argparse type: a spec resolved by the registry (refused in one line), kept as text."""
    def parse(text):
        try:
            return resolve(text)
        except specs.SpecError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return parse


def _resolved(resolve):
    def check(text):
        resolve(text)
        return text
    return check


# canonical: 'Adam(learning_rate=3e-4)' -> 'adam(learning_rate=0.0003)'
optimizer_type = spec_type(lambda text: registry.resolve_optimizer(text).text)


def _optimizer_syntax(text):
    spec = specs.parse(text)
    if spec.has_grid() or spec.space():  # the registry's own words for these
        registry.resolve_optimizer(text, check=False)
    return text


# the spec's syntax only (no backend): the parser's other refusals come at once, and the
# caller resolves the spec afterwards (:func:`resolve_optimizer_arg`)
optimizer_syntax = spec_type(_optimizer_syntax)


def resolve_optimizer_arg(parser, text, flag="--optimizer"):
    """The canonical spec of an optimizer argument, refused in one line by ``parser``."""
    try:
        return registry.resolve_optimizer(text).text
    except specs.SpecError as e:
        parser.error(f"argument {flag}: {e}")
model_type = spec_type(_resolved(registry.resolve_model))
dataset_type = spec_type(_resolved(registry.resolve_dataset))


def spec_list(resolve, what, expand=False):
    """argparse type: a comma-separated list of specs (commas inside () and [] do not
    split), each checked by ``resolve``; with ``expand``, ``resolve`` takes the whole
    list and returns it expanded (optimizer grids)."""
    def parse(text):
        items = specs.split_list(text)
        if not items:
            raise argparse.ArgumentTypeError(f"no {what} given")
        try:
            if expand:
                return resolve(items)
            for item in items:
                resolve(item)
            return items
        except specs.SpecError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return parse


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose refusals are one line, ``prog: error: ...``, exit status 2
    (argparse's own prints the whole usage first). A command started by its installed
    name (optimizer-grid) calls itself by that name, not by its script's."""

    def __init__(self, *args, prog=None, **kwargs):
        started = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
        if started.startswith("optimizer-"):
            prog = started
        super().__init__(*args, prog=prog, **kwargs)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")
