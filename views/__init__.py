"""The Qt Widgets user interface. Talks to app/ through services and item models."""
