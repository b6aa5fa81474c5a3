"""Typed partner searches on a large database: CRM Client Suite vs stock Odoo.

Creates (or reuses) two databases in one run, with the same modules:

* ``--db`` with crm_client_suite installed, and
* ``--stock-db`` with the add-on's dependencies only (the same modules, just
  without crm_client_suite),

both with ``unaccent`` made immutable (indexable), as Odoo recommends for
accent-insensitive search. It then loads ``--size`` partners into each with
COPY: Spanish, German and English first and last names at realistic
frequencies (a few very common, a long tail of rare ones), with their
accents, emails, phones as people type them, references and tax IDs.

Then it times what users type: ``name_search`` (a many2one dropdown, also the
search view's name filter) with rare and common terms, terms of one and two
letters, accented names typed with and without their accent, an email, a
reference and a tax ID; and the search view's phone filter with a number
typed in another format than the stored one. Each case prints the median and
95th percentile on both databases. Every term is searched once untimed
first, on the same connection: a new connection reads the catalog of each
table and index it meets, which Odoo's pooled connections have done long
before; that first search of each term is printed apart ("first").

    /opt/odoo-venv/bin/python bench/partner_search.py --size 100000
    /opt/odoo-venv/bin/python bench/partner_search.py --size 1000000 --runs 20

Ends with one line: ``RESULT name=partner_search ...``.
"""

import argparse
import ast
import io
import os
import random
import statistics
import subprocess
import time

from benchlib import REPO, addons_path

ADDONS = addons_path()


def names(**tables):
    """``{lang: [(name, weight)]}`` from ``name:weight`` words."""
    return {
        lang: [(word.rsplit(":", 1)[0], int(word.rsplit(":", 1)[1])) for word in text.split()]
        for lang, text in tables.items()
    }


# (name, relative frequency): the most frequent names of each country first,
# roughly in the proportions of their censuses.
FIRST_NAMES = names(
    es="""
        María:60 José:45 Antonio:35 Manuel:30 Carmen:30 Francisco:28 Ana:25 David:22 Juan:22 Laura:18
        Javier:18 Lucía:15 Jesús:14 Marta:14 Ramón:8 Sofía:8 Martín:7 Inés:6 Raúl:6 Álvaro:6 Nuria:5
        Begoña:3 Ainhoa:2 Íñigo:1
    """,
    de="""
        Michael:40 Thomas:35 Andreas:30 Stefan:25 Sabine:25 Anna:22 Julia:20 Jürgen:15 Uwe:12 Katrin:12
        Jörg:10 Günther:8 Björn:6 Sören:4 Lena:10 Lukas:12 Hannah:9 Käthe:1 Bärbel:2
    """,
    en="""
        James:45 John:40 Mary:35 David:30 Sarah:25 Michael:25 Emma:20 Oliver:18 Jack:15 Emily:15 Thomas:14
        Charlotte:12 Harry:10 Sophie:10 George:9 Olivia:9 Zoë:2 Chloë:1
    """,
)
LAST_NAMES = names(
    es="""
        García:60 Rodríguez:55 González:55 Fernández:50 López:50 Martínez:48 Sánchez:47 Pérez:45 Gómez:30
        Martín:30 Jiménez:25 Ruiz:24 Hernández:23 Díaz:22 Moreno:20 Muñoz:20 Álvarez:20 Romero:18
        Gutiérrez:12 Navarro:12 Domínguez:10 Vázquez:10 Núñez:8 Peña:6 Ibáñez:5 Cañizares:1 Zubizarreta:1
    """,
    de="""
        Müller:60 Schmidt:50 Schneider:40 Fischer:35 Weber:30 Meyer:30 Wagner:28 Becker:26 Schulz:25
        Hoffmann:24 Schäfer:20 Koch:18 Bauer:18 Richter:16 Klein:16 Wolf:15 Schröder:15 Neumann:14 Krüger:10
        Böhm:6 Weiß:8 Groß:7 Jäger:6 Köhler:6 Wüst:1
    """,
    en="""
        Smith:60 Jones:45 Williams:40 Taylor:38 Brown:38 Davies:30 Evans:25 Wilson:24 Thomas:22 Johnson:22
        Roberts:20 Robinson:18 Thompson:17 Wright:16 Walker:15 White:14 Edwards:13 Hughes:12 Green:11
        Hall:10 Lewis:10 Harris:10 Clarke:9 Fairweather:1
    """,
)
# Share of last names drawn from the long tail, where each name is rare.
TAIL_SHARE = 0.25
TAIL_SYLLABLES = {
    "es": ["al", "ba", "be", "ca", "ce", "do", "ga", "gue", "i", "la", "lo", "ma", "na", "o", "ra", "rri", "ta", "za"],
    "de": ["berg", "brand", "dorf", "eck", "feld", "hau", "hof", "kamp", "lin", "mann", "rein", "stein", "wald"],
    "en": ["ash", "brook", "by", "cot", "den", "field", "ham", "ley", "ridge", "ston", "thorpe", "well", "wick"],
}
COUNTRIES = {"es": ("ES", 0.45), "de": ("DE", 0.35), "en": ("GB", 0.20)}
DOMAINS = ["gmail.com", "outlook.com", "yahoo.es", "web.de", "gmx.de", "hotmail.co.uk", "icloud.com"]
COMPANY_SUFFIX = {"es": ["S.L.", "S.A.", "y Asociados"], "de": ["GmbH", "AG", "KG"], "en": ["Ltd", "PLC", "& Co"]}
ASCII = str.maketrans("áéíóúüñÁÉÍÓÚÜÑäöÄÖßëËç", "aeiouunAEIOUUNaoAOseEc")


