"""RAdam against an independent NumPy transcription of keras-radam's rule (SPEC)."""
import keras
import numpy as np
import pytest

from pyimagesearch.train.radam import RAdam


def reference_radam(params, grads_per_step, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7, wd=0.0,
                    amsgrad=False, total_steps=0, warmup_proportion=0.1, min_lr=0.0):
    """SPEC's update rule, written out step by step in float64."""
    p = [x.astype(np.float64).copy() for x in params]
    m = [np.zeros_like(x) for x in p]
    v = [np.zeros_like(x) for x in p]
    vmax = [np.zeros_like(x) for x in p]
    for step, grads in enumerate(grads_per_step):
        t = step + 1
        lr_t = lr
        if total_steps > 0:
            warmup = total_steps * warmup_proportion
            decay = max(total_steps - warmup, 1)
            if t <= warmup:
                lr_t = lr * t / warmup
            else:
                lr_t = lr + (min_lr - lr) / decay * min(t - warmup, decay)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat = m[i] / (1 - b1 ** t)
            if amsgrad:
                vmax[i] = np.maximum(vmax[i], v[i])
                v_hat = np.sqrt(vmax[i] / (1 - b2 ** t))
            else:
                v_hat = np.sqrt(v[i] / (1 - b2 ** t))
            if rho_t >= 5:
                r_t = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                update = r_t * m_hat / (v_hat + eps)
            else:
                update = m_hat
            update = update + wd * p[i]
            p[i] = p[i] - lr_t * update
    return p


CASES = {
    "plain": {},
    "schedule": dict(total_steps=40, warmup_proportion=0.25, min_lr=1e-5),
    "amsgrad": dict(amsgrad=True),
    "weight_decay": dict(weight_decay=0.01),
    "everything": dict(total_steps=30, warmup_proportion=0.1, min_lr=1e-4, amsgrad=True,
                       weight_decay=0.05, learning_rate=3e-3),
}


@pytest.mark.parametrize("case", CASES)
def test_matches_reference_over_many_steps(case):
    kwargs = CASES[case]
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (5,)]
    params = [rng.normal(size=s).astype(np.float32) for s in shapes]
    steps = 60  # crosses rho_t = 5 (step 6), the warm-up, the decay and its floor
    # gradients that shrink and change sign, so amsgrad's max matters
    grads = [[(rng.normal(size=s) * (2.0 if t % 7 == 0 else 0.3)).astype(np.float32)
              for s in shapes] for t in range(steps)]
    variables = [keras.Variable(p) for p in params]
    opt = RAdam(**kwargs)
    for g in grads:
        opt.apply_gradients(zip([keras.ops.convert_to_tensor(x) for x in g], variables))
    ref_kwargs = dict(kwargs)
    ref_kwargs["wd"] = ref_kwargs.pop("weight_decay", 0.0)
    ref_kwargs["lr"] = ref_kwargs.pop("learning_rate", 1e-3)
    expected = reference_radam(params, grads, **ref_kwargs)
    for var, exp, start in zip(variables, expected, params):
        got = keras.ops.convert_to_numpy(var)
        assert not np.allclose(got, start)  # it moved
        np.testing.assert_allclose(got, exp, rtol=2e-5, atol=2e-7)
    assert int(keras.ops.convert_to_numpy(opt.iterations)) == steps


@pytest.mark.parametrize("t,expected", [(1, 1e-3 / 500), (500, 1e-3), (5000, 1e-5), (10000, 1e-5),
                                        (2750, 1e-3 + (1e-5 - 1e-3) / 4500 * 2250)])
def test_original_schedule(t, expected):
    opt = RAdam(total_steps=5000, warmup_proportion=0.1, min_lr=1e-5)
    opt.iterations.assign(t - 1)  # the rate of step t = iterations + 1
    got = float(keras.ops.convert_to_numpy(opt.current_learning_rate()))
    assert got == pytest.approx(expected, rel=1e-5)


def test_no_schedule_keeps_the_rate():
    opt = RAdam()
    opt.iterations.assign(4999)
    assert float(keras.ops.convert_to_numpy(opt.current_learning_rate())) == pytest.approx(1e-3)


def test_constructor_defaults_are_keras_radams():
    opt = RAdam()
    assert (opt.beta_1, opt.beta_2, opt.epsilon, opt.amsgrad) == (0.9, 0.999, 1e-7, False)
    assert (opt.decay_rate, opt.total_steps, opt.warmup_proportion, opt.min_lr) == (0.0, 0, 0.1, 0.0)
    assert float(keras.ops.convert_to_numpy(opt.learning_rate)) == pytest.approx(1e-3)


def test_config_round_trip():
    opt = RAdam(learning_rate=2e-3, beta_1=0.8, beta_2=0.99, epsilon=1e-6, weight_decay=0.01,
                amsgrad=True, total_steps=5000, warmup_proportion=0.2, min_lr=1e-5)
    config = opt.get_config()
    clone = RAdam.from_config(config)
    assert clone.get_config() == config
    assert config["weight_decay"] == 0.01 and config["total_steps"] == 5000
    # and through Keras' own serialisation
    again = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert isinstance(again, RAdam) and again.get_config() == config
