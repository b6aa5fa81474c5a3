from odoo import api, fields, models
from odoo.tools import SQL

from ..sql_tuning import create_covering_index, planner_settings

# The areas of the CRM whose records the usage report counts: (area, table).
USAGE_AREAS = [
    ("contacts", "res_partner"),
    ("deals", "crm_lead"),
    ("activities", "mail_activity"),
    ("outreach", "crm_outreach"),
    ("imports", "crm_import_job"),
    ("automation", "crm_automation_run"),
]
# The team and company columns of the areas' tables that have them.
AREA_OWNER_COLUMNS = {
    "res_partner": ("team_id", "company_id"),
    "crm_lead": ("team_id", "company_id"),
    "crm_outreach": ("company_id",),
}
AREA_OWNER_COLUMNS.update({table: () for _area, table in USAGE_AREAS if table not in AREA_OWNER_COLUMNS})
# The records of an area's table that count (SQL on the table's own columns), where not all do.
AREA_WHERE = {
    "res_partner": "(is_company OR parent_id IS NOT NULL)",
    "mail_activity": "res_model IN ('res.partner', 'crm.lead')",
}
# The internal users whose work counts, with columns renamed: the areas' filters name their table's
# columns unqualified.
INTERNAL_USERS = SQL("(SELECT id AS user_id, company_id AS user_company_id FROM res_users WHERE NOT share AND id <> 1)")
# A record changed after its creation (SQL on the table's own columns).
UPDATED = "write_date > create_date + interval '1 second'"


