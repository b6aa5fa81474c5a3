from odoo import api, fields, models
from odoo.tools import SQL

# What decides a client's acquisition (crm.client.acquisition): which of its deals are won, and when,
# from where, by whom and for how much.
ACQUISITION_FIELDS = {
    "type",
    "active",
    "stage_id",
    "partner_id",
    "date_closed",
    "source_id",
    "team_id",
    "company_id",
    "expected_revenue",
    "amount_currency",
    "currency_id",
}


class CrmLead(models.Model):
    _inherit = "crm.lead"

    crm_lost_from_stage_id = fields.Many2one(
        "crm.stage",
        string="Lost From Stage",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="Stage the deal was in when it was lost; cleared when the deal is reopened.",
    )

    # the analytics read the deals closed in a period
    date_closed = fields.Datetime(index=True)
    crm_stage_summary_ids = fields.One2many("crm.deal.stage.summary", "lead_id", string="Stage Summary")

    def _log_stage_exit(self, when, next_stage):
        res = super()._log_stage_exit(when, next_stage)
        left = self.env["crm.deal.stage.summary"].sudo()._on_moves(self, when, exit_stage=next_stage, enter=False)
        lost_stages = set(self.env["crm.stage"].sudo().search([("is_lost", "=", True)]).ids)
        if next_stage.is_lost:
            by_stage = {}
            for lead_id, stage_id in left.items():
                if stage_id and stage_id not in lost_stages:
                    by_stage.setdefault(stage_id, []).append(lead_id)
            for stage_id, lead_ids in by_stage.items():
                self._analytics_set_lost_from(lead_ids, stage_id)
        else:
            reopened = [lead_id for lead_id, stage_id in left.items() if stage_id in lost_stages]
            if reopened:
                self._analytics_set_lost_from(reopened, None)
        return res

    def _analytics_set_lost_from(self, lead_ids, stage_id):
        # A technical fact of the move, written beside it: no write() (and its
        # tracking, automation and stage logic) for it.
        self.flush_model(["crm_lost_from_stage_id"])
        self.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET crm_lost_from_stage_id = %s WHERE id = ANY(%s)",
                stage_id,
                lead_ids,
            )
        )
        self.browse(lead_ids).invalidate_recordset(["crm_lost_from_stage_id"])

    def _log_stage_entry(self, when):
        res = super()._log_stage_entry(when)
        self.env["crm.deal.stage.summary"].sudo()._on_moves(self, when)
        return res

    # Client acquisition upkeep: a deal counts only while in a won stage, so the clients of the deals
    # won before or after the change are folded again, in one statement per call.

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        Acquisition = self.env["crm.client.acquisition"].sudo()
        Acquisition._refresh(Acquisition._clients_of_won_deals(leads))
        return leads

    def write(self, vals):
        if not ACQUISITION_FIELDS.intersection(vals):
            return super().write(vals)
        Acquisition = self.env["crm.client.acquisition"].sudo()
        clients = Acquisition._clients_of_won_deals(self)
        res = super().write(vals)
        Acquisition._refresh(clients | Acquisition._clients_of_won_deals(self))
        return res

    def unlink(self):
        Acquisition = self.env["crm.client.acquisition"].sudo()
        clients = Acquisition._clients_of_won_deals(self)
        res = super().unlink()
        Acquisition._refresh(clients)
        return res
