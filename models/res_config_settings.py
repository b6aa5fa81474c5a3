from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_team_isolation = fields.Boolean(
        related="company_id.crm_team_isolation",
        readonly=False,
    )
    crm_probability_source = fields.Selection(
        related="company_id.crm_probability_source",
        readonly=False,
    )
