from odoo import api, models
from odoo.tools import SQL


class MailBlacklist(models.Model):
    """A blacklisted email makes its partners do-not-contact in the contact analysis: mark them."""

    _inherit = "mail.blacklist"

    def _crm_mark_partners(self):
        emails = [email for email in self.mapped("email") if email]
        if emails:
            partner_ids = self.env.execute_query(
                SQL("SELECT id FROM res_partner WHERE email_normalized = ANY(%s)", emails)
            )
            self.env["crm.contact.analytics"]._mark([row[0] for row in partner_ids])

    @api.model
    def _create(self, data_list):
        records = super()._create(data_list)
        records._crm_mark_partners()
        return records

    def _write_multi(self, vals_list):
        if any({"email", "active"} & set(vals) for vals in vals_list):
            self._crm_mark_partners()  # the emails before the change
            res = super()._write_multi(vals_list)
            self._crm_mark_partners()
            return res
        return super()._write_multi(vals_list)

    def unlink(self):
        self._crm_mark_partners()
        return super().unlink()
