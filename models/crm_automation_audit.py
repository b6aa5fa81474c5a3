from odoo import models


class CrmAutomation(models.Model):
    _name = "crm.automation"
    _inherit = ["crm.automation", "crm.audit.mixin"]  # noqa: RUF012


class CrmAutomationStep(models.Model):
    _name = "crm.automation.step"
    _inherit = ["crm.automation.step", "crm.audit.mixin"]  # noqa: RUF012
