"""engine.train_job: the Train a CNN page's run without Qt: data, model, throttled snapshots."""
import math

import numpy as np
import pytest
import torch

import engine.data as data
from engine.data import DATASETS
from engine.models import build_model
from engine.train import fit
from engine.train_job import (
    CnnRunConfig, CnnTrainingJob, DataCache, SnapshotThrottle, build_cnn, fixed_samples,
    image_input_shape, images_used, run_meta, steps_per_epoch,
)

TINY = dict(dataset="generated", train_size=64, test_size=40, batch_size=32, epochs=2, seed=3,
            device="cpu")


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_throttle_takes_the_first_then_at_most_one_per_interval():
    clock = FakeClock()
    taken = []
    throttle = SnapshotThrottle(lambda m: taken.append(clock.now) or {"t": clock.now}, 1.0,
                                first_extras={"info": "x"}, clock=clock)
    outs = []
    for t in (0.0, 0.3, 0.99, 1.0, 1.5, 2.2, 2.3):
        clock.now = t
        outs.append(throttle(None))
    assert taken == [0.0, 1.0, 2.2]
    assert [o is None for o in outs] == [False, True, True, False, True, False, True]
    assert outs[0] == {"t": 0.0, "info": "x"} and "info" not in outs[3]
    assert throttle.taken == 3


def test_fixed_samples_follow_the_seed():
    x = torch.arange(50, dtype=torch.float32).reshape(50, 1, 1, 1)
    y = torch.arange(50) % 10
    a = fixed_samples(torch.utils.data.TensorDataset(x, y), seed=4, n=8)
    b = fixed_samples(torch.utils.data.TensorDataset(x, y), seed=4, n=8)
    c = fixed_samples(torch.utils.data.TensorDataset(x, y), seed=5, n=8)
    pick = torch.randperm(50, generator=torch.Generator().manual_seed(4))[:8]
    assert torch.equal(a.images[:, 0, 0, 0], pick.float()) and torch.equal(a.truth, pick % 10)
    assert torch.equal(a.sample, a.images[:1]) and torch.equal(a.images, b.images)
    assert not torch.equal(a.images, c.images)


def test_sizes_meta_and_the_seeded_model():
    config = CnnRunConfig(**TINY)
    info = DATASETS["generated"]
    assert images_used(config, info) == 64 and steps_per_epoch(config, info) == 2
    assert images_used(CnnRunConfig(train_size=0), info) == info.n_train
    torch.manual_seed(123)   # the global seed must not matter
    a = build_cnn(config, info)
    torch.manual_seed(0)
    b = build_cnn(config, info)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    meta = run_meta(config, info)
    assert meta["arch"] == "lenet5" and meta["kwargs"]["input_shape"] == [1, 28, 28]
    assert meta["settings"]["seed"] == 3 and meta["classes"] == info.classes
    assert image_input_shape(meta) == (1, 28, 28)
    assert image_input_shape({"kwargs": {"input_shape": "abc"}}) is None
    assert image_input_shape({}) is None
    assert config.train_config(steps_per_epoch=400).snapshot_every == 10
    assert config.train_config(steps_per_epoch=2).snapshot_every == 1


def test_a_tiny_run_sends_snapshots_and_a_final_state_that_match_torch():
    torch.set_num_threads(1)
    config = CnnRunConfig(**TINY)
    info = data.describe_dataset("generated")
    model = build_cnn(config, info)
    events = []
    job = CnnTrainingJob(config, model, interval_s=0.0)
    result = job(events.append)
    assert result.status == "finished" and result.steps == 4
    kinds = [e.kind for e in events]
    assert kinds.count("step") == 4 and kinds.count("epoch") == 2 and kinds[-1] == "final"
    snaps = [e.snapshot for e in events if e.snapshot is not None]
    assert "info" in snaps[0] and all("info" not in s for s in snaps[1:])
    loaded = data.load_dataset("generated", None, 64, 40, 3)
    fixed = fixed_samples(loaded.test, 3)
    assert np.array_equal(snaps[0]["images"], fixed.images.numpy())
    assert np.array_equal(snaps[0]["truth"], fixed.truth.numpy())
    final = events[-1].snapshot
    with torch.no_grad():
        probs = torch.softmax(model.eval()(fixed.images), 1)
    assert final["predicted"].tolist() == probs.argmax(1).tolist()
    assert np.allclose(final["probability"], probs.max(1).values.numpy(), atol=1e-6)
    assert np.allclose(final["filters"], model.features[0].weight[:, 0].detach().numpy())
    epoch = [e for e in events if e.kind == "epoch"][-1]
    assert epoch.confusion.sum() == 40
    assert math.isclose(np.trace(epoch.confusion) / 40, result.test_accuracy)


def test_the_throttle_thins_snapshots_in_a_run():
    config = CnnRunConfig(**{**TINY, "epochs": 1})
    model = build_cnn(config, DATASETS["generated"])
    events = []
    CnnTrainingJob(config, model, interval_s=3600.0)(events.append)
    steps = [e for e in events if e.kind == "step"]
    assert [e.snapshot is not None for e in steps] == [True, False]   # only the first


