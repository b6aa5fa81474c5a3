from odoo import api, fields, models, tools
from odoo.tools import SQL

from .crm_outreach import TOUCH_OUTCOMES

# The outreach fields the reply of an inbound email is made of: a flushed change of any of them
# looks the reply up again, for the outreach itself and, for an outbound email, for the inbound
# emails of its old and new client.
REPLY_FIELDS = frozenset({"date", "channel", "direction", "outcome", "client_id"})
# An email one way, in SQL, on the alias of a crm_outreach row.
INBOUND_EMAIL = "%(alias)s.direction = 'inbound' AND %(alias)s.channel = 'email'"
OUTBOUND_EMAIL = "%(alias)s.direction = 'outbound' AND %(alias)s.channel = 'email'"


def _email(kind, alias):
    return SQL(kind.replace("%(alias)s", alias))


class CrmOutreach(models.Model):
    """The reply of each inbound email, kept on the email when the reply is logged.

    An inbound email is answered by the first outbound email to the same client at or after it that
    reached the client (done, replied, meeting booked, not interested). The client engagement report
    reads its response time from these columns instead of looking the reply up at every read.

    Upkeep: the ORM's low-level create and write (through which every stored value goes, the
    computed client included) and unlink look the replies up again in one UPDATE for the outreach
    changed and the inbound emails of the clients of the outbound emails changed, before and after
    the change. ``_crm_reply_select`` is the one definition, for the upkeep and for a recompute from
    scratch (install and upgrade).
    """

    _inherit = "crm.outreach"

    crm_reply_date = fields.Datetime(
        string="Replied On",
        readonly=True,
        copy=False,
        help="For an inbound email: when the first outbound email to the same client at or after it was "
        "sent. Empty while it is unanswered.",
    )
    crm_response_hours = fields.Float(
        string="Response Time (hours)",
        readonly=True,
        copy=False,
        help="For an answered inbound email: hours from the email to its reply.",
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
        # the inbound emails of a client whose reply may have changed
        tools.create_index(
            self.env.cr,
            "crm_outreach_crm_client_inbound_email_index",
            "crm_outreach",
            ["client_id"],
            where="direction = 'inbound' AND channel = 'email'",
        )

    @api.model
    def _crm_reply_select(self, where):
        """``SELECT id, reply_date, response_hours`` of the outreach matching ``where`` (on alias ``i``):
        the reply of an inbound email with a client, nothing for the other outreach."""
        return SQL(
            """
            SELECT i.id, x.reply_date, EXTRACT(EPOCH FROM (x.reply_date - i.date)) / 3600.0 AS response_hours
              FROM crm_outreach i
              LEFT JOIN LATERAL (
                    SELECT min(r.date) AS reply_date FROM crm_outreach r
                     WHERE %(inbound)s AND r.client_id = i.client_id AND %(outbound)s
                       AND r.date >= i.date AND r.outcome IN %(touch)s
                   ) x ON TRUE
             WHERE %(where)s
            """,
            inbound=_email(INBOUND_EMAIL, "i"),
            outbound=_email(OUTBOUND_EMAIL, "r"),
            touch=tuple(TOUCH_OUTCOMES),
            where=where,
        )

    @api.model
    def _crm_refresh_replies(self, outreach_ids=(), client_ids=()):
        """Look the replies up again: of these outreach, and of the inbound emails of these clients and
        of the clients of the outbound emails among these outreach. Writes only the rows that differ."""
        outreach_ids = sorted({oid for oid in outreach_ids if oid})
        client_ids = sorted({cid for cid in client_ids if cid})
        if not outreach_ids and not client_ids:
            return
        where = SQL(
            """i.id = ANY(%(ids)s)
               OR (%(inbound)s AND (i.client_id = ANY(%(clients)s) OR i.client_id IN (
                    SELECT o.client_id FROM crm_outreach o WHERE o.id = ANY(%(ids)s) AND %(outbound)s)))""",
            ids=outreach_ids,
            clients=client_ids,
            inbound=_email(INBOUND_EMAIL, "i"),
            outbound=_email(OUTBOUND_EMAIL, "o"),
        )
        self._crm_write_replies(where)

    @api.model
    def _crm_write_replies(self, where):
        """Write the replies of the outreach matching ``where`` (alias ``i``) where they differ."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_outreach o
                   SET crm_reply_date = n.reply_date, crm_response_hours = n.response_hours
                  FROM (%s) n
                 WHERE o.id = n.id
                   AND (o.crm_reply_date IS DISTINCT FROM n.reply_date
                        OR o.crm_response_hours IS DISTINCT FROM n.response_hours)
                """,
                self._crm_reply_select(where),
            )
        )
        if self.env.cr.rowcount:
            # the rows are written in SQL, during a flush: drop what the cache holds of them, unflushed
            self.invalidate_model(["crm_reply_date", "crm_response_hours"], flush=False)

    @api.model
    def _crm_init_replies(self):
        """Install and upgrade: look up the reply of every inbound email, in one statement."""
        self._crm_write_replies(_email(INBOUND_EMAIL, "i"))

    @api.model
    def _crm_reply_clients(self, where):
        """The clients of the outbound emails matching ``where`` (alias ``o``), as in the database now."""
        return [
            client_id
            for (client_id,) in self.env.execute_query(
                SQL(
                    "SELECT DISTINCT o.client_id FROM crm_outreach o WHERE %s AND o.client_id IS NOT NULL AND %s",
                    where,
                    _email(OUTBOUND_EMAIL, "o"),
                )
            )
        ]

    # Upkeep ----------------------------------------------------------------------

    @api.model
    def _create(self, data_list):
        records = super()._create(data_list)
        self._crm_refresh_replies(records.ids)
        return records

    def _write_multi(self, vals_list):
        changed = set().union(*vals_list) if vals_list else set()
        if not changed & REPLY_FIELDS:
            return super()._write_multi(vals_list)
        # the clients before the change: an outbound email moved away or changed may no longer answer theirs
        before = self._crm_reply_clients(SQL("o.id = ANY(%s)", self.ids))
        res = super()._write_multi(vals_list)
        self._crm_refresh_replies(self.ids, before)
        return res

    def unlink(self):
        self.flush_model(REPLY_FIELDS)
        before = self._crm_reply_clients(SQL("o.id = ANY(%s)", self.ids))
        res = super().unlink()
        self._crm_refresh_replies(client_ids=before)
        return res
