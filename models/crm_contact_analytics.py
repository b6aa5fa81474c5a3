from odoo import api, fields, models, tools
from odoo.tools import SQL
from odoo.tools.sql import table_exists

from ..sql_tuning import without_jit
from .res_partner import CLIENT_STATUSES, CLIENT_TYPES, ROLE_CATEGORIES
from .res_partner_import import phone_matches_sql

# The keys two partners are possible duplicates on (those of the duplicate warning of the contact
# form that are normalised in the database): a change of one of them, or of ``active``, changes
# the duplicate flag of every partner sharing the old or the new value.
DUPLICATE_KEY_FIELDS = frozenset(
    {"active", "email_normalized", "crm_vat_normalized", "crm_phone_e164", "crm_mobile_e164"}
)
# The columns of a row, in the order the fold writes them, each with the partner fields it is made of
# (of the partner, or of its client for the client's type, status and source).
CONTACT_ANALYTICS_SOURCES = {
    "partner_id": (),
    "kind": ("is_company",),
    "client_id": ("commercial_partner_id",),
    "client_type": ("commercial_partner_id", "crm_client_type"),
    "client_status": ("commercial_partner_id", "crm_client_status"),
    "role_category": ("crm_role_category",),
    "user_id": ("user_id",),
    "team_id": ("team_id",),
    "source_id": ("commercial_partner_id", "source_id"),
    "country_id": ("country_id",),
    "company_id": ("company_id",),
    "create_date": ("create_date",),
    "missing_email": ("email",),
    "missing_phone": ("phone", "mobile"),
    "is_duplicate": tuple(sorted(DUPLICATE_KEY_FIELDS)),
    "do_not_contact": ("crm_no_email", "crm_no_call", "crm_no_messenger", "crm_no_social", "email_normalized"),
    "in_report": ("active", "is_company", "parent_id"),
}
CONTACT_ANALYTICS_COLUMNS = tuple(CONTACT_ANALYTICS_SOURCES)
# The partner fields a row of the contact analysis is made of: a flushed change of any of them
# folds the partner's row again (and its contacts' rows, which take their client's type, status
# and source).
CONTACT_ANALYTICS_FIELDS = frozenset().union(*CONTACT_ANALYTICS_SOURCES.values())
PENDING_KEY = "crm.contact.analytics"
# From this many marked partners, fold all partners in one grouped pass instead of one lookup each.
FULL_FOLD_FROM = 200000


