"""The ``torch.optim`` documentation's own examples, run on adam_ref.

Each example is written once, as in the documentation, in a function that takes the
optimizer module (``torch.optim`` or ``adam_ref.optim``: the import) and a model whose
``loss(input, target)`` computes the loss and the gradients (``loss.backward()`` in
torch, the layers' hand-derived ``backward`` here: the gradient computation). Where
torch is installed the same function runs on torch too, from the same weights, and
the parameters and state dicts are compared.
"""

from copy import deepcopy

import numpy as np
import pytest
from _golden import NO_TORCH

from adam_ref import optim as adam_optim
from adam_ref.nn import Linear, mse_loss

RNG = np.random.default_rng(11)
W = {"base.weight": RNG.normal(size=(3, 4)), "base.bias": RNG.normal(size=3),
     "classifier.weight": RNG.normal(size=(2, 3)), "classifier.bias": RNG.normal(size=2)}
DATASET = [(RNG.normal(size=(8, 4)), RNG.normal(size=(8, 2))) for _ in range(6)]


# --------------------------------------------------------------------------- the models

class Layer:
    """A Linear layer with torch's ``parameters()`` / ``named_parameters()``."""

    def __init__(self, prefix, weight, bias):
        self.prefix, self.linear = prefix, Linear(weight.shape[1], weight.shape[0])
        self.linear.weight.data[...] = weight
        self.linear.bias.data[...] = bias

    def named_parameters(self, prefix=""):
        dot = prefix + "." if prefix else ""
        return iter([(dot + "weight", self.linear.weight), (dot + "bias", self.linear.bias)])

    def parameters(self):
        return iter(self.linear.parameters())


class Net:
    """``classifier(tanh(base(x)))``, trained on the mean squared error."""

    def __init__(self):
        self.base = Layer("base", W["base.weight"], W["base.bias"])
        self.classifier = Layer("classifier", W["classifier.weight"], W["classifier.bias"])

    def named_parameters(self):
        for layer in (self.base, self.classifier):
            yield from layer.named_parameters(layer.prefix)

    def parameters(self):
        return (p for _, p in self.named_parameters())

    def loss(self, x, target):
        h = np.tanh(self.base.linear(x))
        loss, grad_y = mse_loss(self.classifier.linear(h), target)
        grad_h = self.classifier.linear.backward(grad_y)
        self.base.linear.backward(grad_h * (1 - h * h))
        return loss

    def values(self):
        return {name: p.data.copy() for name, p in self.named_parameters()}


def torch_net():
    torch = pytest.importorskip("torch", reason=NO_TORCH)

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.base = torch.nn.Linear(4, 3).double()
            self.classifier = torch.nn.Linear(3, 2).double()
            with torch.no_grad():
                for name, p in self.named_parameters():
                    p.copy_(torch.tensor(W[name]))

        def loss(self, x, target):
            out = self.classifier(torch.tanh(self.base(torch.tensor(x))))
            loss = torch.nn.functional.mse_loss(out, torch.tensor(target))
            loss.backward()
            return loss

        def values(self):
            return {name: p.detach().numpy().copy() for name, p in self.named_parameters()}

    return TorchNet()


def as_numpy(state_dict):
    """A torch state dict with its tensors as arrays (``step`` as a number)."""
    def value(key, v):
        if hasattr(v, "numpy"):
            return float(v) if key == "step" else v.numpy().copy()
        return v
    return {"state": {i: {k: value(k, v) for k, v in s.items()}
                      for i, s in state_dict["state"].items()},
            "param_groups": deepcopy(state_dict["param_groups"])}


def compare(example, *args):
    """Run ``example`` on adam_ref and, where installed, on torch; compare what it returns."""
    ours = example(adam_optim, Net(), *args)
    try:
        import torch
    except ImportError:
        return ours
    theirs = example(torch.optim, torch_net(), *args)
    assert_same_results(ours, theirs)
    return ours


