"""The PyTorch runtime's dialog and the Hardware pane's box for it (app/runtime)."""