class CrmUsageReport(models.Model):
    """CRM usage: who creates and updates what, and when.

    One row per record created (by its creator, at its creation) and one per
    record updated since (by its last editor, at its last change: a record
    changed several times counts once, at its latest change), in each area,
    plus one per sign-in. Internal users only. The rows of the contacts created
    carry their completeness (the data-quality trend), the rows of the deals
    created whether they are open and have a next activity: facts read from
    the record itself, only when their measure is read.
    """

    _name = "crm.usage.report"
    _inherit = ["crm.analytics.report.mixin"]  # noqa: RUF012
    _description = "CRM Usage"
    _auto = False
    _rec_name = "user_id"
    _order = "date desc"
    _depends = {  # noqa: RUF012
        "res.partner": ["create_uid", "create_date", "write_uid", "write_date", "team_id", "email", "phone", "mobile"],
        "crm.lead": ["create_uid", "create_date", "write_uid", "write_date", "team_id", "type", "active", "stage_id"],
        "mail.activity": ["create_uid", "create_date", "write_uid", "write_date", "res_model", "res_id"],
        "crm.outreach": ["create_uid", "create_date", "write_uid", "write_date"],
        "crm.import.job": ["create_uid", "create_date", "write_uid", "write_date"],
        "crm.automation.run": ["create_uid", "create_date", "write_uid", "write_date"],
        "res.users": ["share", "sale_team_id"],
        "crm.stage": ["is_won", "is_lost"],
    }

    user_id = fields.Many2one("res.users", readonly=True)
    team_id = fields.Many2one(
        "crm.team", string="Sales Team", readonly=True, help="The record's team, else the user's main team."
    )
    company_id = fields.Many2one("res.company", readonly=True)
    area = fields.Selection(
        [
            ("contacts", "Contacts"),
            ("deals", "Deals"),
            ("activities", "Activities"),
            ("outreach", "Outreach"),
            ("imports", "Imports"),
            ("automation", "Automation Runs"),
            ("login", "Sign-ins"),
        ],
        readonly=True,
    )
    action = fields.Selection([("create", "Created"), ("update", "Updated"), ("login", "Signed In")], readonly=True)
    date = fields.Datetime(readonly=True)
    record_count = fields.Integer(string="Records", readonly=True, aggregator="sum")
    created_count = fields.Integer(string="Created", readonly=True, aggregator="sum")
    updated_count = fields.Integer(
        string="Updated",
        readonly=True,
        aggregator="sum",
        help="Records changed after their creation, each counted once, at its latest change, for its last editor.",
    )
    login_count = fields.Integer(string="Sign-ins", readonly=True, aggregator="sum")
    active_users = fields.Integer(
        readonly=True,
        aggregator="sum",
        help="Distinct internal users who signed in, created or updated a record in the group: by week of Date, "
        "the active users per week.",
    )
    incomplete_rate = fields.Float(
        string="Incomplete New Contacts (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the clients and contacts created that have no email or no phone: by month of Date, "
        "the data-quality trend.",
    )
    open_deal_count = fields.Integer(
        string="Open Deals", readonly=True, aggregator="sum", help="Open opportunities, counted on their creation."
    )
    next_activity_rate = fields.Float(
        string="Open Deals with a Next Activity (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the open opportunities that have a planned activity.",
    )

    @api.model
    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        # One query of some twenty UNION ALL branches: PostgreSQL's JIT (on by default) would compile each
        # branch's expressions before running it, 0.3 s at a million records, more than it saves on a read
        # of well under a second. And each record read is a narrow row (user, date ...) that parallel
        # workers pass on for less than the planner's default estimate of a tuple moved between processes
        # (0.1): at that estimate, a week-by-week count of a quarter's 700k records ran on one process,
        # 1.5x slower (measured with 0.05 and 0.01 too, both parallel).
        with planner_settings(self.env.cr, jit="off", parallel_tuple_cost="0.01"):
            return super()._read_group(
                domain, groupby, aggregates, having=having, offset=offset, limit=limit, order=order
            )

    def _custom_aggregates(self):
        return {
            "active_users": lambda column, _others: SQL("COUNT(DISTINCT %s)", column("user_id")),
            "next_activity_rate": lambda column, _others: SQL(
                "100.0 * SUM(%s) / NULLIF(SUM(%s), 0)", column("next_activity"), column("open_deal_count")
            ),
        }

    def init(self):
        # each area's records created, and updated, in a period: read from two narrow indexes of its
        # table (index-only scans) instead of its wide rows
        for _area, table in USAGE_AREAS:
            owned = [column for column in ("team_id", "company_id") if column in AREA_OWNER_COLUMNS[table]]
            where = AREA_WHERE.get(table)
            create_covering_index(
                self.env.cr,
                f"{table}_crm_usage_create_index",
                table,
                ["create_date"],
                ["create_uid", *owned],
                where=where or "",
            )
            create_covering_index(
                self.env.cr,
                f"{table}_crm_usage_update_index",
                table,
                ["write_date"],
                ["write_uid", "create_date", *owned],
                where=" AND ".join(filter(None, [where, UPDATED])),
            )

    def _area_rows(self, code, area, table, user_ids):
        """The created and updated rows of one area's table, as ``(id, record, user, team, company, area,
        action, date)``.

        Each branch keeps the internal users' rows itself (by their ids, ``user_ids``, or by a join), and a
        record without company counts in its user's (a branch of its own, joined to the user), so that
        the user and the company are plain columns of a table in every branch. PostgreSQL then estimates
        the company rule's filter and the users' filter from those columns' statistics; on the UNION ALL
        as a whole, or on an expression across a join (COALESCE of the record's and the user's company),
        it guesses a few thousand rows out of millions and sorts them all to group them instead of
        hashing the groups.
        """
        team = SQL("r.team_id") if "team_id" in AREA_OWNER_COLUMNS[table] else SQL("NULL::int")
        has_company = "company_id" in AREA_OWNER_COLUMNS[table]
        where = SQL(AREA_WHERE.get(table, "TRUE"))
        rows = []
        for offset, action, user, date, changed in (
            (0, "create", "create_uid", "create_date", SQL()),
            (1, "update", "write_uid", "write_date", SQL(" AND %s", SQL(UPDATED))),
        ):
            # (company, join, filter): the records with a company keep the internal users' by their ids; the
            # others join the user for its company
            internal = SQL(" AND %s = ANY(%s::int[])", SQL.identifier("r", user), user_ids)
            users = SQL("JOIN %s ru ON ru.user_id = %s", INTERNAL_USERS, SQL.identifier("r", user))
            companies = (
                [(SQL("r.company_id"), SQL(), SQL(" AND r.company_id IS NOT NULL%s", internal))] if has_company else []
            )
            companies.append(
                (SQL("ru.user_company_id"), users, SQL(" AND r.company_id IS NULL") if has_company else SQL())
            )
            rows.extend(
                SQL(
                    """
            SELECT r.id * 16 + %(code)s AS id, r.id AS res_id, %(user)s AS user_id, %(team)s AS team_id,
                   %(company)s AS company_id, %(area)s AS area, %(action)s AS action, %(date)s AS date
              FROM %(table)s r %(users)s
             WHERE %(where)s%(changed)s%(own)s
                    """,
                    code=2 * code + offset,
                    user=SQL.identifier("r", user),
                    team=team,
                    company=company,
                    area=area,
                    action=action,
                    date=SQL.identifier("r", date),
                    table=SQL.identifier(table),
                    users=users,
                    where=where,
                    changed=changed,
                    own=own,
                )
                for company, users, own in companies
            )
        return SQL(" UNION ALL ").join(rows)

    @property
    def _table_query(self):
        # ids: 16 × the record's id + 2 × its area + 1 for an update (the sign-ins: 15)
        self.env["res.users"].flush_model(["share"])
        self.env.cr.execute(SQL("SELECT user_id FROM %s u", INTERNAL_USERS))
        user_ids = [user_id for (user_id,) in self.env.cr.fetchall()]
        rows = [self._area_rows(code, area, table, user_ids) for code, (area, table) in enumerate(USAGE_AREAS)]
        is_open = SQL(
            """CASE WHEN e.area = 'deals' AND e.action = 'create' THEN COALESCE((
                    SELECT (r.type = 'opportunity' AND r.active AND NOT COALESCE(s.is_won OR s.is_lost, FALSE))::int
                      FROM crm_lead r LEFT JOIN crm_stage s ON s.id = r.stage_id WHERE r.id = e.res_id), 0)
                    ELSE 0 END"""
        )
        rows.append(
            SQL(
                """SELECT r.id * 16 + 15, r.id, r.create_uid, NULL::int, ru.user_company_id, 'login', 'login',
                          r.create_date
                     FROM res_users_log r JOIN %s ru ON ru.user_id = r.create_uid""",
                INTERNAL_USERS,
            )
        )
        return SQL(
            """
            SELECT e.id,
                   e.user_id, COALESCE(e.team_id, u.sale_team_id) AS team_id,
                   e.company_id,
                   e.area, e.action, e.date,
                   1 AS record_count,
                   (e.action = 'create')::int AS created_count,
                   (e.action = 'update')::int AS updated_count,
                   (e.action = 'login')::int AS login_count,
                   0 AS active_users,
                   %(incomplete)s AS incomplete_rate,
                   %(is_open)s AS open_deal_count,
                   %(next_activity)s AS next_activity,
                   0.0 AS next_activity_rate
              FROM (%(rows)s) e
         LEFT JOIN res_users u ON u.id = e.user_id
            """,
            rows=SQL(" UNION ALL ").join(rows),
            # the facts of the record created, read (scalar subqueries) only when their measure is
            incomplete=SQL(
                """CASE WHEN e.area = 'contacts' AND e.action = 'create' THEN (
                        SELECT CASE WHEN COALESCE(r.email, '') = ''
                                      OR (COALESCE(r.phone, '') = '' AND COALESCE(r.mobile, '') = '')
                                    THEN 100.0 ELSE 0.0 END
                          FROM res_partner r WHERE r.id = e.res_id) END"""
            ),
            is_open=is_open,
            next_activity=SQL(
                """CASE WHEN %s = 1 THEN EXISTS (
                        SELECT FROM mail_activity a WHERE a.res_model = 'crm.lead' AND a.res_id = e.res_id)::int
                        ELSE 0 END""",
                is_open,
            ),
        )
