"""Preview: `python -m views.builder` shows this pane alone."""

from views.builder import create_pane
from views.preview import preview

raise SystemExit(preview(create_pane))
