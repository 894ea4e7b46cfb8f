"""How a prompt is written for a causal LM: one rule for training and for the playground.

The model's chat template when its tokenizer has one; otherwise the plain templates a
SparkTrainer model was trained on, so a prompt typed in the playground reaches the model
exactly as its training prompts did.
"""

from __future__ import annotations

from typing import Any

from engine.spec import PLAIN_TEMPLATE

ASSISTANT_TURN = "### Assistant:\n"


def has_chat_template(tokenizer: Any) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


def render_prompt(tokenizer: Any, prompt: str) -> str:
    """One user prompt (a `prompt` column, or a playground question)."""
    return render_history(tokenizer, [{"role": "user", "content": prompt}], plain=PLAIN_TEMPLATE)


def render_history(
    tokenizer: Any, messages: list[dict[str, Any]], *, plain: str | None = None
) -> str:
    """A conversation up to the assistant's next turn. Without a chat template: `plain`
    for a single prompt, else one `### Role:` block per message (the `messages` column's
    format)."""
    if has_chat_template(tokenizer):
        rendered = tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        return str(rendered)
    if plain is not None and len(messages) == 1:
        return plain.format(prompt=messages[0]["content"])
    text = "".join(f"### {str(m['role']).title()}:\n{m['content']}\n\n" for m in messages)
    return text + ASSISTANT_TURN
