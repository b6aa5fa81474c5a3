from odoo import api, models


class CrmDealStakeholder(models.Model):
    _name = "crm.deal.stakeholder"
    _inherit = ["crm.deal.stakeholder", "crm.audit.mixin"]  # noqa: RUF012

    @api.model
    def _crm_audit_owner_domain(self):
        return [("lead_id.user_id", "=", self.env.uid)]
