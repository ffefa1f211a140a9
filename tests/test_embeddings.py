"""engine.embeddings' nn.Embedding example and engine.text_pipeline, against torch itself."""
import contextlib
import io
import re

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from engine.embeddings import NOTES_IDS, encoding_sizes, lookup_example, one_hot_product
from engine.rnn_models import SENTIMENT_MODEL_LABELS, SentimentRNN, load_sentiment_model
from engine.text import sentiment_vocab, tokenize
from engine.text_pipeline import MAX_TOKENS, NoWords, pipeline_code, trace_pipeline


def test_lookup_is_the_notes_example_and_picks_rows():
    ex = lookup_example()
    torch.manual_seed(0)
    reference = nn.Embedding(6, 2)
    np.testing.assert_array_equal(ex.weight, reference.weight.detach().numpy())
    ids = torch.tensor([[0, 1, 2], [3, 4, 5]])
    assert ex.ids.tolist() == [list(r) for r in NOTES_IDS] == ids.tolist()
    assert ex.output.shape == (2, 3, 2)
    np.testing.assert_array_equal(ex.output, reference(ids).detach().numpy())
    np.testing.assert_array_equal(ex.output[1, 2], ex.weight[5])      # id 5 -> row 5
    assert not np.array_equal(lookup_example(seed=1).weight, ex.weight)


def test_lookup_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    lookup_example()
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("index", [0, 3, 5])
def test_one_hot_times_the_table_is_the_lookup(index):
    ex = lookup_example()
    one_hot, product = one_hot_product(ex.weight, index)
    assert one_hot.tolist() == [1.0 if k == index else 0.0 for k in range(6)]
    weight = torch.as_tensor(ex.weight)
    ids = torch.tensor([index])
    torch_product = F.one_hot(ids, 6).float() @ weight
    np.testing.assert_allclose(product, torch_product[0].numpy(), rtol=0, atol=1e-7)
    lookup = F.embedding(ids, weight)[0].numpy()
    np.testing.assert_allclose(product, lookup, rtol=0, atol=1e-7)


def test_one_hot_against_dense_for_the_app_vocabulary():
    vocab = sentiment_vocab()
    sizes = encoding_sizes(len(vocab), 24)
    assert sizes.one_hot_length == len(vocab) == 121
    assert sizes.dense_length == 24
    assert sizes.parameters == nn.Embedding(len(vocab), 24).weight.numel() == 121 * 24


def _model(name):
    return load_sentiment_model(name)[:2]      # a shipped model: missing must fail, not skip


def _manual_shapes(model, ids):
    """What torch itself gives, layer by layer, for a batch of one."""
    with torch.no_grad():
        x = model.embedding(ids)
        out, state = model.rnn(x)
        h_n = state[0] if model.cell == "lstm" else state
        last = torch.cat(list(h_n[-model.num_directions:]), dim=1)
        logits = model.head(last)
        p = torch.softmax(logits, dim=1)
    return [tuple(t.shape) for t in (ids, x, out, last, logits, p)], tuple(h_n.shape), p


@pytest.mark.parametrize("name", list(SENTIMENT_MODEL_LABELS))
def test_trace_shapes_come_from_the_model(name):
    model, vocab = _model(name)
    text = "The food was good, not bad at all!"
    trace = trace_pipeline(model, text, vocab)
    ids = torch.tensor([vocab.encode(tokenize(text))])
    shapes, h_n_shape, p = _manual_shapes(model, ids)
    assert trace.shapes() == shapes
    assert trace.h_n_shape == h_n_shape
    assert trace.p_positive == pytest.approx(float(p[0, 1]), abs=1e-6)
    assert trace.p_positive == pytest.approx(
        float(torch.softmax(model(ids).detach(), dim=1)[0, 1]), abs=1e-6)
    hidden = model.rnn.hidden_size * model.num_directions
    assert trace.shapes()[2] == (1, 10, hidden) and trace.shapes()[3] == (1, hidden)


def test_bidirectional_doubles_the_hidden_size_and_the_mode_is_kept():
    model, vocab = _model("sentiment_bilstm")
    model.train()
    trace = trace_pipeline(model, "the movie was great", vocab)
    assert model.training                     # put back as it was (eval while tracing)
    model.eval()
    h = model.rnn.hidden_size
    assert trace.shapes() == [(1, 4), (1, 4, 24), (1, 4, 2 * h), (1, 2 * h), (1, 2), (1, 2)]
    assert trace.h_n_shape == (2, 1, h) and trace.stages[2].name == "bidirectional LSTM"


def test_hooks_see_what_an_untrained_model_does_too():
    vocab = sentiment_vocab()
    torch.manual_seed(0)
    model = SentimentRNN(len(vocab), embed_dim=5, hidden_size=7, cell="gru", bidirectional=True)
    trace = trace_pipeline(model, "not good at all", vocab)
    assert trace.shapes() == [(1, 4), (1, 4, 5), (1, 4, 14), (1, 14), (1, 2), (1, 2)]
    assert sum(trace.probabilities) == pytest.approx(1.0)


@pytest.mark.parametrize("text", ["", "   ", "?!, ."])
def test_no_words_raise(text):
    with pytest.raises(NoWords):
        trace_pipeline(SentimentRNN(len(sentiment_vocab())), text, sentiment_vocab())


def test_unknown_words_and_long_text():
    vocab = sentiment_vocab()
    model = SentimentRNN(len(vocab), embed_dim=3, hidden_size=4)
    trace = trace_pipeline(model, "the zorgle was good", vocab)
    assert trace.unknown == ["zorgle"] and trace.ids[1] == 1
    long = trace_pipeline(model, "good " * (MAX_TOKENS + 5), vocab)
    assert long.shapes()[0] == (1, MAX_TOKENS) and long.cut == 5


def _run(code: str) -> tuple[dict, str]:
    namespace, out = {}, io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, namespace)  # noqa: S102 - the generated snippet is what the test is about
    return namespace, out.getvalue()


@pytest.mark.parametrize("name", ["sentiment_bilstm", "sentiment_gru", "sentiment_rnn"])
def test_the_code_runs_prints_the_same_shapes_and_with_the_weights_the_same_p(name):
    model, vocab = _model(name)
    trace = trace_pipeline(model, "the service was not rude", vocab)
    code = pipeline_code(model, trace)
    _ns, printed = _run(code)
    sizes = re.findall(r"torch\.Size\(\[([0-9, ]*)\]\)", printed)
    assert [tuple(int(v) for v in s.split(", ")) for s in sizes] == trace.shapes()
    layers, forward = code.split("\n\n")[1:3]        # layers, then the forward pass
    namespace = {}
    exec("import torch\nfrom torch import nn\n" + layers, namespace)  # noqa: S102
    namespace["embedding"].load_state_dict(model.embedding.state_dict())
    namespace["rnn"].load_state_dict(model.rnn.state_dict())
    namespace["fc"].load_state_dict(model.head.state_dict())
    with contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
        exec(forward, namespace)  # noqa: S102
    assert float(namespace["p"][0, 1]) == pytest.approx(trace.p_positive, abs=1e-5)
    for shape in trace.shapes()[1:]:                 # every shape is written in the comments
        assert "(" + ", ".join(map(str, shape)) + ")" in code
