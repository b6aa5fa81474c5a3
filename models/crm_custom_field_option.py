from odoo import fields, models


class CrmCustomFieldOption(models.Model):
    """A choice of a selection or tags custom field.

    Stored values point to the option, so renaming or translating a label
    never touches the records that use it.
    """

    _name = "crm.custom.field.option"
    _description = "Custom Field Option"
    _order = "sequence, id"

    name = fields.Char(string="Label", required=True, translate=True)
    sequence = fields.Integer(default=10)
    field_id = fields.Many2one("crm.custom.field", required=True, ondelete="cascade", index=True)
    color = fields.Integer()
    active = fields.Boolean(default=True)
