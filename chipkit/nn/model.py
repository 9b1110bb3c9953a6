"""The tiny transformer in float numpy: parameters, the forward pass with every intermediate kept,
and a hand-written backward pass. Reads chipkit.nn.task; training and the int8 quantizer read it.

A decoder-only, pre-LayerNorm transformer (nanoGPT's shape, at toy size):

    x0 = tok_emb[tokens] + pos_emb                       # (n, T, 32)
    for each of 2 layers:
        x = x + Attention(LayerNorm(x))                  # 2 causal heads of 16
        x = x + W2 relu(W1 LayerNorm(x) + b1) + b2       # 32 -> 64 -> 32
    logits = head(LayerNorm(x))                          # (n, T, 16)

Matrices multiply on the right (`x @ w`, w is [in, out]) so each is the [K, N] weight tile the
chip streams against. Head h reads columns 16h .. 16h + 15 of q, k and v; scores are scaled by
1/sqrt(16) and masked causally (position t sees positions 0..t). LayerNorm divides by
sqrt(variance + 1e-5), the variance taken over the 32 features without Bessel's correction.
The head has 16 outputs for the 11 tokens (16 tiles the array; 11 does not): its 5 padded columns
have zero weights and a bias of PAD_LOGIT, the loss ignores them so they never change, and their
logits stay far below every real one, in float and in int32 after quantization alike.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from chipkit.errors import ConfigError, ShapeError
from chipkit.nn.task import LOSS_POSITIONS, N_DIGITS, SEQ_LEN, VOCAB

N_LAYERS = 2
D_MODEL = 32
N_HEADS = 2
D_HEAD = D_MODEL // N_HEADS  # 16
D_FF = 64
N_OUT = 16  # head outputs: the 11 tokens padded to 16
LN_EPS = 1e-5
PAD_LOGIT = -100.0  # the padded head columns' fixed bias (the real logits stay within about ±15)
WEIGHTS = Path(__file__).with_name("tiny_transformer.npz")  # the shipped, trained weights


def param_shapes(n_layers: int = N_LAYERS) -> dict[str, tuple[int, ...]]:
    """Every parameter's name and shape, in the order the data meets them."""
    shapes = {"tok_emb": (N_OUT, D_MODEL), "pos_emb": (SEQ_LEN, D_MODEL)}  # rows 11..15 unused
    for i in range(n_layers):
        p = f"l{i}."
        shapes.update({p + "ln1.g": (D_MODEL,), p + "ln1.b": (D_MODEL,)})
        for m in "qkv":
            shapes.update({p + f"w{m}": (D_MODEL, D_MODEL)})
        for m in "qkv":
            shapes.update({p + f"b{m}": (D_MODEL,)})
        shapes.update({p + "wo": (D_MODEL, D_MODEL), p + "bo": (D_MODEL,),
                       p + "ln2.g": (D_MODEL,), p + "ln2.b": (D_MODEL,),
                       p + "w1": (D_MODEL, D_FF), p + "b1": (D_FF,),
                       p + "w2": (D_FF, D_MODEL), p + "b2": (D_MODEL,)})
    shapes.update({"lnf.g": (D_MODEL,), "lnf.b": (D_MODEL,),
                   "head.w": (D_MODEL, N_OUT), "head.b": (N_OUT,)})
    return shapes


def activation_names(n_layers: int = N_LAYERS) -> list[str]:
    """The names `activations` returns, in the order they are computed."""
    names = ["x0"]
    for i in range(n_layers):
        names += [f"l{i}.{a}" for a in ("ln1", "q", "k", "v", "scores", "probs", "attn",
                                        "attn_out", "x_attn", "ln2", "ffn_hidden", "ffn_out",
                                        "x_ffn")]
    return names + ["lnf", "logits"]


def n_params(params: dict) -> int:
    return sum(int(np.size(v)) for v in params.values())


