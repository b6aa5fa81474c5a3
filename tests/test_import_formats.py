import datetime

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.crm_client_suite.models.crm_import_format import infer_column

from .test_import import TestImportCommon, csv_bytes, xlsx_bytes


@tagged("post_install", "-at_install")
class TestImportFormats(TestImportCommon):
    """Each column's decimal separator and date format, inferred, shown, overridable, applied."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Field = cls.env["crm.custom.field"].with_user(cls.admin_user)
        for key, name, kind in (
            ("revenue", "Revenue", "float"),
            ("budget", "Budget", "float"),
            ("signed", "Signed On", "date"),
            ("renewal", "Renewal", "date"),
            ("seats", "Seats", "integer"),
        ):
            Field.create({"name": name, "key": key, "model": "res.partner", "field_type": kind})

    def columns(self, job):
        return {column.header: column for column in job.column_ids}

    def imported(self, job):
        return {row.row_number: row for row in job.row_ids}

    def test_german_and_us_columns_of_one_file_each_keep_their_format(self):
        job = self.job(
            csv_bytes(
                [
                    ["Name", "Revenue", "Budget", "Signed On", "Renewal"],
                    ["Lena", "1.234,56", "1,234.50", "31.12.2024", "12/31/2025"],
                    ["Max", "12,5", "7.25", "05.01.2024", "01/05/2026"],
                ]
            )
        )
        columns = self.columns(job)
        self.assertEqual(
            [(c.value_kind, c.decimal_separator) for c in (columns["Revenue"], columns["Budget"])],
            [("number", ","), ("number", ".")],
        )
        self.assertEqual(columns["Signed On"].date_format, "dd.mm.yyyy")
        self.assertEqual(columns["Renewal"].date_format, "mm/dd/yyyy", "31 cannot be a month")
        self.assertFalse(columns["Signed On"].date_ambiguous or columns["Renewal"].date_ambiguous)
        self.assertEqual(self.targets(job)["Revenue"], "x_revenue")
        # The preview shows the format each column is read with.
        self.assertIn("Number: 1.234,56", job.preview)
        self.assertIn("Number: 1,234.56", job.preview)
        self.assertIn("Date: dd.mm.yyyy", job.preview)
        self.assertIn("Date: mm/dd/yyyy", job.preview)
        job.action_import()
        partners = {row.row_number: row.record_id for row in job.row_ids}
        self.assertEqual([partners[2].x_revenue, partners[2].x_budget], [1234.56, 1234.5])
        self.assertEqual([partners[3].x_revenue, partners[3].x_budget], [12.5, 7.25])
        self.assertEqual(partners[2].x_signed, datetime.date(2024, 12, 31))
        self.assertEqual(partners[3].x_signed, datetime.date(2024, 1, 5))
        self.assertEqual(partners[3].x_renewal, datetime.date(2026, 1, 5))

    def test_an_ambiguous_date_column_is_flagged_and_refused_until_the_user_chooses(self):
        content = csv_bytes([["Name", "Signed On"], ["Lena", "05/01/2024"], ["Max", "06/02/2024"]])
        job = self.job(content)
        column = self.columns(job)["Signed On"]
        self.assertTrue(column.date_ambiguous)
        # The manager's language (en_US) breaks the tie, and the preview says to check it.
        self.assertEqual(column.date_format, "mm/dd/yyyy")
        self.assertIn("(day or month? choose the format)", job.preview)
        message = "Choose the date format of the column Signed On: its dates read both as day/month and as month/day."
        with self.assertRaisesRegex(UserError, message):
            job.action_test()
        with self.assertRaisesRegex(UserError, message):
            job.action_import()
        self.assertFalse(self.Partner.search([("name", "in", ("Lena", "Max"))]))
        # The user chooses day/month: the flag goes and the dates are read that way.
        column.date_format = "dd/mm/yyyy"
        self.assertFalse(column.date_ambiguous)
        job.action_import()
        self.assertEqual(
            job.row_ids.sorted("row_number").record_id.mapped("x_signed"),
            [datetime.date(2024, 1, 5), datetime.date(2024, 2, 6)],
        )

    def test_an_ambiguous_column_that_is_not_a_date_field_does_not_block(self):
        job = self.job(csv_bytes([["Name", "Notes"], ["Lena", "05/01/2024"]]))
        self.assertTrue(self.columns(job)["Notes"].date_ambiguous)
        job.action_import()
        self.assertIn("05/01/2024", job.row_ids.record_id.comment)

    def test_a_spanish_user_gets_day_month_first_on_a_tie(self):
        self.env["res.lang"]._activate_lang("es_ES")
        self.manager.lang = "es_ES"
        self.Job = self.Job.with_context(lang="es_ES")
        job = self.job(csv_bytes([["Name", "Signed On"], ["Lena", "05/01/2024"]]))
        column = self.columns(job)["Signed On"]
        self.assertEqual((column.date_format, column.date_ambiguous), ("dd/mm/yyyy", True))
        # Spanish writes 1.234,56: a number that does not tell takes the
        # language's separator, and is flagged.
        self.assertEqual(infer_column(["1.234"], ","), ("number", ",", False, True))
        job = self.job(csv_bytes([["Name", "Revenue"], ["Lena", "1.500"]]))
        column = self.columns(job)["Revenue"]
        self.assertEqual((column.decimal_separator, column.decimal_ambiguous), (",", True))

    def test_overriding_the_decimal_separator_changes_what_is_imported(self):
        # "1,234" is a thousand or one and a bit: nothing tells, so the English default applies.
        job = self.job(csv_bytes([["Name", "Revenue"], ["Lena", "1,234"], ["Max", "2,000"]]))
        column = self.columns(job)["Revenue"]
        self.assertEqual((column.decimal_separator, column.decimal_ambiguous), (".", True))
        column.decimal_separator = ","
        self.assertFalse(column.decimal_ambiguous)
        self.assertIn("Number: 1.234,56", job.preview)
        job.action_import()
        self.assertEqual(job.row_ids.sorted("row_number").record_id.mapped("x_revenue"), [1.234, 2.0])

    def test_an_ambiguous_number_column_is_flagged_and_refused_until_the_user_chooses(self):
        job = self.job(csv_bytes([["Name", "Revenue", "Seats"], ["Lena", "1,500", "3"], ["Max", "2,250", "12"]]))
        columns = self.columns(job)
        column = columns["Revenue"]
        # The manager's language (en_US) breaks the tie, and the preview says to check it.
        self.assertEqual((column.value_kind, column.decimal_separator, column.decimal_ambiguous), ("number", ".", True))
        self.assertIn("Number: 1,234.56 (thousands or decimals? choose the separator)", job.preview)
        self.assertFalse(columns["Seats"].decimal_ambiguous, "3 and 12 read one way only")
        message = (
            r"Choose the decimal separator of the column Revenue: its numbers \(1,500, 2,250\) read both as"
            " thousands and as decimals."
        )
        with self.assertRaisesRegex(UserError, message):
            job.action_test()
        with self.assertRaisesRegex(UserError, message):
            job.action_import()
        self.assertEqual(job.state, "draft")
        self.assertFalse(self.Partner.search([("name", "in", ("Lena", "Max"))]))
        # The user chooses the decimal comma: the flag goes and the numbers are read that way.
        column.decimal_separator = ","
        self.assertFalse(column.decimal_ambiguous)
        self.assertNotIn("thousands or decimals?", job.preview)
        job.action_import()
        self.assertEqual(job.row_ids.sorted("row_number").record_id.mapped("x_revenue"), [1.5, 2.25])

    def test_unticking_the_flag_keeps_the_separator_shown(self):
        job = self.job(csv_bytes([["Name", "Revenue"], ["Lena", "1,500"]]))
        self.columns(job)["Revenue"].decimal_ambiguous = False
        job.action_test()
        self.assertEqual(job.plan_create, 1)
        job.action_import()
        self.assertEqual(job.row_ids.record_id.x_revenue, 1500.0)

    def test_unticking_day_or_month_keeps_the_date_format_shown(self):
        job = self.job(csv_bytes([["Name", "Signed On"], ["Lena", "05/01/2024"]]))
        column = self.columns(job)["Signed On"]
        self.assertEqual((column.date_format, column.date_ambiguous), ("mm/dd/yyyy", True))
        column.date_ambiguous = False
        job.action_import()
        self.assertEqual(job.row_ids.record_id.x_signed, datetime.date(2024, 5, 1))

    def test_a_column_whose_numbers_tell_is_not_flagged(self):
        job = self.job(csv_bytes([["Name", "Revenue"], ["Lena", "1,500"], ["Max", "2,5"]]))
        column = self.columns(job)["Revenue"]
        self.assertEqual((column.decimal_separator, column.decimal_ambiguous), (",", False))
        job.action_import()
        self.assertEqual(job.row_ids.sorted("row_number").record_id.mapped("x_revenue"), [1.5, 2.5])

    def test_an_ambiguous_number_that_is_not_a_number_field_does_not_block(self):
        job = self.job(csv_bytes([["Name", "Notes"], ["Lena", "1,500"]]))
        self.assertTrue(self.columns(job)["Notes"].decimal_ambiguous)
        job.action_import()
        self.assertIn("1,500", job.row_ids.record_id.comment)

    def test_a_contributor_cannot_choose_a_column_format(self):
        job = self.job(csv_bytes([["Name", "Revenue"], ["Lena", "1,500"]]))
        column = self.columns(job)["Revenue"]
        with self.assertRaises(AccessError):
            column.with_user(self.contributor).write({"decimal_separator": ","})
        self.assertEqual((column.decimal_separator, column.decimal_ambiguous), (".", True))

    def test_an_unreadable_cell_fails_its_row_with_the_reason_and_the_others_import(self):
        job = self.job(
            csv_bytes(
                [
                    ["Name", "Revenue", "Signed On", "Seats"],
                    ["Lena", "1.234,56", "31.12.2024", "3"],
                    ["Max", "lots", "05.01.2024", "4"],
                    ["Ana", "12,5", "31.02.2024", "5"],
                    ["Tom", "3,5", "01.03.2024", "2,5"],
                    ["Eva", "4", "02.03.2024", "1.000"],
                ]
            )
        )
        job.action_import()
        rows = self.imported(job)
        self.assertEqual(rows[2].state, "created")
        self.assertEqual(rows[6].state, "created")
        self.assertEqual(rows[6].record_id.x_seats, 1000)
        self.assertEqual(rows[3].state, "failed")
        self.assertEqual(rows[3].error_text, "Revenue: lots is not a number written as 1.234,56.")
        self.assertEqual(rows[4].error_text, "Signed On: 31.02.2024 is not a date written as dd.mm.yyyy.")
        self.assertEqual(rows[5].error_text, "Seats: 2,5 is not a whole number.")
        self.assertEqual(job.count_created, 2)
        self.assertEqual(job.count_failed, 3)
        self.assertFalse(self.Partner.search([("name", "in", ("Max", "Ana", "Tom"))]))

    def test_excel_serial_days_and_date_cells_are_read_as_dates(self):
        content = xlsx_bytes(
            {
                "Contacts": [
                    ["Name", "Signed On", "Renewal", "Revenue"],
                    ["Lena", 45123, datetime.datetime(2025, 3, 4), 1234.5],
                    ["Max", 45124.0, datetime.datetime(2025, 3, 5), 1.234],
                ]
            }
        )
        job = self.job(content, name="contacts.xlsx")
        columns = self.columns(job)
        self.assertEqual(columns["Renewal"].date_format, "yyyy-mm-dd")
        # Excel keeps numbers as numbers: 1.234 is one and a bit, whatever the language.
        self.assertEqual(columns["Revenue"].decimal_separator, ".")
        self.assertFalse(columns["Revenue"].decimal_ambiguous)
        job.action_import()
        partners = job.row_ids.sorted("row_number").record_id
        self.assertEqual(partners.mapped("x_signed"), [datetime.date(2023, 7, 16), datetime.date(2023, 7, 17)])
        self.assertEqual(partners.mapped("x_renewal"), [datetime.date(2025, 3, 4), datetime.date(2025, 3, 5)])
        self.assertEqual(partners.mapped("x_revenue"), [1234.5, 1.234])

    def test_a_csv_does_not_read_serial_days(self):
        job = self.job(csv_bytes([["Name", "Signed On"], ["Lena", "45123"]]))
        job.action_import()
        self.assertEqual(job.row_ids.state, "failed")
        self.assertIn("45123 is not a date written as", job.row_ids.error_text)
