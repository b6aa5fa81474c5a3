from odoo import models


class ResPartner(models.Model):
    """Clients and contacts, and their custom field values (stored fields
    of their own), are written to the audit log."""

    _name = "res.partner"
    _inherit = ["res.partner", "crm.audit.mixin"]  # noqa: RUF012
