"""Your own training program: a command template, expanded per run, that never imports us.

    python examples/torch_loop.py --optimizer {optimizer} {args} --seed {seed} --out {run_dir}

Placeholders, and no others: ``{optimizer}`` (the setting's name: ``adamw``), ``{args}``
(its arguments as ``--name value`` pairs, a word of its own), ``{NAME}`` (one argument's
value), ``{seed}``, ``{run_dir}`` (a folder of the run's own, made by the wrapper) and
``{problem}`` (a name from ``--problems``). The template is split into words first (shlex)
and each placeholder replaced inside its word, so a value never becomes two words or
shell syntax; nothing of a template or spec is evaluated as code. Standard library only:
the wrapper (:mod:`.wrap`) runs it per run and must not pay for a backend start.
"""
import os
import re
import shlex
import shutil
from dataclasses import asdict, dataclass
from typing import Optional

from pyimagesearch import grid, specs

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PROBLEM = re.compile(r"^[A-Za-z0-9_]+$")  # a problem may be a number: a width, 64
FIXED = ("optimizer", "args", "seed", "run_dir", "problem")
DEFAULT_PROBLEM = "run"  # the problem of a program that trains one thing


class TemplateError(ValueError):
    """A template or setting that cannot make a run; the message is one line."""


def words(template):
    """The template's words (shlex), each checked for placeholders it may hold."""
    try:
        out = shlex.split(template)
    except ValueError as e:
        raise TemplateError(f"--command {template!r}: {e}") from None
    if not out:
        raise TemplateError("--command: empty")
    for word in out:
        rest = PLACEHOLDER.sub("", word)
        if "{" in rest or "}" in rest:
            raise TemplateError(f"--command: {word!r}: a brace that is not a {{placeholder}}")
        for name in PLACEHOLDER.findall(word):
            if not NAME.match(name):
                raise TemplateError(f"--command: {{{name}}} is not a placeholder (a name: "
                                    "{optimizer}, {args}, {seed}, {run_dir}, {problem} or an "
                                    "argument's name)")
        if "{args}" in word and word != "{args}":
            raise TemplateError(f"--command: {word!r}: {{args}} stands alone as a word (it "
                                "becomes several: --name value ...)")
    return out


def placeholders(template):
    return [name for word in words(template) for name in PLACEHOLDER.findall(word)]


def check(template, settings, problems=None):
    """Refuse, in one line, what cannot make runs that differ and stay apart: no {seed} or
    no {run_dir}; a placeholder nothing defines; a setting lacking an argument the template
    names; {problem} without --problems or --problems without {problem}; a program that
    is not found."""
    names = placeholders(template)
    for needed in ("seed", "run_dir"):
        if needed not in names:
            raise TemplateError(f"--command: no {{{needed}}}: "
                                + ("every seed would be the same run" if needed == "seed" else
                                   "the runs' files could not be kept apart"))
    if problems and "problem" not in names:
        raise TemplateError("--problems: the template has no {problem}, so every problem "
                            "would be the same run")
    if "problem" in names and not problems:
        raise TemplateError("--command: {problem} needs --problems a,b,...")
    arguments = [dict(specs.parse(s).arguments) for s in settings]
    for name in names:
        if name in FIXED:
            continue
        lacking = [s for s, a in zip(settings, arguments) if name not in a]
        if len(lacking) == len(settings):
            raise TemplateError(f"--command: {{{name}}} is not defined: no setting has an "
                                f"argument {name!r} (placeholders: {', '.join(FIXED)}, or an "
                                "argument's name)")
        if lacking:
            raise TemplateError(f"--optimizers: {lacking[0]!r} has no argument {name!r}, which "
                                "the template names")
    program = words(template)[0]
    if shutil.which(program) is None and not os.path.isfile(program):
        raise TemplateError(f"--command: program {program!r} not found")
    script = script_of(template)
    if script and not os.path.isfile(script):
        raise TemplateError(f"--command: {script}: no such file")


