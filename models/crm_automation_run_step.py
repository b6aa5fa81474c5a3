from odoo import fields, models


class CrmAutomationRunStep(models.Model):
    """One executed step of a run: when, what, the result and the error."""

    _name = "crm.automation.run.step"
    _description = "Executed Automation Step"
    _order = "date desc, id desc"

    run_id = fields.Many2one("crm.automation.run", required=True, ondelete="cascade", index=True)
    automation_id = fields.Many2one(related="run_id.automation_id")
    step_id = fields.Many2one("crm.automation.step", ondelete="set null")
    action = fields.Selection(related="step_id.action")
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    attempt = fields.Integer(default=1)
    result = fields.Selection(
        [
            ("done", "Done"),
            ("skipped", "Skipped"),
            ("waiting", "Waiting"),
            ("error", "Error, will retry"),
            ("failed", "Failed"),
            ("exit", "Exited"),
        ],
        required=True,
    )
    message = fields.Char()
    error = fields.Text()
