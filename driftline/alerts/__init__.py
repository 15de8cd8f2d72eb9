"""Alert policies (next issue)."""

__all__: list[str] = []
