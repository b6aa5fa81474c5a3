from odoo import models


class CrmAutomationRunStep(models.Model):
    """A step an automation ran on a contact or a deal is a timeline entry."""

    _name = "crm.automation.run.step"
    _inherit = ["crm.automation.run.step", "crm.timeline.live.mixin"]  # noqa: RUF012

    _crm_live_fields = ("result", "message", "date")

    def _crm_live_documents(self):
        return [(step.run_id.res_model, step.run_id.res_id) for step in self]
