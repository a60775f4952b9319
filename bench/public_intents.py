"""Does Alex's NLU pipeline hold up on public intent data, next to Rasa's stock pipeline? (issue 10)

Our held-out set (tests/nlu/test_nlu.yml) is small and written by us. BANKING77 (77 fine-grained banking support
intents, wording close to sellers') and CLINC150 (150 intents plus out-of-scope queries) are public, larger and
have published figures, so they check what our own data can't: that the accuracy holds on wording nobody here
wrote, and that the FallbackClassifier threshold config.yml ships separates what the model knows from what it
doesn't.

    RASA_TELEMETRY_ENABLED=false .venv/bin/python bench/public_intents.py [--stock diet-40] [--limit 10]

Pipelines, trained and scored in the same run:
- ours: config.yml's pipeline exactly as shipped (read from config.yml), FallbackClassifier included;
- stock: Rasa's default intent pipeline (WhitespaceTokenizer, CountVectorsFeaturizer word + char_wb 1-4,
  DIETClassifier 100 epochs with constrain_similarities, as rasa's default config), or with `--stock diet-40` the
  cheaper variant shared/data/README.md measured (DIET without transformer layers, 40 epochs).

Protocol (nothing is chosen on a test split, and each test split is scored once):
- BANKING77: train on 90% of train.csv (fixed, seeded, stratified), score the other 10% (validation); then train
  on all of train.csv and score test.csv.
- CLINC150 (data_full.json): train on `train` (150 intents); out-of-scope becomes a 151st class (from
  `oos_train`) only if that scores better on validation. The out-of-scope confidence threshold is the one with the
  best out-of-scope recall on `oos_val` that keeps in-scope accuracy on `val` at IN_SCOPE_FLOOR; `test` +
  `oos_test` are then scored at it, and at the thresholds config.yml ships.
- "With fallback" means what the FallbackClassifier does: a message whose top confidence is below the threshold,
  or whose top two are closer than the ambiguity threshold, goes to fallback and counts as wrong (in scope) or as
  caught (out of scope). The stock pipeline gets the same rule applied to its confidences.
- Every message is parsed alone through the trained model, as the server does (rasa.core.agent.Agent); the median
  of those calls is the parse time. Training times are Rasa's whole `train_nlu`, with its cache off.

The data are read in place from /work/shared/data; Rasa trains from a temporary NLU file in a temporary directory
outside the repository, deleted at the end. Writes bench/results/public_intents.md and public_intents.json.
"""

from __future__ import annotations

import os

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ["RASA_MAX_CACHE_SIZE"] = "0"  # honest training times, and nothing written to the project's cache

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import csv  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Optional  # noqa: E402

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # config.yml names our components by module path (bot.nlu....)

DATA = Path("/work/shared/data")
RESULTS = ROOT / "bench" / "results"
SEED = 7
VALIDATION_FRACTION = 0.1
OUT_OF_SCOPE = "oos"  # CLINC150's label for out-of-scope queries
# Issue 10 asks for out-of-scope recall at in-scope accuracy >= 93%; validation asks for half a point more, about
# one standard error on 3,000 messages, so the threshold chosen there still holds on test.
IN_SCOPE_FLOOR = 0.935
FALLBACK_INTENT = "nlu_fallback"
STOCK_VARIANTS = {
    "diet-100": "WhitespaceTokenizer, CountVectorsFeaturizer word + char_wb 1-4, DIETClassifier 100 epochs "
                "(Rasa's default config)",
    "diet-40": "WhitespaceTokenizer, CountVectorsFeaturizer word + char_wb 1-4, DIETClassifier without transformer "
               "layers, 40 epochs (shared/data/README.md's cheaper setting)",
}
# Why the default run can't be diet-100 here: on this machine (2 cores, shared) DIET with its default two transformer
# layers took 95 s for 1 epoch and 300 s for 3 on BANKING77's train.csv, so 100 epochs is about 2.7 hours for each
# of the five trainings.
DIET_100_COST = "DIET with its two default transformer layers took about 100 s an epoch on BANKING77 here " \
                "(1 epoch 95 s, 3 epochs 300 s): 100 epochs would take about 2.7 hours per training, so the stock " \
                "pipeline is the cheaper setting shared/data/README.md documents."
