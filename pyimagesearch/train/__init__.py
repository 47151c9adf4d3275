"""One training run: Keras' fit or a budget of steps, checkpoints, precise BatchNorm, RAdam, the language model's loop, the learning-rate finder."""
