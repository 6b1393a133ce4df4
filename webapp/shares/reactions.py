"""Shares react to the rest of Tend: daily upkeep prunes ended links, erase removes them all."""

from __future__ import annotations

from webapp.events import account_erased, daily_upkeep
from webapp.shares import links


@daily_upkeep.connect
def prune_ended_shares(sender, now=None, **_extra) -> None:
    """Expired links lose their content, and links ended a month ago are forgotten."""
    links.prune(now)


@account_erased.connect
def forget_erased_accounts_shares(sender, **_extra) -> None:
    """Every share of an erased account goes (the table's cascade does too; this says so)."""
    links.forget_shares_of(sender)
