"""Figures for gradient descent, learning rates, momentum and loss landscapes (chapter 7)."""

from __future__ import annotations

__all__: list[str] = []
