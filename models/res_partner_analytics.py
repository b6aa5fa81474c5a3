from odoo import api, fields, models

# What decides which client a contact's deals count for, and when the client churned.
ACQUISITION_FIELDS = {"parent_id", "is_company", "crm_date_past"}


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
        # a contact moving to another client takes its deals along; the churn month is the Past date's
        acquisition = ACQUISITION_FIELDS.intersection(vals)
        clients = set(self.commercial_partner_id.ids) if acquisition else set()
        if "crm_client_type" in vals:
            past = vals["crm_client_type"] == "past"
            becoming = self.filtered(lambda p: p.crm_client_type != "past") if past else None
            leaving = self.filtered(lambda p: p.crm_client_type == "past") if not past else None
        res = super().write(vals)
        if "crm_client_type" in vals:
            if becoming:
                becoming.write({"crm_date_past": fields.Date.context_today(self)})
            if leaving:
                leaving.write({"crm_date_past": False})
        if acquisition:
            self.env["crm.client.acquisition"].sudo()._refresh(clients | set(self.commercial_partner_id.ids))
        return res

    def unlink(self):
        # the deals of a deleted contact lose it (set null in the database): their client is folded again
        clients = set(self.commercial_partner_id.ids)
        res = super().unlink()
        self.env["crm.client.acquisition"].sudo()._refresh(clients)
        return res
