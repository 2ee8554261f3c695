"""Train ``Linear(10, 1)`` with Adam and StepLR: the usual PyTorch loop, in NumPy.

The loop has the shape of the PyTorch code it mirrors — for each epoch, for each
mini-batch: zero_grad, forward, loss, backward, step; then scheduler.step() once
per epoch — with ``model.backward`` in place of autograd. The data are 2048
samples of a fixed random linear function plus noise, so there is something to
learn; each epoch visits them in a new order, in 64 batches of 32.

The hyperparameters are the classic example's: Adam(lr=1e-3, betas=(0.9, 0.999),
weight_decay=1e-5), StepLR(step_size=30, gamma=0.1), 100 epochs. Adam moves each
weight by at most about lr per step, so the loss falls fast for 30 epochs
(64 · 30 steps of ~1e-3), then slowly as StepLR cuts lr to 1e-4 and 1e-5.

    python examples/train_linear.py
"""

import argparse

import numpy as np

from adam_ref import Adam
from adam_ref.lr_scheduler import StepLR
from adam_ref.nn import Linear, mse_loss


def main(lr=1e-3, seed=0, epochs=100, samples=2048, batch_size=32):
    rng = np.random.default_rng(seed)
    model = Linear(10, 1, rng=rng)
    w_true = rng.normal(size=(10, 1))  # the function to learn: y = x·w + b + noise
    inputs = rng.normal(size=(samples, 10))
    targets = inputs @ w_true + 0.5 + 0.1 * rng.normal(size=(samples, 1))

    optimizer = Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), weight_decay=1e-5)
    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)  # lr × 0.1 every 30 epochs

    print(f"Linear(10, 1), Adam(lr={lr:g}, weight_decay=1e-5), StepLR(step_size=30, gamma=0.1)")
    for epoch in range(epochs):
        order = rng.permutation(samples)
        total = 0.0
        for start in range(0, samples, batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            outputs = model(inputs[batch])
            loss, grad_outputs = mse_loss(outputs, targets[batch])
            model.backward(grad_outputs)  # fills weight.grad and bias.grad
            optimizer.step()
            total += loss * len(batch)
        lr_used = scheduler.get_last_lr()[0]
        scheduler.step()
        if epoch % 10 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}  lr {lr_used:.0e}  loss {total / samples:.4f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's lr (default 1e-3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of data and weights")
    args = parser.parse_args()
    main(lr=args.lr, seed=args.seed)
