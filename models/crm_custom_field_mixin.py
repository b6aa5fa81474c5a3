from odoo import api, models


class CrmCustomFieldMixin(models.AbstractModel):
    """Enforces the rules of the custom fields (crm.custom.field) of the
    models that inherit it: res.partner and crm.lead."""

    _name = "crm.custom.field.mixin"
    _description = "Custom Field Validation"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        definitions = self.env["crm.custom.field"]._for_model(self._name)
        if definitions:
            definitions._validate_records(records)
        return records

    def write(self, vals):
        res = super().write(vals)
        definitions = self.env["crm.custom.field"]._for_model(self._name)
        if definitions:
            # Only the values written are checked: a record moving into the
            # scope of a required field (new team, new client) is not blocked.
            definitions._validate_records(self, set(vals))
        return res
