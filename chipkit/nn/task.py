"""The task the tiny transformer learns: sort 8 digits. Its tokens, its data, greedy decoding and
exact-sequence accuracy; the first module of chipkit.nn (the model and training read it).

A sequence is 16 tokens, `d0 .. d7 SEP o0 .. o6`: the 8 digits, a separator, then the sorted digits
so far. Position 8 (SEP) predicts o0 and position 8 + i predicts o_i, so the 8 outputs come from
positions 8..15 (`LOSS_POSITIONS`); o7 is predicted but never fed back, so it has no position.

    tokens   3 1 4 1 5 9 2 6 | 10 | 1 1 2 3 4 5 6
    targets                  |  1   1 2 3 4 5 6 9   (read at positions 8..15)
"""
from __future__ import annotations

import numpy as np

from chipkit.checks import check_int
from chipkit.errors import ShapeError

N_DIGITS = 8  # digits to sort
SEP = 10  # the separator token, after the 10 digit tokens 0..9
VOCAB = 11  # digits 0..9 and SEP
SEQ_LEN = 2 * N_DIGITS  # T = 16: 8 digits, SEP, 7 outputs fed back
LOSS_POSITIONS = np.arange(N_DIGITS, SEQ_LEN)  # positions 8..15 predict o0..o7


def sequences(digits, outputs) -> np.ndarray:
    """int64 tokens [n, 16] from digits [n, 8] and the outputs known so far [n, <= 7]; positions
    not yet known hold 0 (any token would do: attention is causal, so no position reads them)."""
    n = len(digits)
    tokens = np.zeros((n, SEQ_LEN), dtype=np.int64)
    tokens[:, :N_DIGITS] = digits
    tokens[:, N_DIGITS] = SEP
    known = min(np.shape(outputs)[1], N_DIGITS - 1)
    tokens[:, N_DIGITS + 1:N_DIGITS + 1 + known] = np.asarray(outputs)[:, :known]
    return tokens


def make_batch(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n random sequences: tokens int64 [n, 16] (the sorted digits fed back, teacher forcing)
    and targets int64 [n, 8], the sorted digits that positions 8..15 should predict."""
    n = check_int(n, "n", 1)
    digits = rng.integers(0, 10, size=(n, N_DIGITS), dtype=np.int64)
    targets = np.sort(digits, axis=1)
    return sequences(digits, targets), targets


def _digits(digits) -> np.ndarray:
    d = np.asarray(digits)
    if d.ndim not in (1, 2) or d.shape[-1] != N_DIGITS or d.dtype.kind not in "iu" \
            or d.size == 0 or d.min() < 0 or d.max() > 9:
        raise ShapeError(f"digits must be integers 0..9 of shape [{N_DIGITS}] or [n, {N_DIGITS}], "
                         f"got {d.dtype} {d.shape}")
    return d.astype(np.int64)


def generate(logits_fn, digits) -> np.ndarray:
    """Greedy decoding: the 8 outputs for `digits` ([8] or [n, 8]), same shape.

    `logits_fn(tokens [n, 16])` returns logits [n, 16, >= 11] (float, or the chip's int32). Output
    i is the argmax at position 8 + i over the first 11 columns only: the model's head has 16
    columns (11 padded to 16 for the array) and the padded ones are never a token. Each step
    re-runs the whole 16-token sequence, 8 passes in all, with the outputs chosen so far fed back;
    the positions not yet known hold 0, which causal attention makes irrelevant. Ties go to the
    lowest token (numpy's argmax)."""
    d = _digits(digits)
    batch = d.reshape(-1, N_DIGITS)
    outputs = np.zeros((len(batch), N_DIGITS), dtype=np.int64)
    for i in range(N_DIGITS):
        logits = np.asarray(logits_fn(sequences(batch, outputs[:, :i])))
        if logits.ndim != 3 or logits.shape[:2] != (len(batch), SEQ_LEN) \
                or logits.shape[2] < VOCAB:
            raise ShapeError(f"logits_fn must return logits [{len(batch)}, {SEQ_LEN}, >= {VOCAB}]"
                             f", got {logits.shape}")
        outputs[:, i] = np.argmax(logits[:, N_DIGITS + i, :VOCAB], axis=-1)
    return outputs.reshape(d.shape)


def exact_accuracy(outputs, digits) -> float:
    """The fraction of sequences whose 8 outputs are exactly the sorted digits."""
    d = _digits(digits).reshape(-1, N_DIGITS)
    out = np.asarray(outputs).reshape(-1, N_DIGITS)
    if out.shape != d.shape:
        raise ShapeError(f"outputs {np.shape(outputs)} do not match digits {np.shape(digits)}")
    return float(np.mean(np.all(out == np.sort(d, axis=1), axis=1)))
