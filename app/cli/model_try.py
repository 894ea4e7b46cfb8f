"""`sparktrainer model try`: the playground from a terminal, one request streamed."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.errors import UserError


def register(actions: argparse._SubParsersAction) -> None:
    parser = actions.add_parser(
        "try",
        help="answer a prompt or classify texts/images with a model (or a job's checkpoint)",
    )
    parser.add_argument("id", type=int, nargs="?", help="the model (see `model list`)")
    parser.add_argument("--job", metavar="JOB", help="a job's model or checkpoint instead")
    parser.add_argument(
        "--checkpoint",
        metavar="STEP",
        help="with --job: the checkpoint at STEP, or 'latest' (default: the final model)",
    )
    given = parser.add_mutually_exclusive_group(required=True)
    given.add_argument("--prompt", help="a question, written as the model was trained to read")
    given.add_argument("--raw", help="text to continue as it is (no prompt template)")
    given.add_argument("--text", action="append", help="a text to classify (repeatable)")
    given.add_argument("--image", action="append", help="an image or folder to classify")
    sampling_arguments(parser)
    parser.set_defaults(func=_try)


def sampling_arguments(parser: argparse.ArgumentParser, seed: int | None = None) -> None:
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--temperature", type=float, default=0.7, help="0: always the likeliest")
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--top-k", type=int, default=50)
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--stop", action="append", default=[], help="stop at this text")


def generation_request(args: argparse.Namespace) -> dict[str, Any]:
    """A generate request from the sampling options; the prompt or text goes in after."""
    return {
        "op": "generate",
        "max_new_tokens": args.max_new_tokens,
        "temperature": args.temperature,
        "top_p": args.top_p,
        "top_k": args.top_k,
        "seed": args.seed,
        "stop": args.stop,
    }


def _target(args: argparse.Namespace) -> Any:
    from app.cli.model_command import _registry
    from app.models.playground import target_for_model, targets_for_job

    registry = _registry()
    if args.job:
        targets = targets_for_job(registry.jobs.get(args.job))
        if args.checkpoint:
            step = None if args.checkpoint == "latest" else f"checkpoint-{args.checkpoint}"
            targets = [
                t
                for t in targets
                if t.checkpoint is not None and (step is None or t.checkpoint.name == step)
            ]
        else:
            targets = [t for t in targets if t.checkpoint is None]
        if not targets:
            what = f"checkpoint {args.checkpoint}" if args.checkpoint else "final model"
            raise UserError(f"Job {args.job} has no {what} to try.")
        return targets[0]
    if args.id is None:
        raise UserError("Name a model ID, or --job JOB.")
    return target_for_model(registry.get(args.id))


def _try(args: argparse.Namespace) -> int:
    from app.models.playground import try_blocking

    target = _target(args)
    if args.prompt is not None or args.raw is not None:
        request = generation_request(args)
        if args.prompt is not None:
            request["messages"] = [{"role": "user", "content": args.prompt}]
        else:
            request["text"] = args.raw
    elif args.text:
        request = {"op": "classify", "texts": args.text}
    else:
        request = {"op": "classify", "images": args.image}

    def show(answer: dict[str, Any]) -> None:
        if answer.get("id") == 1 and answer["event"] == "result" and answer.get("task"):
            print(f"{target.name}: {answer['task'].replace('_', ' ')}", file=sys.stderr)
        if answer["event"] == "token" and answer.get("text"):
            sys.stdout.write(answer["text"])
            sys.stdout.flush()

    outcome = try_blocking(target, request, show)
    if request["op"] == "generate":
        print()
        print(
            f"[{outcome['tokens']} tokens, {outcome.get('tokens_per_second') or 0:.1f}/s, "
            f"ended by {outcome['finish']}]",
            file=sys.stderr,
        )
        return 0
    for prediction in outcome["predictions"]:
        if prediction.get("error"):
            print(f"{prediction['input']}: {prediction['error']}")
            continue
        ranked = ", ".join(f"{p['label']} {p['p']:.3f}" for p in prediction["labels"])
        print(f"{prediction['input']}\t{ranked}")
    return 0
