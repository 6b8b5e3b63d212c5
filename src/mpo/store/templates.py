"""SQL for task templates: add, find by name, list, remove."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlmodel import Session, col

from mpo.core.tables.models import TaskTemplate


class SqlTemplateStore:
    """The store's `mpo.core.ports.TemplateStore`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, template: TaskTemplate) -> None:
        self.session.add(template)

    def get(self, name: str) -> TaskTemplate | None:
        stmt = select(TaskTemplate).where(col(TaskTemplate.name) == name)
        return self.session.scalars(stmt).first()

    def all(self) -> list[TaskTemplate]:
        return list(self.session.scalars(select(TaskTemplate).order_by(col(TaskTemplate.name))))

    def remove(self, name: str) -> bool:
        result = self.session.execute(delete(TaskTemplate).where(col(TaskTemplate.name) == name))
        return bool(getattr(result, "rowcount", 0))
