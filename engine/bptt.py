"""Backpropagation through time made visible: how much gradient reaches each hidden state.

`hidden_grad_norms(rnn, head, x, y)` gives ‖∂L/∂hₜ‖₂ for every step t of one sequence, where
L = mse(head(h_T), y) is read from the last hidden state only. The recurrent module is unrolled
with its own weights (the cell equations of nn.RNN / nn.LSTM / nn.GRU), so every hₜ is a tensor
of the graph and one backward pass gives all T totals at once, each through every later step.

`spectral_radius(W)` and `scale_recurrent(rnn, scale)` set how strongly each step multiplies the
state it carries (< 1: the gradient vanishes, > 1: it can explode), and `BpttExperiment` trains a
plain RNN, an LSTM and a GRU side by side on the adding task one step at a time, handing out
numpy per-step norms, the total gradient norm before and after clipping, and a status that says
"diverged" instead of raising when a loss turns NaN or infinite. No Qt: a worker thread calls it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from engine.signals import adding_task

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
GATES = {"rnn": ("h",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}  # rows of W_hh
ACTIVATIONS = ("tanh", "relu")


def cell_kind(rnn: nn.Module) -> str:
    """"rnn", "lstm" or "gru" for a recurrent module, else ValueError."""
    for kind in ("lstm", "gru", "rnn"):
        if type(rnn) is CELLS[kind]:
            return kind
    raise ValueError(f"expected an nn.RNN, nn.LSTM or nn.GRU, got {type(rnn).__name__}")


def check_recurrent(rnn: nn.Module) -> str:
    """The cell kind of `rnn` if it is one we can unroll (one layer, one direction,
    batch_first, no LSTM projection), else a ValueError saying what is wrong."""
    kind = cell_kind(rnn)
    if rnn.num_layers != 1:
        raise ValueError(f"only a single-layer {kind.upper()} can be unrolled here, "
                         f"this one has {rnn.num_layers} layers")
    if rnn.bidirectional:
        raise ValueError(f"only a unidirectional {kind.upper()} can be unrolled here, "
                         "this one is bidirectional")
    if not rnn.batch_first:
        raise ValueError(f"the {kind.upper()} must be built with batch_first=True "
                         "so that x is (batch, T, features)")
    if kind == "lstm" and rnn.proj_size:
        raise ValueError("an LSTM with proj_size cannot be unrolled here")
    return kind


def _weights(rnn: nn.Module):
    """(W_ih, W_hh, b_ih, b_hh) of layer 0; zero biases when the module has none."""
    w_ih, w_hh = rnn.weight_ih_l0, rnn.weight_hh_l0
    if rnn.bias:
        return w_ih, w_hh, rnn.bias_ih_l0, rnn.bias_hh_l0
    zeros = torch.zeros(w_hh.shape[0], dtype=w_hh.dtype, device=w_hh.device)
    return w_ih, w_hh, zeros, zeros


def unroll(rnn: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """[h_1, ..., h_T], each (B, H): the module's own cell equations applied one step at a time
    from a zero state, so each hₜ is a node of the graph that gradients can be asked about."""
    kind = check_recurrent(rnn)
    w_ih, w_hh, b_ih, b_hh = _weights(rnn)
    batch, steps = x.shape[0], x.shape[1]
    hidden = rnn.hidden_size
    # the input's share of every step at once, (B, T, G*H); the GRU keeps b_hh apart because
    # its reset gate multiplies (W_hn h + b_hn), the other cells simply add both biases
    x_part = F.linear(x, w_ih, b_ih if kind == "gru" else b_ih + b_hh)
    w_hh_t = w_hh.t()                         # (H, G*H) so that h @ w_hh_t is one addmm
    h = x.new_zeros(batch, hidden)
    c = x.new_zeros(batch, hidden)            # the LSTM's cell state
    act = torch.relu if getattr(rnn, "nonlinearity", "tanh") == "relu" else torch.tanh
    states = []
    for t in range(steps):
        if kind == "rnn":
            h = act(torch.addmm(x_part[:, t], h, w_hh_t))
        elif kind == "lstm":                  # PyTorch's gate order: i, f, g, o
            gates = torch.addmm(x_part[:, t], h, w_hh_t)       # (B, 4H)
            i, f, _, o = torch.sigmoid(gates).chunk(4, dim=1)  # one sigmoid for i, f, o
            g = torch.tanh(gates[:, 2 * hidden:3 * hidden])
            c = f * c + i * g
            h = o * torch.tanh(c)
        else:                                 # GRU, order r, z, n
            xr, xz, xn = x_part[:, t].chunk(3, dim=1)
            hr, hz, hn = torch.addmm(b_hh, h, w_hh_t).chunk(3, dim=1)
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            h = (1 - z) * torch.tanh(xn + r * hn) + z * h
        states.append(h)
    return states


def check_sequence(rnn: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int | None = 1) -> None:
    """ValueError with one readable sentence when x / y cannot go through `rnn`."""
    check_recurrent(rnn)
    if x.dim() != 3:
        raise ValueError(f"x must be (1, T, input_size), got shape {tuple(x.shape)}")
    if batch is not None and x.shape[0] != batch:
        raise ValueError(f"x must hold exactly one sequence (1, T, input_size), "
                         f"got a batch of {x.shape[0]}")
    if x.shape[1] == 0:
        raise ValueError("the sequence is empty (T = 0): there is no step to send a gradient to")
    if x.shape[2] != rnn.input_size:
        raise ValueError(f"x has {x.shape[2]} features per step but the cell expects "
                         f"{rnn.input_size}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x holds NaN or infinite values; fix the data first")
    if not bool(torch.isfinite(y).all()):
        raise ValueError("the target y holds NaN or infinite values; fix the data first")


def unrolled_loss(rnn: nn.Module, head: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """(L, [h_1 .. h_T]) with L = mse(head(h_T), y)."""
    states = unroll(rnn, x)
    out = head(states[-1])
    return F.mse_loss(out, y.reshape(out.shape).to(out.dtype)), states


def norms_of(grads: list[torch.Tensor]) -> np.ndarray:
    """(T,) float64: the 2-norm of each step's gradient (over the whole batch)."""
    return torch.stack(grads).flatten(1).norm(dim=1).detach().cpu().double().numpy()  # (T,)