# Published test figures, from shared/data/README.md.
PUBLISHED = {
    "banking77": [("BERT fine-tuned (Casanueva et al. 2020)", 93.66), ("USE+ConveRT (Casanueva et al. 2020)", 93.36),
                  ("Rasa 3.6 count vectors + DIET, no transformer, 40 epochs (README)", 88.5)],
    "clinc150": [("BERT, out-of-scope as a class (Larson et al. 2019)", 96.9, 40.3),
                 ("BERT, confidence threshold (Larson et al. 2019)", 96.2, 52.3),
                 ("Rasa 2019, spaCy + sklearn (Larson et al. 2019)", 91.5, 45.3),
                 ("Rasa 3.6 count vectors + DIET, no threshold (README)", 88.9, 11.6),
                 ("Rasa 3.6 count vectors + DIET, threshold 0.2 (README)", 86.4, 74.0)],
}


@dataclass(frozen=True)
class Examples:
    texts: list[str]
    labels: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def every(self, step: int) -> "Examples":
        """Every step-th example (for --limit smoke runs)."""
        return Examples(self.texts[::step], self.labels[::step])


@dataclass(frozen=True)
class Fallback:
    threshold: float
    ambiguity: float = 0.0

    def triggers(self, ranking: list[tuple[str, float]]) -> bool:
        """What rasa's FallbackClassifier decides for this ranking."""
        first = ranking[0][1] if ranking else 0.0
        second = ranking[1][1] if len(ranking) > 1 else None
        return first < self.threshold or (second is not None and first - second < self.ambiguity)


@dataclass(frozen=True)
class Parsed:
    ranking: list[tuple[str, float]]  # the classifier's, without nlu_fallback
    fell_back: bool  # what the pipeline answered (only a pipeline with a FallbackClassifier says so)
    seconds: float

    @property
    def intent(self) -> Optional[str]:
        return self.ranking[0][0] if self.ranking else None

    @property
    def confidence(self) -> float:
        return self.ranking[0][1] if self.ranking else 0.0


# ---------------------------------------------------------------------------------------------------- the data


def read_banking77(split: str) -> Examples:
    with (DATA / "banking77" / f"{split}.csv").open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return Examples([row["text"] for row in rows], [row["category"] for row in rows])


