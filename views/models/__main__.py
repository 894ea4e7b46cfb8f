"""Preview: `python -m views.models` shows this pane alone."""

from views.models import create_pane
from views.preview import preview

raise SystemExit(preview(create_pane))
