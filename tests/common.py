import re
import threading
from contextlib import contextmanager

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user

# How Odoo words a refusal by the access rights (ir.model.access), per operation.
ACL_VERBS = {"read": "access", "write": "modify", "create": "create", "unlink": "delete"}


class CrmClientSuiteCommon(TransactionCase):
    """Shared fixture: one user per role, a portal user and two sales teams.

    Team A: ``manager`` and ``contributor``. Team B: ``manager_b`` and
    ``contributor_b``. Each team has a client with one contact and deals;
    the owners are the team's contributor. Nothing depends on demo data.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.company.crm_team_isolation = False

        def user(login, role, **kw):
            return new_test_user(
                cls.env,
                login=login,
                groups=role,
                name=login.replace("_", " ").title(),
                email=f"{login}@example.com",
                **kw,
            )

        cls.admin_user = user("ccs_admin", "crm_client_suite.group_admin")
        cls.manager = user("ccs_manager", "crm_client_suite.group_manager")
        cls.manager_b = user("ccs_manager_b", "crm_client_suite.group_manager")
        cls.contributor = user("ccs_contributor", "crm_client_suite.group_contributor")
        cls.contributor_b = user("ccs_contributor_b", "crm_client_suite.group_contributor")
        cls.guest = user("ccs_guest", "crm_client_suite.group_guest")

        Team = cls.env["crm.team"]
        cls.team_a = Team.create(
            {
                "name": "Team Iberia",
                "member_ids": [Command.set((cls.manager | cls.contributor).ids)],
            }
        )
        cls.team_b = Team.create(
            {
                "name": "Team DACH",
                "member_ids": [Command.set((cls.manager_b | cls.contributor_b).ids)],
            }
        )

        Partner = cls.env["res.partner"]
        cls.client_a = Partner.create(
            {
                "name": "Construcciones Ibéricas S.L.",
                "is_company": True,
                "team_id": cls.team_a.id,
                "user_id": cls.contributor.id,
                "email": "info@construcciones-ibericas.example.com",
            }
        )
        cls.contact_a = Partner.create(
            {
                "name": "Lucía Fernández",
                "parent_id": cls.client_a.id,
                "user_id": cls.contributor.id,
                "email": "lucia@construcciones-ibericas.example.com",
            }
        )
        cls.contact_a_other = Partner.create(
            {
                "name": "Javier Ruiz",
                "parent_id": cls.client_a.id,
                "user_id": cls.manager.id,
                "email": "javier@construcciones-ibericas.example.com",
            }
        )
        cls.client_b = Partner.create(
            {
                "name": "Müller Maschinenbau GmbH",
                "is_company": True,
                "team_id": cls.team_b.id,
                "user_id": cls.contributor_b.id,
            }
        )
        cls.contact_b = Partner.create(
            {
                "name": "Jonas Müller",
                "parent_id": cls.client_b.id,
                "user_id": cls.contributor_b.id,
            }
        )
        cls.portal_user = new_test_user(
            cls.env,
            login="ccs_portal",
            groups="base.group_portal",
            name="Lucía Portal",
            email="portal@construcciones-ibericas.example.com",
        )
        cls.portal_user.partner_id.parent_id = cls.client_a

        Lead = cls.env["crm.lead"]
        cls.deal_contributor = Lead.create(
            {
                "name": "Obra nueva Madrid",
                "type": "opportunity",
                "partner_id": cls.client_a.id,
                "user_id": cls.contributor.id,
                "team_id": cls.team_a.id,
                "expected_revenue": 12000,
            }
        )
        cls.deal_manager = Lead.create(
            {
                "name": "Reforma Sevilla",
                "type": "opportunity",
                "partner_id": cls.client_a.id,
                "user_id": cls.manager.id,
                "team_id": cls.team_a.id,
                "expected_revenue": 8000,
            }
        )
        cls.deal_b = Lead.create(
            {
                "name": "Fertigungslinie Stuttgart",
                "type": "opportunity",
                "partner_id": cls.client_b.id,
                "user_id": cls.contributor_b.id,
                "team_id": cls.team_b.id,
                "expected_revenue": 50000,
            }
        )
        cls.deal_unassigned_b = Lead.create(
            {
                "name": "Wartungsvertrag Köln",
                "type": "opportunity",
                "partner_id": cls.client_b.id,
                "user_id": False,
                "team_id": cls.team_b.id,
            }
        )

    @classmethod
    def set_team_isolation(cls, enabled):
        cls.env.company.sudo().crm_team_isolation = enabled

    def visible(self, user, records):
        """The part of ``records`` that ``user`` may read."""
        return records.with_user(user).search([("id", "in", records.ids)])

    def assertRefusedByAccessRights(self, operation, model):
        """The block raises the AccessError of Odoo's access rights (no group
        of the user allows ``operation`` on ``model``), not any AccessError."""
        return self.assertRaisesRegex(
            AccessError,
            re.escape(f"You are not allowed to {ACL_VERBS[operation]} ")
            + r"'[^']*' "
            + re.escape(f"({model}) records."),
        )

    def assertRefusedByRecordRules(self, operation, model):
        """The block raises the AccessError of a record rule: the user may
        ``operation`` on ``model`` in general, but not on these records."""
        return self.assertRaisesRegex(
            AccessError, re.escape(f"doesn't have '{operation}' access to:\n- ") + r".*" + re.escape(f"({model})")
        )


class TwoCursorCase(TransactionCase):
    """Cron workers on real database cursors of their own, as on a server.

    The test transaction cannot see what other cursors commit, so the data of
    these tests is created and removed through committed cursors
    (``committed_env``), and each worker runs its cron on a cursor of its own
    (``run_workers``).
    """

    @contextmanager
    def committed_env(self, context=None):
        """A superuser environment on a registry cursor, committed on exit."""
        with self.registry.cursor() as cr:
            # The test runner holds the registry lock: hand the registry over
            # instead of letting Environment look it up by database name.
            cr.transaction = api.Transaction(self.registry)
            yield api.Environment(cr, SUPERUSER_ID, context or {})

    def remove_team(self, team_id, user_ids=()):
        """Delete, committed, a team made by the test, with its deals (archived
        too) and its users."""
        with self.committed_env() as env:
            env["crm.lead"].with_context(active_test=False).search([("team_id", "=", team_id)]).unlink()
            env["crm.team"].browse(team_id).unlink()
            env["res.users"].browse(user_ids).unlink()

    def run_workers(self, job, count=2):
        """Run ``job(env)`` in ``count`` threads at once, each on its own cursor
        with the cron's right to commit; return their results. A worker's error
        fails the test."""
        barrier, results, errors = threading.Barrier(count), [], []

        def work():
            try:
                with self.committed_env({"crm_cron_commit": True}) as env:
                    barrier.wait(timeout=30)
                    results.append(job(env))
            except Exception as e:  # reported by the main thread
                errors.append(e)

        workers = [threading.Thread(target=work) for _i in range(count)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        self.assertFalse(errors)
        return results
