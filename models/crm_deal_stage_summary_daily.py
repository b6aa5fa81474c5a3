from odoo import api, models


class CrmDealStageSummary(models.Model):
    """The stage summary's rebuilds keep the dashboard's daily figures (crm.deal.analytics.daily) too."""

    _inherit = "crm.deal.stage.summary"

    @api.model
    def _rebuild(self, lead_ids=None):
        Daily = self.env["crm.deal.analytics.daily"].sudo()
        if self.env.context.get("crm_daily_skip"):
            return super()._rebuild(lead_ids)
        if lead_ids is None:
            res = super(CrmDealStageSummary, self.with_context(crm_daily_skip=True))._rebuild(lead_ids)
            Daily._fill()
            return res
        return Daily._run_noted(lead_ids, super()._rebuild, lead_ids)

    @api.model
    def _init_summary(self):
        Daily = self.env["crm.deal.analytics.daily"].sudo()
        if not Daily._is_empty():
            res = super()._init_summary()
            Daily._fill_new_measures()
            return res
        # first install or upgrade: the deals' folds without upkeep, then the figures filled in SQL
        res = super(CrmDealStageSummary, self.with_context(crm_daily_skip=True))._init_summary()
        Daily._fill()
        return res
