from odoo import models


class CrmLead(models.Model):
    """Deals, and their custom field values, are written to the audit log."""

    _name = "crm.lead"
    _inherit = ["crm.lead", "crm.audit.mixin"]  # noqa: RUF012
