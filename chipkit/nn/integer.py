"""The quantized tiny transformer's golden model: integers only, built from the vector unit's
golden functions (chipkit.models.vector_golden) and int8 x int8 -> int32 matrix products.

It is what the chip must compute bit for bit: the compiler lowers exactly these steps onto the
core, in this order, and its programs are held equal to this model on every backend. Every
function works on a batch (any leading axes) and returns int64 arrays.

One pass over a sequence of T tokens, for each layer:

    h   = LN(x)                                  vlnorm: int8 at 2^-frac
    q,k,v = RQ(h Wq + bq) ...                    mm onto bias rows in ACC, vrq per channel
    s   = q_h k_h^T + mask                       mm onto the mask image: -2^30 above the diagonal
    p   = softmax(s)                             vsoftmax: int8 at 1/128
    a   = RQ(concat_h(p_h v_h))                  mm, vrq
    x   = sat8(RQ(a Wo + bo) + RQ(x))            mm onto bias rows, vadd (the residual)
    x   = sat8(RQ(relu(RQ(LN(x) W1 + b1)) W2 + b2) + RQ(x))     the feed-forward block

then logits = LN(x) Wh + bh as int32, and the next token is the argmax over the real vocabulary.
"""
from __future__ import annotations

import numpy as np

from chipkit import numerics as nx
from chipkit.models import vector_golden as vg
from chipkit.nn.quantize import MASK, Linear, QuantModel, Requant


def matmul(x, lin: Linear) -> np.ndarray:
    """int8 activations x int8 weights + int32 bias: the accumulator, int32 (wrapping as the ACC
    does; the tiny transformer's sums stay far inside it)."""
    acc = np.asarray(x, dtype=np.int64) @ lin.w + lin.b
    return np.asarray(nx.wrap32(acc), dtype=np.int64)


def rq(acc, r: Requant) -> np.ndarray:
    return vg.requantize(acc, r.multiplier, r.shift)


def one_hot(tokens, rows: int = 16) -> np.ndarray:
    """[token | position] one-hot rows (int8 ones): the embedding is a GEMM on the array."""
    tokens = np.asarray(tokens, dtype=np.int64)
    t = tokens.shape[-1]
    out = np.zeros((*tokens.shape, 2 * rows), dtype=np.int64)
    np.put_along_axis(out, tokens[..., None], 1, axis=-1)
    out[..., np.arange(t), rows + np.arange(t)] = 1
    return out


def causal_mask(t: int) -> np.ndarray:
    """The int32 image the scores accumulate onto: 0 on and below the diagonal, MASK above."""
    return np.where(np.arange(t)[None, :] > np.arange(t)[:, None], MASK, 0).astype(np.int64)


def attention(q, k, v, qm: QuantModel, layer) -> tuple[np.ndarray, dict]:
    """Causal multi-head attention of int8 q, k, v [.., T, d]: the P.V accumulators per head
    (concatenated, before requantize) and the probabilities [.., heads, T, T]."""
    t, dh = q.shape[-2], qm.d_head
    mask = causal_mask(t)
    outs, probs = [], []
    for h in range(qm.heads):
        cols = slice(h * dh, (h + 1) * dh)
        s = q[..., cols] @ np.swapaxes(k[..., cols], -1, -2) + mask
        p = vg.softmax(s, int(layer.softmax.multiplier), int(layer.softmax.shift))
        outs.append(p @ v[..., cols])
        probs.append(p)
    return np.concatenate(outs, axis=-1), np.stack(probs, axis=-3)


def forward(qm: QuantModel, tokens, keep: bool = False):
    """The int32 logits [.., T, 16] of `tokens` [.., T]; with keep, also the intermediate
    tensors by name (named as in the float model's activations; no scores, attn_out, ffn_out)."""
    seen = {}
    x = rq(matmul(one_hot(tokens), qm.emb), qm.emb_rq)
    seen["x0"] = x
    for i, layer in enumerate(qm.layers):
        p = f"l{i}"
        h = vg.layernorm(x, out_frac=layer.ln1_frac)
        q, k, v = (rq(matmul(h, lin), r) for lin, r in
                   ((layer.q, layer.q_rq), (layer.k, layer.k_rq), (layer.v, layer.v_rq)))
        pv, probs = attention(q, k, v, qm, layer)
        a = rq(pv, layer.pv_rq)
        x = vg.add(matmul(a, layer.o), x, *layer.attn_add)
        seen.update({f"{p}.ln1": h, f"{p}.q": q, f"{p}.k": k, f"{p}.v": v, f"{p}.probs": probs,
                     f"{p}.attn": a, f"{p}.x_attn": x})
        h2 = vg.layernorm(x, out_frac=layer.ln2_frac)
        hidden = vg.relu(rq(matmul(h2, layer.ffn1), layer.ffn1_rq))
        x = vg.add(matmul(hidden, layer.ffn2), x, *layer.ffn_add)
        seen.update({f"{p}.ln2": h2, f"{p}.ffn_hidden": hidden, f"{p}.x_ffn": x})
    hf = vg.layernorm(x, out_frac=qm.lnf_frac)
    logits = matmul(hf, qm.head)
    seen.update({"lnf": hf, "logits": logits})
    return (logits, seen) if keep else logits
