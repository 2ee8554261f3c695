"""Module, Sequential, ReLU, Tanh and cross_entropy: torch's autograd (float64, 1e-10),
finite differences, torch's names and state dicts, and the checkpoint recipe."""

import copy
from collections import OrderedDict

import numpy as np
import pytest
from _golden import GOLDEN, NO_TORCH, generator

from adam_ref import SGD, Adam, Param
from adam_ref.nn import Linear, Module, ReLU, Sequential, Tanh, cross_entropy, mse_loss

SIZES = (5, 16, 12, 4)


def mlp(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return Sequential(Linear(SIZES[0], SIZES[1], rng=rng, dtype=dtype), Tanh(),
                      Linear(SIZES[1], SIZES[2], rng=rng, dtype=dtype), ReLU(),
                      Linear(SIZES[2], SIZES[3], rng=rng, dtype=dtype))


def batch(seed=1, n=8, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, SIZES[0])).astype(dtype), rng.integers(0, SIZES[3], size=n)


def torch_mlp(model):
    """The same MLP in torch, float64, with our weights."""
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    tm = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.Tanh(),
                             torch.nn.Linear(SIZES[1], SIZES[2]), torch.nn.ReLU(),
                             torch.nn.Linear(SIZES[2], SIZES[3])).double()
    with torch.no_grad():
        for name, p in tm.named_parameters():
            p.copy_(torch.tensor(model.state_dict()[name]))
    return tm


def snapshot(model):
    return [(name, p.data.tobytes(), None if p.grad is None else p.grad.tobytes())
            for name, p in model.named_parameters()]


# --------------------------------------------------------------------------- names and structure

def test_named_parameters_follow_torchs_names_and_order():
    model = mlp()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert model.parameters() == [p for _, p in model.named_parameters()]
    assert all(isinstance(p, Param) for p in model.parameters())
    assert list(model.state_dict()) == names
    assert [n for n, _ in Linear(3, 2, bias=False).named_parameters()] == ["weight"]
    named = Sequential(OrderedDict([("hidden", Linear(3, 4)), ("act", ReLU()),
                                    ("out", Linear(4, 1))]))
    assert [n for n, _ in named.named_parameters()] == ["hidden.weight", "hidden.bias",
                                                        "out.weight", "out.bias"]
    assert len(model) == 5 and isinstance(model[1], Tanh) and model[-1] is model[4]
    # a slice keeps the names, as torch's
    assert [n for n, _ in model[2:].named_parameters()] == ["2.weight", "2.bias",
                                                             "4.weight", "4.bias"]
    # a Param shared by two layers is listed once, as in torch
    shared = Sequential(model[0], model[0])
    assert len(shared.parameters()) == 2


