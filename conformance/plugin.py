"""The nemokit pytest plugin (registered under the ``pytest11`` entry point)."""

from __future__ import annotations
