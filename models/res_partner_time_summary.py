from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_time_summary_optin = fields.Boolean(
        string="Weekly Time Summary",
        help="This contact receives the client's weekly time summary by email, when the company sends them.",
    )
    crm_time_summary_sent_until = fields.Date(
        string="Time Summary Sent Until",
        readonly=True,
        copy=False,
        help="Last day of the last weekly time summary sent to this client.",
    )

    @api.model
    def _crm_format_hours(self, hours):
        minutes = round(hours * 60)
        return f"{minutes // 60:d}:{minutes % 60:02d}"