def test_live_names_and_repr_match_torch():
    model = mlp()
    tm = torch_mlp(model)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert list(model.state_dict()) == list(tm.state_dict())
    assert repr(model) == repr(tm)
    assert [n for n, _ in model.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [n for n, _ in model[1:4].named_parameters()] == \
        [n for n, _ in tm[1:4].named_parameters()]


def test_call_is_forward_and_the_base_class_needs_forward_and_backward():
    model = mlp()
    x, _ = batch()
    np.testing.assert_array_equal(model(x), model.forward(x))
    with pytest.raises(NotImplementedError, match="forward"):
        Module()(x)
    with pytest.raises(NotImplementedError, match="backward"):
        Module().backward(x)
    with pytest.raises(TypeError, match="Sequential takes Modules"):
        Sequential(Linear(2, 2), np.tanh)
    with pytest.raises(ValueError, match="cannot be named 'forward'"):
        Sequential(OrderedDict([("forward", ReLU())]))
    with pytest.raises(ValueError, match="without '.'"):
        Sequential(OrderedDict([("a.b", ReLU())]))


def test_train_eval_set_training_everywhere_and_return_the_module():
    model = mlp()
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert model.train() is model and all(m.training for m in model.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        model.train("no")
    assert model.training


def test_zero_grad_to_none_or_to_zeros():
    model = mlp()
    x, t = batch()
    model.backward(cross_entropy(model(x), t)[1])
    grads = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.any() for p, g in zip(model.parameters(), grads))
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# --------------------------------------------------------------------------- gradients vs torch

def test_live_mlp_cross_entropy_loss_and_gradients_match_torch():
    """An MLP on a small batch with cross_entropy: loss and every gradient as the
    same torch model computes them (float64, within 1e-10); twice, so grads accumulate."""
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    model = mlp()
    tm = torch_mlp(model)
    x, t = batch()
    tx = torch.tensor(x, requires_grad=True)
    for _ in range(2):
        loss, grad_logits = cross_entropy(model(x), t)
        grad_x = model.backward(grad_logits)
        tx.grad = None
        tloss = torch.nn.functional.cross_entropy(tm(tx), torch.tensor(t))
        tloss.backward()
        assert abs(loss - tloss.item()) <= 1e-10
        for (name, p), (tname, tp) in zip(model.named_parameters(), tm.named_parameters()):
            assert name == tname
            np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-10,
                                       err_msg=name)
        np.testing.assert_allclose(grad_x, tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    assert np.abs(model[0].weight.grad).max() > 1e-3  # the gradients are not vacuous


@pytest.mark.parametrize("layer", ["ReLU", "Tanh"])
def test_live_activations_match_torch(layer):
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 4, 5)) * 3
    x[0, 0, :3] = [0.0, -0.0, 1e-300]  # ReLU's kink: torch's gradient at 0 is 0
    grad_y = rng.normal(size=x.shape)
    ours = {"ReLU": ReLU, "Tanh": Tanh}[layer]()
    tx = torch.tensor(x, requires_grad=True)
    ty = getattr(torch.nn, layer)()(tx)
    ty.backward(torch.tensor(grad_y))
    np.testing.assert_allclose(ours(x), ty.detach().numpy(), rtol=1e-15, atol=0)
    np.testing.assert_allclose(ours.backward(grad_y), tx.grad.numpy(), rtol=1e-10, atol=1e-300)


def test_live_cross_entropy_matches_torch_for_large_and_float32_logits():
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    rng = np.random.default_rng(5)
    t = rng.integers(0, 6, size=10)
    for z, rtol in [(rng.normal(size=(10, 6)) * 300 + 1e4, 1e-12),
                    (rng.normal(size=(10, 6)).astype(np.float32), 1e-5)]:
        tz = torch.tensor(z, requires_grad=True)
        tloss = torch.nn.functional.cross_entropy(tz, torch.tensor(t))
        tloss.backward()
        loss, grad = cross_entropy(z, t)
        assert np.isfinite(loss) and loss.dtype == grad.dtype == z.dtype
        np.testing.assert_allclose(loss, tloss.item(), rtol=rtol)
        np.testing.assert_allclose(grad, tz.grad.numpy(), rtol=rtol, atol=rtol * 1e-3)


def central_difference(f, array, h=1e-6):
    numeric = np.zeros_like(array)
    for i in np.ndindex(array.shape):
        saved = array[i]
        array[i] = saved + h
        up = f()
        array[i] = saved - h
        down = f()
        array[i] = saved
        numeric[i] = (up - down) / (2 * h)
    return numeric


def test_mlp_gradients_match_central_differences():
    model = mlp(seed=2)
    x, t = batch(seed=3, n=5)

    def loss():
        return cross_entropy(model(x), t)[0]

    grad_x = model.backward(cross_entropy(model(x), t)[1])
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, central_difference(loss, p.data), rtol=1e-6,
                                   atol=1e-9, err_msg=name)
    np.testing.assert_allclose(grad_x, central_difference(loss, x), rtol=1e-6, atol=1e-9)


def test_sequential_with_mse_loss_matches_central_differences():
    rng = np.random.default_rng(6)
    model = Sequential(Linear(3, 6, rng=rng), ReLU(), Linear(6, 2, rng=rng), Tanh())
    x, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))

    def loss():
        return mse_loss(model(x), target)[0]

    model.backward(mse_loss(model(x), target)[1])
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, central_difference(loss, p.data), rtol=1e-6,
                                   atol=1e-9, err_msg=name)


