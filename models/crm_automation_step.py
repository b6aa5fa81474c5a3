from datetime import timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import html_escape
from odoo.tools.safe_eval import safe_eval

from ..exceptions import CrmAutomationStepError
from .crm_custom_field import text_to_value
from .crm_outreach_sources import message_event_key
from .res_partner import CONTACT_CHANNELS

DELAY_UNITS = [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days"), ("weeks", "Weeks")]

STEP_ACTIONS = [
    ("email", "Send Email"),
    ("activity", "Schedule Activity"),
    ("outreach", "Log Outreach Task"),
    ("stage", "Move Deal to Stage"),
    ("assign", "Assign Salesperson or Team"),
    ("tags", "Add or Remove Tags"),
    ("set_field", "Set a Field"),
    ("notify", "Notify Users"),
    ("wait", "Wait Until Condition"),
    ("start", "Start Another Pipeline"),
]

# Field types a "set a field" step can write (text_to_value converts the text).
SETTABLE_TYPES = (
    "char",
    "text",
    "html",
    "integer",
    "float",
    "monetary",
    "boolean",
    "date",
    "datetime",
    "selection",
    "many2one",
)

# A waiting run looks at its condition again after this long.
WAIT_POLL = timedelta(minutes=15)


class CrmAutomationStep(models.Model):
    _name = "crm.automation.step"
    _description = "Automation Pipeline Step"
    _order = "sequence, id"

    automation_id = fields.Many2one("crm.automation", string="Pipeline", required=True, ondelete="cascade", index=True)
    target_model = fields.Selection(related="automation_id.target_model")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    delay = fields.Integer(help="How long to wait after the previous step (or the enrolment).")
    delay_unit = fields.Selection(DELAY_UNITS, required=True, default="days")
    business_hours = fields.Boolean(
        string="Business Hours Only",
        help="When the delay ends outside the pipeline's business hours, wait for the next working hour.",
    )
    action = fields.Selection(STEP_ACTIONS, required=True, default="activity")
    # email
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain="[('model', '=', target_model)]",
        ondelete="restrict",
    )
    # activity
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        default=lambda self: self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False),
    )
    activity_summary = fields.Char(string="Summary")
    activity_assignee = fields.Selection(
        [("owner", "The record's salesperson"), ("user", "A given user")],
        string="Assign To",
        default="owner",
    )
    activity_user_id = fields.Many2one("res.users", string="User", domain=[("share", "=", False)])
    activity_deadline_days = fields.Integer(string="Due In (days)")
    # outreach
    outreach_channel = fields.Selection(CONTACT_CHANNELS, string="Channel", default="call")
    # stage
    stage_id = fields.Many2one("crm.stage")
    # assign
    assign_mode = fields.Selection(
        [("fixed", "A given salesperson"), ("round_robin", "Round robin among the team")],
        default="fixed",
    )
    assign_user_id = fields.Many2one("res.users", string="Salesperson", domain=[("share", "=", False)])
    assign_team_id = fields.Many2one("crm.team", string="Team")
    # tags
    tag_operation = fields.Selection([("add", "Add"), ("remove", "Remove")], default="add")
    partner_category_ids = fields.Many2many("res.partner.category", string="Contact Tags")
    lead_tag_ids = fields.Many2many("crm.tag", string="Deal Tags")
    # set a field
    field_id = fields.Many2one(
        "ir.model.fields",
        domain=f"[('model', '=', target_model), ('store', '=', True), ('readonly', '=', False), "
        f"('ttype', 'in', {list(SETTABLE_TYPES)})]",
        ondelete="cascade",
    )
    field_value = fields.Char(
        string="Value",
        help="Text form of the value: 42, 3.5, true, 2025-01-31, a selection key or a record id or name.",
    )
    # notify
    notify_user_ids = fields.Many2many("res.users", string="Users to Notify", domain=[("share", "=", False)])
    notify_body = fields.Text(string="Message")
    # wait
    wait_domain = fields.Char(string="Condition", default="[]")
    wait_timeout = fields.Integer(string="Timeout", default=7)
    wait_timeout_unit = fields.Selection(DELAY_UNITS, default="days")
    wait_timeout_action = fields.Selection(
        [("continue", "Go on with the next step"), ("exit", "Exit the pipeline")],
        string="On Timeout",
        default="continue",
    )
    # start another pipeline
    next_automation_id = fields.Many2one(
        "crm.automation",
        string="Pipeline to Start",
        domain="[('target_model', '=', target_model), ('id', '!=', automation_id)]",
    )
    description = fields.Char(string="What It Does", compute="_compute_description")

    # ------------------------------------------------------------------
    # The actions. Each action has four methods, found by name as
    # ir.actions.server finds _run_action_<state>:
    #   _check_<action>()                raise CrmAutomationStepError when misconfigured
    #   _describe_<action>()             the detail shown after the action's label, or ""
    #   _preview_<action>(record)        one sentence: what the step would do to record
    #   _execute_<action>(runs, records) do it; return {run id: (result, message)}
    # An add-on adds an action with selection_add on ``action``, its fields,
    # their names in _get_action_fields() and these four methods.
    # ------------------------------------------------------------------

    @api.model
    def _get_action_fields(self):
        """{action: the fields it uses}: reset when a step leaves the action."""
        return {
            "email": ("mail_template_id",),
            "activity": (
                "activity_type_id",
                "activity_summary",
                "activity_assignee",
                "activity_user_id",
                "activity_deadline_days",
            ),
            "outreach": ("outreach_channel",),
            "stage": ("stage_id",),
            "assign": ("assign_mode", "assign_user_id", "assign_team_id"),
            "tags": ("tag_operation", "partner_category_ids", "lead_tag_ids"),
            "set_field": ("field_id", "field_value"),
            "notify": ("notify_user_ids", "notify_body"),
            "wait": ("wait_domain", "wait_timeout", "wait_timeout_unit", "wait_timeout_action"),
            "start": ("next_automation_id",),
        }

    def _action_field_names(self):
        return list(dict.fromkeys(fname for fnames in self._get_action_fields().values() for fname in fnames))

    def _action_method(self, kind):
        return getattr(self, f"_{kind}_{self.action}")

    def _selection_label(self, fname, value=None):
        """The translated label of a selection field's value (the step's own by default)."""
        self.ensure_one()
        value = self[fname] if value is None else value
        return dict(self._fields[fname]._description_selection(self.env)).get(value, value or "")

    # ------------------------------------------------------------------
    # Changing the action
    # ------------------------------------------------------------------

    def _action_reset_values(self, action):
        """Values that clear the fields of every action but ``action`` (defaults where set)."""
        keep = set(self._get_action_fields().get(action, ()))
        names = [fname for fname in self._action_field_names() if fname not in keep]
        defaults = self.default_get(names)
        return {
            fname: defaults.get(fname, [Command.clear()] if self._fields[fname].type == "many2many" else False)
            for fname in names
        }

    @api.onchange("action")
    def _onchange_action(self):
        for step in self:
            step.update(step._action_reset_values(step.action))

    def write(self, vals):
        if "action" in vals:
            changed = self.filtered(lambda step: step.action != vals["action"])
            if changed:
                reset = {k: v for k, v in self._action_reset_values(vals["action"]).items() if k not in vals}
                super(CrmAutomationStep, changed).write({**reset, **vals})
                return super(CrmAutomationStep, self - changed).write(vals) if self - changed else True
        return super().write(vals)

    # ------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------

    @api.constrains(lambda self: ("action", "delay", "wait_timeout", *self._action_field_names()))
    def _check_action(self):
        for step in self.sudo():
            if step.delay < 0 or step.wait_timeout < 0:
                raise CrmAutomationStepError(self.env._("Delays and timeouts cannot be negative."))
            step._action_method("check")()

    def _raise_incomplete(self):
        raise CrmAutomationStepError(
            self.env._("Step %(step)s is incomplete: fill in the fields of its action.", step=self.name)
        )

    def _check_email(self):
        if not self.mail_template_id:
            self._raise_incomplete()
        if self.mail_template_id.model != self.automation_id.target_model:
            raise CrmAutomationStepError(
                self.env._("The email template of step %(step)s must apply to the pipeline's records.", step=self.name)
            )

    def _check_activity(self):
        if not self.activity_type_id or (self.activity_assignee == "user" and not self.activity_user_id):
            self._raise_incomplete()

    def _check_outreach(self):
        if not self.outreach_channel:
            self._raise_incomplete()

    def _check_stage(self):
        if not self.stage_id:
            self._raise_incomplete()
        if self.automation_id.target_model != "crm.lead":
            raise CrmAutomationStepError(self.env._("Only pipelines applied to deals can move a deal to a stage."))

    def _check_assign(self):
        if (self.assign_mode == "fixed" and not self.assign_user_id) or (
            self.assign_mode == "round_robin" and not self.assign_team_id
        ):
            self._raise_incomplete()

    def _check_tags(self):
        return

    def _check_set_field(self):
        if not self.field_id:
            self._raise_incomplete()
        if self.field_id.model != self.automation_id.target_model or self.field_id.ttype not in SETTABLE_TYPES:
            raise CrmAutomationStepError(
                self.env._("Step %(step)s cannot set the field %(field)s.", step=self.name, field=self.field_id.name)
            )
        self._converted_value(self.env(user=self.automation_id.user_id, su=False))

    def _check_notify(self):
        return

    def _check_wait(self):
        target = self.automation_id.target_model
        try:
            # Only the syntax is checked here; the condition itself is evaluated as Runs As.
            self.env[target].sudo().search_count(safe_eval(self.wait_domain or "[]"), limit=1)
        except Exception as e:
            raise CrmAutomationStepError(
                self.env._("The condition of step %(step)s is not valid: %(error)s", step=self.name, error=e)
            ) from e

    def _check_start(self):
        if not self.next_automation_id:
            self._raise_incomplete()
        if (
            self.next_automation_id.target_model != self.automation_id.target_model
            or self.next_automation_id == self.automation_id
        ):
            raise CrmAutomationStepError(
                self.env._("Step %(step)s must start another pipeline applied to the same records.", step=self.name)
            )

    def _converted_value(self, env=None):
        """The step's text value converted for its field, records looked up in ``env``
        (the Runs As user's); CrmAutomationStepError if it does not fit."""
        self.ensure_one()
        env = env or self.env
        field = env[self.field_id.model]._fields[self.field_id.name]
        try:
            return text_to_value(env, field, self.field_value)
        except ValueError as e:
            raise CrmAutomationStepError(
                self.env._(
                    "%(value)s is not a valid value for the field %(field)s of step %(step)s.",
                    value=(self.field_value or "").strip(),
                    field=self.field_id.field_description,
                    step=self.name,
                )
            ) from e

    # ------------------------------------------------------------------
    # Descriptions
    # ------------------------------------------------------------------

    @api.depends(lambda self: ("action", *self._action_field_names()))
    @api.depends_context("lang")
    def _compute_description(self):
        for step in self:
            label = step._selection_label("action")
            detail = step._action_method("describe")() if step.action else ""
            step.description = f"{label}: {detail}" if detail else label

    def _describe_email(self):
        return self.mail_template_id.name

    def _describe_activity(self):
        return self.activity_type_id.name

    def _describe_outreach(self):
        return self._selection_label("outreach_channel")

    def _describe_stage(self):
        return self.stage_id.name

    def _describe_assign(self):
        if self.assign_mode == "fixed":
            return self.assign_user_id.name
        return self.env._("round robin in %(team)s", team=self.assign_team_id.name)

    def _describe_tags(self):
        return ", ".join(self.partner_category_ids.mapped("name") + self.lead_tag_ids.mapped("name"))

    def _describe_set_field(self):
        return self.field_id and f"{self.field_id.field_description} = {self.field_value or ''}"

    def _describe_notify(self):
        return ", ".join(self.notify_user_ids.mapped("name"))

    def _describe_wait(self):
        return self.wait_domain

    def _describe_start(self):
        return self.next_automation_id.name

    # ------------------------------------------------------------------
    # Timing
    # ------------------------------------------------------------------

    def _delta(self, amount, unit):
        return relativedelta(**{unit: amount or 0})

    def _due_after(self, start):
        """When this step is due if the previous one ran (or enrolment happened) at ``start``."""
        self.ensure_one()
        due = start + self._delta(self.delay, self.delay_unit)
        calendar = self.automation_id.calendar_id
        if self.business_hours and calendar:
            working = calendar.plan_hours(0, due, compute_leaves=True)
            if working:
                due = working
        return due

    def _next_step(self):
        self.ensure_one()
        steps = self.automation_id.step_ids
        index = list(steps).index(self)
        return steps[index + 1] if index + 1 < len(steps) else steps.browse()

    # ------------------------------------------------------------------
    # Execution. Each _execute_<action> receives the runs (all on this step)
    # and their records, seen with the rights of the pipeline's "Runs As"
    # user, and returns {run id: (result, message)}; it may raise. Messages
    # are written in the Runs As user's language.
    # ------------------------------------------------------------------

    def _execute(self, runs):
        self.ensure_one()
        user = self.automation_id.user_id
        step = self.with_context(lang=user.lang or self.env.context.get("lang"))
        records = runs._get_records().with_user(user).with_context(lang=step.env.context.get("lang"))
        return step._action_method("execute")(runs, records)

    def _activity_user(self, record):
        """Who gets the activity of this step on ``record``."""
        if self.activity_assignee == "user":
            return self.activity_user_id
        return record.user_id or self.automation_id.user_id

    def _wait_holding(self, records):
        """The part of ``records`` meeting the wait condition, as the user of ``records``' env."""
        domain = safe_eval(self.wait_domain or "[]")
        return records.search([("id", "in", records.ids), *domain])

    @staticmethod
    def _contact_of(record):
        return record._crm_automation_contact()

    def _log_outreach(self, runs, records, channel, outcome, summary, event_keys=None):
        """Outreach of this step for each run; ``event_keys`` (by record id)
        name the events already recorded another way (the emails' messages),
        so that each is counted once."""
        vals = []
        event_keys = event_keys or {}
        for run, record in zip(runs, records, strict=True):
            contact = self._contact_of(record)
            vals.append(
                {
                    "event_key": event_keys.get(record.id, False),
                    "channel": channel,
                    "direction": "outbound",
                    "outcome": outcome,
                    "summary": summary,
                    "partner_id": contact.id,
                    "lead_id": record.id if record._name == "crm.lead" else False,
                    "user_id": (record.user_id or self.automation_id.user_id).id,
                    "automation_run_id": run.id,
                }
            )
        return self.env["crm.outreach"].sudo().create(vals)

    def _execute_email(self, runs, records):
        results, ok_runs, ok_records = {}, runs.browse(), records.browse()
        for run, record in zip(runs, records, strict=True):
            contact = self._contact_of(record)
            if not contact:
                results[run.id] = ("skipped", self.env._("No contact to email."))
            elif not contact.sudo()._crm_may_contact("email"):
                results[run.id] = (
                    "skipped",
                    self.env._(
                        "%(contact)s may not be emailed (no address, do not email or blacklisted).",
                        contact=contact.display_name,
                    ),
                )
            else:
                ok_runs |= run
                ok_records |= record
        if ok_records:
            messages = self._queue_templated_emails(ok_records).mail_message_id
            event_keys = {message.res_id: message_event_key(message) for message in messages}
            self._log_outreach(ok_runs, ok_records, "email", "done", self.mail_template_id.name, event_keys)
            message = self.env._("Email %(template)s queued.", template=self.mail_template_id.name)
            for run in ok_runs:
                results[run.id] = ("done", message)
        return results

    def _queue_templated_emails(self, records):
        """Send the template to all ``records`` through Odoo's mail composer in mass mode.

        The composer renders the template for the whole batch and queues one
        email each, written by the pipeline's Runs As user. Each email is a
        message of the record's thread (threaded: replies come back to the
        record and exit the run on reply), and the records'
        _message_mail_after_hook sees them (last contacted).
        """
        user = self.automation_id.user_id
        composer = (
            self.env["mail.compose.message"]
            .with_user(user)
            .with_context(mail_notify_force_send=False, active_test=False)
            .create(
                {
                    "composition_mode": "mass_mail",
                    "model": records._name,
                    "res_ids": str(records.ids),
                    "template_id": self.mail_template_id.id,
                    "author_id": user.partner_id.id,
                    "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment"),
                    "force_send": False,
                }
            )
        )
        mails, _messages = composer._action_send_mail()
        return mails

    def _execute_activity(self, runs, records):
        deadline = fields.Date.context_today(self) + timedelta(days=self.activity_deadline_days)
        model_id = self.env["ir.model"]._get_id(records._name)
        vals = []
        for record in records:
            user = self._activity_user(record)
            vals.append(
                {
                    "res_model_id": model_id,
                    "res_id": record.id,
                    "activity_type_id": self.activity_type_id.id,
                    "summary": self.activity_summary or self.name,
                    "user_id": user.id,
                    "date_deadline": deadline,
                    "automated": True,
                }
            )
        self.env["mail.activity"].with_user(self.automation_id.user_id).create(vals)
        message = self.env._("Activity %(type)s scheduled.", type=self.activity_type_id.name)
        return {run.id: ("done", message) for run in runs}

    def _execute_outreach(self, runs, records):
        results, ok_runs, ok_records = {}, runs.browse(), records.browse()
        for run, record in zip(runs, records, strict=True):
            contact = self._contact_of(record)
            if contact and not contact.sudo()._crm_may_contact(self.outreach_channel):
                results[run.id] = (
                    "skipped",
                    self.env._("%(contact)s may not be contacted this way.", contact=contact.display_name),
                )
            else:
                ok_runs |= run
                ok_records |= record
        if ok_records:
            self._log_outreach(ok_runs, ok_records, self.outreach_channel, "planned", self.name)
            channel = self._selection_label("outreach_channel")
            body = Markup("<p>%s</p>") % self.env._(
                "Automation %(pipeline)s: %(channel)s task %(task)s planned.",
                pipeline=self.automation_id.name,
                channel=channel,
                task=self.name,
            )
            ok_records._message_log_batch(bodies=dict.fromkeys(ok_records.ids, body))
            for run in ok_runs:
                results[run.id] = ("done", self.env._("%(channel)s task planned.", channel=channel))
        return results

    def _execute_stage(self, runs, records):
        records.write({"stage_id": self.stage_id.id})
        message = self.env._("Moved to %(stage)s.", stage=self.stage_id.name)
        return {run.id: ("done", message) for run in runs}

    def _execute_assign(self, runs, records):
        results = {}
        if self.assign_mode == "fixed":
            vals = {"user_id": self.assign_user_id.id}
            if self.assign_team_id:
                vals["team_id"] = self.assign_team_id.id
            records.write(vals)
            message = self.env._("Assigned to %(user)s.", user=self.assign_user_id.name)
            return {run.id: ("done", message) for run in runs}
        members = self.assign_team_id.member_ids.sorted("id")
        if not members:
            message = self.env._("The team %(team)s has no member.", team=self.assign_team_id.name)
            return {run.id: ("skipped", message) for run in runs}
        # Stateless round robin on the run id: balanced, and safe when several
        # workers process runs of the same step at once.
        by_user = {}
        for run, record in zip(runs, records, strict=True):
            user = members[run.id % len(members)]
            by_user.setdefault(user, records.browse())
            by_user[user] |= record
            results[run.id] = ("done", self.env._("Assigned to %(user)s.", user=user.name))
        for user, group in by_user.items():
            group.write({"user_id": user.id, "team_id": self.assign_team_id.id})
        return results

    def _execute_tags(self, runs, records):
        tags = self.partner_category_ids if records._name == "res.partner" else self.lead_tag_ids
        fname = "category_id" if records._name == "res.partner" else "tag_ids"
        command = Command.link if self.tag_operation == "add" else Command.unlink
        records.write({fname: [command(tag.id) for tag in tags]})
        names = ", ".join(tags.mapped("name"))
        if self.tag_operation == "add":
            message = self.env._("Tags added: %(tags)s.", tags=names)
        else:
            message = self.env._("Tags removed: %(tags)s.", tags=names)
        body = Markup("<p>%s</p>") % message
        records._message_log_batch(bodies=dict.fromkeys(records.ids, body))
        return {run.id: ("done", message) for run in runs}

    def _execute_set_field(self, runs, records):
        value = self._converted_value(records.env)
        records.write({self.field_id.name: value})
        message = self.env._(
            "%(field)s set to %(value)s.", field=self.field_id.field_description, value=self.field_value or ""
        )
        return {run.id: ("done", message) for run in runs}

    def _execute_notify(self, runs, records):
        partners = self.notify_user_ids.partner_id
        mentions = Markup(" ").join(
            Markup('<a href="#" data-oe-model="res.partner" data-oe-id="%s">@%s</a>') % (partner.id, partner.name)
            for partner in partners
        )
        body = Markup("<p>%s %s</p>") % (mentions, self.notify_body or self.name)
        for record in records:
            record.message_post(
                body=body, message_type="comment", subtype_xmlid="mail.mt_note", partner_ids=partners.ids
            )
        names = ", ".join(partners.mapped("name"))
        message = self.env._("Notified %(users)s.", users=names)
        return {run.id: ("done", message) for run in runs}

    def _execute_wait(self, runs, records):
        now = fields.Datetime.now()
        holding = set(self._wait_holding(records).ids)
        results = {}
        for run, record in zip(runs, records, strict=True):
            if record.id in holding:
                results[run.id] = ("done", self.env._("Condition met."))
            elif run.wait_deadline and run.wait_deadline <= now:
                if self.wait_timeout_action == "exit":
                    results[run.id] = ("exit", self.env._("Condition not met in time."))
                else:
                    results[run.id] = ("done", self.env._("Condition not met in time; going on."))
            else:
                results[run.id] = ("waiting", self.env._("Waiting for the condition."))
        return results

    def _execute_start(self, runs, records):
        results = {}
        for run, record in zip(runs, records, strict=True):
            started = self.next_automation_id._enrol(
                record.sudo(),
                "pipeline",
                self.env._("Started by %(pipeline)s", pipeline=self.automation_id.name),
                parent_run=run,
            )
            if started:
                results[run.id] = ("done", self.env._("Started %(pipeline)s.", pipeline=self.next_automation_id.name))
            else:
                results[run.id] = (
                    "skipped",
                    self.env._(
                        "Not enrolled in %(pipeline)s (filter or re-enrolment policy).",
                        pipeline=self.next_automation_id.name,
                    ),
                )
        return results

    # ------------------------------------------------------------------
    # Test mode
    # ------------------------------------------------------------------

    def _preview(self, record):
        """What this step would do to ``record``, in one sentence, seen as Runs As; changes nothing."""
        self.ensure_one()
        user = self.automation_id.user_id
        record = record.with_user(user)
        if not record.has_access("read"):
            return self.env._("Fail: %(user)s, who the pipeline runs as, may not see this record.", user=user.name)
        return self._action_method("preview")(record)

    def _preview_email(self, record):
        contact = self._contact_of(record).sudo()
        if not contact or not contact._crm_may_contact("email"):
            return self.env._("Skip: the contact may not be emailed (no address, do not email or blacklisted).")
        return self.env._("Send %(template)s to %(email)s.", template=self.mail_template_id.name, email=contact.email)

    def _preview_activity(self, record):
        return self.env._(
            "Schedule %(type)s for %(user)s.",
            type=self.activity_type_id.name,
            user=self._activity_user(record).sudo().name,
        )

    def _preview_outreach(self, record):
        contact = self._contact_of(record).sudo()
        if contact and not contact._crm_may_contact(self.outreach_channel):
            return self.env._("Skip: the contact may not be contacted through this channel.")
        return self.env._("Log a %(channel)s task.", channel=self._selection_label("outreach_channel"))

    def _preview_stage(self, record):
        return self.env._("Move from %(old)s to %(new)s.", old=record.stage_id.name, new=self.stage_id.name)

    def _preview_assign(self, record):
        if self.assign_mode == "fixed":
            return self.env._("Assign to %(user)s.", user=self.assign_user_id.name)
        return self.env._("Assign to a member of %(team)s in turn.", team=self.assign_team_id.name)

    def _preview_tags(self, record):
        return self.description or ""

    def _preview_set_field(self, record):
        return self.env._(
            "Change %(field)s from %(old)s to %(new)s.",
            field=self.field_id.field_description,
            old=html_escape(str(record[self.field_id.name] or "")),
            new=self.field_value or "",
        )

    def _preview_notify(self, record):
        return self.description or ""

    def _preview_wait(self, record):
        if self._wait_holding(record):
            return self.env._("Condition holds now: go on.")
        return self.env._("Condition not met now: wait.")

    def _preview_start(self, record):
        return self.description or ""
