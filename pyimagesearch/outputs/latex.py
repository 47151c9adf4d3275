"""verdicts.tex: the verdicts as a booktabs table a paper can \\input (needs
\\usepackage{booktabs}). Every name a user chose is escaped for LaTeX."""
import math

from pyimagesearch import registry
from pyimagesearch.stats import verdicts
from pyimagesearch.stats.measure import direction
from pyimagesearch.stats.analysis import raw

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}"}


def escape(text):
    """``text`` with LaTeX's special characters escaped: a name prints as written."""
    return "".join(_SPECIAL.get(c, c) for c in str(text))


def _number(value, digits):
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{value:.{digits}f}"


def verdicts_tex(result):
    """One row per pair and problem: B - A in the metric's own direction, its 95%
    interval, the adjusted p and the verdict; the caption says the metric, its units,
    the margin and the error rate."""
    measure = result.measure
    digits = 2 if measure.accuracy else 4
    rows = list(result.tuned) if result.tuned and len({r["a"] for r in result.tuned}
                                                       | {r["b"] for r in result.tuned}) > 1 \
        else list(result.problems)
    lines = [r"\begin{table}[t]", r"\centering",
             r"\begin{tabular}{llllrrcrl}", r"\toprule",
             r"Dataset & Model & A & B & $n$ & $B - A$ & 95\% CI & $p_\mathrm{adj}$ & Verdict \\",
             r"\midrule"]
    for r in rows:
        mean, low, high = raw(r)
        interval = "" if math.isnan(low) else f"[{low:.{digits}f}, {high:.{digits}f}]"
        cells = [escape(r["dataset"]), escape(r["model"]),
                 escape(registry.display_name(r["a"])), escape(registry.display_name(r["b"])),
                 str(r["n"]), _number(mean, digits), interval,
                 "" if math.isnan(r["p_adjusted"]) else f"{r['p_adjusted']:.2g}",
                 escape(r["verdict"])]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}",
              r"\caption{" + escape(f"{measure.name} ({direction(measure.goal)}), B - A in "
                                    f"{measure.unit}, margin {measure.margin_text()}; paired "
                                    "t-test and TOST over seeds, Holm within each look; the "
                                    "chance of any wrong better, worse or equivalent call at "
                                    f"most {verdicts.ALPHA:.0%}.") + "}",
              r"\end{table}", ""]
    return "\n".join(lines)
