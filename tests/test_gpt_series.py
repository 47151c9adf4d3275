"""train.py's language model at several widths is a series over sizes: its shape is part of
its name (``gpt(width=64)``), each width a problem of its own, each optimizer tuned at every
width, and the trend of the tuned pair's speed-up read across the widths."""
import math
import pickle
import shlex
import shutil

import numpy as np
import pytest

from conftest import run_script, train_lines
from pyimagesearch import api, grid, registry
from pyimagesearch.commands import plot
from pyimagesearch.launch import next_round
from pyimagesearch.runs import results, runspec
from pyimagesearch.stats import analysis

TINY = ["--steps", "40", "--batch-size", "4"]
SHAPE = "gpt(layers=1, width=16, heads=2, context=16)"


def train(folder, name, *argv):
    import train as train_script
    code = train_script.main(["--history", str(folder / f"{name}.pickle"),
                              "--report", str(folder / f"{name}.txt"), *argv])
    assert code == 0
    return folder / f"{name}.pickle"


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """One real tiny run of the language model, its shape given in its name."""
    folder = tmp_path_factory.mktemp("real")
    path = train(folder, "tiny", "--dataset", "text", "--model", SHAPE, "--optimizer", "adamw",
                 "--seed", "0", *TINY)
    return folder, path


def test_a_shape_is_part_of_the_model_name():
    assert registry.canonical_model("gpt(heads=8, width=256)") == "gpt(width=256, heads=8)"
    assert registry.canonical_model("gpt(width=128)") == "gpt"  # the default shape
    assert registry.canonical_model("resnet") == "resnet"
    assert registry.shaped_model("gpt", {"width": 64, "layers": None}) == "gpt(width=64)"
    widths = ["gpt(width=256)", "gpt", "resnet", "gpt(width=32)"]
    assert sorted(widths, key=lambda m: registry.order(registry.MODELS, m)) == \
        ["resnet", "gpt(width=32)", "gpt", "gpt(width=256)"]
    # a grid names its runs as their records will: the shape in the registry's order
    run = grid.runs(["text"], ["gpt(heads=2, width=16)"], ["adamw"])[0]
    assert run.model == "gpt(width=16, heads=2)"


@pytest.mark.parametrize("model, extra, message", [
    ("gpt(depth=2)", [], "gpt has no 'depth' (its shape: layers, width, heads, context)"),
    ("gpt(width=30, heads=4)", [], "width 30 is not divisible by heads 4"),
    ("gpt(width=2.5)", [], "width must be a positive whole number"),
    ("minivggnet(width=3)", [], "minivggnet takes no arguments"),
    ("gpt(width=64)", ["--width", "32"], "--model gpt(width=64) and --width 32: give the width once"),
])
def test_a_bad_shape_is_one_line_before_any_work(tmp_path, model, extra, message):
    result = run_script("train.py", "--history", str(tmp_path / "h.pickle"), "--report",
                        str(tmp_path / "r.txt"), "--dataset", "text", "--model", model, *extra,
                        timeout=300)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "h.pickle").exists()


def test_a_shaped_run_is_read_back_under_its_shape_and_reruns_keep_the_name(real_run):
    folder, path = real_run
    record = runspec.from_history(results.load_history(str(path)))
    assert (record["model"], record["width"], record["layers"]) == ("gpt", 16, 1)
    assert record["model_label"] == "gpt-context=16-heads=2-layers=1-width=16"
    rows, _, _ = results.load_rows(str(folder))
    assert [r["model"] for r in rows] == [SHAPE]
    assert rows[0]["n_params"] == record["n_params"] > 0
    # decide.py's next seed of it is named as its record will read back
    run, line = next_round.train_line(runspec.RunSpec.from_record(record, seed=1), str(folder))
    assert run == grid.from_record({**record, "seed": 1}) and run.model == SHAPE
    assert "--width 16" in line and "--layers 1" in line
    # and train.py takes it: no image flag (--epochs, --augment) it refuses for a language model
    import train as train_script
    words = shlex.split(line)
    args = train_script.parse_args(words[words.index("--history"):])
    assert (args.seed, args.width, args.steps) == (1, 16, 40)


