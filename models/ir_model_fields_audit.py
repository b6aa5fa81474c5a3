from odoo import models


class IrModelFields(models.Model):
    _inherit = "ir.model.fields"

    def unlink(self):
        ids = self.ids
        result = super().unlink()
        self.env["crm.audit.log"]._forget_deleted("field_id", ids)
        return result
