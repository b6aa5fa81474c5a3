import json
from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged, users
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon

MUTE = ("odoo.models", "odoo.addons.base.models.ir_rule")
FEBRUARY = {"date_from": "2026-02-01", "date_to": "2026-02-28"}


@tagged("post_install", "-at_install")
class TestTimelineDealReference(CrmClientSuiteCommon):
    """The timeline names a deal by its reference too, and finds its entries by it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for when, subject, record in (
            ("2026-02-02 09:00:00", "Planos de la nave", cls.deal_contributor),
            ("2026-02-03 09:00:00", "Presupuesto de reforma", cls.deal_manager),
            ("2026-02-04 09:00:00", "Visita a la obra", cls.deal_manager),
            ("2026-02-05 09:00:00", "Condiciones generales", cls.client_a),
        ):
            with freeze_time(when):
                record.message_post(body=subject, subject=subject, message_type="comment")
        cls.ref_contributor = cls.deal_contributor.crm_reference
        cls.ref_manager = cls.deal_manager.crm_reference

    def page(self, **filters):
        return self.env["crm.timeline"].get_page(self.client_a.id, {**FEBRUARY, **filters})["entries"]

    def render_pdf(self):
        export = self.env["crm.timeline.export"].create(
            {"partner_id": self.client_a.id, "date_from": date(2026, 2, 1), "date_to": date(2026, 2, 28)}
        )
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "crm_client_suite.report_crm_timeline", self.client_a.ids, data=export.action_print()["data"]
        )
        return html.decode()

    def test_fixture_deals_have_distinct_references(self):
        # what the other tests tell apart
        self.assertTrue(self.ref_contributor and self.ref_manager)
        self.assertNotEqual(self.ref_contributor, self.ref_manager)
        self.assertNotIn(self.ref_contributor, self.ref_manager)
        self.assertNotIn(self.ref_manager, self.ref_contributor)

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_entries_of_a_deal_carry_its_reference(self):
        entries = {e["title"]: e for e in self.page(types=["note"])}
        self.assertEqual(set(entries), {"Planos de la nave", "Condiciones generales"})
        self.assertEqual(
            (entries["Planos de la nave"]["res_name"], entries["Planos de la nave"]["res_reference"]),
            ("Obra nueva Madrid", self.ref_contributor),
        )
        self.assertEqual(entries["Condiciones generales"]["res_reference"], "")

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_stage_entries_of_a_deal_carry_its_reference(self):
        won = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        with freeze_time("2026-02-06 09:00:00"):
            self.deal_contributor.stage_id = won
        [stage] = self.page(types=["stage"])
        self.assertEqual((stage["res_id"], stage["res_reference"]), (self.deal_contributor.id, self.ref_contributor))

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_deal_filter_names_the_reference(self):
        options = self.env["crm.timeline"].get_filter_options(self.client_a.id)
        self.assertEqual(options["deals"], [(self.deal_contributor.id, f"[{self.ref_contributor}] Obra nueva Madrid")])

    @users("ccs_manager")
    def test_search_by_reference_finds_only_that_deal_entries(self):
        found = self.page(search=self.ref_manager)
        self.assertEqual(
            [e["title"] for e in found if e["source_model"] == "mail.message"],
            ["Visita a la obra", "Presupuesto de reforma"],
        )
        self.assertEqual({(e["res_model"], e["res_id"]) for e in found}, {("crm.lead", self.deal_manager.id)})
        # the same entries as the deal filter's
        self.assertEqual([e["key"] for e in found], [e["key"] for e in self.page(deal_id=self.deal_manager.id)])
        # in any case, and with other words of the entry
        self.assertEqual(
            [e["title"] for e in self.page(search=f"{self.ref_manager.lower()} visita")], ["Visita a la obra"]
        )
        self.assertEqual(self.page(search=f"{self.ref_manager} planos"), [])

    @users("ccs_manager")
    def test_pdf_names_the_deal_reference(self):
        html = self.render_pdf()
        self.assertIn(f"[{self.ref_manager}]", html)
        self.assertIn(f"[{self.ref_contributor}]", html)
        self.assertEqual(html.count("o_crm_timeline_report_reference"), 3)

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_unreadable_deal_reference_is_never_shown_nor_searchable(self):
        payload = json.dumps(
            {"page": self.page(), "options": self.env["crm.timeline"].get_filter_options(self.client_a.id)}
        )
        self.assertIn(self.ref_contributor, payload)
        self.assertNotIn(self.ref_manager, payload)
        self.assertEqual(self.page(search=self.ref_manager), [])
        html = self.render_pdf()
        self.assertIn(self.ref_contributor, html)
        self.assertNotIn(self.ref_manager, html)

    @users("ccs_manager")
    def test_references_are_read_in_batch(self):
        Timeline = self.env["crm.timeline"]

        def queries(filters):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            entries = Timeline.get_page(self.client_a.id, {**FEBRUARY, **filters})["entries"]
            return self.cr.sql_log_count - before, entries

        queries({})  # warm the registry's caches (xml ids, fields)
        one, entries = queries({"search": "nave"})
        self.assertEqual([e["res_reference"] for e in entries], [self.ref_contributor])
        deals = self.env["crm.lead"].create(
            [{"name": f"Nave {i}", "type": "opportunity", "partner_id": self.client_a.id} for i in range(5)]
        )
        for deal in deals:
            with freeze_time("2026-02-10 09:00:00"):
                deal.message_post(body="Nave", subject="Nave", message_type="comment")
        many, entries = queries({"search": "nave"})
        self.assertEqual({e["res_reference"] for e in entries}, {self.ref_contributor, *deals.mapped("crm_reference")})
        self.assertEqual(many, one)

    @users("ccs_manager_b")
    @mute_logger(*MUTE)
    def test_other_team_manager_gets_no_reference_of_team_a_deals(self):
        payload = json.dumps(
            {"page": self.page(), "options": self.env["crm.timeline"].get_filter_options(self.client_a.id)}
        )
        self.assertIn("Condiciones generales", payload)
        self.assertNotIn(self.ref_contributor, payload)
        self.assertNotIn(self.ref_manager, payload)
        self.assertEqual(self.page(search=self.ref_contributor), [])

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_reference_links_only_to_the_deals_the_user_may_read(self):
        entries = self.page()
        linked = {e["deal_id"] for e in entries if e["deal_id"]}
        self.assertEqual(linked, {self.deal_contributor.id})
        for entry in entries:
            # a deal's entry links its deal; a contact's or client's links none
            if entry["res_model"] == "crm.lead":
                self.assertEqual((entry["deal_id"], entry["res_reference"]), (entry["res_id"], self.ref_contributor))
            else:
                self.assertFalse(entry["deal_id"])
        # what the link opens, the user may read
        self.assertTrue(self.env["crm.lead"].browse(list(linked)).has_access("read"))
        self.assertFalse(self.deal_manager.with_user(self.env.user).has_access("read"))

    @users("ccs_manager_b")
    @mute_logger(*MUTE)
    def test_other_team_manager_gets_no_deal_link(self):
        entries = self.page()
        self.assertTrue(entries)
        self.assertFalse([e for e in entries if e["deal_id"]])