def test_the_cache_loads_once_per_choice(monkeypatch):
    calls = []
    real = data.load_dataset
    monkeypatch.setattr(data, "load_dataset", lambda *a: calls.append(a) or real(*a))
    cache = DataCache()
    config = CnnRunConfig(**TINY)
    first = cache.load(config, None)
    assert cache.load(config, None) is first and len(calls) == 1
    cache.load(CnnRunConfig(**{**TINY, "seed": 4}), None)
    assert len(calls) == 2


def test_missing_files_are_a_data_error_not_an_exception(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", tmp_path / "no-debian")
    config = CnnRunConfig(**{**TINY, "dataset": "fashion_mnist"})
    model = build_model("lenet5")
    result = CnnTrainingJob(config, model, root=str(tmp_path / "empty"))(lambda e: None)
    assert result.status == "data_error" and "not found" in result.message


def test_the_config_owns_the_activation_choice():
    """CnnRunConfig.activation reaches the model (Leaky ReLU lets x < 0 through with slope
    0.01), the checkpoint's kwargs and settings; ReLU leaves the kwargs as older code wrote
    them; a name engine.models does not know is refused."""
    from engine.models import ACTIVATIONS
    assert CnnRunConfig().activation == "relu" and set(ACTIVATIONS) == {"relu", "leaky_relu"}
    info = DATASETS["generated"]
    relu = build_cnn(CnnRunConfig(**TINY), info)
    leaky_config = CnnRunConfig(**TINY, activation="leaky_relu")
    leaky = build_cnn(leaky_config, info)
    assert "activation" not in CnnRunConfig(**TINY).model_kwargs(info)
    assert leaky_config.model_kwargs(info)["activation"] == "leaky_relu"
    # the same seed: the same weights (an activation holds none), other outputs
    assert relu.state_dict().keys() == leaky.state_dict().keys()
    assert all(torch.equal(p, q) for p, q in zip(relu.parameters(), leaky.parameters()))
    acts = [m for m in leaky.modules() if isinstance(m, torch.nn.LeakyReLU)]
    assert acts and not any(isinstance(m, torch.nn.ReLU) for m in leaky.modules())
    x = torch.tensor([-2.0, 3.0])
    assert torch.allclose(acts[0](x), torch.tensor([-0.02, 3.0]))
    images = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        assert not torch.allclose(relu.eval()(images), leaky.eval()(images))
    meta = run_meta(leaky_config, info)
    assert meta["kwargs"]["activation"] == "leaky_relu"
    assert meta["settings"]["activation"] == "leaky_relu"
    rebuilt = build_model(meta["arch"], **meta["kwargs"])
    rebuilt.load_state_dict(leaky.state_dict())
    with torch.no_grad():
        assert torch.equal(rebuilt.eval()(images), leaky(images))
    with pytest.raises(ValueError, match="unknown activation 'tanh'"):
        CnnRunConfig(activation="tanh")


def test_a_job_without_a_model_builds_the_seeded_one_in_its_own_thread():
    """model=None: the job builds build_cnn(config, info) where it runs (the worker thread, not
    the page's Start click); the run is then the same as one handed that model."""
    import threading
    torch.set_num_threads(1)
    config = CnnRunConfig(**{**TINY, "epochs": 1})
    given = build_cnn(config, DATASETS["generated"])
    CnnTrainingJob(config, given)(lambda e: None)
    job = CnnTrainingJob(config)
    built_in = []
    real_build = build_model

    def watch(*args, **kwargs):
        built_in.append(threading.current_thread().name)
        return real_build(*args, **kwargs)

    import engine.train_job as train_job
    train_job.build_model = watch
    try:
        thread = threading.Thread(target=job, args=(lambda e: None,), name="worker")
        thread.start()
        thread.join()
    finally:
        train_job.build_model = real_build
    assert built_in == ["worker"] and job.model is not None
    assert all(torch.equal(p, q) for p, q in zip(job.model.parameters(), given.parameters()))


def test_sgd_momentum_is_the_config_s():
    """The run's SGD uses the config's momentum: 0.5 and 0.0 end in different weights, each
    the weights of torch.optim.SGD with that momentum on the same full batch."""
    info = DATASETS["generated"]
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(8, 1, 28, 28, generator=g), torch.arange(8) % 10
    train = torch.utils.data.TensorDataset(x, y)
    ends = {}
    for momentum in (0.0, 0.5):
        config = CnnRunConfig(optimizer="sgd", lr=0.05, momentum=momentum, schedule="constant",
                              batch_size=8, epochs=3, seed=1, device="cpu")
        assert config.train_config(1).momentum == momentum
        model = build_cnn(config, info)
        fit(config.train_config(1), model, train, None, lambda e: None)
        manual = build_cnn(config, info)
        opt = torch.optim.SGD(manual.parameters(), lr=0.05, momentum=momentum)
        for _ in range(3):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(manual(x), y).backward()
            opt.step()
        for a, b in zip(model.parameters(), manual.parameters()):
            assert torch.allclose(a, b, atol=1e-5)
        ends[momentum] = model.features[0].weight.detach().clone()
    assert not torch.allclose(ends[0.0], ends[0.5])
