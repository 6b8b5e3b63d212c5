"""Teams: who decides and does which marketplaces' work (issue 25).

A team names the marketplaces it covers. The `default` team covers every marketplace; a
principal in no team belongs to it, and its admins are the organisation's: they keep every
power mpo had before teams. A principal of any other team reads, decides, assigns and works
only on tasks of its team's marketplaces, and is given only that work.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from mpo.core.domain.errors import ValidationError

#: The team of everyone no other team claims: every marketplace, organisation-wide admins.
DEFAULT = "default"


def stored(marketplaces: Sequence[str] | None) -> str | None:
    """The `team.marketplaces` column's text: a JSON list; NULL for every marketplace."""
    return None if marketplaces is None else json.dumps(sorted(set(marketplaces)))


def loaded(text: str | None) -> tuple[str, ...] | None:
    """The marketplaces a `team.marketplaces` column holds; None for every one."""
    return None if text is None else tuple(json.loads(text))


def parse_marketplaces(raw: str | Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    """`amazon,shopee` checked against the configured marketplaces: a team covers at least
    one, and each is one mpo knows."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    found = tuple(dict.fromkeys(m.strip() for m in items if m.strip()))
    if not found:
        raise ValidationError("marketplaces", f"a team covers at least one; one or more of "
                                              f"{', '.join(allowed)}")
    for marketplace in found:
        if marketplace not in allowed:
            raise ValidationError("marketplaces", f"{marketplace!r} is not one of "
                                                  f"{', '.join(allowed)}")
    return found


def covers(markets: Sequence[str] | None, marketplace: str) -> bool:
    """Whether a team with these marketplaces (None: every one) covers `marketplace`."""
    return markets is None or marketplace in markets


def label(team: str | None, markets: Sequence[str] | None) -> str:
    """`team asia (shopee, lazada)`, for messages."""
    return f"team {team or DEFAULT} ({', '.join(markets) if markets else 'every marketplace'})"
