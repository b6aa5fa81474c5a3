from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_team_isolation = fields.Boolean(
        related="company_id.crm_team_isolation",
        readonly=False,
    )
