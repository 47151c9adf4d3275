"""A plain PyTorch training loop that knows nothing of this project: an MLP on the digits
that ship with scikit-learn, any torch.optim optimizer by name with its arguments as
``--name value`` pairs, metrics written where the field's tools write them.

    python examples/torch_loop.py --optimizer adam --lr 0.001 --seed 0 --out runs/a

--log csv (default): PyTorch Lightning CSVLogger's metrics.csv (a row per logging step,
empty cells where a metric was not logged); --log tensorboard: TensorBoard event files
(torch.utils.tensorboard). combinations.py --command runs it so:

    python combinations.py -o out -s grid.sh --metric val_acc --seeds 0,1,2 \
        --optimizers "adam(lr=0.001), sgd(lr=0.05, momentum=0.9)" \
        --command "python examples/torch_loop.py --optimizer {optimizer} {args} --seed {seed} --out {run_dir}"
"""
import argparse
import ast
import csv
import os

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def optimizer_class(name):
    """torch.optim's class of that name, any case (adam -> Adam, adamw -> AdamW)."""
    classes = {n.lower(): getattr(torch.optim, n) for n in dir(torch.optim)
               if isinstance(getattr(torch.optim, n), type)
               and issubclass(getattr(torch.optim, n), torch.optim.Optimizer)}
    if name.lower() not in classes:
        raise SystemExit(f"torch_loop.py: error: no torch.optim optimizer {name!r}")
    return classes[name.lower()]


def value(text):
    try:
        return ast.literal_eval(text)  # numbers, booleans, tuples: literals only
    except (ValueError, SyntaxError):
        return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--optimizer", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--log", choices=("csv", "tensorboard"), default="csv")
    args, rest = ap.parse_known_args()
    if len(rest) % 2 or not all(k.startswith("--") for k in rest[::2]):
        ap.error(f"optimizer arguments come as --name value pairs, not {rest}")
    options = {k[2:]: value(v) for k, v in zip(rest[::2], rest[1::2])}

    torch.manual_seed(args.seed)
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x / 16.0, y, test_size=0.3,
                                                      random_state=0, stratify=y)
    x_train, x_val = (torch.tensor(a, dtype=torch.float32) for a in (x_train, x_val))
    y_train, y_val = (torch.tensor(a) for a in (y_train, y_val))
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    optimizer = optimizer_class(args.optimizer)(model.parameters(), **options)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = np.random.default_rng(args.seed)

    os.makedirs(args.out, exist_ok=True)
    rows, step = [], 0
    for epoch in range(args.epochs):
        model.train()
        for batch in np.array_split(order.permutation(len(x_train)),
                                    max(1, len(x_train) // args.batch_size)):
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
            step += 1
        model.eval()
        with torch.no_grad():
            logits = model(x_val)
            val_loss = float(loss_fn(logits, y_val))
            val_acc = float((logits.argmax(1) == y_val).float().mean())
        rows += [{"epoch": epoch, "step": step, "train_loss": loss.item()},
                 {"epoch": epoch, "step": step, "val_loss": val_loss, "val_acc": val_acc}]
        print(f"epoch {epoch + 1}/{args.epochs}: val_acc {val_acc:.4f}, val_loss {val_loss:.4f}")

    if args.log == "csv":  # as Lightning's CSVLogger writes it: one header, empty cells
        with open(os.path.join(args.out, "metrics.csv"), "w", newline="") as f:
            writer = csv.DictWriter(f, ["epoch", "step", "train_loss", "val_acc", "val_loss"])
            writer.writeheader()
            writer.writerows(rows)
    else:
        from torch.utils.tensorboard import SummaryWriter
        with SummaryWriter(args.out) as writer:
            for row in rows:
                for key, v in row.items():
                    if key not in ("epoch", "step"):
                        writer.add_scalar(key, v, row["step"])


if __name__ == "__main__":
    main()
