"""Figures for automatic differentiation and backprop (chapters 8 to 10)."""

from __future__ import annotations

__all__: list[str] = []
