"""Rectified Adam with the exact semantics of the ``keras-radam`` package.

``keras-radam`` (and ``keras-rectified-adam``) fail at import under Keras 3, and
Keras ships no RAdam, so the study's optimizer lives here. It is written with
``keras.ops`` only, so it runs on every Keras backend. Differences from the
better-known RAdam papers' code are deliberate: this is the rule the 2019 study
ran (see SPEC): a linear warm-up/decay schedule when ``total_steps > 0``, the
un-rectified step ``m_hat`` while the variance is intractable (rho_t < 5), and
weight decay added to the step (so scaled by the scheduled learning rate).
"""
import keras
from keras import ops


def warmup_linear_decay(learning_rate, step, total_steps, warmup_proportion, min_lr):
    """keras-radam's schedule at 1-based ``step``: a linear warm-up over
    ``total_steps * warmup_proportion`` steps, then a linear fall to ``min_lr`` at
    ``total_steps``, flat after. ``total_steps <= 0`` means no schedule."""
    if total_steps <= 0:
        return learning_rate
    total = ops.cast(total_steps, learning_rate.dtype)
    warmup = total * warmup_proportion
    decay_steps = ops.maximum(total - warmup, 1.0)
    decay_rate = (min_lr - learning_rate) / decay_steps
    return ops.where(
        step <= warmup,
        learning_rate * (step / warmup),
        learning_rate + decay_rate * ops.minimum(step - warmup, decay_steps))


@keras.saving.register_keras_serializable(package="pyimagesearch")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """The same schedule for any Keras optimizer (e.g. Adam as the original RAdam ran).

    Keras calls a schedule with ``optimizer.iterations`` (0-based) for the step about
    to be taken, whose 1-based number keras-radam's formula uses.
    """

    def __init__(self, learning_rate, total_steps, warmup_proportion=0.1, min_lr=0.0):
        self.learning_rate = learning_rate
        self.total_steps = total_steps
        self.warmup_proportion = warmup_proportion
        self.min_lr = min_lr

    def __call__(self, step):
        t = ops.cast(step, "float32") + 1.0
        lr = ops.cast(self.learning_rate, "float32")
        return warmup_linear_decay(lr, t, self.total_steps, self.warmup_proportion, self.min_lr)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "total_steps": self.total_steps,
                "warmup_proportion": self.warmup_proportion, "min_lr": self.min_lr}


@keras.saving.register_keras_serializable(package="pyimagesearch")
class RAdam(keras.optimizers.Optimizer):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=0.0, amsgrad=False, total_steps=0, warmup_proportion=0.1,
                 min_lr=0.0, name="radam", **kwargs):
        # keras-radam's weight decay is part of its step, not Keras' decoupled
        # decay (which would use the unscheduled rate): keep it out of the base.
        kwargs.pop("weight_decay", None)
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.decay_rate = float(weight_decay or 0.0)
        self.amsgrad = amsgrad
        self.total_steps = total_steps
        self.warmup_proportion = warmup_proportion
        self.min_lr = min_lr

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["m", "v"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "vhat")

    def scheduled_learning_rate(self, learning_rate, step):
        """keras-radam's warm-up then linear decay, at 1-based ``step``."""
        return warmup_linear_decay(learning_rate, step, self.total_steps,
                                   self.warmup_proportion, self.min_lr)

    def current_learning_rate(self):
        """The rate the next update will use (for logging)."""
        lr = ops.cast(self.learning_rate, "float32")
        step = ops.cast(self.iterations + 1, "float32")
        return self.scheduled_learning_rate(lr, step)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        gradient = ops.cast(gradient, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        lr_t = self.scheduled_learning_rate(ops.cast(learning_rate, dtype), step)
        beta_1 = ops.cast(self.beta_1, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        beta_1_power = ops.power(beta_1, step)
        beta_2_power = ops.power(beta_2, step)

        rho_inf = 2.0 / (1.0 - beta_2) - 1.0
        rho_t = rho_inf - 2.0 * step * beta_2_power / (1.0 - beta_2_power)

        index = self._get_variable_index(variable)
        m = self._momentums[index]
        v = self._velocities[index]
        self.assign(m, beta_1 * m + (1.0 - beta_1) * gradient)
        self.assign(v, beta_2 * v + (1.0 - beta_2) * ops.square(gradient))
        m_hat = m / (1.0 - beta_1_power)
        if self.amsgrad:
            v_max = self._velocity_hats[index]
            self.assign(v_max, ops.maximum(v_max, v))
            v_hat = ops.sqrt(v_max / (1.0 - beta_2_power))
        else:
            v_hat = ops.sqrt(v / (1.0 - beta_2_power))

        # The product is negative while rho_t < 4, where the un-rectified branch
        # is taken anyway; clamp so the unused branch is not NaN.
        r_t = ops.sqrt(ops.maximum(
            (rho_t - 4.0) / (rho_inf - 4.0) * (rho_t - 2.0) / (rho_inf - 2.0) * rho_inf / rho_t,
            0.0))
        update = ops.where(rho_t >= 5.0, r_t * m_hat / (v_hat + self.epsilon), m_hat)
        if self.decay_rate > 0.0:
            update = update + self.decay_rate * variable
        self.assign_sub(variable, lr_t * update)

    def get_config(self):
        config = super().get_config()
        config.update({
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "weight_decay": self.decay_rate,
            "amsgrad": self.amsgrad,
            "total_steps": self.total_steps,
            "warmup_proportion": self.warmup_proportion,
            "min_lr": self.min_lr,
        })
        return config