def init_params(seed: int, dtype=np.float32) -> dict[str, np.ndarray]:
    """Fresh parameters: weights ~ N(0, 1/fan_in) (embeddings N(0, 0.1²)), biases 0, LayerNorm
    gains 1; the unused tok_emb rows and padded head columns 0, the padded head biases PAD_LOGIT."""
    rng = np.random.default_rng(seed)
    params = {}
    for name, shape in param_shapes().items():
        if name.endswith(".g"):
            v = np.ones(shape)
        elif len(shape) == 1:
            v = np.zeros(shape)
        elif name.endswith("_emb"):
            v = rng.normal(0.0, 0.1, shape)
        else:
            v = rng.normal(0.0, shape[0] ** -0.5, shape)
        params[name] = v.astype(dtype)
    params["tok_emb"][VOCAB:] = 0
    params["head.w"][:, VOCAB:] = 0
    params["head.b"][VOCAB:] = PAD_LOGIT
    return params


def check_params(params) -> int:
    """The number of layers of `params`; ConfigError unless its names and shapes are exactly
    param_shapes()'s and its arrays are real-valued."""
    if not isinstance(params, dict):
        raise ConfigError(f"params must be a dict of arrays, got {type(params).__name__}")
    n_layers = sum(1 for k in params if k.endswith(".wq"))
    want = param_shapes(n_layers)
    missing, extra = sorted(set(want) - set(params)), sorted(set(params) - set(want))
    if missing or extra or n_layers < 1:
        raise ConfigError(f"params do not name the tiny transformer's parameters: missing "
                          f"{missing[:4]}, unexpected {extra[:4]}")
    for name, shape in want.items():
        v = params[name]
        if not isinstance(v, np.ndarray) or v.shape != shape or v.dtype.kind != "f":
            got = f"{v.dtype} {v.shape}" if isinstance(v, np.ndarray) else type(v).__name__
            raise ConfigError(f"params[{name!r}] must be a float array of shape {shape}, got {got}")
    return n_layers


def _tokens(tokens) -> np.ndarray:
    t = np.asarray(tokens)
    if t.ndim != 2 or not 1 <= t.shape[1] <= SEQ_LEN or t.shape[0] == 0 or t.dtype.kind not in "iu":
        raise ShapeError(f"tokens must be integers of shape [n, T] with T <= {SEQ_LEN}, "
                         f"got {t.dtype} {t.shape}")
    if t.min() < 0 or t.max() >= VOCAB:
        raise ShapeError(f"tokens must be in 0..{VOCAB - 1}, got {t.min()}..{t.max()}")
    return t.astype(np.int64)


def _layernorm(x, g, b, cache: dict, name: str):
    mu = x.mean(-1, keepdims=True)
    xc = x - mu
    rstd = 1.0 / np.sqrt((xc * xc).mean(-1, keepdims=True) + LN_EPS)
    xhat = xc * rstd
    cache[name + ":xhat"], cache[name + ":rstd"] = xhat, rstd
    y = xhat * g + b
    cache[name] = y
    return y


def _layernorm_back(dy, g, cache: dict, name: str, grads: dict, pname: str):
    xhat, rstd = cache[name + ":xhat"], cache[name + ":rstd"]
    grads[pname + ".g"] = (dy * xhat).sum((0, 1))
    grads[pname + ".b"] = dy.sum((0, 1))
    dxhat = dy * g
    return rstd * (dxhat - dxhat.mean(-1, keepdims=True)
                   - xhat * (dxhat * xhat).mean(-1, keepdims=True))


def _split(x):  # (n, T, 32) -> (n, H, T, 16)
    n, t, _ = x.shape
    return x.reshape(n, t, N_HEADS, D_HEAD).transpose(0, 2, 1, 3)


def _merge(x):  # (n, H, T, 16) -> (n, T, 32)
    n, _, t, _ = x.shape
    return x.transpose(0, 2, 1, 3).reshape(n, t, D_MODEL)


def _flat(x):  # (n, T, C) -> (n*T, C), for weight gradients
    return x.reshape(-1, x.shape[-1])


