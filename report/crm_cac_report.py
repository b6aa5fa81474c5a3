from datetime import date

from odoo import api, fields, models, tools
from odoo.tools import SQL


class CrmCacReport(models.Model):
    """CAC and CLTV by month, source and team.

    One row per month, company, source and team, holding the spend, the new
    clients, the client revenue, the active and the churned clients. The
    revenue of a client is invoiced revenue where Invoicing is used for it (it
    has posted customer invoices), the value of its won deals otherwise. A client is
    attributed to the source, team and company of its first won deal, from its
    first month on: its later revenue and its churn count for that source.
    Ratios are ratios of sums (``_custom_aggregates``), right over any grouping.
    """

    _name = "crm.cac.report"
    _inherit = ["crm.analytics.report.mixin"]  # noqa: RUF012
    _description = "CAC and CLTV"
    _auto = False
    _order = "month desc"
    _depends = {  # noqa: RUF012
        "crm.client.acquisition": ["client_id", "month", "source_id", "team_id", "company_id", "churn_month"],
        "crm.client.won.month": [
            "client_id",
            "month",
            "amount",
            "acquired_month",
            "source_id",
            "team_id",
            "company_id",
        ],
        "crm.sales.cost": ["date", "team_id", "amount", "currency_id", "company_id", "source_id"],
        "crm.lead": ["type", "active", "stage_id", "partner_id", "date_closed", "source_id", "team_id"],
        "res.partner": ["commercial_partner_id", "crm_date_past"],
        "res.company": ["crm_gross_margin"],
        "account.move": ["state", "move_type", "commercial_partner_id", "invoice_date", "amount_untaxed_signed"],
    }

    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    spend = fields.Float(
        readonly=True,
        aggregator="sum",
        help="Sales costs and campaign costs of the period, in company currency at the rate of their month.",
    )
    new_clients = fields.Integer(
        readonly=True,
        aggregator="sum",
        help="Clients whose first won deal closed in the period, by the source and team of that deal.",
    )
    revenue = fields.Float(
        string="Client Revenue",
        readonly=True,
        aggregator="sum",
        help="Revenue of the period of the clients acquired from the source, in company currency: for a client "
        "with posted customer invoices (Invoicing is used for it), its invoiced revenue (untaxed, less credit "
        "notes, by invoice date); for the others, the value of the deals it won. Revenue before the client's first "
        "won deal is left out.",
    )
    active_clients = fields.Integer(
        string="Client Months",
        readonly=True,
        aggregator="sum",
        help="Clients acquired and not yet churned, counted once per month of the period.",
    )
    churned_clients = fields.Integer(
        readonly=True,
        aggregator="sum",
        help="Acquired clients whose client type became Past Client in the period.",
    )
    cac = fields.Float(
        string="CAC",
        readonly=True,
        aggregator="avg",
        help="Customer acquisition cost: spend of the period ÷ new clients of the period.",
    )
    revenue_per_client = fields.Float(
        string="Revenue per Client per Month",
        readonly=True,
        aggregator="avg",
        help="Client revenue ÷ client months: the average revenue of a client in a month.",
    )
    churn_rate = fields.Float(
        string="Monthly Churn (%)",
        readonly=True,
        aggregator="avg",
        help="Churned clients ÷ client months: the share of the clients lost in a month.",
    )
    cltv = fields.Float(
        string="CLTV",
        readonly=True,
        aggregator="avg",
        help="Client lifetime value: revenue per client per month × gross margin % (setting) ÷ monthly churn. "
        "The revenue is the invoiced revenue for clients with posted customer invoices (where Invoicing is "
        "used), the won deal value for the others. Empty while no client churned.",
    )
    ltv_cac = fields.Float(
        string="LTV:CAC",
        readonly=True,
        aggregator="avg",
        help="CLTV ÷ CAC: what a client brings for each unit spent to win one.",
    )
    payback_months = fields.Float(
        string="CAC Payback (months)",
        readonly=True,
        aggregator="avg",
        help="CAC ÷ (revenue per client per month × gross margin %): the months a new client takes to repay "
        "its acquisition cost.",
    )

    def init(self):
        # the invoiced revenue of a client, and whether it has any
        tools.create_index(
            self.env.cr,
            "account_move_crm_client_revenue_index",
            "account_move",
            ["commercial_partner_id", "invoice_date"],
            where="state = 'posted' AND move_type IN ('out_invoice', 'out_refund')",
        )

    def _custom_aggregates(self):
        def ratio(numerator, denominator, factor=None):
            def build(column, _others):
                top = SQL("SUM(%s)", column(numerator))
                if factor:
                    top = SQL("%s * %s", top, factor(column))
                return SQL("%s / NULLIF(SUM(%s), 0)", top, column(denominator))

            return build

        def margin(column):
            # the margin weighted by the revenue of its rows; 100 % where no revenue
            return SQL(
                "COALESCE(SUM(%s * %s) / NULLIF(SUM(%s), 0), 100.0) / 100.0",
                column("revenue"),
                column("margin"),
                column("revenue"),
            )

        def cltv_sql(column):
            arpc = SQL("SUM(%s) / NULLIF(SUM(%s), 0)", column("revenue"), column("active_clients"))
            churn = SQL("SUM(%s)::float / NULLIF(SUM(%s), 0)", column("churned_clients"), column("active_clients"))
            return SQL("%s * %s / NULLIF(%s, 0)", arpc, margin(column), churn)

        def cac_sql(column):
            return SQL("SUM(%s) / NULLIF(SUM(%s), 0)", column("spend"), column("new_clients"))

        return {
            "cac": lambda column, _others: cac_sql(column),
            "revenue_per_client": ratio("revenue", "active_clients"),
            "churn_rate": ratio("churned_clients", "active_clients", lambda column: SQL("100.0")),
            "cltv": lambda column, _others: cltv_sql(column),
            "ltv_cac": lambda column, _others: SQL("%s / NULLIF(%s, 0)", cltv_sql(column), cac_sql(column)),
            "payback_months": lambda column, _others: SQL(
                "%s / NULLIF(SUM(%s) / NULLIF(SUM(%s), 0) * %s, 0)",
                cac_sql(column),
                column("revenue"),
                column("active_clients"),
                margin(column),
            ),
        }

    def _spend_sources(self):
        """The spend, one SELECT per source of costs, as (date, company, currency, amount, source, team):
        the sales costs entered per month and team, and the campaigns' costs per channel and month.
        A campaign cost has no lead source nor team of its own: it counts under "No source", for
        every team.
        """
        return [
            SQL("SELECT date, company_id, currency_id, amount, source_id, team_id FROM crm_sales_cost"),
            SQL(
                "SELECT date, company_id, currency_id, amount, NULL::int AS source_id, NULL::int AS team_id "
                "FROM crm_campaign_cost"
            ),
        ]

    # The parts of the figures, each read only when one of these fields is: a read of the new clients
    # by source does not spread every client over its months.
    _FACT_PARTS = {  # noqa: RUF012
        "spend": {"spend", "cac", "ltv_cac", "payback_months"},
        "new_clients": {"new_clients", "cac", "ltv_cac", "payback_months"},
        "revenue": {"revenue", "revenue_per_client", "cltv", "ltv_cac", "payback_months"},
        "active_clients": {"active_clients", "revenue_per_client", "churn_rate", "cltv", "ltv_cac", "payback_months"},
        "churned_clients": {"churned_clients", "churn_rate", "cltv", "ltv_cac"},
    }

    def _fact_parts(self):
        """The parts the current read needs: those of its measures and filters, all of them outside a
        ``_read_group`` or for one that names no figure (counts rows)."""
        named = self._analytics_fields_read()
        if named is None or "__count" in named:
            return set(self._FACT_PARTS)
        parts = {part for part, names in self._FACT_PARTS.items() if names & named}
        return parts or set(self._FACT_PARTS)

    # The comparisons of a read's month filter that also bound each part of the figures.
    _MONTH_OPERATORS = (">=", ">", "<=", "<", "=")

    @api.model
    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        # a read's period (its month filter, when every condition of its domain must hold) also bounds
        # each part of the figures before they are summed: the view's ids (a window over every row) would
        # keep the database from pushing the filter down itself
        bounds = None
        if not any(isinstance(leaf, str) for leaf in domain):
            bounds = tuple(
                (leaf[1], fields.Date.to_date(leaf[2]))
                for leaf in domain
                if isinstance(leaf, list | tuple)
                and leaf[0] == "month"
                and leaf[1] in self._MONTH_OPERATORS
                and isinstance(leaf[2], str | date)
            )
        report = self.with_context(crm_cac_month_bounds=bounds or None)
        return super(CrmCacReport, report)._read_group(domain, groupby, aggregates, having, offset, limit, order)

    def _month_filter(self, month):
        """The read's month bounds on the SQL expression ``month`` of a part, TRUE without any."""
        bounds = self.env.context.get("crm_cac_month_bounds") or ()
        return SQL(" AND ").join(
            [SQL("TRUE"), *(SQL("%s %s %s::date", month, SQL(operator), value) for operator, value in bounds)]
        )

    @property
    def _table_query(self):
        today = fields.Date.context_today(self)
        parts = self._fact_parts()

        def rate(currency):
            # the rate of the currency at the cost's month, the company's own rate first
            return SQL(
                """COALESCE((SELECT r.rate FROM res_currency_rate r
                              WHERE r.currency_id = %s AND r.name <= c.date
                                AND (r.company_id IS NULL OR r.company_id = c.company_id)
                           ORDER BY r.company_id IS NULL, r.name DESC LIMIT 1), 1.0)""",
                currency,
            )

        facts = {
            "spend": SQL(
                """SELECT date_trunc('month', c.date)::date, c.company_id, c.source_id, c.team_id,
                          c.amount * %(company_rate)s / %(cost_rate)s, 0, 0.0, 0, 0
                     FROM cost c
                     JOIN res_company company ON company.id = c.company_id
                    WHERE %(month)s""",
                company_rate=rate(SQL("company.currency_id")),
                cost_rate=rate(SQL("c.currency_id")),
                month=self._month_filter(SQL("date_trunc('month', c.date)::date")),
            ),
            "new_clients": SQL(
                "SELECT month, company_id, source_id, team_id, 0.0, clients, 0.0, 0, 0 FROM cohort WHERE %s",
                self._month_filter(SQL("month")),
            ),
            # summed per month and cohort before the union: a few hundred rows, not one per client month
            "revenue": SQL(
                """SELECT revenue.month, revenue.company_id, revenue.source_id, revenue.team_id, 0.0, 0,
                          SUM(revenue.amount), 0, 0
                     FROM revenue
                    WHERE revenue.month >= revenue.acquired_month AND %s
                 GROUP BY 1, 2, 3, 4""",
                self._month_filter(SQL("revenue.month")),
            ),
            "active_clients": SQL(
                """SELECT m::date, company_id, source_id, team_id, 0.0, 0, 0.0, clients, 0
                     FROM cohort,
                          generate_series(month, LEAST(COALESCE(churn_month, %(today)s), %(today)s),
                                          interval '1 month') m
                    WHERE (churn_month IS NULL OR churn_month >= month) AND %(month)s""",
                today=SQL("%s::date", today.replace(day=1)),
                month=self._month_filter(SQL("m::date")),
            ),
            "churned_clients": SQL(
                "SELECT churn_month, company_id, source_id, team_id, 0.0, 0, 0.0, 0, clients "
                "FROM cohort WHERE churn_month >= month AND %s",
                self._month_filter(SQL("churn_month")),
            ),
        }
        # an empty first part names the columns of the union, whichever parts follow
        names = SQL(
            "SELECT NULL::date AS month, NULL::int AS company_id, NULL::int AS source_id, NULL::int AS team_id, "
            "0.0 AS spend, 0 AS new_clients, 0.0 AS revenue, 0 AS active_clients, 0 AS churned_clients WHERE FALSE"
        )
        return SQL(
            """
            WITH cost AS (%(spend)s),
            -- the clients, by their first won deal and churn month kept as deals move
            -- (crm.client.acquisition), counted once per acquisition month, churn month, company, source
            -- and team before their months are spread out: a few hundred cohorts, not a row per client
            cohort AS (
                SELECT month, churn_month, company_id, source_id, team_id, count(*)::int AS clients
                  FROM crm_client_acquisition
                 WHERE %(cohort_month)s
              GROUP BY month, churn_month, company_id, source_id, team_id
            ),
            -- the client's revenue, with its acquisition: its posted customer invoices (untaxed, in
            -- company currency, credit notes deducted) where it is invoiced through Invoicing, else the
            -- value of its won deals (kept per month with the client's acquisition, crm.client.won.month)
            revenue AS (
                SELECT date_trunc('month', m.invoice_date)::date AS month, m.amount_untaxed_signed AS amount,
                       client.month AS acquired_month, client.company_id, client.source_id, client.team_id
                  FROM account_move m
                  JOIN crm_client_acquisition client ON client.client_id = m.commercial_partner_id
                 WHERE %(invoiced)s
                UNION ALL
                SELECT won.month, won.amount, won.acquired_month, won.company_id, won.source_id, won.team_id
                  FROM crm_client_won_month won
                 -- the invoiced clients hashed once, rather than one lookup per client month
                 WHERE won.client_id NOT IN (SELECT m.commercial_partner_id FROM account_move m
                                              WHERE m.commercial_partner_id IS NOT NULL AND %(invoiced)s)
            ),
            fact AS (%(fact)s)
            SELECT row_number() OVER (ORDER BY f.month, f.company_id, f.source_id, f.team_id) AS id,
                   f.month, f.company_id, f.source_id, f.team_id,
                   SUM(f.spend) AS spend,
                   SUM(f.new_clients) AS new_clients,
                   SUM(f.revenue) AS revenue,
                   SUM(f.active_clients) AS active_clients,
                   SUM(f.churned_clients) AS churned_clients,
                   MAX(co.crm_gross_margin) AS margin,
                   0.0 AS cac, 0.0 AS revenue_per_client, 0.0 AS churn_rate, 0.0 AS cltv, 0.0 AS ltv_cac,
                   0.0 AS payback_months
              FROM fact f
              JOIN res_company co ON co.id = f.company_id
          GROUP BY f.month, f.company_id, f.source_id, f.team_id
            """,
            spend=SQL(" UNION ALL ").join(self._spend_sources()),
            # a read of the new clients alone needs the cohorts acquired in its period only (the active and
            # churned clients of a period include cohorts acquired before it)
            cohort_month=self._month_filter(SQL("month")) if parts == {"new_clients"} else SQL("TRUE"),
            fact=SQL(" UNION ALL ").join([names, *(facts[part] for part in self._FACT_PARTS if part in parts)]),
            invoiced=SQL(
                "m.state = 'posted' AND m.move_type IN ('out_invoice', 'out_refund') AND m.invoice_date IS NOT NULL"
            ),
        )
