from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        index="btree_not_null",
        tracking=True,
        help="Sales team in charge of this client. Its contacts follow the client's team.",
    )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + ["team_id"]
