from odoo import fields, models


class CrmContactAnalytics(models.Model):
    """An index for the deletes of contacts (an import's revert deletes
    thousands at once): each deleted partner makes PostgreSQL clear the
    analysis rows naming it as their client (``ondelete="set null"``), which
    without an index is one scan of the whole table, one row per partner, for
    every deleted partner."""

    _inherit = "crm.contact.analytics"

    client_id = fields.Many2one(index="btree_not_null")
