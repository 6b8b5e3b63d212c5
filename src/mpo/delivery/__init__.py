"""Consumers of committed events: shell hooks, plugins, webhooks and notifications.

Nothing here runs inside a transaction: each consumer sees events once they are durable,
and a failing consumer is reported, never allowed to fail or undo the verb.
"""
