from odoo import api, fields, models
from odoo.tools import SQL

from ..models.crm_outreach import OUTREACH_CHANNELS, OUTREACH_DIRECTIONS, TOUCH_OUTCOMES
from ..models.res_partner import CLIENT_STATUSES, CLIENT_TYPES
from ..sql_tuning import create_covering_index

# The columns only one kind of row fills, and that kind; the other kind holds 0 there, or NULL for
# those of ENGAGEMENT_NULL_COLUMNS.
ENGAGEMENT_KIND_COLUMNS = {
    **dict.fromkeys(
        (
            "partner_id",
            "channel",
            "direction",
            "date",
            "touch_count",
            "inbound_count",
            "outbound_count",
            "inbound_email_count",
            "unanswered_count",
            "response_hours",
        ),
        "touch",
    ),
    **dict.fromkeys(("client_count", "inactive_count", "never_contacted_count", "days_since_contact"), "client"),
}
ENGAGEMENT_NULL_COLUMNS = frozenset(
    {"partner_id", "channel", "direction", "date", "response_hours", "days_since_contact"}
)


class CrmClientEngagementReport(models.Model):
    """Client engagement: touches per client, channel and month, response times, inactive clients.

    Two kinds of rows: one per touch (a crm.outreach that reached the client
    or one of its contacts: done, replied, meeting booked, not interested),
    dated by the touch, and one per client, undated, holding its days since
    the last contact and whether an inactivity rule flags it. An inbound email
    is answered by the first outbound email to the same client at or after it.
    """

    _name = "crm.client.engagement.report"
    _inherit = ["crm.analytics.report.mixin"]  # noqa: RUF012
    _description = "Client Engagement"
    _auto = False
    _rec_name = "client_id"
    _order = "date desc"
    _depends = {  # noqa: RUF012
        "crm.outreach": [
            "date",
            "channel",
            "direction",
            "outcome",
            "partner_id",
            "client_id",
            "user_id",
            "company_id",
            "crm_reply_date",
            "crm_response_hours",
        ],
        "res.partner": [
            "active",
            "is_company",
            "team_id",
            "user_id",
            "company_id",
            "crm_client_type",
            "crm_client_status",
            "crm_last_contacted",
            "crm_inactive",
        ],
        "crm.contact.analytics": ["partner_id", "team_id", "company_id", "client_type", "client_status"],
    }

    row_kind = fields.Selection([("touch", "Touch"), ("client", "Client")], string="Row", readonly=True)
    client_id = fields.Many2one("res.partner", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Contact", readonly=True)
    channel = fields.Selection(OUTREACH_CHANNELS, readonly=True)
    direction = fields.Selection(OUTREACH_DIRECTIONS, readonly=True)
    date = fields.Datetime(string="Touched On", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    client_type = fields.Selection(CLIENT_TYPES, readonly=True)
    client_status = fields.Selection(CLIENT_STATUSES, readonly=True)
    touch_count = fields.Integer(
        string="Touches",
        readonly=True,
        aggregator="sum",
        help="Outreach that reached the client or its contacts: calls, emails and messages in and out, meetings.",
    )
    inbound_count = fields.Integer(string="Inbound Touches", readonly=True, aggregator="sum")
    outbound_count = fields.Integer(string="Outbound Touches", readonly=True, aggregator="sum")
    client_count = fields.Integer(string="Clients", readonly=True, aggregator="sum")
    inactive_count = fields.Integer(
        string="Inactive Clients",
        readonly=True,
        aggregator="sum",
        help="Clients an inactivity rule flags: not contacted for the rule's days.",
    )
    never_contacted_count = fields.Integer(string="Never Contacted", readonly=True, aggregator="sum")
    days_since_contact = fields.Float(
        string="Days Since Last Contact",
        readonly=True,
        aggregator="avg",
        help="Days from the client's last touch (by any of its contacts) to now, on average over the clients; "
        "clients never contacted are left out (see Never Contacted).",
    )
    inbound_email_count = fields.Integer(string="Inbound Emails", readonly=True, aggregator="sum")
    unanswered_count = fields.Integer(
        string="Unanswered Emails",
        readonly=True,
        aggregator="sum",
        help="Inbound emails no outbound email to the same client followed.",
    )
    response_hours = fields.Float(
        string="Response Time (hours)",
        readonly=True,
        aggregator="avg",
        help="Hours from an inbound email to the first outbound email to the same client at or after it, "
        "on average over the answered inbound emails.",
    )
    response_hours_median = fields.Float(
        string="Response Time, Median (hours)",
        readonly=True,
        aggregator="avg",
        help="Median hours from an inbound email to the first outbound email to the same client after it.",
    )

    def init(self):
        # the client rows read the clients alone, not their wide partner rows
        create_covering_index(
            self.env.cr,
            "res_partner_crm_engagement_client_index",
            "res_partner",
            ["crm_client_type"],
            ["crm_client_status", "crm_last_contacted", "crm_inactive", "user_id", "team_id", "company_id"],
            where="active AND is_company",
        )

    @api.model
    def _engagement_row_kinds(self, domain):
        """The kinds of rows (touch, client) a domain can match.

        A conjunction that sets ``row_kind``, or requires a column only one kind fills (the other holds
        0 or NULL there: an inbound email, a touch date, an inactive client), matches that kind alone;
        any other domain may match both."""
        kinds = {"touch", "client"}
        if any(isinstance(item, str) and item in ("|", "!") for item in domain):
            return kinds
        for leaf in domain:
            if not isinstance(leaf, list | tuple) or len(leaf) != 3:
                continue
            name, operator, value = leaf
            values = value if isinstance(value, list | tuple) else [value]
            if name == "row_kind" and operator in ("=", "in"):
                kinds &= set(values)
            elif name in ENGAGEMENT_KIND_COLUMNS and (
                (operator in ("=", "in") and values and not any(v in (False, None, 0, "") for v in values))
                or (
                    operator in ("<", "<=", ">", ">=")
                    and name in ENGAGEMENT_NULL_COLUMNS
                    and value not in (False, None)
                )
            ):
                kinds &= {ENGAGEMENT_KIND_COLUMNS[name]}
        return kinds or {"touch", "client"}

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, **kwargs):
        # the touches read their client's row of the contact analysis: fold the partners changed in
        # this transaction first; the query holds only the kinds of rows the domain can match
        self.env["crm.contact.analytics"]._process_pending()
        kinds = tuple(sorted(self._engagement_row_kinds(domain)))
        return super(CrmClientEngagementReport, self.with_context(crm_engagement_row_kinds=kinds))._search(
            domain, offset=offset, limit=limit, order=order, **kwargs
        )

    def _custom_aggregates(self):
        return {
            "response_hours_median": lambda column, _others: SQL(
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY %s)", column("response_hours")
            ),
        }

    @property
    def _table_query(self):
        # Only the kinds of rows the read can match (see _search): a read of the touches or of the
        # clients alone is one SELECT, which PostgreSQL flattens into the grouped read, so it scans the
        # outreach or the clients as the same read written by hand does (a UNION ALL branch with a WHERE
        # of its own is not flattened: each of its rows goes through a subquery layer).
        # A touch whose outreach has no company takes its client's. While there is one, the outreach read
        # is a UNION ALL of those with a company (a branch without WHERE, which PostgreSQL flattens) and
        # those without, joined to their client (a few rows); one index probe tells which shape to use.
        # The client's team, type and status come from its narrow row of the contact analysis (every
        # partner has one) by a LEFT JOIN on a unique key, which the planner drops from a read that needs
        # none of them (touches by channel and month for an Admin). The response time is kept on each
        # inbound email (crm.outreach, crm_reply_date).
        kinds = self.env.context.get("crm_engagement_row_kinds") or ("client", "touch")
        touch = tuple(TOUCH_OUTCOMES)
        companyless = False
        if "touch" in kinds:
            self.env["crm.outreach"].flush_model(["company_id", "client_id", "outcome"])
            self.env.cr.execute(
                SQL(
                    """SELECT 1 FROM crm_outreach
                        WHERE company_id IS NULL AND client_id IS NOT NULL AND outcome IN %s LIMIT 1""",
                    touch,
                )
            )
            companyless = bool(self.env.cr.rowcount)
        columns = SQL(
            """o.id, o.outcome, o.client_id, o.partner_id, o.channel, o.direction, o.date, o.user_id,
               o.crm_reply_date, o.crm_response_hours"""
        )
        touches = SQL(
            """
            SELECT 2 * t.id AS id,
                   'touch' AS row_kind,
                   t.client_id AS client_id,
                   t.partner_id AS partner_id,
                   t.channel AS channel,
                   t.direction AS direction,
                   t.date AS date,
                   t.user_id AS user_id,
                   c.team_id AS team_id,
                   t.company_id AS company_id,
                   c.client_type AS client_type,
                   c.client_status AS client_status,
                   1 AS touch_count,
                   (t.direction = 'inbound')::int AS inbound_count,
                   (t.direction = 'outbound')::int AS outbound_count,
                   0 AS client_count,
                   0 AS inactive_count,
                   0 AS never_contacted_count,
                   NULL::float AS days_since_contact,
                   (t.direction = 'inbound' AND t.channel = 'email')::int AS inbound_email_count,
                   (t.direction = 'inbound' AND t.channel = 'email' AND t.crm_reply_date IS NULL)::int
                       AS unanswered_count,
                   CASE WHEN t.direction = 'inbound' AND t.channel = 'email' THEN t.crm_response_hours END
                       AS response_hours,
                   0.0 AS response_hours_median
              FROM %(outreach)s t
         LEFT JOIN crm_contact_analytics c ON c.partner_id = t.client_id
             WHERE t.outcome IN %(touch)s AND t.client_id IS NOT NULL %(branches)s
            """,
            outreach=SQL(
                """(
                    SELECT 1 AS branch, o.company_id AS company_id, %(columns)s FROM crm_outreach o
                 UNION ALL
                    SELECT 2, oc.company_id, %(columns)s
                      FROM crm_outreach o
                 LEFT JOIN crm_contact_analytics oc ON oc.partner_id = o.client_id
                     WHERE o.company_id IS NULL
                )""",
                columns=columns,
            )
            if companyless
            else SQL("crm_outreach"),
            branches=SQL("AND (t.branch = 2 OR t.company_id IS NOT NULL)") if companyless else SQL(),
            touch=touch,
        )
        clients = SQL(
            """
            SELECT 2 * c.id + 1 AS id,
                   'client' AS row_kind,
                   c.id AS client_id,
                   NULL::int AS partner_id,
                   NULL::varchar AS channel,
                   NULL::varchar AS direction,
                   NULL::timestamp AS date,
                   c.user_id AS user_id,
                   c.team_id AS team_id,
                   c.company_id AS company_id,
                   c.crm_client_type AS client_type,
                   c.crm_client_status AS client_status,
                   0 AS touch_count,
                   0 AS inbound_count,
                   0 AS outbound_count,
                   1 AS client_count,
                   COALESCE(c.crm_inactive, FALSE)::int AS inactive_count,
                   (c.crm_last_contacted IS NULL)::int AS never_contacted_count,
                   date_part('epoch', %(now)s - c.crm_last_contacted) / 86400.0 AS days_since_contact,
                   0 AS inbound_email_count,
                   0 AS unanswered_count,
                   NULL::float AS response_hours,
                   0.0 AS response_hours_median
              FROM res_partner c
             WHERE c.active AND c.is_company
            """,
            now=SQL("%s::timestamp", fields.Datetime.now()),
        )
        parts = {"touch": touches, "client": clients}
        return SQL(" UNION ALL ").join(SQL("(%s)", parts[kind]) for kind in sorted(kinds) if kind in parts)
