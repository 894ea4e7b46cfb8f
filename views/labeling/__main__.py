"""Preview: `python -m views.labeling` shows this pane alone."""

from views.labeling import create_pane
from views.preview import preview

raise SystemExit(preview(create_pane))
