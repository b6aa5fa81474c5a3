from odoo import models


class ResUsers(models.Model):
    _inherit = "res.users"

    def unlink(self):
        ids = self.ids
        result = super().unlink()
        self.env["crm.audit.log"]._forget_deleted("user_id", ids)
        return result
