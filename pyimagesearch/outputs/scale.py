"""The trends over sizes (:mod:`pyimagesearch.stats.scale`) in words, markdown, CSV and a
figure. Formats only: every number comes from the comparison's ``scale`` rows."""
import math

import numpy as np

from pyimagesearch import registry
from pyimagesearch.runs import results
from pyimagesearch.stats import scale


def _size(value):
    for unit, factor in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= factor:
            return f"{value / factor:.3g}{unit}"
    return f"{value:.3g}"


def trend_text(row):
    """One line: how a pair's speed-up (or difference) changes per doubling of size."""
    a, b = registry.display_name(row["a"]), registry.display_name(row["b"])
    sizes = row["sizes"]
    never = ("the worse optimizer's curve, even fitted, never reaches the better one's final "
             "value there" if row["quantity"] == "effective_speedup"
             else "a run never reached the target there")
    censored = (f"; sizes {', '.join(_size(s) for s in row['censored_sizes'])} left out "
                f"({never}: censored, not imputed)" if row["censored_sizes"] else "")
    ratio = row["quantity"] in scale.RATIOS
    if ratio:
        what = (f"{b}'s speed-up over {a} ({a}'s steps to the target over {b}'s)"
                if row["quantity"] == "speedup" else
                f"{b}'s effective speed-up over {a} ({a}'s steps over {b}'s to the final "
                f"value of the one that ends better; Wen et al.)")
        change = (f"{row['per_doubling']:.3g}x per doubling "
                  f"[{row['ci_low']:.3g}, {row['ci_high']:.3g}]")
    else:
        what = f"{b} - {a} ({row['unit']}, positive: {b} better)"
        change = (f"{row['per_doubling']:+.3g} per doubling "
                  f"[{row['ci_low']:+.3g}, {row['ci_high']:+.3g}]")
    if math.isnan(row["per_doubling"]):
        return (f"{what}: no trend, {len(set(sizes))} size(s) with a value (a trend needs 3)"
                f"{censored}")
    decided = "" if row["verdict"] == "undecided" else f", p adj. {row['p_adjusted']:.2g}"
    text = (f"{what} changes by {change} across {len(sizes)} sizes ({_size(min(sizes))} to "
            f"{_size(max(sizes))} parameters): {row['verdict']}{decided}{censored}")
    if not math.isnan(row["projected"]):
        unit = "x" if ratio else ""
        where = (f"{row['doublings_beyond']:.1f} doublings beyond the largest size run: an "
                 "extrapolation, trusting the line to hold" if row["doublings_beyond"] > 0
                 else "within the sizes run: read off the line")
        text += (f"; projected at {_size(row['project_to'])} ({where}): "
                 f"{row['projected']:.3g}{unit} [{row['projected_low']:.3g}, "
                 f"{row['projected_high']:.3g}] (95% prediction)")
    return text


def settings_text(row):
    """Where the pair was tuned at every size, the settings compared there: one line, or ""."""
    tuned = [p for p in row["points"] if p.get("settings")]
    if not tuned:
        return ""
    return ("each tuned at every size, the settings compared: " + "; ".join(
        f"{_size(p['size'])}: {registry.display_name(p['settings'][0])} against "
        f"{registry.display_name(p['settings'][1])}" for p in tuned))


def scale_markdown(rows, trend_margin=None):
    """The summary's section on the trends, or nothing where no series has sizes."""
    fitted = [r for r in rows if not math.isnan(r["per_doubling"])]
    if not rows:
        return []
    speed_margin = next((r["margin"] for r in rows if r["quantity"] == "speedup"), None)
    lines = ["", "## Across sizes: does the speed-up survive scale?", "",
             "Each pair's speed-up (A's steps to the target over B's, per size as above), "
             "its gain in the final metric (positive: B better), and its effective speed-up "
             "at the final value of the one that ends better (Wen et al.'s; A's steps over "
             "B's), each regressed on log2(size): the change per "
             "doubling of size with its 95% interval. Per size the seeds give a mean and its "
             "standard error; the line is fitted by least squares weighted by seeds, its "
             "interval from each size's own spread, or from the sizes' scatter about the line "
             "where that is larger than the seeds explain (random effects; each row says "
             "which). Verdicts: grows, shrinks, steady (the speed-up within "
             + (f"±{100 * speed_margin:.3g}%" if speed_margin is not None else
                "the trend margin")
             + " per doubling, the difference within the verdicts' margin per doubling) or "
             "undecided; Holm with Shaffer's refinement over every pair's two hypotheses, one "
             "family per quantity, on every seed as run. A censored size is left out, never "
             "imputed. A projection beyond the sizes run is an extrapolation: it holds only "
             "if the line does.", ""]
    for r in rows:
        lines.append(f"- {trend_text(r)}" + (f" ({r['method']})" if r["method"] else ""))
        chosen = settings_text(r)
        if chosen:
            lines.append(f"  - {chosen}")
    if not fitted:
        lines += ["", "No series has 3 sizes with values: no trend is fitted."]
    return lines


def _cell(value):
    if isinstance(value, tuple):
        return ";".join(f"{v:g}" for v in value)
    return value


def scale_csv(result):
    """plots/scale.csv: one row per pair and quantity (speedup, gain, effective_speedup)."""
    rows = [{k: _cell(r.get(k)) for k in scale.SCALE_COLUMNS} for r in result.scale]
    return results.csv_text(scale.SCALE_COLUMNS, rows)


def figure(rows, path):
    """scale.png: each pair's speed-up per size with its interval, the fitted line and,
    where asked, the projection's band; log2 size across."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    shown = [r for r in rows if r["quantity"] == "speedup" and r["points"]]
    if not shown:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, r in enumerate(shown):
        colour = f"C{i % 10}"
        x = np.log2([p["size"] for p in r["points"]])
        y = [p["value"] for p in r["points"]]
        err = [[p["value"] - p["low"] for p in r["points"]], [p["high"] - p["value"] for p in r["points"]]]
        label = f"{registry.display_name(r['b'])} over {registry.display_name(r['a'])}"
        ax.errorbar(x, y, yerr=err, fmt="o", color=colour, capsize=3,
                    label=f"{label}: {r['verdict']}")
        line = r.get("line")
        if line is not None:
            end = max(math.log2(r["project_to"]) if r["project_to"] else 0, x.max())
            grid = np.linspace(x.min(), end, 50)
            ax.plot(grid, np.exp(line.intercept + line.slope * grid), color=colour)
            if r["project_to"] and end > x.max():  # beyond the sizes run: the grey band
                ax.errorbar([end], [r["projected"]], yerr=[[r["projected"] - r["projected_low"]],
                            [r["projected_high"] - r["projected"]]], fmt="s", mfc="none",
                            color=colour, capsize=3)
                ax.axvspan(x.max(), end, color="0.6", alpha=0.25, zorder=0)
    ax.axhline(1.0, color="0.5", lw=0.8, ls="--")
    ax.set_yscale("log")
    from matplotlib.ticker import FormatStrFormatter
    for axis in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
        axis(FormatStrFormatter("%.2g"))  # 0.6, 1, 2: not 6 x 10^-1
    ax.set_xlabel("log2(parameters)")
    ax.set_ylabel("speed-up (A's steps / B's)")
    ax.set_title("The speed-up across sizes (grey: extrapolation)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
