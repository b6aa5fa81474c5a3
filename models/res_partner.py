import logging
import re
from contextlib import contextmanager

import psycopg2

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.modules.db import FunctionStatus
from odoo.osv import expression
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Channels through which a client or contact can be reached. Shared by the
# communication preferences, outreach and the automation pipelines.
CONTACT_CHANNELS = [
    ("email", "Email"),
    ("call", "Call"),
    ("messenger", "Messenger"),
    ("social", "Social"),
    ("platform", "Platform"),
]

CLIENT_TYPES = [
    ("active", "Active Client"),
    ("prospect", "Prospect"),
    ("past", "Past Client"),
    ("partner", "Partner"),
    ("supplier", "Supplier"),
]
CLIENT_STATUSES = [
    ("active", "Active"),
    ("inactive", "Inactive"),
    ("prospect", "Prospect"),
]
ROLE_CATEGORIES = [
    ("primary", "Primary"),
    ("decision_maker", "Decision Maker"),
    ("technical", "Technical"),
    ("administrative", "Administrative"),
    ("external", "External"),
]
PAYMENT_METHODS = [
    ("transfer", "Bank Transfer"),
    ("direct_debit", "Direct Debit"),
    ("card", "Card"),
    ("check", "Cheque"),
    ("cash", "Cash"),
    ("other", "Other"),
]
PAYMENT_TERMS = [
    ("immediate", "Immediate Payment"),
    ("15", "15 Days"),
    ("30", "30 Days"),
    ("45", "45 Days"),
    ("60", "60 Days"),
    ("end_of_month", "End of Following Month"),
]

# Columns that users search with ``ilike`` (name_search, the search view's
# name and phone filters); each gets a trigram GIN index, on unaccent(column)
# where Odoo searches through an indexable unaccent.
TRIGRAM_COLUMNS = ("name", "complete_name", "email", "ref", "vat", "company_registry")
# The E.164 phones, searched with ``like`` (digits have no accents).
PHONE_TRIGRAM_COLUMNS = ("crm_phone_e164", "crm_mobile_e164")
# The pending list of those GIN indexes, in kB. New rows wait there until
# VACUUM or a full list merges them into the index, and every search reads
# the whole list: PostgreSQL's 4 MB cost about 10 ms per index and search
# after an import. A small list bounds that at a few pages for slightly
# slower inserts.
TRIGRAM_PENDING_LIST_KB = 256
# A typed search first collects its matches through the trigram indexes when
# there are at most this many (a rare term): the ordered search then runs on
# that handful of ids. More matches mean a common term, for which an index
# scan in display order that stops at the page size is the faster plan.
NAME_SEARCH_PRESELECT = 1000
# name_search first walks this many partners in display order for matches
# (a common term fills a page there); fewer matches mean a rare term.
NAME_SEARCH_ORDERED_SCAN = 2000
# Terms shorter than this cannot use trigrams as an infix (``%ab%``): they
# are searched as the prefix of a word (see readme/CONFIGURE.md).
NAME_SEARCH_MIN_INFIX = 3
# A typed term is taken for a phone number when it has only the characters
# of one and at least this many digits.
PHONE_SEARCH_MIN_DIGITS = 5
# res.partner's _order, which the fast paths reproduce in their own SQL.
DISPLAY_ORDER = "complete_name ASC, id DESC"
IDENTIFIER_TERM = re.compile(r"[\d@]")
PHONE_TERM = re.compile(r"^\+?[\d\s().\-/]+$")


def normalize_vat(vat):
    return re.sub(r"[^0-9A-Z]", "", (vat or "").upper()) or False


