"""plots/report.html: one page to read a grid, self-contained (no network, no CDN).

The answer first (the verdict across problems, a matrix of per-problem verdicts), then per
problem the interactive training curves, the tuning curves and learning-rate sensitivity
where there were trials, time-to-target as a performance profile, and a table of every
run. Plotly (its bundle from the ``plotly`` package, inlined) draws every chart; the
page's own script only hands it the data, and sorts and filters the table.

Security: every name a user chose (run, spec, dataset folder, class) reaches the page
escaped: HTML text and attributes by :func:`html.escape`, the chart data as JSON whose
``<``, ``>`` and ``&`` are written as ``\\u003c``-escapes, and the strings Plotly draws
(it reads a few tags, e.g. ``<b>``) escaped once more so they show as typed.
"""
import html
import json
import math
import os
import shlex
import urllib.parse
from collections import defaultdict

import numpy as np

from pyimagesearch import registry
from pyimagesearch.outputs import scale as trends, style, summary
from pyimagesearch.runs import results, runspec
from pyimagesearch.runs.readers import program
from pyimagesearch.runs.results import seed_band
from pyimagesearch.stats import analysis
from pyimagesearch.stats.measure import Measure, value as value_of

SERIES = ("accuracy", "val_accuracy", "loss", "val_loss")  # train and validation, per epoch
TUNING_NUMBERS = ("expected_best_val", "band_low", "band_high", "expected_test_at_selection")
DIGITS = 4  # significant digits of the numbers the charts get: the page stays small


def _esc(text):
    return html.escape(str(text), quote=True)


def _plotly_text(text):
    """A string for Plotly to draw: its pseudo-HTML tags escaped, shown as typed."""
    return html.escape(str(text), quote=False)


def _round(values):
    return [None if v is None or not math.isfinite(v) else float(f"{v:.{DIGITS}g}") for v in values]


def _json_for_script(data):
    """JSON safe inside a <script> element: no '</script>' or '<!--' can appear."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


PLOTLY_BUNDLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "vendor", "plotly-cartesian.min.js")


def plotly_js():
    """Plotly's cartesian partial bundle (1.5 MB; vendor/README.md): everything the page
    draws (lines, bars, a heatmap), a third of the full bundle's 4.8 MB."""
    with open(PLOTLY_BUNDLE, encoding="utf-8") as f:
        return f.read()


# ------------------------------------------------------------------ what the charts get

def curve_panels(histories):
    """The curves figure's panels, [(y title, [(series, dotted)])]: train.py's accuracy and
    loss per epoch (train dotted, validation solid); a program's own metric against its
    steps and the losses it logged (readers.program.figure_panels), never an accuracy it
    does not have."""
    if histories and results.is_program(histories[0]):
        return [(title, [(key, program.is_train_series(key)) for key in keys])
                for title, keys in program.figure_panels(histories)]
    return [("accuracy (solid: validation, dotted: train)",
             [("accuracy", True), ("val_accuracy", False)]),
            ("loss", [("loss", True), ("val_loss", False)])]


def curve_data(by_setting, shown=None, series=SERIES):
    """One problem's training curves: per optimizer setting, per series, the mean and
    sample std over seeds (epochs every seed has), and every seed's own curve; ``x``, the
    evaluation points (a --steps run's updates, a program's steps, else epochs 1, 2, ...),
    and ``shown``: whether the curve is drawn at first (``shown``: the settings to draw,
    e.g. each optimizer's tuned one; the others are a click on the legend away; None: all).
    A series a setting's seeds did not all log is left out of its entry."""
    out = []
    for setting, members in by_setting.items():
        first = members[0][1]
        x = next((first[k] for k in ("iterations", "step") if isinstance(first.get(k), list)),
                 None)
        entry = {"name": _plotly_text(registry.display_name(setting)), "mean": {}, "std": {},
                 "seeds": [], "x": _round(x) if x else None,
                 "shown": shown is None or setting in shown}
        kept = [key for key in series if all(isinstance(h.get(key), list) for _, h in members)]
        for key in kept:
            mean, std = seed_band([h for _, h in members], key)
            entry["mean"][key], entry["std"][key] = _round(mean), None if std is None else _round(std)
        if len(members) > 1:
            entry["seeds"] = [{"seed": "-" if seed is None else seed,
                               **{key: _round(h[key]) for key in kept}}
                              for seed, h in members]
        out.append(entry)
    return out


