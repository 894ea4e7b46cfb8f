"""Preview: `python -m views.hardware` shows this pane alone."""

from views.hardware import create_pane
from views.preview import preview

raise SystemExit(preview(create_pane))
