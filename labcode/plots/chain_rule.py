"""Figures for the chain rule and linear regression (chapter 3)."""

from __future__ import annotations

__all__: list[str] = []
