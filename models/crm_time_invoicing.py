import logging
from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_date

from .crm_automation_run import claimed_batches

_logger = logging.getLogger(__name__)

BATCH_SIZE = 50  # clients invoiced, then committed, together
TIME_BUDGET = 600  # seconds a cron call works before it leaves the rest to the next call

# The client's payment preferences (res.partner crm_payment_term) as Odoo's payment terms.
PAYMENT_TERM_XMLIDS = {
    "immediate": "account.account_payment_term_immediate",
    "15": "account.account_payment_term_15days",
    "30": "account.account_payment_term_30days",
    "45": "account.account_payment_term_45days",
    "60": "crm_client_suite.payment_term_60days",
    "end_of_month": "account.account_payment_term_end_following_month",
}
# The client's preferred payment method (crm_payment_method) as the journal
# type and payment method codes of an inbound payment method line.
PAYMENT_METHOD_LINES = {
    "transfer": ("bank", ("manual",)),
    "direct_debit": ("bank", ("sdd",)),
    "cash": ("cash", ("manual",)),
}


class CrmTimeInvoicing(models.AbstractModel):
    """Weekly client invoices from the time spent on the clients' projects.

    One draft customer invoice per client, company and currency bills the
    client's unbilled timesheet lines up to a date. The weekly cron and the
    client's "Invoice time now" button run the same code. Each client is a
    batch of its own, locked with ``FOR UPDATE SKIP LOCKED`` so that several
    workers or servers never bill a line twice (the pattern of
    ``crm.automation.run._cron_process_due_runs``).
    """

    _name = "crm.time.invoicing"
    _description = "Invoicing of Client Time"

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def _crm_last_sunday(self, today=None):
        today = today or fields.Date.context_today(self)
        return today - timedelta(days=today.weekday() + 1)

    @api.model
    def _cron_invoice_time(self, batch_size=BATCH_SIZE, time_budget=TIME_BUDGET):
        """The weekly run: the time of every client up to the previous Sunday."""
        moves, failures = self.sudo()._invoice_time(
            self._crm_last_sunday(), batch_size=batch_size, time_budget=time_budget
        )
        if self.env.context.get("ir_cron_progress_id"):
            self.env["ir.cron"]._notify_progress(done=len(moves), remaining=0)
        return moves, failures

    @api.model
    def _invoice_time(self, period_end, client_ids=None, batch_size=BATCH_SIZE, time_budget=None):
        """Invoice the unbilled time up to ``period_end`` of the clients
        ``client_ids`` (all clients by default), batch by batch.

        Returns the invoices created and the failures, a dict client -> message.
        A client that fails (a missing exchange rate, a misconfigured product)
        keeps its time unbilled and gets the reason on its chatter; the other
        clients are invoiced.
        """
        moves = self.env["account.move"]
        failures = {}

        def claim():
            clients = self._lock_due_clients(batch_size, period_end, client_ids, [c.id for c in failures])
            return clients and (clients, self._lock_unbilled_lines(clients, period_end))

        for clients, lines in claimed_batches(self.env, claim, time_budget):
            batch_moves, batch_failures = self._invoice_batch(clients, lines, period_end)
            moves |= batch_moves
            failures.update(batch_failures)
        return moves, failures

    # ------------------------------------------------------------------
    # Locking
    # ------------------------------------------------------------------

    @api.model
    def _unbilled_condition(self, period_end):
        """SQL condition on ``line`` (account_analytic_line): client time up to
        ``period_end`` that no invoice bills yet."""
        condition = SQL(
            """line.crm_client_id IS NOT NULL
               AND line.project_id IS NOT NULL
               AND line.crm_invoice_line_id IS NULL
               AND line.unit_amount != 0
               AND line.date <= %s""",
            period_end,
        )
        if "so_line" in self.env["account.analytic.line"]._fields:
            # sale_timesheet installed: time of a sale order line is invoiced
            # through its sale order, never here.
            condition = SQL("%s AND line.so_line IS NULL", condition)
        return condition

    @api.model
    def _lock_due_clients(self, limit, period_end, client_ids=None, skip_ids=()):
        """Take up to ``limit`` clients with unbilled time, skipping those that
        another worker is invoicing."""
        fnames = ["crm_client_id", "project_id", "crm_invoice_line_id", "unit_amount", "date"]
        Line = self.env["account.analytic.line"]
        Line.flush_model([fname for fname in [*fnames, "so_line"] if fname in Line._fields])
        restrict = SQL("AND client.id = ANY(%s)", list(client_ids)) if client_ids is not None else SQL()
        self.env.cr.execute(
            SQL(
                """
                SELECT client.id
                  FROM res_partner client
                 WHERE client.id IN (SELECT line.crm_client_id FROM account_analytic_line line WHERE %s)
                   AND client.id != ALL(%s)
                   %s
                 ORDER BY client.id
                 LIMIT %s
                   FOR NO KEY UPDATE OF client SKIP LOCKED
                """,
                self._unbilled_condition(period_end),
                list(skip_ids),
                restrict,
                limit,
            ),
            log_exceptions=False,
        )
        return self.env["res.partner"].browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _lock_unbilled_lines(self, clients, period_end):
        """Lock the unbilled time of the (locked) ``clients``. A line that
        another worker billed after this transaction's snapshot raises a
        serialization failure here, which the caller retries."""
        if not clients:
            return self.env["account.analytic.line"]
        self.env.cr.execute(
            SQL(
                """
                SELECT line.id
                  FROM account_analytic_line line
                 WHERE line.crm_client_id = ANY(%s) AND %s
                 ORDER BY line.id
                   FOR UPDATE OF line
                """,
                clients.ids,
                self._unbilled_condition(period_end),
            ),
            log_exceptions=False,
        )
        return self.env["account.analytic.line"].browse([row[0] for row in self.env.cr.fetchall()])

    # ------------------------------------------------------------------
    # Invoicing
    # ------------------------------------------------------------------

    @api.model
    def _invoice_batch(self, clients, lines, period_end):
        """Invoice the locked ``lines`` of the locked ``clients``.

        The invoices of the whole batch are created at once (the fast path);
        if that fails, each client is retried alone in a savepoint of its
        own, so that one client's problem never holds back the others.
        """
        rates = self.env["crm.billing.rate"]._resolve(
            (line.crm_client_id.id, line.project_id.id, line.employee_id.id) for line in lines
        )
        lines_by_client = lines.grouped("crm_client_id")
        prepared, failures = [], {}
        cache = {}
        for client in clients:
            try:
                client_lines = lines_by_client.get(client, lines.browse())
                prepared += self._prepare_client_invoices(client, client_lines, period_end, rates, cache)
            except (UserError, ValidationError) as error:
                failures[client] = error.args[0]
        moves = self.env["account.move"]
        try:
            with self.env.cr.savepoint():
                moves = self._create_invoices(prepared)
        except Exception:
            _logger.info("Invoicing a batch of clients at once failed, retrying client by client", exc_info=True)
            for client, items in self._group_prepared(prepared).items():
                try:
                    with self.env.cr.savepoint():
                        moves |= self._create_invoices(items)
                except (UserError, ValidationError) as error:
                    failures[client] = error.args[0]
                except Exception as error:  # a failing client never takes the others down
                    _logger.exception("Invoicing the time of client %s failed", client.id)
                    failures[client] = str(error)
        for client, message in failures.items():
            client.message_post(
                body=self.env._("The time of this client could not be invoiced: %(reason)s", reason=message),
                subtype_xmlid="mail.mt_note",
            )
        return moves, failures

    @api.model
    def _group_prepared(self, prepared):
        by_client = defaultdict(list)
        for item in prepared:
            by_client[item["client"]].append(item)
        return by_client

    @api.model
    def _create_invoices(self, prepared):
        """Create the invoices of ``prepared`` and link each billed line."""
        if not prepared:
            return self.env["account.move"]
        moves = (
            self.env["account.move"]
            .with_context(default_move_type="out_invoice")
            .create([item["values"] for item in prepared])
        )
        links = []
        for move, item in zip(moves, prepared, strict=True):
            invoice_lines = move.invoice_line_ids.sorted("id")
            for invoice_line, timesheets in zip(invoice_lines, item["timesheets"], strict=True):
                links.append((invoice_line.id, timesheets.ids))
        for invoice_line_id, timesheet_ids in links:
            self.env.cr.execute(
                SQL(
                    "UPDATE account_analytic_line SET crm_invoice_line_id = %s WHERE id = ANY(%s)",
                    invoice_line_id,
                    timesheet_ids,
                )
            )
        self.env["account.analytic.line"].invalidate_model(["crm_invoice_line_id"])
        self.env["account.move.line"].invalidate_model(["crm_timesheet_ids"])
        return moves

    @api.model
    def _prepare_client_invoices(self, client, lines, period_end, rates, cache):
        """The invoice values of ``client``: one invoice per company of its time."""
        prepared = []
        for company, company_lines in lines.grouped("company_id").items():
            currency = client.crm_currency_id or company.currency_id
            product = company._crm_time_product()
            groups = defaultdict(lambda: self.env["account.analytic.line"])
            prices = {}
            for line in company_lines:
                rate = rates.get((client.id, line.project_id.id, line.employee_id.id))
                if rate:
                    price = self._convert(rate.price, rate.currency_id, currency, company, period_end, cache)
                else:
                    price = self._convert(
                        product.with_company(company).lst_price,
                        company.currency_id,
                        currency,
                        company,
                        period_end,
                        cache,
                    )
                key = self._invoice_line_key(company, line, price)
                groups[key] |= line
                prices[key] = price
            start = min(company_lines.mapped("date"))
            invoice_lines, timesheets = [], []
            for key, group in groups.items():
                invoice_lines.append(
                    Command.create(
                        self._prepare_invoice_line(client, company, group, product, prices[key], start, period_end)
                    )
                )
                timesheets.append(group)
            prepared.append(
                {
                    "client": client,
                    "timesheets": timesheets,
                    "values": self._prepare_invoice(client, company, currency, start, period_end, invoice_lines, cache),
                }
            )
        return prepared

    @api.model
    def _invoice_line_key(self, company, line, price):
        if company.crm_invoice_line_grouping == "project":
            return (line.project_id, price)
        return (line.project_id, line.employee_id, price)

    @api.model
    def _prepare_invoice_line(self, client, company, timesheets, product, price, start, end):
        project, employee = timesheets.project_id[:1], timesheets.employee_id
        lang = client.lang or self.env.lang
        period = self.env._(
            "Time from %(start)s to %(end)s",
            start=format_date(self.env, start, lang_code=lang),
            end=format_date(self.env, end, lang_code=lang),
        )
        if company.crm_invoice_line_grouping == "project_employee" and len(employee) == 1:
            name = f"{project.display_name} - {employee.name}\n{period}"
        else:
            name = f"{project.display_name}\n{period}"
        return {
            "product_id": product.id,
            "name": name,
            "quantity": sum(timesheets.mapped("unit_amount")),
            "product_uom_id": product.uom_id.id,
            "price_unit": price,
        }

    @api.model
    def _prepare_invoice(self, client, company, currency, start, end, invoice_lines, cache):
        invoice_address = client.address_get(["invoice"])["invoice"]
        values = {
            "move_type": "out_invoice",
            "company_id": company.id,
            "partner_id": invoice_address,
            "currency_id": currency.id,
            "invoice_user_id": client.user_id.id or False,
            "ref": self.env._(
                "Time until %(end)s", end=format_date(self.env, end, lang_code=client.lang or self.env.lang)
            ),
            "crm_time_period_start": start,
            "crm_time_period_end": end,
            "invoice_line_ids": invoice_lines,
        }
        if "team_id" in self.env["account.move"]._fields:
            values["team_id"] = client.team_id.id or False
        term = self._payment_term(client)
        if term:
            values["invoice_payment_term_id"] = term.id
        method_line = self._payment_method_line(client, company, cache)
        if method_line:
            values["preferred_payment_method_line_id"] = method_line.id
        return values

    @api.model
    def _payment_term(self, client):
        xmlid = PAYMENT_TERM_XMLIDS.get(client.crm_payment_term)
        term = self.env.ref(xmlid, raise_if_not_found=False) if xmlid else None
        return term or client.property_payment_term_id

    @api.model
    def _payment_method_line(self, client, company, cache):
        preference = PAYMENT_METHOD_LINES.get(client.crm_payment_method)
        if not preference:
            return None
        key = ("method", company.id, client.crm_payment_method)
        if key not in cache:
            journal_type, codes = preference
            cache[key] = self.env["account.payment.method.line"].search(
                [
                    ("payment_type", "=", "inbound"),
                    ("journal_id.company_id", "=", company.id),
                    ("journal_id.type", "=", journal_type),
                    ("payment_method_id.code", "in", codes),
                ],
                limit=1,
            )
        return cache[key]

    @api.model
    def _convert(self, amount, from_currency, to_currency, company, date, cache):
        """``amount`` in ``to_currency`` at the rate of ``date``; a currency
        without a rate on or before that date is an error, never a rate of 1."""
        if from_currency == to_currency:
            return amount
        key = ("rate", from_currency.id, to_currency.id, company.id)
        if key not in cache:
            self._check_rates(from_currency | to_currency, company, date)
            cache[key] = from_currency._get_conversion_rate(from_currency, to_currency, company, date)
        return to_currency.round(amount * cache[key])

    @api.model
    def _check_rates(self, currencies, company, date):
        missing = currencies - company.currency_id
        if not missing:
            return
        found = {
            currency
            for (currency,) in self.env["res.currency.rate"]
            .sudo()
            ._read_group(
                [
                    ("currency_id", "in", missing.ids),
                    ("name", "<=", date),
                    ("company_id", "in", [False, company.root_id.id]),
                ],
                ["currency_id"],
            )
        }
        for currency in missing - self.env["res.currency"].union(*found):
            raise UserError(
                self.env._(
                    "No exchange rate of %(currency)s on or before %(date)s for %(company)s: add it under "
                    "Invoicing > Configuration > Currencies, then invoice the time again.",
                    currency=currency.name,
                    date=format_date(self.env, date),
                    company=company.name,
                )
            )
