"""Typed partner search through a table of word starts.

What a typed term finds is described in readme/USAGE.md (*Finding a
partner*): one or two letters match the start of a word of the name or the
start of the email, reference, tax ID or company registry
(``_crm_prefix_search_domain``); longer terms match anywhere, and the
dropdown lists first the partners with a word of the name that starts with
them. Trigrams cannot serve the short terms, and an ordered walk of the
partners cannot serve the common ones: display order is by first name, so the
partners of a surname or a first name cluster far down it.

``res_partner_crm_search_prefix`` holds, per partner, its keys: the starts of
one and two letters of every word of the name and of the other searched
columns, the starts of three letters of the words of the name, and those
words whole; lowercased and unaccented as Odoo's ``ilike`` compares them,
beside the partner's ``complete_name``. Its index on (key, complete_name,
partner id descending) lists the partners of a key in display order, so the
first page of a term is the first rows of that index (merged over the words a
longer term starts) that pass the caller's domain. Partners with a word that
starts with a longer term but too few for a page make the term rare: the
trigram indexes then find the partners that contain it (res_partner.py).

PostgreSQL triggers keep the table current once per statement, with
transition tables (an import of 10,000 partners costs a few statements, not a
query per partner), for the ORM's writes, raw SQL and COPY alike. Merging
partners unlinks the merged ones: the delete trigger drops their rows. The
table has no foreign key on purpose: the merge wizard re-points every foreign
key to res_partner at the kept partner, which would hand it the merged
partners' words.
"""

import logging
import re
import time

import psycopg2

from odoo import api, models
from odoo.modules.db import FunctionStatus
from odoo.osv import expression
from odoo.tools import SQL

from .res_partner import DISPLAY_ORDER, NAME_SEARCH_MIN_INFIX, PHONE_TRIGRAM_COLUMNS

_logger = logging.getLogger(__name__)

PREFIX_TABLE = "res_partner_crm_search_prefix"
# Each word is stored as its starts of one to PREFIX_LENGTH letters, and as
# itself when longer: a term of up to PREFIX_LENGTH letters is one key, a
# longer one the few words it starts.
PREFIX_LENGTH = 3
# A longer term that starts more distinct words than this (a common start of
# generated codes) is left to the trigram and ordered-walk paths.
PREFIX_MAX_WORDS = 50
# The columns whose start a term matches; the words of complete_name too.
# They must cover res.partner's ``_rec_names_search``, else typed searches
# keep the domain path.
PREFIX_COLUMNS = ("complete_name", "email", "ref", "vat", "company_registry")
# Distinct keys per row of the table that PostgreSQL is told of, at most
# (0.7 % at a million partners, more on a small table).
PREFIX_KEY_SHARE = 0.05
# Extended statistics on the trigrams of each searched column (see
# ``_crm_rare_trigram_select``): ANALYZE keeps their most common trigrams.
TRIGRAM_STATS = "res_partner_crm_%s_trgm_stats"
# The columns with those statistics: the searched ones and the E.164 phones.
TRIGRAM_STATS_COLUMNS = PREFIX_COLUMNS + PHONE_TRIGRAM_COLUMNS
# A rare term's trigram lookup keeps adding the term's commoner trigrams until
# this few partners are expected to have them all.
RARE_TERM_TARGET_ROWS = 100
# Three letters or digits in a row of the normalised term: a trigram that
# pg_trgm extracts alike from the term and from the values.
TRIGRAM_WINDOW = re.compile(r"(?=([a-z0-9]{3}))")
LIKE_SPECIAL = re.compile(r"[%_\\]")
# Seconds the trigram statistics are kept in memory, per database.
TRIGRAM_STATS_TTL = 600
_trigram_stats_cache = {}


