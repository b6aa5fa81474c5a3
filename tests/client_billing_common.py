from datetime import date

from freezegun import freeze_time

from odoo import Command

from .common import CrmClientSuiteCommon

# A Wednesday: the weekly run bills the time up to Sunday 2026-11-22.
TODAY = date(2026, 11, 25)
LAST_SUNDAY = date(2026, 11, 22)


class ClientBillingCommon(CrmClientSuiteCommon):
    """Two clients with a project each, and employees for the team members."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(freeze_time(TODAY))
        # Client time already in the database (demo data) is set aside: the weekly run bills every client.
        cls.env["account.analytic.line"].search([("crm_client_id", "!=", False)]).unlink()
        cls.usd = cls.company.currency_id
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.env["res.currency.rate"].search([("currency_id", "=", cls.eur.id)]).unlink()
        Employee = cls.env["hr.employee"]
        cls.emp_contributor = Employee.create(
            {"name": "Contributor Employee", "user_id": cls.contributor.id, "hourly_cost": 40.0}
        )
        cls.emp_manager = Employee.create({"name": "Manager Employee", "user_id": cls.manager.id, "hourly_cost": 60.0})
        cls.emp_contributor_b = Employee.create(
            {"name": "Contributor B Employee", "user_id": cls.contributor_b.id, "hourly_cost": 30.0}
        )
        cls.product = cls.company._crm_time_product()
        cls.product.list_price = 100.0
        cls.project_a = (
            (cls.client_a | cls.client_b)._crm_ensure_client_project().filtered(lambda p: p.partner_id == cls.client_a)
        )
        cls.project_b = cls.env["project.project"].search([("partner_id", "=", cls.client_b.id)])
        cls.project_a2 = cls.env["project.project"].create({"name": "Second project A"})
        cls.project_a2.partner_id = cls.client_a
        cls.task_a = cls.env["project.task"].create({"name": "Foundations", "project_id": cls.project_a.id})

    @classmethod
    def log(cls, project, employee, hours, day, **values):
        return cls.env["account.analytic.line"].create(
            {
                "name": values.pop("name", "Work"),
                "project_id": project.id,
                "employee_id": employee.id,
                "unit_amount": hours,
                "date": day,
                **values,
            }
        )

    @classmethod
    def set_rate(cls, currency, rate, day):
        return cls.env["res.currency.rate"].create(
            {"currency_id": currency.id, "rate": rate, "name": day, "company_id": cls.company.id}
        )

    def run_weekly(self):
        return self.env["crm.time.invoicing"]._cron_invoice_time()

    def invoices_of(self, client):
        return self.env["account.move"].search(
            [("partner_id", "child_of", client.id), ("move_type", "=", "out_invoice")]
        )


__all__ = ["LAST_SUNDAY", "TODAY", "ClientBillingCommon", "Command"]
