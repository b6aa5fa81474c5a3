from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_date_past = fields.Date(
        string="Past Client Since",
        readonly=True,
        copy=False,
        help="When the client's type last became Past Client: the churn date of the CLTV.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("crm_client_type") == "past" and not vals.get("crm_date_past"):
                vals["crm_date_past"] = fields.Date.context_today(self)
        return super().create(vals_list)

    def write(self, vals):
        if "crm_client_type" not in vals:
            return super().write(vals)
        becoming = self.filtered(lambda p: p.crm_client_type != "past") if vals["crm_client_type"] == "past" else None
        leaving = self.filtered(lambda p: p.crm_client_type == "past") if vals["crm_client_type"] != "past" else None
        res = super().write(vals)
        if becoming:
            becoming.write({"crm_date_past": fields.Date.context_today(self)})
        if leaving:
            leaving.write({"crm_date_past": False})
        return res