class ResPartner(models.Model):
    _inherit = "res.partner"

    def init(self):
        res = super().init()
        self._crm_prefix_table_install()
        return res

    # Schema ------------------------------------------------------------------

    @api.model
    def _crm_prefix_normalize_sql(self, value):
        """SQL of ``value`` as stored in (and looked up from) the table: what
        ``ilike`` compares, lowercased."""
        return SQL("lower(%s)", self.env.registry.unaccent(value))

    @api.model
    def _crm_normalized_term(self, term):
        """``term`` as the table stores its keys, asked of the database once
        per cursor (a typed search normalises its term twice)."""
        cache = self.env.cr.cache.setdefault("crm_normalized_terms", {})
        if term not in cache:
            [[cache[term]]] = self.env.execute_query(SQL("SELECT %s", self._crm_prefix_normalize_sql(SQL("%s", term))))
        return cache[term]

    @api.model
    def _crm_prefix_table_install(self):
        """The table, its indexes and triggers; the table is rebuilt when its
        definition changed (first install, unaccent installed since)."""
        cr = self.env.cr
        table = SQL.identifier(PREFIX_TABLE)
        unaccent = bool(self.env.registry.has_unaccent)
        version = f"keys:2:{PREFIX_LENGTH}:unaccent={unaccent}:columns={','.join(PREFIX_COLUMNS)}"
        cr.execute(SQL("SELECT obj_description(to_regclass(%s), 'pg_class')", PREFIX_TABLE))
        rebuild = cr.fetchone()[0] != version
        if rebuild:
            cr.execute(SQL("DROP TABLE IF EXISTS %s", table))
            # The keys in bytes order (COLLATE "C"), so that the words a term
            # starts are a range of the index; sort_name keeps the collation
            # of complete_name, the display order.
            cr.execute(
                SQL(
                    'CREATE TABLE %s (partner_id integer NOT NULL, prefix varchar COLLATE "C" NOT NULL, '
                    "sort_name varchar)",
                    table,
                )
            )
        # The walk in display order of the terms left to res_partner.py: Odoo's
        # index is on complete_name alone, which leaves PostgreSQL to sort
        # each run of equal names (thousands of "María García") by id.
        cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS %s ON %s (complete_name, id DESC)",
                SQL.identifier("res_partner_crm_display_order_index"),
                SQL.identifier(self._table),
            )
        )
        name_words = SQL(
            "SELECT unnest(string_to_array(%s, ' '))", self._crm_prefix_normalize_sql(SQL("p_complete_name"))
        )
        values = SQL(" UNION ALL ").join(
            SQL("SELECT %s", self._crm_prefix_normalize_sql(SQL(f"p_{column}"))) for column in PREFIX_COLUMNS
        )
        cr.execute(
            SQL(
                """
                CREATE OR REPLACE FUNCTION res_partner_crm_search_prefixes(
                    p_complete_name text, p_email text, p_ref text, p_vat text, p_company_registry text
                ) RETURNS SETOF text LANGUAGE sql STABLE AS $body$
                    SELECT DISTINCT key FROM (
                        SELECT left(word, length)
                          FROM (%(name_words)s UNION ALL %(values)s) AS words(word),
                               generate_series(1, %(short)s) AS length
                         WHERE char_length(word) >= length
                        UNION ALL
                        SELECT CASE WHEN char_length(word) > %(long)s THEN word ELSE left(word, %(long)s) END
                          FROM (%(name_words)s) AS words(word)
                         WHERE char_length(word) >= %(long)s
                        UNION ALL
                        SELECT left(word, %(long)s)
                          FROM (%(name_words)s) AS words(word)
                         WHERE char_length(word) > %(long)s
                    ) AS keys(key)
                $body$
                """,
                name_words=name_words,
                values=values,
                short=NAME_SEARCH_MIN_INFIX - 1,
                long=PREFIX_LENGTH,
            )
        )
        columns = ", ".join(f"n.{column}" for column in PREFIX_COLUMNS)
        changed = " OR ".join(f"o.{column} IS DISTINCT FROM n.{column}" for column in PREFIX_COLUMNS)
        cr.execute(
            SQL(
                f"""
                CREATE OR REPLACE FUNCTION res_partner_crm_search_prefix_sync() RETURNS trigger
                LANGUAGE plpgsql AS $body$
                BEGIN
                    IF TG_OP = 'INSERT' THEN
                        INSERT INTO {PREFIX_TABLE} (partner_id, prefix, sort_name)
                             SELECT n.id, prefix, n.complete_name
                               FROM new_rows n, res_partner_crm_search_prefixes({columns}) AS prefix;
                    ELSIF TG_OP = 'DELETE' THEN
                        DELETE FROM {PREFIX_TABLE} t USING old_rows o WHERE t.partner_id = o.id;
                    ELSE
                        -- EXECUTE plans the join of the two transition tables for
                        -- their real sizes: a plan cached after single-row writes
                        -- would loop over one table for each row of the other.
                        EXECUTE $sql$
                        DELETE FROM {PREFIX_TABLE} t
                              USING old_rows o JOIN new_rows n ON n.id = o.id
                              WHERE t.partner_id = o.id AND ({changed})
                        $sql$;
                        EXECUTE $sql$
                        INSERT INTO {PREFIX_TABLE} (partner_id, prefix, sort_name)
                             SELECT n.id, prefix, n.complete_name
                               FROM old_rows o JOIN new_rows n ON n.id = o.id,
                                    res_partner_crm_search_prefixes({columns}) AS prefix
                              WHERE {changed}
                        $sql$;
                    END IF;
                    RETURN NULL;
                END
                $body$
                """
            )
        )
        for event, tables in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            trigger = SQL.identifier(f"res_partner_crm_search_prefix_{event.lower()}")
            cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", trigger, SQL.identifier(self._table)))
            cr.execute(
                SQL(
                    f"CREATE TRIGGER %s AFTER {event} ON %s REFERENCING {tables} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION res_partner_crm_search_prefix_sync()",
                    trigger,
                    SQL.identifier(self._table),
                )
            )
        if rebuild:
            self._crm_prefix_table_fill()
            cr.execute(SQL("COMMENT ON TABLE %s IS %s", table, version))
        self._crm_prefix_table_distinct()
        self._crm_trigram_stats_install()

    @api.model
    def _crm_prefix_table_uninstall(self):
        """Drop the triggers, their functions and the table (uninstall)."""
        cr = self.env.cr
        for event in ("insert", "update", "delete"):
            trigger = SQL.identifier(f"res_partner_crm_search_prefix_{event}")
            cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", trigger, SQL.identifier(self._table)))
        for column in PREFIX_COLUMNS:
            cr.execute(SQL("DROP STATISTICS IF EXISTS %s", SQL.identifier(TRIGRAM_STATS % column)))
        cr.execute("DROP FUNCTION IF EXISTS res_partner_crm_search_prefix_sync()")
        cr.execute("DROP FUNCTION IF EXISTS res_partner_crm_search_prefixes(text, text, text, text, text)")
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(PREFIX_TABLE)))

    @api.model
    def _crm_prefix_table_fill(self):
        """Fill the table from res_partner in one statement, then index it
        (faster than indexing as it fills). Only the columns it reads are
        flushed: it runs from ``init()``, while other models (res.users) may
        still lack the columns of this very update."""
        self.flush_model(PREFIX_COLUMNS)
        cr = self.env.cr
        table = SQL.identifier(PREFIX_TABLE)
        cr.execute(SQL("TRUNCATE %s", table))
        for index in ("order", "partner"):
            cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(f"{PREFIX_TABLE}_{index}_index")))
        columns = SQL(", ".join(f"p.{column}" for column in PREFIX_COLUMNS))
        cr.execute(
            SQL(
                """
                INSERT INTO %s (partner_id, prefix, sort_name)
                     SELECT p.id, prefix, p.complete_name
                       FROM res_partner p, res_partner_crm_search_prefixes(%s) AS prefix
                """,
                table,
                columns,
            )
        )
        cr.execute(
            SQL(
                "CREATE INDEX %s ON %s (prefix, sort_name, partner_id DESC)",
                SQL.identifier(f"{PREFIX_TABLE}_order_index"),
                table,
            )
        )
        cr.execute(SQL("CREATE INDEX %s ON %s (partner_id)", SQL.identifier(f"{PREFIX_TABLE}_partner_index"), table))
        cr.execute(SQL("ALTER TABLE %s ALTER COLUMN prefix RESET (n_distinct)", table))
        self._crm_prefix_table_distinct()
        cr.execute(SQL("ANALYZE %s", table))

    @api.model
    def _crm_prefix_table_distinct(self):
        """Tell PostgreSQL how many distinct keys the table holds, as a share
        of its rows (it keeps that share as it grows). ANALYZE's sample
        cannot see it: tens of thousands of keys held by a few partners each,
        under a hundred of one or two letters held by most. Sampled, a rare
        key looks a thousand times commoner than it is, and the planner
        serves a rare term with plans made for thousands of rows."""
        cr = self.env.cr
        table = SQL.identifier(PREFIX_TABLE)
        cr.execute(
            SQL(
                """SELECT attoptions FROM pg_attribute
                    WHERE attrelid = to_regclass(%s) AND attname = 'prefix'""",
                PREFIX_TABLE,
            )
        )
        if any(option.startswith("n_distinct=") for option in cr.fetchone()[0] or []):
            return
        cr.execute(SQL("SELECT count(DISTINCT prefix), count(*) FROM %s", table))
        distinct, rows = cr.fetchone()
        # A few partners have many keys each: their share is no guide to a
        # grown table's, at most PREFIX_KEY_SHARE.
        share = min(distinct / rows, PREFIX_KEY_SHARE) if rows else PREFIX_KEY_SHARE
        # A negative n_distinct is a share of the rows.
        cr.execute(SQL("ALTER TABLE %s ALTER COLUMN prefix SET (n_distinct = %s)", table, SQL(str(-round(share, 6)))))
        cr.execute(SQL("ANALYZE %s", table))

    @api.model
    def _crm_trigram_stats_install(self):
        """Extended statistics on the trigrams of every searched column, which
        ANALYZE (and autovacuum) keep current: the trigrams most common in
        each column with their frequencies (PostgreSQL 14 and later, with
        pg_trgm; without them rare terms use all their trigrams)."""
        cr = self.env.cr
        cr.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if not cr.fetchone() or cr._cnx.server_version < 140000:
            return
        created = False
        for column in TRIGRAM_STATS_COLUMNS:
            name = TRIGRAM_STATS % column
            cr.execute("SELECT 1 FROM pg_statistic_ext WHERE stxname = %s", [name])
            if cr.fetchone():
                continue
            value = self._crm_trigram_column_sql(column)
            try:
                with cr.savepoint(flush=False):
                    cr.execute(
                        SQL(
                            "CREATE STATISTICS %s ON (show_trgm(%s)) FROM %s",
                            SQL.identifier(name),
                            value,
                            SQL.identifier(self._table),
                        )
                    )
            except psycopg2.Error as error:
                _logger.info("No trigram statistics on res_partner.%s: %s", column, error)
                return
            created = True
        if created:
            cr.execute(SQL("ANALYZE %s", SQL.identifier(self._table)))

    @api.model
    def _crm_trigram_column_sql(self, column, alias=None):
        """A searched column as its trigram index reads it: unaccented, but
        for the phones (digits, compared with ``like``)."""
        value = SQL.identifier(alias, column) if alias else SQL.identifier(column)
        return value if column in PHONE_TRIGRAM_COLUMNS else self.env.registry.unaccent(value)

    # Lookup ------------------------------------------------------------------

    @api.model
    def _crm_prefix_keys(self, term):
        """The table's keys that a typed ``term`` starts: itself when short,
        else the stored words it starts (as an SQL condition on the key when
        they are too many to list). None when the table cannot answer (a
        phone number, another display order or searched columns)."""
        term = term.strip()
        if not term or self._order != DISPLAY_ORDER or self._crm_is_phone_term(term):
            return None
        if not set(self._rec_names_search) <= set(PREFIX_COLUMNS):
            return None
        key = self._crm_normalized_term(term)
        if not key or len(term) < NAME_SEARCH_MIN_INFIX <= len(key):
            # Nothing left, or unaccent() made a short term long ("ßß" is
            # "ssss"): the table has no such start of the other columns.
            return None
        # The triggers see what reached the table: pending writes first.
        self.flush_model(PREFIX_COLUMNS)
        if len(key) <= PREFIX_LENGTH:
            return [key]
        # The distinct words in the range that ``key`` starts, one index probe
        # each (a loose index scan).
        pattern = f"{self._crm_escape_like(key)}%"
        table = SQL.identifier(PREFIX_TABLE)
        rows = self.env.execute_query(
            SQL(
                """
                WITH RECURSIVE words(word) AS (
                    (SELECT prefix FROM %(table)s WHERE prefix LIKE %(pattern)s ORDER BY prefix LIMIT 1)
                    UNION ALL
                    SELECT (SELECT prefix FROM %(table)s
                             WHERE prefix > words.word AND prefix LIKE %(pattern)s ORDER BY prefix LIMIT 1)
                      FROM words WHERE words.word IS NOT NULL
                )
                SELECT word FROM words WHERE word IS NOT NULL LIMIT %(limit)s
                """,
                table=table,
                pattern=pattern,
                limit=PREFIX_MAX_WORDS + 1,
            )
        )
        if len(rows) > PREFIX_MAX_WORDS:
            # Too many words to merge their index scans: the range of them.
            return SQL("prefix LIKE %s", pattern)
        return [row[0] for row in rows]

    @api.model
    def _crm_prefix_first_ids(self, keys, domain, limit):
        """Ids of the first ``limit`` partners of ``domain`` in display order
        that have one of ``keys``: the table's index read in that order for
        one key; for several, their first rows sorted together. None when
        ``domain`` needs joins."""
        if keys == []:
            return []
        query = self._search(domain)
        if query.is_empty():
            return []
        if query._joins:
            return None
        table = SQL.identifier(self._table)
        if isinstance(keys, SQL):
            conditions = [keys]
        else:
            conditions = [SQL("prefix = %s", key) for key in keys]
        branches = SQL(" UNION ALL ").join(
            SQL("(SELECT partner_id, sort_name FROM %s WHERE %s)", SQL.identifier(PREFIX_TABLE), condition)
            for condition in conditions
        )
        if not isinstance(keys, SQL) and len(keys) == 1:
            return self._crm_prefix_walk(branches, query, limit)
        # Several keys: PostgreSQL cannot merge their index scans in order,
        # it would join every partner of every key before sorting them. The
        # first rows of the keys are sorted first (from the index alone),
        # then only those are joined; parallel workers would cost more to
        # start than the whole search.
        fetch = 3 * limit
        with self._crm_planner(max_parallel_workers_per_gather="0"):
            while True:
                rows = self.env.execute_query(
                    SQL(
                        """
                        SELECT prefix.partner_id, %(where)s
                          FROM (SELECT partner_id, sort_name FROM (%(branches)s) AS keys
                                 ORDER BY sort_name, partner_id DESC LIMIT %(fetch)s) AS prefix
                          JOIN %(table)s ON %(table)s.id = prefix.partner_id
                      ORDER BY prefix.sort_name, prefix.partner_id DESC
                        """,
                        branches=branches,
                        table=table,
                        where=query.where_clause or SQL("TRUE"),
                        fetch=fetch,
                    )
                )
                # A partner with two words of the term comes once per word.
                ids = list(dict.fromkeys(partner_id for partner_id, visible in rows if visible))
                if len(ids) >= limit or len(rows) < fetch:
                    return ids[:limit]
                fetch *= 4

    @api.model
    def _crm_prefix_walk(self, branches, query, limit):
        """The first ``limit`` partners of one key that pass ``query``: its
        index walked in display order."""
        table = SQL.identifier(self._table)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT prefix.partner_id
                  FROM (%(branches)s) AS prefix
                  JOIN %(table)s ON %(table)s.id = prefix.partner_id
                 WHERE %(where)s
              ORDER BY prefix.sort_name, prefix.partner_id DESC
                 LIMIT %(limit)s
                """,
                branches=branches,
                table=table,
                where=query.where_clause or SQL("TRUE"),
                limit=limit,
            )
        )
        return [row[0] for row in rows]

    @api.model
    def name_search(self, name="", args=None, operator="ilike", limit=100):
        """Partners with a word that starts with ``name`` first, in display
        order, read from the table; for a term of three letters or more, the
        other partners that contain it follow (res_partner.py)."""
        keys = None
        if operator == "ilike" and isinstance(name, str) and limit:
            keys = self._crm_prefix_keys(name)
        ids = None if keys is None else self._crm_prefix_first_ids(keys, args or [], limit)
        if ids is None:
            return super().name_search(name, args, operator, limit)
        records = self.browse(ids)
        found = [(record.id, record.display_name) for record in records.sudo()]
        if len(found) < limit and len(name.strip()) >= NAME_SEARCH_MIN_INFIX:
            # Fewer word starts than a page: a rare term, for the trigram
            # indexes first.
            others = [("id", "not in", ids), *(args or [])]
            rest = self.browse(self._crm_name_search_ids(name, others, limit - len(found), walk_first=False))
            found += [(record.id, record.display_name) for record in rest.sudo()]
        return found

    @api.model
    def _crm_typed_search_domain(self, value):
        """The search view's name filter and every ``display_name`` search of
        one or two letters: the partners of those word starts, from the
        table."""
        keys = self._crm_prefix_keys(value) if len(value.strip()) < NAME_SEARCH_MIN_INFIX else None
        if not isinstance(keys, list):
            return super()._crm_typed_search_domain(value)
        subquery = SQL(
            "(SELECT partner_id FROM %s WHERE prefix IN %s)", SQL.identifier(PREFIX_TABLE), tuple(keys or [""])
        )
        return [("id", "in", subquery)]

    # Rare terms ---------------------------------------------------------------

    @api.model
    def _crm_preselect_sql(self, domain, term, limit):
        select = self._crm_rare_trigram_select(domain, term, limit) if term else None
        return select or super()._crm_preselect_sql(domain, term, limit)

    @api.model
    def _crm_rare_trigram_select(self, domain, term, limit):
        """The query of ``_crm_preselect`` for a term of three letters or
        more, looked up through its rare trigrams only; None to look it up as
        Odoo does.

        A trigram index reads, for every value that has the term's rarest
        trigram, where each of its other trigrams stands: an email such as
        ``laura.martin890217`` has the trigrams of a common first and last
        name, which thousands of values share, and the index reads hundreds
        of pages for them. Each column is looked up instead with the
        trigrams of the term that few of its values have (per the column's
        trigram statistics), in the order the term has them, which every
        value containing the term has too; the term itself then filters the
        few values found, as Odoo compares it."""
        registry = self.env.registry
        columns = list(self._rec_names_search)
        stripped = term.strip()
        if (
            len(stripped) < NAME_SEARCH_MIN_INFIX
            or LIKE_SPECIAL.search(term)
            or self._crm_is_phone_term(stripped)
            or registry.has_unaccent not in (False, FunctionStatus.INDEXABLE)
            or not set(columns) <= set(PREFIX_COLUMNS)
            or domain != expression.OR([[(column, "ilike", term)] for column in columns])
        ):
            return None
        Partner = self.with_context(active_test=False)
        matches = Partner._where_calc(domain)
        if matches._joins or matches._tables.keys() != {self._table}:
            return None
        rows, stats = self._crm_trigram_stats()
        if not stats:
            return None
        text = self._crm_normalized_term(term)
        patterns = {column: self._crm_rare_pattern(text, stats.get(column), rows) for column in columns}
        if not any(patterns.values()):
            return None
        lookups = SQL(" OR ").join(
            SQL("%s ILIKE %s", self._crm_trigram_column_sql(column, self._table), patterns[column])
            if patterns[column]
            else Partner._where_calc([(column, "ilike", term)]).where_clause
            for column in columns
        )
        return SQL("%s LIMIT %s", self._crm_rare_lookup_sql(lookups, matches.where_clause), limit)

    @api.model
    def _crm_rare_lookup_sql(self, lookups, matches):
        """Ids of the partners found by the rare-trigram ``lookups`` that
        satisfy ``matches``, the full comparison."""
        # OFFSET 0 keeps the term out of the index scans, which would read
        # all its trigrams again.
        return SQL(
            "SELECT %(table)s.id FROM (SELECT * FROM %(table)s WHERE %(lookups)s OFFSET 0) AS %(table)s "
            "WHERE %(matches)s",
            table=SQL.identifier(self._table),
            lookups=lookups,
            matches=matches,
        )

    @api.model
    def _crm_phone_digits_domain(self, digits):
        """The run of ``digits`` looked up through its rare trigrams, as a
        rare term is: the digits of a phone are common trigrams (``600``,
        ``346`` of every Spanish mobile), and the index would read the
        partners of each."""
        domain = super()._crm_phone_digits_domain(digits)
        rows, stats = self._crm_trigram_stats()
        patterns = {column: self._crm_rare_pattern(digits, stats.get(column), rows) for column in PHONE_TRIGRAM_COLUMNS}
        if not any(patterns.values()):
            return domain
        Partner = self.with_context(active_test=False)
        lookups = SQL(" OR ").join(
            SQL("%s LIKE %s", SQL.identifier(self._table, column), patterns[column])
            if patterns[column]
            else Partner._where_calc([(column, "like", digits)]).where_clause
            for column in PHONE_TRIGRAM_COLUMNS
        )
        return [("id", "in", SQL("(%s)", self._crm_rare_lookup_sql(lookups, Partner._where_calc(domain).where_clause)))]

    @api.model
    def _crm_trigram_stats(self):
        """The estimated number of partners and, per column with trigram
        statistics, the lowest frequency they keep (rarer trigrams are not
        kept) and the kept trigrams' frequencies. Read again every
        TRIGRAM_STATS_TTL seconds: the catalog view builds every statistic
        it shows, which costs a search's worth of time."""
        dbname = self.env.cr.dbname
        cached = _trigram_stats_cache.get(dbname)
        if cached and time.monotonic() - cached[0] < TRIGRAM_STATS_TTL:
            return cached[1]
        names = {TRIGRAM_STATS % column: column for column in TRIGRAM_STATS_COLUMNS}
        rows = self.env.execute_query(
            SQL(
                """
                SELECT (SELECT reltuples FROM pg_class WHERE oid = %(table)s::regclass),
                       statistics_name,
                       most_common_elem_freqs[array_length(most_common_elem_freqs, 1) - 2],
                       most_common_elems::text::text[], most_common_elem_freqs
                  FROM pg_stats_ext_exprs
                 WHERE tablename = %(table)s AND statistics_name IN %(names)s
                """,
                table=self._table,
                names=tuple(names),
            )
        )
        stats = {
            names[name]: (floor, dict(zip(trigrams or [], frequencies or [], strict=False)))
            for _rows, name, floor, trigrams, frequencies in rows
        }
        result = (max(rows[0][0] or 0, 0) if rows else 0, stats)
        _trigram_stats_cache[dbname] = (time.monotonic(), result)
        return result

    @api.model
    def _crm_rare_pattern(self, text, stats, rows):
        """The ``like`` pattern that looks ``text`` up through its rare
        trigrams in a column of ``rows`` values with trigram ``stats``
        (``(floor, {trigram: frequency})``); None when every trigram of the
        term is needed (or the column has no statistics).

        The index reads the list of values of each trigram of the pattern:
        the trigrams are taken rarest first (one the statistics do not keep
        is rarer than their floor), until the values expected to have them
        all are few; a common trigram (``c05`` of a reference, ``600`` of a
        Spanish mobile) is then left out. A trigram that overlaps those
        taken brings only its new letters: two letters in three shared,
        about a third of its selectivity. Overlapping trigrams make one piece
        of the pattern (``890`` and ``902`` are ``8902``); the pieces keep
        the term's order."""
        windows = [(match.start(), match.group(1)) for match in TRIGRAM_WINDOW.finditer(text)]
        if not windows or not stats or stats[0] is None:
            return None
        floor, kept = stats
        chosen, covered, estimate = [], set(), rows
        for position, trigram in sorted(windows, key=lambda window: (kept.get(window[1], 0.0), window[0])):
            if chosen and estimate <= RARE_TERM_TARGET_ROWS:
                break
            letters = set(range(position, position + 3))
            new = len(letters - covered)
            if not new:
                # Inside the pieces already taken: the pattern reads it anyway.
                continue
            chosen.append(position)
            covered |= letters
            estimate *= kept.get(trigram, floor) ** (new / 3)
        pieces = []
        for position in sorted(chosen):
            if pieces and position < pieces[-1][1]:
                pieces[-1][1] = position + 3
            else:
                pieces.append([position, position + 3])
        if all(any(start <= position < end - 2 for start, end in pieces) for position, _trigram in windows):
            return None
        return "%" + "%".join(text[start:end] for start, end in pieces) + "%"
