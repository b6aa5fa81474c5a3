"""What an import column can be mapped to, and the headers that suggest it.

Headers are compared normalised (lowercase, without accents, spaces or
punctuation), so "E-Mail", "e-mail" and "Email" are one header.
"""

import re
import unicodedata

# key: (partner field, kind, normalised headers in en, es and de)
TARGETS = {
    "external_id": ("id", "external_id", ("externalid", "id", "xmlid", "idexterno", "externeid")),
    "name": ("name", "char", ("name", "fullname", "contactname", "nombrecompleto", "vollername", "kontaktname")),
    "first_name": ("crm_first_name", "char", ("firstname", "givenname", "nombre", "vorname")),
    "last_name": (
        "crm_last_name",
        "char",
        ("lastname", "surname", "familyname", "apellido", "apellidos", "nachname", "familienname"),
    ),
    "company": (
        "parent_id",
        "company",
        (
            "company",
            "companyname",
            "client",
            "organization",
            "organisation",
            "empresa",
            "compania",
            "cliente",
            "firma",
            "unternehmen",
            "firmenname",
            "kunde",
        ),
    ),
    "email": (
        "email",
        "email",
        ("email", "mail", "emailaddress", "correo", "correoelectronico", "emailadresse"),
    ),
    "phone": ("phone", "phone", ("phone", "telephone", "tel", "telefono", "telefon", "telefonnummer", "phonenumber")),
    "mobile": ("mobile", "phone", ("mobile", "mobilephone", "cell", "movil", "celular", "handy", "mobil")),
    "vat": ("vat", "char", ("vat", "taxid", "vatnumber", "nif", "cif", "nifcif", "ustidnr", "ustid", "steuernummer")),
    "function": ("function", "char", ("jobtitle", "jobposition", "position", "cargo", "puesto", "funktion")),
    "street": ("street", "char", ("street", "address", "direccion", "calle", "strasse", "adresse")),
    "city": ("city", "char", ("city", "town", "ciudad", "localidad", "stadt", "ort")),
    "zip": ("zip", "char", ("zip", "zipcode", "postcode", "postalcode", "codigopostal", "plz", "postleitzahl")),
    "country": ("country_id", "country", ("country", "pais", "land")),
    "website": ("website", "char", ("website", "web", "url", "sitioweb", "paginaweb", "webseite")),
    "role": ("crm_role_category", "selection", ("role", "rolecategory", "contactrole", "rol", "rolle")),
    "client_type": ("crm_client_type", "selection", ("clienttype", "tipodecliente", "kundentyp", "kundenart")),
    "client_status": ("crm_client_status", "selection", ("clientstatus", "status", "estado", "kundenstatus")),
    "channel": (
        "crm_preferred_channel",
        "selection",
        ("preferredchannel", "channel", "canalpreferido", "canal", "bevorzugterkanal", "kanal"),
    ),
    "tags": ("category_id", "tags", ("tags", "tag", "labels", "etiquetas", "etiqueta", "schlagworte", "stichworte")),
    "owner": (
        "user_id",
        "owner",
        (
            "owner",
            "salesperson",
            "accountmanager",
            "responsable",
            "comercial",
            "propietario",
            "vendedor",
            "verantwortlicher",
            "vertriebsmitarbeiter",
            "betreuer",
        ),
    ),
    "team": ("team_id", "team", ("salesteam", "team", "equipo", "equipodeventas", "vertriebsteam", "verkaufsteam")),
    "source": ("source_id", "source", ("source", "leadsource", "origen", "fuente", "quelle", "herkunft")),
    "no_email": (
        "crm_no_email",
        "boolean",
        ("donotemail", "noemail", "emailoptout", "optout", "noenviarcorreo", "noenviaremail", "keineemail"),
    ),
    "no_call": ("crm_no_call", "boolean", ("donotcall", "nocall", "nollamar", "nichtanrufen", "keineanrufe")),
    "comment": ("comment", "char", ("notes", "note", "comment", "comments", "notas", "comentarios", "notizen")),
}
# Words a yes/no cell may hold, in en, es and de.
TRUE_WORDS = ("1", "true", "yes", "y", "x", "si", "sí", "ja", "wahr")
FALSE_WORDS = ("0", "false", "no", "n", "nein", "falsch")


def normalize_header(header):
    text = unicodedata.normalize("NFKD", header or "")
    text = "".join(char for char in text if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]", "", text.lower())


def suggest(header, custom_labels, targets=None):
    """The target key suggested for ``header``: a field of ``targets``
    (TARGETS by default), or ``x_...`` for a custom field whose label (in
    any language) matches."""
    key = normalize_header(header)
    if not key:
        return False
    for target, (_field, _kind, headers) in (targets or TARGETS).items():
        if key in headers:
            return target
    return custom_labels.get(key, False)


def template_key(headers):
    """Identifies a file layout: its normalised headers, in order."""
    return "|".join(normalize_header(header) for header in headers)


# Deals (crm.lead): key: (lead field, kind, normalised headers in en, es and de).
# "number" and "date" cells are read with their column's formats.
DEAL_TARGETS = {
    "external_id": TARGETS["external_id"],
    "name": (
        "name",
        "char",
        ("name", "title", "deal", "dealname", "opportunity", "subject", "titulo", "oportunidad", "trato")
        + ("titel", "chance", "verkaufschance", "betreff"),
    ),
    "client": (
        "partner_id",
        "client",
        ("client", "customer", "company", "account", "clientreference", "reference", "ref", "cliente", "empresa")
        + ("referencia", "kunde", "firma", "unternehmen", "referenz", "kundennummer"),
    ),
    "email": ("email_from", "email", TARGETS["email"][2]),
    "phone": ("phone", "char", TARGETS["phone"][2]),
    "stage": ("stage_id", "stage", ("stage", "etapa", "fase", "phase", "stufe")),
    "owner": ("user_id", "owner", TARGETS["owner"][2]),
    "team": ("team_id", "team", TARGETS["team"][2]),
    "amount": (
        "expected_revenue",
        "monetary",
        ("amount", "expectedrevenue", "revenue", "value", "importe", "ingresoesperado", "valor", "betrag")
        + ("umsatz", "erwarteterumsatz"),
    ),
    "probability": ("probability", "float", ("probability", "probabilidad", "wahrscheinlichkeit")),
    "close_date": (
        "date_deadline",
        "date",
        ("expectedclosing", "closedate", "expectedclosedate", "closingdate", "deadline", "fechadecierre")
        + ("fechaprevista", "cierre", "abschlussdatum", "erwartetesabschlussdatum", "abschluss"),
    ),
    "source": ("source_id", "source", TARGETS["source"][2]),
    "notes": ("description", "char", TARGETS["comment"][2]),
    "currency": ("currency_id", "currency", ("currency", "currencycode", "moneda", "divisa", "wahrung", "waehrung")),
    "tags": ("tag_ids", "tags", TARGETS["tags"][2]),
}
