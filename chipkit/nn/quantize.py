"""Post-training int8 quantization of the tiny transformer: every scale becomes integers.

The float model's weights and a calibration batch go in; a `QuantModel` comes out: int8 weights,
int32 biases (at the scale of the accumulator they are added to), integer (multiplier, shift)
pairs for every requantization, and the LayerNorms' output fractions. What the core can do decides
each choice:

- activations are symmetric int8, scale = max|x| / 127 over the calibration batch;
- LayerNorm runs without gain and bias (`vlnorm` normalizes only), so gamma and beta are folded
  into the next linear layer: z·diag(g)·W + (beta·W + b);
- weights are per channel where the requantize that follows can be (`vrq`: q, k, v, the embedding,
  the first FFN layer) and per tensor where it cannot (`vadd`'s residual projections, the head,
  whose int32 logits are compared by argmax);
- a separate scale at every residual point (after the embedding and after each residual add);
- softmax's exponent scale from the score scale s_q·s_k/sqrt(d_head), checked against the mask.

The integer forward pass that runs this model is chipkit.nn.integer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from chipkit import numerics as nx
from chipkit.errors import ConfigError
from chipkit.models import vector_golden

#: the chip's requantize multipliers are 15-bit (quantize_multiplier's default)
MULT_BITS = 15
#: the causal mask's value in the score rows: masked scores sink this far below any real score
MASK = -(2**30)


@dataclass
class Requant:
    """An integer requantization: y = sat((acc * multiplier + 2^(shift-1)) >> shift), per tensor
    (scalars) or per channel (one entry per column)."""

    multiplier: np.ndarray
    shift: np.ndarray

    @classmethod
    def of(cls, real_scale) -> Requant:
        pairs = [nx.quantize_multiplier(float(s), MULT_BITS) for s in np.ravel(real_scale)]
        m, s = (np.array(v, dtype=np.int64) for v in zip(*pairs))
        shape = np.shape(real_scale)
        return cls(m.reshape(shape), s.reshape(shape))

    def real(self) -> np.ndarray:
        return self.multiplier / 2.0 ** self.shift


@dataclass
class Linear:
    """int8 weights [K, N] (scale `w_scale`: per column or one), int32 bias [N] at the
    accumulator's scale (input scale x weight scale)."""

    w: np.ndarray
    b: np.ndarray
    w_scale: np.ndarray


@dataclass
class Layer:
    ln1_frac: int
    q: Linear
    k: Linear
    v: Linear
    q_rq: Requant
    k_rq: Requant
    v_rq: Requant
    softmax: Requant  # exponent scale: score differences -> base-2 exponents, 8 fraction bits
    pv_rq: Requant  # P.V (probabilities at 1/128) -> the attention output
    o: Linear  # per tensor: its accumulator goes into vadd
    attn_add: tuple[int, int, int, int]  # (m1, s1, m2, s2): sat8(RQ(acc) + RQ(x))
    ln2_frac: int
    ffn1: Linear
    ffn1_rq: Requant
    ffn2: Linear  # per tensor, into vadd
    ffn_add: tuple[int, int, int, int]


@dataclass
class QuantModel:
    """The tiny transformer in integers, and the real scales it was made from."""

    emb: Linear  # one-hot [token | position] (32) -> d_model
    emb_rq: Requant
    layers: list[Layer]
    lnf_frac: int
    head: Linear  # per tensor: argmax over int32 logits
    heads: int
    d_head: int
    vocab: int
    scales: dict = field(default_factory=dict)  # name -> the real scale of each int8 activation


def _scale(x) -> float:
    return nx.symmetric_scale(np.asarray(x, dtype=np.float64))


def _frac(z) -> int:
    """The most fraction bits that keep the normalized values z inside int8."""
    amax = float(np.max(np.abs(z)))
    return int(np.clip(math.floor(math.log2(127 / amax)), 0, 8)) if amax > 0 else 8


def _linear(w, b, in_scale: float, per_channel: bool) -> Linear:
    w = np.asarray(w, dtype=np.float64)
    amax = np.max(np.abs(w), axis=0) if per_channel else np.max(np.abs(w))
    w_scale = np.where(amax > 0, amax, 1.0) / 127.0
    wq = np.clip(np.round(w / w_scale), -127, 127).astype(np.int64)
    acc_scale = in_scale * w_scale
    bq = np.round(np.asarray(b, dtype=np.float64) / acc_scale).astype(np.int64)
    if np.any(np.abs(bq) >= 2**31):
        raise ConfigError("a bias does not fit in int32 at its accumulator's scale")
    return Linear(wq, bq, np.broadcast_to(w_scale, wq.shape[1:]).astype(np.float64)
                  if per_channel else np.float64(w_scale))


def _folded(params, ln: str, w: str, b: str):
    """W' = diag(gamma) W and b' = b + beta W: LayerNorm's gain and bias moved into the layer."""
    g, beta = params[f"{ln}.g"], params[f"{ln}.b"]
    return g[:, None] * params[w], params[b] + beta @ params[w]


