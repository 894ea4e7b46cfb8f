"""Labeling projects: a label schema on a dataset version, labels committed as they are
made, exports and imports, and new dataset versions made from the labels."""