class ResPartner(models.Model):
    _name = "res.partner"
    # The automation mixin first: see its docstring.
    _inherit = ["crm.automation.target.mixin", "res.partner", "crm.custom.field.mixin"]  # noqa: RUF012

    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        index="btree_not_null",
        tracking=True,
        help="Sales team in charge of this client. Its contacts follow the client's team.",
    )
    crm_preferred_channel = fields.Selection(
        CONTACT_CHANNELS,
        string="Preferred Channel",
        help="How this client or contact prefers to be reached.",
    )
    crm_no_email = fields.Boolean(string="Do Not Email", tracking=True)
    crm_no_call = fields.Boolean(string="Do Not Call", tracking=True)
    crm_no_messenger = fields.Boolean(string="Do Not Message", tracking=True)
    crm_no_social = fields.Boolean(string="Do Not Contact on Social Networks", tracking=True)
    # Where the client came from, inherited from the lead it was converted from.
    source_id = fields.Many2one("utm.source", string="Lead Source", index="btree_not_null")
    medium_id = fields.Many2one("utm.medium", string="Lead Medium", index="btree_not_null")

    # Clients ---------------------------------------------------------------
    crm_client_type = fields.Selection(CLIENT_TYPES, string="Client Type", tracking=True, index=True)
    crm_client_status = fields.Selection(CLIENT_STATUSES, string="Client Status", tracking=True, index=True)
    crm_primary_contact_id = fields.Many2one(
        "res.partner",
        string="Primary Contact",
        domain="[('parent_id', '=', id), ('is_company', '=', False)]",
    )
    crm_currency_id = fields.Many2one(
        "res.currency",
        string="Preferred Currency",
        help="Currency in which this client is quoted and invoiced.",
    )
    crm_amount_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_crm_amount_currency_id",
        help="Currency of the client's amounts: the preferred one, else the company's.",
    )
    crm_payment_term = fields.Selection(PAYMENT_TERMS, string="Payment Terms")
    crm_payment_method = fields.Selection(PAYMENT_METHODS, string="Preferred Payment Method")
    crm_collaborator_ids = fields.Many2many(
        "res.users",
        "res_partner_crm_collaborator_rel",
        "partner_id",
        "user_id",
        string="Collaborators",
        domain="[('share', '=', False)]",
        help="Other users who work on this client with its owner.",
    )

    # Contacts --------------------------------------------------------------
    crm_first_name = fields.Char(string="First Name")
    crm_last_name = fields.Char(string="Last Name")
    name = fields.Char(compute="_compute_name", store=True, readonly=False, precompute=True)
    crm_department = fields.Char(string="Department")
    crm_role_category = fields.Selection(ROLE_CATEGORIES, string="Role Category", index=True)
    crm_phone2 = fields.Char(string="Other Phone")
    crm_email2 = fields.Char(string="Other Email")
    crm_linkedin_url = fields.Char(string="LinkedIn")
    crm_x_url = fields.Char(string="X (Twitter)")
    crm_social_url = fields.Char(string="Other Profile")
    crm_last_contacted = fields.Datetime(
        string="Last Contacted",
        copy=False,
        readonly=True,
        help="Last time this partner was reached, on any channel (the contacts of a client included): "
        "outreach, emails and messages in and out, done activities.",
    )

    # Duplicate detection ---------------------------------------------------
    # Phones as E.164 (``+34600111222``) beside the numbers as typed, which
    # stay untouched: duplicate detection and the phone search compare these.
    crm_phone_e164 = fields.Char(
        string="Phone (E.164)",
        compute="_compute_crm_phone_e164",
        store=True,
        index="btree_not_null",
        help="The phone in international E.164 form, read in the country of the contact, "
        "else of its client, else of its company.",
    )
    crm_mobile_e164 = fields.Char(
        string="Mobile (E.164)",
        compute="_compute_crm_phone_e164",
        store=True,
        index="btree_not_null",
        help="The mobile in international E.164 form, read in the country of the contact, "
        "else of its client, else of its company.",
    )
    crm_vat_normalized = fields.Char(compute="_compute_crm_normalized", store=True, index="btree_not_null")
    crm_duplicate_id = fields.Many2one(
        "res.partner",
        string="Possible Duplicate",
        compute="_compute_crm_duplicate",
    )
    crm_duplicate_reason = fields.Selection(
        [("email", "Email"), ("vat", "Tax ID"), ("phone", "Phone"), ("name", "Name and Company")],
        string="Duplicate On",
        compute="_compute_crm_duplicate",
    )

    # Client profile --------------------------------------------------------
    crm_open_deal_value = fields.Monetary(
        string="Open Deals", compute="_compute_crm_profile", currency_field="crm_company_currency_id"
    )
    crm_won_revenue = fields.Monetary(
        string="Won Revenue", compute="_compute_crm_profile", currency_field="crm_company_currency_id"
    )
    crm_company_currency_id = fields.Many2one("res.currency", compute="_compute_crm_amount_currency_id")
    crm_contact_count = fields.Integer(string="Contacts", compute="_compute_crm_profile")
    crm_profile_last_contacted = fields.Datetime(string="Last Contact", compute="_compute_crm_profile")
    crm_next_activity_date = fields.Date(string="Next Activity", compute="_compute_crm_profile")

    # Automation pipelines ------------------------------------------------------
    crm_automation_run_ids = fields.One2many("crm.automation.run", "partner_id", string="Automation Runs")

    def init(self):
        super().init()
        cr = self.env.cr
        cr.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if not cr.fetchone():
            try:
                with cr.savepoint(flush=False):
                    cr.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except psycopg2.Error:
                _logger.warning("pg_trgm is not available: typed partner searches will scan the table.")
                return
        # ``ilike`` compares unaccent(column) when the database has unaccent;
        # only an immutable unaccent can be indexed (as Odoo's own trigram
        # indexes require), else the plain column is the best we can do.
        unaccent = self.env.registry.has_unaccent == FunctionStatus.INDEXABLE
        indexes = {}
        for column in TRIGRAM_COLUMNS:
            expression = f'unaccent("{column}")' if unaccent else f'"{column}"'
            indexes[f"res_partner_crm_{column}_{'unaccent_' if unaccent else ''}trgm_index"] = expression
        for column in PHONE_TRIGRAM_COLUMNS:
            indexes[f"res_partner_{column}_trgm_index"] = f'"{column}"'
        for name, expression in indexes.items():
            tools.create_index(cr, name, self._table, [f"{expression} gin_trgm_ops"], method="gin")
            cr.execute(
                SQL(
                    "ALTER INDEX %s SET (gin_pending_list_limit = %s)",
                    SQL.identifier(name),
                    SQL(str(TRIGRAM_PENDING_LIST_KB)),
                )
            )

    @api.model
    def name_search(self, name="", args=None, operator="ilike", limit=100):
        """A typed search (many2one dropdown): the first ``limit`` partners in
        display order that match ``name``, fast for every term.

        A common term is served by walking the partners in display order and
        stopping at ``limit`` matches (``_crm_first_matches_in_order``); when
        the first rows hold too few matches, the term is rare and the trigram
        indexes collect its matches at once (``_crm_preselect``).
        """
        if operator != "ilike" or not isinstance(name, str) or not name.strip() or not limit:
            return super().name_search(name, args, operator, limit)
        records = self.browse(self._crm_name_search_ids(name, args or [], limit))
        return [(record.id, record.display_name) for record in records.sudo()]

    @api.model
    def _crm_name_search_ids(self, name, domain, limit, walk_first=True):
        """Ids of the first ``limit`` partners of ``domain`` matching the
        typed ``name``, in display order (see ``name_search``). Without
        ``walk_first``, the trigram preselection comes first: the caller
        knows the term to be rare."""
        term_domain = self._crm_typed_search_domain(name)
        ids = None
        if walk_first and not IDENTIFIER_TERM.search(name):
            # Digits or an @ make an email, reference, tax ID or phone: rare,
            # not worth a walk.
            ids = self._crm_first_matches_in_order(term_domain, domain, limit, NAME_SEARCH_ORDERED_SCAN)
        if ids is None:
            preselected = self._crm_preselect(term_domain, name)
            if preselected is term_domain:
                # Common, but not among the first rows in display order (a
                # surname whose first names sort late): walk on, as stock does.
                ids = self._crm_first_matches_in_order(term_domain, domain, limit)
            else:
                ids = self._crm_ordered_ids(expression.AND([preselected, domain]), limit)
        return list(ids)

    @api.model
    def _crm_ordered_ids(self, domain, limit):
        """The first ``limit`` ids of ``domain`` (a handful of preselected
        ids) in display order. The matches are collected first: with a LIMIT,
        PostgreSQL would rather walk the whole display order index and test
        each row against the ids."""
        query = self._search(domain)
        if query._joins or self._order != DISPLAY_ORDER:
            return self._search(domain, order=self._order, limit=limit)
        return [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    "WITH matches AS MATERIALIZED (%s) SELECT id FROM matches ORDER BY name, id DESC LIMIT %s",
                    query.select(
                        SQL("%s AS id", SQL.identifier(self._table, "id")),
                        SQL("%s AS name", SQL.identifier(self._table, "complete_name")),
                    ),
                    limit,
                )
            )
        ]

    @api.model
    def _search_display_name(self, operator, value):
        """The search view's name filter and other ``display_name`` searches:
        the same terms as ``name_search``, preselected through the trigram
        indexes when they are rare."""
        if operator != "ilike" or not isinstance(value, str) or not value.strip():
            return super()._search_display_name(operator, value)
        return self._crm_preselect(self._crm_typed_search_domain(value), value)

    @api.model
    def _crm_typed_search_domain(self, value):
        """What a typed ``value`` matches.

        Odoo searches ``complete_name``, ``email``, ``ref``, ``vat`` and
        ``company_registry`` with ``ilike``. Here too, except that:

        * a term of one or two letters, which trigrams cannot find inside a
          word, matches the start of a word of the name or the start of the
          other columns (``_crm_prefix_search_domain``);
        * a term that looks like a phone number also matches the phones, in
          E.164 (``_crm_phone_search_domain``).
        """
        term = value.strip()
        if len(term) < NAME_SEARCH_MIN_INFIX:
            domain = self._crm_prefix_search_domain(term)
        else:
            domain = super()._search_display_name("ilike", value)
        if self._crm_is_phone_term(term):
            domain = expression.OR([domain, self._crm_phone_search_domain(term)])
        return domain

    @api.model
    def _crm_first_matches_in_order(self, term_domain, domain, limit, window=None):
        """Ids of the first ``limit`` partners of ``domain`` matching
        ``term_domain``, in display order, found among the first ``window``
        partners of that order (all by default); None when those hold fewer
        matches (a rare term) than ``limit``, unless no window was set.

        The ordered rows are read through the name index without the term
        in their WHERE clause, so that PostgreSQL cannot trade that index for
        a trigram scan followed by a sort of every match.
        """
        query = self._search(domain, order=self._order, limit=window)
        term = self.with_context(active_test=False)._where_calc(term_domain)
        if term._joins or term._tables.keys() != {self._table}:
            # The term needs other tables: leave it to the ORM.
            return (
                None if window else self._search(expression.AND([term_domain, domain]), order=self._order, limit=limit)
            )
        ordered = query.select(SQL("%s AS id", SQL.identifier(self._table, "id")), SQL("%s AS hit", term.where_clause))
        rows = self.env.execute_query(SQL("SELECT id FROM (%s) AS ordered WHERE hit LIMIT %s", ordered, limit))
        return [row[0] for row in rows] if len(rows) == limit or not window else None

    @api.model
    def _crm_prefix_search_domain(self, term):
        """Partners where a word of the name, or another searched column,
        starts with ``term``: what a user typing one or two letters means,
        and what the trigram indexes find (``"  m"``, ``" mu"``)."""
        prefix = self._crm_escape_like(term)
        domains = [[(fname, "=ilike", f"{prefix}%")] for fname in self._rec_names_search]
        domains.append([("complete_name", "=ilike", f"% {prefix}%")])
        return expression.OR(domains)

    @api.model
    def _crm_preselect(self, domain, term=None):
        """``domain`` (what the typed ``term`` matches) as the ids it matches
        when they are few, which the trigram indexes collect at once;
        ``domain`` itself for a common term, which an ordered scan of the
        name index serves best."""
        select = self._crm_preselect_sql(domain, term, NAME_SEARCH_PRESELECT + 1)
        # With a LIMIT and many estimated matches, PostgreSQL prefers a
        # sequential scan that stops early; on a common term it reads (and
        # unaccents) tens of thousands of rows. The trigram bitmap is the
        # plan that stays cheap for every term; parallel workers cost more to
        # start than the whole search.
        with self._crm_planner(enable_seqscan="off", enable_indexscan="off", max_parallel_workers_per_gather="0"):
            ids = [row[0] for row in self.env.execute_query(select)]
        if len(ids) > NAME_SEARCH_PRESELECT:
            return domain
        return [("id", "in", ids)]

    @api.model
    def _crm_preselect_sql(self, domain, term, limit):
        """The query of ``_crm_preselect``: up to ``limit`` ids of ``domain``,
        inactive partners included."""
        return self.with_context(active_test=False)._search(domain, limit=limit).select()

    @contextmanager
    def _crm_planner(self, **settings):
        """Planner settings for the queries run inside, restored after."""
        cr = self.env.cr
        # One round trip to read and set them all (the select list is
        # evaluated in order), one to restore them.
        cr.execute(
            SQL(
                "SELECT %s, %s",
                SQL(", ").join(SQL("current_setting(%s)", name) for name in settings),
                self._crm_set_config_sql(settings),
            )
        )
        previous = dict(zip(settings, cr.fetchone(), strict=False))
        try:
            yield
        finally:
            cr.execute(SQL("SELECT %s", self._crm_set_config_sql(previous)))

    @api.model
    def _crm_set_config_sql(self, settings):
        return SQL(", ").join(SQL("set_config(%s, %s, true)", name, value) for name, value in settings.items())

    @api.model
    def _crm_is_phone_term(self, term):
        return bool(PHONE_TERM.match(term)) and len(re.sub(r"\D", "", term)) >= PHONE_SEARCH_MIN_DIGITS

    @api.model
    def _crm_phone_search_domain(self, term):
        """Partners whose phone or mobile is ``term``, typed in any format:
        its E.164 form (read in the user's company's country when it has no
        country code), or a run of digits inside an E.164 number."""
        digits = re.sub(r"\D", "", term).lstrip("0")
        domains = [self._crm_phone_digits_domain(digits)]
        e164 = self._crm_phone_e164(term, self.env.company.country_id)
        if e164:
            domains += [[(fname, "=", e164)] for fname in PHONE_TRIGRAM_COLUMNS]
        return expression.OR(domains)

    @api.model
    def _crm_phone_digits_domain(self, digits):
        """Partners with the run of ``digits`` inside their phone or mobile."""
        return expression.OR([[(fname, "like", digits)] for fname in PHONE_TRIGRAM_COLUMNS])

    def _search_phone_mobile_search(self, operator, value):
        """The search view's Phone/Mobile filter (sms) compares E.164 too."""
        if operator in ("ilike", "like", "=") and isinstance(value, str) and self._crm_is_phone_term(value.strip()):
            return self._crm_phone_search_domain(value.strip())
        return super()._search_phone_mobile_search(operator, value)

    # Computes ----------------------------------------------------------------

    @api.depends("crm_first_name", "crm_last_name", "is_company")
    def _compute_name(self):
        for partner in self:
            parts = [part.strip() for part in (partner.crm_first_name, partner.crm_last_name) if part and part.strip()]
            if parts and not partner.is_company:
                partner.name = " ".join(parts)
            else:
                partner.name = partner.name

    @api.depends("crm_currency_id", "company_id")
    def _compute_crm_amount_currency_id(self):
        for partner in self:
            company_currency = (partner.company_id or self.env.company).currency_id
            partner.crm_company_currency_id = company_currency
            partner.crm_amount_currency_id = partner.crm_currency_id or company_currency

    @api.depends("vat")
    def _compute_crm_normalized(self):
        for partner in self:
            partner.crm_vat_normalized = normalize_vat(partner.vat)

    @api.depends("phone", "mobile", "country_id", "parent_id.country_id", "company_id.country_id")
    def _compute_crm_phone_e164(self):
        for partner in self:
            country = partner._crm_phone_country()
            partner.crm_phone_e164 = partner._crm_phone_e164(partner.phone, country)
            partner.crm_mobile_e164 = partner._crm_phone_e164(partner.mobile, country)

    def _crm_phone_country(self):
        """Country in which a number typed without its country code is read:
        the contact's, else its client's, else its company's."""
        self.ensure_one()
        return self.country_id or self.parent_id.country_id or self.company_id.country_id or self.env.company.country_id

    @api.model
    def _crm_phone_e164(self, number, country):
        """``number`` in E.164 through phone_validation (``phonenumbers``),
        read in ``country`` unless it carries its own code; False when it is
        not a possible number there."""
        number = (number or "").strip()
        if not number:
            return False
        if not country and number.startswith("00"):
            # Without a country to read it in, 00 can only be the
            # international prefix (ITU's, the one Europe dials).
            number = f"+{number[2:]}"
        return self._phone_format_number(number, country, force_format="E164") or False

    @api.depends("email", "crm_phone_e164", "crm_mobile_e164", "vat", "name", "parent_id", "is_company")
    def _compute_crm_duplicate(self):
        """Spot an existing partner with the same email, tax ID, phone, or
        name plus company. One search per criterion for the whole batch."""
        keys = {}
        for partner in self:
            keys[partner] = {
                "email": tools.email_normalize(partner.email) if partner.email else False,
                "vat": normalize_vat(partner.vat),
                "phone": {partner.crm_phone_e164, partner.crm_mobile_e164} - {False},
                "name": (partner.name or "").strip().lower() or False,
            }
        by_email, by_vat, by_phone, by_name = self._crm_find_duplicates(keys)
        for partner, key in keys.items():
            match, reason = self.browse(), False
            if key["email"] and key["email"] in by_email:
                match, reason = by_email[key["email"]], "email"
            elif key["vat"] and key["vat"] in by_vat:
                match, reason = by_vat[key["vat"]], "vat"
            elif key["phone"] and key["phone"] & by_phone.keys():
                match, reason = by_phone[min(key["phone"] & by_phone.keys())], "phone"
            elif key["name"] and (partner.is_company or partner.parent_id):
                name_key = (
                    key["name"],
                    partner.is_company,
                    partner.parent_id.id if not partner.is_company else False,
                )
                if name_key in by_name:
                    match, reason = by_name[name_key], "name"
            partner.crm_duplicate_id = match
            partner.crm_duplicate_reason = reason

    def _crm_find_duplicates(self, keys):
        """Existing partners matching the normalised ``keys`` of self's
        records: one search per criterion for the whole batch."""
        own_ids = [pid for pid in (self.ids + [p._origin.id for p in self]) if pid]
        Partner = self.with_context(active_test=True)
        base = [("id", "not in", own_ids)]
        emails = {k["email"] for k in keys.values()} - {False}
        vats = {k["vat"] for k in keys.values()} - {False}
        phones = set().union(*(k["phone"] for k in keys.values())) if keys else set()
        names = {k["name"] for k in keys.values()} - {False}
        by_email, by_vat, by_phone, by_name = {}, {}, {}, {}
        if emails:
            for match in Partner.search(base + [("email_normalized", "in", list(emails))], order="id"):
                by_email.setdefault(match.email_normalized, match)
        if vats:
            for match in Partner.search(base + [("crm_vat_normalized", "in", list(vats))], order="id"):
                by_vat.setdefault(match.crm_vat_normalized, match)
        if phones:
            domain = base + [
                "|",
                ("crm_phone_e164", "in", list(phones)),
                ("crm_mobile_e164", "in", list(phones)),
            ]
            for match in Partner.search(domain, order="id"):
                for number in (match.crm_phone_e164, match.crm_mobile_e164):
                    if number:
                        by_phone.setdefault(number, match)
        if names:
            name_domain = [("name", "=ilike", self._crm_escape_like(name)) for name in names]
            for match in Partner.search(base + ["|"] * (len(name_domain) - 1) + name_domain, order="id"):
                key = ((match.name or "").strip().lower(), match.is_company, match.parent_id.id)
                by_name.setdefault(key, match)
        return by_email, by_vat, by_phone, by_name

    @staticmethod
    def _crm_escape_like(value):
        return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

    def _compute_crm_profile(self):
        """Key figures of the client profile, a few grouped queries per batch."""
        partners = self.filtered("id")
        (self - partners).update(
            {
                "crm_open_deal_value": 0.0,
                "crm_won_revenue": 0.0,
                "crm_contact_count": 0,
                "crm_profile_last_contacted": False,
                "crm_next_activity_date": False,
            }
        )
        if not partners:
            return
        ids = partners.ids
        open_value, won_value = {}, {}
        Lead = self.env["crm.lead"]
        if Lead.has_access("read"):
            groups = Lead._read_group(
                [("partner_id", "child_of", ids), ("type", "=", "opportunity")],
                ["partner_id", "stage_id"],
                ["expected_revenue:sum"],
            )
            for contact, stage, amount in groups:
                owner = contact if contact.id in ids else contact.commercial_partner_id
                if owner.id not in ids:
                    continue
                target = won_value if stage.is_won else open_value
                target[owner.id] = target.get(owner.id, 0.0) + amount
        contacts = dict(
            self.env["res.partner"]._read_group(
                [("parent_id", "in", ids), ("is_company", "=", False)], ["parent_id"], ["__count"]
            )
        )
        last_contacted = {
            parent.id: value
            for parent, value in self.env["res.partner"]._read_group(
                [("parent_id", "in", ids)], ["parent_id"], ["crm_last_contacted:max"]
            )
        }
        family = self.env["res.partner"].search([("parent_id", "in", ids)])
        next_activity = {}
        for res_id, deadline in self.env["mail.activity"]._read_group(
            [("res_model", "=", "res.partner"), ("res_id", "in", ids + family.ids)],
            ["res_id"],
            ["date_deadline:min"],
        ):
            next_activity[res_id] = deadline
        parent_of = {child.id: child.parent_id.id for child in family}
        for child_id, parent_id in parent_of.items():
            if child_id in next_activity:
                current = next_activity.get(parent_id)
                if not current or next_activity[child_id] < current:
                    next_activity[parent_id] = next_activity[child_id]
        for partner in partners:
            dates = [d for d in (partner.crm_last_contacted, last_contacted.get(partner.id)) if d]
            partner.crm_open_deal_value = open_value.get(partner.id, 0.0)
            partner.crm_won_revenue = won_value.get(partner.id, 0.0)
            partner.crm_contact_count = contacts.get(partner, 0)
            partner.crm_profile_last_contacted = max(dates) if dates else False
            partner.crm_next_activity_date = next_activity.get(partner.id, False)

    # Constraints -------------------------------------------------------------

    @api.constrains("email", "crm_email2")
    def _check_crm_email(self):
        for partner in self:
            for email in (partner.email, partner.crm_email2):
                if email and not tools.email_normalize(email, strict=False):
                    raise ValidationError(
                        self.env._(
                            "%(email)s is not a valid email address. Enter it as name@example.com.",
                            email=email,
                        )
                    )

    @api.constrains("crm_primary_contact_id")
    def _check_crm_primary_contact(self):
        for partner in self:
            if partner.crm_primary_contact_id and partner.crm_primary_contact_id.parent_id != partner:
                raise ValidationError(
                    self.env._(
                        "The primary contact of %(client)s must be one of its contacts.",
                        client=partner.display_name,
                    )
                )

    # Business methods ----------------------------------------------------------

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + ["team_id"]

    def _crm_may_contact(self, channel):
        """Whether this partner may be contacted through ``channel``.

        Every feature that reaches out to people (outreach, automation
        pipelines, mass mailing from the suite) must ask this first. Email
        also honours Odoo's mail blacklist.
        """
        self.ensure_one()
        if channel == "email":
            return bool(self.email) and not self.crm_no_email and not self.is_blacklisted
        if channel == "call":
            return not self.crm_no_call
        if channel == "messenger":
            return not self.crm_no_messenger
        if channel == "social":
            return not self.crm_no_social
        return True

    # Automation pipelines (crm.automation.target.mixin) ---------------------------

    def _crm_automation_exit_fields(self):
        return super()._crm_automation_exit_fields() | {"crm_no_email", "email"}

    def _crm_automation_dependents(self):
        # A deal's runs exit when its contact opts out.
        return [
            *super()._crm_automation_dependents(),
            self.env["crm.lead"].sudo().search([("partner_id", "in", self.ids)]),
        ]

    def _crm_automation_contact(self):
        return self