def _add(acc_scale: float, x_scale: float, out_scale: float) -> tuple[int, int, int, int]:
    m1, s1 = nx.quantize_multiplier(acc_scale / out_scale, MULT_BITS)
    m2, s2 = nx.quantize_multiplier(x_scale / out_scale, MULT_BITS)
    return m1, s1, m2, s2


def check_mask(softmax: Requant, where: str) -> None:
    """Masked scores (MASK below the row's maximum) must give e = 0 exactly: their exponent
    u = RQ(2^30, M, sh) needs u >> 8 >= 16, i.e. M / 2^sh >= 2^-18."""
    u = vector_golden.softmax_exponents(np.array([[0, MASK]]), int(softmax.multiplier),
                                        int(softmax.shift))[0, 1]
    if u < 16 << 8:
        raise ConfigError(f"{where}: the softmax exponent scale {float(softmax.real()):.3g} is "
                          f"below 2^-18, so the causal mask ({MASK}) would not zero the masked "
                          "scores; raise the score scale (larger q, k scales)")


def quantize(params: dict, acts: dict, heads: int = 2) -> QuantModel:
    """A QuantModel from float `params` (chipkit.nn.model names) and `acts`, the float activations
    of a calibration batch (chipkit.nn.model.activations)."""
    d_model = params["tok_emb"].shape[1]
    d_head = d_model // heads
    n_layers = sum(1 for k in params if k.endswith(".wq"))
    scales = {"x0": _scale(acts["x0"])}
    emb_w = np.concatenate([params["tok_emb"], params["pos_emb"]])
    emb = _linear(emb_w, np.zeros(d_model), 1.0, per_channel=True)
    emb_rq = Requant.of(emb.w_scale / scales["x0"])
    layers, x_name = [], "x0"
    for i in range(n_layers):
        p = f"l{i}"
        ln1_frac = _frac(vector_golden.layernorm_float(acts[x_name]))
        z1 = 2.0 ** -ln1_frac
        lin, rq = {}, {}
        for name in "qkv":
            w, b = _folded(params, f"{p}.ln1", f"{p}.w{name}", f"{p}.b{name}")
            lin[name] = _linear(w, b, z1, per_channel=True)
            scales[f"{p}.{name}"] = _scale(acts[f"{p}.{name}"])
            rq[name] = Requant.of(z1 * lin[name].w_scale / scales[f"{p}.{name}"])
        score_scale = scales[f"{p}.q"] * scales[f"{p}.k"]
        softmax = Requant(*map(np.int64, vector_golden.exp_multiplier(
            score_scale / math.sqrt(d_head))))
        check_mask(softmax, f"layer {i} attention")
        scales[f"{p}.attn"] = _scale(acts[f"{p}.attn"])
        pv_rq = Requant.of(scales[f"{p}.v"] / 128 / scales[f"{p}.attn"])
        o = _linear(params[f"{p}.wo"], params[f"{p}.bo"], scales[f"{p}.attn"], per_channel=False)
        scales[f"{p}.x_attn"] = _scale(acts[f"{p}.x_attn"])
        attn_add = _add(scales[f"{p}.attn"] * float(o.w_scale), scales[x_name],
                        scales[f"{p}.x_attn"])
        ln2_frac = _frac(vector_golden.layernorm_float(acts[f"{p}.x_attn"]))
        z2 = 2.0 ** -ln2_frac
        w1, b1 = _folded(params, f"{p}.ln2", f"{p}.w1", f"{p}.b1")
        ffn1 = _linear(w1, b1, z2, per_channel=True)
        scales[f"{p}.ffn_hidden"] = _scale(acts[f"{p}.ffn_hidden"])
        ffn1_rq = Requant.of(z2 * ffn1.w_scale / scales[f"{p}.ffn_hidden"])
        ffn2 = _linear(params[f"{p}.w2"], params[f"{p}.b2"], scales[f"{p}.ffn_hidden"],
                       per_channel=False)
        scales[f"{p}.x_ffn"] = _scale(acts[f"{p}.x_ffn"])
        ffn_add = _add(scales[f"{p}.ffn_hidden"] * float(ffn2.w_scale), scales[f"{p}.x_attn"],
                       scales[f"{p}.x_ffn"])
        layers.append(Layer(ln1_frac, lin["q"], lin["k"], lin["v"], rq["q"], rq["k"], rq["v"],
                            softmax, pv_rq, o, attn_add, ln2_frac, ffn1, ffn1_rq, ffn2, ffn_add))
        x_name = f"{p}.x_ffn"
    lnf_frac = _frac(vector_golden.layernorm_float(acts[x_name]))
    wh, bh = _folded(params, "lnf", "head.w", "head.b")
    head = _linear(wh, bh, 2.0 ** -lnf_frac, per_channel=False)
    return QuantModel(emb, emb_rq, layers, lnf_frac, head, heads, d_head,
                      vocab=int(params["head.w"].shape[1]), scales=scales)
