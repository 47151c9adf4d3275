"""One page to read a grid: report.html in a real browser, the tidy tables, pandas, HParams."""
import csv
import math
import os
import re

import pytest

import plot
from pyimagesearch.train import hparams
from pyimagesearch.outputs import report
from pyimagesearch.runs import results, runspec
from tests import browser
from tests.synthetic import families, history, write_run

HOSTILE = "<img src=x onerror=alert(1)>"


def _grid(out, problems, optimizers, seeds=(0, 1, 2), labels=("a", "b"), shift=None):
    """Synthetic runs with records; ``shift``: {optimizer: test-accuracy offset}."""
    out.mkdir(exist_ok=True)
    family = families(optimizers)
    for p, (dataset, model) in enumerate(problems):
        for k, optimizer in enumerate(optimizers):
            for seed in seeds:
                record = runspec.RunSpec(dataset, model, optimizer, epochs=5, seed=seed,
                                         validation_split=0.1,
                                         setting_of=family[optimizer]).record(labels=list(labels))
                h = history(epochs=5, offset=0.01 * k + 0.001 * seed, run=record,
                            epoch_seconds=[1.0 + 0.5 * k] * 5)
                h["val_accuracy"] = [v - 0.01 * k for v in h["val_accuracy"]]
                write_run(out, f"p{p}_o{k}_s{seed}", h,
                          acc=0.9 + (shift or {}).get(optimizer, 0) + 0.001 * seed)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """Two problems, one with a dataset folder and a class named like an XSS payload, and
    an optimizer spec carrying one; three optimizers, three seeds."""
    root = tmp_path_factory.mktemp("report")
    out, plots = root / "out", root / "plots"
    folder = f"folder:{root / HOSTILE}"
    _grid(out, [("digits", "minivggnet"), (folder, "minivggnet")],
          ["adam", "radam", "adamw(name='<script>alert(2)</script>')"],
          labels=(HOSTILE, "cat"), shift={"radam": 0.02})
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    return out, plots


def test_the_page_is_self_contained_and_escapes_every_name(hostile_report):
    _, plots = hostile_report
    text = (plots / "report.html").read_text()
    # no script or style from anywhere else: everything inlined
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"?https?:", text)
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    # the payloads never appear raw outside the JSON (where < is \u003c)
    body = text.split('<script type="application/json"')[0].split("<script>")[0]
    assert HOSTILE not in body and "<script>alert(2)" not in body
    assert html_escaped(HOSTILE) in body
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in text  # for Plotly, in JSON


def html_escaped(text):
    import html
    return html.escape(text, quote=True)


def test_the_tidy_tables_round_trip_through_pandas(hostile_report):
    out, plots = hostile_report
    runs, epochs = results.load(str(out))
    assert len(runs) == 2 * 3 * 3 and {"seed", "test_accuracy", "learning_rate", "precise_bn",
                                       "validation_split", "status"} <= set(runs.columns)
    with open(plots / "summary.csv") as f:
        summary_rows = list(csv.DictReader(f))
    by_key = {(r["dataset"], r["optimizer"], int(r["seed"])): r for r in summary_rows}
    for _, row in runs.iterrows():
        want = by_key[(row["dataset"], row["optimizer"], int(row["seed"]))]
        for column in ("test_accuracy", "final_val_accuracy", "final_train_loss",
                       "best_val_accuracy", "seconds_to_target"):
            if want[column] == "":  # blank in the CSV: missing in the frame
                assert row[column] is None or math.isnan(row[column])
            else:
                # summary.csv writes 4 decimals
                assert float(row[column]) == pytest.approx(float(want[column]), abs=5e-5)
    # long format: 5 epochs x every per-epoch series of every run
    assert set(epochs.columns) == {"run", "epoch", "metric", "value"}
    one = epochs[(epochs.run == "p0_o1_s2") & (epochs.metric == "val_loss")]
    assert one.epoch.tolist() == [1, 2, 3, 4, 5]
    assert one.value.tolist() == pytest.approx([1.2 / t + 0.012 for t in range(1, 6)])
    # plots/runs.csv and epochs.csv are the same tables
    with open(plots / "runs.csv") as f:
        written = list(csv.DictReader(f))
    assert [r["run"] for r in written] == runs.run.tolist()
    assert len(open(plots / "epochs.csv").read().splitlines()) == len(epochs) + 1


