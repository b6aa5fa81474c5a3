import logging
from collections import defaultdict
from datetime import timedelta

from psycopg2.extensions import TransactionRollbackError

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.http import request
from odoo.tools import SQL

from odoo.addons.crm.models.crm_stage import AVAILABLE_PRIORITIES

from .crm_acquisition_event import entry_point

_logger = logging.getLogger(__name__)

ASSIGNMENT_RULES = [
    ("none", "Not Automatic"),
    ("round_robin", "Round Robin among Members"),
    ("country", "By Country"),
    ("source", "By Source"),
    ("language", "By Language"),
    ("industry", "By Industry"),
    ("priority", "By Priority"),
]
# Rule -> the field of the rule line holding the value matched.
RULE_FIELDS = {
    "country": "country_id",
    "source": "source_id",
    "language": "lang_id",
    "industry": "industry_id",
    "priority": "priority",
}
# Rule -> the field of the lead holding that value.
LEAD_RULE_FIELDS = {
    "country": "country_id",
    "source": "source_id",
    "language": "lang_id",
    "industry": "crm_industry_id",
    "priority": "priority",
}
# Rule -> the field of the contact or client holding that value (language apart).
PARTNER_RULE_FIELDS = {
    "country": "country_id",
    "source": "source_id",
    "industry": "industry_id",
    "priority": "crm_priority",
}


