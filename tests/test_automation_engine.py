from unittest.mock import patch

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from odoo.addons.crm_client_suite.exceptions import CrmAutomationStepError
from odoo.addons.crm_client_suite.models.crm_automation import cron_commit
from odoo.addons.crm_client_suite.models.crm_automation_step import CrmAutomationStep

from .test_automation import AutomationCommon

SEAMS = ("_check_", "_describe_", "_preview_", "_execute_")


class EngineCommon(AutomationCommon):
    def deal_steps(self):
        """One complete step per action of the selection, on a deal pipeline."""
        tag = self.env["crm.tag"].create({"name": "Seams"})
        template = self.template.copy({"model_id": self.env["ir.model"]._get_id("crm.lead")})
        other = self.pipeline([{"action": "outreach"}], name="Other", target_model="crm.lead")
        config = {
            "email": {"mail_template_id": template.id},
            "activity": {"activity_type_id": self.todo.id},
            "outreach": {"outreach_channel": "call"},
            "stage": {"stage_id": self.stage_qualified.id},
            "assign": {"assign_user_id": self.manager.id},
            "tags": {"lead_tag_ids": [Command.set(tag.ids)]},
            "set_field": {
                "field_id": self.env["ir.model.fields"]._get("crm.lead", "expected_revenue").id,
                "field_value": "10",
            },
            "notify": {"notify_user_ids": [Command.set(self.manager.ids)], "notify_body": "Look"},
            "wait": {"wait_domain": "[('expected_revenue', '>', 0)]"},
            "start": {"next_automation_id": other.id},
        }
        actions = [key for key, _label in self.env["crm.automation.step"]._fields["action"].selection]
        self.assertEqual(sorted(config), sorted(actions), "a complete step for every action")
        automation = self.pipeline(
            [{"action": action, **config[action]} for action in actions], target_model="crm.lead"
        )
        return automation.step_ids


@tagged("post_install", "-at_install")
class TestAutomationStepSeams(EngineCommon):
    """Each step action is a set of methods found by name, so add-ons can add actions."""

    def test_every_action_has_its_four_methods_and_its_fields(self):
        Step = self.env["crm.automation.step"]
        action_fields = Step._get_action_fields()
        for action, _label in Step._fields["action"].selection:
            for seam in SEAMS:
                self.assertTrue(callable(getattr(Step, f"{seam}{action}", None)), f"{seam}{action} is missing")
            self.assertIn(action, action_fields)
            self.assertTrue(set(action_fields[action]) <= set(Step._fields), action)

    def test_dispatch_reaches_every_action(self):
        steps = self.deal_steps()
        labels = dict(steps._fields["action"]._description_selection(self.env))
        for step in steps:
            self.assertTrue(step.description.startswith(labels[step.action]), step.description)
            self.assertTrue(step._preview(self.deal_contributor), step.action)
        # The check of each action is called by name: an incomplete step of any action is refused.
        for step in steps.filtered(lambda s: s.action in ("email", "stage", "set_field", "start")):
            fname = step._get_action_fields()[step.action][0]
            with self.assertRaises(CrmAutomationStepError), self.env.cr.savepoint():
                step[fname] = False
        # And the executor too: every action runs on the deal.
        runs = self.env["crm.automation.run"]
        for step in steps:
            runs |= step.automation_id.copy({"step_ids": False, "name": step.action})._enrol(
                self.deal_manager, "manual"
            )
        executed = {}
        for run, step in zip(runs, steps, strict=True):
            executed[step.action] = step._execute(run)[run.id][0]
        self.assertEqual(set(executed), set(labels))
        self.assertEqual(set(executed.values()), {"done"})

    def test_dispatch_by_name_reaches_an_override(self):
        step = self.deal_steps().filtered(lambda s: s.action == "stage")
        original = CrmAutomationStep._describe_stage
        try:
            CrmAutomationStep._describe_stage = lambda self: "overridden"
            step.invalidate_recordset(["description"])
            self.assertTrue(step.description.endswith(": overridden"))
        finally:
            CrmAutomationStep._describe_stage = original

    def test_changing_the_action_resets_the_fields_of_the_previous_one(self):
        automation = self.pipeline([{"action": "outreach"}], target_model="crm.lead")
        tag = self.env["crm.tag"].create({"name": "Reset"})
        form = Form(self.env["crm.automation.step"].with_context(default_automation_id=automation.id))
        form.name = "Qualify"
        form.action = "stage"
        form.stage_id = self.stage_qualified
        form.action = "tags"
        self.assertFalse(form.stage_id)
        form.lead_tag_ids.add(tag)
        form.action = "assign"
        self.assertFalse(form.lead_tag_ids)
        self.assertEqual(form.assign_mode, "fixed", "the new action starts from its defaults")
        form.assign_user_id = self.manager
        step = form.save()
        self.assertEqual(
            (step.action, step.assign_user_id, step.stage_id), ("assign", self.manager, self.env["crm.stage"])
        )
        # The same through the API: the fields of the previous action do not linger.
        step.write({"action": "stage", "stage_id": self.stage_won.id})
        self.assertEqual((step.stage_id, step.assign_user_id), (self.stage_won, self.env["res.users"]))


