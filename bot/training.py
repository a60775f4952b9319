"""Train the model only when what it is made of has changed.

The model file is named after a fingerprint of its inputs (config, domain, training data, our own NLU
components in bot/nlu/, the spaCy pipeline and the Rasa version), so "is the model stale?" is "does models/alex-<fingerprint>.tar.gz exist?".
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from bot import nlp_pipeline
from bot.settings import PROJECT_ROOT

MODELS_DIR = PROJECT_ROOT / "models"
_INPUTS = ("config.yml", "domain.yml", "data", "bot/nlu")
_LAST_SPACY_BUILD = PROJECT_ROOT / ".alex" / "spacy" / "last-trained-with"


def _input_files() -> list[Path]:
    files: list[Path] = []
    for name in _INPUTS:
        path = PROJECT_ROOT / name
        files.extend(sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
                     if path.is_dir() else [path])
    return files


def _uses_spacy() -> bool:
    return "SpacyNLP" in (PROJECT_ROOT / "config.yml").read_text()


def model_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in _input_files():
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    if _uses_spacy():
        digest.update(nlp_pipeline.fingerprint().encode())
    digest.update(metadata.version("rasa").encode())
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS_DIR / f"alex-{model_fingerprint()}.tar.gz"


def ensure_model(log: Path | None = None) -> Path:
    """Return a model trained on the current inputs, training one first if needed."""
    target = model_path()
    if target.exists():
        return target
    spacy_build = ""
    if _uses_spacy():
        nlp_pipeline.build()
        spacy_build = nlp_pipeline.fingerprint()
    # Rasa's training cache keys SpacyNLP by model name only: a rebuilt pipeline must not reuse cached outputs.
    force = _LAST_SPACY_BUILD.exists() and _LAST_SPACY_BUILD.read_text() != spacy_build
    command = [
        sys.executable, "-m", "rasa", "train", "--fixed-model-name", target.name.removesuffix(".tar.gz"),
        "--out", str(MODELS_DIR),
    ] + (["--force"] if force else [])
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    with open(log or os.devnull, "w") as sink:
        subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=True, stdout=sink, stderr=subprocess.STDOUT)
    _LAST_SPACY_BUILD.parent.mkdir(parents=True, exist_ok=True)
    _LAST_SPACY_BUILD.write_text(spacy_build)
    return target
