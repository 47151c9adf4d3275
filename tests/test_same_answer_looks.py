"""The same runs, the same answer (issue 43), continued: a look's answer is made of the
seeds it read, over the same RUN_SETS random run sets as tests/test_same_answer.py; a
module of its own so that the quick suite's two workers share the property tests."""
from pyimagesearch.runs import rounds
from pyimagesearch.stats import measure as measures
from tests.test_same_answer import RUN_SETS, answer, compare, load, same, sets  # noqa: F401


def test_seeds_a_look_has_not_read_cannot_change_it(sets, tmp_path):
    """decide.json records look 0 at the seeds there; runs added afterwards are not read by
    it: its verdict, interval, speed-up and target are as they were."""
    checked = 0
    for i, (frame, question, _, _) in enumerate(sets):
        seeds = sorted(frame["seed"].unique())
        early = frame[frame["seed"].isin(seeds[:len(seeds) // 2 + 1])]
        if len(seeds) < 4 or early["optimizer"].nunique() < 2:
            continue
        folder = tmp_path / f"design{i}"
        folder.mkdir()
        runs = load(early, question, design_folder=str(folder))
        rounds.start(str(folder), measures.choose(*question), 20, [3, 8, 20],
                     [dict(r) for r in runs.rows])
        before = answer(compare(runs, question))
        later = answer(compare(load(frame, question, design_folder=str(folder)), question))
        if not before:  # no seed of the pair was there at look 0: it has read none
            assert all(v[0] == "undecided" and v[-1] == 0 for k, v in later.items()
                       if k[2] == "verdict"), later
            continue
        same(before, later)
        checked += 1
    assert checked > RUN_SETS / 2
