"""A real keyring backend that never answers in time, like a locked desktop keyring.

Selected through keyring's own PYTHON_KEYRING_BACKEND mechanism, not by patching mpo.
"""

from __future__ import annotations

import time

from keyring.backend import KeyringBackend


class SlowKeyring(KeyringBackend):
    """Blocks every call far longer than mpo's keyring timeout."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        time.sleep(30)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        time.sleep(30)

    def delete_password(self, service: str, username: str) -> None:
        time.sleep(30)
