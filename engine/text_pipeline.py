"""A sentence through a sentiment classifier, stage by stage, with the real tensor shapes.

token ids -> nn.Embedding -> (bidirectional) LSTM / GRU / RNN -> last hidden state -> nn.Linear
-> softmax -> P(positive). `trace_pipeline` runs the model itself with forward hooks on its
embedding, recurrent layer and output layer and records what each one received and returned, so
the shapes a page draws are the ones PyTorch produced, never a formula. `pipeline_code` writes
the same computation as plain PyTorch (the page's code panel); it runs as it stands and prints
the same shapes.
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

import torch
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from engine.rnn_models import CELL_LABELS, SentimentRNN
from engine.text import Vocab, detokenize, to_tokens

MAX_TOKENS = 40          # longer text is cut, so the picture and the code stay readable
_WORD = re.compile(r"[a-z0-9]")


class NoWords(ValueError):
    """The text has no word (empty, or only punctuation)."""


@dataclass
class Stage:
    """One box of the picture: what it is and the shape of the tensor it hands on."""
    name: str                 # "token ids", "embedding", "LSTM", ...
    detail: str               # the layer, e.g. "nn.Embedding(121, 24)"
    shape: tuple[int, ...]    # shape of this stage's output


@dataclass
class PipelineTrace:
    tokens: list[str]         # as typed (lower case)
    ids: list[int]            # their vocabulary ids (1 = <unk>)
    unknown: list[str]        # typed words not in the vocabulary
    stages: list[Stage]       # token ids, embedding, recurrent layer, last state, linear, softmax
    h_n_shape: tuple[int, ...]  # the recurrent layer's final state (layers · directions, 1, H)
    probabilities: list[float]  # softmax: [P(negative), P(positive)]
    cut: int = 0              # tokens left out beyond MAX_TOKENS

    @property
    def p_positive(self) -> float:
        return self.probabilities[1]

    def shapes(self) -> list[tuple[int, ...]]:
        return [s.shape for s in self.stages]


def sentence_ids(text: str, vocab: Vocab) -> tuple[list[str], list[int], int]:
    """(tokens, ids, tokens cut) of a typed sentence; NoWords when it has no word at all."""
    tokens, ids, _unknown = to_tokens(text, vocab)
    if not any(_WORD.search(t) for t in tokens):
        raise NoWords("Type a sentence with at least one word; still showing the previous one.")
    cut = max(0, len(tokens) - MAX_TOKENS)
    return tokens[:MAX_TOKENS], ids[:MAX_TOKENS], cut


def recurrent_label(model: SentimentRNN) -> str:
    """"LSTM", "GRU", "RNN", with "bidirectional " in front when it reads both ways."""
    name = CELL_LABELS[model.cell]
    return f"bidirectional {name}" if model.num_directions == 2 else name


def _shape(t) -> tuple[int, ...]:
    return tuple(int(v) for v in t.shape)


def trace_pipeline(model: SentimentRNN, text: str, vocab: Vocab) -> PipelineTrace:
    """Run `model` on the typed `text` (a batch of one) and record each stage's real shape."""
    tokens, ids, cut = sentence_ids(text, vocab)
    seen: dict[str, tuple] = {}

    def on_embedding(_module, inputs, output):
        seen["ids"], seen["embedded"] = _shape(inputs[0]), _shape(output)

    def on_rnn(_module, _inputs, output):
        out, state = output
        if isinstance(out, PackedSequence):        # the model packs its input: unpack to see
            out = pad_packed_sequence(out, batch_first=True)[0]   # (B, T, D·H) as users do
        seen["outputs"] = _shape(out)
        seen["h_n"] = _shape(state[0] if isinstance(state, tuple) else state)

    def on_head(_module, inputs, output):
        seen["last"], seen["logits"] = _shape(inputs[0]), _shape(output)

    hooks = [model.embedding.register_forward_hook(on_embedding),
             model.rnn.register_forward_hook(on_rnn),
             model.head.register_forward_hook(on_head)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            probs = torch.softmax(model(torch.tensor([ids], dtype=torch.long)), dim=1)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    emb, rnn, head = model.embedding, model.rnn, model.head
    d = model.num_directions
    stages = [
        Stage("token ids", f"{len(ids)} tokens, a batch of one", seen["ids"]),
        Stage("embedding", f"nn.Embedding({emb.num_embeddings}, {emb.embedding_dim})",
              seen["embedded"]),
        Stage(recurrent_label(model), f"nn.{type(rnn).__name__}({rnn.input_size}, "
              f"{rnn.hidden_size}{', bidirectional' if d == 2 else ''})", seen["outputs"]),
        Stage("last hidden state", "forward after the last token, backward after the first"
              if d == 2 else "h after the last token", seen["last"]),
        Stage("fully connected", f"nn.Linear({head.in_features}, {head.out_features})",
              seen["logits"]),
        Stage("softmax", "torch.softmax(logits, dim=1)", _shape(probs)),
    ]
    unknown = sorted({t for t, i in zip(tokens, ids) if i == 1})
    return PipelineTrace(tokens, ids, unknown, stages, seen["h_n"],
                         [float(p) for p in probs[0]], cut)


def _comment(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def pipeline_code(model: SentimentRNN, trace: PipelineTrace) -> str:
    """The pipeline as plain PyTorch for the traced sentence: layers of the model's sizes (fresh
    weights), then the forward pass, each line commented with the shape the trace recorded. The
    layers and the forward pass are two paragraphs, so the layers can be given trained weights
    before the second one runs."""
    emb, rnn, head = model.embedding, model.rnn, model.head
    d = model.num_directions
    cls = type(rnn).__name__
    extra = ", bidirectional=True" if d == 2 else ""
    s = {name: _comment(shape) for name, shape in zip(
        ("ids", "x", "out", "last", "logits", "p"), trace.shapes())}
    state = "(h_n, c_n)" if model.cell == "lstm" else "h_n"
    last = ("torch.cat([h_n[-2], h_n[-1]], dim=1)" if d == 2 else "h_n[-1]")
    why = (["# last: the forward direction's h after the last token,",
            "#       the backward direction's after the first"] if d == 2
           else ["# last: h after the last token"])
    sentence = detokenize(trace.tokens)
    if len(sentence) > 60:
        sentence = sentence[:57] + "…"
    ids_text = textwrap.wrap(f"ids = torch.tensor([{trace.ids}])", width=64,
                             subsequent_indent=" " * 20, break_on_hyphens=False)
    forward = [
        ("x = embedding(ids)", s["x"]),
        (f"out, {state} = rnn(x)", s["out"]),
        (f"last = {last}", s["last"]),
        ("logits = fc(last)", s["logits"]),
        ("p = torch.softmax(logits, dim=1)", s["p"]),
    ]
    width = max(len(code) for code, _ in forward) + 2
    lines = [
        "import torch", "from torch import nn", "",
        f"embedding = nn.Embedding({emb.num_embeddings}, {emb.embedding_dim}, padding_idx=0)",
        f"rnn = nn.{cls}({rnn.input_size}, {rnn.hidden_size}, batch_first=True{extra})",
        f"fc = nn.Linear({head.in_features}, {head.out_features})",
        "",
        f"# {sentence}",
        f"# {len(trace.ids)} token ids, a batch of one: {s['ids']}",
        *ids_text,
        *[f"{code.ljust(width)}# {comment}" for code, comment in forward[:2]],
        f"# h_n {_comment(trace.h_n_shape)}: the final h"
        + (" of each direction" if d == 2 else ""),
        *why,
        *[f"{code.ljust(width)}# {comment}" for code, comment in forward[2:]],
        "print(*[t.shape for t in (ids, x, out, last, logits, p)])",
        'print("P(positive) =", p[0, 1].item())',
    ]
    return "\n".join(lines) + "\n"
