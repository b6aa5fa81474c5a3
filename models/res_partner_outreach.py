from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .crm_outreach import OUTREACH_CHANNELS, OUTREACH_DIRECTIONS, TOUCH_OUTCOMES

# The contact frequency counts the touches of these windows, in days.
FREQUENCY_WINDOWS = (30, 90)
# When the daily frequency sweep last counted (ir.config_parameter).
SWEPT_AT_PARAM = "crm_client_suite.touch_counts_swept_at"
# Partners whose counts a change made outside crm.outreach's write and unlink
# left stale (a recomputed client), refreshed at commit.
PENDING_COUNTS = "crm_client_suite.touch_counts_pending"


class CrmLastContact(models.Model):
    """When a contact or client was last reached, per channel and direction.

    One row per (partner, channel, direction), upserted in batches by
    ``res.partner._crm_register_touches``; a client's rows roll up its
    contacts'. Written by the add-on only.
    """

    _name = "crm.last.contact"
    _description = "Last Contact per Channel"
    _order = "date desc"
    _log_access = False

    partner_id = fields.Many2one("res.partner", string="Contact", required=True, index=True, ondelete="cascade")
    channel = fields.Selection(OUTREACH_CHANNELS, required=True)
    direction = fields.Selection(OUTREACH_DIRECTIONS, required=True)
    date = fields.Datetime(string="Last Contacted", required=True, index=True)

    _sql_constraints = [  # noqa: RUF012
        ("partner_channel_direction_unique", "UNIQUE(partner_id, channel, direction)", "One date per channel."),
    ]


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_last_contact_ids = fields.One2many(
        "crm.last.contact", "partner_id", string="Last Contacted per Channel", readonly=True
    )
    crm_touch_count_30 = fields.Integer(
        string="Touches (30 Days)",
        readonly=True,
        copy=False,
        help="Outreach that reached this contact (or the contacts of this client) in the last 30 days: "
        "calls, emails and messages in and out, meetings, done activities.",
    )
    crm_touch_count_90 = fields.Integer(
        string="Touches (90 Days)",
        readonly=True,
        copy=False,
        help="Outreach that reached this contact (or the contacts of this client) in the last 90 days.",
    )
    crm_outreach_ids = fields.One2many("crm.outreach", "partner_id", string="Outreach")
    crm_outreach_count = fields.Integer(string="Outreach Count", compute="_compute_crm_outreach_count")

    def _compute_crm_outreach_count(self):
        counts = dict.fromkeys(self.ids, 0)
        if self.ids and self.env["crm.outreach"].has_access("read"):
            Outreach = self.env["crm.outreach"]
            for partner, count in Outreach._read_group([("partner_id", "in", self.ids)], ["partner_id"], ["__count"]):
                counts[partner.id] += count
            for client, count in Outreach._read_group(
                [("client_id", "in", self.ids), ("partner_id", "not in", self.ids)], ["client_id"], ["__count"]
            ):
                counts[client.id] += count
        for partner in self:
            partner.crm_outreach_count = counts.get(partner.id, 0)

    # Last contacted -----------------------------------------------------------

    @api.model
    def _crm_register_touches(self, touches):
        """Record ``touches``, a list of ``(partner_id, channel, direction,
        date)``: the last contacted date per channel and direction of each
        partner and of its client, and the overall ``crm_last_contacted``.

        One statement for the whole batch: an upsert of the per-channel rows
        that only moves dates forward, and an update of the partners whose
        last contacted date it moves.
        """
        if not touches:
            return
        self.flush_model(["commercial_partner_id", "crm_last_contacted", "crm_inactive"])
        self.env["crm.last.contact"].flush_model()
        partner_ids, channels, directions, dates = (list(column) for column in zip(*touches, strict=True))
        self.env.cr.execute(
            SQL(
                """
                WITH touch AS (
                    SELECT * FROM unnest(%s::int[], %s::varchar[], %s::varchar[], %s::timestamp[])
                                  AS t(partner_id, channel, direction, date)
                ), target AS (
                    SELECT partner_id, channel, direction, max(date) AS date
                      FROM (SELECT partner_id, channel, direction, date FROM touch
                             UNION ALL
                            SELECT p.commercial_partner_id, t.channel, t.direction, t.date
                              FROM touch t
                              JOIN res_partner p ON p.id = t.partner_id
                             WHERE p.commercial_partner_id != p.id) AS rolled_up
                     GROUP BY partner_id, channel, direction
                ), upsert AS (
                    INSERT INTO crm_last_contact AS last (partner_id, channel, direction, date)
                    SELECT partner_id, channel, direction, date FROM target
                        ON CONFLICT (partner_id, channel, direction)
                        DO UPDATE SET date = EXCLUDED.date WHERE last.date < EXCLUDED.date
                )
                UPDATE res_partner p
                   SET crm_last_contacted = latest.date,
                       -- a new touch ends the inactive period (crm.inactivity.rule)
                       crm_inactive = FALSE, crm_inactive_since = NULL, crm_inactivity_rule_id = NULL
                  FROM (SELECT partner_id, max(date) AS date FROM target GROUP BY partner_id) AS latest
                 WHERE p.id = latest.partner_id
                   AND (p.crm_last_contacted IS NULL OR p.crm_last_contacted < latest.date)
                """,
                partner_ids,
                channels,
                directions,
                dates,
            )
        )
        self.invalidate_model(
            [
                "crm_last_contacted",
                "crm_last_contact_ids",
                "crm_inactive",
                "crm_inactive_since",
                "crm_inactivity_rule_id",
            ]
        )
        self.env["crm.last.contact"].invalidate_model()

    def _crm_register_inbound_touch(self, channel, date):
        """Entry point for a touch from these partners that is not an
        outreach record (an incoming email seen elsewhere, a portal visit):
        their last contacted date for ``channel`` (inbound) moves to
        ``date``. The contact frequency counts outreach only."""
        self._crm_register_touches([(partner.id, channel, "inbound", date) for partner in self])

    @api.model
    def _crm_touch_counts_query(self, now, partner_ids=None):
        """(partner, touches in 30 days, touches in 90 days) of the outreach
        of ``partner_ids`` (every partner touched in 90 days when None),
        contacts by their own outreach, clients by all of theirs."""
        since = {days: now - timedelta(days=days) for days in FREQUENCY_WINDOWS}
        partner_filter = SQL("AND partner_id = ANY(%s)", partner_ids) if partner_ids is not None else SQL()
        client_filter = SQL("AND client_id = ANY(%s)", partner_ids) if partner_ids is not None else SQL()
        return SQL(
            """
            SELECT pid, count(*) FILTER (WHERE date >= %s) AS n30, count(*) AS n90
              FROM (SELECT partner_id AS pid, date FROM crm_outreach
                     WHERE partner_id IS NOT NULL AND date >= %s AND outcome IN %s %s
                     UNION ALL
                    SELECT client_id, date FROM crm_outreach
                     WHERE client_id IS NOT NULL AND client_id IS DISTINCT FROM partner_id
                       AND date >= %s AND outcome IN %s %s) AS touch
             GROUP BY pid
            """,
            since[30],
            since[90],
            TOUCH_OUTCOMES,
            partner_filter,
            since[90],
            TOUCH_OUTCOMES,
            client_filter,
        )

    @api.model
    def _crm_refresh_touch_counts(self, partner_ids=None, now=None):
        """Count again the touches of the last 30 and 90 days of
        ``partner_ids``, or of every partner with touches (the daily sweep,
        as touches age out of the windows), in one statement. Returns the
        number of partners whose figures changed."""
        if partner_ids is not None and not partner_ids:
            return 0
        now = now or fields.Datetime.now()
        self.env["crm.outreach"].flush_model()
        self.flush_model(["crm_touch_count_30", "crm_touch_count_90"])
        counts = self._crm_touch_counts_query(now, partner_ids)
        if partner_ids is not None:
            candidates = SQL("SELECT unnest(%s::int[]) AS id", list(partner_ids))
        else:
            candidates = SQL(
                "SELECT id FROM res_partner WHERE crm_touch_count_90 > 0 UNION SELECT pid FROM (%s) AS counted",
                counts,
            )
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner p
                   SET crm_touch_count_30 = COALESCE(c.n30, 0), crm_touch_count_90 = COALESCE(c.n90, 0)
                  FROM (%s) AS candidate
                  LEFT JOIN (%s) AS c ON c.pid = candidate.id
                 WHERE p.id = candidate.id
                   AND (COALESCE(p.crm_touch_count_30, 0) != COALESCE(c.n30, 0)
                        OR COALESCE(p.crm_touch_count_90, 0) != COALESCE(c.n90, 0))
                """,
                candidates,
                counts,
            )
        )
        self.invalidate_model(["crm_touch_count_30", "crm_touch_count_90"])
        return self.env.cr.rowcount

    @api.model
    def _crm_mark_touch_counts(self, partner_ids):
        """Refresh the counts of ``partner_ids`` before the transaction
        commits (or the next ``cr.flush()``), in one statement for all."""
        partner_ids = {pid for pid in partner_ids if pid}
        if not partner_ids:
            return
        precommit = self.env.cr.precommit
        if PENDING_COUNTS not in precommit.data:
            precommit.data[PENDING_COUNTS] = set()
            env = self.env

            def refresh():
                pending = precommit.data.pop(PENDING_COUNTS, set())
                Partner = env["res.partner"].sudo().with_context(active_test=False)
                Partner._crm_refresh_touch_counts(list(Partner.browse(pending).exists().ids))

            precommit.add(refresh)
        precommit.data[PENDING_COUNTS].update(partner_ids)

    @api.model
    def _crm_rebuild_touch_counts(self, now=None):
        """Count every partner's touches again (install, upgrade, a repair
        after SQL writes that bypassed the ORM) and start the daily sweeps
        from ``now``."""
        now = now or fields.Datetime.now()
        changed = self._crm_refresh_touch_counts(now=now)
        self.env["ir.config_parameter"].sudo().set_param(SWEPT_AT_PARAM, fields.Datetime.to_string(now))
        return changed

    @api.model
    def _cron_crm_contact_frequency(self, now=None):
        """Daily: touches older than 30 or 90 days leave the frequency.

        Incremental: a count only rises when a touch arrives, and every
        arrival refreshes its partners' counts (crm.outreach create and
        write); it only falls when a touch leaves (crm.outreach write and
        unlink refresh, also for the outreach a deleted contact or deal takes
        along, a recomputed client marks, ``_crm_mark_touch_counts``) or ages out of a window. So since the
        last sweep, the only counts that went stale are those of the
        partners with a touch dated in the part of a window that slid past:
        ``[last sweep - days, now - days)``. Without a last sweep, or after
        more than 90 days, everything is counted again. Returns the number
        of partners whose counts changed."""
        now = now or fields.Datetime.now()
        Param = self.env["ir.config_parameter"].sudo()
        swept_at = fields.Datetime.to_datetime(Param.get_param(SWEPT_AT_PARAM) or False)
        if not swept_at or swept_at > now or now - swept_at > timedelta(days=max(FREQUENCY_WINDOWS)):
            return self._crm_rebuild_touch_counts(now)
        self.env["crm.outreach"].flush_model()
        slid = SQL(" OR ").join(
            SQL("(date >= %s AND date < %s)", swept_at - timedelta(days=days), now - timedelta(days=days))
            for days in FREQUENCY_WINDOWS
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id FROM crm_outreach WHERE partner_id IS NOT NULL AND outcome IN %s AND (%s)
                 UNION
                SELECT client_id FROM crm_outreach WHERE client_id IS NOT NULL AND outcome IN %s AND (%s)
                """,
                TOUCH_OUTCOMES,
                slid,
                TOUCH_OUTCOMES,
                slid,
            )
        )
        changed = self._crm_refresh_touch_counts([row[0] for row in self.env.cr.fetchall()], now=now)
        Param.set_param(SWEPT_AT_PARAM, fields.Datetime.to_string(now))
        return changed

    def unlink(self):
        # their outreach goes first, through the ORM (crm.outreach._crm_take_along)
        self.check_access("unlink")
        self.env["crm.outreach"]._crm_take_along(self)
        return super().unlink()

    # Actions --------------------------------------------------------------------

    def action_crm_log_outreach(self):
        self.ensure_one()
        channel = self.env.context.get("crm_outreach_channel") or "call"
        return self.env["crm.outreach"]._crm_log_action(channel, partner=self)

    def action_crm_view_outreach(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_client_suite.action_crm_outreach")
        action["domain"] = ["|", ("partner_id", "=", self.id), ("client_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
