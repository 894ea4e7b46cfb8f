"""One module per recipe; each turns a spec into data, a model and a loss."""

from __future__ import annotations

from engine.recipes.base import Recipe
from engine.spec import TrainingSpec


def create_recipe(spec: TrainingSpec) -> Recipe:
    if spec.recipe == "causal_lm_sft":
        from engine.recipes.causal_lm import CausalLMRecipe

        return CausalLMRecipe(spec)
    if spec.recipe == "text_classification":
        from engine.recipes.text_classification import TextClassificationRecipe

        return TextClassificationRecipe(spec)
    if spec.recipe == "image_classification":
        from engine.recipes.image_classification import ImageClassificationRecipe

        return ImageClassificationRecipe(spec)
    from engine.recipes.custom_architecture import CustomArchitectureRecipe

    return CustomArchitectureRecipe(spec)