def tail_names(lang, count, rng):
    syllables = TAIL_SYLLABLES[lang]
    names = set()
    while len(names) < count:
        names.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize())
    return sorted(names)


def phone(lang, i):
    """A phone as people type it (several formats) and its E.164 form."""
    if lang == "es":
        national = f"6{i % 100_000_000:08d}"
        code = "34"
        typed = [f"+34 {national[:3]} {national[3:6]} {national[6:]}", national, f"0034{national}"]
    elif lang == "de":
        national = f"151{i % 100_000_000:08d}"
        code = "49"
        typed = [f"+49 {national[:3]} {national[3:]}", f"0{national}", f"0{national[:3]}-{national[3:]}"]
    else:
        national = f"7700{i % 1_000_000:06d}"
        code = "44"
        typed = [f"+44 {national[:4]} {national[4:]}", f"0{national}", f"0{national[:4]} {national[4:]}"]
    return typed[i % len(typed)], f"+{code}{national}"


def generate(size, seed=42):
    """Rows of (name, email, phone, phone_e164, ref, vat, is_company, country)."""
    rng = random.Random(seed)
    tails = {lang: tail_names(lang, max(200, size // 40), rng) for lang in LAST_NAMES}
    pick = {}
    for lang in LAST_NAMES:
        first, first_w = zip(*FIRST_NAMES[lang], strict=True)
        last, last_w = zip(*LAST_NAMES[lang], strict=True)
        pick[lang] = (first, first_w, last, last_w)
    langs = list(COUNTRIES)
    lang_w = [COUNTRIES[lang][1] for lang in langs]
    for i in range(1, size + 1):
        lang = rng.choices(langs, lang_w)[0]
        first, first_w, last, last_w = pick[lang]
        surname = rng.choice(tails[lang]) if rng.random() < TAIL_SHARE else rng.choices(last, last_w)[0]
        is_company = i % 10 == 0
        if is_company:
            name = f"{surname} {rng.choice(COMPANY_SUFFIX[lang])}"
            local = surname.translate(ASCII).lower()
            email = f"info{i}@{local}.example.com"
            vat = {"es": f"ESB{i:08d}", "de": f"DE{i:09d}", "en": f"GB{i:09d}"}[lang]
        else:
            given = rng.choices(first, first_w)[0]
            name = f"{given} {surname}"
            email = f"{given}.{surname}{i}@{rng.choice(DOMAINS)}".translate(ASCII).lower()
            vat = None
        typed, e164 = phone(lang, i)
        yield name, email, typed, e164, f"C{i:07d}", vat, is_company, COUNTRIES[lang][0]


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def addon_depends():
    with open(os.path.join(REPO, "__manifest__.py")) as manifest:
        return ast.literal_eval(manifest.read())["depends"]


def install(db, modules, port):
    import psycopg2

    sh("dropdb", "--if-exists", db)
    sh("createdb", db)
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        # Accent-insensitive search as Odoo documents it: the unaccent
        # extension, immutable so that indexes can use it.
        cr.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        cr.execute("ALTER FUNCTION public.unaccent(text) IMMUTABLE")
    conn.close()
    started = time.perf_counter()
    sh(
        "odoo",
        "-d",
        db,
        f"--addons-path={ADDONS}",
        "-i",
        ",".join(modules),
        "--stop-after-init",
        "--without-demo=all",
        "--log-level=warn",
        f"--http-port={port}",
        "--max-cron-threads=0",
    )
    return time.perf_counter() - started


def column_defaults(db, columns):
    """Values for the NOT NULL columns the load does not fill (``autopost_bills``
    since account came with base_vat, and whatever the next module adds), from
    the fields' defaults."""
    import odoo
    from odoo import api

    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        cr.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'res_partner' "
            "AND is_nullable = 'NO' AND column_default IS NULL"
        )
        missing = [name for (name,) in cr.fetchall() if name not in columns and name != "id"]
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        Partner = env["res.partner"]
        defaults = Partner.default_get([name for name in missing if name in Partner._fields])
        values = {}
        for name in missing:
            field = Partner._fields.get(name)
            if name not in defaults or field is None:
                raise SystemExit(f"res_partner.{name} is NOT NULL and has no default: teach the bench a value for it")
            values[name] = field.convert_to_column(defaults[name], Partner, validate=False)
        cr.execute("SELECT id, code FROM res_country WHERE code IN ('ES', 'DE', 'GB')")
        countries = dict((code, cid) for cid, code in cr.fetchall())
        suite = "crm_phone_e164" in Partner._fields
    return values, countries, suite


def load(db, size):
    """COPY ``size`` generated partners into ``db``; returns the seconds taken."""
    import psycopg2

    columns = [
        "name", "complete_name", "email", "email_normalized", "phone", "ref", "vat", "is_company",
        "country_id", "active", "type", "create_date", "write_date", "create_uid", "write_uid",
    ]  # fmt: skip
    defaults, countries, suite = column_defaults(db, columns)
    if suite:
        columns.append("crm_phone_e164")
    extra = list(defaults)
    started = time.perf_counter()
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        # Bulk load as for a big import: drop the GIN indexes, load, then
        # build them once (stock has none: the same work on both sides).
        cr.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'res_partner' AND indexdef LIKE '%%gin%%'"
        )
        gin = cr.fetchall()
        for name, _definition in gin:
            cr.execute(f'DROP INDEX "{name}"')
        buffer = io.StringIO()

        def flush():
            buffer.seek(0)
            cr.copy_expert(
                f"COPY res_partner ({', '.join(columns + extra)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
            )
            buffer.seek(0)
            buffer.truncate()

        tail = ["\\N" if value is None else str(value) for value in defaults.values()]
        for count, (name, email, typed, e164, ref, vat, is_company, country) in enumerate(generate(size), 1):
            row = [
                name, name, email, email, typed, ref, vat or "\\N", "t" if is_company else "f",
                str(countries[country]), "t", "contact", "now", "now", "1", "1",
            ]  # fmt: skip
            if suite:
                row.append(e164)
            buffer.write(",".join(f'"{v}"' if v != "\\N" else v for v in row + tail) + "\n")
            if count % 100_000 == 0:
                flush()
        flush()
        cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
        for _name, definition in gin:
            cr.execute(definition)
        conn.commit()
    vacuum(db)
    return time.perf_counter() - started


def cases(db):
    """What users type, per case: terms taken from the loaded rows."""
    import psycopg2

    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:

        def column(sql, *params):
            cr.execute(sql, params)
            return [row[0] for row in cr.fetchall()]

        rare = column(
            "SELECT w FROM (SELECT split_part(name, ' ', 2) AS w, count(*) AS n FROM res_partner "
            "WHERE NOT is_company AND name ~ '^[A-Za-z]+ [A-Za-z]+$' GROUP BY 1) s "
            "WHERE n BETWEEN 1 AND 20 AND length(w) >= 6 ORDER BY md5(w) LIMIT 5"
        )
        # Two-letter word starts with the fewest partners (a rare prefix).
        rare_two = column(
            "SELECT p FROM (SELECT lower(left(split_part(name, ' ', 2), 2)) AS p, count(*) AS n "
            "FROM res_partner WHERE active AND NOT is_company GROUP BY 1) s "
            "WHERE p ~ '^[a-z]{2}$' ORDER BY n, p LIMIT 5"
        )
        emails = column(
            "SELECT split_part(email, '@', 1) FROM res_partner WHERE NOT is_company ORDER BY md5(ref) LIMIT 5"
        )
        refs = column("SELECT ref FROM res_partner ORDER BY md5(ref) LIMIT 5")
        vats = column("SELECT vat FROM res_partner WHERE vat IS NOT NULL ORDER BY md5(ref) LIMIT 5")
        phones = column("SELECT phone FROM res_partner WHERE phone LIKE '+34 %%' ORDER BY md5(ref) LIMIT 5")
    return [
        ("rare term", "name", [term[:6] for term in rare]),
        ("common term", "name", ["mar", "garcía", "schmidt", "smith", "ann"]),
        ("one letter", "name", ["m", "s", "j", "k", "w"]),
        ("two letters, common", "name", ["ma", "sc", "ga", "jo", "an"]),
        ("two letters, rare", "name", rare_two),
        ("accented, with accent", "name", ["Müller", "Muñoz", "Jürgen", "Peña", "Schröder"]),
        ("accented, without", "name", ["Muller", "Munoz", "Jurgen", "Pena", "Schroder"]),
        ("email", "name", emails),
        ("reference", "name", refs),
        ("tax ID", "name", vats),
        # Typed without spaces and country code, stored as "+34 6xx xxx xxx".
        ("phone, other format", "phone", [number.replace("+34", "").replace(" ", "") for number in phones]),
    ]


def measure(db, plan, runs):
    import odoo
    from odoo import api

    registry = odoo.modules.registry.Registry(db)
    figures = []
    with registry.cursor() as cr:
        env = api.Environment(cr, 2, {})  # the admin user: record rules apply
        Partner = env["res.partner"]

        def search(kind, term):
            env.invalidate_all()
            started = time.perf_counter()
            if kind == "name":
                hits = Partner.name_search(term, limit=8)
            else:  # the search view's Phone/Mobile filter (sms)
                hits = Partner.search([("phone_mobile_search", "ilike", term)], limit=80)
            return (time.perf_counter() - started) * 1000, bool(hits)

        first = [max(search(kind, term)[0] for term in terms) for _label, kind, terms in plan]
        for (_label, kind, terms), slowest_first in zip(plan, first, strict=True):
            times, found = [], 0
            for run in range(runs):
                elapsed, hit = search(kind, terms[run % len(terms)])
                times.append(elapsed)
                found += hit
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            figures.append((statistics.median(times), p95, found, slowest_first))
    return figures


def measure_upkeep(db, count, plan):
    """Seconds to create ``count`` partners through the ORM (one
    ``create(vals_list)``, flushed), then to change the email of them all in
    one write after a few single-partner writes (the way a session works: the
    trigger's cached plan must not turn the big write quadratic), with the
    triggers that keep the table of word starts current and without them,
    each rolled back; None on a database without the table (stock). Right
    after the creates (with the table), the first term of each case is
    searched: the new rows still wait in the trigram indexes' pending lists,
    which every search reads."""
    import odoo
    from odoo import api

    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        cr.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'res_partner_crm_search_prefix_%%'")
        triggers = [name for (name,) in cr.fetchall()]
        if not triggers:
            return None
        env = api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        vals_list = [
            # No tax ID: base_vat refuses the generated ones.
            {"name": name, "email": email, "phone": typed, "ref": f"N{ref[1:]}", "is_company": company}
            for name, email, typed, _e164, ref, _vat, company, _country in generate(count, seed=7)
        ]
        timings = {(kind, with_table): [] for kind in ("create", "write") for with_table in (True, False)}
        searches = []
        for with_table in (True, False, True, False):
            cr.execute("SAVEPOINT bench_create")
            if not with_table:
                for name in triggers:
                    cr.execute(f'ALTER TABLE res_partner DISABLE TRIGGER "{name}"')
            started = time.perf_counter()
            partners = env["res.partner"].create(vals_list)
            env.flush_all()
            timings["create", with_table].append(time.perf_counter() - started)
            if with_table:
                Partner = env["res.partner"].with_user(2)
                for _label, kind, terms in plan:
                    env.invalidate_all()
                    started = time.perf_counter()
                    if kind == "name":
                        Partner.name_search(terms[0], limit=8)
                    else:
                        Partner.search([("phone_mobile_search", "ilike", terms[0])], limit=80)
                    searches.append((time.perf_counter() - started) * 1000)
            for partner in partners[:8]:
                partner.email = f"single.{partner.id}@example.org"
                env.flush_all()
            started = time.perf_counter()
            partners.write({"email": "moved@example.org"})
            env.flush_all()
            timings["write", with_table].append(time.perf_counter() - started)
            env.invalidate_all()
            cr.execute("ROLLBACK TO SAVEPOINT bench_create")
        cr.rollback()
    # The rolled back rows stay in the trigram indexes' pending lists, which
    # every later search reads: clean up for the next --reuse run.
    vacuum(db)
    return {key: min(values) for key, values in timings.items()}, searches


def vacuum(db):
    import psycopg2

    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    conn.cursor().execute("VACUUM ANALYZE res_partner")
    conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20, help="searches per case (its terms in turn)")
    parser.add_argument("--db", default="ccs_bench_partner_search")
    parser.add_argument("--stock-db", default="ccs_bench_partner_search_stock")
    parser.add_argument("--port", type=int, default=8039, help="HTTP port of the install runs")
    parser.add_argument("--reuse", action="store_true", help="reuse databases filled by a previous run")
    parser.add_argument(
        "--create", type=int, default=10_000, help="partners created through the ORM to time the table's upkeep"
    )
    args = parser.parse_args()

    import odoo

    odoo.tools.config.parse_config([f"--addons-path={ADDONS}", "--log-level=warn"])
    depends = addon_depends()
    if not args.reuse:
        for db, modules in ((args.db, ["crm_client_suite"]), (args.stock_db, depends)):
            installed = install(db, modules, args.port)
            loaded = load(db, args.size)
            print(f"{db}: {','.join(modules)} installed in {installed:.0f} s, {args.size} partners in {loaded:.1f} s")
    plan = cases(args.db)
    suite = measure(args.db, plan, args.runs)
    stock = measure(args.stock_db, plan, args.runs)
    print(
        f"stock side: {', '.join(depends)} (the add-on's dependencies); {args.size} partners; {args.runs} runs per case"
    )
    print(
        f"{'case':<24} {'suite median':>12} {'suite p95':>10} {'stock median':>12} {'stock p95':>10}  found suite/stock"
        "  first search (slowest term) suite/stock"
    )
    for (label, _kind, _terms), (s_med, s_p95, s_found, s_first), (k_med, k_p95, k_found, k_first) in zip(
        plan, suite, stock, strict=True
    ):
        print(
            f"{label:<24} {s_med:>9.1f} ms {s_p95:>7.1f} ms {k_med:>9.1f} ms {k_p95:>7.1f} ms"
            f"   {s_found}/{args.runs} {k_found}/{args.runs}   {s_first:.1f} ms / {k_first:.1f} ms"
        )
    count = min(args.create, args.size)
    upkeep = measure_upkeep(args.db, count, plan)
    overhead = ""
    if upkeep:
        upkeep, searches = upkeep
        searches.sort()
        print(
            f"searches right after creating {count} partners: median {statistics.median(searches):.1f} ms, "
            f"slowest {searches[-1]:.1f} ms ({len(searches)} searches)"
        )
        overhead += f"after_create_worst_ms={searches[-1]:.1f} "
        for kind, label in (
            ("create", "create {count} partners (ORM, one batch)"),
            ("write", "then write the email of all {count} (one batch, after 8 single writes)"),
        ):
            with_table, without = upkeep[kind, True], upkeep[kind, False]
            print(
                f"{label.format(count=count)}: {with_table:.2f} s with the table of word starts, "
                f"{without:.2f} s without its triggers ({100 * (with_table / without - 1):+.1f} %)"
            )
            overhead += f"{kind}_overhead_pct={100 * (with_table / without - 1):.1f} "
    worst_median = max(figure[0] for figure in suite)
    worst_p95 = max(figure[1] for figure in suite)
    ratio = sum(figure[0] for figure in stock) / sum(figure[0] for figure in suite)
    print(
        f"RESULT name=partner_search size={args.size} runs={args.runs} cases={len(plan)} "
        f"suite_worst_median_ms={worst_median:.1f} suite_worst_p95_ms={worst_p95:.1f} "
        f"stock_worst_median_ms={max(f[0] for f in stock):.1f} stock_worst_p95_ms={max(f[1] for f in stock):.1f} "
        f"{overhead}ratio={ratio:.1f}"
    )


if __name__ == "__main__":
    main()