def assert_same_results(ours, theirs):
    if isinstance(ours, dict) and "state" in ours and "param_groups" in ours:
        theirs = as_numpy(theirs)
        assert ours["param_groups"] == theirs["param_groups"]
        assert ours["state"].keys() == theirs["state"].keys()
        for i in ours["state"]:
            assert ours["state"][i].keys() == theirs["state"][i].keys()
            for k, v in ours["state"][i].items():
                np.testing.assert_allclose(v, theirs["state"][i][k], rtol=1e-9)
    elif isinstance(ours, dict):
        assert ours.keys() == theirs.keys()
        for k in ours:
            assert_same_results(ours[k], theirs[k])
    elif isinstance(ours, (list, tuple)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same_results(a, b)
    elif isinstance(ours, np.ndarray):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    elif isinstance(ours, float):
        assert ours == pytest.approx(float(theirs), rel=1e-9)
    else:
        assert ours == theirs


def train(model, optimizer, dataset=DATASET):
    """The documentation's "Taking an optimization step" loop."""
    for input, target in dataset:
        optimizer.zero_grad()
        model.loss(input, target)
        optimizer.step()


# --------------------------------------------------------------------------- the examples

def constructing_it(optim, model):
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    train(model, optimizer)
    var1, var2 = (p for _, p in model.named_parameters() if _.startswith("classifier"))
    optimizer2 = optim.Adam([var1, var2], lr=0.0001)
    train(model, optimizer2)
    return model.values(), optimizer.state_dict(), optimizer2.state_dict()


def named_parameters_example(optim, model):
    optimizer = optim.SGD(model.named_parameters(), lr=0.01, momentum=0.9)
    train(model, optimizer)
    var1, var2 = (p for _, p in model.named_parameters() if _.startswith("base"))
    optimizer2 = optim.Adam([('layer0', var1), ('layer1', var2)], lr=0.0001)
    train(model, optimizer2)
    return model.values(), optimizer.state_dict(), optimizer2.state_dict()


def per_parameter_options(optim, model):
    optimizer = optim.SGD([
        {'params': model.base.parameters(), 'lr': 1e-2},
        {'params': model.classifier.parameters()}
    ], lr=1e-3, momentum=0.9)
    train(model, optimizer)
    return model.values(), optimizer.state_dict()


def per_parameter_options_named(optim, model):
    optimizer = optim.SGD([
        {'params': model.base.named_parameters(), 'lr': 1e-2},
        {'params': model.classifier.named_parameters()}
    ], lr=1e-3, momentum=0.9)
    train(model, optimizer)
    return model.values(), optimizer.state_dict(), repr(optimizer)


def no_weight_decay_on_biases(optim, model):
    self = model
    bias_params = [p for name, p in self.named_parameters() if 'bias' in name]
    others = [p for name, p in self.named_parameters() if 'bias' not in name]

    optimizer = optim.SGD([
        {'params': others},
        {'params': bias_params, 'weight_decay': 0}
    ], weight_decay=1e-2, lr=1e-2)
    train(model, optimizer)
    return model.values(), optimizer.state_dict()


def step_with_closure(optim, model):
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for input, target in DATASET:
        def closure():
            optimizer.zero_grad()
            loss = model.loss(input, target)
            return loss
        losses.append(optimizer.step(closure).item())
    return model.values(), losses, optimizer.state_dict()


def step_hooks(optim, model):
    optimizer = optim.NAdam(model.named_parameters(), lr=1e-2)
    calls = []

    def pre_hook(optimizer, args, kwargs):
        calls.append(("pre", len(args), sorted(kwargs), optimizer.param_groups[0]["lr"]))

    def post_hook(optimizer, args, kwargs):
        calls.append(("post", len(args), sorted(kwargs)))
        for group in optimizer.param_groups:  # a decay applied after every step
            group["lr"] *= 0.5

    pre = optimizer.register_step_pre_hook(pre_hook)
    post = optimizer.register_step_post_hook(post_hook)
    train(model, optimizer, DATASET[:3])
    pre.remove()
    train(model, optimizer, DATASET[3:4])
    post.remove()
    train(model, optimizer, DATASET[4:])
    return model.values(), calls, optimizer.state_dict()


def save_and_load(optim, model):
    """Saving and loading the optimizer's state_dict (torch.save / torch.load: a copy kept)."""
    optimizer = optim.RAdam(model.parameters(), lr=1e-2, weight_decay=1e-3)
    train(model, optimizer, DATASET[:3])
    checkpoint = deepcopy({'optimizer_state_dict': optimizer.state_dict()})

    optimizer = optim.RAdam(model.parameters(), lr=1e-2, weight_decay=1e-3)
    optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
    train(model, optimizer, DATASET[3:])
    return model.values(), optimizer.state_dict()


class OneLayerModel(Net):
    def __init__(self, fc):
        self.fc = fc

    def named_parameters(self):
        return self.fc.named_parameters(prefix="fc")


def load_with_named_parameters(optim, model):
    """"How to utilize named parameters to load optimizer state dict": the state of a
    one-layer model's ``fc`` loaded into a two-layer model's ``fc1`` and ``fc2``."""
    one = OneLayerModel(model.base)

    def one_loss(x, target):  # the gradient computation of the one-layer model
        model.loss(x, target)
        for p in model.classifier.parameters():
            p.grad = None
    one.loss = one_loss
    optimizer = optim.SGD(one.named_parameters(), lr=0.01, momentum=0.9)
    train(one, optimizer, DATASET[:3])
    state_dict = deepcopy(optimizer.state_dict())

    two = model  # its layers named fc1 (base) and fc2 (classifier)
    names = {"base.weight": "fc1.weight", "base.bias": "fc1.bias",
             "classifier.weight": "fc2.weight", "classifier.bias": "fc2.bias"}
    optimizer2 = optim.SGD([(names[n], p) for n, p in two.named_parameters()],
                           lr=0.01, momentum=0.9)

    def adapt_state_dict_ids(optimizer, state_dict):
        adapted_state_dict = deepcopy(optimizer.state_dict())
        # Copy setup parameters (lr, weight_decay, etc.), in case they differ in the loaded state dict.
        for k, v in state_dict['param_groups'][0].items():
            if k not in ['params', 'param_names']:
                adapted_state_dict['param_groups'][0][k] = v

        lookup_dict = {
            'fc1.weight': 'fc.weight',
            'fc1.bias': 'fc.bias',
        }
        for param_id, param_name in zip(
                optimizer.state_dict()['param_groups'][0]['params'],
                optimizer.state_dict()['param_groups'][0]['param_names']):
            if param_name not in lookup_dict:
                continue
            name_in_loaded = lookup_dict[param_name]
            index_in_loaded_list = state_dict['param_groups'][0]['param_names'].index(name_in_loaded)
            id_in_loaded = state_dict['param_groups'][0]['params'][index_in_loaded_list]
            # Copy the state of the corresponding parameter
            if id_in_loaded in state_dict['state']:
                adapted_state_dict['state'][param_id] = deepcopy(state_dict['state'][id_in_loaded])

        return adapted_state_dict

    optimizer2.register_load_state_dict_pre_hook(adapt_state_dict_ids)
    optimizer2.load_state_dict(state_dict)
    loaded = deepcopy(optimizer2.state_dict())
    train(two, optimizer2, DATASET[3:])
    return model.values(), state_dict, loaded, optimizer2.state_dict()


def two_schedulers_on_one_optimizer(optim, model):
    """"Chaining" schedulers: each step() applies its own factor to the lr the other left."""
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scheduler1 = optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    scheduler2 = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[3, 6], gamma=0.1)
    lrs = []
    for epoch in range(8):
        train(model, optimizer, DATASET[:2])
        scheduler1.step()
        scheduler2.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return model.values(), lrs, optimizer.state_dict()


