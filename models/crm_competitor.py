from odoo import fields, models


class CrmCompetitor(models.Model):
    """A competitor met on deals; configured by admins, picked on deals."""

    _name = "crm.competitor"
    _description = "Competitor"
    _order = "name"

    name = fields.Char(required=True, translate=False)
    website = fields.Char()
    note = fields.Text(string="Strengths and Weaknesses")
    active = fields.Boolean(default=True)

    _sql_constraints = (("name_uniq", "UNIQUE(name)", "A competitor with this name already exists."),)
