from odoo import fields, models
from odoo.tools import SQL

from ..models.res_partner import CLIENT_TYPES


class CrmDealFunnelReport(models.Model):
    """Funnel, stage conversion and time in stage: one row per deal and stage reached.

    Reads the summary kept when deals move (``crm.deal.stage.summary``): no
    window function over the history at query time.
    """

    _name = "crm.deal.funnel.report"
    _inherit = ["crm.analytics.report.mixin"]  # noqa: RUF012
    _description = "Funnel and Stage Conversion"
    _auto = False
    _crm_custom_field_columns = True
    _rec_name = "lead_id"
    _order = "date_first_in desc"
    _depends = {  # noqa: RUF012
        "crm.deal.stage.summary": [
            "lead_id",
            "stage_id",
            "company_id",
            "team_id",
            "user_id",
            "date_first_in",
            "date_last_in",
            "date_open_in",
            "stay_count",
            "days_total",
            "days_latest",
            "is_first_stage",
            "is_strict",
            "advanced",
            "advanced_strict",
        ],
        "crm.lead": ["team_id", "source_id", "medium_id", "campaign_id", "country_id", "partner_id", "create_date"],
        "res.partner": ["commercial_partner_id", "crm_client_type"],
    }

    lead_id = fields.Many2one("crm.lead", string="Deal", readonly=True)
    stage_id = fields.Many2one("crm.stage", readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Salesperson", readonly=True, help="Salesperson of the deal when it reached the stage."
    )
    team_id = fields.Many2one(
        "crm.team", string="Sales Team", readonly=True, help="Sales team of the deal when it reached the stage."
    )
    deal_team_id = fields.Many2one("crm.team", string="Current Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    medium_id = fields.Many2one("utm.medium", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    client_type = fields.Selection(CLIENT_TYPES, readonly=True)
    date_first_in = fields.Datetime(
        string="First Entered",
        readonly=True,
        help="When the deal first reached the stage (for a skipped stage: when it jumped over it).",
    )
    date_deal_created = fields.Datetime(string="Deal Created On", readonly=True)
    is_skipped = fields.Boolean(string="Skipped", readonly=True, help="The deal jumped over this stage.")
    is_strict = fields.Boolean(
        string="Reached Strictly", readonly=True, help="The deal stayed in every earlier stage before this one."
    )
    is_first_stage = fields.Boolean(string="First Stage", readonly=True)
    is_current = fields.Boolean(string="Current Stage", readonly=True)
    deal_count = fields.Integer(
        string="Deals",
        readonly=True,
        aggregator="sum",
        help="Deals that reached the stage, skipped stages included (any-stage funnel).",
    )
    stayed_count = fields.Integer(
        string="Deals That Stayed",
        readonly=True,
        aggregator="sum",
        help="Deals that had at least one stay in the stage (skipped stages excluded).",
    )
    advanced_count = fields.Integer(
        string="Deals Advanced",
        readonly=True,
        aggregator="sum",
        help="Deals that later reached a stage after this one, or were won.",
    )
    conversion = fields.Float(
        string="Next-Step Conversion (%)",
        readonly=True,
        aggregator="avg",
        help="Any-stage mode: among the deals that first entered the stage in the period (a skipped stage "
        "counts as entered and passed), the share that later reached a stage after it or were won.",
    )
    conversion_strict = fields.Float(
        string="Next-Step Conversion, Strict (%)",
        readonly=True,
        aggregator="avg",
        help="Strict mode: among the deals that entered the stage in the period after a stay in every "
        "earlier stage, the share that then stayed in the very next stage.",
    )
    conversion_cumulative = fields.Float(
        string="Cumulative Conversion (%)",
        readonly=True,
        aggregator="avg",
        help="Any-stage mode: deals that reached the stage, as a share of the deals that entered the first "
        "stage of the pipeline, in the same other groupings. Filter on Deal Created On for a cohort.",
    )
    conversion_cumulative_strict = fields.Float(
        string="Cumulative Conversion, Strict (%)",
        readonly=True,
        aggregator="avg",
        help="Strict mode: deals that reached the stage after a stay in every earlier stage, as a share of "
        "the deals that stayed in the first stage of the pipeline, in the same other groupings.",
    )
    days_latest = fields.Float(
        string="Latest Time in Stage (days)",
        readonly=True,
        aggregator="avg",
        help="Days of the latest finished stay in the stage; the open stay is excluded.",
    )
    days_latest_open = fields.Float(
        string="Latest Time in Stage, Open Stay Included (days)",
        readonly=True,
        aggregator="avg",
        help="Days of the latest stay in the stage, counting the open stay up to now.",
    )
    days_cumulative = fields.Float(
        string="Cumulative Time in Stage (days)",
        readonly=True,
        aggregator="avg",
        help="Days of all finished stays of the deal in the stage; the open stay is excluded.",
    )
    days_cumulative_open = fields.Float(
        string="Cumulative Time in Stage, Open Stay Included (days)",
        readonly=True,
        aggregator="avg",
        help="Days of all stays of the deal in the stage, counting the open stay up to now.",
    )

    def _custom_aggregates(self):
        def cumulative(strict):
            def build(column, others):
                partition = SQL("PARTITION BY %s", others) if others else SQL()
                top = (
                    SQL("%s AND %s", column("is_first_stage"), column("is_strict"))
                    if strict
                    else column("is_first_stage")
                )
                reached = SQL("COUNT(*) FILTER (WHERE %s)", column("is_strict")) if strict else SQL("COUNT(*)")
                return SQL("100.0 * %s / NULLIF(SUM(COUNT(*) FILTER (WHERE %s)) OVER (%s), 0)", reached, top, partition)

            return build

        return {
            "conversion_cumulative": cumulative(False),
            "conversion_cumulative_strict": cumulative(True),
        }

    @property
    def _table_query(self):
        # now from Python: the age of the open stays follows the server clock (and tests' frozen time);
        # date_part, not EXTRACT: a float like the stored days, so that the averages add floats, not numerics
        return SQL(
            """
            SELECT s.id AS id,
                   s.lead_id AS lead_id,
                   s.stage_id AS stage_id,
                   s.user_id AS user_id,
                   s.team_id AS team_id,
                   l.team_id AS deal_team_id,
                   s.company_id AS company_id,
                   l.source_id AS source_id,
                   l.medium_id AS medium_id,
                   l.campaign_id AS campaign_id,
                   l.country_id AS country_id,
                   client.crm_client_type AS client_type%(custom)s,
                   s.date_first_in AS date_first_in,
                   l.create_date AS date_deal_created,
                   s.stay_count = 0 AS is_skipped,
                   s.is_strict AS is_strict,
                   s.is_first_stage AS is_first_stage,
                   s.date_open_in IS NOT NULL AS is_current,
                   1 AS deal_count,
                   (s.stay_count > 0)::int AS stayed_count,
                   s.advanced::int AS advanced_count,
                   CASE WHEN s.advanced THEN 100.0 ELSE 0.0 END AS conversion,
                   CASE WHEN s.is_strict THEN CASE WHEN s.advanced_strict THEN 100.0 ELSE 0.0 END END
                       AS conversion_strict,
                   0.0 AS conversion_cumulative,
                   0.0 AS conversion_cumulative_strict,
                   CASE WHEN s.stay_count > 1 OR (s.stay_count = 1 AND s.date_open_in IS NULL)
                        THEN s.days_latest END AS days_latest,
                   CASE WHEN s.date_open_in IS NOT NULL
                        THEN date_part('epoch', %(now)s - s.date_open_in) / 86400
                        WHEN s.stay_count > 0 THEN s.days_latest END AS days_latest_open,
                   CASE WHEN s.stay_count > 1 OR (s.stay_count = 1 AND s.date_open_in IS NULL)
                        THEN s.days_total END AS days_cumulative,
                   CASE WHEN s.stay_count > 0
                        THEN s.days_total + COALESCE(
                            date_part('epoch', %(now)s - s.date_open_in) / 86400, 0)
                        END AS days_cumulative_open
              FROM crm_deal_stage_summary s
              -- LEFT: the planner drops the joins a query does not read
         LEFT JOIN crm_lead l ON l.id = s.lead_id
         LEFT JOIN res_partner partner ON partner.id = l.partner_id
         LEFT JOIN res_partner client ON client.id = partner.commercial_partner_id
            """,
            now=SQL("%s::timestamp", fields.Datetime.now()),
            custom=self._crm_custom_field_select(),
        )
