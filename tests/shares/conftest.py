"""Alice's integration arc, written once for each share test that asks for it."""

from __future__ import annotations

import pytest

from tests.arc import person
from tests.shares.story import write_arc


@pytest.fixture
def arc(alice):
    return write_arc()


@pytest.fixture
def owner(arc):
    """Alice, as the services see her."""
    return person("alice@example.org")
