"""Hardware: NVML and psutil readings, their history, and the GPU inventory the
scheduler trusts. Sampling runs on its own thread, never the GUI's."""
