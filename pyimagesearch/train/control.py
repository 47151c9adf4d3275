"""What a run does around its steps, whichever loop takes them (Keras' fit, or the
compiled multi-step loop of :mod:`.steps`): stopping cleanly on signals, and reading
the learning rate the next step will use."""
import contextlib
import signal

import keras


class Interrupted(Exception):
    """Training stopped by SIGTERM or SIGINT; the last finished epoch is checkpointed."""

    def __init__(self, signum, epochs_done, checkpoint_dir):
        self.signum, self.epochs_done, self.checkpoint_dir = signum, epochs_done, checkpoint_dir
        super().__init__(f"stopped by {signal.Signals(signum).name} after {epochs_done} "
                         "finished epochs")


def learning_rate_now(optimizer):
    """The rate the optimizer's next step will use, schedules included."""
    if hasattr(optimizer, "current_learning_rate"):
        return float(keras.ops.convert_to_numpy(optimizer.current_learning_rate()))
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


@contextlib.contextmanager
def stop_on_signals(handler):
    """Route SIGTERM and SIGINT (a scheduler's or a preemption notice, Ctrl-C) to ``handler``."""
    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