def forward(params: dict, tokens) -> tuple[np.ndarray, dict]:
    """logits (n, T, 16) for tokens int [n, T] (T <= 16), and the cache of every intermediate
    (the backward pass reads it; `activations` names its public part). Computes in the params'
    float dtype."""
    p = params
    n_layers = check_params(p)
    tokens = _tokens(tokens)
    t = tokens.shape[1]
    cache = {"tokens": tokens}
    x = p["tok_emb"][tokens] + p["pos_emb"][:t]  # (n, T, 32)
    cache["x0"] = x
    causal = np.tril(np.ones((t, t), dtype=bool))
    for i in range(n_layers):
        pre = f"l{i}."
        h = _layernorm(x, p[pre + "ln1.g"], p[pre + "ln1.b"], cache, pre + "ln1")
        for m in "qkv":
            cache[pre + m] = h @ p[pre + "w" + m] + p[pre + "b" + m]  # (n, T, 32)
        q, k, v = (_split(cache[pre + m]) for m in "qkv")  # (n, H, T, 16)
        scores = (q @ k.swapaxes(-1, -2)) * (1.0 / np.sqrt(D_HEAD)).astype(x.dtype)  # (n,H,T,T)
        cache[pre + "scores"] = scores  # before the mask: the chip computes every entry
        e = np.where(causal, scores, -np.inf)
        e = np.exp(e - e.max(-1, keepdims=True))
        probs = e / e.sum(-1, keepdims=True)
        cache[pre + "probs"] = probs
        attn = _merge(probs @ v)  # (n, T, 32), heads side by side
        cache[pre + "attn"] = attn
        cache[pre + "attn_out"] = attn @ p[pre + "wo"] + p[pre + "bo"]
        x = cache[pre + "x_attn"] = x + cache[pre + "attn_out"]
        h = _layernorm(x, p[pre + "ln2.g"], p[pre + "ln2.b"], cache, pre + "ln2")
        hidden = np.maximum(h @ p[pre + "w1"] + p[pre + "b1"], 0)  # (n, T, 64)
        cache[pre + "ffn_hidden"] = hidden
        cache[pre + "ffn_out"] = hidden @ p[pre + "w2"] + p[pre + "b2"]
        x = cache[pre + "x_ffn"] = x + cache[pre + "ffn_out"]
    h = _layernorm(x, p["lnf.g"], p["lnf.b"], cache, "lnf")
    logits = h @ p["head.w"] + p["head.b"]  # (n, T, 16)
    cache["logits"] = logits
    return logits, cache


def activations(params: dict, tokens) -> dict[str, np.ndarray]:
    """Every tensor that feeds a matmul, a residual add, a LayerNorm, a softmax, and the logits,
    by name (activation_names()): what the quantizer calibrates its scales on. "scores" are the
    scaled scores before the causal mask (all T x T entries), "probs" the softmax after it,
    "attn" the heads' outputs side by side before wo, "attn_out" and "ffn_out" what is added to
    the residual stream, giving "x_attn" and "x_ffn"."""
    _, cache = forward(params, tokens)
    return {name: cache[name] for name in activation_names(check_params(params))}


