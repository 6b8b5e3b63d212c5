"""The domain: the rules as data (vocabulary, the lifecycle's declarations, permissions,
validation, workflows) and the value types use cases return. No storage, no doors."""
