from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestContactReport(CrmClientSuiteCommon):
    @freeze_time("2026-02-15 09:00:00")
    def test_manager_analyses_contacts_and_completeness(self):
        self.client_a.write({"crm_client_type": "active", "crm_client_status": "active", "phone": "+34 910000000"})
        self.contact_a.phone = "+34 600000001"  # email and phone
        # contact_a_other: email only; portal partner: email only
        self.env.flush_all()
        Report = self.env["crm.contact.report"].with_user(self.manager)
        rows = Report.search([("client_id", "=", self.client_a.id)])
        self.assertEqual(len(rows), 4)  # the client, two contacts, the portal user's partner
        groups = Report._read_group(
            [("client_id", "=", self.client_a.id), ("kind", "=", "contact")],
            ["client_type"],
            ["count:sum", "missing_phone:sum", "missing_phone_rate:avg", "missing_email_rate:avg"],
        )
        self.assertEqual(groups, [("active", 3, 2, 200 / 3, 0.0)])
        by_team = dict(Report._read_group([("partner_id", "in", self.client_b.ids)], ["team_id"], ["count:sum"]))
        self.assertEqual(by_team, {self.team_b: 1})
        months = Report._read_group([("client_id", "=", self.client_a.id)], ["create_date:month"], ["count:sum"])
        self.assertEqual(len(months), 1)

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_model")
    def test_contributor_and_guest_have_no_analytics(self):
        for user in (self.contributor, self.guest):
            with self.assertRaises(AccessError):
                self.env["crm.contact.report"].with_user(user).search([])

    def test_analytics_menu_for_managers_only(self):
        menu = self.env.ref("crm_client_suite.menu_analytics")
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(self.manager)._visible_menu_ids())
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(self.contributor)._visible_menu_ids())


@tagged("post_install", "-at_install")
class TestContactGrowthAndQuality(CrmClientSuiteCommon):
    """Growth by month and data quality of one client tree with known dates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        spain, germany = cls.env.ref("base.es"), cls.env.ref("base.de")
        cls.source = cls.env["utm.source"].create({"name": "Feria Construmat"})
        cls.client = Partner.create(
            {
                "name": "Reformas Levante S.A.",
                "is_company": True,
                "country_id": spain.id,
                "crm_client_type": "active",
                "crm_client_status": "active",
                "source_id": cls.source.id,
                "team_id": cls.team_a.id,
            }
        )
        contact = {"parent_id": cls.client.id}
        cls.buyer = Partner.create(
            {
                **contact,
                "name": "Marta Gil",
                "email": "compras@levante.example.com",
                "crm_role_category": "decision_maker",
            }
        )
        cls.engineer = Partner.create(
            {**contact, "name": "Pau Soler", "email": "Compras@Levante.example.com", "crm_role_category": "technical"}
        )
        cls.silent = Partner.create(
            {**contact, "name": "Otto Weber", "type": "other", "country_id": germany.id, "crm_no_call": True}
        )
        cls.blocked = Partner.create({**contact, "name": "Eva Roig", "email": "eva@levante.example.com"})
        cls.env["mail.blacklist"].create({"email": "eva@levante.example.com"})
        dates = {
            cls.client: "2026-01-10",
            cls.buyer: "2026-01-20",
            cls.engineer: "2026-02-05",
            cls.silent: "2026-03-03",
            cls.blocked: "2026-03-15",
        }
        cls.env.flush_all()
        for partner, day in dates.items():
            cls.env.cr.execute("UPDATE res_partner SET create_date = %s WHERE id = %s", (day, partner.id))
        cls.env.invalidate_all()
        # the creation dates were written in SQL, past the ORM: their analysis rows are folded again
        cls.env["crm.contact.analytics"]._mark([partner.id for partner in dates])
        cls.spain, cls.germany = spain, germany

    def figures(self, groupby, aggregates, user=None, domain=()):
        Report = self.env["crm.contact.report"].with_user(user or self.manager)
        return Report._read_group([("client_id", "=", self.client.id), *domain], groupby, aggregates)

    def test_growth_by_month_new_and_cumulative(self):
        months = self.figures(["create_date:month"], ["count:sum", "count_cumulative:sum"])
        self.assertEqual(
            [(month.strftime("%Y-%m"), new, total) for month, new, total in months],
            [("2026-01", 2, 2), ("2026-02", 1, 3), ("2026-03", 2, 5)],
        )
        # the running total restarts for each other grouping
        by_kind = self.figures(["kind", "create_date:month"], ["count_cumulative:sum"])
        self.assertEqual(
            [(kind, month.strftime("%Y-%m"), total) for kind, month, total in by_kind],
            [("client", "2026-01", 1), ("contact", "2026-01", 1), ("contact", "2026-02", 2), ("contact", "2026-03", 4)],
        )
        # without a month grouping it is the plain count; the pivot's read_group reads it too
        self.assertEqual(self.figures([], ["count_cumulative:sum"]), [(5,)])
        pivot = (
            self.env["crm.contact.report"]
            .with_user(self.manager)
            .read_group(
                [("client_id", "=", self.client.id)],
                ["count_cumulative:sum"],
                ["create_date:month"],
                lazy=False,
            )
        )
        self.assertEqual([group["count_cumulative"] for group in pivot], [2, 3, 5])

    def test_growth_by_type_status_source_country_and_role(self):
        self.assertEqual(
            dict(self.figures(["client_type"], ["count:sum"])),
            {"active": 5},
            "contacts count under their client's type",
        )
        self.assertEqual(dict(self.figures(["client_status"], ["count:sum"])), {"active": 5})
        self.assertEqual(dict(self.figures(["source_id"], ["count:sum"])), {self.source: 5})
        self.assertEqual(dict(self.figures(["country_id"], ["count:sum"])), {self.spain: 4, self.germany: 1})
        self.assertEqual(
            dict(self.figures(["role_category"], ["count:sum"], domain=[("kind", "=", "contact")])),
            {"decision_maker": 1, "technical": 1, False: 2},
        )

    def test_data_quality(self):
        [(missing_email, missing_phone, duplicates, duplicate_rate, no_contact, no_contact_rate)] = self.figures(
            [],
            [
                "missing_email:sum",
                "missing_phone:sum",
                "duplicate_count:sum",
                "duplicate_rate:avg",
                "do_not_contact:sum",
                "do_not_contact_rate:avg",
            ],
        )
        self.assertEqual((missing_email, missing_phone), (2, 5))  # the client and Otto have no email
        self.assertEqual((duplicates, duplicate_rate), (2, 40.0))  # the buyer and the engineer share an email
        self.assertEqual((no_contact, no_contact_rate), (2, 40.0))  # Otto: do not call; Eva: blacklisted
        flagged = self.env["crm.contact.report"].with_user(self.manager).search([("duplicate_count", "=", 1)])
        self.assertEqual(flagged.partner_id & self.client.child_ids, self.buyer | self.engineer)
        # archiving one of them clears the other's flag
        self.engineer.active = False
        self.env.flush_all()
        self.assertEqual(self.figures([], ["duplicate_count:sum"]), [(0,)])

    def test_team_isolation(self):
        self.set_team_isolation(True)
        self.assertEqual(self.figures([], ["count:sum"], user=self.manager), [(5,)])
        Report = self.env["crm.contact.report"]
        # the contacts follow their client's team: all in team A
        self.assertFalse(Report.with_user(self.manager_b).search_count([("client_id", "=", self.client.id)]))
        self.assertEqual(self.figures([], ["count:sum"], user=self.admin_user), [(5,)])
