from datetime import datetime

from odoo.tools import SQL

from ..models.crm_lead_ranking import SNAPSHOT_COLUMNS
from .test_analytics import TestAnalyticsCommon


class TestRankingSnapshots(TestAnalyticsCommon):
    """The stage summary's snapshots kept on each deal (its owner when it reached its current stage,
    and in the stage it started in) equal a recompute from the summary after each kind of change, and
    the ranking credits the same salespeople as before they were kept."""

    def snapshots(self):
        """``{deal: (stage user, stage team, entry user, entry date)}`` of the test deals, after checking
        that the kept columns of every deal equal a recompute from scratch."""
        self.env.flush_all()
        names = SQL(", ").join(SQL.identifier(name) for name in SNAPSHOT_COLUMNS)
        kept = self.env.execute_query(SQL("SELECT id, %s FROM crm_lead", names))
        scratch = self.env.execute_query(self.env["crm.lead"]._snapshot_sql())
        self.assertEqual(sorted(kept), sorted(scratch), "the kept snapshots differ from a recompute")
        leads = self.env["crm.lead"].with_context(active_test=False).search([("id", "in", self.deals.ids)])
        leads.invalidate_recordset()
        return {
            lead: (lead.crm_stage_user_id, lead.crm_stage_team_id, lead.crm_entry_user_id, lead.crm_date_entry)
            for lead in leads
        }

    def test_snapshots_of_the_hand_made_history(self):
        rows = self.snapshots()
        # D1 reached Won while the manager owned it; contributor_b owns it today
        self.assertEqual(rows[self.d1], (self.manager, self.team_a, self.contributor, datetime(2026, 1, 5, 9)))
        self.assertEqual(self.d1.user_id, self.contributor_b)
        # D3, team B, reopened back to Qualified then Proposal
        self.assertEqual(rows[self.d3], (self.contributor_b, self.team_b, self.contributor_b, datetime(2026, 1, 5, 9)))
        # D4 lost: the owner of the lost stage
        self.assertEqual(self.d4.stage_id, self.s_lost)
        self.assertEqual(rows[self.d4][0], self.contributor)

    def test_owner_change_without_move_keeps_the_stage_snapshot(self):
        with self.at("2026-02-20 09:00:00"):
            self.d3.user_id = self.manager
        self.assertEqual(self.snapshots()[self.d3][0], self.contributor_b)

    def test_move_takes_the_owner_of_the_new_stage(self):
        with self.at("2026-02-20 09:00:00"):
            self.d3.user_id = self.manager
            self.d3.stage_id = self.s_negotiation
        # the new owner's team came with him (stock assigns the salesperson's team): the team of the move
        self.assertEqual(self.snapshots()[self.d3][:2], (self.manager, self.d3.team_id))
        # back to a stage it stayed in before: the owner when it first reached that stage
        with self.at("2026-02-22 09:00:00"):
            self.d3.stage_id = self.s_proposal
        self.assertEqual(self.snapshots()[self.d3][0], self.contributor_b)

    def test_lost_and_reopened(self):
        with self.at("2026-02-20 09:00:00"):
            self.d3.user_id = self.manager
            self.d3.action_set_lost(lost_reason_id=self.lost_reason.id)
        # D3 first reached the lost stage on 01-20 under contributor_b: that owner is credited
        self.assertEqual(self.snapshots()[self.d3][0], self.contributor_b)
        with self.at("2026-02-21 09:00:00"):
            self.d4.user_id = self.manager
            self.d4.toggle_active()
        # reopened back to Qualified, first reached under the contributor
        self.assertEqual(self.d4.stage_id, self.s_qualified)
        self.assertEqual(self.snapshots()[self.d4][0], self.contributor)
        with self.at("2026-02-22 09:00:00"):
            self.d4.stage_id = self.s_proposal
        self.assertEqual(self.snapshots()[self.d4][0], self.manager)

    def test_new_and_copied_deals(self):
        with self.at("2026-03-01 09:00:00"):
            new = self.env["crm.lead"].create(
                {"name": "D6", "type": "opportunity", "user_id": self.manager.id, "team_id": self.team_b.id}
            )
            copy = self.d1.copy()
        self.deals |= new | copy
        rows = self.snapshots()
        self.assertEqual(rows[new], (self.manager, self.team_b, self.manager, datetime(2026, 3, 1, 9)))
        # a copy is a new deal: its own entry, by its owner today
        self.assertEqual(rows[copy][2:], (self.contributor_b, datetime(2026, 3, 1, 9)))

    def test_no_stage_clears_the_stage_snapshot(self):
        with self.at("2026-02-20 09:00:00"):
            self.d3.stage_id = False
        self.assertEqual(self.snapshots()[self.d3][:2], (self.env["res.users"], self.env["crm.team"]))

    def test_rebuild_and_install_fill_the_snapshots(self):
        expected = self.snapshots()
        names = SQL(", ").join(SQL("%s = NULL", SQL.identifier(name)) for name in SNAPSHOT_COLUMNS)
        self.env.cr.execute(SQL("UPDATE crm_lead SET %s WHERE id = ANY(%s)", names, self.deals.ids))
        self.env["crm.lead"].invalidate_model()
        # install and update fill the columns of existing databases in one statement
        self.env["crm.deal.stage.summary"]._init_summary()
        self.assertEqual(self.snapshots(), expected)
        self.env.cr.execute(SQL("UPDATE crm_lead SET crm_stage_user_id = NULL WHERE id = %s", self.d1.id))
        self.env["crm.deal.stage.summary"]._rebuild(self.d1.ids)
        self.assertEqual(self.snapshots(), expected)
        self.assertEqual(self.env["crm.lead"]._sync_stage_snapshots(), 0, "nothing left to write")

    def test_ranking_reads_the_snapshots(self):
        # the manager is credited with D1 by its snapshot, whatever the summary says afterwards
        self.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET crm_stage_user_id = %s, crm_entry_user_id = %s WHERE id = %s",
                self.contributor_b.id,
                self.manager.id,
                self.d1.id,
            )
        )
        self.env["crm.lead"].invalidate_model()
        rows = {
            user: values
            for user, *values in self.env["crm.salesperson.ranking.report"]._read_group(
                [("lead_id", "=", self.d1.id)], groupby=["user_id"], aggregates=["won_amount:sum", "created_count:sum"]
            )
        }
        self.assertEqual(rows, {self.contributor_b: [1000.0, 0], self.manager: [0.0, 1]})
