"""The dataset store: imports, immutable versions, statistics and version operations."""
