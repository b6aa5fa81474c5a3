from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_team_isolation = fields.Boolean(
        string="Team Isolation",
        help="Hide each sales team's clients, contacts and deals from the "
        "Managers and Contributors of the other sales teams.",
    )

    def write(self, vals):
        res = super().write(vals)
        if "crm_team_isolation" in vals:
            # The record rules read this flag; their domains are cached.
            self.env.registry.clear_cache()
        return res
