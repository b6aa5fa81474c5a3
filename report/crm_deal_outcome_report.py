from odoo import fields, models
from odoo.tools import SQL

from ..models.res_partner import CLIENT_TYPES


class CrmDealOutcomeReport(models.Model):
    """Deal outcomes: one row per opportunity, open, won or lost.

    Amounts are the deal's expected revenue, in company currency. Win rate,
    deal size and cycle read the deals closed in the period (filter on Closed
    On); pipeline value and forecast read the open deals by Expected Closing.
    """

    _name = "crm.deal.outcome.report"
    _inherit = ["crm.analytics.report.mixin"]  # noqa: RUF012
    _description = "Deal Outcomes"
    _auto = False
    _crm_custom_field_columns = True
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
            "source_id",
            "medium_id",
            "campaign_id",
            "country_id",
            "partner_id",
            "lost_reason_id",
            "crm_lost_from_stage_id",
            "expected_revenue",
            "probability",
            "create_date",
            "date_conversion",
            "date_closed",
            "date_deadline",
        ],
        "crm.stage": ["is_won", "is_lost"],
        "res.company": ["crm_cycle_start"],
        "res.partner": ["commercial_partner_id", "crm_client_type"],
    }

    lead_id = fields.Many2one("crm.lead", string="Deal", readonly=True)
    stage_id = fields.Many2one("crm.stage", readonly=True)
    outcome = fields.Selection([("open", "Open"), ("won", "Won"), ("lost", "Lost")], readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    deal_team_id = fields.Many2one("crm.team", string="Current Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    medium_id = fields.Many2one("utm.medium", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    client_type = fields.Selection(CLIENT_TYPES, readonly=True)
    lost_reason_id = fields.Many2one("crm.lost.reason", readonly=True)
    lost_from_stage_id = fields.Many2one("crm.stage", readonly=True)
    create_date = fields.Datetime(string="Created On", readonly=True)
    date_closed = fields.Datetime(string="Closed On", readonly=True)
    date_deadline = fields.Date(string="Expected Closing", readonly=True)
    deal_count = fields.Integer(string="Deals", readonly=True, aggregator="sum")
    won_count = fields.Integer(string="Won", readonly=True, aggregator="sum")
    lost_count = fields.Integer(string="Lost", readonly=True, aggregator="sum")
    win_rate = fields.Float(
        string="Win Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Won ÷ (won + lost), by number of deals, among the deals closed in the period.",
    )
    win_rate_value = fields.Float(
        string="Win Rate by Value (%)",
        readonly=True,
        aggregator="avg",
        help="Value of the won deals ÷ value of the won and lost deals, in company currency, among the "
        "deals closed in the period.",
    )
    won_amount = fields.Float(
        string="Won Revenue", readonly=True, aggregator="sum", help="Value of the won deals, in company currency."
    )
    deal_size = fields.Float(
        string="Average Deal Size",
        readonly=True,
        aggregator="avg",
        help="Mean value of the won deals, in company currency.",
    )
    deal_size_median = fields.Float(
        string="Median Deal Size",
        readonly=True,
        aggregator="avg",
        help="Median value of the won deals, in company currency.",
    )
    cycle_days = fields.Float(
        string="Sales Cycle (days)",
        readonly=True,
        aggregator="avg",
        help="Mean days from creation (or conversion to opportunity, per setting) to won, for won deals.",
    )
    cycle_median = fields.Float(
        string="Sales Cycle, Median (days)",
        readonly=True,
        aggregator="avg",
        help="Median days from creation (or conversion, per setting) to won, for won deals.",
    )
    cycle_p90 = fields.Float(
        string="Sales Cycle, 90th Percentile (days)",
        readonly=True,
        aggregator="avg",
        help="90th percentile of the days from creation (or conversion, per setting) to won: nine won deals "
        "in ten closed faster.",
    )
    pipeline_value = fields.Float(
        readonly=True,
        aggregator="sum",
        help="Value of the open deals, in company currency; group by Expected Closing for the forecast.",
    )
    weighted_value = fields.Float(
        string="Weighted Forecast",
        readonly=True,
        aggregator="sum",
        help="Value × probability of the open deals, in company currency, by Expected Closing.",
    )
    velocity = fields.Float(
        string="Sales Velocity (per day)",
        readonly=True,
        aggregator="avg",
        help="Open deals × average deal size × win rate ÷ mean sales cycle in days: the revenue the "
        "pipeline is expected to bring in per day.",
    )

    def _custom_aggregates(self):
        def percentile(fraction, name):
            def build(column, _others):
                return SQL("percentile_cont(%s) WITHIN GROUP (ORDER BY %s)", fraction, column(name))

            return build

        def win_rate_value(column, _others):
            return SQL("100.0 * SUM(%s) / NULLIF(SUM(%s), 0)", column("won_amount"), column("closed_amount"))

        def velocity(column, _others):
            return SQL(
                "SUM(%(open)s) * AVG(%(size)s) * SUM(%(won)s) / NULLIF(SUM(%(won)s) + SUM(%(lost)s), 0)"
                " / NULLIF(AVG(%(cycle)s), 0)",
                open=column("open_count"),
                size=column("deal_size"),
                won=column("won_count"),
                lost=column("lost_count"),
                cycle=column("cycle_days"),
            )

        return {
            "win_rate_value": win_rate_value,
            "deal_size_median": percentile(0.5, "deal_size"),
            "cycle_median": percentile(0.5, "cycle_days"),
            "cycle_p90": percentile(0.9, "cycle_days"),
            "velocity": velocity,
        }

    @property
    def _table_query(self):
        joined = self._crm_client_joined()
        return SQL(
            """
            SELECT d.*,
                   (d.outcome = 'won')::int AS won_count,
                   (d.outcome = 'lost')::int AS lost_count,
                   (d.outcome = 'open')::int AS open_count,
                   CASE d.outcome WHEN 'won' THEN 100.0 WHEN 'lost' THEN 0.0 END AS win_rate,
                   0.0 AS win_rate_value,
                   CASE WHEN d.outcome = 'won' THEN d.amount ELSE 0.0 END AS won_amount,
                   CASE WHEN d.outcome <> 'open' THEN d.amount ELSE 0.0 END AS closed_amount,
                   CASE WHEN d.outcome = 'won' THEN d.amount END AS deal_size,
                   0.0 AS deal_size_median,
                   CASE WHEN d.outcome = 'won'
                        THEN EXTRACT(EPOCH FROM (d.date_closed - d.date_start)) / 86400.0 END AS cycle_days,
                   0.0 AS cycle_median,
                   0.0 AS cycle_p90,
                   CASE WHEN d.outcome = 'open' THEN d.amount ELSE 0.0 END AS pipeline_value,
                   CASE WHEN d.outcome = 'open' THEN d.amount * COALESCE(d.probability, 0) / 100.0
                        ELSE 0.0 END AS weighted_value,
                   0.0 AS velocity
              FROM (
                SELECT l.id AS id,
                       l.id AS lead_id,
                       l.stage_id AS stage_id,
                       CASE WHEN NOT l.active OR stage.is_lost THEN 'lost'
                            WHEN stage.is_won THEN 'won'
                            ELSE 'open' END AS outcome,
                       l.user_id AS user_id,
                       l.team_id AS team_id,
                       l.team_id AS deal_team_id,
                       l.company_id AS company_id,
                       l.source_id AS source_id,
                       l.medium_id AS medium_id,
                       l.campaign_id AS campaign_id,
                       l.country_id AS country_id,
                       %(client_type)s AS client_type%(custom)s,
                       l.lost_reason_id AS lost_reason_id,
                       l.crm_lost_from_stage_id AS lost_from_stage_id,
                       l.create_date AS create_date,
                       l.date_closed AS date_closed,
                       l.date_deadline AS date_deadline,
                       1 AS deal_count,
                       COALESCE(l.expected_revenue, 0.0) AS amount,
                       l.probability AS probability,
                       CASE WHEN l.company_id IN (SELECT id FROM res_company WHERE crm_cycle_start = 'conversion')
                            THEN COALESCE(l.date_conversion, l.create_date)
                            ELSE l.create_date END AS date_start
                  FROM crm_lead l
             LEFT JOIN crm_stage stage ON stage.id = l.stage_id%(client_joins)s
                 WHERE l.type = 'opportunity'
              ) d
            """,
            client_type=SQL("client.crm_client_type") if joined else SQL("NULL::varchar"),
            custom=self._crm_custom_field_select(joined),
            # only when read: the closed deals of a period then come from a narrow index of the deals
            client_joins=SQL(
                """
             LEFT JOIN res_partner partner ON partner.id = l.partner_id
             LEFT JOIN res_partner client ON client.id = partner.commercial_partner_id"""
            )
            if joined
            else SQL(),
        )
