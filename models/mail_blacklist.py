from odoo import api, models


class MailBlacklist(models.Model):
    _inherit = "mail.blacklist"

    @api.model_create_multi
    def create(self, vals_list):
        entries = super().create(vals_list)
        # Triggering event of the "opted out or blacklisted" exit condition.
        emails = [email for email in entries.mapped("email") if email]
        if emails:
            partners = self.env["res.partner"].sudo().search([("email_normalized", "in", emails)])
            leads = self.env["crm.lead"].sudo().search([("partner_id", "in", partners.ids)])
            Run = self.env["crm.automation.run"]
            Run._on_records_changed(partners)
            Run._on_records_changed(leads)
        return entries
