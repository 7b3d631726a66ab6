"""Loading the logged-in user and the role guard every protected view uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from db.models import User
from web.database import get_session

F = TypeVar("F", bound=Callable[..., Any])


def load_user(user_id: str) -> User | None:
    try:
        raw_id, stamp = user_id.split(":")
        user = get_session().get(User, int(raw_id))
    except ValueError:
        return None
    if user is None or not user.active:
        return None
    if user.password_stamp != stamp:
        return None  # the password changed since this session began
    return user


def roles_required(*roles: str) -> Callable[[F], F]:
    """Allow the view to users holding any of ``roles``; others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
