"""Classification metrics in plain Python (validation sets are small)."""

from __future__ import annotations


def accuracy_and_macro_f1(
    predictions: list[int], targets: list[int], classes: int
) -> dict[str, float]:
    if not targets:
        return {"accuracy": 0.0, "macro_f1": 0.0}
    correct = sum(p == t for p, t in zip(predictions, targets, strict=True))
    scores = []
    for c in range(classes):
        tp = sum(p == c and t == c for p, t in zip(predictions, targets, strict=True))
        fp = sum(p == c and t != c for p, t in zip(predictions, targets, strict=True))
        fn = sum(p != c and t == c for p, t in zip(predictions, targets, strict=True))
        if tp + fp + fn:  # classes absent from both sides do not count
            scores.append(2 * tp / (2 * tp + fp + fn))
    return {
        "accuracy": correct / len(targets),
        "macro_f1": sum(scores) / len(scores) if scores else 0.0,
    }
