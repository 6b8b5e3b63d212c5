"""What task templates (`mpo template`, `mpo tick`) need from storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mpo.core.tables.models import TaskTemplate


class TemplateStore(Protocol):
    """Task templates, by name."""

    def add(self, template: TaskTemplate) -> None: ...

    def get(self, name: str) -> TaskTemplate | None: ...

    def all(self) -> list[TaskTemplate]: ...

    def remove(self, name: str) -> bool: ...
