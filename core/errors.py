"""Errors a user can act on: their message is shown as it is (already translated)."""


class UserError(Exception):
    """Bad input or a refused operation; ``str(error)`` is the message for the user."""


class NotFound(UserError):
    """The named thing does not exist (or is not visible in this scope)."""
