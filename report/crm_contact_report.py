from odoo import api, fields, models
from odoo.tools import SQL

from ..models.crm_contact_analytics import CONTACT_ANALYTICS_COLUMNS, CONTACT_ANALYTICS_FIELDS
from ..models.res_partner import CLIENT_STATUSES, CLIENT_TYPES, ROLE_CATEGORIES


class CrmContactReport(models.Model):
    """One row per client or contact, for pivot and graph analysis.

    Growth: ``count`` grouped by creation month gives the new clients and
    contacts of each month, ``count_cumulative`` their running total.
    Data quality: missing email or phone, possible duplicates (another active
    partner with the same email, tax ID or phone number) and do-not-contact.
    It reads the rows kept per partner by ``crm.contact.analytics``.
    """

    _name = "crm.contact.report"
    _inherit = ["crm.analytics.report.mixin"]  # noqa: RUF012
    _description = "Contact Analysis"
    _auto = False
    _rec_name = "partner_id"
    _order = "create_date desc"
    _depends = {  # noqa: RUF012
        "res.partner": sorted(CONTACT_ANALYTICS_FIELDS),
        "mail.blacklist": ["email", "active"],
        "crm.contact.analytics": list(CONTACT_ANALYTICS_COLUMNS),
    }

    partner_id = fields.Many2one("res.partner", string="Client or Contact", readonly=True)
    kind = fields.Selection([("client", "Client"), ("contact", "Contact")], readonly=True)
    client_id = fields.Many2one("res.partner", readonly=True)
    client_type = fields.Selection(CLIENT_TYPES, readonly=True)
    client_status = fields.Selection(CLIENT_STATUSES, readonly=True)
    role_category = fields.Selection(ROLE_CATEGORIES, readonly=True)
    user_id = fields.Many2one("res.users", string="Owner", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    create_date = fields.Datetime(string="Created On", readonly=True)
    count = fields.Integer(
        readonly=True, aggregator="sum", help="Clients and contacts; by creation month, the new ones of the month."
    )
    count_cumulative = fields.Integer(
        string="Count (Cumulative)",
        readonly=True,
        aggregator="sum",
        help="Running total of the clients and contacts over the creation months, among the rows shown: "
        "without a creation date filter, how many there were at the end of each month. Without a grouping "
        "by creation month, the plain count.",
    )
    missing_email = fields.Integer(readonly=True, aggregator="sum")
    missing_phone = fields.Integer(readonly=True, aggregator="sum")
    missing_email_rate = fields.Float(string="Missing Email (%)", readonly=True, aggregator="avg")
    missing_phone_rate = fields.Float(string="Missing Phone (%)", readonly=True, aggregator="avg")
    missing_any_rate = fields.Float(string="Missing Email or Phone (%)", readonly=True, aggregator="avg")
    duplicate_count = fields.Integer(
        string="Possible Duplicates",
        readonly=True,
        aggregator="sum",
        help="Clients and contacts sharing their email, tax ID or phone number with another active partner.",
    )
    duplicate_rate = fields.Float(string="Possible Duplicates (%)", readonly=True, aggregator="avg")
    do_not_contact = fields.Integer(
        readonly=True,
        aggregator="sum",
        help="Clients and contacts with a Do Not Email, Call, Message or Social flag, or whose email is "
        "on the blacklist.",
    )
    do_not_contact_rate = fields.Float(string="Do Not Contact (%)", readonly=True, aggregator="avg")

    def _read_group_select(self, aggregate_spec, query):
        if aggregate_spec.split(":")[0] != "count_cumulative":
            return super()._read_group_select(aggregate_spec, query)
        self._field_to_sql(self._table, "count_cumulative", query)  # checks the field may be read
        groupby = self.env.context.get("crm_analytics_groupby", ())
        months = [spec for spec in groupby if spec.split(":")[0] == "create_date"]
        total = SQL("SUM(%s)", SQL.identifier(self._table, "count_cumulative"))
        if not months:
            return total
        others = [self._read_group_groupby(spec, query) for spec in groupby if spec not in months]
        return SQL(
            "SUM(%s) OVER (%s ORDER BY %s)",
            total,
            SQL("PARTITION BY %s", SQL(", ").join(others)) if others else SQL(),
            SQL(", ").join(self._read_group_groupby(spec, query) for spec in months),
        )

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, **kwargs):
        # every read of the report (pivot, graph, list, dashboard) searches first: fold the partners
        # changed in this transaction before their rows are read
        self.env["crm.contact.analytics"]._process_pending()
        return super()._search(domain, offset=offset, limit=limit, order=order, **kwargs)

    @property
    def _table_query(self):
        # the rows kept per partner when partners change (crm.contact.analytics): a read scans one
        # narrow row per client or contact instead of the partners joined to their clients and keys
        return SQL(
            """
            SELECT f.partner_id AS id,
                   f.partner_id AS partner_id,
                   f.kind AS kind,
                   f.client_id AS client_id,
                   f.client_type AS client_type,
                   f.client_status AS client_status,
                   f.role_category AS role_category,
                   f.user_id AS user_id,
                   f.team_id AS team_id,
                   f.source_id AS source_id,
                   f.country_id AS country_id,
                   f.company_id AS company_id,
                   f.create_date AS create_date,
                   1 AS count,
                   1 AS count_cumulative,
                   f.missing_email::int AS missing_email,
                   f.missing_phone::int AS missing_phone,
                   CASE WHEN f.missing_email THEN 100.0 ELSE 0.0 END AS missing_email_rate,
                   CASE WHEN f.missing_phone THEN 100.0 ELSE 0.0 END AS missing_phone_rate,
                   CASE WHEN f.missing_email OR f.missing_phone THEN 100.0 ELSE 0.0 END AS missing_any_rate,
                   f.is_duplicate::int AS duplicate_count,
                   CASE WHEN f.is_duplicate THEN 100.0 ELSE 0.0 END AS duplicate_rate,
                   f.do_not_contact::int AS do_not_contact,
                   CASE WHEN f.do_not_contact THEN 100.0 ELSE 0.0 END AS do_not_contact_rate
              FROM crm_contact_analytics f
             WHERE f.in_report
            """
        )
