"""mpo: the ledger and workflow between marketplace AI agents and the humans who decide.

Importing `mpo` is cheap on purpose: the database layers load only when a use case needs them.
"""

__version__ = "0.1.0"
