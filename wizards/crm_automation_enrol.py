from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.crm_automation import AUTOMATION_TARGETS


class CrmAutomationEnrol(models.TransientModel):
    """Enrol records by hand, one from its form or many from a list."""

    _name = "crm.automation.enrol"
    _description = "Enrol in an Automation Pipeline"

    res_model = fields.Selection(AUTOMATION_TARGETS, required=True)
    res_ids = fields.Json(required=True)
    record_count = fields.Integer(compute="_compute_record_count")
    automation_id = fields.Many2one(
        "crm.automation",
        string="Pipeline",
        required=True,
        domain="[('target_model', '=', res_model)]",
    )

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        model = self.env.context.get("active_model")
        if model in dict(AUTOMATION_TARGETS):
            res.setdefault("res_model", model)
            res.setdefault("res_ids", self.env.context.get("active_ids") or [self.env.context.get("active_id")])
        return res

    @api.depends("res_ids")
    def _compute_record_count(self):
        for wizard in self:
            wizard.record_count = len(wizard.res_ids or [])

    def action_enrol(self):
        self.ensure_one()
        records = self.env[self.res_model].browse(self.res_ids).exists()
        runs = self.automation_id.action_enrol_records(records)
        if not runs:
            raise UserError(
                self.env._(
                    "No record was enrolled: they do not match the pipeline's filter, are already "
                    "running through it, or its re-enrolment policy keeps them out."
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(count)s records enrolled in %(pipeline)s.",
                    count=len(runs),
                    pipeline=self.automation_id.name,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
