"""The same runs, the same answer (issue 43), continued: the properties of how runs are
read, over the same RUN_SETS random run sets as tests/test_same_answer.py (its generator
and comparisons); in modules of their own so that the quick suite's two workers share the
property tests (this one, tests/test_same_answer_looks.py)."""
from tests.test_same_answer import answer, compare, same, sets  # noqa: F401


def test_the_order_of_the_runs_and_the_way_they_come_change_nothing(sets, tmp_path):
    for i, (frame, question, _, base) in enumerate(sets):
        shuffled = frame.sample(frac=1.0, random_state=i).reset_index(drop=True)
        same(base, answer(compare(shuffled, question)))
        path = tmp_path / "runs.csv"
        frame.to_csv(path, index=False)
        same(base, answer(compare(str(path), question)))
