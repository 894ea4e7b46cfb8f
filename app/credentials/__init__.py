"""Secrets (Hugging Face token, W&B key, custom ones) in the OS keyring, or in an
encrypted file where no secure keyring exists; never in the database, settings,
logs, events, argv or a run directory (DESIGN.md §6)."""
