"""Validation errors shared by forms and JSON endpoints."""

from __future__ import annotations


class ValidationError(Exception):
    """Input that cannot be saved; ``errors`` maps each field to a message for a person."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
