from odoo import api, models

from .crm_contact_analytics import CONTACT_ANALYTICS_FIELDS, DUPLICATE_KEY_FIELDS


class ResPartner(models.Model):
    """Keep the contact analysis rows (``crm.contact.analytics``) of changed partners current.

    The hooks are the ORM's low-level create and write, through which every stored value goes,
    computed ones included (the E.164 numbers, the normalised email and tax ID, the client of a
    contact): the partners are only marked, and folded again in one pass before the report is read
    or the transaction commits."""

    _inherit = "res.partner"

    @api.model
    def _create(self, data_list):
        records = super()._create(data_list)
        self.env["crm.contact.analytics"]._mark(records.ids)
        return records

    def _write_multi(self, vals_list):
        changed = set().union(*vals_list) if vals_list else set()
        if changed & DUPLICATE_KEY_FIELDS:
            # the keys before the change: the partners that shared them may no longer be duplicates
            self.env["crm.contact.analytics"]._mark_keys_of(self.ids)
        elif changed & CONTACT_ANALYTICS_FIELDS:
            self.env["crm.contact.analytics"]._mark(self.ids)
        return super()._write_multi(vals_list)

    def unlink(self):
        self.env["crm.contact.analytics"]._mark_keys_of(self.ids)
        return super().unlink()
