from odoo import api, fields, models
from odoo.tools import SQL

from ..models.crm_outreach import OUTREACH_CHANNELS, OUTREACH_DIRECTIONS, TOUCH_OUTCOMES
from ..models.res_partner import CLIENT_STATUSES, CLIENT_TYPES
from .crm_analytics_indexes import create_covering_index


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
    def _search(self, domain, offset=0, limit=None, order=None, **kwargs):
        # the touches read their client's row of the contact analysis: fold the partners changed in
        # this transaction first
        self.env["crm.contact.analytics"]._process_pending()
        return super()._search(domain, offset=offset, limit=limit, order=order, **kwargs)

    def _custom_aggregates(self):
        return {
            "response_hours_median": lambda column, _others: SQL(
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY %s)", column("response_hours")
            ),
        }

    @property
    def _table_query(self):
        # The touches join the client's narrow row of the contact analysis (every partner has one) for
        # its team, type and status. The join is a LEFT JOIN on a unique key, which the planner drops from
        # a read that needs none of these columns (touches by channel and month for an Admin); the touches
        # whose outreach has no company take the client's, in a branch of their own, so that the company
        # rule alone does not need the join either. The response time is kept on each inbound email
        # (crm.outreach, crm_reply_date).
        def touches(company, has_company):
            return SQL(
                """
            SELECT 2 * o.id AS id,
                   'touch' AS row_kind,
                   o.client_id AS client_id,
                   o.partner_id AS partner_id,
                   o.channel AS channel,
                   o.direction AS direction,
                   o.date AS date,
                   o.user_id AS user_id,
                   c.team_id AS team_id,
                   %(company)s AS company_id,
                   c.client_type AS client_type,
                   c.client_status AS client_status,
                   1 AS touch_count,
                   (o.direction = 'inbound')::int AS inbound_count,
                   (o.direction = 'outbound')::int AS outbound_count,
                   0 AS client_count,
                   0 AS inactive_count,
                   0 AS never_contacted_count,
                   NULL::float AS days_since_contact,
                   (o.direction = 'inbound' AND o.channel = 'email')::int AS inbound_email_count,
                   (o.direction = 'inbound' AND o.channel = 'email' AND o.crm_reply_date IS NULL)::int
                       AS unanswered_count,
                   CASE WHEN o.direction = 'inbound' AND o.channel = 'email' THEN o.crm_response_hours END
                       AS response_hours,
                   0.0 AS response_hours_median
              FROM crm_outreach o
         LEFT JOIN crm_contact_analytics c ON c.partner_id = o.client_id
             WHERE o.outcome IN %(touch)s AND o.client_id IS NOT NULL AND %(has_company)s
                """,
                company=company,
                has_company=has_company,
                touch=tuple(TOUCH_OUTCOMES),
            )

        return SQL(
            """
            %(own_company)s
         UNION ALL
            %(client_company)s
         UNION ALL
            SELECT 2 * c.id + 1,
                   'client',
                   c.id,
                   NULL,
                   NULL,
                   NULL,
                   NULL,
                   c.user_id,
                   c.team_id,
                   c.company_id,
                   c.crm_client_type,
                   c.crm_client_status,
                   0, 0, 0,
                   1,
                   COALESCE(c.crm_inactive, FALSE)::int,
                   (c.crm_last_contacted IS NULL)::int,
                   (EXTRACT(EPOCH FROM (%(now)s - c.crm_last_contacted)) / 86400.0)::float,
                   0, 0, NULL::float, 0.0
              FROM res_partner c
             WHERE c.active AND c.is_company
            """,
            own_company=touches(SQL("o.company_id"), SQL("o.company_id IS NOT NULL")),
            client_company=touches(SQL("c.company_id"), SQL("o.company_id IS NULL")),
            now=SQL("%s::timestamp", fields.Datetime.now()),
        )