def sequential_warm_up_then_cosine(optim, model):
    """SequentialLR: a linear warm-up for 3 epochs, then cosine annealing."""
    optimizer = optim.AdamW(model.parameters(), lr=1e-2)
    warm_up = optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=3)
    cosine = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=7)
    scheduler = optim.lr_scheduler.SequentialLR(optimizer, schedulers=[warm_up, cosine],
                                                milestones=[3])
    lrs = []
    for epoch in range(10):
        train(model, optimizer, DATASET[:2])
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    return model.values(), lrs, optimizer.state_dict()


# --------------------------------------------------------------------------- the tests

def test_constructing_it():
    values, sgd, adam = compare(constructing_it)
    assert "param_names" not in sgd["param_groups"][0] and adam["param_groups"][0]["params"] == [0, 1]


def test_named_parameters():
    values, sgd, adam = compare(named_parameters_example)
    assert sgd["param_groups"][0]["param_names"] == list(W)
    assert adam["param_groups"][0]["param_names"] == ["layer0", "layer1"]


def test_per_parameter_options():
    values, sd = compare(per_parameter_options)
    assert [g["lr"] for g in sd["param_groups"]] == [1e-2, 1e-3]
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3]]


def test_per_parameter_options_with_named_parameters():
    values, sd, text = compare(per_parameter_options_named)
    assert [g["param_names"] for g in sd["param_groups"]] == [["weight", "bias"]] * 2
    assert "param_names: ['weight', 'bias']" in text


