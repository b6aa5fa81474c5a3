from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class CrmLeadConvertCustomer(models.TransientModel):
    """Lead to customer: turn one or many leads into clients with a contact.

    Each lead reuses the partner that dedupe finds (normalised email, phone,
    company name) or gets a new client company and contact; the partner then
    inherits the lead's messages, attachments, activities and UTM source.
    """

    _name = "crm.lead.convert.customer"
    _description = "Convert Leads to Customers"

    lead_ids = fields.Many2many("crm.lead", string="Leads", required=True)
    lead_count = fields.Integer(compute="_compute_lead_count")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        help="Existing client or contact to use. Leave empty to reuse the partner found by dedupe or "
        "create a new client and contact.",
    )
    match_summary = fields.Text(compute="_compute_match_summary", string="Matches")

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        context = self.env.context
        lead_ids = (context.get("active_ids") or []) if context.get("active_model") == "crm.lead" else []
        if "lead_ids" in fields_list and not res.get("lead_ids") and lead_ids:
            res["lead_ids"] = [Command.set(lead_ids)]
        if "partner_id" in fields_list and not res.get("partner_id") and len(lead_ids) == 1:
            # one lead: show the customer that will be used, so the user can change it
            lead = self.env["crm.lead"].browse(lead_ids)
            res["partner_id"] = (lead.partner_id or lead._find_customer_partners().get(lead.id, lead.partner_id)).id
        return res

    @api.depends("lead_ids")
    def _compute_lead_count(self):
        for wizard in self:
            wizard.lead_count = len(wizard.lead_ids)

    @api.depends("lead_ids", "partner_id")
    def _compute_match_summary(self):
        for wizard in self:
            if wizard.partner_id:
                wizard.match_summary = self.env._(
                    "All leads go to %(partner)s.", partner=wizard.partner_id.display_name
                )
                continue
            leads = wizard.lead_ids._origin
            matches = leads._find_customer_partners()
            lines = []
            for lead in leads:
                partner = lead.partner_id or matches.get(lead.id)
                if partner:
                    lines.append(
                        self.env._("%(lead)s: reuses %(partner)s", lead=lead.name, partner=partner.display_name)
                    )
                else:
                    lines.append(self.env._("%(lead)s: creates a new customer", lead=lead.name))
            wizard.match_summary = "\n".join(lines)

    def action_convert(self):
        self.ensure_one()
        if not self.lead_ids:
            raise UserError(self.env._("Select the leads to convert first."))
        result = self.lead_ids._convert_to_customer(partner=self.partner_id or None)
        partners = self.env["res.partner"].browse({p.id for p in result.values()})
        if len(self.lead_ids) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "crm.lead",
                "res_id": self.lead_ids.id,
                "view_mode": "form",
                "views": [(False, "form")],
            }
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customers"),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("id", "in", partners.ids)],
        }
