"""The model registry: bases, trained models and merges, their lineage, cards and files."""
