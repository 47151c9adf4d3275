"""The analysis as a library: docs/api.md's notebook session runs, and compare() gives the
numbers plot.py writes."""
import contextlib
import csv
import io
import os
import re

import pytest

import plot
from pyimagesearch import compare, load_runs
from tests.conftest import ROOT
from tests.test_runs_mean_what_they_say import make_grid, program  # noqa: F401 (fixture)


def test_the_notebook_session_in_the_docs_runs(tmp_path, program, monkeypatch):  # noqa: F811
    make_grid(tmp_path, program, "--metric", "val_loss", "--margin", "0.005")
    text = open(os.path.join(ROOT, "docs", "api.md"), encoding="utf-8").read()
    (code,) = re.findall(r"```python\n(.*?)```", text, re.S)
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "docs/api.md", "exec"), {})
    out = printed.getvalue()
    assert "6 runs" in out and "val_loss min 0.005" in out
    assert "SGD(lr=0.5) is better than Adam(lr=0.05)" in out
    assert "the metric the grid was written for" in out


def test_compare_gives_the_numbers_plot_writes(tmp_path, program):  # noqa: F811
    out = make_grid(tmp_path, program, "--metric", "val_loss", "--margin", "0.005",
                    optimizers="sgd(lr=0.5), adam(lr=0.05), adamw(lr=0.05)")
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    result = compare(load_runs(str(out)))
    with open(plots / "verdicts.csv", newline="") as f:
        written = list(csv.DictReader(f))
    assert len(written) == len(result.verdicts)
    for row, (_, mine) in zip(written, result.verdicts.iterrows()):
        assert (row["a"], row["b"], row["verdict"]) == (mine["a"], mine["b"], mine["verdict"])
        for column in ("b_minus_a", "b_minus_a_low", "b_minus_a_high", "gain", "p_adjusted"):
            if row[column]:
                assert float(row[column]) == pytest.approx(mine[column], rel=1e-8)
    summary = (plots / "summary.md").read_text()
    assert result.answer in summary
    # the result objects are frozen, and the run table stays as read
    with pytest.raises(AttributeError):
        result.answer = "something else"
    runs = load_runs(str(out))
    before = [dict(r) for r in runs.rows]
    compare(runs, baseline="adam")
    assert [dict(r) for r in runs.rows] == before


def test_compare_refuses_in_one_line(tmp_path, program):  # noqa: F811
    out = make_grid(tmp_path, program, "--metric", "val_loss")
    runs = load_runs(str(out))
    with pytest.raises(ValueError, match="val_loss is not an accuracy"):
        compare(runs)
    with pytest.raises(ValueError, match="no run here has it"):
        compare(runs, metric="eval_los", margin=0.1)
    with pytest.raises(ValueError, match="not a directory"):
        load_runs(str(tmp_path / "nowhere"))
