"""One router per resource: the seed's tasks, mpo's tasks, lifecycle verbs, log, stats,
and the operational endpoints."""
