"""Cheating notebooks for tests/test_redteam.py."""
