"""The use cases: one function per verb, one unit of work each, the whole verb (permission,
validation, transition, routing, events). Every door calls these."""
