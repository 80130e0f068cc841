"""Figures for logistic regression and softmax classification (chapters 4 and 6)."""

from __future__ import annotations

__all__: list[str] = []
