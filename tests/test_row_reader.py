"""The row-reading RNN: shapes, the row-by-row replay equals torch, and the shipped model."""
import numpy as np
import pytest
import torch

from engine.models import build_model
from engine.row_reader import RowRNN, as_image28, read_rows


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_read_rows_matches_the_model_after_every_row(cell):
    torch.manual_seed(0)
    model = RowRNN(hidden_size=12, cell=cell).eval()
    image = np.random.default_rng(1).uniform(0, 1, (28, 28)).astype(np.float32)
    reading = read_rows(model, image)
    assert reading.probs.shape == (28, 10) and reading.hidden.shape == (28, 12)
    np.testing.assert_allclose(reading.probs.sum(1), 1, rtol=1e-5)
    x = torch.from_numpy(image)[None, None]
    # after the last row: exactly the model's own prediction
    np.testing.assert_allclose(reading.probs[-1], torch.softmax(model(x), 1)[0].detach().numpy(),
                               atol=1e-5)
    # after row t: what the model says when it reads only rows 0..t
    out, _ = model.rnn(torch.from_numpy(image)[None])  # (1, 28, 12)
    np.testing.assert_allclose(reading.hidden, out[0].detach().numpy(), atol=1e-5)
    partial = torch.softmax(model.head(model.rnn(torch.from_numpy(image[:10])[None])[0][:, -1]), 1)
    np.testing.assert_allclose(reading.probs[9], partial[0].detach().numpy(), atol=1e-5)


def test_input_shapes():
    model = build_model("row_rnn", hidden_size=8)
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert as_image28(np.zeros((1, 1, 28, 28))).shape == (28, 28)
    with pytest.raises(ValueError, match="28x28"):
        as_image28(np.zeros((8, 8)))


def test_shipped_row_model_reads_held_out_digits(mnist_dir):
    from engine.data.readers import read_idx
    from engine.row_reader import load_row_model
    model, meta = load_row_model()
    assert meta["heldout_accuracy"] > 0.9
    images = read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")[9000:9100].astype(np.float32) / 255
    labels = read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz")[9000:9100]
    with torch.no_grad():
        pred = model(torch.from_numpy(images)[:, None]).argmax(1).numpy()
    assert (pred == labels).mean() > 0.85
    reading = read_rows(model, images[0])
    assert reading.prediction == pred[0]
    # the first rows are blank margin: the guess there is far less sure than at the end
    assert reading.probs[2].max() < reading.probs[-1].max()


def test_sample_digits_are_one_of_each_class_and_read_as_28_rows():
    from engine.data.synth_digits import make_synth_digits
    from engine.row_reader import sample_digits
    samples = sample_digits()
    assert samples.shape == (10, 28, 28) and samples.dtype == np.float32
    assert 0 <= samples.min() and samples.max() <= 1 and samples.max() > 0.5
    x, y = make_synth_digits(40, seed=123)
    for d in range(10):   # sample d is the generator's first digit of class d
        np.testing.assert_array_equal(samples[d], x[int(np.flatnonzero(y == d)[0]), 0])
    np.testing.assert_array_equal(sample_digits(), samples)   # the same every time
