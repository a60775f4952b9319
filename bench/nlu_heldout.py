"""Understanding on the NLU sets written apart from the training data: intent accuracy, the confusions behind
the misses, order and dispute numbers (precision and recall of their exact values) and parse time.

    .venv/bin/python -m bench.nlu_heldout --set validation           # choose data, pipeline, thresholds here
    .venv/bin/python -m bench.nlu_heldout --set test --record        # the test set, reported as it comes out
    .venv/bin/python -m bench.nlu_heldout --set fresh --record       # the fresh test set, once, when issue 10 ends

The model is the one config.yml and data/ make (trained if stale), parsed in process by Rasa's own Agent. A
message sent to the fallback counts as a miss, except for an out-of-scope message, where declining is right.
The fallback thresholds are config.yml's; `--thresholds` also scores others from the same parses (validation
only: the test set is never used to choose).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bench.provenance import record
from bot.order_numbers import MalformedNumber, canonical
from bot.settings import PROJECT_ROOT
from bot.training import ensure_model

SETS = {
    "validation": PROJECT_ROOT / "bench" / "nlu" / "validation_set.yml",
    "test": PROJECT_ROOT / "tests" / "nlu" / "test_set.yml",
    # Written apart after the test set had been run once: the next once-only measurement.
    "fresh": PROJECT_ROOT / "bench" / "nlu" / "fresh_test_set.yml",
}
NUMBER_ENTITIES = ("order_number", "dispute_number")  # the fresh set's authors named dispute numbers apart
DECLINING = {"out_of_scope", "nlu_fallback"}


def _canonical_value(value: Any) -> str:
    """An annotated number as the platform writes it (a set may annotate "cj 2411…" without an explicit value)."""
    try:
        return canonical(str(value))
    except MalformedNumber:
        return str(value)


def gold_examples(path: Path) -> list[dict[str, Any]]:
    """Each message with its intent and the numbers annotated in it (canonical values)."""
    data = load_data(str(path))
    return [{"text": m.get("text"), "intent": m.get("intent"),
             "numbers": sorted({_canonical_value(e["value"]) for e in m.get("entities") or []
                                if e["entity"] in NUMBER_ENTITIES})}
            for m in data.intent_examples]


async def parse_all(model: Path, texts: list[str]) -> tuple[list[dict[str, Any]], list[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    parses, seconds = [], []
    for text in texts:
        started = time.perf_counter()
        parses.append(await agent.parse_message(text))
        seconds.append(time.perf_counter() - started)
    return parses, seconds


def fallback_settings() -> tuple[float, float]:
    """config.yml's FallbackClassifier threshold and ambiguity threshold."""
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    return float(fallback["threshold"]), float(fallback.get("ambiguity_threshold", 0.1))