def test_hparams_are_logged_for_tensorboard(tmp_path):
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.plugins.hparams import metadata
    record = runspec.RunSpec("digits", "minivggnet", "adamw(learning_rate=0.0003, "
                             "weight_decay=0.05)", seed=2).record()
    h = history(epochs=3, run=record, test_accuracy=[0.93])
    hparams.write(str(tmp_path), record, h, trial_id="minivggnet_adamw_digits_s2")
    events = event_accumulator.EventAccumulator(str(tmp_path))
    events.Reload()
    content = events.PluginTagToContent(metadata.PLUGIN_NAME)[metadata.SESSION_START_INFO_TAG]
    start = metadata.parse_session_start_info_plugin_data(content)
    values = {k: v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind"))
              for k, v in start.hparams.items()}
    assert values["optimizer.name"] == "adamw" and values["seed"] == 2
    assert values["optimizer.learning_rate"] == pytest.approx(0.0003)
    assert values["optimizer.weight_decay"] == pytest.approx(0.05)
    assert start.group_name == "minivggnet_adamw_digits_s2"  # one trial per run
    tensors = {tag: events.Tensors(tag)[-1] for tag in events.Tags()["tensors"]}
    from tensorboard.util import tensor_util
    assert tensor_util.make_ndarray(tensors["final/test_accuracy"].tensor_proto) == \
        pytest.approx(0.93)
    assert tensors["final/test_accuracy"].step == 3


def test_one_optimizer_at_several_settings_has_no_tuned_pair(tmp_path):
    """Settings of one optimizer only: no tuned comparison exists; the page still comes,
    with every setting against every other."""
    out, plots = tmp_path / "out", tmp_path / "plots"
    _grid(out, [("digits", "minivggnet")],
          ["adam(learning_rate=0.001)", "adam(learning_rate=0.0001)"])
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    text = (plots / "report.html").read_text()
    assert 'id="verdict-matrix-settings"' in text and 'id="verdict-matrix"' not in text


