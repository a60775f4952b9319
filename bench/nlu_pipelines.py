"""Which NLU pipeline understands sellers best? Train variants on data/nlu and score them on the validation set
(bench/nlu/validation_set.yml, written apart from the training data; pipelines are chosen there, never on the
test set), in one run on one machine, side by side with a baseline.

    .venv/bin/python bench/nlu_pipelines.py [--seeds 7 11]

Writes bench/results/nlu_pipelines.json and .md. The baseline is the pipeline config.yml had before the sentence
embeddings: count vectors and DIET (no transformer layers). The variants are config.yml itself (MiniLM
sentence embeddings + a linear classifier over them and the count vectors) and config.yml on our offline spaCy
pipeline (spaCy tokens and lemmas). Everything else stays as config.yml has it.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import nlp_pipeline  # noqa: E402

RESULTS = ROOT / "bench" / "results"


_TOKENIZERS = ("WhitespaceTokenizer", "SpacyNLP", "SpacyTokenizer")
_SPACY = [{"name": "SpacyNLP", "model": str(nlp_pipeline.PIPELINE_DIR)}, {"name": "SpacyTokenizer"}]
_EMBEDDING = "bot.nlu.sentence_embeddings.SentenceEmbeddingFeaturizer"
_LINEAR = "bot.nlu.intent_classifier.LinearIntentClassifier"
# What config.yml used before the embeddings (measured against it here, in the same run).
_DIET = [
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "DIETClassifier", "epochs": 150, "number_of_transformer_layers": 0, "entity_recognition": False,
     "constrain_similarities": True, "random_seed": 7},
]


def _with_tokenizer(pipeline: list[dict], spacy: bool) -> list[dict]:
    rest = [c for c in pipeline if c["name"] not in _TOKENIZERS]
    return (_SPACY if spacy else [{"name": "WhitespaceTokenizer"}]) + rest


def _with_diet(pipeline: list[dict]) -> list[dict]:
    """The embedding and the linear classifier out, DIET (and its token features) in their place."""
    index = next(i for i, c in enumerate(pipeline) if c["name"] == _EMBEDDING)
    rest = [c for c in pipeline if c["name"] not in (_EMBEDDING, _LINEAR)]
    return rest[:index] + _DIET + rest[index:]


def variants(base: dict) -> dict[str, dict]:
    """name -> config; the first is the baseline."""
    return {
        "count vectors + DIET (baseline, config.yml before)": {**base, "pipeline": _with_diet(base["pipeline"])},
        "MiniLM + count vectors, linear (config.yml)": base,
        "same on spaCy tokens and lemmas": {**base, "pipeline": _with_tokenizer(base["pipeline"], spacy=True)},
    }


def _seeded(config: dict, seed: int) -> dict:
    config = copy.deepcopy(config)
    for component in config["pipeline"]:
        if component["name"] == "DIETClassifier":
            component["random_seed"] = seed
    return config


def evaluate(name: str, config: dict, seed: int, work: Path) -> dict:
    slug = f"{abs(hash(name)) % 10**8}-{seed}"
    config_path = work / f"config-{slug}.yml"
    config_path.write_text(yaml.safe_dump(_seeded(config, seed), sort_keys=False))
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "rasa", *args], cwd=ROOT, env=env, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    started = time.monotonic()
    run("train", "nlu", "--config", str(config_path), "--nlu", "data/nlu", "--out", str(work),
        "--fixed-model-name", slug)
    train_seconds = time.monotonic() - started
    out = work / f"eval-{slug}"
    run("test", "nlu", "--nlu", "bench/nlu/validation_set.yml", "--model", str(work / f"{slug}.tar.gz"),
        "--out", str(out))
    report = json.loads((out / "intent_report.json").read_text())
    return {"variant": name, "seed": seed, "accuracy": report["accuracy"],
            "macro_f1": report["macro avg"]["f1-score"], "train_seconds": round(train_seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 11])
    args = parser.parse_args()
    nlp_pipeline.build()
    base = yaml.safe_load((ROOT / "config.yml").read_text())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:  # interleave variants so machine noise hits both alike
            for name, config in variants(base).items():
                rows.append(evaluate(name, config, seed, Path(tmp)))
                print(json.dumps(rows[-1]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "nlu_pipelines.json").write_text(json.dumps(rows, indent=2) + "\n")
    names = list(variants(base))
    lines = [
        "# NLU pipelines on the validation set (bench/nlu/validation_set.yml)",
        "",
        f"Trained on data/nlu, seeds {args.seeds}, one run on this machine (2 cores). Median over seeds; "
        "nlu_fallback (confidence below the FallbackClassifier's threshold) counts as a miss. Train times "
        "include Rasa's training cache (featurizer outputs shared between variants), so only accuracy is "
        "compared.",
        "",
        "| variant | intent accuracy | macro F1 | train time (s) | accuracy vs baseline |",
        "|---|---|---|---|---|",
    ]
    baseline = statistics.median(r["accuracy"] for r in rows if r["variant"] == names[0])
    for name in names:
        mine = [r for r in rows if r["variant"] == name]
        accuracy = statistics.median(r["accuracy"] for r in mine)
        lines.append(
            f"| {name} | {accuracy:.3f} | {statistics.median(r['macro_f1'] for r in mine):.3f} | "
            f"{statistics.median(r['train_seconds'] for r in mine):.0f} | {accuracy - baseline:+.3f} |"
        )
    (RESULTS / "nlu_pipelines.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
