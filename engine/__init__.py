"""The training engine: runs in its own process, one per job (DESIGN.md §1, §3).

Never imports Qt, app/ or views/. `engine.spec` and `engine.protocol` use only
the standard library so the GUI process can import them without torch.
"""
