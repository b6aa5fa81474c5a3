from odoo import models


class CrmStage(models.Model):
    _inherit = "crm.stage"

    def write(self, vals):
        flags = [name for name in ("is_won", "is_lost") if name in vals]
        changed = self.filtered(lambda stage: any(stage[name] != vals[name] for name in flags))
        res = super().write(vals)
        if changed:
            # every deal of the stage changes outcome: the dashboard's daily figures are refilled
            self.env["crm.deal.analytics.daily"].sudo()._fill()
        return res
