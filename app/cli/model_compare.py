"""`sparktrainer model compare ID ID […]`: the Models pane's comparison in a terminal, and
with `--prompt` the same prompt answered by each model in turn."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.cli.model_try import generation_request, sampling_arguments
from app.models.comparison import MAX_MODELS, MIN_MODELS, Comparison

COLUMN = 24
"""Characters per model column; longer values are cut with an ellipsis."""


def register(actions: argparse._SubParsersAction) -> None:
    parser = actions.add_parser(
        "compare",
        help=f"compare {MIN_MODELS} to {MAX_MODELS} models: facts, metrics, spec differences",
    )
    parser.add_argument("ids", type=int, nargs="+", metavar="ID", help="models (`model list`)")
    parser.add_argument("--prompt", help="also answer this prompt with each text-generation model")
    # A fixed seed by default: the answers differ by model, not by chance.
    sampling_arguments(parser, seed=0)
    parser.set_defaults(func=_compare)


def cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    text = f"{value:.5g}" if isinstance(value, float) else str(value)
    return text if len(text) <= COLUMN else text[: COLUMN - 1] + "…"


def table_lines(comparison: Comparison) -> list[str]:
    names = [name for name, _ in comparison.facts]
    names += [name for name, _ in comparison.metrics]
    names += [name for name, _ in comparison.differences]
    first = max([16, *map(len, names)])

    def line(name: str, values: list[Any]) -> str:
        return f"{name:<{first}}  " + "  ".join(f"{cell(v):<{COLUMN}}" for v in values).rstrip()

    lines = [line("", [f"#{m.id} {m.name}" for m in comparison.models])]
    lines += [line(name, values) for name, values in comparison.facts]
    if comparison.metrics:
        lines += ["", "Metrics"] + [line(name, values) for name, values in comparison.metrics]
    if comparison.differences:
        lines += ["", "Spec differences"]
        lines += [line(name, values) for name, values in comparison.differences]
    elif comparison.trained_here >= 2:
        lines += ["", "Spec differences: none (the jobs' specs are the same)"]
    return lines


def _compare(args: argparse.Namespace) -> int:
    from app.cli.model_command import _registry
    from app.models.comparison import compare_models

    comparison = compare_models(_registry(), args.ids)
    print("\n".join(table_lines(comparison)))
    if args.prompt is None:
        return 0
    from app.errors import UserError
    from app.models.playground import GENERATING, target_for_model, try_blocking

    request = generation_request(args)
    request["messages"] = [{"role": "user", "content": args.prompt}]
    failed = 0
    for model in comparison.models:
        print(f"\n## #{model.id} {model.name}")
        if model.task != GENERATING:
            print(f"(a {model.task_name} model does not answer prompts)")
            continue
        try:
            outcome = try_blocking(target_for_model(model), request, _stream)
        except UserError as error:
            print(error.message, file=sys.stderr)
            failed += 1
            continue
        print(f"\n[{outcome['tokens']} tokens, ended by {outcome['finish']}]", file=sys.stderr)
    return 1 if failed else 0


def _stream(answer: dict[str, Any]) -> None:
    if answer["event"] == "token" and answer.get("text"):
        sys.stdout.write(answer["text"])
        sys.stdout.flush()
