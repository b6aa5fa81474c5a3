from odoo import fields, models


class CrmCustomFieldGroup(models.Model):
    _name = "crm.custom.field.group"
    _description = "Custom Field Purpose"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    def write(self, vals):
        res = super().write(vals)
        if {"name", "sequence", "active"} & vals.keys():
            definitions = self.env["crm.custom.field"].sudo().search([("group_id", "in", self.ids)])
            definitions._on_definitions_changed(definitions.mapped("model"))
        return res
