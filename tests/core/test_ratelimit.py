"""Rate limits: parsed from config, counted from the audit log inside the create's own
transaction, a principal's entry beating its role's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mpo.core.domain.clock import utcnow
from mpo.core.domain.errors import RateLimited, ValidationError
from mpo.core.domain.permissions import Actor, Role
from mpo.core.usecases import ratelimit
from mpo.core.usecases.create import create_tasks
from mpo.store.database import SqlDatabase
from tests.builders import RULES, draft

AGENT = Actor("marketplace-amazon", Role.AGENT, "amazon")


def test_rates_parse_from_text_or_a_table_and_print_back() -> None:
    limits = ratelimit.parse("agent=100/hour, marketplace-amazon=5/m")
    assert str(limits) == "agent=100/hour, marketplace-amazon=5/minute"
    assert ratelimit.parse({"admin": "2/d"}).for_actor(Actor("a", Role.ADMIN)) == \
        ratelimit.Rate(2, "day")
    assert limits.for_actor(AGENT) == ratelimit.Rate(5, "minute")
    assert limits.for_actor(Actor("marketplace-shopee", Role.AGENT, "shopee")) == \
        ratelimit.Rate(100, "hour")


@pytest.mark.parametrize("text", ["agent", "agent=5", "agent=5/week", "bad name=1/h"])
def test_a_bad_rate_names_the_setting_and_the_allowed_form(text: str) -> None:
    with pytest.raises(ValidationError, match="rate_limits"):
        ratelimit.parse(text)


def test_the_limit_counts_creates_in_the_window_and_says_when_to_retry(
    db: SqlDatabase
) -> None:
    limits = ratelimit.parse("agent=3/hour")
    start = utcnow() - timedelta(minutes=50)

    def create(count: int, at: timedelta) -> None:
        items = [("task", draft(title=f"t{n}")) for n in range(count)]
        create_tasks(db, AGENT, items, RULES, limits=limits,
                                  clock=lambda: start + at)

    create(2, timedelta(0))
    create(1, timedelta(minutes=40))
    with pytest.raises(RateLimited) as refused:
        create(1, timedelta(minutes=50))
    assert refused.value.retry_after == 600 and "retry after 600 s" in refused.value.message
    with pytest.raises(RateLimited, match="never fit"):
        create(4, timedelta(minutes=50))
    create(2, timedelta(minutes=61))  # the first two left the window
