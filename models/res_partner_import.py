from odoo import fields, models, tools

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
