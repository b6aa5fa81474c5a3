from datetime import timedelta

from odoo import api, fields, models


class ProjectProject(models.Model):
    _inherit = "project.project"

    crm_team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        index="btree_not_null",
        help="The sales team of the project's client.",
    )
    crm_hours_this_week = fields.Float(string="Hours This Week", compute="_compute_crm_hours")
    crm_hours_unbilled = fields.Float(
        string="Unbilled Hours",
        compute="_compute_crm_hours",
        help="Hours logged on the project that no client invoice bills yet.",
    )

    def _compute_crm_hours(self):
        today = fields.Date.context_today(self)
        monday = today - timedelta(days=today.weekday())
        # Totals of the projects the user sees, whoever logged the time.
        Line = self.env["account.analytic.line"].sudo()
        domain = [("project_id", "in", self.ids)]
        this_week = dict(Line._read_group(domain + [("date", ">=", monday)], ["project_id"], ["unit_amount:sum"]))
        unbilled_domain = domain + [("crm_invoice_line_id", "=", False)]
        if "so_line" in Line._fields:
            unbilled_domain.append(("so_line", "=", False))
        unbilled = dict(Line._read_group(unbilled_domain, ["project_id"], ["unit_amount:sum"]))
        for project in self:
            project.crm_hours_this_week = this_week.get(project, 0.0)
            project.crm_hours_unbilled = unbilled.get(project, 0.0)

    def action_crm_invite_client_contacts(self):
        """Odoo's project sharing, with the client's contacts as members."""
        self.ensure_one()
        return self.with_context(crm_invite_client_contacts=True).action_open_share_project_wizard()

    @api.model
    def _crm_board_stages(self):
        """The add-on's board stages, shared with the projects of won deals."""
        return self.env["crm.lead"]._get_project_board_stages()