def script_of(template):
    """The program file a template runs: ``python train_mine.py`` -> ``train_mine.py``;
    the program itself otherwise (None when it is not a file here)."""
    parts = words(template)
    if os.path.basename(parts[0]).startswith("python") and len(parts) > 1 \
            and parts[1].endswith(".py") and not PLACEHOLDER.search(parts[1]):
        return parts[1]
    path = shutil.which(parts[0]) or parts[0]
    return path if os.path.isfile(path) and not os.path.basename(parts[0]).startswith("python") \
        else None


def _text(value):
    """A value as the program reads it: numbers as Python writes them (0.0003, 1e-05)."""
    return value if isinstance(value, str) else repr(value)


def expand(template, setting, seed, run_dir, problem=None):
    """The program's argv for one run."""
    spec = specs.parse(setting)
    values = {"optimizer": spec.name, "seed": str(seed), "run_dir": run_dir,
              "problem": problem or DEFAULT_PROBLEM,
              **{k: _text(v) for k, v in spec.arguments}}
    out = []
    for word in words(template):
        if word == "{args}":
            for key, value in spec.arguments:
                out += [f"--{key}", _text(value)]
            continue
        out.append(PLACEHOLDER.sub(lambda m: values[m.group(1)], word))
    return out


def program_label(template):
    """What the summary calls the program (its "model"): its file's name without the
    ending, as a name (``torch_loop``)."""
    script = script_of(template)
    name = os.path.splitext(os.path.basename(script or words(template)[0]))[0]
    name = re.sub(r"\W", "_", name) or "program"
    return name if NAME.match(name) else f"p_{name}"


@dataclass(frozen=True)
class ProgramSpec:
    """One run of a user's program: what decide.py needs to run it again with another
    seed, and what the run record says it was."""
    template: str
    optimizer: str  # the setting's canonical spec: "adamw(learning_rate=0.0003)"
    metric: str
    seed: int
    problem: Optional[str] = None
    timeout: Optional[float] = None
    setting_of: Optional[str] = None  # the optimizer whose tuning trial this setting is
    # what the grid was written to judge, beside its metric: plot.py and decide.py take
    # them when not told otherwise (a loss is never judged as an accuracy by default)
    goal: Optional[str] = None  # "max" or "min"; None: inferred from the metric's name
    margin: Optional[str] = None  # "0.02" or "1%"
    n_params: Optional[int] = None  # the problem's size, given by combinations.py --sizes

    @property
    def dataset(self):
        """The problem, in the summary's (dataset, model) terms."""
        return self.problem or DEFAULT_PROBLEM

    @property
    def model(self):
        return program_label(self.template)

    def run(self):
        return grid.Run(self.dataset, self.model, self.optimizer, self.seed,
                        setting_of=self.setting_of)

    def record(self):
        return {"kind": "program", **asdict(self), "dataset": self.dataset, "model": self.model}

    @classmethod
    def from_record(cls, record, **changes):
        names = cls.__dataclass_fields__
        return cls(**{**{k: v for k, v in record.items() if k in names}, **changes})

    def line(self, folder):
        """(grid.Run, the wrapper's line) for this run in ``folder``."""
        run = self.run()
        words_ = ["python", "-m", "pyimagesearch.program.wrap", "--output", folder, "--name", run.name,
                  "--template", self.template, "--optimizer", self.optimizer,
                  "--metric", self.metric, "--seed", str(self.seed)]
        if self.problem:
            words_ += ["--problem", self.problem]
        if self.timeout:
            words_ += ["--timeout", f"{self.timeout:g}"]
        if self.setting_of:
            words_ += ["--setting-of", self.setting_of]
        if self.goal:
            words_ += ["--goal", self.goal]
        if self.margin:
            words_ += ["--margin", self.margin]
        if self.n_params:
            words_ += ["--n-params", str(self.n_params)]
        return run, " ".join(shlex.quote(w) for w in words_)