class CrmTeam(models.Model):
    """How a team assigns its new leads and deals as they arrive: round robin
    among its members, or by a value of the lead mapped to a member by rule
    lines. Members are Odoo's ``crm.team.member`` records; one whose "Skip
    auto assignment" is ticked takes no round-robin turn."""

    _inherit = "crm.team"

    crm_assignment_rule = fields.Selection(
        ASSIGNMENT_RULES,
        string="Assign New Leads",
        default="none",
        required=True,
        help="How new leads and deals that arrive without a salesperson (web form, email alias, import, "
        "API, automation, or created by hand with the salesperson emptied) get one.",
    )
    crm_assignment_fallback = fields.Selection(
        [("round_robin", "Round Robin among Members"), ("none", "Leave Unassigned")],
        string="When No Line Matches",
        default="round_robin",
        required=True,
    )
    crm_assignment_capacity = fields.Selection(
        [
            ("ignore", "Ignore Capacity"),
            ("unassigned", "Skip Members at Capacity, Leave Unassigned When All Are"),
            ("round_robin", "Skip Members at Capacity, Round Robin When All Are"),
        ],
        string="Members' Capacity",
        default="ignore",
        required=True,
        help="A member's capacity is Odoo's “Average Leads Capacity (on 30 days)” of the team member: "
        "a member who got that many leads of this team in the last 30 days takes no more, neither by "
        "round robin nor by a rule line nor by “Assign by Team Rule”. A capacity of 0 takes no leads.",
    )
    crm_assignment_line_ids = fields.One2many(
        "crm.team.assignment.line", "team_id", string="Assignment Lines", copy=True
    )
    crm_assignment_sequence_id = fields.Many2one(
        "ir.sequence", string="Round Robin Counter", readonly=True, copy=False, ondelete="set null"
    )

    @api.model_create_multi
    def create(self, vals_list):
        teams = super().create(vals_list)
        teams._crm_ensure_assignment_sequence()
        return teams

    def write(self, vals):
        res = super().write(vals)
        if vals.get("crm_assignment_rule"):
            self._crm_ensure_assignment_sequence()
        return res

    def unlink(self):
        sequences = self.sudo().crm_assignment_sequence_id
        res = super().unlink()
        sequences.unlink()
        return res

    def _crm_ensure_assignment_sequence(self):
        """Each team assigning automatically has its round-robin counter,
        created with its configuration rather than by the first lead (two
        first leads at once would race to create it)."""
        for team in self.filtered(lambda team: team.crm_assignment_rule != "none"):
            if not team.sudo().crm_assignment_sequence_id:
                team.sudo().crm_assignment_sequence_id = (
                    self.env["ir.sequence"]
                    .sudo()
                    .create(
                        {
                            "name": self.env._("Round robin of team %(team)s", team=team.name),
                            "code": "crm_client_suite.team_round_robin",
                            "implementation": "standard",
                            "company_id": False,
                        }
                    )
                )

    @api.constrains("crm_assignment_rule", "crm_assignment_line_ids")
    def _check_crm_assignment_lines(self):
        labels = dict(self._fields["crm_assignment_rule"]._description_selection(self.env))
        for team in self:
            line_field = RULE_FIELDS.get(team.crm_assignment_rule)
            if line_field and any(not line[line_field] for line in team.crm_assignment_line_ids):
                raise ValidationError(
                    self.env._(
                        "Each assignment line of team %(team)s needs a value for the rule “%(rule)s”.",
                        team=team.name,
                        rule=labels[team.crm_assignment_rule],
                    )
                )

    def _crm_round_robin_members(self):
        """The members taking round-robin turns, in a stable order."""
        self.ensure_one()
        return self.crm_team_member_ids.filtered(
            lambda member: member.active and member.user_id.active and not member.assignment_optout
        ).sorted("id")

    def _crm_next_turns(self, count):
        """``count`` round-robin turns of this team (1, 2, 3, ...), taken from
        a database sequence: concurrent transactions never draw the same
        turn and never wait for each other, which a counter column locked
        with FOR UPDATE could not promise under REPEATABLE READ."""
        self.ensure_one()
        self._crm_ensure_assignment_sequence()
        sequence = self.sudo().crm_assignment_sequence_id
        # ir.sequence's standard implementation is the PostgreSQL sequence
        # ir_sequence_<id>; draw all the turns of the batch in one query.
        self.env.cr.execute(
            SQL(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                f"ir_sequence_{sequence.id:03d}",
                count,
            )
        )
        return [turn for (turn,) in self.env.cr.fetchall()]

    def _crm_assign(self, leads):
        """{lead: user} for the new ``leads`` (or prospects, res.partner) of
        this team, by its rule (an empty user: unassigned), within the
        members' capacity when the team counts it."""
        self.ensure_one()
        assignment = {}
        unmatched = leads
        rule = self.crm_assignment_rule
        members = self._crm_round_robin_members()
        # The line's member, when capacity sent the lead elsewhere.
        preferred = {}
        if rule in RULE_FIELDS:
            users = {}
            for line in self.crm_assignment_line_ids.sorted(lambda line: (line.sequence, line.id)):
                users.setdefault(line[RULE_FIELDS[rule]], line.user_id)
            matched = {}
            for lead in leads:
                user = users.get(lead._crm_assignment_value(rule))
                if user:
                    matched[lead] = user
            left = self._crm_capacity_left(members.user_id | self.env["res.users"].union(*matched.values()))
            for lead, user in matched.items():
                if left is None or left.get(user.id, 1) > 0:
                    assignment[lead] = user
                    if left is not None and user.id in left:
                        left[user.id] -= 1
                else:
                    preferred[lead] = user
            unmatched = leads.browse(lead.id for lead in leads if lead not in assignment)
            if self.crm_assignment_fallback != "round_robin":
                # Unassigned, even where Odoo defaulted to the creating user.
                assignment.update(self._crm_when_all_full(unmatched, preferred))
                return assignment
        else:
            left = self._crm_capacity_left(members.user_id)
        if unmatched and members:
            turns = self._crm_next_turns(len(unmatched))
            if left is None:
                for lead, turn in zip(unmatched, turns, strict=True):
                    assignment[lead] = members[(turn - 1) % len(members)].user_id
            else:
                assignment.update(self._crm_assign_within_capacity(unmatched, members, turns, left, preferred))
        elif preferred:
            # No round-robin member to fall back on.
            assignment.update(self._crm_when_all_full(leads.browse(lead.id for lead in preferred), preferred))
        return assignment

    def _crm_capacity_left(self, users):
        """{user id: leads each of ``users`` may still take in this team}, or
        None when the team ignores capacity. A member's capacity is stock's
        "Average Leads Capacity (on 30 days)", against stock's count of the
        leads the member got in this team in the last 30 days: one grouped
        query for the batch.

        Two batches of the same team at the same instant would both see a
        member's last place free: see _crm_lock_capacity."""
        if self.crm_assignment_capacity == "ignore":
            return None
        # Bookkeeping: every lead of the team counts, whoever assigns.
        members = self.sudo().crm_team_member_ids.filtered(lambda member: member.user_id in users)
        if not members:
            return {}
        self._crm_lock_capacity(members)
        month_ago = fields.Datetime.now() - timedelta(days=30)
        counts = members._get_lead_from_date(month_ago)
        return {
            member.user_id.id: member.assignment_max - counts.get((member.user_id.id, self.id), 0) for member in members
        }

    def _crm_lock_capacity(self, members):
        """Write the rows of ``members`` (a no-op UPDATE, in id order) before
        counting their leads: a concurrent batch of the team waits for this
        transaction and, under REPEATABLE READ, fails to serialize once it
        commits; its count would not see these leads.

        In a web request (the contact form, the web client, the API) the
        failure propagates: Odoo retries the request on a fresh snapshot,
        which sees the first batch's leads. Elsewhere (the mail gateway, an
        import, a cron) nothing would retry, and stock's mail gateway marks
        a failed email as read: the lock is then taken in a savepoint, and a
        conflict only costs the lock (a member may go one lead over)."""
        query = SQL(
            """UPDATE crm_team_member SET write_date = write_date
                WHERE id IN (SELECT id FROM crm_team_member WHERE id IN %s ORDER BY id FOR UPDATE)""",
            tuple(members.ids),
        )
        try:
            in_request = bool(request)
        except RuntimeError:  # outside of a request context
            in_request = False
        # An expected conflict, not a bad query to log.
        if in_request:
            self.env.cr.execute(query, log_exceptions=False)
            return
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
        except TransactionRollbackError:
            _logger.info("Team %s: a concurrent batch took members' places; counting capacity without it.", self.id)

    def _crm_assign_within_capacity(self, leads, members, turns, left, preferred=None):
        """{lead: user}: each lead goes to the member whose turn it is, or to
        the next one with capacity ``left``; when all are at capacity, by the
        team's choice, to nobody or by plain round robin (a lead a rule line
        matched to a full member, in ``preferred``, then goes to that member)."""
        preferred = preferred or {}
        users = [member.user_id for member in members]
        size = len(users)
        assignment = {}
        for lead, turn in zip(leads, turns, strict=True):
            start = (turn - 1) % size
            index = next((i % size for i in range(start, start + size) if left.get(users[i % size].id, 0) > 0), None)
            if index is not None:
                left[users[index].id] -= 1
                assignment[lead] = users[index]
            else:
                assignment.update(self._crm_when_all_full(lead, preferred, users[start]))
        return assignment

    def _crm_when_all_full(self, leads, preferred, turn=None):
        """{lead: user} for ``leads`` no member with capacity left can take:
        unassigned, or when the team round-robins when all are full, the
        member of the rule line that matched the lead (in ``preferred``),
        else the member whose turn it is."""
        nobody = self.env["res.users"]
        if self.crm_assignment_capacity != "round_robin":
            return dict.fromkeys(leads, nobody)
        return {lead: preferred.get(lead) or turn or nobody for lead in leads}


