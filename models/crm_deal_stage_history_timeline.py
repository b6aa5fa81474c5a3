from odoo import models


class CrmDealStageHistory(models.Model):
    """A deal entering a stage is an entry of the timelines of its contact
    and client."""

    _name = "crm.deal.stage.history"
    _inherit = ["crm.deal.stage.history", "crm.timeline.live.mixin"]  # noqa: RUF012

    _crm_live_fields = ("lead_id", "stage_id", "date_in")

    def _crm_live_documents(self):
        return [("crm.lead", stay.lead_id.id) for stay in self]
