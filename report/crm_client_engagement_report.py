from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..models.crm_outreach import OUTREACH_CHANNELS, OUTREACH_DIRECTIONS, TOUCH_OUTCOMES
from ..models.res_partner import CLIENT_STATUSES, CLIENT_TYPES


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
        "crm.outreach": ["date", "channel", "direction", "outcome", "partner_id", "client_id", "user_id", "company_id"],
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
        # the first reply after an inbound email: a walk of the client's outbound emails by date
        tools.create_index(
            self.env.cr,
            "crm_outreach_crm_client_reply_index",
            "crm_outreach",
            ["client_id", "date"],
            where="direction = 'outbound' AND channel = 'email'",
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
        # The reply columns are computed in an outer layer, from one lateral lookup per row that the
        # planner drops from a read that asks for neither (touches, inactive clients): such a read never
        # runs the reply lookup. Inside the UNION ALL it would run for every inbound email, and as a
        # scalar subquery in each reply column it would run once per column.
        return SQL(
            """
            SELECT e.*,
                   (e.inbound_email_count = 1 AND reply.date IS NULL)::int AS unanswered_count,
                   EXTRACT(EPOCH FROM (reply.date - e.date)) / 3600.0 AS response_hours
              FROM (
            SELECT 2 * o.id AS id,
                   'touch' AS row_kind,
                   o.client_id AS client_id,
                   o.partner_id AS partner_id,
                   o.channel AS channel,
                   o.direction AS direction,
                   o.date AS date,
                   o.user_id AS user_id,
                   c.team_id AS team_id,
                   COALESCE(o.company_id, c.company_id) AS company_id,
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
                   0.0 AS response_hours_median
              FROM crm_outreach o
              -- the client's narrow row kept for the contact analysis, not its wide partner row
              JOIN crm_contact_analytics c ON c.partner_id = o.client_id
             WHERE o.outcome IN %(touch)s
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
                   0, 0.0
              FROM res_partner c
             WHERE c.active AND c.is_company
                   ) e
         LEFT JOIN LATERAL (%(reply)s) reply ON TRUE
            """,
            touch=tuple(TOUCH_OUTCOMES),
            # the first outbound email to the client at or after an inbound email (a touch row's id is
            # twice its outreach's): one row, run only for the inbound emails and only when a response
            # measure is read
            reply=SQL(
                """SELECT min(r.date) AS date FROM crm_outreach r
                    WHERE e.inbound_email_count = 1
                      AND r.client_id = e.client_id AND r.direction = 'outbound' AND r.channel = 'email'
                      AND r.date >= e.date AND r.outcome IN %s AND 2 * r.id <> e.id""",
                tuple(TOUCH_OUTCOMES),
            ),
            now=SQL("%s::timestamp", fields.Datetime.now()),
        )
