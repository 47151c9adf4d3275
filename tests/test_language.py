"""The language model: text read as bytes and split once, a transformer in nanoGPT's shape,
its runs read back by the summaries, and what it refuses."""
import os

import numpy as np
import pytest

from conftest import run_script, train_lines
from pyimagesearch.train import language
from pyimagesearch import registry
from pyimagesearch.runs import results, runspec
from pyimagesearch.data import text

TINY = ["--layers", "1", "--width", "16", "--heads", "2", "--context", "16", "--steps", "8",
        "--batch-size", "4"]


def text_folder(path, files=25):
    """A folder of real text: pieces of the standard library's own os.py."""
    source = open(os.__file__, "rb").read()
    path.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (path / f"part_{i:02d}.py").write_bytes(source[i * 1500:(i + 1) * 1500 - 1] + b"\n")
    return path


def train(tmp_path, name, *argv):
    import train as train_script
    history, report = tmp_path / f"{name}.pickle", tmp_path / f"{name}.txt"
    code = train_script.main(["--history", str(history), "--report", str(report), *argv])
    return code, history, report


def test_a_folder_is_split_by_file_the_same_everywhere(tmp_path):
    folder = text_folder(tmp_path / "a")
    first = text.load(str(folder))
    assert first.split == "by file" and first.files == 25
    assert (len(first.validation), len(first.test)) == (1500, 1500)  # one file each
    assert len(first.train) == 23 * 1500
    # the split depends on the files' paths inside the folder, not on the disk's order
    again = text.load(str(text_folder(tmp_path / "b")))
    assert np.array_equal(first.test, again.test) and np.array_equal(first.train, again.train)
    parts = [bytes(p) for p in (first.train, first.validation, first.test)]
    assert parts[1] not in parts[0] and parts[2] not in parts[0]


def test_a_file_is_split_by_position_and_binary_files_are_left_out(tmp_path):
    folder = text_folder(tmp_path / "few", files=3)
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0" * 100)
    data = text.load(str(folder))
    assert data.split == "by position" and data.files == 3
    assert len(data.train) == int(4500 * 0.9) and len(data.test) == 4500 - int(4500 * 0.95)
    single = text.load(str(folder / "part_00.py"))
    assert single.files == 1 and len(single.train) + len(single.validation) + len(single.test) == 1500


def test_the_standard_library_is_the_embedded_default():
    data = text.load()
    assert data.split == "by file" and data.files > 500 and len(data.train) > 5_000_000
    # a byte-frequency model: about 3.2-3.4 nats per byte on it (3.24 on all of it)
    assert 3.1 < text.byte_frequency_loss(data.train, data.validation) < 3.5


def test_batches_are_a_function_of_seed_and_step():
    split = np.frombuffer(bytes(range(256)) * 40, np.uint8)
    x, y = text.batch(split, 16, 4, seed=3, step=7)
    assert x.shape == y.shape == (4, 16)
    assert np.array_equal(x[:, 1:], y[:, :-1])  # y is x shifted by one byte
    assert np.array_equal(x, text.batch(split, 16, 4, seed=3, step=7)[0])
    assert not np.array_equal(x, text.batch(split, 16, 4, seed=4, step=7)[0])
    assert not np.array_equal(x, text.batch(split, 16, 4, seed=3, step=8)[0])