def read_clinc150() -> dict[str, Examples]:
    splits = json.loads((DATA / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    return {name: Examples([text for text, _ in pairs], [label for _, label in pairs])
            for name, pairs in splits.items()}


def validation_split(data: Examples) -> tuple[Examples, Examples]:
    """A fixed, seeded, stratified split: (the 90% to train on, the 10% to validate on)."""
    fit_texts, val_texts, fit_labels, val_labels = train_test_split(
        data.texts, data.labels, test_size=VALIDATION_FRACTION, stratify=data.labels, random_state=SEED)
    return Examples(fit_texts, fit_labels), Examples(val_texts, val_labels)


def joined(*parts: Examples) -> Examples:
    return Examples([t for p in parts for t in p.texts], [label for p in parts for label in p.labels])


# ------------------------------------------------------------------------------------------------ the pipelines


def shipped_config() -> dict[str, Any]:
    """config.yml's NLU part, untouched."""
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    return {"recipe": config.get("recipe", "default.v1"), "language": config["language"],
            "pipeline": config["pipeline"]}


def shipped_fallback(config: dict[str, Any]) -> Fallback:
    component = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    return Fallback(float(component.get("threshold", 0.3)), float(component.get("ambiguity_threshold", 0.1)))


def stock_config(variant: str) -> dict[str, Any]:
    diet: dict[str, Any] = {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True,
                            "random_seed": SEED}
    if variant == "diet-40":
        diet.update(epochs=40, number_of_transformer_layers=0)
    return {"recipe": "default.v1", "language": "en", "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        diet,
    ]}


def train(config: dict[str, Any], data: Examples, work: Path) -> tuple[Path, float]:
    """Trains with Rasa's own `train_nlu`; returns the model archive and the seconds it took."""
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    work.mkdir(parents=True)
    (work / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    nlu = TrainingData([Message.build(text=text, intent=label) for text, label in zip(data.texts, data.labels)])
    (work / "nlu.yml").write_text(nlu.nlu_as_yaml(), encoding="utf-8")
    started = time.monotonic()
    with contextlib.redirect_stdout(io.StringIO()):  # Rasa's progress bars and "model saved" banner
        model = train_nlu(str(work / "config.yml"), str(work / "nlu.yml"), str(work), fixed_model_name="model")
    seconds = time.monotonic() - started
    (work / "nlu.yml").unlink()
    if model is None:
        raise RuntimeError(f"Rasa trained no model in {work}")
    return Path(model), seconds


def parse(model: Path, texts: list[str]) -> list[Parsed]:
    """Each message alone through the trained model, as the server parses it, timed."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse_all() -> list[Parsed]:
        parsed = []
        for text in texts:
            started = time.perf_counter()
            result = await agent.parse_message(text)
            seconds = time.perf_counter() - started
            ranking = [(r["name"], float(r["confidence"])) for r in result.get("intent_ranking", [])
                       if r["name"] != FALLBACK_INTENT]
            parsed.append(Parsed(ranking, (result.get("intent") or {}).get("name") == FALLBACK_INTENT, seconds))
        return parsed

    return asyncio.run(parse_all())


@dataclass(frozen=True)
class Pipeline:
    name: str
    config: dict[str, Any]
    has_fallback: bool  # whether its own FallbackClassifier decides (else the shipped rule is applied here)


# --------------------------------------------------------------------------------------------------- the scores


def fell_back(parsed: list[Parsed], fallback: Fallback, pipeline: Pipeline) -> list[bool]:
    """The pipeline's own decisions where it has a FallbackClassifier, else the same rule on its confidences."""
    if pipeline.has_fallback:
        return [p.fell_back for p in parsed]
    return [fallback.triggers(p.ranking) for p in parsed]


def intent_scores(parsed: list[Parsed], gold: Examples, fallen: list[bool]) -> dict[str, float]:
    right = [p.intent == label for p, label in zip(parsed, gold.labels)]
    return {"top1": float(np.mean(right)),
            "with_fallback": float(np.mean([r and not f for r, f in zip(right, fallen)])),
            "fallback_share": float(np.mean(fallen))}


def in_scope_accuracy(parsed: list[Parsed], gold: Examples, threshold: float) -> float:
    return float(np.mean([p.intent == label and p.confidence >= threshold for p, label in zip(parsed, gold.labels)]))


def out_of_scope_recall(parsed: list[Parsed], threshold: float) -> float:
    return float(np.mean([p.intent == OUT_OF_SCOPE or p.confidence < threshold for p in parsed]))


def threshold_curve(in_scope: list[Parsed], gold: Examples, out_of_scope: list[Parsed]) -> list[dict[str, float]]:
    return [{"threshold": round(float(t), 3), "in_scope_accuracy": in_scope_accuracy(in_scope, gold, t),
             "out_of_scope_recall": out_of_scope_recall(out_of_scope, t)} for t in np.arange(0.0, 1.0005, 0.005)]


def choose_threshold(curve: list[dict[str, float]]) -> dict[str, float]:
    """The best out-of-scope recall that keeps in-scope accuracy at IN_SCOPE_FLOOR (the lowest such threshold);
    threshold 0 (no threshold) for a model whose top-1 accuracy is below the floor already."""
    allowed = [point for point in curve if point["in_scope_accuracy"] >= IN_SCOPE_FLOOR] or curve[:1]
    return max(allowed, key=lambda point: (point["out_of_scope_recall"], -point["threshold"]))


def fallback_curve(parsed: list[Parsed], gold: Examples, ambiguity: float) -> list[dict[str, float]]:
    """Accuracy with fallback and fallback share at a few thresholds (the ambiguity threshold as shipped)."""
    rows = []
    for threshold in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6):
        rule = Fallback(threshold, ambiguity)
        rows.append({"threshold": threshold, **intent_scores(parsed, gold, [rule.triggers(p.ranking) for p in parsed])})
    return rows


def median_ms(parsed: list[Parsed]) -> float:
    return round(statistics.median(p.seconds for p in parsed) * 1000, 1)


def rule_agreement(parsed: list[Parsed], fallback: Fallback) -> float:
    """Share of messages where our reading of the FallbackClassifier agrees with the pipeline's own."""
    return float(np.mean([p.fell_back == fallback.triggers(p.ranking) for p in parsed]))


# ----------------------------------------------------------------------------------------------- the data sets


def bench_banking77(pipeline: Pipeline, fallback: Fallback, work: Path, step: int) -> dict[str, Any]:
    train_all, test = read_banking77("train").every(step), read_banking77("test").every(step)
    fit, val = validation_split(train_all)
    model, fit_seconds = train(pipeline.config, fit, work / "banking77-val")
    on_val = parse(model, val.texts)
    model, train_seconds = train(pipeline.config, train_all, work / "banking77-test")
    on_test = parse(model, test.texts)
    result = {
        "validation": {"train_examples": len(fit), "examples": len(val), "train_seconds": round(fit_seconds, 1),
                       **intent_scores(on_val, val, fell_back(on_val, fallback, pipeline)),
                       "fallback_curve": fallback_curve(on_val, val, fallback.ambiguity)},
        "test": {"train_examples": len(train_all), "examples": len(test), "train_seconds": round(train_seconds, 1),
                 "median_parse_ms": median_ms(on_test),
                 **intent_scores(on_test, test, fell_back(on_test, fallback, pipeline))},
    }
    if pipeline.has_fallback:
        result["test"]["fallback_rule_agreement"] = rule_agreement(on_test, fallback)
    return result


def clinc_validation(pipeline: Pipeline, train_data: Examples, data: dict[str, Examples], work: Path
                     ) -> tuple[Path, float, dict[str, Any]]:
    model, seconds = train(pipeline.config, train_data, work)
    in_scope, out_of_scope = parse(model, data["val"].texts), parse(model, data["oos_val"].texts)
    curve = threshold_curve(in_scope, data["val"], out_of_scope)
    top1 = float(np.mean([p.intent == label for p, label in zip(in_scope, data["val"].labels)]))
    return model, seconds, {"train_examples": len(train_data), "train_seconds": round(seconds, 1), "top1": top1,
                            "chosen": choose_threshold(curve), "curve": curve[::10]}


def clinc_at(in_scope: list[Parsed], gold: Examples, out_of_scope: list[Parsed], fallen_in: list[bool],
             fallen_out: list[bool]) -> dict[str, float]:
    return {"in_scope_accuracy": float(np.mean([p.intent == label and not f
                                                for p, label, f in zip(in_scope, gold.labels, fallen_in)])),
            "out_of_scope_recall": float(np.mean([p.intent == OUT_OF_SCOPE or f
                                                  for p, f in zip(out_of_scope, fallen_out)]))}


def bench_clinc150(pipeline: Pipeline, fallback: Fallback, work: Path, step: int, try_oos_class: bool
                   ) -> dict[str, Any]:
    data = {name: examples.every(step) for name, examples in read_clinc150().items()}
    model, seconds, plain = clinc_validation(pipeline, data["train"], data, work / "clinc150")
    validation = {"150 intents": plain}
    if try_oos_class:
        as_class = clinc_validation(pipeline, joined(data["train"], data["oos_train"]), data, work / "clinc150-oos")
        validation["150 intents + out-of-scope class"] = as_class[2]
        if as_class[2]["chosen"]["out_of_scope_recall"] > plain["chosen"]["out_of_scope_recall"]:
            model, seconds, plain = as_class
    chosen = next(name for name, v in validation.items() if v is plain)
    threshold = plain["chosen"]["threshold"]
    in_scope, out_of_scope = parse(model, data["test"].texts), parse(model, data["oos_test"].texts)
    at_chosen = Fallback(threshold)
    return {
        "validation": validation,
        "trained_as": chosen,
        "test": {
            "train_seconds": round(seconds, 1), "median_parse_ms": median_ms(in_scope + out_of_scope),
            "examples": len(in_scope), "out_of_scope_examples": len(out_of_scope),
            "top1": float(np.mean([p.intent == label for p, label in zip(in_scope, data["test"].labels)])),
            "chosen_threshold": threshold,
            "at_chosen": clinc_at(in_scope, data["test"], out_of_scope,
                                  [at_chosen.triggers(p.ranking[:1]) for p in in_scope],
                                  [at_chosen.triggers(p.ranking[:1]) for p in out_of_scope]),
            "at_shipped": clinc_at(in_scope, data["test"], out_of_scope, fell_back(in_scope, fallback, pipeline),
                                   fell_back(out_of_scope, fallback, pipeline)),
        },
    }


# ------------------------------------------------------------------------------------------------- the report


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def machine() -> dict[str, Any]:
    """Where and on what the figures were measured."""
    import rasa

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(memory, 1), "python": platform.python_version(),
            "rasa": rasa.__version__, "system": platform.platform(), "commit": git("rev-parse", "--short", "HEAD"),
            "uncommitted_nlu_changes": bool(git("status", "--porcelain", "--", "bot/nlu", "config.yml"))}