class CrmContactAnalytics(models.Model):
    """One narrow row per partner, read by the contact analysis (``crm.contact.report``, the rows
    ``in_report``) and by the client engagement report (the client of each touch).

    It holds what the report would otherwise derive from ``res_partner`` at every read: the
    client's type, status and source, the missing email or phone, the do-not-contact flags and the
    blacklist, and the possible duplicate flag (another active partner with the same normalised
    email, tax ID or E.164 phone number). A read scans these rows only, instead of a million wide
    partner rows joined to their clients and grouped on every key.

    Upkeep: every flushed change of a partner field of the report, every new or deleted partner,
    merge and blacklist change marks the partners concerned (``_mark``); they are folded again,
    with the partners sharing their old or new keys, in one DELETE and one INSERT, before the
    report is read or the transaction commits, whichever comes first (``_process_pending``).
    ``_fold_sql`` is the one definition, for the upkeep and for a recompute from scratch.
    """

    _name = "crm.contact.analytics"
    _description = "Contact Analysis Row"
    _log_access = False
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", readonly=True)
    kind = fields.Selection([("client", "Client"), ("contact", "Contact")], readonly=True)
    client_id = fields.Many2one("res.partner", readonly=True, ondelete="set null")
    client_type = fields.Selection(CLIENT_TYPES, readonly=True)
    client_status = fields.Selection(CLIENT_STATUSES, readonly=True)
    role_category = fields.Selection(ROLE_CATEGORIES, readonly=True)
    user_id = fields.Many2one("res.users", readonly=True, ondelete="set null")
    team_id = fields.Many2one("crm.team", readonly=True, ondelete="set null")
    source_id = fields.Many2one("utm.source", readonly=True, ondelete="set null")
    country_id = fields.Many2one("res.country", readonly=True, ondelete="set null")
    company_id = fields.Many2one("res.company", readonly=True, ondelete="set null")
    create_date = fields.Datetime(readonly=True)
    missing_email = fields.Boolean(readonly=True)
    missing_phone = fields.Boolean(readonly=True)
    is_duplicate = fields.Boolean(readonly=True)
    do_not_contact = fields.Boolean(readonly=True)
    in_report = fields.Boolean(
        readonly=True, help="An active client, or an active contact of a client: a row of the contact analysis."
    )

    _sql_constraints = [  # noqa: RUF012
        ("partner_uniq", "UNIQUE(partner_id)", "A partner has one contact analysis row."),
    ]

    def init(self):
        # the partners sharing a normalised email: the duplicate flag and the contact form's warning
        tools.create_index(
            self.env.cr,
            "res_partner_crm_email_normalized_index",
            "res_partner",
            ["email_normalized"],
            where="email_normalized IS NOT NULL",
        )

    @api.model
    def _init_contact_analytics(self):
        """Install and update: fold every partner once, while the table is empty."""
        if not self.env.execute_query(SQL("SELECT 1 FROM crm_contact_analytics LIMIT 1")):
            self._refresh()

    # The fold ------------------------------------------------------------------

    @api.model
    def _fold_sql(self, partner_ids=None):
        """``SELECT`` of the rows of these partners (all if None), in ``CONTACT_ANALYTICS_COLUMNS`` order.

        The duplicate flag of a few partners is looked up per partner through the key indexes; the
        flag of all partners through one grouped, hashed pass per key (a lookup per row would rescan
        the keys once memory is short). Both say: another active partner has the same email, tax ID,
        or number in its phone or mobile."""
        if partner_ids is None:
            where = SQL("TRUE")
            joins = self._duplicate_joins_sql()
            duplicate = SQL(
                "(dup_email.k IS NOT NULL OR dup_vat.k IS NOT NULL OR dup_phone.k IS NOT NULL "
                "OR dup_mobile.k IS NOT NULL)"
            )
        else:
            where = SQL("p.id = ANY(%s)", list(partner_ids))
            joins = SQL()

            def shared(column, other):
                return SQL(
                    "EXISTS (SELECT 1 FROM res_partner o WHERE o.active AND o.id <> p.id AND o.%s = p.%s)",
                    SQL.identifier(other),
                    SQL.identifier(column),
                )

            duplicate = SQL(
                "(%s)",
                SQL(" OR ").join(
                    [
                        shared("email_normalized", "email_normalized"),
                        shared("crm_vat_normalized", "crm_vat_normalized"),
                        shared("crm_phone_e164", "crm_phone_e164"),
                        shared("crm_phone_e164", "crm_mobile_e164"),
                        shared("crm_mobile_e164", "crm_phone_e164"),
                        shared("crm_mobile_e164", "crm_mobile_e164"),
                    ]
                ),
            )
        return SQL(
            """
            SELECT p.id,
                   CASE WHEN p.is_company THEN 'client' ELSE 'contact' END,
                   COALESCE(p.commercial_partner_id, p.id),
                   c.crm_client_type,
                   c.crm_client_status,
                   p.crm_role_category,
                   p.user_id,
                   p.team_id,
                   COALESCE(p.source_id, c.source_id),
                   p.country_id,
                   p.company_id,
                   p.create_date,
                   COALESCE(p.email, '') = '',
                   COALESCE(p.phone, '') = '' AND COALESCE(p.mobile, '') = '',
                   p.active AND COALESCE(%(duplicate)s, FALSE),
                   (p.crm_no_email OR p.crm_no_call OR p.crm_no_messenger OR p.crm_no_social
                    OR EXISTS (SELECT 1 FROM mail_blacklist bl WHERE bl.email = p.email_normalized AND bl.active)),
                   p.active AND (p.is_company OR p.parent_id IS NOT NULL)
              FROM res_partner p
         LEFT JOIN res_partner c ON c.id = COALESCE(p.commercial_partner_id, p.id)
                   %(joins)s
             WHERE %(where)s
            """,
            duplicate=duplicate,
            joins=joins,
            where=where,
        )

    @api.model
    def _duplicate_joins_sql(self):
        """LEFT JOINs of ``p`` to the emails, tax IDs and phone numbers two active partners or more
        share: ``dup_email``, ``dup_vat``, ``dup_phone`` and ``dup_mobile``, each one grouped pass."""

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

    @api.model
    def _refresh(self, partner_ids=None):
        """Fold again the rows of these partners (all if None): one DELETE and one INSERT."""
        if partner_ids is not None:
            partner_ids = sorted({pid for pid in partner_ids if pid})
            if not partner_ids:
                return
        self.env["res.partner"].flush_model(CONTACT_ANALYTICS_FIELDS)
        self.env["mail.blacklist"].flush_model(["email", "active"])
        if partner_ids is None and self._pending_table_ready():
            self.env.cr.execute(SQL("DELETE FROM crm_contact_analytics_pending"))  # all folded below
        where = SQL("TRUE") if partner_ids is None else SQL("partner_id = ANY(%s)", partner_ids)
        self.env.cr.execute(SQL("DELETE FROM crm_contact_analytics WHERE %s", where))
        # Without JIT: the fold's estimated cost (six index lookups per partner) crosses
        # jit_above_cost from a few hundred partners on, and compiling it (about 0.3 s) takes
        # far longer than running it.
        with without_jit(self.env.cr):
            self.env.cr.execute(
                SQL(
                    "INSERT INTO crm_contact_analytics (%s) %s",
                    SQL(", ").join(SQL.identifier(column) for column in CONTACT_ANALYTICS_COLUMNS),
                    self._fold_sql(partner_ids),
                )
            )
        self.invalidate_model()

    # Upkeep ----------------------------------------------------------------------

    @api.model
    def _mark(self, partner_ids=(), emails=(), vats=(), phones=()):
        """Note partners to fold again before the next report read or the commit, with the keys they
        held before the change (the partners still sharing one of those lose their duplicate flag).

        The marks are rows of ``crm.contact.analytics.pending``: they live and roll back with the
        transaction (a savepoint rolled back takes its marks along with its changes)."""
        partner_ids = sorted({pid for pid in partner_ids if pid})
        if not partner_ids or not self._pending_table_ready():
            return
        keys = {
            "email": sorted({key for key in emails if key}),
            "vat": sorted({key for key in vats if key}),
            "phone": sorted({key for key in phones if key}),
        }
        self.env.cr.execute(
            SQL(
                """INSERT INTO crm_contact_analytics_pending (partner_id, email, vat, phone)
                   SELECT unnest(%s::int[]), NULL, NULL, NULL
                    UNION ALL SELECT NULL, unnest(%s::varchar[]), NULL, NULL
                    UNION ALL SELECT NULL, NULL, unnest(%s::varchar[]), NULL
                    UNION ALL SELECT NULL, NULL, NULL, unnest(%s::varchar[])""",
                partner_ids,
                keys["email"],
                keys["vat"],
                keys["phone"],
            )
        )
        if not self.env.cr.precommit.data.get(PENDING_KEY):
            self.env.cr.precommit.data[PENDING_KEY] = True
            env = self.sudo().env
            self.env.cr.precommit.add(lambda: env["crm.contact.analytics"]._process_pending())

    @api.model
    def _pending_table_ready(self):
        """Whether the marks' table exists: not yet while the module is installed, before its tables
        are created (the install folds every partner after; see ``_init_contact_analytics``)."""
        if not getattr(self.pool, "_crm_contact_analytics_ready", False):
            if not table_exists(self.env.cr, "crm_contact_analytics_pending"):
                return False
            self.pool._crm_contact_analytics_ready = True
        return True

    @api.model
    def _mark_keys_of(self, partner_ids):
        """Mark these partners with the keys they hold in the database now (before their change)."""
        partner_ids = [pid for pid in partner_ids if pid]
        if not partner_ids or not self._pending_table_ready():
            return
        rows = self.env.execute_query(
            SQL(
                """SELECT email_normalized, crm_vat_normalized, crm_phone_e164, crm_mobile_e164
                     FROM res_partner WHERE id = ANY(%s)""",
                partner_ids,
            )
        )
        self._mark(
            partner_ids,
            emails=[row[0] for row in rows],
            vats=[row[1] for row in rows],
            phones=[number for row in rows for number in row[2:]],
        )

    @api.model
    def _process_pending(self):
        """Fold the marked partners again, with their contacts and the partners sharing their old or
        new keys. A read-only transaction (a read on a replica) leaves the marks to the transaction
        that made them, which folds them when it commits."""
        if self.env.cr.readonly or not self._pending_table_ready():
            return
        analytics = self.sudo()
        # the pending changes of partners are flushed first: their flush marks them
        analytics.env["res.partner"].flush_model(CONTACT_ANALYTICS_FIELDS)
        analytics.env["mail.blacklist"].flush_model(["email", "active"])
        marks = analytics.env.execute_query(
            SQL("DELETE FROM crm_contact_analytics_pending RETURNING partner_id, email, vat, phone")
        )
        ids = list({mark[0] for mark in marks if mark[0]})
        if not ids:
            return
        if len(ids) > FULL_FOLD_FROM:
            # a change of most partners (an update recomputing a field of all): one pass over all is faster
            analytics._refresh()
            return
        rows = analytics.env.execute_query(
            SQL(
                """SELECT id, email_normalized, crm_vat_normalized, crm_phone_e164, crm_mobile_e164
                     FROM res_partner WHERE id = ANY(%s) OR commercial_partner_id = ANY(%s) OR parent_id = ANY(%s)""",
                ids,
                ids,
                ids,
            )
        )
        affected = set(ids) | {row[0] for row in rows}
        emails = list({mark[1] for mark in marks if mark[1]} | {row[1] for row in rows if row[1]})
        vats = list({mark[2] for mark in marks if mark[2]} | {row[2] for row in rows if row[2]})
        phones = list({mark[3] for mark in marks if mark[3]} | {number for row in rows for number in row[3:] if number})
        if emails or vats or phones:
            affected.update(
                pid
                for (pid,) in analytics.env.execute_query(
                    SQL(
                        """SELECT id FROM res_partner WHERE email_normalized = ANY(%(emails)s)
                           UNION SELECT id FROM res_partner WHERE crm_vat_normalized = ANY(%(vats)s)
                           UNION %(phones)s""",
                        emails=emails,
                        vats=vats,
                        phones=phone_matches_sql(analytics.env["res.partner"], phones),
                    )
                )
            )
        analytics._refresh(affected)


class CrmContactAnalyticsPending(models.Model):
    """Partners changed in the current transaction whose contact analysis rows are not folded yet,
    and the duplicate keys they held before (``crm.contact.analytics._mark``). Emptied before every
    read of the reports and at commit."""

    _name = "crm.contact.analytics.pending"
    _description = "Contact Analysis Row to Fold"
    _log_access = False

    partner_id = fields.Integer(readonly=True)
    email = fields.Char(readonly=True)
    vat = fields.Char(readonly=True)
    phone = fields.Char(readonly=True)