def test_cross_entropy_follows_its_equations():
    rng = np.random.default_rng(7)
    z, t = rng.normal(size=(6, 3)), rng.integers(0, 3, size=6)
    loss, grad = cross_entropy(z, t)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(6), t])), rel=1e-14)
    onehot = np.eye(3)[t]
    np.testing.assert_allclose(grad, (p - onehot) / 6, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-16)
    # softmax is shift-invariant: a huge common offset changes nothing (stable lse)
    big_loss, big_grad = cross_entropy(z + 1e4, t)  # exp(1e4) alone would overflow
    assert big_loss == pytest.approx(loss, rel=1e-9)
    np.testing.assert_allclose(big_grad, grad, atol=1e-12)
    assert cross_entropy(np.array([[1000.0, -1000.0]]), np.array([1]))[0] == 2000.0


@pytest.mark.parametrize("call, error, match", [
    (lambda: cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])), TypeError, "integer"),
    (lambda: cross_entropy(np.zeros((2, 3)), np.array([True, False])), TypeError, "integer"),
    (lambda: cross_entropy(np.zeros((2, 3)), np.array([0, 3])), ValueError,
     "target 3 is out of bounds for 3 classes"),
    (lambda: cross_entropy(np.zeros((2, 3)), np.array([-1, 0])), ValueError, "out of bounds"),
    (lambda: cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2])), ValueError, r"shape \(2,\)"),
    (lambda: cross_entropy(np.zeros(3), np.array(0)), ValueError, r"\(N, C\)"),
    (lambda: cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int)), ValueError, r"\(N, C\)"),
    (lambda: cross_entropy(np.zeros((2, 3), dtype=int), np.array([0, 1])), TypeError, "logits"),
    (lambda: ReLU().backward(np.ones(3)), RuntimeError, "forward"),
    (lambda: (lambda r: (r(np.ones(3)), r.backward(np.ones(4))))(Tanh()), ValueError, "grad_y"),
])
def test_bad_input_is_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------- state dicts

