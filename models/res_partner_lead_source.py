from odoo import api, fields, models

from odoo.addons.crm.models.crm_stage import AVAILABLE_PRIORITIES

# Latest source field -> its first-touch twin, set once and never overwritten.
FIRST_TOUCH = {
    "source_id": "crm_first_source_id",
    "medium_id": "crm_first_medium_id",
    "crm_campaign_id": "crm_first_campaign_id",
}


class ResPartner(models.Model):
    """Where a contact or client came from: its original (first-touch)
    source, medium and campaign, kept forever, and its latest ones
    (``source_id``, ``medium_id``, ``crm_campaign_id``), which follow the
    leads and deals it comes back through. Both are set by hand, by import,
    by the web form and from leads (crm.lead)."""

    _inherit = "res.partner"

    crm_campaign_id = fields.Many2one("utm.campaign", string="Lead Campaign", index="btree_not_null")
    crm_first_source_id = fields.Many2one(
        "utm.source",
        string="Original Source",
        index="btree_not_null",
        help="How this client or contact first came to us. Set once, never overwritten.",
    )
    crm_first_medium_id = fields.Many2one(
        "utm.medium", string="Original Medium", index="btree_not_null", help="Set once, never overwritten."
    )
    crm_first_campaign_id = fields.Many2one(
        "utm.campaign", string="Original Campaign", index="btree_not_null", help="Set once, never overwritten."
    )
    crm_priority = fields.Selection(AVAILABLE_PRIORITIES, string="Priority", default="0", index=True)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            for latest, first in FIRST_TOUCH.items():
                if vals.get(latest) and not vals.get(first):
                    vals[first] = vals[latest]
        return super().create(vals_list)

    def write(self, vals):
        firsts = {first: vals[first] for first in FIRST_TOUCH.values() if first in vals}
        if not firsts:
            res = super().write(vals)
        else:
            res = super().write({fname: value for fname, value in vals.items() if fname not in firsts})
            for first, value in firsts.items():
                # Only where there is none yet: the first touch is never overwritten.
                super(ResPartner, self.filtered(lambda partner, first=first: not partner[first])).write({first: value})
        for latest, first in FIRST_TOUCH.items():
            if vals.get(latest):
                missing = self.filtered(lambda partner, first=first: not partner[first])
                super(ResPartner, missing).write({first: vals[latest]})
        return res

    @api.model
    def _crm_apply_lead_sources(self, leads):
        """The latest source, medium and campaign of the contacts and clients
        of ``leads`` become the leads' (the first touch fills itself in).
        One write per distinct combination; bookkeeping, hence sudo."""
        groups = {}
        for lead in leads.sudo():
            values = {
                "source_id": lead.source_id.id,
                "medium_id": lead.medium_id.id,
                "crm_campaign_id": lead.campaign_id.id,
            }
            values = {fname: value for fname, value in values.items() if value}
            if lead.partner_id and values:
                key = tuple(sorted(values.items()))
                groups.setdefault(key, self.browse())
                groups[key] |= lead.partner_id | lead.partner_id.commercial_partner_id
        for key, partners in groups.items():
            partners.sudo().with_context(tracking_disable=True).write(dict(key))
