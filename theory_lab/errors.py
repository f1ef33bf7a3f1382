"""User-input errors: one base class that the CLI turns into one line and exit status 2.

Every error caused by what a user typed or wrote (a CLI argument, a sweep JSON file, a
:class:`~theory_lab.config.RunConfig` field, a parameter expression) is a
:class:`UserError`.  It subclasses ``ValueError``, so existing ``except ValueError`` code
keeps working.
"""

from __future__ import annotations

__all__ = ["ConfigError", "ExpressionError", "UserError"]


class UserError(ValueError):
    """Invalid user input; the message is one line that names the offending value."""


class ExpressionError(UserError):
    """A parameter expression is outside the allowed grammar or cannot be evaluated."""


class ConfigError(UserError):
    """A configuration field or a factory parameter is missing, unknown or of the wrong type."""
