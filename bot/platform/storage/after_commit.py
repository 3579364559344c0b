"""Work that must wait until a transaction has committed (caches of what the store holds).

Code that changes a row some cache remembers, or that learns a fact worth remembering, queues
an action with `after_commit(session, action)`; the action runs once the session's outermost
transaction commits, and is dropped when it rolls back, so no cache ever holds what the
database does not.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

_QUEUED = "jianfu_after_commit"

Action = Callable[[], None]


class CommittingSession(Session):
    """The sessions' class: runs the queued actions after commit, drops them on rollback."""


def after_commit(session: AsyncSession | Session, action: Action) -> None:
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    sync.info.setdefault(_QUEUED, []).append(action)


@event.listens_for(CommittingSession, "after_commit")
def _run(session: Session) -> None:
    for action in session.info.pop(_QUEUED, ()):
        action()


@event.listens_for(CommittingSession, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_QUEUED, None)
