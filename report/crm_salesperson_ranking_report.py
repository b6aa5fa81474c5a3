from odoo import fields, models
from odoo.tools import SQL

from ..sql_tuning import create_covering_index


class CrmSalespersonRankingReport(models.Model):
    """Salesperson ranking: one row per event credited to a salesperson.

    Events: a deal won or lost (credited to the salesperson who owned the deal
    in the stage it was closed in, from the stage summary's snapshot kept on
    the deal, on its closing date), a deal created (credited to its owner in
    its first stage, on its entry date)
    and an activity done on a deal (credited to the user who marked it done).
    Rank by sorting a measure; the pivot's comparison with the previous period
    puts the previous period beside it.
    """

    _name = "crm.salesperson.ranking.report"
    _inherit = ["crm.analytics.report.mixin"]  # noqa: RUF012
    _description = "Salesperson Ranking"
    _auto = False
    _rec_name = "user_id"
    _order = "date desc"
    _depends = {  # noqa: RUF012
        "crm.lead": [
            "active",
            "stage_id",
            "team_id",
            "company_id",
            "expected_revenue",
            "date_closed",
            "type",
            "crm_stage_user_id",
            "crm_stage_team_id",
            "crm_stage_company_id",
            "crm_entry_user_id",
            "crm_entry_team_id",
            "crm_entry_company_id",
            "crm_date_entry",
        ],
        "mail.message": ["model", "res_id", "mail_activity_type_id", "author_id"],
    }

    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    deal_team_id = fields.Many2one("crm.team", string="Current Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    lead_id = fields.Many2one("crm.lead", string="Deal", readonly=True)
    date = fields.Datetime(readonly=True, help="Closing date, creation date or activity date of the event.")
    won_amount = fields.Float(
        string="Won Revenue",
        readonly=True,
        aggregator="sum",
        help="Value of the deals won in the period, in company currency, credited to the salesperson who "
        "owned each deal when it was won.",
    )
    won_count = fields.Integer(string="Won", readonly=True, aggregator="sum")
    lost_count = fields.Integer(string="Lost", readonly=True, aggregator="sum")
    win_rate = fields.Float(
        string="Win Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Won ÷ (won + lost) of the deals the salesperson closed in the period, by number.",
    )
    cycle_days = fields.Float(
        string="Sales Cycle (days)",
        readonly=True,
        aggregator="avg",
        help="Mean days from creation to won of the deals the salesperson won in the period.",
    )
    created_count = fields.Integer(
        string="Deals Created",
        readonly=True,
        aggregator="sum",
        help="Deals created in the period that the salesperson owned in their first stage.",
    )
    activity_count = fields.Integer(
        string="Activities Done", readonly=True, aggregator="sum", help="Activities on deals marked done in the period."
    )

    def init(self):
        # the closed deals and the created deals of a period, read from two narrow indexes of the deals
        # (index-only scans) instead of their wide rows
        create_covering_index(
            self.env.cr,
            "crm_lead_crm_ranking_closed_index",
            "crm_lead",
            ["date_closed"],
            [
                "stage_id",
                "active",
                "expected_revenue",
                "create_date",
                "crm_stage_user_id",
                "crm_stage_team_id",
                "crm_stage_company_id",
                "team_id",
            ],
            where="type = 'opportunity' AND date_closed IS NOT NULL",
        )
        create_covering_index(
            self.env.cr,
            "crm_lead_crm_ranking_entry_index",
            "crm_lead",
            ["crm_date_entry"],
            ["crm_entry_user_id", "crm_entry_team_id", "crm_entry_company_id", "team_id"],
            where="type = 'opportunity' AND crm_date_entry IS NOT NULL",
        )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT l.id * 3 AS id,
                   l.crm_stage_user_id AS user_id,
                   l.crm_stage_team_id AS team_id,
                   l.team_id AS deal_team_id,
                   l.crm_stage_company_id AS company_id,
                   l.id AS lead_id,
                   l.date_closed AS date,
                   CASE WHEN won THEN COALESCE(l.expected_revenue, 0.0) ELSE 0.0 END AS won_amount,
                   won::int AS won_count,
                   (NOT won)::int AS lost_count,
                   CASE WHEN won THEN 100.0 ELSE 0.0 END AS win_rate,
                   CASE WHEN won THEN EXTRACT(EPOCH FROM (l.date_closed - l.create_date)) / 86400.0 END
                       AS cycle_days,
                   0 AS created_count,
                   0 AS activity_count
              FROM crm_lead l
              JOIN crm_stage stage ON stage.id = l.stage_id
             CROSS JOIN LATERAL (SELECT l.active AND COALESCE(stage.is_won, FALSE) AS won) w
             WHERE l.type = 'opportunity' AND l.date_closed IS NOT NULL
               AND ((l.active AND stage.is_won) OR NOT l.active OR stage.is_lost)
         UNION ALL
            SELECT l.id * 3 + 1, l.crm_entry_user_id, l.crm_entry_team_id, l.team_id, l.crm_entry_company_id, l.id,
                   l.crm_date_entry, 0.0, 0, 0, NULL, NULL, 1, 0
              FROM crm_lead l
             WHERE l.crm_date_entry IS NOT NULL AND l.type = 'opportunity'
         UNION ALL
            SELECT m.id * 3 + 2, u.id, l.team_id, l.team_id, l.company_id, l.id, m.date,
                   0.0, 0, 0, NULL, NULL, 0, 1
              FROM mail_message m
              JOIN crm_lead l ON l.id = m.res_id
              JOIN LATERAL (SELECT min(id) AS id FROM res_users WHERE partner_id = m.author_id) u ON u.id IS NOT NULL
             WHERE m.model = 'crm.lead' AND m.mail_activity_type_id IS NOT NULL
               AND m.message_type = 'notification'
            """
        )