def test_the_lm_scale_preset_writes_a_series_tuned_alike(tmp_path):
    result = run_script("combinations.py", "--preset", "lm-scale", "--output",
                        str(tmp_path / "out"), "--script", str(tmp_path / "s.sh"))
    assert result.returncode == 0, result.stderr
    lines = train_lines(open(tmp_path / "s.sh").read())
    assert len(lines) == 3 * 2 * 5
    for model in ("'gpt(width=32)'", "'gpt(width=64)'", "gpt "):
        assert sum(f"--model {model}" in line for line in lines) == 10
    # a ladder of rates 2x apart for each optimizer, marked as its tuning
    assert sum("--setting-of muon" in line for line in lines) == 15
    assert "adamw(learning_rate=0.00025)" in lines[0]


# ---------------------------------------------------------------- a series with a known trend

SIZES = {16: 2 ** 14, 32: 2 ** 15, 64: 2 ** 16, 128: 2 ** 17}
SEEDS = range(4)
STEPS = np.arange(4.0, 401.0, 4.0)  # 100 evaluation points
ADAMW = (0.001, 0.002, 0.004)
MUON = (0.01, 0.02, 0.04)


def muon_best(width):
    return 0.04 if width == 16 else 0.02  # at the narrowest, the highest rate tried


def clone(real, folder, width, optimizer, rate, seed):
    """The real run's history with a designed curve: val_loss = 1.5 + offset + 1.5 / (1 +
    t / tau). AdamW's tau is 40 steps; Muon's is shorter by 2.5 x 0.8 per doubling of size
    (B's speed-up 2.5, 2.0, 1.6, 1.28 over the four widths); a rate other than the
    optimizer's best is worse (offset 0.05) and slower; 3% noise in tau per seed."""
    history = pickle.loads(pickle.dumps(real))
    doublings = int(math.log2(SIZES[width] / 2 ** 14))
    best = rate == (0.002 if optimizer == "adamw" else muon_best(width))
    speedup = 1.0 if optimizer == "adamw" else 2.5 * 0.8 ** doublings
    rng = np.random.default_rng([width, seed, int(rate * 1e5), optimizer == "muon"])
    tau = 40.0 / speedup * (1.0 if best else 1.5) * math.exp(rng.normal(0, 0.03))
    val = 1.5 + (0.0 if best else 0.05) + 1.5 / (1 + STEPS / tau)
    n = len(history["iterations"])
    for key, values in list(history.items()):  # every per-evaluation curve, resampled
        if isinstance(values, list) and len(values) == n:
            history[key] = list(np.interp(np.linspace(0, n - 1, len(STEPS)), np.arange(n),
                                          values))
    history.update(iterations=list(STEPS), val_loss=list(val))
    spec = f"{optimizer}(learning_rate={rate})"
    history["run"] = dict(history["run"], optimizer=spec, seed=seed, width=width, layers=None,
                          heads=None, context=None, setting_of=optimizer, n_params=SIZES[width],
                          optimizer_label=registry.label(spec))
    run = grid.from_record(history["run"])
    target, report = grid.outputs(run, str(folder))
    with open(target, "wb") as f:
        pickle.dump(history, f)
    shutil.copy(real_report(folder), report)


def real_report(folder):
    return folder.parent / "real_report.txt"


@pytest.fixture(scope="module")
def series_folder(real_run, tmp_path_factory):
    _, path = real_run
    real = results.load_history(str(path))
    folder = tmp_path_factory.mktemp("series") / "output"
    folder.mkdir()
    shutil.copy(str(path).replace(".pickle", ".txt"), real_report(folder))
    for width in SIZES:
        for optimizer, rates in (("adamw", ADAMW), ("muon", MUON)):
            for rate in rates:
                for seed in SEEDS:
                    clone(real, folder, width, optimizer, rate, seed)
    return folder


def test_widths_form_a_series_whose_tuned_speedup_shrinks(series_folder):
    result = api.compare(api.load_runs(str(series_folder)), metric="val_loss", margin="0.02")
    models = {r["model"] for r in result.rows}
    assert models == {"gpt(width=16)", "gpt(width=32)", "gpt(width=64)", "gpt"}
    assert not any("[" in r["optimizer"] for r in result.rows)  # no width read as a variant
    # the trend is the tuned pair's, each optimizer at its setting selected at each width
    trend = {(r["a"], r["b"], r["quantity"]): r for r in result.scale}
    muon = trend[("adamw", "muon", "speedup")]
    assert muon["sizes"] == tuple(SIZES.values())
    assert muon["verdict"] == "shrinks"
    assert muon["ci_low"] <= 0.8 <= muon["ci_high"]
    chosen = [p["settings"] for p in muon["points"]]
    assert chosen == [("adamw(learning_rate=0.002)", f"muon(learning_rate={muon_best(w)})")
                      for w in SIZES]
    # tuned on the language model's own objective, its validation loss
    adamw = next(s for s in analysis.tuned_selection(list(result.rows))
                 if s["optimizer"] == "adamw" and s["model"] == "gpt (batch 4)")
    assert adamw["selected_on"] == "validation loss"
    assert adamw["val_value"] == pytest.approx(
        np.mean([r["final_val_loss"] for r in result.rows
                 if r["model"] == "gpt" and r["optimizer"] == "adamw(learning_rate=0.002)"]))


