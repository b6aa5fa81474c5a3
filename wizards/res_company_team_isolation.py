from odoo import fields, models
from odoo.exceptions import AccessError


class ResCompanyTeamIsolation(models.TransientModel):
    """Team Isolation for CRM Admins.

    The setting also sits in Settings, which only Odoo administrators may
    save. The CRM Admin role configures the CRM, so it gets this small form;
    the access rows of this model are the gate (CRM Admins only).
    """

    _name = "res.company.team.isolation"
    _description = "Team Isolation"

    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    crm_team_isolation = fields.Boolean(
        string="Team Isolation",
        default=lambda self: self.env.company.crm_team_isolation,
        help="Hide each sales team's clients, contacts and deals from the Managers and Contributors of the "
        "other sales teams.",
    )

    def action_apply(self):
        self.ensure_one()
        if self.company_id not in self.env.user.company_ids:
            raise AccessError(self.env._("You can only set Team Isolation for the companies you work in."))
        # Only CRM Admins reach this model (access rows); the company record
        # itself is writable by Odoo's administrators only.
        self.company_id.sudo().crm_team_isolation = self.crm_team_isolation
        return {"type": "ir.actions.act_window_close"}
