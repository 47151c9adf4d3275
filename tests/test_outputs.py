"""The tables plot.py writes come from one registry (pyimagesearch.outputs): a new output
is one module and one entry. verdicts.tex is the proof: a booktabs table a paper inputs."""
import plot
from pyimagesearch import outputs
from pyimagesearch.outputs import latex
from tests.test_runs_mean_what_they_say import make_grid, program  # noqa: F401 (fixture)


def test_every_registered_table_is_written(tmp_path, program):  # noqa: F811
    out = make_grid(tmp_path, program, "--metric", "val_loss", "--margin", "0.005")
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    for name in outputs.TABLES:
        assert (plots / name).stat().st_size > 0, name
    tex = (plots / "verdicts.tex").read_text()
    assert tex.startswith("\\begin{table}") and "\\toprule" in tex and "\\bottomrule" in tex
    row = next(line for line in tex.splitlines() if line.startswith("run & prog"))
    cells = [c.strip() for c in row.removesuffix("\\\\").split("&")]
    assert cells[2:5] == ["Adam(lr=0.05)", "SGD(lr=0.5)", "3"]
    assert float(cells[5]) < 0 and cells[8] == "better"  # B - A of a loss: negative is better
    assert "val\\_loss (lower is better)" in tex


def test_latex_escapes_what_a_user_named():
    assert latex.escape("my_data & 100% {x} $y #1 ~ ^ \\") == (
        "my\\_data \\& 100\\% \\{x\\} \\$y \\#1 \\textasciitilde{} \\textasciicircum{} "
        "\\textbackslash{}")
