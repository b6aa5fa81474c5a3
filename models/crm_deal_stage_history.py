from odoo import api, fields, models
from odoo.tools import SQL


class CrmDealStageHistory(models.Model):
    """When each deal entered and left each stage of the deal pipeline.

    One row per stay of a deal in a stage; the open row (no ``date_out``) is
    the current stage. Written in batch by ``crm.lead`` create/write; read by
    the analytics (cycle length, time in stage, stage-to-stage conversion
    through ``next_stage_id``).
    """

    _name = "crm.deal.stage.history"
    _description = "Deal Stage History"
    _order = "date_in desc, id desc"
    _rec_name = "stage_id"

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, ondelete="cascade", index=True)
    stage_id = fields.Many2one("crm.stage", ondelete="set null", index=True)
    next_stage_id = fields.Many2one(
        "crm.stage",
        ondelete="set null",
        help="Stage the deal moved to when it left this one.",
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", help="Sales team of the deal when it entered the stage.")
    user_id = fields.Many2one(
        "res.users", string="Salesperson", help="Salesperson of the deal when it entered the stage."
    )
    company_id = fields.Many2one(related="lead_id.company_id", store=True, index=True)
    date_in = fields.Datetime(string="Entered", required=True, index=True)
    date_out = fields.Datetime(string="Left", index=True)
    duration_days = fields.Float(
        string="Days in Stage",
        compute="_compute_duration_days",
        store=True,
        aggregator="avg",
        help="Days between entering and leaving the stage; empty while the deal is still in it.",
    )

    def init(self):
        # At most one open stay per deal; also the index of "current stage" lookups.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS crm_deal_stage_history_open_uniq "
                "ON crm_deal_stage_history (lead_id) WHERE date_out IS NULL"
            )
        )

    @api.depends("date_in", "date_out")
    def _compute_duration_days(self):
        for stay in self:
            if stay.date_in and stay.date_out:
                stay.duration_days = (stay.date_out - stay.date_in).total_seconds() / 86400.0
            else:
                stay.duration_days = False