@tagged("post_install", "-at_install")
class TestAutomationLabelsTranslated(EngineCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in ("es_ES", "de_DE"):
            cls.env["res.lang"]._activate_lang(lang)
            cls.env["ir.module.module"].search([("name", "=", "crm_client_suite")])._update_translations(lang)

    def test_descriptions_previews_and_run_messages_use_the_translated_labels(self):
        Step = self.env["crm.automation.step"]
        english = dict(Step._fields["action"].selection)
        channels = dict(Step._fields["outreach_channel"].selection)
        reasons = dict(self.env["crm.automation.run"]._fields["exit_reason"].selection)
        steps = self.deal_steps()
        outreach = steps.filtered(lambda s: s.action == "outreach")
        for lang in ("es_ES", "de_DE"):
            translated = dict(
                Step.with_context(lang=lang)._fields["action"]._description_selection(Step.with_context(lang=lang).env)
            )
            for step in steps.with_context(lang=lang):
                self.assertNotEqual(translated[step.action], english[step.action])
                self.assertTrue(step.description.startswith(translated[step.action]), step.description)
                self.assertNotIn(english[step.action], step.description)
            channel = outreach.with_context(lang=lang)
            self.assertNotIn(channels["call"], channel.description)
            self.assertNotIn(channels["call"], channel._preview(self.deal_contributor))
            # Run messages are written in the language of the pipeline's Runs As user.
            self.admin_user.lang = lang
            run = outreach.automation_id.copy({"step_ids": False})._enrol(self.deal_manager, "manual")
            message = outreach._execute(run)[run.id][1]
            self.assertNotIn(channels["call"], message)
            run.with_context(lang=lang)._stop("exited", "won")
            self.assertNotIn(reasons["won"], run.log_ids.message)
            self.assertTrue(run.log_ids.message)


@tagged("post_install", "-at_install")
class TestAutomationRunsAs(AutomationCommon):
    """Conditions and lookups are evaluated with the rights of the pipeline's Runs As user."""

    def test_wait_condition_is_evaluated_as_runs_as(self):
        # The client has a deal of the manager, which the contributor may not see.
        condition = f"[('opportunity_ids.user_id', '=', {self.manager.id})]"
        Partner = self.env["res.partner"]
        self.assertEqual(
            Partner.search([("id", "=", self.client_a.id), ("opportunity_ids.user_id", "=", self.manager.id)]),
            self.client_a,
        )
        automation = self.pipeline(
            [{"action": "wait", "wait_domain": condition}, {"action": "outreach"}],
            user_id=self.contributor.id,
        )
        as_admin = self.pipeline(
            [{"action": "wait", "wait_domain": condition}, {"action": "outreach"}],
            user_id=self.admin_user.id,
        )
        wait = automation.step_ids[0]
        self.assertEqual(wait._preview(self.client_a), "Condition not met now: wait.")
        self.assertEqual(as_admin.step_ids[0]._preview(self.client_a), "Condition holds now: go on.")
        run = automation._enrol(self.client_a, "manual")
        admin_run = as_admin._enrol(self.client_a, "manual")
        self.process()
        self.assertEqual(run.state, "waiting")
        self.assertEqual(admin_run.state, "done")
        self.assertIn("Condition met.", admin_run.log_ids.mapped("message"))

    def test_set_field_looks_records_up_as_runs_as(self):
        parent = self.env["ir.model.fields"]._get("res.partner", "parent_id")
        step = {"action": "set_field", "field_id": parent.id, "field_value": self.client_b.name}
        with self.assertRaises(CrmAutomationStepError):
            self.pipeline([step], user_id=self.contributor.id)
        automation = self.pipeline([step], user_id=self.admin_user.id)
        automation._enrol(self.contact_a_other, "manual")
        self.process()
        self.assertEqual(self.contact_a_other.parent_id, self.client_b)

    def test_preview_of_a_record_runs_as_may_not_see(self):
        automation = self.pipeline([{"action": "outreach"}], user_id=self.contributor.id)
        self.assertIn("may not see this record", automation.step_ids._preview(self.contact_b))


@tagged("post_install", "-at_install")
class TestTextValues(AutomationCommon):
    """Custom field defaults and the set-field step read text values the same way."""

    def test_custom_field_default_and_set_field_step_agree(self):
        definition = (
            self.env["crm.custom.field"]
            .with_user(self.admin_user)
            .create({"name": "Newsletter", "key": "newsletter", "model": "res.partner", "field_type": "boolean"})
        )
        field = self.env["ir.model.fields"]._get("res.partner", "x_newsletter")
        IrDefault = self.env["ir.default"]
        for text, value in (("yes", True), ("No", False), ("1", True), ("false", False), ("Y", True)):
            definition.default_value = text
            self.assertEqual(bool(IrDefault._get("res.partner", "x_newsletter")), value, text)
            self.contact_a.x_newsletter = not value
            automation = self.pipeline([{"action": "set_field", "field_id": field.id, "field_value": text}])
            automation._enrol(self.contact_a, "manual")
            self.process()
            self.assertEqual(self.contact_a.x_newsletter, value, text)
        for text in ("maybe", "si", "2"):
            with self.assertRaises(CrmAutomationStepError):
                self.pipeline([{"action": "set_field", "field_id": field.id, "field_value": text}])
            with self.assertRaises(ValidationError):
                definition.default_value = text


@tagged("post_install", "-at_install")
class TestAutomationTargets(AutomationCommon):
    """Contacts and deals share the observer and exit hooks of crm.automation.target.mixin."""

    def test_both_targets_use_the_mixin(self):
        for model in ("res.partner", "crm.lead"):
            self.assertIn("crm.automation.target.mixin", self.env[model]._inherit_module)

    def test_a_deal_run_exits_when_its_contact_opts_out(self):
        automation = self.pipeline([{"action": "outreach", "delay": 1}], target_model="crm.lead")
        run = automation._enrol(self.deal_contributor, "manual")
        self.assertEqual(self.deal_contributor.crm_automation_run_count, 1)
        self.deal_contributor.partner_id.crm_no_email = True
        self.assertEqual((run.state, run.exit_reason), ("exited", "optout"))

    def test_a_reply_to_an_automation_email_exits_the_run(self):
        template = self.template.copy(
            {"model_id": self.env["ir.model"]._get_id("crm.lead"), "subject": "Offer {{ object.name }}"}
        )
        self.deal_contributor.partner_id = self.contact_a
        automation = self.pipeline(
            [{"action": "email", "mail_template_id": template.id}, {"action": "outreach", "delay": 3}],
            target_model="crm.lead",
        )
        run = automation._enrol(self.deal_contributor, "manual")
        self.process()
        mail = self.env["mail.mail"].search([("model", "=", "crm.lead"), ("res_id", "=", self.deal_contributor.id)])
        self.assertEqual(mail.recipient_ids, self.contact_a)
        self.assertIn(mail.mail_message_id, self.deal_contributor.message_ids, "in the deal's chatter")
        self.assertTrue(self.contact_a.crm_last_contacted)
        self.assertEqual(run.state, "running")
        self.reply_by_email(mail, "Not now, thanks.", subject="Re: Offer")
        self.assertEqual((run.state, run.exit_reason), ("exited", "replied"))


@tagged("post_install", "-at_install")
class TestCronCommitGuard(AutomationCommon):
    """The batch crons commit through one guard, which never commits inside a test unless asked."""

    def test_guard(self):
        with patch.object(self.env.cr, "commit") as commit:
            self.assertFalse(cron_commit(self.env))
            self.assertFalse(cron_commit(self.env(context={"ir_cron_progress_id": 1})), "run by ir.cron, in a test")
            commit.assert_not_called()
            self.assertTrue(cron_commit(self.env(context={"crm_cron_commit": True})))
            commit.assert_called_once()

    def test_crons_commit_through_the_guard(self):
        sweep = self.pipeline([{"action": "outreach", "delay": 1}], trigger_sweep=True)
        self.pipeline([{"action": "outreach"}])._enrol(self.contact_a, "manual")
        with patch.object(self.env.cr, "commit") as commit:
            self.env["crm.automation.run"]._cron_process_due_runs()
            self.env["crm.automation"]._cron_sweep()
            commit.assert_not_called()
            self.assertTrue(self.runs(sweep))
            sweep.sweep_last = False
            self.pipeline([{"action": "outreach"}])._enrol(self.contact_a, "manual")
            asked = self.env(context=dict(self.env.context, crm_cron_commit=True))
            asked["crm.automation.run"]._cron_process_due_runs()
            # One commit opens the call (a refused lock can then roll back to
            # it without losing anything), then one per batch.
            self.assertEqual(commit.call_count, 2, "the call's start, then one batch")
            asked["crm.automation"]._cron_sweep()
            self.assertEqual(commit.call_count, 3, "one pipeline swept, one commit")
