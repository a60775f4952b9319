"""The offline spaCy pipeline Alex's NLU loads by path (config.yml: SpacyNLP model .alex/spacy/en_alex).

Official spaCy models are not on PyPI, so we build our own: `spacy.blank("en")` plus a lookup lemmatizer from
spacy-lookups-data. It has no vectors and no NER; its job is tokens and lemmas for the count vectors.
Rasa fingerprints SpacyNLP by model name only, so `fingerprint()` is part of the model's staleness check.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

import spacy

from bot.settings import PROJECT_ROOT

PIPELINE_DIR = PROJECT_ROOT / ".alex" / "spacy" / "en_alex"
_STAMP = "alex-build.json"


def fingerprint() -> str:
    """What the built pipeline depends on: the builder's code and the versions of spaCy and its lookups."""
    parts = [Path(__file__).read_bytes()]
    parts += [metadata.version(package).encode() for package in ("spacy", "spacy-lookups-data")]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def build(target: Path = PIPELINE_DIR) -> Path:
    """Build the pipeline into `target` unless an identical build is already there."""
    stamp = target / _STAMP
    wanted = fingerprint()
    if stamp.exists() and json.loads(stamp.read_text()).get("fingerprint") == wanted:
        return target
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    stamp.write_text(json.dumps({"fingerprint": wanted}))
    return target


if __name__ == "__main__":
    print(build())
