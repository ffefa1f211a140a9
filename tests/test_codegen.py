"""engine.codegen.training_loop_code: the Train page's loop as code, executed on tiny data."""
import dataclasses
import math

import pytest
import torch
from torch.utils.data import TensorDataset

from engine.codegen import model_code, training_loop_code
from engine.data import DATASETS
from engine.models import build_model
from engine.train import fit
from engine.train_job import CnnRunConfig, build_cnn

N = 8   # images in the injected training set: with batch_size N one epoch is one step
DATA = "train_set, test_set = TINY_TRAIN, TINY_TEST  # injected by the test"


def tiny_data(shape=(1, 28, 28), n=N, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand((n, *shape), generator=g)
    y = torch.arange(n) % 10
    return TensorDataset(x, y), TensorDataset(x[:4].clone(), y[:4].clone())


def run_code(code: str, train, test) -> dict:
    scope = {"TINY_TRAIN": train, "TINY_TEST": test}
    torch.set_num_threads(1)
    exec(compile(code, "<training loop>", "exec"), scope)
    return scope


def weights(model):
    return [p.detach().cpu().clone() for p in model.parameters()]


@pytest.mark.parametrize("arch, dataset, extra", [
    ("lenet5", "generated", {}),
    ("tinyvgg", "generated", {"batchnorm": True, "dropout": 0.3, "activation": "leaky_relu"}),
    ("mlp", "generated", {"optimizer": "sgd", "lr": 0.05, "momentum": 0.5}),
    ("cifarnet", "cifar10", {}),
])
def test_the_code_runs_one_step_and_moves_the_weights(arch, dataset, extra, capsys):
    info = DATASETS[dataset]
    # (a constant rate: a one-cycle run of one step would start near lr / 10,000)
    config = CnnRunConfig(dataset=dataset, arch=arch, batch_size=N, epochs=1, seed=5,
                          device="cpu", schedule="constant", **extra)
    train, test = tiny_data(info.input_shape)
    before = run_code(training_loop_code(dataclasses.replace(config, epochs=0, schedule="constant"),
                                         info, data_code=DATA), train, test)
    after = run_code(training_loop_code(config, info, data_code=DATA), train, test)
    assert math.isfinite(after["loss"].item())
    assert "test accuracy" in capsys.readouterr().out
    w0, w1 = weights(before["model"]), weights(after["model"])
    assert len(w0) == len(w1) > 0
    assert all(not torch.equal(a, b) for a, b in zip(w0, w1))   # every tensor took the step
    # the seeded Sequential starts from the page's own initial weights (build_cnn)
    zoo = weights(build_cnn(config, info))
    assert all(torch.equal(a, b) for a, b in zip(w0, zoo)) and len(zoo) == len(w0)


def test_one_shown_step_is_the_step_the_engine_takes():
    """Batch = the whole set, two epochs: the shown loop and engine.train.fit take the same two
    steps from the same weights (the shuffled order only changes the sum's order; the second
    step is where SGD's momentum shows)."""
    info = DATASETS["generated"]
    for optimizer, schedule in (("adam", "onecycle"), ("sgd", "constant"), ("sgd", "onecycle")):
        config = CnnRunConfig(arch="lenet5", optimizer=optimizer, lr=0.01, momentum=0.5,
                              schedule=schedule, batch_size=N, epochs=2, seed=2, device="cpu")
        train, test = tiny_data(seed=4)
        shown = run_code(training_loop_code(config, info, data_code=DATA), train, test)
        model = build_cnn(config, info)
        result = fit(config.train_config(1), model, train, test, lambda e: None)
        assert result.status == "finished" and result.steps == 2
        for a, b in zip(weights(shown["model"]), weights(model)):
            assert torch.allclose(a, b, atol=1e-6)
        assert not torch.allclose(weights(model)[0], weights(build_cnn(config, info))[0])


def test_the_code_says_the_settings():
    info = DATASETS["generated"]
    code = training_loop_code(CnnRunConfig(optimizer="sgd", lr=0.001, momentum=0.9,
                                           schedule="constant", batch_size=4, epochs=7), info)
    assert "torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)" in code
    assert "DataLoader(train_set, batch_size=4, shuffle=True)" in code
    assert "for epoch in range(7):" in code
    for line in ('device = "cuda" if torch.cuda.is_available() else "cpu"', "model.to(device)",
                 "x, y = x.to(device), y.to(device)", "optimizer.zero_grad()",
                 "loss.backward()", "optimizer.step()", "nn.CrossEntropyLoss()", "model.eval()"):
        assert line in code
    assert 'load_dataset("generated", train_size=10000, test_size=2000, seed=0)' in code
    adam = training_loop_code(CnnRunConfig(lr=0.0003), info)
    assert "torch.optim.Adam(model.parameters(), lr=0.0003)" in adam and "momentum" not in adam
    assert "OneCycleLR(optimizer, max_lr=0.0003, total_steps=4 * len(train_loader))" in adam
    assert "        scheduler.step()" in adam and "scheduler" not in code   # SGD here: constant
    folder = training_loop_code(CnnRunConfig(dataset="mnist", train_size=0), DATASETS["mnist"],
                                root="/data/mnist")
    assert 'load_dataset("mnist", root="/data/mnist", train_size=None' in folder


def test_the_shown_data_lines_run_as_shown():
    """Without injected data the code loads the page's dataset itself (generated digits)."""
    config = CnnRunConfig(train_size=N, test_size=4, batch_size=N, epochs=1, device="cpu")
    scope = run_code(training_loop_code(config, DATASETS["generated"]), None, None)
    assert len(scope["train_set"]) == N and math.isfinite(scope["accuracy"])


def test_a_layer_it_cannot_spell_out_falls_back_to_build_model():
    lines = model_code("lenet5", {"input_shape": (1, 28, 28), "num_classes": 10})
    assert any(line.startswith("model = nn.Sequential(") for line in lines)
    # a recurrent zoo model has no features/classifier: build_model(...) from the zoo
    from engine import rnn_models
    name = next(iter(rnn_models.ARCHITECTURES))
    fallback = model_code(name, {"vocab_size": 20})
    assert fallback[-1].startswith(f"model = build_model({name!r}")
    scope = {}
    exec("import torch\n" + "\n".join(fallback), scope)
    assert type(scope["model"]) is type(build_model(name, vocab_size=20))