def pct(value: float) -> str:
    return f"{100 * value:.1f}"


def markdown(report: dict[str, Any]) -> str:
    fallback = report["shipped_fallback"]
    shipped = f"threshold {fallback['threshold']}, ambiguity {fallback['ambiguity']}"
    names = list(report["pipelines"])
    lines = [
        "# Public intent benchmarks: BANKING77 and CLINC150",
        "",
        f"Written by `bench/public_intents.py` on {report['finished']}; the whole run took "
        f"{report['run_minutes']:.0f} minutes on {report['machine']['cpu']} ({report['machine']['cores']} cores, "
        f"load average {report['load_average']['start']:.1f} at the start, {report['load_average']['end']:.1f} at "
        f"the end: other work shared the machine). Rasa {report['machine']['rasa']}, Python "
        f"{report['machine']['python']}. Pipelines: " + "; ".join(
            f"**{name}**: {p['description']}" for name, p in report["pipelines"].items()) + "."
        + (f" {DIET_100_COST}" if report["stock"] == "diet-40" else ""),
        "",
        f"Accuracy \"with fallback\" counts a message the FallbackClassifier ({shipped}, as config.yml ships) sends "
        "to fallback as wrong; the stock pipeline gets the same rule on its confidences. Parse times are the "
        "median of single-message parses through the loaded model (Agent.parse_message), training times Rasa's "
        "whole train_nlu without its cache. Test splits were scored once, with everything chosen on validation.",
        "",
        "## BANKING77 (test.csv, 3,080 messages; published figures are test accuracy)",
        "",
        "| pipeline | validation top-1 | validation with fallback | test top-1 | test with fallback | "
        "sent to fallback (test) | train (s) | median parse (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        b = report["pipelines"][name]["banking77"]
        v, t = b["validation"], b["test"]
        lines.append(f"| {name} | {pct(v['top1'])} | {pct(v['with_fallback'])} | **{pct(t['top1'])}** | "
                     f"**{pct(t['with_fallback'])}** | {pct(t['fallback_share'])} | {t['train_seconds']:.0f} | "
                     f"{t['median_parse_ms']} |")
    lines += [f"| {label} (published) | | | {value} | | | | |" for label, value in PUBLISHED["banking77"]]
    lines += [
        "",
        f"Validation: trained on 90% of train.csv, scored on the other 10% (seeded, stratified, {SEED}). "
        "Ours on validation at other fallback thresholds (ambiguity as shipped):",
        "",
        "| threshold | with fallback | sent to fallback |",
        "|---|---|---|",
    ]
    for row in report["pipelines"][names[0]]["banking77"]["validation"]["fallback_curve"]:
        lines.append(f"| {row['threshold']} | {pct(row['with_fallback'])} | {pct(row['fallback_share'])} |")
    lines += [
        "",
        "## CLINC150 (data_full.json: test 4,500 in scope, oos_test 1,000 out of scope)",
        "",
        f"The out-of-scope threshold is chosen on val + oos_val: the best out-of-scope recall keeping in-scope "
        f"accuracy >= {pct(IN_SCOPE_FLOOR)}%. In-scope accuracy counts a message below the threshold as wrong.",
        "",
        "| pipeline | trained on | chosen threshold | validation in-scope / out-of-scope recall | "
        "test in-scope / out-of-scope recall at it | test at config.yml's fallback | test top-1 (no threshold) | "
        "train (s) | median parse (ms) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        c = report["pipelines"][name]["clinc150"]
        chosen_val = c["validation"][c["trained_as"]]["chosen"]
        t = c["test"]
        reached = chosen_val["in_scope_accuracy"] >= IN_SCOPE_FLOOR
        threshold = f"{t['chosen_threshold']:.3f}" if reached else "none: in-scope accuracy below the floor at 0"
        lines.append(
            f"| {name} | {c['trained_as']} | {threshold} | {pct(chosen_val['in_scope_accuracy'])} / "
            f"{pct(chosen_val['out_of_scope_recall'])} | **{pct(t['at_chosen']['in_scope_accuracy'])} / "
            f"{pct(t['at_chosen']['out_of_scope_recall'])}** | {pct(t['at_shipped']['in_scope_accuracy'])} / "
            f"{pct(t['at_shipped']['out_of_scope_recall'])} | {pct(t['top1'])} | {t['train_seconds']:.0f} | "
            f"{t['median_parse_ms']} |")
    lines += [f"| {label} (published) | | | | {a} / {r} | | | | |" for label, a, r in PUBLISHED["clinc150"]]
    lines += ["", "Out-of-scope as a class, measured on validation (chosen threshold each):", "",
              "| pipeline | trained on | validation top-1 | threshold | in-scope | out-of-scope recall |",
              "|---|---|---|---|---|---|"]
    for name in names:
        for variant, v in report["pipelines"][name]["clinc150"]["validation"].items():
            lines.append(f"| {name} | {variant} | {pct(v['top1'])} | {v['chosen']['threshold']:.3f} | "
                         f"{pct(v['chosen']['in_scope_accuracy'])} | {pct(v['chosen']['out_of_scope_recall'])} |")
    lines += ["", "Ours on validation (150 intents) at other thresholds:", "",
              "| threshold | in-scope accuracy | out-of-scope recall |", "|---|---|---|"]
    for point in report["pipelines"][names[0]]["clinc150"]["validation"]["150 intents"]["curve"]:
        if 0.1 <= point["threshold"] <= 0.8:
            lines.append(f"| {point['threshold']:.2f} | {pct(point['in_scope_accuracy'])} | "
                         f"{pct(point['out_of_scope_recall'])} |")
    return "\n".join(lines) + "\n"


def quiet() -> None:
    """Rasa and TensorFlow log every training step and every parse; the figures are what this prints."""
    from rasa.utils.log_utils import configure_structlog

    warnings.filterwarnings("ignore")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    configure_structlog(logging.ERROR)
    logging.disable(logging.WARNING)


def timed(label: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.monotonic()
    result = run()
    print(f"{label}: {json.dumps(result, default=str)[:1500]} ({time.monotonic() - started:.0f} s)", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stock", choices=list(STOCK_VARIANTS), default="diet-100")
    parser.add_argument("--limit", type=int, default=1, help="keep every Nth example (smoke runs; 1 = all)")
    parser.add_argument("--no-oos-class", action="store_true",
                        help="skip training CLINC150 with out-of-scope as a class")
    parser.add_argument("--markdown-only", action="store_true", help="rewrite the .md from the last full run's .json")
    args = parser.parse_args()
    if args.markdown_only:
        (RESULTS / "public_intents.md").write_text(markdown(json.loads((RESULTS / "public_intents.json").read_text())))
        return
    quiet()
    started, load_start = time.monotonic(), os.getloadavg()[0]
    ours = shipped_config()
    fallback = shipped_fallback(ours)
    pipelines = [Pipeline("ours (config.yml)", ours, has_fallback=True),
                 Pipeline(f"stock Rasa ({args.stock})", stock_config(args.stock), has_fallback=False)]
    report: dict[str, Any] = {"shipped_fallback": fallback.__dict__, "pipelines": {}, "limit": args.limit,
                              "stock": args.stock}
    with tempfile.TemporaryDirectory(prefix="public-intents-") as tmp:
        for index, pipeline in enumerate(pipelines):
            work = Path(tmp) / str(index)
            description = "config.yml as shipped" if pipeline.has_fallback else STOCK_VARIANTS[args.stock]
            report["pipelines"][pipeline.name] = {
                "description": description, "config": pipeline.config,
                "banking77": timed(f"{pipeline.name} BANKING77",
                                   lambda: bench_banking77(pipeline, fallback, work, args.limit)),
                "clinc150": timed(f"{pipeline.name} CLINC150",
                                  lambda: bench_clinc150(pipeline, fallback, work, args.limit,
                                                         try_oos_class=not args.no_oos_class)),
            }
    report.update(machine=machine(), run_minutes=round((time.monotonic() - started) / 60, 1),
                  load_average={"start": load_start, "end": os.getloadavg()[0]},
                  finished=time.strftime("%Y-%m-%d %H:%M"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.limit == 1 else f"-limit{args.limit}"
    (RESULTS / f"public_intents{suffix}.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (RESULTS / f"public_intents{suffix}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
