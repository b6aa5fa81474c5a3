from odoo import api, models
from odoo.tools import SQL


class MailBlacklist(models.Model):
    """A blacklisted email makes its partners do-not-contact in the contact analysis: mark them."""

    _inherit = "mail.blacklist"

    def _crm_mark_partners(self):
        """Mark the partners of these entries' emails as they are in the database now."""
        if not self.ids:
            return
        partner_ids = self.env.execute_query(
            SQL(
                """SELECT p.id FROM res_partner p JOIN mail_blacklist bl ON bl.email = p.email_normalized
                    WHERE bl.id = ANY(%s)""",
                self.ids,
            )
        )
        self.env["crm.contact.analytics"]._mark([row[0] for row in partner_ids])

    @api.model
    def _create(self, data_list):
        records = super()._create(data_list)
        records._crm_mark_partners()
        return records

    def _write_multi(self, vals_list):
        if not any({"email", "active"} & set(vals) for vals in vals_list):
            return super()._write_multi(vals_list)
        self._crm_mark_partners()  # the emails before the change
        res = super()._write_multi(vals_list)
        self._crm_mark_partners()
        return res

    def unlink(self):
        self._crm_mark_partners()
        return super().unlink()
