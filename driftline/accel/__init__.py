"""Optional accelerated paths (PyTorch, GPU). Nothing here is imported by default."""

__all__: list[str] = []