def hidden_grad_norms(rnn: nn.Module, head: nn.Module, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """(T,) numpy: element t is ‖∂L/∂hₜ‖₂ for L = mse(head(h_T), y), the total derivative
    through every later step (for the LSTM w.r.t. hₜ, not cₜ). x is (1, T, input_size).

    Parameter gradients are left untouched (torch.autograd.grad, not backward)."""
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    check_sequence(rnn, x, y)
    with torch.enable_grad():
        loss, states = unrolled_loss(rnn, head, x, y)
        grads = torch.autograd.grad(loss, states, allow_unused=True)
    grads = [torch.zeros_like(h) if g is None else g for h, g in zip(states, grads)]
    return norms_of(grads)


def spectral_radius(w) -> float:
    """max |eigenvalue| of a square matrix (numpy or torch)."""
    w = np.asarray(w.detach().cpu() if isinstance(w, torch.Tensor) else w, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.size == 0:
        raise ValueError(f"the spectral radius needs a square matrix, got shape {w.shape}")
    if not np.isfinite(w).all():
        return math.inf
    return float(np.max(np.abs(np.linalg.eigvals(w))))


def gate_blocks(rnn: nn.Module) -> dict[str, torch.Tensor]:
    """{gate: its (H, H) block of W_hh}, views into the weight (rows in PyTorch's gate order)."""
    kind = check_recurrent(rnn)
    hidden = rnn.hidden_size
    w = rnn.weight_hh_l0
    return {gate: w[k * hidden:(k + 1) * hidden] for k, gate in enumerate(GATES[kind])}


def recurrent_radii(rnn: nn.Module) -> dict[str, float]:
    """{gate: spectral radius of its H x H recurrent block} (one entry "h" for a plain RNN)."""
    return {gate: spectral_radius(block) for gate, block in gate_blocks(rnn).items()}


@torch.no_grad()
def scale_recurrent(rnn: nn.Module, scale: float) -> dict[str, float]:
    """Rescale W_hh in place so that each gate's H x H block has spectral radius `scale`.

    W_hh stacks one block per gate (LSTM: i, f, g, o; GRU: r, z, n; plain RNN: one): each block
    multiplies h_{t-1} for its own gate, so each is divided by its own radius and multiplied by
    `scale`, keeping its eigenvectors. Returns the new radii; ValueError for a scale that is not
    a finite number >= 0, a block with radius 0, or weights that would overflow."""
    scale = float(scale)
    if not math.isfinite(scale) or scale < 0:
        raise ValueError(f"the recurrent weight scale must be a finite number >= 0, got {scale}")
    blocks = gate_blocks(rnn)
    factors = {}
    for gate, block in blocks.items():
        radius = spectral_radius(block)
        if not math.isfinite(radius) or radius == 0:
            raise ValueError(f"the {gate} block of the recurrent weights has spectral radius "
                             f"{radius}, so it cannot be rescaled")
        factors[gate] = scale / radius
        largest = float(block.abs().max()) * factors[gate]
        if not math.isfinite(largest) or largest > torch.finfo(block.dtype).max:
            raise ValueError(f"a recurrent weight scale of {scale:g} overflows "
                             f"{block.dtype} weights; choose a smaller scale")
    for gate, block in blocks.items():
        block.mul_(factors[gate])
    return recurrent_radii(rnn)


# -- the page's experiment: three cells, one adding task, one training step at a time -----------

@dataclass
class BpttConfig:
    cells: tuple[str, ...] = ("rnn", "lstm", "gru")  # the cells trained side by side
    hidden_size: int = 32           # H of every cell
    seq_len: int = 50               # T: steps of each adding-task sequence
    batch_size: int = 16            # sequences per training step
    n_sequences: int = 2048         # size of the adding-task training set
    weight_scale: float | None = None  # spectral radius of every W_hh block (None: PyTorch's init)
    activation: str = "tanh"        # the plain RNN's nonlinearity, "tanh" or "relu"
    clip: bool = True               # rescale each step's gradient to at most `clip_threshold`
    clip_threshold: float = 1.0     # the largest total gradient norm an update may have
    optimizer: str = "sgd"          # "sgd" or "adam"
    lr: float = 0.05                # learning rate
    seed: int = 0                   # seeds the data and every cell's initial weights

    def validate(self) -> None:
        unknown = [c for c in self.cells if c not in CELLS]
        if unknown or not self.cells:
            raise ValueError(f"unknown cell(s) {unknown}; choose from {sorted(CELLS)}")
        if self.seq_len < 2:
            raise ValueError(f"the adding task needs at least 2 steps, got T = {self.seq_len}")
        for name in ("hidden_size", "batch_size", "n_sequences"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"the activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"the optimizer must be 'sgd' or 'adam', got {self.optimizer!r}")
        if not (self.clip_threshold > 0 and math.isfinite(self.clip_threshold)):
            raise ValueError(f"the clipping threshold must be a positive number, "
                             f"got {self.clip_threshold}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"the learning rate must be a positive number, got {self.lr}")


@dataclass
class CellStep:
    """One cell's training step, as plain numbers."""
    cell: str                       # "rnn", "lstm" or "gru"
    step: int                       # 1-based training step of this cell
    loss: float                     # mse of the batch (nan / inf when it diverged)
    hidden_norms: np.ndarray        # (T,) ‖∂L/∂hₜ‖₂ over the batch, t = 1..T
    grad_norm: float                # total parameter-gradient norm before clipping
    grad_norm_clipped: float        # ... and after (equal to grad_norm when not clipping)
    status: str = "ok"              # "ok", or "diverged" (loss or gradient not finite; no update)
    message: str = ""               # one sentence when status is not "ok"


class RecurrentRegressor(nn.Module):
    """(B, T, 2) -> one single-layer cell -> Linear on h_T -> (B, 1)."""

    def __init__(self, cell: str, hidden_size: int, activation: str = "tanh", input_size: int = 2):
        super().__init__()
        extra = {"nonlinearity": activation} if cell == "rnn" else {}
        self.rnn = CELLS[cell](input_size, hidden_size, batch_first=True, **extra)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        out, _ = self.rnn(x)                  # (B, T, H)
        return self.head(out[:, -1])


def train_step(model: RecurrentRegressor, optimizer: torch.optim.Optimizer, x: torch.Tensor,
               y: torch.Tensor, clip_threshold: float | None, cell: str = "", step: int = 0) -> CellStep:
    """One update with every hₜ's gradient from the same backward pass as the parameters'.
    A NaN / inf loss or gradient is reported (status "diverged") and the weights are left as
    they were."""
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer.zero_grad(set_to_none=True)
    loss, states = unrolled_loss(model.rnn, model.head, x, y)
    grads = torch.autograd.grad(loss, states + params, allow_unused=True)
    h_grads = [torch.zeros_like(h) if g is None else g for h, g in zip(states, grads)]
    seen = set()
    for p, g in zip(params, grads[len(states):]):
        # b_ih and b_hh enter the unrolled loop as one sum, so autograd may hand both the same
        # tensor: each parameter needs its own, or clipping would scale it twice
        p.grad = g.clone() if g is not None and id(g) in seen else g
        seen.add(id(g))
    norms = norms_of(h_grads)
    total = nn.utils.get_total_norm([p.grad for p in params if p.grad is not None])
    loss_value, norm = float(loss.detach()), float(total)
    clipped = norm
    if not (math.isfinite(loss_value) and math.isfinite(norm)):
        what = f"the loss became {loss_value}" if not math.isfinite(loss_value) \
            else f"the gradient norm became {norm}"
        optimizer.zero_grad(set_to_none=True)
        return CellStep(cell, step, loss_value, norms, norm, math.nan, "diverged",
                        f"{cell.upper()} stopped at step {step}: {what}. Lower the weight scale "
                        "or the learning rate, or turn clipping on.")
    if clip_threshold is not None:
        nn.utils.clip_grads_with_norm_(params, clip_threshold, total)
        clipped = norm * min(1.0, clip_threshold / (norm + 1e-6))  # clip_grad_norm_'s own factor
    optimizer.step()
    return CellStep(cell, step, loss_value, norms, norm, clipped)


@dataclass
class BpttExperiment:
    """Builds one model per cell (same seed), the adding-task data, and steps them together."""
    config: BpttConfig = field(default_factory=BpttConfig)

    def __post_init__(self):
        self.config.validate()
        cfg = self.config
        x, y = adding_task(cfg.n_sequences, cfg.seq_len, seed=cfg.seed)
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)   # (N, T, 2), (N, 1)
        self.generator = torch.Generator().manual_seed(cfg.seed)
        self.models: dict[str, RecurrentRegressor] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.status: dict[str, str] = {}      # "ok" or "diverged", per cell
        self.messages: dict[str, str] = {}    # why a cell does not train
        self.steps = 0
        for cell in cfg.cells:
            torch.manual_seed(cfg.seed)       # every cell starts from the same seed
            model = RecurrentRegressor(cell, cfg.hidden_size, cfg.activation)
            self.models[cell] = model
            self.status[cell], self.messages[cell] = "ok", ""
            if cfg.weight_scale is not None:
                try:
                    scale_recurrent(model.rnn, cfg.weight_scale)
                except ValueError as exc:     # an overflowing scale is reported, never raised
                    self.status[cell], self.messages[cell] = "diverged", str(exc)
            params = model.parameters()
            self.optimizers[cell] = (torch.optim.SGD(params, lr=cfg.lr) if cfg.optimizer == "sgd"
                                     else torch.optim.Adam(params, lr=cfg.lr))

    def radii(self) -> dict[str, dict[str, float]]:
        """{cell: {gate: spectral radius of its recurrent block}} now."""
        return {cell: recurrent_radii(m.rnn) for cell, m in self.models.items()}

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(0, len(self.x), (self.config.batch_size,), generator=self.generator)
        return self.x[idx], self.y[idx]

    def step(self, batch: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict[str, CellStep]:
        """One training step of every cell on the same batch (the next random one unless given:
        x (B, T, 2), y (B, 1)). A cell that diverged stays stopped (its result repeats the
        status with NaN numbers) while the others go on."""
        self.steps += 1
        x, y = self.next_batch() if batch is None else batch
        threshold = self.config.clip_threshold if self.config.clip else None
        results = {}
        for cell, model in self.models.items():
            if self.status[cell] != "ok":
                nan = np.full(self.config.seq_len, np.nan)
                results[cell] = CellStep(cell, self.steps, math.nan, nan, math.nan, math.nan,
                                         self.status[cell], self.messages[cell])
                continue
            result = train_step(model, self.optimizers[cell], x, y, threshold, cell, self.steps)
            if result.status != "ok":
                self.status[cell], self.messages[cell] = result.status, result.message
            results[cell] = result
        return results