def performance_profile(rows):
    """Time-to-target as AlgoPerf plots it: per optimizer setting, the share of problems
    (where it ran) on which it reached the target within a factor tau of the fastest.
    A setting's time on a problem is AlgoPerf's: the median over its seeds, a seed that
    never reached the target counting as infinite (so more than half must reach it);
    seconds, or epochs where seconds were not recorded. Returns (taus, {setting: [share
    at each tau]}, "seconds" or "epochs"), or None when no setting reached a target."""
    def reached(row, key):
        value = row.get(key)
        return value is not None and math.isfinite(value) and bool(row.get("epochs_to_target"))
    use_seconds = all(reached(r, "seconds_to_target") for r in rows if r.get("epochs_to_target"))
    key = "seconds_to_target" if use_seconds else "epochs_to_target"
    runs = defaultdict(lambda: defaultdict(list))
    for row in rows:
        runs[results.problem(row)][row["optimizer"]].append(
            float(row[key]) if reached(row, key) else math.inf)
    ratios = defaultdict(list)
    for by_setting in runs.values():
        times = {setting: float(np.median(ts)) for setting, ts in by_setting.items()}
        fastest = min(times.values())
        for setting, t in times.items():
            ratios[setting].append(t / fastest if math.isfinite(fastest) and fastest > 0
                                   else (1.0 if t == fastest and math.isfinite(t) else math.inf))
    finite = [r for rs in ratios.values() for r in rs if math.isfinite(r)]
    if not finite:
        return None
    taus = sorted({1.0, *finite, max(finite) * 1.25})
    shares = {s: [sum(r <= tau for r in rs) / len(rs) for tau in taus] for s, rs in ratios.items()}
    return taus, shares, "seconds" if use_seconds else "epochs"


# ------------------------------------------------------------------ the page

def _count(n, what):
    return f"{n} {what}{'' if n == 1 else 's'}"


def _verdict_cell(row):
    if row is None:
        return '<td class="v-none">-</td>'
    mean = analysis.raw(row)[0]  # B - A in the metric's own direction
    digits = "+.2f" if row.get("unit", "accuracy points") == "accuracy points" else "+.3g"
    within = " (within margin)" if row.get("within_margin") and row["verdict"] != "equivalent" \
        else ""
    short = {"better": f"B better {mean:{digits}}{within}",
             "worse": f"B worse {mean:{digits}}{within}",
             "equivalent": f"equivalent {mean:{digits}}"}.get(
        row["verdict"], "undecided" if math.isnan(mean) else f"undecided {mean:{digits}}")
    return (f'<td class="v-{_esc(row["verdict"])}" data-verdict="{_esc(row["verdict"])}" '
            f'title="{_esc(row["text"])}">{_esc(short)}</td>')


def verdict_matrix(problem_rows, table_id="verdict-matrix"):
    """One coloured cell per pair and problem: problems as rows and pairs as columns, or,
    where the pairs outnumber the problems and would run off the page (15 pairs of six
    settings were one row of 15 columns), pairs as rows and problems as columns."""
    pairs = list(dict.fromkeys((r["a"], r["b"]) for r in problem_rows))
    problems = list(dict.fromkeys((r["dataset"], r["model"]) for r in problem_rows))
    cell = {(r["dataset"], r["model"], r["a"], r["b"]): r for r in problem_rows}
    name = registry.display_name

    def pair_label(a, b):
        return (f'<th title="B - A, A = {_esc(name(a))}, B = {_esc(name(b))}">'
                f"{_esc(name(b))}<br>vs {_esc(name(a))}</th>")
    if len(pairs) > max(6, len(problems)):
        head = "".join(f"<th>{_esc(model)} / {_esc(dataset)}</th>" for dataset, model in problems)
        body = "".join(f"<tr>{pair_label(a, b)}" + "".join(
            _verdict_cell(cell.get((dataset, model, a, b))) for dataset, model in problems)
            + "</tr>" for a, b in pairs)
        corner = "pair (B vs A)"
    else:
        head = "".join(pair_label(a, b) for a, b in pairs)
        body = "".join(
            f"<tr><th>{_esc(model)} / {_esc(dataset)}</th>"
            + "".join(_verdict_cell(cell.get((dataset, model, a, b))) for a, b in pairs) + "</tr>"
            for dataset, model in problems)
        corner = "problem"
    return (f'<div class="wide"><table id="{table_id}" class="matrix"><thead><tr>'
            f"<th>{corner}</th>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def markdown_html(lines):
    """The summary's own markdown (headings, paragraphs, pipe tables; ** for bold) as HTML,
    every text escaped: the page says what summary.md says, in the summary's words."""
    out, table = [], []

    def flush():
        if table:
            cells = [[c.strip() for c in row.strip().strip("|").split("|")] for row in table
                     if not set(row.replace("|", "").strip()) <= {"-", " "}]
            head, *body = cells
            out.append('<div class="wide"><table><thead><tr>'
                       + "".join(f"<th>{_esc(c)}</th>" for c in head) + "</tr></thead><tbody>"
                       + "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>"
                                 for row in body) + "</tbody></table></div>")
            table.clear()
    for line in lines:
        if line.startswith("|"):
            table.append(line)
            continue
        flush()
        text = line.strip()
        if text.startswith("#"):
            out.append(f"<h2>{_esc(text.lstrip('#').strip())}</h2>")
        elif text:
            out.append(f"<p>{_esc(text.replace('**', ''))}</p>")
    flush()
    return "".join(out)


