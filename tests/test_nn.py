"""Linear and mse_loss: finite differences, torch autograd, and a whole training run vs torch."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _golden import GOLDEN, NO_TORCH, generator

from adam_ref import Adam
from adam_ref.lr_scheduler import StepLR
from adam_ref.nn import Linear, mse_loss

ROOT = Path(__file__).resolve().parent.parent


def problem(seed=0, n=6, d_in=4, d_out=3, bias=True):
    rng = np.random.default_rng(seed)
    layer = Linear(d_in, d_out, bias=bias, rng=rng)
    x = rng.normal(size=(n, d_in))
    target = rng.normal(size=(n, d_out))
    return layer, x, target


def loss_of(layer, x, target):
    return mse_loss(layer(x), target)[0]


@pytest.mark.parametrize("bias", [True, False])
def test_backward_matches_central_differences(bias):
    layer, x, target = problem(bias=bias)
    _, grad_y = mse_loss(layer(x), target)
    grad_x = layer.backward(grad_y)
    h = 1e-6
    for p in layer.parameters():
        numeric = np.zeros_like(p.data)
        for i in np.ndindex(p.shape):
            saved = p.data[i]
            p.data[i] = saved + h
            up = loss_of(layer, x, target)
            p.data[i] = saved - h
            down = loss_of(layer, x, target)
            p.data[i] = saved
            numeric[i] = (up - down) / (2 * h)
        np.testing.assert_allclose(p.grad, numeric, rtol=1e-6, atol=1e-9)
    numeric_x = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        up, down = loss_of(layer, x + step, target), loss_of(layer, x - step, target)
        numeric_x[i] = (up - down) / (2 * h)
    np.testing.assert_allclose(grad_x, numeric_x, rtol=1e-6, atol=1e-9)


def test_forward_and_loss_follow_their_equations():
    layer, x, target = problem()
    W, b = layer.weight.data, layer.bias.data
    y = layer(x)
    for n in range(x.shape[0]):  # y_n = W x_n + b, row by row
        np.testing.assert_allclose(y[n], W @ x[n] + b, rtol=1e-14)
    loss, grad_y = mse_loss(y, target)
    assert loss == pytest.approx(sum((y - target).ravel() ** 2) / y.size, rel=1e-14)
    np.testing.assert_allclose(grad_y, 2 * (y - target) / y.size, rtol=1e-14)


def test_backward_against_torch_autograd():
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    layer, x, target = problem(seed=3, n=8, d_in=5, d_out=2)
    tl = torch.nn.Linear(5, 2).double()
    with torch.no_grad():
        tl.weight.copy_(torch.tensor(layer.weight.data))
        tl.bias.copy_(torch.tensor(layer.bias.data))
    tx = torch.tensor(x, requires_grad=True)
    for _ in range(2):  # the second pass checks that grads accumulate as in torch
        loss, grad_y = mse_loss(layer(x), target)
        grad_x = layer.backward(grad_y)
        tloss = torch.nn.MSELoss()(tl(tx), torch.tensor(target))
        tx.grad = None
        tloss.backward()
        assert loss == pytest.approx(tloss.item(), rel=1e-14)
        np.testing.assert_allclose(layer.weight.grad, tl.weight.grad.numpy(), rtol=1e-13)
        np.testing.assert_allclose(layer.bias.grad, tl.bias.grad.numpy(), rtol=1e-13)
        np.testing.assert_allclose(grad_x, tx.grad.numpy(), rtol=1e-13)


def test_init_is_torchs_uniform_bound():
    layer = Linear(400, 300, rng=0)
    bound = 1 / np.sqrt(400)
    for p in layer.parameters():
        assert np.all(np.abs(p.data) <= bound)
    w = layer.weight.data.ravel()
    # U(−a, a): mean 0, variance a²/3 (120000 draws: 2% is many standard errors)
    assert abs(w.mean()) < 0.01 * bound
    assert w.var() == pytest.approx(bound ** 2 / 3, rel=0.02)
    assert np.abs(w).max() > 0.999 * bound
    again = Linear(400, 300, rng=0)
    np.testing.assert_array_equal(again.weight.data, layer.weight.data)
    assert [p.name for p in layer.parameters()] == ["weight", "bias"]


def test_init_bound_is_torchs():
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    torch.manual_seed(0)
    w = torch.nn.Linear(400, 300).weight.detach().numpy()
    assert np.abs(w).max() <= 1 / np.sqrt(400) < np.abs(w).max() / 0.999


def test_float32_layer_stays_float32():
    layer = Linear(3, 2, rng=1, dtype=np.float32)
    x = np.ones((4, 3), dtype=np.float32)
    loss, grad_y = mse_loss(layer(x), np.zeros((4, 2), dtype=np.float32))
    layer.backward(grad_y)
    assert layer(x).dtype == grad_y.dtype == layer.weight.grad.dtype == np.float32
    assert loss.dtype == np.float32


@pytest.mark.parametrize("call, error, match", [
    (lambda l: l(np.ones((2, 5))), ValueError, r"shape \(N, 4\)"),
    (lambda l: l(np.ones(4)), ValueError, "shape"),
    (lambda l: l(np.ones((2, 4), dtype=np.float32)), TypeError, "float32"),
    (lambda l: l(np.ones((2, 4), dtype=int)), TypeError, "dtype int"),
    (lambda l: l.backward(np.ones((2, 3))), RuntimeError, "forward"),
    (lambda l: (l(np.ones((2, 4))), l.backward(np.ones((3, 3)))), ValueError, "grad_y"),
    (lambda l: mse_loss(np.ones((2, 1)), np.ones(2)), ValueError, "shape"),
    (lambda l: Linear(0, 3), ValueError, "in_features"),
    (lambda l: Linear(2.0, 3), TypeError, "in_features"),
    (lambda l: Linear(2, 3, dtype=np.int64), TypeError, "dtype"),
])
def test_bad_input_is_refused(call, error, match):
    layer, _, _ = problem()
    weight = layer.weight.data.copy()
    with pytest.raises(error, match=match):
        call(layer)
    np.testing.assert_array_equal(layer.weight.data, weight)
    assert layer.weight.grad is None


# --------------------------------------------------------------------------- training vs torch

def train(data, lr=0.1):
    """The training loop of examples/train_linear.py on the stored batches."""
    model = Linear(10, 1)
    model.weight.data[...] = data["weight0"]
    model.bias.data[...] = data["bias0"]
    optimizer = Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), weight_decay=1e-5)
    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    losses, weights, biases = [], [], []
    for inputs, targets in zip(data["inputs"], data["targets"]):
        optimizer.zero_grad()
        loss, grad_outputs = mse_loss(model(inputs.astype(np.float64)),
                                      targets.astype(np.float64))
        model.backward(grad_outputs)
        optimizer.step()
        scheduler.step()
        losses.append(loss)
        weights.append(model.weight.data.copy())
        biases.append(model.bias.data.copy())
    return np.array(losses), np.array(weights), np.array(biases)


def assert_same_run(ours, theirs):
    losses, weights, biases = ours
    np.testing.assert_allclose(losses, theirs["loss"], rtol=1e-9)
    np.testing.assert_allclose(weights, theirs["weight"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(biases, theirs["bias"], rtol=1e-9, atol=1e-12)
    assert theirs["loss"][-10:].mean() < theirs["loss"][:10].mean() / 10  # it did learn


def test_golden_training_run():
    with np.load(GOLDEN / "family_train.npz", allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    assert_same_run(train(data), data)


def test_live_training_run():
    pytest.importorskip("torch", reason=NO_TORCH)
    gen = generator("make_family_golden")
    data = gen.training_inputs(seed=11)
    assert_same_run(train(data), gen.torch_training_run(data))


def test_example_runs_and_its_loss_falls():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "train_linear.py")],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    losses = [float(v) for v in re.findall(r"loss (\d+\.\d+)", result.stdout)]
    epochs = [int(v) for v in re.findall(r"epoch +(\d+)", result.stdout)]
    assert epochs == list(range(0, 100, 10)) + [99]
    assert losses[-1] < losses[0] / 10
    assert max(losses[3:]) < min(losses[:2])