def test_the_summary_says_where_a_tuned_rate_is_at_the_edge_of_its_range(series_folder):
    plots = series_folder.parent / "plots"
    assert plot.main(["-i", str(series_folder), "-p", str(plots), "--metric", "val_loss",
                      "--margin", "0.02"]) in (0, None)
    summary = (plots / "summary.md").read_text()
    assert ("**Muon on text / gpt(width=16) (batch 4): its best rate (0.04) is the highest tried**"
            in summary)
    assert summary.count("is the highest tried") == 1 and "is the lowest tried" not in summary
    assert "best val. loss" in summary and "the text's validation split" in summary
    assert "validated on the test set" not in summary
    # a language model in its own terms: its target a validation loss, its budget steps
    assert "## val_loss over seeds" in summary and "| steps to target |" in summary
    assert ("Target: the validation loss within 1% of the lowest that any run reached on the "
            "same model and text, in nats per byte") in summary
    assert "best validation accuracy" not in summary and "500 x 2^k" not in summary
    assert "## Validation loss at each evaluation point (nats per byte, by steps)" in summary
    assert ("each tuned at every size, the settings compared: 16.4k: AdamW(learning_rate=0.002) "
            "against Muon(learning_rate=0.04); 32.8k: AdamW(learning_rate=0.002) against "
            "Muon(learning_rate=0.02)") in summary


def test_a_ladder_widened_at_one_width_is_not_missing_elsewhere(real_run, tmp_path, capsys):
    """Trials belong to their problem's search: a rung added at one width is not a run
    lost at the others; a trial's lost seed still is."""
    _, path = real_run
    real = results.load_history(str(path))
    folder = tmp_path / "output"
    folder.mkdir()
    shutil.copy(str(path).replace(".pickle", ".txt"), real_report(folder))
    for width, rates in ((16, (0.001, 0.002, 0.004)), (32, (0.001, 0.002))):
        for rate in rates:
            for seed in (0, 1):
                if (width, rate, seed) != (32, 0.001, 1):  # one seed lost
                    clone(real, folder, width, "adamw", rate, seed)
    capsys.readouterr()
    results.load_rows(str(folder))
    missing = [line for line in capsys.readouterr().err.splitlines() if line.endswith(": missing")]
    assert len(missing) == 1 and "gpt-width=32_adamw-learning_rate=0.001_text_b4_s1" in missing[0]


def test_study_b_models_named_by_digits_are_no_specs_and_no_series():
    """"2lr" is a registry name the spec parser would refuse: the shape logic leaves it be."""
    from pyimagesearch.stats import scale
    assert registry.model_shape("2lr") == ("2lr", {})
    assert registry.canonical_model("4ls") == "4ls"
    assert scale.series_name({"model": "2lr", "dataset": "mnist"}, {}) is None


def test_a_programs_problem_named_gpt_keeps_its_own_terms():
    """The language model's target (a validation loss, steps) is train.py's gpt's: a
    program's run whose problem happens to be called gpt gets no target, as any program's."""
    rows = [{"program": "prog.py", "model": "gpt", "dataset": "text", "batch": None},
            {"model": "gpt", "dataset": "text", "batch": None}]
    histories = [{"val_loss": [2.0, 1.0], "val_accuracy": [0.1, 0.2], "iterations": [10, 20]},
                 {"val_loss": [2.0, 1.0], "val_accuracy": [0.1, 0.2], "iterations": [10, 20]}]
    results.add_time_to_target(rows, histories)
    assert rows[0]["target_val_accuracy"] is None and rows[0]["epochs_to_target"] is None
    assert "target_val_loss" not in rows[0]
    assert rows[1]["target_val_loss"] == pytest.approx(1.01) and rows[1]["steps_to_target"] == 20
