from contextlib import contextmanager

from odoo import api, fields, models, tools
from odoo.tools import SQL

# Keys of the cursor's cache (``env.cr.cache``) an import batch opens.
PARENT_CHECK_KEY = "crm_import_parent_check"
PHONE_CACHE_KEY = "crm_import_phone_cache"
DEFAULTS_CACHE_KEY = "crm_import_defaults_cache"

# {field of res.partner: (comodel, many2one of the comodel to res.partner)}:
# the inverses of the links to contacts that computed fields depend on and
# that have no plain one2many in stock (none, or one with a domain).
DEPENDENT_LINKS = {
    "crm_dependent_child_ids": ("res.partner", "parent_id"),
    "crm_dependent_member_ids": ("res.partner", "commercial_partner_id"),
    "crm_dependent_lead_ids": ("crm.lead", "partner_id"),
    "crm_dependent_attendee_ids": ("calendar.attendee", "partner_id"),
    "crm_dependent_employee_public_ids": ("hr.employee.public", "work_contact_id"),
}


def phone_key(number, country, force_format="E164"):
    """What ``_phone_format_number``'s result depends on: the number, the
    country's code and dialling code, the format."""
    return (number, country.code or False, country.phone_code or False, force_format)


def phone_matches_sql(partners, numbers):
    """SQL of the ids of the partners (any, archived too: filter after) whose
    E.164 phone or mobile is one of ``numbers``; ``partners``: the model,
    whose pending values of these columns the query flushes.

    Joined to the numbers rather than ``= ANY(...)``: for a few hundred
    numbers and table statistics that lag behind a large import, the planner
    takes the trigram indexes of these columns for the equality, and every
    "+34..." trigram's posting list is most of the table (half a second a
    batch at 3,000 contacts, growing with the table). A join uses the b-tree
    indexes or one hashed pass."""
    numbers = sorted({number for number in numbers if number})
    return SQL(
        "%s UNION %s",
        *(
            SQL(
                "SELECT p.id FROM res_partner p JOIN unnest(%s::varchar[]) n(k) ON p.%s = n.k",
                numbers,
                SQL.identifier(fname),
                to_flush=partners._fields[fname],
            )
            for fname in ("crm_phone_e164", "crm_mobile_e164")
        ),
    )


