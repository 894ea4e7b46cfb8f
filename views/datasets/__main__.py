"""Preview: `python -m views.datasets` shows this pane alone."""

from views.datasets import create_pane
from views.preview import preview

raise SystemExit(preview(create_pane))