def predicted_intent(parse: dict[str, Any], threshold: float, ambiguity: float) -> str:
    """The intent with the fallback applied at these thresholds, from the classifier's own ranking."""
    ranking = [r for r in parse.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
    if not ranking:
        return parse["intent"]["name"]
    top = ranking[0]
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    if top["confidence"] < threshold or top["confidence"] - second < ambiguity:
        return "nlu_fallback"
    return top["name"]


def score(gold: list[dict[str, Any]], parses: list[dict[str, Any]], threshold: float, ambiguity: float
          ) -> dict[str, Any]:
    hits, fallbacks = 0, 0
    confusions: Counter[str] = Counter()
    per_intent: dict[str, list[int]] = {}
    for example, parse in zip(gold, parses):
        predicted = predicted_intent(parse, threshold, ambiguity)
        fallbacks += predicted == "nlu_fallback"
        right = predicted == example["intent"] or (example["intent"] == "out_of_scope" and predicted in DECLINING)
        hits += right
        per_intent.setdefault(example["intent"], [0, 0])
        per_intent[example["intent"]][0] += right
        per_intent[example["intent"]][1] += 1
        if not right:
            confusions[f"{example['intent']} -> {predicted}"] += 1
    return {
        "threshold": threshold, "ambiguity_threshold": ambiguity,
        "intent_accuracy": round(hits / len(gold), 4),
        "sent_to_fallback": round(fallbacks / len(gold), 4),
        "weakest_intents": sorted(((i, round(h / n, 3)) for i, (h, n) in per_intent.items()), key=lambda x: x[1])[:8],
        "top_confusions": confusions.most_common(15),
    }


def number_scores(gold: list[dict[str, Any]], parses: list[dict[str, Any]]) -> dict[str, Any]:
    """Exact values: a number read wrong is both a false one and a missed one."""
    true_positives = false_positives = false_negatives = 0
    wrong: list[str] = []
    for example, parse in zip(gold, parses):
        read = {str(e["value"]) for e in parse.get("entities") or [] if e["entity"] == "order_number"}
        read = {n for n in read if _is_canonical(n)}  # a number flagged as malformed is no claim
        wanted = set(example["numbers"])
        true_positives += len(read & wanted)
        false_positives += len(read - wanted)
        false_negatives += len(wanted - read)
        if read != wanted:
            wrong.append(f"{example['text']!r}: read {sorted(read)}, wanted {sorted(wanted)}")
    return {
        "numbers_annotated": true_positives + false_negatives,
        "precision": round(true_positives / max(1, true_positives + false_positives), 4),
        "recall": round(true_positives / max(1, true_positives + false_negatives), 4),
        "misread_messages": wrong[:20],
    }


def _is_canonical(value: str) -> bool:
    try:
        return canonical(value) == value
    except MalformedNumber:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=sorted(SETS), default="validation")
    parser.add_argument("--thresholds", nargs="*", type=float, default=[],
                        help="also score these fallback thresholds (validation only)")
    parser.add_argument("--misses", action="store_true", help="print every missed message (validation only)")
    parser.add_argument("--record", action="store_true", help="write bench/results/nlu_heldout_<set>.json")
    args = parser.parse_args()
    if (args.thresholds or args.misses) and args.set != "validation":
        parser.error("thresholds and data are chosen on the validation set only")
    model = ensure_model()
    gold = gold_examples(SETS[args.set])
    parses, seconds = asyncio.run(parse_all(model, [g["text"] for g in gold]))
    threshold, ambiguity = fallback_settings()
    result = {
        "set": args.set, "messages": len(gold), "intents": len({g["intent"] for g in gold}),
        "shipped": score(gold, parses, threshold, ambiguity),
        "numbers": number_scores(gold, parses),
        "median_parse_ms": round(statistics.median(seconds) * 1000, 1),
        "others": [score(gold, parses, t, ambiguity) for t in args.thresholds],
    }
    shipped = result["shipped"]
    print(f"{args.set}: {len(gold)} messages, {result['intents']} intents; intent accuracy "
          f"{shipped['intent_accuracy']:.3f} at threshold {threshold} "
          f"(sent to fallback {shipped['sent_to_fallback']:.1%})")
    print(f"numbers: precision {result['numbers']['precision']:.4f}, recall {result['numbers']['recall']:.4f} "
          f"({result['numbers']['numbers_annotated']} annotated); median parse {result['median_parse_ms']} ms")
    print("weakest:", shipped["weakest_intents"])
    for confusion, count in shipped["top_confusions"]:
        print(f"  {count:>3}  {confusion}")
    for line in result["numbers"]["misread_messages"]:
        print("  number:", line)
    if args.misses:
        for example, parse in zip(gold, parses):
            predicted = predicted_intent(parse, threshold, ambiguity)
            if predicted != example["intent"] and not (example["intent"] == "out_of_scope" and predicted in DECLINING):
                print(f"  miss: {example['intent']:>22} -> {predicted:<22} {example['text']}")
    for other in result["others"]:
        print(f"threshold {other['threshold']}: accuracy {other['intent_accuracy']:.3f}, "
              f"fallback {other['sent_to_fallback']:.1%}")
    if args.record:
        record(f"nlu_heldout_{args.set}", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