def test_plot_without_plotly_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    import importlib.util
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "plotly" else find_spec(name, *a))
    with pytest.raises(SystemExit) as exit_:
        plot.main(["-i", str(tmp_path), "-p", str(tmp_path / "plots")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith("plot.py: error: plotly not installed")
    assert len(err.strip().splitlines()) == 1


def test_performance_profile_shares():
    rows = []
    # per problem, each optimizer's seconds to target over 3 seeds (None: never reached)
    for problem, times in enumerate(({"a": (10, 10, 10), "b": (20, 20, None)},
                                     {"a": (30, None, 30), "b": (15, 15, 15)},
                                     {"a": (5, 5, 5), "b": (None, None, 9)})):
        for optimizer, seconds in times.items():
            for seed, t in enumerate(seconds):
                rows.append({"dataset": f"d{problem}", "model": "m", "batch": None,
                             "optimizer": optimizer, "seed": seed, "test_accuracy": 0.9,
                             "epochs_to_target": None if t is None else 3,
                             "seconds_to_target": math.nan if t is None else float(t)})
    taus, shares, unit = report.performance_profile(rows)
    assert unit == "seconds"
    at = {tau: i for i, tau in enumerate(taus)}
    # medians: a 10, 30, 5; b 20, 15, never (2 of its 3 seeds never reached it)
    # a: fastest on 2 of 3, 2x slower on the other; b: 2x on 1, fastest on 1, never on 1
    assert shares["a"][at[1.0]] == pytest.approx(2 / 3) and shares["a"][at[2.0]] == 1.0
    assert shares["b"][at[1.0]] == pytest.approx(1 / 3) and shares["b"][at[2.0]] == pytest.approx(2 / 3)
    assert shares["b"][-1] == pytest.approx(2 / 3)


# ------------------------------------------------------------------ in a real browser

needs_browser = pytest.mark.skipif(
    bool(browser.missing()) and not os.environ.get("REQUIRE_BROWSER"),
    reason=f"no headless browser: {browser.missing()}")


@needs_browser
def test_the_report_in_headless_chromium(hostile_report):
    _, plots = hostile_report
    with browser.open_page(str(plots / "report.html")) as page:
        p = page.page
        p.wait_for_selector("#figure-0 .main-svg")
        assert page.errors == [] and page.blocked == []
        # the verdict matrix: one cell per problem and pair (2 problems x 3 pairs)
        cells = p.locator("#verdict-matrix tbody td")
        assert cells.count() == 6
        assert p.locator("#verdict-matrix td.v-better").count() >= 1  # RAdam, +2 points
        assert re.search(r"by \d+\.\d+ points \[\d", cells.first.get_attribute("title"))  # size, CI
        # the curves are drawn: Plotly's SVG traces with path data
        drawn = "#figure-0 .scatterlayer .trace"
        before = p.locator(drawn).count()
        assert before > 0
        assert len(p.locator(f"{drawn} path.js-line").first.get_attribute("d")) > 20
        # the answer first, in one sentence with its interval, seeds and error rate
        answer = p.inner_text("#answer")
        assert answer == ("RAdam is better than Adam across 2 problems (2 better, 0 worse, 0 "
                          "equivalent, 0 undecided); chance of any wrong call here at most 5%.")
        # one legend entry per setting and one for its seeds, never one per seed
        legend = p.locator("#figure-0 .legendtext").all_text_contents()
        assert len(legend) == 2 * 3 and not any("seed 0" in t for t in legend)
        # whole epochs on the axis (the page had ticks at 1.5 and 2.5)
        ticks = p.locator("#figure-0 .xtick text").all_text_contents()
        assert ticks and all(t.isdigit() for t in ticks), ticks
        # showing one setting's seeds draws their curves (3 seeds x 4); hiding takes them away
        entry = p.locator("#figure-0 g.traces", has=p.locator(
            ".legendtext", has_text=re.compile("^Adam · its 3 seeds$")))
        entry.locator("rect.legendtoggle").click()  # as a reader clicks the legend
        p.wait_for_timeout(800)  # Plotly waits out a double click first
        assert p.locator(drawn).count() == before + 12
        entry.locator("rect.legendtoggle").click()
        p.wait_for_timeout(800)  # Plotly waits out a double click first
        assert p.locator(drawn).count() == before
        # the hostile names are text: shown as typed, nothing ran
        assert HOSTILE in p.inner_text("body")
        assert p.locator('img[src="x"]').count() == 0
        legend = " ".join(p.locator("#figure-1 .legendtext").all_text_contents())
        assert "<script>alert(2)</script>" in legend
        assert page.dialogs == []
        # the run table filters and sorts
        p.fill("#run-filter", "radam")
        visible = p.locator("#runs tbody tr:not([hidden])")
        assert visible.count() == 6
        assert p.inner_text("#run-count") == "6 of 18 runs"
        p.fill("#run-filter", "")
        p.click('#runs th[data-column="5"]')  # test accuracy, ascending
        accuracies = [float(t) for t in p.locator("#runs tbody td:nth-child(6)").all_inner_texts()]
        assert accuracies == sorted(accuracies)
        assert page.errors == [] and page.dialogs == [] and page.blocked == []


@needs_browser
def test_the_tuning_figures_are_in_the_page(tmp_path):
    out, plots = tmp_path / "out", tmp_path / "plots"
    _grid(out, [("digits", "minivggnet")],
          [f"adam(learning_rate={r})" for r in (1e-4, 1e-3, 1e-2)]
          + [f"radam(learning_rate={r})" for r in (1e-3, 1e-2)])  # unequal budgets: 3 and 2
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    with browser.open_page(str(plots / "report.html")) as page:
        kinds = page.page.eval_on_selector_all(".figure", "els => els.map(e => e.dataset.kind)")
        assert kinds[:3] == ["curves", "tuning", "sensitivity"] and "profile" in kinds
        page.page.wait_for_selector(".figure[data-kind=sensitivity] .main-svg")
        assert page.page.locator(".figure[data-kind=tuning] .scatterlayer .trace").count() == 6
        # the answer compares the tuned optimizers (1 problem x 1 pair); every setting
        # against every other (5 settings: 10 pairs) is folded away below it
        assert page.page.locator("#verdict-matrix tbody td").count() == 1
        # 10 pairs of one problem: one pair a row, not one row of 10 columns off the edge
        assert page.page.locator("#verdict-matrix-settings tbody tr").count() == 10
        assert page.page.locator("#verdict-matrix-settings tbody tr").first.locator(
            "td").count() == 1
        width = page.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, width
        # each optimizer's tuned setting drawn, the other three on demand (in the legend)
        curves = page.page.locator(".figure[data-kind=curves]")
        assert "each optimizer's tuned setting" in (plots / "report.html").read_text()
        hidden = page.page.evaluate(
            "() => document.querySelector('.figure[data-kind=curves]').data"
            ".filter(t => t.showlegend && t.legendgroup && !t.legendgroup.endsWith(' seeds'))"
            ".map(t => t.visible === true)")
        assert sorted(hidden) == [False] * 3 + [True] * 2, hidden
        assert curves.count() == 1
        # the summary's caveat and its answer by budget are on the page too
        text = page.page.inner_text("body")
        assert "Unequal tuning budgets on digits / minivggnet: Adam 3, RAdam 2 settings" in text
        assert "The answer by tuning budget" in text
        assert page.errors == []


def test_browser_tests_do_not_skip_where_a_browser_is_required():
    if os.environ.get("REQUIRE_BROWSER"):
        assert browser.missing() is None, browser.missing()