class ResPartner(models.Model):
    """Inverses of the links to contacts, for batched writes.

    When a contact's email, name, phone or address changes, the ORM finds the
    records whose stored computed fields depend on it (its contacts, the
    deals, attendees and employees linked to it). Without a one2many to
    follow it runs one search per link and per ``write``: about fifteen
    queries for each contact an import updates. With these one2many fields
    it reads the links from its cache, filled once for a batch of contacts
    (see ``_crm_prefetch_dependents``). Technical: readable by system
    administrators only, never copied, never shown.
    """

    _inherit = "res.partner"

    crm_dependent_child_ids = fields.One2many(
        "res.partner", "parent_id", string="All Contacts (Technical)", copy=False, groups="base.group_system"
    )
    crm_dependent_member_ids = fields.One2many(
        "res.partner",
        "commercial_partner_id",
        string="Commercial Members (Technical)",
        copy=False,
        groups="base.group_system",
    )
    crm_dependent_lead_ids = fields.One2many(
        "crm.lead", "partner_id", string="All Deals and Leads (Technical)", copy=False, groups="base.group_system"
    )
    crm_dependent_attendee_ids = fields.One2many(
        "calendar.attendee",
        "partner_id",
        string="Meeting Attendances (Technical)",
        copy=False,
        groups="base.group_system",
    )
    crm_dependent_employee_public_ids = fields.One2many(
        "hr.employee.public",
        "work_contact_id",
        string="Employees (Technical)",
        copy=False,
        groups="base.group_system",
    )

    def init(self):
        res = super().init()
        # Deleting a contact makes PostgreSQL look for the clients whose
        # primary contact it is: without an index, one scan of all contacts
        # per deleted contact (a revert deletes thousands).
        tools.create_index(
            self.env.cr,
            "res_partner_crm_primary_contact_id_index",
            self._table,
            ["crm_primary_contact_id"],
            where="crm_primary_contact_id IS NOT NULL",
        )
        return res

    def _crm_prefetch_dependents(self):
        """Read the records that depend on these contacts, one query per
        link for all of them, into the cache the ORM's dependency tracking
        reads (instead of a search per link and per written contact)."""
        records = self.sudo().with_context(active_test=False)
        records.fetch(list(DEPENDENT_LINKS))

    def _fields_sync(self, values):
        # An import job merged the values stock syncs from the new client
        # into the written values, for the whole batch (see
        # crm.import.job._presync_updates): only the sync to the contact's
        # own contacts is left, and the job presyncs contacts without any.
        if values.get("parent_id") and self.id in self.env.context.get("crm_import_presynced", ()):
            return self._children_sync(values)
        return super()._fields_sync(values)

    @contextmanager
    def _crm_import_parent_check(self):
        """Check the hierarchy of the partners given a client inside the
        block once, after it, instead of after each ``write``: stock's check
        flushes the partners and runs a recursive query per ``write``, which
        made each updated contact of an import flush alone. A cycle raises
        the same ValidationError when the block ends, so the batch fails and
        is retried row by row (each write checked at once, as in stock)."""
        cache = self.env.cr.cache
        if PARENT_CHECK_KEY in cache:  # nested: the outer block checks
            yield
            return
        cache[PARENT_CHECK_KEY] = deferred = set()
        try:
            yield
        finally:
            cache.pop(PARENT_CHECK_KEY, None)
        if deferred:
            self.browse(sorted(deferred))._check_parent_id()

    @api.constrains("parent_id")
    def _check_parent_id(self):
        deferred = self.env.cr.cache.get(PARENT_CHECK_KEY)
        if deferred is not None:
            deferred.update(self._ids)
            return None
        return super()._check_parent_id()

    @contextmanager
    def _crm_import_phone_cache(self):
        """Inside the block, each distinct (number, country, format) is
        parsed once: an import batch parses each phone and mobile for its
        validation, for the E.164 columns and for stock's sanitized number.
        The cache lives for the block only (one batch), so its memory stays
        proportional to a batch."""
        cache = self.env.cr.cache
        if PHONE_CACHE_KEY in cache:
            yield cache[PHONE_CACHE_KEY]
            return
        cache[PHONE_CACHE_KEY] = numbers = {}
        try:
            yield numbers
        finally:
            cache.pop(PHONE_CACHE_KEY, None)

    @contextmanager
    def _crm_import_defaults_cache(self):
        """Inside the block, ``default_get`` runs once per distinct request
        (the fields asked, the context, the user and companies) instead of
        once per created record: stock's ``create`` asks it for every record
        of a batch the defaults of the fields its values leave out (about
        300 for a contact), with the same answer each time. Every default of
        res.partner is the same for all the records of one batch (the
        creation time of ``calendar_last_notif_ack`` is the batch's). Each
        caller gets its own copy. The cache lives for the block only."""
        cache = self.env.cr.cache
        if DEFAULTS_CACHE_KEY in cache:
            yield
            return
        cache[DEFAULTS_CACHE_KEY] = {}
        try:
            yield
        finally:
            cache.pop(DEFAULTS_CACHE_KEY, None)

    @api.model
    def default_get(self, fields_list):
        defaults = self.env.cr.cache.get(DEFAULTS_CACHE_KEY)
        if defaults is None:
            return super().default_get(fields_list)
        key = (
            tuple(fields_list),
            self.env.uid,
            self.env.su,
            tuple(self.env.companies.ids),
            repr(sorted(self.env.context.items())),
        )
        if key not in defaults:
            defaults[key] = super().default_get(fields_list)
        return dict(defaults[key])

    def _phone_format_number(self, number, country, force_format="E164", raise_exception=False):
        numbers = self.env.cr.cache.get(PHONE_CACHE_KEY)
        if numbers is None or raise_exception or not number:
            return super()._phone_format_number(
                number, country, force_format=force_format, raise_exception=raise_exception
            )
        key = phone_key(number, country, force_format)
        if key not in numbers:
            numbers[key] = super()._phone_format_number(number, country, force_format=force_format)
        return numbers[key]
