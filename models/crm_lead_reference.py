import re

from odoo import api, fields, models
from odoo.tools import SQL, split_every, sql

REFERENCE_SEQUENCE = "crm.lead.reference"
# deals given references at once when the add-on fills the missing ones
FILL_CHUNK = 10000
# What may be a deal reference in an email subject: a run of letters, digits,
# "/" and "-" holding a digit ("D00042", "DEAL/2026/0042").
REFERENCE_TOKEN = re.compile(r"[\w/-]*\d[\w/-]*")
MAX_REFERENCE_TOKENS = 20


class CrmLead(models.Model):
    _inherit = "crm.lead"
    _rec_names_search = ("name", "crm_reference")

    crm_reference = fields.Char(
        string="Reference",
        readonly=True,
        copy=False,
        index=True,
        help="Given when the deal is created. Put it in an email's subject and the email is filed on this deal.",
    )

    _sql_constraints = (
        (
            "crm_reference_company_uniq",
            "UNIQUE(company_id, crm_reference)",
            "Two deals of one company cannot have the same reference.",
        ),
        # the constraint above lets deals without a company share a reference
        # (NULL is distinct from NULL); NULLS NOT DISTINCT would also forbid
        # two deals without a reference, so an exclusion on these deals only
        (
            "crm_reference_no_company_uniq",
            "EXCLUDE (crm_reference WITH =) WHERE (company_id IS NULL)",
            "Two deals without a company cannot have the same reference.",
        ),
    )

    def _auto_init(self):
        if sql.column_exists(self.env.cr, self._table, "crm_reference"):
            self._crm_clear_duplicate_references()
        return super()._auto_init()

    @api.model
    def _crm_clear_duplicate_references(self):
        """Deals without a company written with the same reference before the
        exclusion existed would stop it from being added on update: the later
        ones lose theirs, and _crm_fill_references gives them new ones."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_lead SET crm_reference = NULL
                 WHERE company_id IS NULL AND crm_reference IS NOT NULL
                   AND EXISTS (SELECT 1 FROM crm_lead earlier
                                WHERE earlier.company_id IS NULL AND earlier.crm_reference = crm_lead.crm_reference
                                  AND earlier.id < crm_lead.id)
                """
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        leads.filtered(lambda lead: not lead.crm_reference)._crm_set_references()
        return leads

    def _crm_set_references(self):
        """Give these deals references from the "crm.lead.reference" sequence
        of each deal's company, one query per company and one to store them.
        Deals without a company draw from the shared sequence: a company's own
        could repeat a reference another company's gave to such a deal."""
        values = []
        for company, leads in self.grouped("company_id").items():
            references = self._crm_next_references(company, len(leads))
            values += [SQL("(%s, %s)", lead.id, ref) for lead, ref in zip(leads, references, strict=True) if ref]
        if not values:
            return
        # one query for the batch, written as the system: the reference is not
        # the user's change (no audit entry, no tracking, no write rights needed)
        self.flush_recordset(["crm_reference"])
        self.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET crm_reference = v.ref FROM (VALUES %s) AS v(id, ref) WHERE crm_lead.id = v.id",
                SQL(", ").join(values),
            )
        )
        self.invalidate_recordset(["crm_reference"])

    def _message_compute_subject(self):
        """Emails from a deal carry its reference ("Obra nueva Madrid
        [D00042]"): the reply finds the deal by it even when the client's mail
        program drops the thread headers."""
        subject = super()._message_compute_subject()
        if self.crm_reference and self.crm_reference not in (subject or ""):
            return f"{subject} [{self.crm_reference}]"
        return subject

    @api.model
    def _crm_fill_references(self):
        """Give a reference to the deals that have none (they existed before
        the sequence); run when the add-on is installed or updated. Works in
        chunks, so a database of millions of deals fits in memory."""
        leads = self.with_context(active_test=False).search([("crm_reference", "=", False)], order="id")
        for chunk in split_every(FILL_CHUNK, leads.ids, self.browse):
            chunk._crm_set_references()
            self.env.invalidate_all()

    @api.model
    def _crm_next_references(self, company, count):
        """``count`` references from the sequence of ``company`` (or the
        shared one; only the shared one for no company), in order."""
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .with_company(company or self.env.company)
            .search(
                [("code", "=", REFERENCE_SEQUENCE), ("company_id", "in", [company.id, False])],
                order="company_id",
                limit=1,
            )
        )
        if not sequence:
            return [False] * count
        if sequence.implementation != "standard" or sequence.use_date_range:
            return [sequence._next() for _i in range(count)]
        numbers = self.env.execute_query(
            SQL("SELECT nextval(%s) FROM generate_series(1, %s)", f"ir_sequence_{sequence.id:03d}", count)
        )
        return [sequence.get_next_char(number) for number in sorted(n for (n,) in numbers)]

    @api.model
    def _crm_references_in(self, subject):
        """The words of ``subject`` that may be deal references, as written and
        in capitals."""
        tokens = REFERENCE_TOKEN.findall(subject or "")[:MAX_REFERENCE_TOKENS]
        return list({variant for token in tokens for variant in (token, token.upper())})
