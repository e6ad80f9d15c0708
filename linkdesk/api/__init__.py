"""The JSON API under /api/v1: session or bearer-token auth, JSON errors only.

Its routes live in one module per resource, each registering on ``blueprint.bp``; importing this
package registers them all."""

from . import attachments, cutovers, openapi, overview, registry, tickets, workdays  # noqa: F401 (routes)
from .blueprint import bp

__all__ = ["bp"]