def _files(row, plots):
    """Links to a run's files (history, report, log, TensorBoard folder) that exist."""
    links = []
    base = os.path.splitext(row["path"])[0]
    record_tb = row.get("tensorboard")
    for label, path in (("history", base + ".pickle"), ("report", base + ".txt"),
                        ("log", base + ".log"), ("TensorBoard", record_tb)):
        if path and os.path.exists(path):
            href = urllib.parse.quote(os.path.relpath(path, plots).replace(os.sep, "/"))
            links.append(f'<a href="{_esc(href)}">{label}</a>')
    return " ".join(links)


def _spec_text(history):
    """What a run was: train.py's arguments, or the command a program's run ran."""
    record = runspec.from_history(history)
    if not record:
        return ""
    if record.get("kind") == "program":
        return shlex.join(record.get("command") or [])
    try:
        return " ".join(runspec.RunSpec.from_record(record).to_argv())
    except TypeError:
        return ""


def runs_table(rows, histories, plots, measure=None):
    measure = measure or Measure()
    programs = any(r.get("program") for r in rows)
    headers = ["run", "dataset", "model", "optimizer", "seed",
               "test acc." if measure.name == "test_accuracy" else measure.name, "status",
               "wall s", "command" if programs else "run spec (train.py arguments)", "files"]
    body = []
    for row, history in zip(rows, histories):
        value = value_of(row, measure)
        cells = [row.get("run", ""), row["dataset"], results.problem(row)[1],
                 registry.display_name(row["optimizer"]), "" if row["seed"] is None else row["seed"],
                 "" if math.isnan(value) else f"{value:.4g}" if not measure.accuracy
                 else f"{value:.4f}", row.get("status", "ok"),
                 "" if math.isnan(row["wall_seconds"]) else f"{row['wall_seconds']:.0f}",
                 _spec_text(history)]
        body.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells)
                    + f"<td>{_files(row, plots)}</td></tr>")
    head = "".join(f'<th data-column="{i}" title="click to sort">{_esc(h)}</th>'
                   for i, h in enumerate(headers))
    return (f'<input id="run-filter" type="search" placeholder="filter runs: any text, e.g. '
            f'adam or fashion_mnist" size="50"> <span id="run-count">{len(rows)} runs</span>'
            f'<table id="runs" class="runs"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def speed_table(speed_rows):
    """The speed-ups (speed.speedups' rows) as a table, each row's sentence on hover."""
    if not speed_rows:
        return ""
    def number(value, spec=".2f"):
        return "" if math.isnan(value) else format(value, spec)
    head = "".join(f"<th>{h}</th>" for h in ("problem", "A", "B", "target", "B/A steps",
                                            "95% CI", "n", "censored", "verdict"))
    body = []
    for r in speed_rows:
        ci = "" if math.isnan(r["steps_ratio_low"]) else \
            f"[{number(r['steps_ratio_low'])}, {number(r['steps_ratio_high'])}]"
        cells = [f"{r['model']} / {r['dataset']}", registry.display_name(r["a"]),
                 registry.display_name(r["b"]), number(r["target"], ".4g"),
                 number(r["steps_ratio"]),
                 ci, str(r["n"]), str(r["censored"]), r["verdict"]]
        body.append(f'<tr title="{_esc(r["text"])}">' + "".join(f"<td>{_esc(c)}</td>" for c in cells)
                    + "</tr>")
    return (f'<h3>Speed-up: steps to the target</h3><table class="speedups"><thead><tr>{head}'
            f'</tr></thead><tbody>{"".join(body)}</tbody></table>')


def page(rows, histories, groups, table, measure, design, plots, title="Report", curves=None,
         sensitivity=None, tuned_table=None, speed_rows=None, left_out=(), scale_rows=()):
    """The report's HTML text. ``table``: summary.verdict_table's (problem rows, overall
    rows); ``groups``: {(dataset, model, batch): {setting: [history, ...]}}; ``curves``,
    ``sensitivity``: analysis.tuning_curves and analysis.sensitivity rows; ``plots``: the
    folder the page goes to (links to the figures and run files are relative to it);
    ``tuned_table``: verdict_table of analysis.tuned_rows, when the caller has it already."""
    if not isinstance(measure, Measure):  # a margin in accuracy points
        measure = Measure(margin=measure)
    margin = measure.points_margin  # the learning-rate sensitivity's, in accuracy points
    figures = []
    figure = _figure_maker(figures)
    sections = _problem_sections(rows, histories, groups, curves, sensitivity, margin, figure)
    profile_html = _profile_html(rows, figure) + _scale_html(scale_rows, figure)
    headline, matrix, rule, tuned = _answer_html(rows, table, measure, design, tuned_table,
                                                 speed_rows, left_out)
    counts = ", ".join((_count(len(rows), "run"),
                        _count(len({results.problem(r) for r in rows}), "problem"),
                        _count(len({r["optimizer"] for r in rows}), "optimizer setting")))
    return TEMPLATE.format(
        title=_esc(title), counts=_esc(counts), headline=headline or (
            "<p>One optimizer per problem, at several settings: no two optimizers to compare; "
            "its settings are compared below.</p>" if tuned else
            "<p>No pair of optimizers was run on the same problem: nothing to compare.</p>"),
        matrix=matrix, rule=_esc(rule),
        sections="".join(sections) + markdown_html(summary.budget_markdown(rows, margin, design)),
        profile=profile_html,
        runs=runs_table(rows, histories, plots, measure), plotly=plotly_js(),
        data=_json_for_script({"figures": figures, "palette": style.PALETTE,
                               "markers": [m[1] for m in style.MARKERS]}),
        script=SCRIPT, style=STYLE)



def _figure_maker(figures):
    """figure(kind, data, png, title) -> the page's element for one figure, its data
    appended to ``figures`` (drawn by the page's script; the PNG without JavaScript)."""
    def figure(kind, data, png=None, title=""):
        figure_id = f"figure-{len(figures)}"
        figures.append({"id": figure_id, "kind": kind, "title": _plotly_text(title), **data})
        fallback = (f'<noscript><img src="{_esc(urllib.parse.quote(png))}" alt="{_esc(title)}">'
                    "</noscript>") if png else ""
        return f'<div class="figure" id="{figure_id}" data-kind="{kind}"></div>{fallback}'
    return figure


def _problem_sections(rows, histories, groups, curves, sensitivity, margin, figure):
    """Per problem: its classes, its curves, and where tuned its tuning and sensitivity
    figures."""
    labels = defaultdict(set)
    seeds_of = {}
    for row, history in zip(rows, histories):
        record = history.get("run") if isinstance(history.get("run"), dict) else {}
        labels[results.problem(row)].update(str(label) for label in record.get("labels") or [])
        seeds_of[id(history)] = row["seed"]
    sections = []
    # per problem where some optimizer was tuned: each optimizer's chosen setting
    selection = analysis.tuned_selection(rows)
    tuned_on = {(s["dataset"], s["model"]) for s in selection if s["budget"] > 1}
    tuned_settings = defaultdict(set)
    for s in selection:
        if (s["dataset"], s["model"]) in tuned_on:
            tuned_settings[(s["dataset"], s["model"])].add(s["chosen"])
    by_problem_curves = defaultdict(list)
    for row in curves or []:
        by_problem_curves[(row["dataset"], row["model"])].append(row)
    by_problem_flat = defaultdict(list)
    for s in sensitivity or []:
        by_problem_flat[(s["dataset"], s["model"])].append(s)
    for (dataset, model, batch), by_setting in groups.items():
        key = (dataset, model if batch is None else f"{model} (batch {batch})")
        stem = results.figure_stem(dataset, model, batch)
        members = {s: [(seeds_of.get(id(h)), h) for h in hs] for s, hs in by_setting.items()}
        names = sorted(labels[key])
        chosen = tuned_settings.get(key)  # with settings of a tuning: the tuned ones first
        panels = curve_panels([h for hs in by_setting.values() for h in hs])
        own = results.is_program(next(iter(by_setting.values()))[0])
        steps = batch is not None or own
        parts = [f'<section class="problem"><h2>{_esc(key[1])} on {_esc(dataset)}</h2>',
                 f'<p class="classes">{len(names)} classes: {_esc(", ".join(names[:30]))}'
                 f"{' ...' if len(names) > 30 else ''}</p>" if names else "",
                 figure("curves", {
                     "settings": curve_data(members, chosen,
                                            [k for _, keys in panels for k, _ in keys]),
                     "panels": [[_plotly_text(title), [[k, _plotly_text(k), dotted]
                                                        for k, dotted in keys]]
                                for title, keys in panels],
                     "x_title": "step" if steps else "epoch"},
                        f"{stem}.png", f"{key[1]} on {dataset}: "
                        + (" and ".join(title for title, _ in panels) if own
                           else "accuracy and loss") + " per "
                        + ("evaluation point" if steps else "epoch")
                        + (" (each optimizer's tuned setting; the others in the legend)"
                           if chosen else ""))]
        if key in by_problem_curves:
            parts.append(figure("tuning", {"rows": [
                {**dict(zip(TUNING_NUMBERS, _round([r[k] for k in TUNING_NUMBERS]))),
                 "budget": r["budget"],
                 "optimizer": _plotly_text(registry.display_name(r["optimizer"]))}
                for r in by_problem_curves[key]]}, f"tuning_{stem}.png",
                f"{key[1]} on {dataset}: expected best of b trials (band: 95% bootstrap)"))
        if key in by_problem_flat:
            parts.append(figure("sensitivity", {"margin": margin, "entries": [
                {"optimizer": _plotly_text(registry.display_name(s["optimizer"])),
                 "rates": s["rates"], "mean": _round(s["val_mean"]), "std": _round(s["val_std"]),
                 "width": summary.width_text(s)} for s in by_problem_flat[key]]},
                f"sensitivity_{stem}.png", f"{key[1]} on {dataset}: final validation accuracy "
                "against learning rate"))
        sections.append("".join(parts) + "</section>")
    return sections


def _profile_html(rows, figure):
    """The performance profile across problems, or nothing."""
    profile = performance_profile(rows)
    profile_html = ""
    if profile:
        taus, shares, unit = profile
        profile_html = ("<h2>Time to target across problems</h2><p>A performance profile: "
                        f"for each optimizer, the share of problems on which it reached "
                        f"{summary.TARGET_FRACTION:.0%} of the best validation accuracy within "
                        f"a factor tau of the fastest ({unit} to target, the median over seeds, "
                        "a seed that never reached it counting as never).</p>"
                        + figure("profile", {"taus": _round(taus), "shares": {
                            _plotly_text(registry.display_name(s)): v
                            for s, v in shares.items()}}))
    return profile_html


def _scale_html(scale_rows, figure):
    """The trends across sizes: the summary's section, and each pair's speed-up per size
    with its interval, the fitted line and the projection (drawn in grey beyond the sizes
    run), or nothing."""
    if not scale_rows:
        return ""
    shown = []
    for r in scale_rows:
        if r["quantity"] != "speedup" or not r["points"]:
            continue
        x = [math.log2(p["size"]) for p in r["points"]]
        entry = {"name": _plotly_text(f"{registry.display_name(r['b'])} over "
                                      f"{registry.display_name(r['a'])}: {r['verdict']}"),
                 "x": _round(x), "y": _round([p["value"] for p in r["points"]]),
                 "low": _round([p["low"] for p in r["points"]]),
                 "high": _round([p["high"] for p in r["points"]]), "line": None,
                 "projection": None}
        line = r.get("line")
        if line is not None:
            end = max(math.log2(r["project_to"]) if r["project_to"] else 0, max(x))
            grid = list(np.linspace(min(x), end, 30))
            entry["line"] = {"x": _round(grid), "y": _round(
                [math.exp(line.intercept + line.slope * g) for g in grid])}
            if r["project_to"] and end > max(x):  # beyond the sizes run: the grey band
                entry["projection"] = {"x": _round([max(x), end]), "y": _round(
                    [r["projected"]]), "low": _round([r["projected_low"]]),
                    "high": _round([r["projected_high"]])}
        shown.append(entry)
    html_text = markdown_html(trends.scale_markdown(list(scale_rows)))
    if shown:
        html_text += figure("scale", {"pairs": shown}, "scale.png",
                            "The speed-up across sizes (interval: 95% over seeds; grey: "
                            "extrapolation)")
    return html_text


def _answer_html(rows, table, measure, design, tuned_table, speed_rows, left_out):
    """(the answer, the verdict matrix with what goes beside it, the rule sentence,
    whether the grid was tuned)."""
    problem_rows, overall = table
    margin = measure.points_margin
    design = analysis.design_for(rows, design)  # the folder's one design, for every verdict
    rule = summary.rule_sentence(measure, design, problem_rows) if problem_rows else ""
    matrix = verdict_matrix(problem_rows) if problem_rows else ""
    tuned, tuned_problems = analysis.tuned_rows(rows), []
    if tuned:  # settings of one optimizer are not rivals: the answer compares tuned optimizers
        tuned_problems, overall = tuned_table or summary.verdict_table(tuned, margin, design,
                                                                       measure)
        rule = summary.rule_sentence(measure, design, tuned_problems) if tuned_problems else ""
        matrix = ("<p>Each optimizer at its tuned setting: the one with the best mean "
                  "final-epoch validation accuracy over seeds among its settings on that "
                  "problem (a family of verdicts of its own; hover a cell for the numbers; the "
                  "summary's \"Tuned verdict\" names the settings).</p>"
                  + (verdict_matrix(tuned_problems) if tuned_problems else "")
                  + f"<details><summary>Every setting against every other "
                  f"({len(problem_rows)} comparisons)</summary>"
                  f"{verdict_matrix(problem_rows, 'verdict-matrix-settings')}</details>")
    if measure.race and problem_rows:  # who left at which look, by how much; the survivors
        items = "".join(
            f'<li class="answer">Race: {_esc(summary.race_answer(standing, measure))}.</li>'
            + "".join(f'<li class="left">{_esc(line)}</li>'
                      for line in summary.race_details(standing, measure))
            for standing in analysis.race_standings(problem_rows))
        matrix = f'<h3>The race</h3><ul class="race">{items}</ul>' + matrix
    first = analysis.headline(overall)  # the study's question (RAdam vs Adam) when it was asked
    answer = summary.answer_sentence(tuned_problems if tuned else problem_rows, overall, measure) \
        if first else ""
    headline = ((f'<p class="answer" id="answer">{_esc(answer)}</p>' if answer else "")
                + (f'<p class="overall">{_esc(first["text"])}</p>' if first else ""))
    caveats = summary.tuning_caveats(rows) if tuned else []
    matrix += "".join(f'<p class="caveat">{_esc(c.replace("**", ""))}</p>' for c in caveats)
    others = "".join(f"<li>{_esc(r['text'])}</li>" for r in overall if r is not first)
    if others:  # every other pair across problems: folded away when there are many
        listed = f'<ul class="pairs">{others}</ul>'
        matrix += listed if len(overall) <= 4 else (
            f"<details><summary>Every other pair across problems ({len(overall) - 1})</summary>"
            f"{listed}</details>")
    matrix += speed_table(speed_rows or [])  # beside the verdicts: how fast B reaches A's result
    if left_out:  # the runs no verdict reads, each named with why
        matrix += ('<h3>Runs left out</h3><ul class="left-out">' + "".join(
            f"<li>{_esc(run)}: {_esc(why)}</li>" for run, why in left_out) + "</ul>")
    return headline, matrix, rule, tuned


STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th[data-column] { cursor: pointer; background: #f3f3f3; }
.matrix td { text-align: center; }
.v-better { background: #b7e4b7; } .v-worse { background: #f4b6b6; }
.v-equivalent { background: #b9d3f0; } .v-undecided { background: #eee; color: #555; }
.figure { width: 100%; max-width: 1100px; height: 420px; }
.figure[data-kind="curves"] { height: auto; min-height: 420px; }
section.problem { margin-top: 2em; border-top: 1px solid #ddd; }
.overall { font-weight: 600; }
.answer { font-size: 1.35em; font-weight: 700; margin: 0.4em 0 0.8em; }
.caveat { border-left: 4px solid #d9822b; padding-left: 0.6em; }
.wide { max-width: 100%; overflow-x: auto; }
.runs td:nth-child(9) { font-family: monospace; font-size: 0.9em; }
"""

# The page's own script: the data to Plotly (which draws everything), the run table's
# sorting and filtering. No chart is drawn by hand here.
SCRIPT = r"""
const DATA = JSON.parse(document.getElementById("report-data").textContent);
const COLORS = DATA.palette, MARKERS = DATA.markers;  // the PNGs' too (pyimagesearch/style.py)
const epochs = (ys) => ys.map((_, i) => i + 1);
function band(ys, sd, axes, color, group, xs) {
  const x = xs || epochs(ys);
  return {x: x.concat(x.slice().reverse()),
          y: ys.map((v, i) => v + sd[i]).concat(ys.map((v, i) => v - sd[i]).reverse()),
          fill: "toself", fillcolor: color, opacity: 0.2, line: {width: 0}, hoverinfo: "skip",
          mode: "lines",
          showlegend: false, legendgroup: group, xaxis: axes[0], yaxis: axes[1], type: "scatter"};
}
const BUILD = {
  curves(f) {
    // panels: [y title, [[series, its label, dotted (a training series)], ...]], top to bottom
    const axes = (p) => p === 0 ? ["x", "y"] : [`x${p + 1}`, `y${p + 1}`];
    const traces = [];
    let longest = 1;
    f.settings.forEach((s, k) => {
      const color = COLORS[k % COLORS.length], symbol = MARKERS[k % MARKERS.length];
      const xs = (ys) => s.x || epochs(ys), shown = s.shown ? true : "legendonly";
      let first = true;  // one legend entry per setting
      f.panels.forEach(([, series], p) => series.forEach(([key, label, dotted]) => {
        if (!(key in s.mean)) return;
        longest = Math.max(longest, s.mean[key].length);
        if (s.std[key]) traces.push({...band(s.mean[key], s.std[key], axes(p), color, s.name, s.x),
                                     visible: shown});
        // a marker of its own on every curve: two settings that overlap still show both
        traces.push({y: s.mean[key], x: xs(s.mean[key]), name: s.name, legendgroup: s.name,
                     showlegend: first, mode: "lines+markers", type: "scatter", visible: shown,
                     marker: {symbol: symbol, size: 6, color: color},
                     line: {color: color, dash: dotted ? "dot" : "solid"}, xaxis: axes(p)[0],
                     yaxis: axes(p)[1], hovertemplate: `${s.name}<br>${label}, ${f.x_title} %{x}: %{y}<extra>` +
                     (s.seeds.length ? `mean of ${s.seeds.length} seeds` : "") + "</extra>"});
        first = false;
      }));
      // every seed's own curves: one legend entry per setting, not one per seed
      s.seeds.forEach((seed, i) => {
        let firstSeed = i === 0;
        f.panels.forEach(([, series], p) => series.forEach(([key, label, dotted]) => {
          if (!(key in seed)) return;
          traces.push({
            y: seed[key], x: xs(seed[key]), name: `${s.name} · its ${s.seeds.length} seeds`,
            legendgroup: `${s.name} seeds`, showlegend: firstSeed, visible: "legendonly",
            mode: "lines", type: "scatter", line: {color: color, width: 1,
            dash: dotted ? "dot" : "solid"}, xaxis: axes(p)[0], yaxis: axes(p)[1],
            hovertemplate: `${s.name}, seed ${seed.seed}<br>${label}, ${f.x_title} %{x}: %{y}<extra></extra>`});
          firstSeed = false;
        }));
      });
    });
    // whole epochs only (ticks at 1.5 and 2.5 meant nothing)
    const ticks = f.x_title === "epoch" ? {tick0: 1, dtick: Math.max(1, Math.ceil(longest / 10))} : {};
    const layout = {};
    const width = 1 / f.panels.length;
    f.panels.forEach(([title], p) => {
      const suffix = p === 0 ? "" : String(p + 1);
      layout[`xaxis${suffix}`] = {domain: [p * width + (p ? 0.05 : 0), (p + 1) * width - (p + 1 < f.panels.length ? 0.05 : 0)],
                                  title: {text: f.x_title}, ...ticks};
      layout[`yaxis${suffix}`] = {title: {text: title}, ...(p ? {anchor: `x${suffix}`} : {})};
    });
    return [traces, layout];
  },
  tuning(f) {
    const by = {};
    f.rows.forEach((r) => (by[r.optimizer] = by[r.optimizer] || []).push(r));
    const traces = [];
    Object.entries(by).forEach(([name, rs], k) => {
      const color = COLORS[k % COLORS.length], b = rs.map((r) => r.budget);
      traces.push({x: b.concat(b.slice().reverse()), y: rs.map((r) => r.band_high).concat(
                     rs.map((r) => r.band_low).reverse()), fill: "toself", fillcolor: color,
                   opacity: 0.2, line: {width: 0}, hoverinfo: "skip", showlegend: false,
                   legendgroup: name, mode: "lines", type: "scatter"});
      traces.push({x: b, y: rs.map((r) => r.expected_best_val), name: `${name}: best validation`,
                   legendgroup: name, mode: "lines+markers", line: {color: color}, type: "scatter"});
      traces.push({x: b, y: rs.map((r) => r.expected_test_at_selection),
                   name: `${name}: test at selection`, legendgroup: name, mode: "lines",
                   line: {color: color, dash: "dash"}, type: "scatter"});
    });
    return [traces, {xaxis: {title: {text: "tuning budget (trials)"}, dtick: 1},
                     yaxis: {title: {text: "expected accuracy"}}}];
  },
  sensitivity(f) {
    const traces = f.entries.map((e, k) => {
      const order = e.rates.map((_, i) => i).sort((a, b) => e.rates[a] - e.rates[b]);
      return {x: order.map((i) => e.rates[i]), y: order.map((i) => e.mean[i]),
              error_y: {type: "data", array: order.map((i) => e.std[i] || 0), visible: true},
              name: `${e.optimizer} (within ${f.margin} pt: ${e.width} decades)`,
              mode: "lines+markers", line: {color: COLORS[k % COLORS.length]}, type: "scatter"};
    });
    return [traces, {xaxis: {type: "log", title: {text: "learning rate"}},
                     yaxis: {title: {text: "final validation accuracy (mean ± std over seeds)"}}}];
  },
  scale(f) {
    const traces = [], shapes = [];
    f.pairs.forEach((p, k) => {
      const color = COLORS[k % COLORS.length];
      traces.push({x: p.x, y: p.y, name: p.name, legendgroup: p.name, mode: "markers",
                   type: "scatter", marker: {color: color, size: 8},
                   error_y: {type: "data", symmetric: false, visible: true,
                             array: p.high.map((h, i) => h - p.y[i]),
                             arrayminus: p.low.map((l, i) => p.y[i] - l)}});
      if (p.line) traces.push({x: p.line.x, y: p.line.y, mode: "lines", type: "scatter",
                               line: {color: color}, legendgroup: p.name, showlegend: false,
                               hoverinfo: "skip"});
      if (p.projection) {
        const j = p.projection;
        traces.push({x: [j.x[1]], y: j.y, mode: "markers", type: "scatter", showlegend: false,
                     legendgroup: p.name, marker: {color: color, symbol: "square-open", size: 9},
                     error_y: {type: "data", symmetric: false, visible: true,
                               array: [j.high[0] - j.y[0]], arrayminus: [j.y[0] - j.low[0]]}});
        shapes.push({type: "rect", xref: "x", yref: "paper", x0: j.x[0], x1: j.x[1], y0: 0,
                     y1: 1, fillcolor: "#888", opacity: 0.12, line: {width: 0}, layer: "below"});
      }
    });
    shapes.push({type: "line", xref: "paper", x0: 0, x1: 1, y0: 1, y1: 1,
                 line: {color: "#888", dash: "dash", width: 1}});
    return [traces, {shapes: shapes, xaxis: {title: {text: "log2(parameters)"}},
                     yaxis: {type: "log", title: {text: "speed-up (A's steps / B's)"}}}];
  },
  profile(f) {
    return [Object.entries(f.shares).map(([name, ys]) => ({x: f.taus, y: ys, name: name,
              mode: "lines", line: {shape: "hv"}, type: "scatter"})),
            {xaxis: {type: "log", title: {text: "tau (times the fastest)"}},
             yaxis: {title: {text: "share of problems"}, range: [0, 1.05]}}];
  },
};
for (const f of DATA.figures) {
  const [traces, layout] = BUILD[f.kind](f);
  layout.title = {text: f.title, font: {size: 14}};
  layout.margin = {t: 40};
  layout.legend = {font: {size: 10}};
  if (f.kind === "curves") {  // below the panels, in rows: never a scroll box
    layout.legend = {font: {size: 10}, orientation: "h", yanchor: "top", y: -0.18};
    layout.height = 440 + 22 * Math.ceil(2 * f.settings.length / 4);
  }
  Plotly.newPlot(f.id, traces, layout, {responsive: true, displaylogo: false});
}
// the run table: click a header to sort, type to filter
const runs = document.getElementById("runs");
const rowsOf = () => Array.from(runs.tBodies[0].rows);
document.getElementById("run-filter").addEventListener("input", (event) => {
  const words = event.target.value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  rowsOf().forEach((row) => {
    const text = row.textContent.toLowerCase();
    row.hidden = !words.every((w) => text.includes(w));
    shown += row.hidden ? 0 : 1;
  });
  document.getElementById("run-count").textContent = `${shown} of ${rowsOf().length} runs`;
});
runs.tHead.addEventListener("click", (event) => {
  const th = event.target.closest("th");
  if (!th) return;
  const column = Number(th.dataset.column), up = th.dataset.order !== "up";
  th.dataset.order = up ? "up" : "down";
  const key = (row) => row.cells[column].textContent;
  const sorted = rowsOf().sort((a, b) => {
    const x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
    const order = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
    return up ? order : -order;
  });
  sorted.forEach((row) => runs.tBodies[0].appendChild(row));
});
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src 'self' data:; font-src data:">
<title>{title}</title><style>{style}</style></head><body>
<h1>{title}</h1><p>{counts}</p>
<h2>The answer</h2>{headline}{matrix}<p class="rule">{rule}</p>
{sections}
{profile}
<h2>Every run</h2>{runs}
<script>{plotly}</script>
<script type="application/json" id="report-data">{data}</script>
<script>{script}</script>
</body></html>
"""
