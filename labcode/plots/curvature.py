"""Figures for Jacobians, Hessians, curvature and Newton's method (chapter 5)."""

from __future__ import annotations

__all__: list[str] = []
