from odoo import fields, models
from odoo.tools import SQL

from ..models.res_partner import CLIENT_STATUSES, CLIENT_TYPES, ROLE_CATEGORIES


class CrmContactReport(models.Model):
    """One row per client or contact, for pivot and graph analysis.

    Growth: ``count`` grouped by creation month gives the new clients and
    contacts of each month, ``count_cumulative`` their running total.
    Data quality: missing email or phone, possible duplicates (another active
    partner with the same email, tax ID or phone number) and do-not-contact.
    """

    _name = "crm.contact.report"
    _inherit = ["crm.analytics.report.mixin"]  # noqa: RUF012
    _description = "Contact Analysis"
    _auto = False
    _rec_name = "partner_id"
    _order = "create_date desc"
    _depends = {  # noqa: RUF012
        "res.partner": [
            "active",
            "is_company",
            "parent_id",
            "commercial_partner_id",
            "crm_client_type",
            "crm_client_status",
            "crm_role_category",
            "user_id",
            "team_id",
            "source_id",
            "country_id",
            "company_id",
            "create_date",
            "email",
            "email_normalized",
            "phone",
            "mobile",
            "crm_vat_normalized",
            "crm_phone_e164",
            "crm_mobile_e164",
            "crm_no_email",
            "crm_no_call",
            "crm_no_messenger",
            "crm_no_social",
        ],
        "mail.blacklist": ["email", "active"],
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

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT p.id AS id,
                   p.id AS partner_id,
                   CASE WHEN p.is_company THEN 'client' ELSE 'contact' END AS kind,
                   COALESCE(p.commercial_partner_id, p.id) AS client_id,
                   c.crm_client_type AS client_type,
                   c.crm_client_status AS client_status,
                   p.crm_role_category AS role_category,
                   p.user_id AS user_id,
                   p.team_id AS team_id,
                   COALESCE(p.source_id, c.source_id) AS source_id,
                   p.country_id AS country_id,
                   p.company_id AS company_id,
                   p.create_date AS create_date,
                   1 AS count,
                   1 AS count_cumulative,
                   (COALESCE(p.email, '') = '')::int AS missing_email,
                   (COALESCE(p.phone, '') = '' AND COALESCE(p.mobile, '') = '')::int AS missing_phone,
                   CASE WHEN COALESCE(p.email, '') = '' THEN 100.0 ELSE 0.0 END AS missing_email_rate,
                   CASE WHEN COALESCE(p.phone, '') = '' AND COALESCE(p.mobile, '') = ''
                        THEN 100.0 ELSE 0.0 END AS missing_phone_rate,
                   CASE WHEN COALESCE(p.email, '') = ''
                          OR (COALESCE(p.phone, '') = '' AND COALESCE(p.mobile, '') = '')
                        THEN 100.0 ELSE 0.0 END AS missing_any_rate,
                   %(duplicate)s::int AS duplicate_count,
                   CASE WHEN %(duplicate)s THEN 100.0 ELSE 0.0 END AS duplicate_rate,
                   %(no_contact)s::int AS do_not_contact,
                   CASE WHEN %(no_contact)s THEN 100.0 ELSE 0.0 END AS do_not_contact_rate
              FROM res_partner p
         LEFT JOIN res_partner c ON c.id = COALESCE(p.commercial_partner_id, p.id)
         LEFT JOIN mail_blacklist bl ON bl.email = p.email_normalized AND bl.active
                   %(duplicate_keys)s
             WHERE p.active
               AND (p.is_company OR p.parent_id IS NOT NULL)
            """,
            duplicate_keys=self._duplicate_joins_sql(),
            duplicate=SQL(
                "(dup_email.k IS NOT NULL OR dup_vat.k IS NOT NULL OR dup_phone.k IS NOT NULL "
                "OR dup_mobile.k IS NOT NULL)"
            ),
            no_contact=SQL(
                "(p.crm_no_email OR p.crm_no_call OR p.crm_no_messenger OR p.crm_no_social OR bl.id IS NOT NULL)"
            ),
        )

    def _duplicate_joins_sql(self):
        """LEFT JOINs of ``p`` to the emails, tax IDs and phone numbers two active partners or more share
        (the keys of the duplicate warning on the contact form): ``dup_email``, ``dup_vat``, ``dup_phone``
        and ``dup_mobile``. Each is one grouped, hashed pass over the partners, unique on its key: the
        planner drops the joins of a read that asks for no duplicate measure, and hash-joins them (on disk
        if need be) otherwise, where a subquery per row would rescan the keys once memory is short."""

        def grouped(column):
            return SQL(
                "SELECT %(column)s AS k FROM res_partner WHERE active AND %(column)s IS NOT NULL "
                "GROUP BY 1 HAVING count(*) > 1",
                column=SQL.identifier(column),
            )

        # a number shared by two partners, in their phone or mobile (one partner's phone and mobile apart):
        # min(id) <> max(id) is count(DISTINCT id) > 1, hashed instead of sorted
        phones = SQL(
            "SELECT n.k FROM (SELECT id, crm_phone_e164 AS k FROM res_partner "
            "WHERE active AND crm_phone_e164 IS NOT NULL UNION ALL SELECT id, crm_mobile_e164 FROM res_partner "
            "WHERE active AND crm_mobile_e164 IS NOT NULL) n GROUP BY 1 HAVING min(n.id) <> max(n.id)"
        )
        return SQL(
            """LEFT JOIN (%(email)s) dup_email ON dup_email.k = p.email_normalized
               LEFT JOIN (%(vat)s) dup_vat ON dup_vat.k = p.crm_vat_normalized
               LEFT JOIN (%(phones)s) dup_phone ON dup_phone.k = p.crm_phone_e164
               LEFT JOIN (%(phones)s) dup_mobile ON dup_mobile.k = p.crm_mobile_e164""",
            email=grouped("email_normalized"),
            vat=grouped("crm_vat_normalized"),
            phones=phones,
        )
