from odoo import fields, models

STAKEHOLDER_ROLES = [
    ("decision_maker", "Decision Maker"),
    ("champion", "Champion"),
    ("influencer", "Influencer"),
    ("user", "User"),
    ("other", "Other"),
]


class CrmDealStakeholder(models.Model):
    """A contact involved in a deal, with the part they play in the decision."""

    _name = "crm.deal.stakeholder"
    _description = "Deal Stakeholder"
    _order = "lead_id, sequence, id"

    sequence = fields.Integer(default=10)
    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, ondelete="cascade", index=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Contact",
        required=True,
        ondelete="cascade",
        index=True,
        domain="[('is_company', '=', False)]",
    )
    role = fields.Selection(STAKEHOLDER_ROLES, required=True, default="other")
    note = fields.Char(help="What matters to this person in the deal.")
    function = fields.Char(related="partner_id.function", string="Job Position")
    email = fields.Char(related="partner_id.email")
    phone = fields.Char(related="partner_id.phone")
    company_id = fields.Many2one(related="lead_id.company_id", store=True)

    _sql_constraints = (
        (
            "lead_partner_uniq",
            "UNIQUE(lead_id, partner_id)",
            "This contact is already a stakeholder of the deal.",
        ),
    )
