from odoo import fields, models
from odoo.tools import SQL

from ..sql_tuning import create_covering_index


class CrmDealCompetitorReport(models.Model):
    """Win/loss analysis by competitor: one row per opportunity and competitor met on it.

    A deal with two competitors counts for each of them. Amounts are the deal's
    expected revenue, in company currency. Win rate: won ÷ (won + lost), among
    the deals closed in the period (filter on Closed On).
    """

    _name = "crm.deal.competitor.report"
    _inherit = ["crm.analytics.report.mixin"]  # noqa: RUF012
    _description = "Win/Loss by Competitor"
    _auto = False
    _rec_name = "lead_id"
    _order = "date_closed desc"
    _depends = {  # noqa: RUF012
        "crm.lead": [
            "type",
            "active",
            "stage_id",
            "user_id",
            "team_id",
            "company_id",
            "lost_reason_id",
            "crm_lost_from_stage_id",
            "expected_revenue",
            "date_closed",
            "competitor_ids",
        ],
        "crm.stage": ["is_won", "is_lost"],
    }

    lead_id = fields.Many2one("crm.lead", string="Deal", readonly=True)
    competitor_id = fields.Many2one("crm.competitor", readonly=True)
    outcome = fields.Selection([("open", "Open"), ("won", "Won"), ("lost", "Lost")], readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    lost_reason_id = fields.Many2one("crm.lost.reason", readonly=True)
    lost_from_stage_id = fields.Many2one("crm.stage", readonly=True)
    date_closed = fields.Datetime(string="Closed On", readonly=True)
    deal_count = fields.Integer(string="Deals", readonly=True, aggregator="sum")
    won_count = fields.Integer(string="Won", readonly=True, aggregator="sum")
    lost_count = fields.Integer(string="Lost", readonly=True, aggregator="sum")
    win_rate = fields.Float(
        string="Win Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Won ÷ (won + lost), by number of deals, among the deals met with the competitor and closed in "
        "the period.",
    )
    won_amount = fields.Float(string="Won Revenue", readonly=True, aggregator="sum")
    lost_amount = fields.Float(
        string="Lost Revenue", readonly=True, aggregator="sum", help="Value of the lost deals, in company currency."
    )

    def init(self):
        # the deals closed in a period, read from a narrow index of the deals (an index-only scan)
        # instead of their wide rows: below the planner's JIT threshold, as the hand-written query is
        create_covering_index(
            self.env.cr,
            "crm_lead_crm_competitor_closed_index",
            "crm_lead",
            ["date_closed"],
            ["id", "stage_id", "active", "expected_revenue", "company_id", "team_id"],
            where="type = 'opportunity' AND date_closed IS NOT NULL",
        )

    @property
    def _table_query(self):
        # the outcome computed once per row, as two booleans; a stage both won and lost counts as lost
        return SQL(
            """
            SELECT l.id::bigint * 100000 + rel.crm_competitor_id AS id,
                   l.id AS lead_id,
                   rel.crm_competitor_id AS competitor_id,
                   CASE WHEN o.lost THEN 'lost' WHEN o.won THEN 'won' ELSE 'open' END AS outcome,
                   l.user_id AS user_id,
                   l.team_id AS team_id,
                   l.company_id AS company_id,
                   l.lost_reason_id AS lost_reason_id,
                   l.crm_lost_from_stage_id AS lost_from_stage_id,
                   l.date_closed AS date_closed,
                   1 AS deal_count,
                   o.won::int AS won_count,
                   o.lost::int AS lost_count,
                   CASE WHEN o.lost THEN 0.0 WHEN o.won THEN 100.0 END AS win_rate,
                   CASE WHEN o.won THEN COALESCE(l.expected_revenue, 0.0) ELSE 0.0 END AS won_amount,
                   CASE WHEN o.lost THEN COALESCE(l.expected_revenue, 0.0) ELSE 0.0 END AS lost_amount
              FROM crm_competitor_crm_lead_rel rel
              JOIN crm_lead l ON l.id = rel.crm_lead_id
         LEFT JOIN crm_stage stage ON stage.id = l.stage_id
             CROSS JOIN LATERAL (
                 SELECT NOT l.active OR COALESCE(stage.is_lost, FALSE) AS lost,
                        l.active AND COALESCE(stage.is_won, FALSE) AND NOT COALESCE(stage.is_lost, FALSE) AS won
             ) o
             WHERE l.type = 'opportunity'
            """
        )
