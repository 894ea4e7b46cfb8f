"""The job wizard's pages, one module each, and their shared state."""
