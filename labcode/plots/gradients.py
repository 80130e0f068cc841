"""Figures for gradients and gradient checking (chapter 2)."""

from __future__ import annotations

__all__: list[str] = []
