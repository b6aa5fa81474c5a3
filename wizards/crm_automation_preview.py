from markupsafe import Markup

from odoo import api, fields, models


class CrmAutomationPreview(models.TransientModel):
    """Test mode: what a pipeline would do to one record, without doing it."""

    _name = "crm.automation.preview"
    _description = "Test an Automation Pipeline"

    automation_id = fields.Many2one("crm.automation", string="Pipeline", required=True)
    target_model = fields.Selection(related="automation_id.target_model")
    partner_id = fields.Many2one("res.partner", string="Contact")
    lead_id = fields.Many2one("crm.lead", string="Deal")
    result_html = fields.Html(string="What Would Happen", compute="_compute_result_html", sanitize=False)

    @api.depends("automation_id", "partner_id", "lead_id")
    def _compute_result_html(self):
        for wizard in self:
            wizard.result_html = wizard._render_preview()

    def _get_record(self):
        return self.lead_id if self.target_model == "crm.lead" else self.partner_id

    def _preview_lines(self):
        """[(when, step name, what it would do)] for the chosen record."""
        self.ensure_one()
        record = self._get_record()
        automation = self.automation_id
        lines = []
        if not record:
            return lines
        if not automation._matching(record):
            lines.append(
                (False, self.env._("Enrolment"), self.env._("This record does not match the pipeline's filter."))
            )
        reasons = automation._filter_enrollable(record)
        if not reasons:
            lines.append(
                (
                    False,
                    self.env._("Enrolment"),
                    self.env._("This record is running through the pipeline or may not re-enter it."),
                )
            )
        when = fields.Datetime.now()
        for step in automation.step_ids:
            when = step._due_after(when)
            lines.append((when, step.name, step._preview(record)))
        return lines

    def _render_preview(self):
        lines = self._preview_lines()
        if not lines:
            return Markup("<p>%s</p>") % self.env._("Choose a record to see what each step would do.")
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td>%s</td></tr>")
            % (fields.Datetime.to_string(when) if when else "", name, what)
            for when, name, what in lines
        )
        return Markup(
            '<table class="table table-sm o_crm_automation_preview"><thead><tr><th>%s</th><th>%s</th><th>%s</th></tr>'
            "</thead><tbody>%s</tbody></table>"
        ) % (self.env._("When (if enrolled now)"), self.env._("Step"), self.env._("What would happen"), rows)
