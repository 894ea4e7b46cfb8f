"""Preview: `python -m views.settings` shows this pane alone."""

from views.preview import preview
from views.settings import create_pane

raise SystemExit(preview(create_pane))
