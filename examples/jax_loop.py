"""A plain JAX + Optax training loop that knows nothing of this project: an MLP on the
digits that ship with scikit-learn, any optax optimizer by name with its arguments as
``--name value`` pairs, metrics written as JSON lines (metrics.jsonl, one object per
logging step).

    python examples/jax_loop.py --optimizer adam --learning_rate 0.001 --seed 0 --out runs/a

combinations.py --command runs it so:

    python combinations.py -o out -s grid.sh --metric val_acc --seeds 0,1,2 \
        --optimizers "adam(learning_rate=0.003), sgd(learning_rate=0.1, momentum=0.9)" \
        --command "python examples/jax_loop.py --optimizer {optimizer} {args} --seed {seed} --out {run_dir}"
"""
import argparse
import ast
import json
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402


def value(text):
    try:
        return ast.literal_eval(text)  # numbers, booleans, tuples: literals only
    except (ValueError, SyntaxError):
        return text


def init(key, sizes):
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        key, sub = jax.random.split(key)
        params.append((jax.random.normal(sub, (n_in, n_out)) * jnp.sqrt(2.0 / n_in),
                       jnp.zeros(n_out)))
    return params


def forward(params, x):
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def loss_fn(params, x, y):
    return optax.softmax_cross_entropy_with_integer_labels(forward(params, x), y).mean()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--optimizer", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=64)
    args, rest = ap.parse_known_args()
    if len(rest) % 2 or not all(k.startswith("--") for k in rest[::2]):
        ap.error(f"optimizer arguments come as --name value pairs, not {rest}")
    options = {k[2:]: value(v) for k, v in zip(rest[::2], rest[1::2])}
    make = getattr(optax, args.optimizer.lower(), None)
    if not callable(make):
        ap.error(f"no optax optimizer {args.optimizer!r}")
    optimizer = make(**options)

    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x / 16.0, y, test_size=0.3,
                                                      random_state=0, stratify=y)
    params = init(jax.random.PRNGKey(args.seed), [64, 64, 10])
    state = optimizer.init(params)

    @jax.jit
    def step(params, state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    order = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    count = 0
    with open(os.path.join(args.out, "metrics.jsonl"), "w") as log:
        for epoch in range(args.epochs):
            for batch in np.array_split(order.permutation(len(x_train)),
                                        max(1, len(x_train) // args.batch_size)):
                params, state, loss = step(params, state, x_train[batch], y_train[batch])
                count += 1
            logits = forward(params, x_val)
            record = {"step": count, "epoch": epoch, "train_loss": float(loss),
                      "val_loss": float(loss_fn(params, x_val, y_val)),
                      "val_acc": float((logits.argmax(1) == y_val).mean())}
            log.write(json.dumps(record) + "\n")
            log.flush()
            print(f"epoch {epoch + 1}/{args.epochs}: val_acc {record['val_acc']:.4f}")


if __name__ == "__main__":
    main()
