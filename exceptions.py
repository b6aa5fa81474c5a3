"""Domain exceptions of CRM Client Suite.

They subclass Odoo's user-facing exceptions so the web client shows their
message, and tests can assert the precise kind of refusal.
"""

from odoo.exceptions import UserError, ValidationError


class CrmClientSuiteError(UserError):
    """Base class of the add-on's user errors."""


class CrmClientSuiteValidationError(ValidationError):
    """Base class of the add-on's validation errors."""


class CrmAutomationStepError(CrmClientSuiteValidationError):
    """An automation step is misconfigured: missing fields or a value that does not fit."""
