from datetime import datetime

from odoo.tests import tagged
from odoo.tools import SQL

from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestOutreachReply(CrmClientSuiteCommon):
    """The reply kept on each inbound email (the first outbound email to the same client at or after
    it that reached the client) equals a recompute from scratch after each kind of change, and the
    client engagement report reads it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Outreach = cls.env["crm.outreach"].with_user(cls.contributor)
        cls.inbound = cls.email("2026-03-02 09:00:00", "inbound")
        cls.early = cls.email("2026-03-01 09:00:00", "outbound")  # before the inbound email: no reply

    @classmethod
    def email(cls, date, direction, contact=None, outcome="done", channel="email", **vals):
        return cls.Outreach.create(
            {
                "date": date,
                "direction": direction,
                "channel": channel,
                "outcome": outcome,
                "summary": f"{direction} {channel} {date}",
                "partner_id": (contact or cls.contact_a).id,
                **vals,
            }
        )

    def replies(self):
        """``{outreach: (reply date, response hours)}`` of the inbound emails, after checking that the
        kept columns of every outreach equal a recompute from scratch."""
        self.env.flush_all()
        kept = self.env.execute_query(
            SQL("SELECT id, crm_reply_date, round(crm_response_hours::numeric, 6) FROM crm_outreach")
        )
        scratch = self.env.execute_query(
            SQL(
                "SELECT id, reply_date, round(response_hours::numeric, 6) FROM (%s) s",
                self.env["crm.outreach"]._crm_reply_select(SQL("TRUE")),
            )
        )
        self.assertEqual(sorted(kept), sorted(scratch), "the kept replies differ from a recompute")
        inbound = self.env["crm.outreach"].search([("direction", "=", "inbound"), ("channel", "=", "email")])
        inbound.invalidate_recordset()
        return {email: (email.crm_reply_date or None, email.crm_response_hours) for email in inbound}

    def test_reply_logged_after_the_inbound_email(self):
        self.assertEqual(self.replies()[self.inbound], (None, 0.0))
        self.email("2026-03-02 13:30:00", "outbound")
        self.assertEqual(self.replies()[self.inbound], (datetime(2026, 3, 2, 13, 30), 4.5))
        # a reply logged by another contact of the same client answers it too, when it came first
        self.email("2026-03-02 11:00:00", "outbound", contact=self.contact_a_other)
        self.assertEqual(self.replies()[self.inbound], (datetime(2026, 3, 2, 11), 2.0))

    def test_other_clients_channels_and_outcomes_do_not_answer(self):
        self.email("2026-03-02 10:00:00", "outbound", contact=self.contact_b)
        self.email("2026-03-02 10:00:00", "outbound", channel="call")
        planned = self.email("2026-03-02 10:30:00", "outbound", outcome="planned")
        self.email("2026-03-02 10:45:00", "outbound", outcome="bounced")
        self.assertEqual(self.replies()[self.inbound], (None, 0.0))
        # the planned email is sent: it is the reply now
        planned.with_user(self.contributor).outcome = "done"
        self.assertEqual(self.replies()[self.inbound], (datetime(2026, 3, 2, 10, 30), 1.5))

    def test_reply_moved_retyped_or_deleted(self):
        reply = self.email("2026-03-02 10:00:00", "outbound")
        later = self.email("2026-03-03 09:00:00", "outbound")
        self.assertEqual(self.replies()[self.inbound][0], datetime(2026, 3, 2, 10))
        # done outreach is audit trail: an Admin corrects it
        reply.with_user(self.admin_user).date = "2026-03-04 09:00:00"
        self.assertEqual(self.replies()[self.inbound][0], datetime(2026, 3, 3, 9))
        later.with_user(self.admin_user).channel = "call"
        self.assertEqual(self.replies()[self.inbound][0], datetime(2026, 3, 4, 9))
        reply.with_user(self.admin_user).unlink()
        self.assertEqual(self.replies()[self.inbound], (None, 0.0))

    def test_inbound_email_moved_or_turned_outbound(self):
        self.email("2026-03-02 10:00:00", "outbound")
        self.inbound.with_user(self.admin_user).date = "2026-03-02 08:00:00"
        self.assertEqual(self.replies()[self.inbound], (datetime(2026, 3, 2, 10), 2.0))
        # logged the wrong way round: an outbound email has no reply, and answers an earlier inbound one
        earlier = self.email("2026-03-01 10:00:00", "inbound")
        self.assertEqual(self.replies()[earlier], (datetime(2026, 3, 2, 10), 24.0))
        self.inbound.with_user(self.admin_user).direction = "outbound"
        replies = self.replies()
        self.assertNotIn(self.inbound, replies)
        self.assertFalse(self.inbound.crm_reply_date)
        self.assertEqual(replies[earlier], (datetime(2026, 3, 2, 8), 22.0))

    def test_contact_moving_to_another_client(self):
        self.email("2026-03-02 10:00:00", "outbound", contact=self.contact_b)
        self.assertEqual(self.replies()[self.inbound], (None, 0.0))
        # the contact who wrote joins client B: its email is B's, which B's reply answers
        self.contact_a.parent_id = self.client_b
        self.assertEqual(self.inbound.client_id, self.client_b)
        self.assertEqual(self.replies()[self.inbound], (datetime(2026, 3, 2, 10), 1.0))
        # and a reply of client A's no longer answers it
        self.contact_b.parent_id = self.client_a
        self.assertEqual(self.replies()[self.inbound], (None, 0.0))

    def test_deleted_deal_or_contact_takes_its_reply_along(self):
        self.email("2026-03-02 12:00:00", "outbound")
        self.email("2026-03-02 10:00:00", "outbound", contact=self.contact_a_other, lead_id=self.deal_contributor.id)
        self.assertEqual(self.replies()[self.inbound][0], datetime(2026, 3, 2, 10))
        # the database deletes a deal's outreach with the deal
        self.deal_contributor.unlink()
        self.assertEqual(self.replies()[self.inbound][0], datetime(2026, 3, 2, 12))
        self.email("2026-03-02 11:00:00", "outbound", contact=self.contact_a_other)
        self.assertEqual(self.replies()[self.inbound][0], datetime(2026, 3, 2, 11))
        self.contact_a_other.unlink()
        self.assertEqual(self.replies()[self.inbound][0], datetime(2026, 3, 2, 12))

    def test_deleted_client_leaves_its_emails_without_reply(self):
        self.email("2026-03-02 12:00:00", "outbound")
        self.assertEqual(self.replies()[self.inbound][0], datetime(2026, 3, 2, 12))
        # its contacts keep their emails, now their own client's: the reply, by the same contact, still answers
        self.client_a.with_user(self.admin_user).unlink()
        self.assertEqual(self.inbound.client_id, self.contact_a)
        self.assertEqual(self.replies()[self.inbound][0], datetime(2026, 3, 2, 12))

    def test_install_fills_every_inbound_email(self):
        self.email("2026-03-02 09:30:00", "outbound")
        self.env.flush_all()
        self.env.cr.execute(SQL("UPDATE crm_outreach SET crm_reply_date = NULL, crm_response_hours = NULL"))
        self.env["crm.outreach"].invalidate_model()
        self.env["crm.outreach"]._crm_init_replies()
        self.assertEqual(self.replies()[self.inbound], (datetime(2026, 3, 2, 9, 30), 0.5))

    def test_engagement_report_reads_the_kept_reply(self):
        self.email("2026-03-02 15:00:00", "outbound")
        self.email("2026-03-05 09:00:00", "inbound")  # unanswered
        Report = self.env["crm.client.engagement.report"].with_user(self.manager)
        [(inbound, unanswered, hours)] = Report._read_group(
            [("client_id", "=", self.client_a.id)],
            [],
            ["inbound_email_count:sum", "unanswered_count:sum", "response_hours:avg"],
        )
        self.assertEqual((inbound, unanswered, hours), (2, 1, 6.0))
        # a reply changed after the report was read once
        self.email("2026-03-05 10:00:00", "outbound")
        [(unanswered, hours)] = Report._read_group(
            [("client_id", "=", self.client_a.id)], [], ["unanswered_count:sum", "response_hours:avg"]
        )
        self.assertEqual((unanswered, hours), (0, 3.5))