class CrmTeamAssignmentLine(models.Model):
    """A value of new leads (a country, source, language, industry or
    priority, after the team's rule) mapped to the member who gets them."""

    _name = "crm.team.assignment.line"
    _description = "Sales Team Assignment Line"
    _order = "team_id, sequence, id"

    team_id = fields.Many2one("crm.team", string="Sales Team", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        required=True,
        ondelete="cascade",
        domain="[('id', 'in', team_member_user_ids)]",
    )
    team_member_user_ids = fields.Many2many(related="team_id.member_ids", string="Team Members")
    country_id = fields.Many2one("res.country")
    source_id = fields.Many2one("utm.source")
    lang_id = fields.Many2one("res.lang", string="Language")
    industry_id = fields.Many2one("res.partner.industry")
    priority = fields.Selection(AVAILABLE_PRIORITIES)

    @api.constrains("user_id", "team_id")
    def _check_user_is_member(self):
        for line in self:
            if line.user_id not in line.team_id.member_ids:
                raise ValidationError(
                    self.env._(
                        "%(user)s is not a member of team %(team)s: only its members can be assigned its leads.",
                        user=line.user_id.name,
                        team=line.team_id.name,
                    )
                )


def _crm_write_assignment(records, unassign=True):
    """Give ``records`` (leads or prospects) their salesperson by the rule of
    their team, in one write per salesperson; return how many changed.
    Without ``unassign``, a record no rule assigns keeps its salesperson."""
    by_user = defaultdict(list)
    for team in records.team_id.filtered(lambda team: team.crm_assignment_rule != "none"):
        team_records = records.filtered(lambda record, team=team: record.team_id == team)
        for record, user in team._crm_assign(team_records).items():
            if record.user_id != user and (user or unassign):
                by_user[user].append(record.id)
    for user, ids in by_user.items():
        records.browse(ids).write({"user_id": user.id})
    return sum(len(ids) for ids in by_user.values())


class CrmLead(models.Model):
    _inherit = "crm.lead"

    def _crm_assignment_value(self, rule):
        """The value of this lead that the team's ``rule`` matches."""
        self.ensure_one()
        return self[LEAD_RULE_FIELDS[rule]]

    def _crm_assign_new_leads(self, vals_list):
        """Give the new leads of ``self`` (created from ``vals_list``) that
        arrived without a salesperson one, by their team's rule. By hand in
        the web client, Odoo's default (the creator) stands unless the
        salesperson was emptied."""
        default_user = self.env.context.get("default_user_id")
        explicit_default = "default_user_id" in self.env.context
        manual = entry_point(self.env) == "manual"
        candidates = self.browse(
            lead.id
            for lead, vals in zip(self, vals_list, strict=True)
            if not vals.get("user_id", default_user) and ("user_id" in vals or explicit_default or not manual)
        )
        # The team's rule, not the creator, assigns: bookkeeping, hence sudo.
        _crm_write_assignment(candidates.sudo())


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _crm_assignment_value(self, rule):
        """The value of this prospect that the team's ``rule`` matches."""
        self.ensure_one()
        if rule == "language":
            return self.env["res.lang"]._lang_get(self.lang) if self.lang else self.env["res.lang"]
        return self[PARTNER_RULE_FIELDS[rule]]

    def action_crm_assign_by_team_rule(self):
        """Give the selected clients and contacts a salesperson by their
        team's assignment rule, as new leads get one (Managers)."""
        if not self.env.su and not self.env.user.has_group("crm_client_suite.group_manager"):
            raise AccessError(self.env._("Only Managers can assign clients and contacts by their team's rule."))
        assigned = _crm_write_assignment(self, unassign=False)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if assigned else "warning",
                "message": self.env._(
                    "%(assigned)s of %(count)s clients and contacts got a salesperson by their team's rule.",
                    assigned=assigned,
                    count=len(self),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