def test_byte_frequency_loss_is_the_cross_entropy_of_the_counts():
    from scipy import stats
    rng = np.random.default_rng(0)
    train = rng.choice(256, size=20000, p=np.r_[np.full(16, 0.05), np.full(240, 0.2 / 240)])
    train = train.astype(np.uint8)
    counts = np.bincount(train, minlength=256) + 1.0
    # on its own training bytes: the entropy of the smoothed frequencies, plus their
    # divergence from the raw ones (tiny)
    assert text.byte_frequency_loss(train, train) == pytest.approx(
        stats.entropy(np.bincount(train, minlength=256)) +
        stats.entropy(np.bincount(train, minlength=256), counts), rel=1e-9)


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "text", "--model", "gpt", "--width", "30", "--heads", "4"],
     "--width 30 is not divisible by --heads 4"),
    (["--dataset", "text", "--model", "minivggnet"], "trains a language model (--model gpt)"),
    (["--dataset", "digits", "--model", "gpt"], "is a language model: give --dataset text"),
    (["--dataset", "digits", "--model", "minivggnet", "--context", "64"], "--context: for --model gpt only"),
    (["--dataset", "text", "--model", "gpt", "--precise-bn"], "--precise-bn (it has no BatchNorm) does not apply"),
    (["--dataset", "text", "--model", "gpt", "--augment", "none"], "--augment does not apply"),
    (["--dataset", "text", "--model", "gpt", "--validation-split", "0.1"], "its own validation split"),
    (["--dataset", "text:/no/such/place", "--model", "gpt"], "/no/such/place is no file or folder"),
])
def test_refusals_before_any_work(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as stop:
        train(tmp_path, "run", *argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_empty_binary_and_short_text_are_refused_in_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    binary = tmp_path / "binary"
    binary.mkdir()
    (binary / "a.bin").write_bytes(b"\0\1\2" * 100)
    (binary / "empty.txt").write_bytes(b"")
    short = tmp_path / "short.txt"
    short.write_bytes(open(os.__file__, "rb").read()[:4000])  # 200 validation bytes
    for data, message in ((tmp_path / "empty", "no file in it"),
                          (binary, "no text file in it (2 files, all empty or binary)"),
                          (short, "--context 256: the validation split")):
        result = run_script("train.py", "--history", str(tmp_path / "h.pickle"), "--report",
                            str(tmp_path / "r.txt"), "--dataset", f"text:{data}", "--model",
                            "gpt", "--context", "256", timeout=300)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], result.stderr
        assert "training gpt" not in result.stdout
    assert not (tmp_path / "h.pickle").exists()


def test_runs_are_read_back_and_muon_says_what_it_updated_how(tmp_path):
    folder = text_folder(tmp_path / "corpus")
    dataset = f"text:{folder}"
    for optimizer in ("adamw", "muon"):
        code, history_path, report_path = train(tmp_path, f"gpt_{optimizer}_s0", "--dataset",
                                                dataset, "--model", "gpt", "--optimizer",
                                                optimizer, "--seed", "0", *TINY)
        assert code == 0
    history = results.load_history(str(tmp_path / "gpt_muon_s0.pickle"))
    record = runspec.from_history(history)
    assert record["language_model"] == {"layers": 1, "width": 16, "heads": 2, "context": 16,
                                        "weights": record["language_model"]["weights"]}
    updates = record["updates"]
    muon = updates["Muon (orthogonalised)"]
    fallback = next(paths for how, paths in updates.items() if how.startswith("AdamW"))
    assert any("qkv/kernel" in p for p in muon) and any("mlp_in/kernel" in p for p in muon)
    assert all("embedding" in p or "norm" in p or "bias" in p for p in fallback)
    assert not any("embedding" in p for p in muon)  # the embeddings (and the tied head)
    assert list(runspec.from_history(results.load_history(str(tmp_path / "gpt_adamw_s0.pickle")))
                ["updates"]) == ["AdamW"]
    # 20 evaluation points, at most: here one per step
    assert history["iterations"] == [float(s) for s in range(1, 9)]
    assert history["val_bits_per_byte"][-1] == pytest.approx(history["val_loss"][-1] / np.log(2))
    report = results.parse_report(open(tmp_path / "gpt_muon_s0.txt").read())
    assert report["accuracy"] == pytest.approx(history["test_accuracy"][0], abs=1e-4)
    rows, _, _ = results.load_rows(str(tmp_path))
    assert {r["optimizer"] for r in rows} == {"adamw", "muon"}
    assert all(r["finals"]["test_loss"] == pytest.approx(
        results.load_history(r["path"])["test_loss"][0]) for r in rows)
    # 8 steps of a tiny model have not learned the order of bytes: said so
    assert all(r["status"].startswith("did not learn (validation loss") for r in rows)
    # the same command again is a skip, before Keras
    code, _, _ = train(tmp_path, "gpt_muon_s0", "--dataset", dataset, "--model", "gpt",
                       "--optimizer", "muon", "--seed", "0", *TINY)
    assert code == 0


def test_schedule_free_is_judged_at_its_average(tmp_path):
    import keras
    run = runspec.RunSpec(dataset="text", model="gpt", optimizer="schedulefreeadamw",
                          batch_size=4, steps=3, seed=0, layers=1, width=16, heads=2, context=16)
    model = language.compiled_model(run)
    split = np.frombuffer(open(os.__file__, "rb").read()[:5000], np.uint8)
    for step in range(3):
        model.train_on_batch(*text.batch(split, 16, 4, 0, step))
    optimizer = model.optimizer
    variable = model.trainable_variables[0]
    y = keras.ops.convert_to_numpy(variable).copy()
    z = keras.ops.convert_to_numpy(optimizer._momentums[optimizer._get_variable_index(variable)])
    with language.evaluation_point(model):
        x = keras.ops.convert_to_numpy(variable)
        assert np.allclose(x, (y - 0.1 * z) / 0.9, atol=1e-6) and not np.allclose(x, y)
    assert np.array_equal(keras.ops.convert_to_numpy(variable), y)  # training resumes at y


def test_the_lm_preset_tunes_four_optimizers_alike(tmp_path):
    result = run_script("combinations.py", "--preset", "lm", "--output", str(tmp_path / "out"),
                        "--script", str(tmp_path / "lm.sh"))
    assert result.returncode == 0, result.stderr
    lines = train_lines(open(tmp_path / "lm.sh").read())
    assert len(lines) == 4 * 8 * 3
    for name in ("adamw", "muon", "lion", "schedulefreeadamw"):
        assert sum(f"--setting-of {name}" in line for line in lines) == 24
    assert all("--dataset text" in line and "--model gpt" in line for line in lines)
    assert registry.PRESETS["lm"].seeds == [0, 1, 2]


def test_eval_points():
    assert language.eval_points(300) == list(range(15, 301, 15))
    assert language.eval_points(5) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("argv", [["--dataset", "text", "--model", "gpt"],
                                  ["--dataset", "text", "--model", "minivggnet"]])
def test_lr_find_refuses_text_in_one_line(tmp_path, capsys, argv):
    import lr_find
    with pytest.raises(SystemExit) as stop:
        lr_find.main([*argv, "--optimizer", "adam", "--output", str(tmp_path / "lr")])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "the range test is for the image models" in err
