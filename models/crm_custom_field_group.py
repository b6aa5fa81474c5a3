from odoo import fields, models


class CrmCustomFieldGroup(models.Model):
    _name = "crm.custom.field.group"
    _description = "Custom Field Purpose"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