def test_no_weight_decay_on_biases():
    values, sd = compare(no_weight_decay_on_biases)
    assert [g["weight_decay"] for g in sd["param_groups"]] == [1e-2, 0]


def test_step_with_a_closure_returns_the_loss():
    values, losses, sd = compare(step_with_closure)
    assert len(losses) == len(DATASET) and all(np.isfinite(losses))


def test_step_hooks():
    values, calls, sd = compare(step_hooks)
    assert [c[0] for c in calls] == ["pre", "post"] * 3 + ["post"]
    assert calls[0] == ("pre", 1, [], 1e-2) and calls[2][3] == 5e-3  # args hold the optimizer


def test_saving_and_loading_the_optimizer_state_dict():
    values, sd = compare(save_and_load)
    assert all(s["step"] == len(DATASET) for s in sd["state"].values())


def test_loading_a_state_dict_by_parameter_names():
    values, saved, loaded, final = compare(load_with_named_parameters)
    assert saved["param_groups"][0]["param_names"] == ["fc.weight", "fc.bias"]
    assert loaded["param_groups"][0]["param_names"] == ["fc1.weight", "fc1.bias",
                                                        "fc2.weight", "fc2.bias"]
    for key in ("fc.weight", "fc.bias"):  # fc1 continues from fc's momentum buffer
        index = saved["param_groups"][0]["param_names"].index(key)
        np.testing.assert_array_equal(loaded["state"][index]["momentum_buffer"],
                                      saved["state"][index]["momentum_buffer"])
    assert sorted(loaded["state"]) == [0, 1] and sorted(final["state"]) == [0, 1, 2, 3]


def test_two_schedulers_on_one_optimizer():
    values, lrs, sd = compare(two_schedulers_on_one_optimizer)
    expected = [0.01 * 0.9 ** (e + 1) * 0.1 ** ((e + 1 >= 3) + (e + 1 >= 6)) for e in range(8)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)


def test_sequential_lr_warm_up_then_cosine():
    values, lrs, sd = compare(sequential_warm_up_then_cosine)
    assert lrs[0] == pytest.approx(0.01 * (0.1 + 0.9 / 3)) and max(lrs) == pytest.approx(0.01)
    assert all(a >= b for a, b in zip(lrs[3:], lrs[4:]))  # cosine: falling after the warm-up
