from contextlib import contextmanager
from unittest.mock import patch

from odoo import Command

from .test_import import TestImportCommon, csv_bytes

# What stock's sync from a new client sets on a contact, and what the row writes.
COMPARED = [
    "parent_id",
    "commercial_partner_id",
    "commercial_company_name",
    "company_name",
    "vat",
    "industry_id",
    "street",
    "city",
    "zip",
    "country_id",
    "phone",
    "email",
    "category_id",
    "property_product_pricelist",
    "specific_property_product_pricelist",
    "property_account_position_id",
    "property_payment_term_id",
]


class TestImportPresyncedUpdates(TestImportCommon):
    """An import that gives existing contacts a client merges what stock's
    ``_fields_sync`` copies from the client into the batch's write, once for
    the batch: the outcome equals stock's ``write`` of each row."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.pricelist = env["product.pricelist"].create({"name": "Clientes Sevilla"})
        cls.term = env.ref("account.account_payment_term_30days")
        cls.client = cls.Partner.create(
            {
                "name": "Sincro Sevilla S.L.",
                "is_company": True,
                "vat": "ESA12345674",
                "industry_id": env.ref("base.res_partner_industry_C").id,
                "street": "Calle Sierpes 1",
                "city": "Sevilla",
                "zip": "41004",
                "country_id": cls.spain.id,
                "property_product_pricelist": cls.pricelist.id,
                "property_payment_term_id": cls.term.id,
            }
        )
        cls.tag = env["res.partner.category"].create({"name": "Sincro"})
        # The same people twice: one set imported, the other written by stock.
        cls.ours = cls.Partner.create(cls.people_values("ours"))
        cls.stock = cls.Partner.create(cls.people_values("stock"))

    @classmethod
    def people_values(cls, side):
        return [
            {"name": f"Sincro {n}", "email": f"sincro{n}@{side}.es", "city": "Cádiz", "country_id": cls.germany.id}
            for n in range(4)
        ]

    def row_values(self, n):
        return {"city": f"Huelva {n}", "phone": f"+34 954 00{n} 000"}

    def import_rows(self, partners):
        header = ["Name", "Email", "City", "Phone", "Company", "Tags"]
        rows = []
        for n, partner in enumerate(partners):
            values = self.row_values(n)
            rows.append([partner.name, partner.email, values["city"], values["phone"], self.client.name, "Sincro"])
        job = self.job(csv_bytes([header, *rows]))
        job.action_import()
        self.env.flush_all()
        return job

    def write_like_stock(self, partners):
        Partner = self.Partner.with_user(self.manager).with_context(tracking_disable=True)
        for n, partner in enumerate(partners):
            job_vals = {**self.row_values(n), "parent_id": self.client.id, "category_id": [Command.set(self.tag.ids)]}
            Partner.browse(partner.id).write(job_vals)
        self.env.flush_all()

    def net_log(self, partner):
        """{field: (value before the first change, value after the last)}."""
        entries = (
            self.env["crm.audit.log"]
            .sudo()
            .search(
                [("res_model", "=", "res.partner"), ("res_id", "=", partner.id), ("operation", "=", "write")],
                order="id",
            )
        )
        changes = {}
        for entry in entries:
            old = changes.get(entry.field_name, (entry.old_value, None))[0]
            changes[entry.field_name] = (old, entry.new_value)
        return {field: change for field, change in changes.items() if change[0] != change[1]}

    def values(self, partner):
        partner.invalidate_recordset()
        result = {}
        for fname in COMPARED:
            if fname not in partner._fields:
                continue
            value = partner[fname]
            result[fname] = value.ids if hasattr(value, "ids") else value
        # The email differs by design between the two sets.
        result["email"] = result["email"].split("@")[0]
        return result

    def assert_like_stock(self, net_log=True):
        """Stock's ``write`` of the same rows on the other set of people: each
        imported contact equals its stock twin, field by field and, with
        ``net_log``, in its audit log's net changes."""
        self.write_like_stock(self.stock)
        for ours, stock in zip(self.ours, self.stock, strict=True):
            with self.subTest(contact=ours.name):
                self.assertEqual(self.values(ours), self.values(stock))
                if net_log:
                    self.assertEqual(self.net_log(ours), self.net_log(stock))

    @contextmanager
    def watch_client_sync(self):
        """The ids of the partners stock's client sync runs on, in the block."""
        origin = type(self.Partner)._commercial_sync_from_company
        synced = []

        def spy(partners):
            synced.extend(partners.ids)
            return origin(partners)

        with patch.object(type(self.Partner), "_commercial_sync_from_company", spy):
            yield synced

    def test_the_batch_syncs_the_client_like_stock_write(self):
        with self.watch_client_sync() as synced:
            job = self.import_rows(self.ours)
        self.assertEqual(job.count_updated, 4)
        self.assertFalse(set(synced) & set(self.ours.ids), "the job synced them itself, once for the batch")
        self.assert_like_stock()
        # Stock's outcome, checked on its own: the client's address wins over the row's.
        self.assertEqual(self.ours.mapped("city"), ["Sevilla"] * 4)
        self.assertEqual(set(self.ours.mapped("vat")), {"ESA12345674"})
        self.assertEqual(self.ours.mapped("property_product_pricelist"), self.pricelist)
        self.assertEqual(self.ours.mapped("property_payment_term_id"), self.term)

    def test_a_contact_with_contacts_of_its_own_keeps_stock_path_and_cascades(self):
        head, other = self.ours[:2]
        assistant = self.Partner.create({"name": "Asistente", "parent_id": head.id})
        with self.watch_client_sync() as synced:
            job = self.import_rows(head | other)
        self.assertEqual(job.count_updated, 2)
        self.assertIn(head.id, synced)
        self.assertNotIn(other.id, synced)
        self.assertEqual(assistant.commercial_partner_id, self.client)
        self.assertEqual(assistant.vat, "ESA12345674")
        self.assertEqual(head.vat, other.vat)

    def test_a_failing_batch_retries_each_row_through_stock_write(self):
        origin = type(self.Partner)._crm_prefetch_dependents
        calls = []

        def fail_once(partners):
            calls.append(partners)
            if len(calls) == 2:
                # The batch write's own prefetch: make the batch fail.
                raise ValueError("batch broken")
            return origin(partners)

        with patch.object(type(self.Partner), "_crm_prefetch_dependents", fail_once):
            job = self.import_rows(self.ours)
        self.assertEqual(job.count_updated, 4)
        self.assert_like_stock(net_log=False)

    def test_extra_updated_rows_cost_few_queries(self):
        self.env.flush_all()
        start = self.env.cr.sql_log_count
        self.import_rows(self.ours[:1])
        one = self.env.cr.sql_log_count - start
        more = self.Partner.create(
            [{"name": f"Sincro extra {n}", "email": f"extra{n}@ours.es", "city": "Cádiz"} for n in range(9)]
        )
        self.env.flush_all()
        start = self.env.cr.sql_log_count
        self.import_rows(self.ours[1:] | more)
        twelve = self.env.cr.sql_log_count - start
        # Stock's write of such a row costs about 12 queries.
        self.assertLessEqual((twelve - one) / 11, 5, f"one row: {one} queries, twelve rows: {twelve}")
