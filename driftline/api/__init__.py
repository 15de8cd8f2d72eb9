"""The HTTP API: ``create_app(settings)`` builds the FastAPI service; ``serve(settings)`` runs it.

Nothing in the rest of driftline imports this package.
"""

from driftline.api.app import create_app
from driftline.api.server import serve

__all__ = ["create_app", "serve"]