def backward(params: dict, cache: dict, dlogits) -> dict[str, np.ndarray]:
    """The gradient of every parameter, given d(loss)/d(logits) and forward's cache."""
    p, c = params, cache
    n_layers = check_params(p)
    g = {}
    g["head.w"] = _flat(c["lnf"]).T @ _flat(dlogits)
    g["head.b"] = dlogits.sum((0, 1))
    dx = _layernorm_back(dlogits @ p["head.w"].T, p["lnf.g"], c, "lnf", g, "lnf")
    for i in reversed(range(n_layers)):
        pre = f"l{i}."
        # x_ffn = x_attn + relu(ln2 @ w1 + b1) @ w2 + b2
        hidden = c[pre + "ffn_hidden"]
        g[pre + "w2"] = _flat(hidden).T @ _flat(dx)
        g[pre + "b2"] = dx.sum((0, 1))
        dpre = (dx @ p[pre + "w2"].T) * (hidden > 0)
        g[pre + "w1"] = _flat(c[pre + "ln2"]).T @ _flat(dpre)
        g[pre + "b1"] = dpre.sum((0, 1))
        dx = dx + _layernorm_back(dpre @ p[pre + "w1"].T, p[pre + "ln2.g"], c, pre + "ln2", g,
                                  pre + "ln2")
        # x_attn = x + attn @ wo + bo, attn = merge(softmax(mask(q kᵀ / 4)) v)
        g[pre + "wo"] = _flat(c[pre + "attn"]).T @ _flat(dx)
        g[pre + "bo"] = dx.sum((0, 1))
        dattn = _split(dx @ p[pre + "wo"].T)  # (n, H, T, 16)
        probs = c[pre + "probs"]
        q, k, v = (_split(c[pre + m]) for m in "qkv")
        dprobs = dattn @ v.swapaxes(-1, -2)  # (n, H, T, T)
        dv = probs.swapaxes(-1, -2) @ dattn
        dscores = probs * (dprobs - (dprobs * probs).sum(-1, keepdims=True))
        dscores *= (1.0 / np.sqrt(D_HEAD)).astype(dscores.dtype)  # masked entries: probs = 0
        dq, dk = dscores @ k, dscores.swapaxes(-1, -2) @ q
        dh = 0
        for m, dm in zip("qkv", (dq, dk, dv)):
            dm = _merge(dm)
            g[pre + "w" + m] = _flat(c[pre + "ln1"]).T @ _flat(dm)
            g[pre + "b" + m] = dm.sum((0, 1))
            dh = dh + dm @ p[pre + "w" + m].T
        dx = dx + _layernorm_back(dh, p[pre + "ln1.g"], c, pre + "ln1", g, pre + "ln1")
    tokens = c["tokens"]
    t = tokens.shape[1]
    g["pos_emb"] = np.zeros_like(p["pos_emb"])
    g["pos_emb"][:t] = dx.sum(0)
    onehot = (tokens.reshape(-1, 1) == np.arange(N_OUT)).astype(dx.dtype)  # (n*T, 16)
    g["tok_emb"] = onehot.T @ _flat(dx)
    return {name: g[name] for name in p}


def loss_and_grads(params: dict, tokens, targets) -> tuple[float, dict[str, np.ndarray]]:
    """The mean cross-entropy of targets int [n, 8] at positions 8..15, over the 11 real classes
    only (the padded columns take no part), and its gradient for every parameter."""
    logits, cache = forward(params, tokens)
    targets = np.asarray(targets)
    n, t = cache["tokens"].shape
    if t != SEQ_LEN or targets.shape != (n, N_DIGITS) or targets.dtype.kind not in "iu" \
            or targets.min() < 0 or targets.max() >= VOCAB:
        raise ShapeError(f"loss_and_grads takes tokens [n, {SEQ_LEN}] and targets in "
                         f"0..{VOCAB - 1} of shape [n, {N_DIGITS}], got tokens {(n, t)} and "
                         f"targets {targets.dtype} {targets.shape}")
    z = logits[:, LOSS_POSITIONS, :VOCAB]  # (n, 8, 11)
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    s = e.sum(-1, keepdims=True)
    picked = np.take_along_axis(z, targets[..., None], -1)
    loss = float(np.mean(np.log(s) - picked))
    dz = e / s
    np.put_along_axis(dz, targets[..., None], np.take_along_axis(dz, targets[..., None], -1) - 1,
                      -1)
    dlogits = np.zeros_like(logits)
    dlogits[:, LOSS_POSITIONS, :VOCAB] = dz / dz.dtype.type(n * N_DIGITS)
    return loss, backward(params, cache, dlogits)


def logits_fn(params: dict):
    """`tokens -> logits` for chipkit.nn.task.generate."""
    return lambda tokens: forward(params, tokens)[0]


def save_params(params: dict, path) -> Path:
    """Write params as an .npz of float32 arrays (one per name)."""
    check_params(params)
    path = Path(path)
    np.savez(path, **{k: np.asarray(v, dtype=np.float32) for k, v in params.items()})
    return path


def load_params(path=None) -> dict[str, np.ndarray]:
    """The parameters saved at `path`, by default the shipped trained weights (WEIGHTS)."""
    path = Path(WEIGHTS if path is None else path)
    if not path.is_file():
        raise ConfigError(f"no weights file at {path}; train one with "
                          "`python -m chipkit.nn.train --out PATH`")
    with np.load(path, allow_pickle=False) as f:
        params = {k: f[k] for k in f.files}
    check_params(params)
    return params
