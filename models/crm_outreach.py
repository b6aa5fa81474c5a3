from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .res_partner import CONTACT_CHANNELS

# Outreach reaches people through the contact channels, and in person.
OUTREACH_CHANNELS = [*CONTACT_CHANNELS, ("meeting", "Meeting")]
OUTREACH_DIRECTIONS = [("outbound", "Outbound"), ("inbound", "Inbound")]
OUTREACH_OUTCOMES = [
    ("planned", "Planned"),
    ("done", "Done"),
    ("no_answer", "No Answer"),
    ("replied", "Replied"),
    ("bounced", "Bounced"),
    ("meeting_booked", "Meeting Booked"),
    ("not_interested", "Not Interested"),
]
# Outcomes in which the contact was reached: they are touches, and update
# the last contacted dates and the contact frequency. A planned outreach has
# not happened yet; a call without answer or a bounced email reached nobody.
TOUCH_OUTCOMES = ("done", "replied", "meeting_booked", "not_interested")
# What a done outreach may still receive from the add-on itself: an empty
# contact filled in when its lead is converted (crm.lead).
FILLABLE_WHEN_DONE = frozenset({"partner_id"})


class CrmOutreach(models.Model):
    """One attempt to reach a client or contact, or one contact from them.

    People log what they did by hand ("Log a call" on a contact, client or
    deal); the add-on logs emails in and out, done activities and automation
    steps. Each event has a key (``event_key``, e.g. ``mail.message:42``):
    an event arriving by several paths is recorded once, the later paths
    only completing what the first one left empty (``create``).

    Done outreach is part of the audit trail: only Admins change it.
    """

    _name = "crm.outreach"
    _description = "Outreach"
    _order = "date desc, id desc"
    _rec_name = "summary"

    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    channel = fields.Selection(OUTREACH_CHANNELS, required=True, default="email", index=True)
    direction = fields.Selection(OUTREACH_DIRECTIONS, required=True, default="outbound")
    outcome = fields.Selection(OUTREACH_OUTCOMES, required=True, default="planned", index=True)
    duration = fields.Float(help="Duration of the call or meeting, in hours.")
    summary = fields.Char(required=True)
    partner_id = fields.Many2one("res.partner", string="Contact", index=True, ondelete="cascade")
    client_id = fields.Many2one(
        "res.partner",
        compute="_compute_client_id",
        store=True,
        precompute=True,
        index="btree_not_null",
        help="The client of the contact, else of the deal.",
    )
    lead_id = fields.Many2one("crm.lead", string="Deal", index="btree_not_null", ondelete="cascade")
    user_id = fields.Many2one("res.users", string="Responsible", default=lambda self: self.env.user, index=True)
    automation_run_id = fields.Many2one("crm.automation.run", index="btree_not_null", ondelete="set null")
    source_id = fields.Many2one("utm.source")
    medium_id = fields.Many2one("utm.medium")
    campaign_id = fields.Many2one("utm.campaign", index="btree_not_null")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, index=True)
    event_key = fields.Char(
        readonly=True,
        copy=False,
        help="Identifies the event this outreach records (an email, a done activity), "
        "so that it is counted once whichever way it arrives.",
    )
    is_touch = fields.Boolean(compute="_compute_is_touch", string="Reached")
    locked = fields.Boolean(
        compute="_compute_locked", help="Done outreach is part of the audit trail: only Admins change it."
    )

    _sql_constraints = [  # noqa: RUF012
        ("event_key_unique", "UNIQUE(event_key)", "This event is already recorded as outreach."),
    ]

    @api.depends("partner_id.commercial_partner_id", "lead_id.partner_id.commercial_partner_id")
    def _compute_client_id(self):
        for outreach in self:
            contact = outreach.partner_id or outreach.lead_id.partner_id
            outreach.client_id = contact.commercial_partner_id

    @api.depends("outcome")
    def _compute_is_touch(self):
        for outreach in self:
            outreach.is_touch = outreach.outcome in TOUCH_OUTCOMES

    @api.depends("outcome")
    @api.depends_context("uid")
    def _compute_locked(self):
        admin = self.env.user.has_group("crm_client_suite.group_admin")
        for outreach in self:
            outreach.locked = not admin and outreach._origin.outcome not in (False, "planned")

    @api.onchange("lead_id")
    def _onchange_lead_id(self):
        if self.lead_id.partner_id and not self.partner_id:
            self.partner_id = self.lead_id.partner_id
        if self.lead_id and not self.campaign_id:
            self.campaign_id = self.lead_id.campaign_id
            self.source_id = self.source_id or self.lead_id.source_id
            self.medium_id = self.medium_id or self.lead_id.medium_id

    # CRUD ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """Record the events of ``vals_list``, each once.

        An ``event_key`` already recorded (or repeated in the batch) creates
        nothing: the existing outreach receives the values it lacked (the
        automation run of an email also seen as a message, say) and is
        returned in its place.

        Event keys are the add-on's own bookkeeping (its paths run as sudo):
        a key given by anyone else is dropped, so nobody reaches another's
        outreach through a guessed key or plants one for a future email.
        """
        if not self.env.su:
            vals_list = [{k: v for k, v in vals.items() if k != "event_key"} for vals in vals_list]
        keys = [vals.get("event_key") for vals in vals_list]
        existing = {}
        if any(keys):
            for outreach in self.sudo().search([("event_key", "in", [key for key in keys if key])]):
                existing[outreach.event_key] = outreach
        new_vals, seen = [], set()
        for vals, key in zip(vals_list, keys, strict=True):
            if key and (key in existing or key in seen):
                continue
            seen.add(key)
            new_vals.append(vals)
        created = super().create(new_vals)
        by_key = {outreach.event_key: outreach for outreach in created if outreach.event_key}
        by_key.update(existing)
        for vals, key in zip(vals_list, keys, strict=True):
            if key in existing:
                existing[key]._crm_complete(vals)
        created._crm_register_touches()
        result, fresh, taken = [], iter(created), set()
        for key in keys:
            if key and (key in existing or key in taken):
                result.append(by_key[key].id)
            else:
                taken.add(key)
                result.append(next(fresh).id)
        return self.browse(result)

    def _crm_complete(self, vals):
        """Fill in what this outreach lacks from ``vals`` of another path of
        the same event (bookkeeping: done outreach included)."""
        self.ensure_one()
        missing = {
            fname: value
            for fname, value in vals.items()
            if fname in self._fields and self._fields[fname].type == "many2one" and value and not self[fname]
        }
        if missing:
            self.sudo().write(missing)

    def write(self, vals):
        if "event_key" in vals and not self.env.su:
            raise AccessError(self.env._("The event of an outreach is recorded by the add-on and cannot be changed."))
        self._crm_check_editable(vals)
        touched = self.filtered(lambda outreach: outreach.outcome in TOUCH_OUTCOMES)
        res = super().write(vals)
        if {"outcome", "date", "channel", "direction", "partner_id", "lead_id"} & vals.keys():
            # Last contacted dates only move forward; the frequency is counted
            # again, for the partners the outreach left too.
            self._crm_register_touches(also=touched.partner_id | touched.client_id)
        return res

    def unlink(self):
        self._crm_check_editable()
        partners = self.partner_id | self.client_id
        res = super().unlink()
        self.env["res.partner"]._crm_refresh_touch_counts(partners.ids)
        return res

    def _write_multi(self, vals_list):
        # The client is a stored compute: a contact moving to another client
        # (or a deal's contact changing) rewrites it here, not through write().
        moved = self.ids if any("client_id" in vals for vals in vals_list) else []
        if moved:
            self.env.cr.execute(
                SQL("SELECT client_id FROM crm_outreach WHERE id = ANY(%s) AND outcome IN %s", moved, TOUCH_OUTCOMES)
            )
            old_clients = [row[0] for row in self.env.cr.fetchall()]
        res = super()._write_multi(vals_list)
        if moved:
            new_clients = [vals["client_id"] for vals in vals_list if vals.get("client_id")]
            self.env["res.partner"]._crm_mark_touch_counts(old_clients + new_clients)
        return res

    def _crm_check_editable(self, vals=None):
        """Done outreach is audit trail: Admins only. Planned outreach is its
        owner's (and Admins'). The add-on's own bookkeeping runs as sudo."""
        if self.env.su or self.env.user.has_group("crm_client_suite.group_admin"):
            return
        # The access rights and record rules refuse first, with their own words.
        self.check_access("write" if vals is not None else "unlink")
        for outreach in self:
            if outreach.outcome != "planned":
                if vals is not None and vals.keys() <= FILLABLE_WHEN_DONE and not outreach.partner_id:
                    continue
                raise AccessError(
                    self.env._(
                        "Outreach %(summary)s is done and part of the audit trail: only Admins can change it.",
                        summary=outreach.summary,
                    )
                )
            if outreach.user_id != self.env.user:
                raise AccessError(
                    self.env._(
                        "Planned outreach %(summary)s belongs to %(owner)s: only its owner or an Admin can change it.",
                        summary=outreach.summary,
                        owner=outreach.user_id.name or self.env._("nobody"),
                    )
                )

    @api.model
    def _crm_check_contact_unlink(self, partners):
        """Deleting a contact takes its outreach along (cascade): its done
        outreach is audit trail, so only Admins may. (Deals are deleted by
        Admins only: stock gives the right to Sales administrators, whom the
        add-on makes Admins.)"""
        if self.env.su or not partners or self.env.user.has_group("crm_client_suite.group_admin"):
            return
        done = self.sudo().search([("partner_id", "in", partners.ids), ("outcome", "!=", "planned")], limit=1)
        if done:
            raise UserError(
                self.env._(
                    "%(name)s has done outreach, which is part of the audit trail: archive it instead, "
                    "or ask an Admin to delete it.",
                    name=done.partner_id.display_name,
                )
            )

    @api.model
    def _crm_take_along(self, records):
        """Before deleting ``records`` (contacts or deals): delete their
        outreach through the ORM, as the database would (cascade), so that
        its upkeep runs once, the same as for one deleted outreach (the touch
        counts, the stored replies). A contact's done outreach is audit
        trail: its deletion is checked first. (The outreach of a deleted
        client's contacts stays: the ORM recomputes its client.)"""
        column = "partner_id" if records._name == "res.partner" else "lead_id"
        if column == "partner_id":
            self._crm_check_contact_unlink(records)
        self.sudo().search([(column, "in", records.ids)]).unlink()

    # Last contacted -----------------------------------------------------------

    def _crm_register_touches(self, also=None):
        """Update the last contacted dates and the contact frequency of the
        contacts and clients of the touches in self, in a few queries for the
        whole batch (res.partner._crm_register_touches)."""
        touches = self.filtered(lambda outreach: outreach.outcome in TOUCH_OUTCOMES and outreach.partner_id)
        Partner = self.env["res.partner"]
        Partner._crm_register_touches(
            [
                (outreach.partner_id.id, outreach.channel, outreach.direction, outreach.date)
                for outreach in touches.sudo()
            ]
        )
        Partner._crm_refresh_touch_counts((self.sudo().partner_id | self.sudo().client_id | (also or Partner)).ids)

    # Actions --------------------------------------------------------------------

    @api.model
    def _crm_log_action(self, channel, partner=None, lead=None):
        """The "Log a call" (email, message...) form of a contact, client or deal."""
        partner = partner or (lead.partner_id if lead else self.env["res.partner"])
        labels = dict(self._fields["channel"]._description_selection(self.env))
        context = {
            "default_channel": channel,
            "default_direction": "outbound",
            "default_outcome": "done",
            "default_partner_id": partner.id,
            "default_lead_id": lead.id if lead else False,
            "default_campaign_id": lead.campaign_id.id if lead else False,
            "default_source_id": lead.source_id.id if lead else partner.source_id.id,
            "default_medium_id": lead.medium_id.id if lead else partner.medium_id.id,
        }
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log: %(channel)s", channel=labels[channel]),
            "res_model": "crm.outreach",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": context,
        }
