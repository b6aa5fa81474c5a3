from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_cycle_start = fields.Selection(
        [
            ("create", "Deal creation"),
            ("conversion", "Conversion to opportunity"),
        ],
        string="Sales Cycle Starts At",
        required=True,
        default="create",
        help="Where the sales cycle of a won deal starts: when the deal was created, or when the lead was "
        "converted to an opportunity (deals created as opportunities start at creation either way).",
    )

    crm_gross_margin = fields.Float(
        string="Gross Margin (%)",
        default=100.0,
        help="Share of the revenue left after the cost of what is sold; the CLTV multiplies the revenue by it.",
    )

    def write(self, vals):
        moved = "crm_cycle_start" in vals and self.filtered(lambda c: c.crm_cycle_start != vals["crm_cycle_start"])
        res = super().write(vals)
        if moved:
            # the won deals' cycles start elsewhere: the dashboard's daily figures of them are refilled
            self.env["crm.deal.analytics.daily"].sudo()._fill(kinds=["closed", "cycle"])
        return res


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_cycle_start = fields.Selection(related="company_id.crm_cycle_start", readonly=False)
    crm_gross_margin = fields.Float(related="company_id.crm_gross_margin", readonly=False)
