"""Optional accelerated paths (PyTorch, GPU). Nothing here is imported by default."""