def test_state_dict_is_a_copy_and_load_state_dict_writes_in_place():
    model, other = mlp(seed=0), mlp(seed=9)
    sd = model.state_dict()
    sd["0.weight"][...] = 0  # a copy: the model is unaffected
    assert model[0].weight.data.any()
    arrays = [p.data for p in other.parameters()]
    result = other.load_state_dict(model.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert all(p.data is a for p, a in zip(other.parameters(), arrays))  # same arrays
    x, _ = batch()
    np.testing.assert_array_equal(other(x), model(x))


def bad_dicts():
    def change(f):
        def make(model):
            sd = model.state_dict()
            sd["4.bias"] = sd["4.bias"] + 1  # a valid change, which must not be applied
            f(sd)
            return sd
        return make
    return {
        "missing": (change(lambda sd: sd.pop("2.weight")), 'Missing key\\(s\\) in state_dict: '
                                                           '"2.weight"'),
        "unexpected": (change(lambda sd: sd.update({"5.weight": np.ones(2)})),
                       'Unexpected key\\(s\\) in state_dict: "5.weight"'),
        "shape": (change(lambda sd: sd.update({"0.bias": np.ones(15)})),
                  r"0.bias: size mismatch: copying a param with shape \(15,\), the shape in the "
                  r"current model is \(16,\)"),
        "int dtype": (change(lambda sd: sd.update({"2.bias": np.ones(12, dtype=int)})),
                      "2.bias: expected a floating-point array"),
        "nan": (change(lambda sd: sd["0.weight"].__setitem__((1, 2), np.nan)),
                "0.weight: 1 non-finite value"),
        "overflow": (change(lambda sd: sd.update({"0.bias": np.full(16, 1e300)})),
                     "0.bias: 16 non-finite values \\(NaN or inf after the cast to float32\\)"),
        "string": (change(lambda sd: sd.update({"2.bias": "zeros"})),
                   "2.bias: expected an array, got str"),
        "several": (change(lambda sd: (sd.pop("0.bias"), sd.update({"2.bias": None}))),
                    '(?s)Missing key.*"0.bias".*2.bias: expected an array, got NoneType'),
    }


@pytest.mark.parametrize("case", bad_dicts())
def test_load_state_dict_is_checked_in_full_and_changes_nothing_on_error(case):
    make, match = bad_dicts()[case]
    dtype = np.float32 if case == "overflow" else np.float64
    model = mlp(seed=3, dtype=dtype)
    source = mlp(seed=4, dtype=dtype)
    if case == "overflow":
        state = source.state_dict()
        state["4.bias"] = state["4.bias"] + 1
        state["0.bias"] = np.full(16, 1e300)  # float64 values beyond float32's range
    else:
        state = make(source)
    before = snapshot(model)
    with pytest.raises(RuntimeError, match=match) as error:
        model.load_state_dict(state)
    assert str(error.value).startswith("Error(s) in loading state_dict for Sequential:")
    assert snapshot(model) == before


def test_load_state_dict_not_strict_reports_the_keys_and_loads_the_rest():
    model, source = mlp(seed=3), mlp(seed=4)
    state = source.state_dict()
    del state["4.bias"]
    state["extra"] = np.ones(1)
    bias = model[4].bias.data.copy()
    result = model.load_state_dict(state, strict=False)
    assert result == (["4.bias"], ["extra"])
    np.testing.assert_array_equal(model[0].weight.data, source[0].weight.data)
    np.testing.assert_array_equal(model[4].bias.data, bias)
    with pytest.raises(TypeError, match="dict-like"):
        model.load_state_dict([("0.weight", np.ones((16, 5)))])


def test_live_torch_state_dict_loads_and_torchs_errors_are_the_same_kind():
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    model = mlp(seed=5)
    tm = torch_mlp(mlp(seed=6))
    model.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    x, _ = batch()
    np.testing.assert_allclose(model(x), tm(torch.tensor(x)).detach().numpy(), rtol=1e-14)
    bad = {k: v for k, v in tm.state_dict().items() if k != "2.weight"}
    with pytest.raises(RuntimeError) as expected:
        tm.load_state_dict(bad)
    with pytest.raises(RuntimeError) as got:
        model.load_state_dict({k: v.numpy() for k, v in bad.items()})
    assert str(got.value).strip() == str(expected.value).strip()


# --------------------------------------------------------------------------- torch docs recipes

def train_steps(model, optimizer, steps, seed):
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        x, t = rng.normal(size=(8, SIZES[0])), rng.integers(0, SIZES[3], size=8)
        optimizer.zero_grad()
        loss, grad = cross_entropy(model(x), t)
        model.backward(grad)
        optimizer.step()
        losses.append(loss)
    return losses


def test_checkpoint_recipe_save_load_and_continue_identically(tmp_path):
    """torch's "saving and loading a general checkpoint" recipe: save model and
    optimizer state_dicts (model arrays through an .npz file), load them into fresh
    objects, continue: the two runs agree to the bit."""
    model = mlp(seed=0)
    optimizer = Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    loss = train_steps(model, optimizer, 10, seed=1)[-1]
    np.savez(tmp_path / "model.npz", **model.state_dict())
    checkpoint = copy.deepcopy({"epoch": 10, "optimizer_state_dict": optimizer.state_dict(),
                                "loss": loss})

    fresh = mlp(seed=123)
    fresh_optimizer = Adam(fresh.parameters(), lr=0.01, weight_decay=1e-4)
    with np.load(tmp_path / "model.npz", allow_pickle=False) as z:
        fresh.load_state_dict({k: z[k] for k in z.files})
    fresh_optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    fresh.train()
    assert checkpoint["epoch"] == 10 and checkpoint["loss"] == loss
    assert train_steps(fresh, fresh_optimizer, 15, seed=2) == \
        train_steps(model, optimizer, 15, seed=2)
    assert snapshot(fresh) == snapshot(model)


def test_live_checkpoint_recipe_follows_torchs_run():
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    model = mlp(seed=0)
    tm = torch_mlp(model)
    optimizer = Adam(model.parameters(), lr=0.01)
    topt = torch.optim.Adam(tm.parameters(), lr=0.01, foreach=False)
    rng = np.random.default_rng(8)
    data = [(rng.normal(size=(8, SIZES[0])), rng.integers(0, SIZES[3], size=8))
            for _ in range(20)]

    def torch_steps(tm, topt, part):
        for x, t in part:
            topt.zero_grad()
            torch.nn.functional.cross_entropy(tm(torch.tensor(x)), torch.tensor(t)).backward()
            topt.step()

    def our_steps(model, optimizer, part):
        for x, t in part:
            optimizer.zero_grad()
            model.backward(cross_entropy(model(x), t)[1])
            optimizer.step()

    our_steps(model, optimizer, data[:10])
    torch_steps(tm, topt, data[:10])
    saved = copy.deepcopy({"model": model.state_dict(), "optimizer": optimizer.state_dict()})
    tsaved = copy.deepcopy({"model": tm.state_dict(), "optimizer": topt.state_dict()})
    model, tm = mlp(seed=50), torch_mlp(mlp(seed=51))
    optimizer = Adam(model.parameters(), lr=0.01)
    topt = torch.optim.Adam(tm.parameters(), lr=0.01, foreach=False)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    tm.load_state_dict(tsaved["model"])
    topt.load_state_dict(tsaved["optimizer"])
    our_steps(model, optimizer, data[10:])
    torch_steps(tm, topt, data[10:])
    for (name, p), (_, tp) in zip(model.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


def test_live_no_weight_decay_on_biases_idiom_matches_torch():
    """The documentation's idiom, split by name into two groups of plain params."""
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    model = mlp(seed=1)
    tm = torch_mlp(model)

    def groups(named):
        named = list(named)
        decay = [p for n, p in named if not n.endswith("bias")]
        no_decay = [p for n, p in named if n.endswith("bias")]
        return [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]

    optimizer = SGD(groups(model.named_parameters()), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(groups(tm.named_parameters()), lr=0.1, momentum=0.9, foreach=False)
    x, t = batch(n=16)
    for _ in range(5):
        optimizer.zero_grad()
        model.backward(cross_entropy(model(x), t)[1])
        optimizer.step()
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tm(torch.tensor(x)), torch.tensor(t)).backward()
        topt.step()
    for (name, p), (_, tp) in zip(model.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


# --------------------------------------------------------------------------- golden (no torch)

def golden_model(data):
    model = mlp()
    model.load_state_dict({k: data[k] for k in model.state_dict()})
    return model


def test_golden_mlp_cross_entropy_loss_gradients_and_sgd_run():
    with np.load(GOLDEN / "nn_mlp.npz", allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    gen = generator("make_nn_golden")
    params, x, target = gen.inputs()
    np.testing.assert_array_equal(data["x"], x)
    np.testing.assert_array_equal(data["target"], target)
    model = golden_model(data)
    loss, grad_logits = cross_entropy(model(data["x"]), data["target"])
    grad_x = model.backward(grad_logits)
    assert abs(loss - data["loss"]) <= 1e-10
    np.testing.assert_allclose(grad_x, data["grad.x"], rtol=1e-10, atol=1e-10)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, data[f"grad.{name}"], rtol=1e-10, atol=1e-10,
                                   err_msg=name)
    model = golden_model(data)
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(gen.STEPS):
        optimizer.zero_grad()
        model.backward(cross_entropy(model(data["x"]), data["target"])[1])
        optimizer.step()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.data, data[f"sgd.{name}"], rtol=1e-10, atol=1e-12,
                                   err_msg=name)
        assert not np.allclose(p.data, data[name])  # the run moved every param
