"""Preview: `python -m views.jobs` shows this pane alone."""

from views.jobs import create_pane
from views.preview import preview

raise SystemExit(preview(create_pane))
