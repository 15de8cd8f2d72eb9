"""Grafana dashboards (next issue)."""

__all__: list[str] = []
