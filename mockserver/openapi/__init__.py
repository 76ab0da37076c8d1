"""The mock's OpenAPI 3.1 document (served at ``/openapi.json``): the paths, the schemas of the
bodies and of the stream's events, built from the contract's data. It may import only
``nemokit.contract``; nothing of the mock.
"""

from __future__ import annotations

from ._document import openapi_document

__all__ = ["openapi_document"]
