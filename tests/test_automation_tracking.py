import re
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import HttpCase, tagged

from odoo.addons.crm_client_suite.exceptions import CrmAutomationStepError
from odoo.addons.crm_client_suite.models.crm_automation_tracking import tracking_token

from .test_automation import T0, AutomationCommon

OPEN_RE = re.compile(r"/crm_client_suite/track/open/(\d+)/(\d+)/(\d+)/(\w+)/blank\.gif")
CLICK_RE = re.compile(r"/r/(\w+)/ccs/(\d+)/(\d+)/(\d+)/(\w+)")
OFFER = "https://example.com/offer"
PRICING = "https://example.com/pricing"
BODY = f"<p>Hello <t t-out='object.name'/>, see <a href='{OFFER}'>our offer</a> and <a href='{PRICING}'>prices</a>.</p>"


class TrackingCommon(AutomationCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Kept once sent, to read what went out.
        cls.template.write({"body_html": BODY, "auto_delete": False})
        cls.deal_template = cls.template.copy(
            {"model_id": cls.env["ir.model"]._get_id("crm.lead"), "name": "Deal offer"}
        )
        # Pipelines are a Manager's to configure.
        cls.Automation = cls.env["crm.automation"].with_user(cls.manager)
        # What the public routes run as.
        cls.Event = cls.env(user=cls.env.ref("base.public_user"))["crm.automation.email.event"]

    def mail_of(self, record):
        return self.env["mail.mail"].sudo().search([("model", "=", record._name), ("res_id", "=", record.id)])

    def open_mail(self, mail, token=None):
        """Open ``mail`` as its pixel's route does."""
        run, step, message, good = OPEN_RE.search(mail.body_html).groups()
        return self.Event._crm_record_event("open", int(run), int(step), int(message), token or good)

    def tracked_links(self, mail):
        """{url: (link, run, step, message, token)} of the tracked links of ``mail``."""
        links = {}
        for code, run, step, message, token in CLICK_RE.findall(mail.body_html):
            link = self.env["link.tracker.code"].sudo().search([("code", "=", code)]).link_id
            links[link.url] = (link, int(run), int(step), int(message), token)
        return links

    def click(self, mail, url):
        link, run, step, message, token = self.tracked_links(mail)[url]
        return self.Event._crm_record_event("click", run, step, message, token, link=link)

    def email_pipeline(self, then_vals, target_model="res.partner", **vals):
        """Email, then a conditional activity (the then path), a VIP tag, and a
        call task; the Else path goes straight to the call."""
        template = self.template if target_model == "res.partner" else self.deal_template
        tag_step = (
            {"action": "tags", "partner_category_ids": [Command.set(self.vip.ids)]}
            if target_model == "res.partner"
            else {"action": "outreach", "outreach_channel": "messenger"}
        )
        automation = self.pipeline(
            [
                {"action": "email", "mail_template_id": template.id},
                {"action": "activity", "activity_type_id": self.todo.id, "activity_summary": "Then", **then_vals},
                tag_step,
                {"action": "outreach", "outreach_channel": "call"},
            ],
            target_model=target_model,
            **vals,
        )
        email, then, _tag, call = automation.step_ids
        then.else_step_id = call
        return automation

    def activities(self, record):
        return self.env["mail.activity"].search(
            [("res_model", "=", record._name), ("res_id", "=", record.id), ("summary", "=", "Then")]
        )


@tagged("post_install", "-at_install")
class TestAutomationTrackedEmails(TrackingCommon):
    def test_emails_carry_a_pixel_and_tracked_links(self):
        automation = self.email_pipeline({})
        run = automation._enrol(self.contact_a, "manual")
        self.process()
        mail = self.mail_of(self.contact_a)
        self.assertEqual(len(mail), 1)
        run_id, step_id, message_id, token = OPEN_RE.search(mail.body_html).groups()
        self.assertEqual(
            (int(run_id), int(step_id), int(message_id)), (run.id, automation.step_ids[0].id, mail.mail_message_id.id)
        )
        self.assertEqual(token, tracking_token(self.env, "open", run.id, int(step_id), mail.mail_message_id.id))
        links = self.tracked_links(mail)
        self.assertEqual(set(links), {OFFER, PRICING}, "each link goes through link_tracker")
        self.assertNotIn(f'href="{OFFER}"', mail.body_html)
        # The chatter copy carries no pixel: a salesperson reading it is no open.
        self.assertNotIn("track/open", str(mail.mail_message_id.body))

    def test_open_and_click_recorded_once_per_email(self):
        automation = self.email_pipeline({})
        automation._enrol(self.contact_a, "manual")
        self.process()
        mail = self.mail_of(self.contact_a)
        first = self.open_mail(mail)
        self.assertEqual(first.kind, "open")
        self.assertEqual(first.partner_id, self.contact_a)
        self.assertFalse(self.open_mail(mail), "a replayed pixel records nothing more")
        offer = self.click(mail, OFFER)
        self.assertEqual((offer.kind, offer.url), ("click", OFFER))
        self.assertFalse(self.click(mail, OFFER), "a replayed link records nothing more")
        self.assertTrue(self.click(mail, PRICING), "another link of the email is another click")
        events = self.Event.sudo().search([("message_id", "=", mail.mail_message_id.id)])
        self.assertEqual(sorted(events.mapped("kind")), ["click", "click", "open"])

    def test_forged_or_moved_tokens_record_nothing(self):
        automation = self.email_pipeline({})
        automation._enrol(self.contact_a | self.contact_a_other, "manual")
        self.process()
        mail_a, mail_other = self.mail_of(self.contact_a), self.mail_of(self.contact_a_other)
        run, step, message, token = (int(x) if x.isdigit() else x for x in OPEN_RE.search(mail_a.body_html).groups())
        other_run, _s, other_message, _t = (
            int(x) if x.isdigit() else x for x in OPEN_RE.search(mail_other.body_html).groups()
        )
        Event = self.Event
        self.assertFalse(Event._crm_record_event("open", run, step, message, "0" * 64), "forged")
        self.assertFalse(Event._crm_record_event("open", run, step, message, ""), "no token")
        self.assertFalse(Event._crm_record_event("open", run, step, other_message, token), "moved to another email")
        self.assertFalse(Event._crm_record_event("open", other_run, step, message, token), "moved to another run")
        self.assertFalse(Event._crm_record_event("click", run, step, message, token), "an open's token as a click")
        offer, *click = self.tracked_links(mail_a)[OFFER]
        pricing = self.tracked_links(mail_a)[PRICING][0]
        self.assertFalse(Event._crm_record_event("click", *click, link=pricing), "a link's token on another link")
        # Even a token signed for a run, on another record's email, records nothing.
        forged = tracking_token(self.env, "open", other_run, step, message)
        self.assertFalse(Event._crm_record_event("open", other_run, step, message, forged))
        self.assertFalse(Event.sudo().search([]), "nothing was written")
        self.assertFalse(
            self.contact_a.crm_last_contact_ids.filtered(lambda c: c.direction == "inbound"),
            "nor counted as a touch",
        )
        self.assertTrue(Event._crm_record_event("click", *click, link=offer), "the genuine link still counts")

    def test_an_open_is_an_inbound_email_touch(self):
        automation = self.email_pipeline({})
        with freeze_time(T0):
            automation._enrol(self.contact_a, "manual")
            self.process()
        with freeze_time(T0 + timedelta(days=2)):
            self.open_mail(self.mail_of(self.contact_a))
        touches = (
            self.env["crm.last.contact"]
            .with_user(self.contributor)
            .search([("partner_id", "=", self.contact_a.id), ("channel", "=", "email"), ("direction", "=", "inbound")])
        )
        self.assertEqual(touches.date, T0 + timedelta(days=2))
        # The client's figure rolls up from its contact.
        client = self.env["crm.last.contact"].search(
            [("partner_id", "=", self.client_a.id), ("channel", "=", "email"), ("direction", "=", "inbound")]
        )
        self.assertEqual(client.date, T0 + timedelta(days=2))

    def test_opens_and_clicks_show_in_the_timeline(self):
        automation = self.email_pipeline({})
        automation._enrol(self.contact_a, "manual")
        self.process()
        mail = self.mail_of(self.contact_a)
        self.open_mail(mail)
        self.click(mail, PRICING)
        Timeline = self.env["crm.timeline"].with_user(self.contributor)
        self.assertIn("email_tracking", dict(Timeline.get_entry_types()))
        page = Timeline.get_page(self.client_a.id, {"types": ["email_tracking"]})
        entries = page["entries"]
        self.assertEqual(len(entries), 2)
        self.assertEqual({entry["author_id"] for entry in entries}, {self.contact_a.id})
        self.assertEqual({entry["res_id"] for entry in entries}, {self.contact_a.id})
        click = next(entry for entry in entries if entry["body"] == PRICING)
        self.assertTrue(click["title"].startswith("Clicked a link of"))

    def test_an_open_enrols_the_pipelines_it_triggers(self):
        automation = self.email_pipeline({})
        follow_up = self.pipeline(
            [{"action": "outreach"}],
            name="Warm",
            trigger_behaviour="opened",
            trigger_source_automation_id=automation.id,
        )
        clicked = self.pipeline(
            [{"action": "outreach"}], name="Pricing", trigger_behaviour="clicked", trigger_url=PRICING
        )
        automation._enrol(self.contact_a, "manual")
        self.process()
        mail = self.mail_of(self.contact_a)
        self.assertFalse(self.runs(follow_up))
        self.open_mail(mail)
        run = self.runs(follow_up)
        self.assertEqual((run.partner_id, run.trigger), (self.contact_a, "behaviour"))
        self.click(mail, OFFER)
        self.assertFalse(self.runs(clicked), "another link than the given one")
        self.click(mail, PRICING)
        self.assertEqual(self.runs(clicked).partner_id, self.contact_a)


@tagged("post_install", "-at_install")
class TestAutomationBehaviourBranches(TrackingCommon):
    def test_not_opened_in_3_days_takes_the_else_path(self):
        automation = self.email_pipeline({"condition": "opened", "condition_days": 3})
        with freeze_time(T0):
            run = automation._enrol(self.contact_a, "manual")
            self.process()  # the email
            self.process()  # the condition: undecided, wait
        self.assertEqual((run.state, run.wait_deadline), ("waiting", T0 + timedelta(days=3)))
        with freeze_time(T0 + timedelta(days=2)):
            self.process()
        self.assertEqual(run.state, "waiting", "still within the 3 days")
        with freeze_time(T0 + timedelta(days=3, minutes=1)):
            self.process()  # the deadline passed: Else, the call
        self.assertEqual(run.state, "done")
        executed = run.log_ids.filtered(lambda log: log.result == "done").step_id
        self.assertEqual(executed, automation.step_ids[0] | automation.step_ids[3], "the email, then the call")
        self.assertFalse(self.activities(self.contact_a), "the then step did not run")
        self.assertNotIn(self.vip, self.contact_a.category_id, "nor the step after it")
        skipped = run.log_ids.filtered(lambda log: log.step_id == automation.step_ids[1] and log.result == "skipped")
        self.assertIn("Condition not met", skipped.message)
        # An open after the deadline changes nothing.
        with freeze_time(T0 + timedelta(days=4)):
            self.open_mail(self.mail_of(self.contact_a))
        self.assertFalse(self.activities(self.contact_a))

    def test_opened_within_3_days_takes_the_then_path(self):
        automation = self.email_pipeline({"condition": "opened", "condition_days": 3})
        with freeze_time(T0):
            run = automation._enrol(self.contact_a, "manual")
            self.process()
            self.process()
        soon = T0 + timedelta(minutes=10)  # before the run's next look (every 15 minutes)
        with freeze_time(soon):
            self.open_mail(self.mail_of(self.contact_a))
            self.assertEqual(run.next_due, soon, "the open wakes the waiting run")
            self.process()
            self.assertEqual(len(self.activities(self.contact_a)), 1, "the then step ran")
            self.process()
            self.process()
        self.assertIn(self.vip, self.contact_a.category_id, "and the run went on after it")
        self.assertEqual(run.state, "done")

    def test_not_opened_condition_goes_else_as_soon_as_opened(self):
        automation = self.email_pipeline({"condition": "not_opened", "condition_days": 3})
        with freeze_time(T0):
            run = automation._enrol(self.contact_a, "manual")
            self.process()
            self.process()
        self.assertEqual(run.state, "waiting")
        with freeze_time(T0 + timedelta(hours=5)):
            self.open_mail(self.mail_of(self.contact_a))
            self.process()
        self.assertEqual(run.state, "done", "opened: decided at once, without waiting for the 3 days")
        executed = run.log_ids.filtered(lambda log: log.result == "done").step_id
        self.assertEqual(executed, automation.step_ids[0] | automation.step_ids[3], "the Else path")
        self.assertFalse(self.activities(self.contact_a))

    def test_link_clicked_for_a_given_link(self):
        automation = self.email_pipeline({"condition": "clicked", "condition_url": PRICING, "condition_days": 2})
        with freeze_time(T0):
            run = automation._enrol(self.contact_a, "manual")
            self.process()
            self.process()
        with freeze_time(T0 + timedelta(hours=1)):
            self.click(self.mail_of(self.contact_a), OFFER)
            self.process()
        self.assertEqual(run.state, "waiting", "a click on another link is not the one")
        self.assertFalse(self.activities(self.contact_a))
        with freeze_time(T0 + timedelta(hours=2)):
            self.click(self.mail_of(self.contact_a), PRICING)
            self.process()
        self.assertEqual(len(self.activities(self.contact_a)), 1)

    def test_replied_takes_the_then_path(self):
        deal = self.deal_contributor
        automation = self.email_pipeline(
            {"condition": "replied", "condition_days": 5}, target_model="crm.lead", exit_on_reply=False
        )
        with freeze_time(T0):
            run = automation._enrol(deal, "manual")
            self.process()
            self.process()
        self.assertEqual(run.state, "waiting")
        soon = T0 + timedelta(minutes=10)
        with freeze_time(soon):
            self.reply_by_email(self.mail_of(deal).mail_message_id, "Interested, call me")
            self.assertEqual(run.next_due, soon, "the reply wakes the run")
            self.process()
        self.assertEqual(len(self.activities(deal)), 1)
        self.assertEqual(run.state, "done")

    def test_a_reply_condition_needs_the_pipeline_to_stay_on_reply(self):
        with self.assertRaisesRegex(CrmAutomationStepError, "exits on reply"):
            self.email_pipeline({"condition": "replied"}, target_model="crm.lead", exit_on_reply=True)

    def test_deal_stage_reached(self):
        deal = self.deal_contributor
        deal.stage_id = self.stage_new
        automation = self.email_pipeline(
            {"condition": "stage", "condition_stage_id": self.stage_proposition.id, "condition_days": 7},
            target_model="crm.lead",
        )
        with freeze_time(T0):
            run = automation._enrol(deal, "manual")
            self.process()
            self.process()
        self.assertEqual(run.state, "waiting")
        soon = T0 + timedelta(minutes=10)
        with freeze_time(soon):
            deal.with_user(self.contributor).stage_id = self.stage_qualified
            self.process()
            self.assertEqual(run.state, "waiting", "an earlier stage is not reached")
            deal.with_user(self.contributor).stage_id = self.stage_proposition
            self.assertEqual(run.next_due, soon, "the stage change wakes the run")
            self.process()
        self.assertEqual(len(self.activities(deal)), 1)

    def test_web_form_submitted(self):
        automation = self.email_pipeline({"condition": "form", "condition_days": 2})
        enrolled_on_form = self.pipeline([{"action": "outreach"}], name="Form", trigger_behaviour="form")
        with freeze_time(T0):
            run = automation._enrol(self.contact_a, "manual")
            self.process()
            self.process()
        self.assertEqual(run.state, "waiting")
        with freeze_time(T0 + timedelta(hours=3)):
            self.env["crm.lead"].with_context(crm_entry_point="web_form").sudo().create(
                {"name": "Form request", "partner_id": self.contact_a.id, "type": "lead"}
            )
            self.process()
        self.assertEqual(len(self.activities(self.contact_a)), 1)
        self.assertIn(self.contact_a, self.runs(enrolled_on_form).partner_id)

    def test_conditions_are_evaluated_in_a_fixed_number_of_queries(self):
        automation = self.email_pipeline({"condition": "opened", "condition_days": 3})
        contacts = self.env["res.partner"].create(
            [{"name": f"Batch {i}", "email": f"batch{i}@example.com"} for i in range(12)]
        )
        then = automation.step_ids[1]
        one = automation._enrol(contacts[:1], "manual")
        many = automation._enrol(contacts[1:], "manual")
        self.process()
        for mail in (
            self.env["mail.mail"].sudo().search([("res_id", "in", contacts[::2].ids), ("model", "=", "res.partner")])
        ):
            self.open_mail(mail)

        def evaluate(runs):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            verdicts = then._crm_condition_verdicts(runs)
            return self.env.cr.sql_log_count - before, verdicts

        queries_one, _verdicts = evaluate(one)
        queries_many, verdicts = evaluate(many)
        self.assertLessEqual(queries_many, queries_one, "no query per run")
        self.assertLessEqual(queries_many, 8)
        opened = {run.id for run in many if run.partner_id in contacts[::2]}
        self.assertEqual({rid for rid, (verdict, _d) in verdicts.items() if verdict == "yes"}, opened)


@tagged("post_install", "-at_install")
class TestAutomationTrackingRoutes(HttpCase):
    """The public routes: the pixel and the redirect whatever the token, a record only for a good one."""

    def setUp(self):
        super().setUp()
        env = self.env
        env["ir.config_parameter"].sudo().set_param("web.base.url", self.base_url())
        self.contact = env["res.partner"].create({"name": "Route Contact", "email": "route@example.com"})
        template = env["mail.template"].create(
            {
                "name": "Route",
                "model_id": env["ir.model"]._get_id("res.partner"),
                "subject": "Hi",
                "body_html": f"<p><a href='{OFFER}'>offer</a></p>",
                "use_default_to": True,
                "auto_delete": False,
            }
        )
        automation = env["crm.automation"].create(
            {
                "name": "Route pipeline",
                "target_model": "res.partner",
                "step_ids": [Command.create({"name": "Mail", "action": "email", "mail_template_id": template.id})],
            }
        )
        automation._enrol(self.contact, "manual")
        env["crm.automation.run"]._cron_process_due_runs()
        self.mail = env["mail.mail"].sudo().search([("model", "=", "res.partner"), ("res_id", "=", self.contact.id)])
        self.Event = env["crm.automation.email.event"].sudo()

    def path(self, url):
        return url[len(self.base_url()) :]

    def test_pixel_route(self):
        pixel = re.search(r'src="([^"]+blank\.gif)"', self.mail.body_html).group(1)
        forged = re.sub(r"/(\w{64})/blank\.gif$", "/" + "a" * 64 + "/blank.gif", pixel)
        response = self.url_open(self.path(forged))
        self.assertEqual((response.status_code, response.headers["Content-Type"]), (200, "image/gif"))
        self.assertFalse(self.Event.search([]), "a forged pixel records nothing")
        genuine = self.url_open(self.path(pixel))
        self.assertEqual(genuine.content, response.content, "the same answer, good token or not")
        self.url_open(self.path(pixel))
        self.assertEqual(len(self.Event.search([("kind", "=", "open")])), 1)

    def test_click_route(self):
        url = re.search(r'href="([^"]+/ccs/[^"]+)"', self.mail.body_html).group(1)
        link = self.env["link.tracker"].search([("url", "=", OFFER)])
        forged = url[:-8] + "00000000"
        response = self.url_open(self.path(forged), allow_redirects=False)
        self.assertEqual((response.status_code, response.headers["Location"]), (302, link.redirected_url))
        self.assertFalse(self.Event.search([]))
        self.assertFalse(link.link_click_ids, "nor a link_tracker click")
        self.url_open(self.path(url), allow_redirects=False)
        self.url_open(self.path(url), allow_redirects=False)
        self.assertEqual(len(self.Event.search([("kind", "=", "click")])), 1)
        link.invalidate_recordset()
        self.assertEqual(len(link.link_click_ids), 1, "link_tracker counts the first click")
