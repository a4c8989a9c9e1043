"""Translated messages for the core's error and rejection codes.

The core raises ``EitError(code, message, **data)`` and writes ``reason_code`` on rejected
rows, in plain English; the user reads them here, in the QGIS locale.
"""

from __future__ import annotations

from qgis.core import QgsProcessingException

from ..core.errors import EitError
from ..translation import tr


def _join(value) -> str:
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def error_templates() -> dict[str, str]:
    return {
        "missing_column": tr(
            "{file}: required column missing: {missing}. Accepted names: {expected}. "
            "Columns found: {found}."
        ),
        "empty_file": tr("{file}: the file is empty (no data row)."),
        "file_not_found": tr("{file}: file not found."),
        "unreadable_file": tr("{file}: the file cannot be read ({detail})."),
        "bad_encoding": tr("{file}: the text encoding is neither UTF-8 nor Latin-1."),
        "not_a_layer": tr("{file}: not a table or a layer."),
        "not_a_table": tr("{file}: this file is not a table ({detail})."),
        "bad_csv_row": tr(
            "{file}: no row fits the header: row {row} has {found_fields} fields where the "
            "header has {expected_fields}. Check the delimiter ({delimiter}) and that the "
            "first line holds the column names."
        ),
        "too_many_columns": tr(
            "{file}: {columns} columns; a table of actors or flows has at most {limit}."
        ),
        "unsafe_file": tr(
            "{file}: refused: {member} declares XML entities, as an entity-expansion bomb "
            "does. Save the workbook again from a spreadsheet program."
        ),
        "missing_module": tr(
            "{file}: the Python library {module} is needed to read this file safely: install "
            "it in the Python that QGIS uses."
        ),
        "duplicate_actor_id": tr(
            "{file}: actor ids must be unique; duplicated: {ids} (rows {rows}). Nothing was "
            "written."
        ),
        "invalid_catalogue_table": tr("{file}, row {row}, field {field}: {detail}"),
        "unknown_resource": tr("Unknown resource code {text}. Closest: {suggestions}."),
        "invalid_crs": tr("Invalid coordinate reference system: {crs}."),
        "invalid_method": tr("Unknown geocoding method {value}: choose 0 to 4."),
        "missing_ban_file": tr(
            "The local BAN file method needs a BAN file (BAN_FILE): download one with "
            "'Download a BAN address file'."
        ),
        "missing_geocoder": tr("The Nominatim method needs the Nominatim geocoder of QGIS."),
        "ban_file_missing": tr("BAN file not found: {file}."),
        "ban_file_format": tr(
            "{file} is neither a BAN file (semicolon-separated, from adresse.data.gouv.fr) "
            "nor a BANO file."
        ),
        "ban_file_empty": tr("{file}: the BAN file holds no usable address."),
        "ban_file_unreadable": tr("{file}: the BAN file cannot be read ({detail})."),
        "ban_index_unreadable": tr(
            "{file}: the saved BAN index cannot be read; delete it and run again."
        ),
        "sirene_file_missing": tr("SIRENE file not found: {file}."),
        "sirene_file_format": tr(
            "{file} has no siret column: it is not a SIRENE establishments file."
        ),
        "sirene_file_unreadable": tr("The SIRENE file cannot be read ({detail})."),
        "communes_file_missing": tr("Communes table not found ({detail})."),
        "communes_missing_column": tr(
            "{file}: the communes table lacks {missing} (it needs an INSEE code, a name, a "
            "longitude and a latitude). Columns found: {columns}."
        ),
        "bad_url": tr("Only http and https addresses are allowed: {url}."),
        "ban_api_http_error": tr("{url} answered HTTP {status}."),
        "ban_api_unreachable": tr("Cannot reach {url}: check the network connection."),
        "invalid_departement": tr(
            "{value} is not a département code (01 to 95, 2A, 2B, 971 to 976)."
        ),
        "ban_download_incomplete": tr(
            "{url}: download incomplete ({received} of {expected} bytes); try again."
        ),
        "too_many_candidates": tr(
            "More than {limit} candidates within the distance: keep each flow's best ones "
            "(TOP_K greater than 0), lower the distance limit or select fewer flows."
        ),
        "invalid_top_k": tr("TOP_K must be a whole number, 0 or more: {value}."),
        "ban_download_invalid": tr(
            "{url} did not send a gzip file: check the département code and the download "
            "site address."
        ),
        "pg_no_database": tr("No PostgreSQL database given: fill DATABASE."),
        "pg_bad_uri": tr(
            "{uri}: not a PostgreSQL address (postgresql://user:[password]@host:port/database)."
        ),
        "pg_unknown_connection": tr(
            "{name}: there is no QGIS connection of that name (Browser → PostgreSQL → New "
            "connection). Known connections: {known}."
        ),
        "pg_unreachable": tr(
            "The PostgreSQL server {host}:{port} cannot be reached: check the address, the "
            "port and that the server is running ({detail})."
        ),
        "pg_auth": tr(
            "{database}: the server refused the login: check the user name and the password."
        ),
        "pg_no_postgis": tr(
            "{database}: the PostGIS extension is not installed in this database; the "
            "administrator runs CREATE EXTENSION postgis; in it."
        ),
        "pg_no_schema": tr("DATABASE needs a SCHEMA: the name of the territory's schema."),
        "pg_bad_schema": tr(
            "{schema}: a schema name is written in lower case letters, digits and underscores."
        ),
        "pg_foreign_tables": tr(
            "The schema {schema} holds tables that are not an EIT workspace's ({tables}): "
            "choose another schema name; nothing was written."
        ),
        "pg_permission": tr(
            "{database}: permission denied ({detail}). Ask the administrator for access "
            "(eit:grantaccess); nothing was written."
        ),
        "pg_no_role": tr("The role {role} does not exist: the administrator creates it first."),
        "pg_bad_access": tr("ACCESS must be 0 (the territory's team) or 1 (the region)."),
        "pg_no_workspace": tr(
            "The schema {schema} holds no EIT workspace: run eit:runpipeline into it first."
        ),
        "pg_error": tr("{database}: the database answered an error: {detail}"),
        "bad_status": tr("Unknown status {value}."),
    }


def error_message(error: EitError) -> str:
    """The translated message of a core error (its English text when no template fits)."""
    template = error_templates().get(error.code)
    data = {key: _join(value) for key, value in error.data.items()}
    data.setdefault("detail", str(error))
    if template:
        try:
            return template.format(**data)
        except (KeyError, IndexError):
            pass
    return tr("Input problem ({code}): {message}").format(code=error.code, message=str(error))


def processing_error(error: EitError) -> QgsProcessingException:
    return QgsProcessingException(error_message(error))


def rejection_reasons() -> dict[str, str]:
    """reason_code of a rejected row -> translated explanation ({field}, {value})."""
    return {
        "missing_actor_id": tr("The actor id is empty."),
        "missing_actor": tr("The actor of the flow is empty."),
        "unknown_actor": tr("The actor {value} is not in the actors table."),
        "missing_direction": tr("The direction (supply or need) is empty."),
        "unknown_direction": tr(
            "Direction {value} not understood: write supply (gisement, sortant, offre) or "
            "need (besoin, entrant, demande)."
        ),
        "missing_resource": tr("The resource code is empty."),
        "unknown_resource": tr("Unknown resource code {value}; closest entries: {suggestions}."),
        "non_numeric_quantity": tr("The quantity {value} is not a number."),
        "negative_quantity": tr("The quantity {value} is negative."),
        "unknown_unit": tr("Unknown unit {value}."),
        "unit_mismatch": tr("The unit {value} does not fit this resource ({detail})."),
        "bad_months": tr("Months {value} not understood (write e.g. 3-10 or 1,2,3)."),
        "bad_year": tr("Year {value} not understood."),
        "duplicate_flow_id": tr("The flow id {value} is used by several rows."),
        "too_many_fields": tr(
            "This line has more fields than the header: a value holds the delimiter without "
            "quotes."
        ),
        "too_few_fields": tr("This line has fewer fields than the header."),
        "bad_encoding_row": tr(
            "This line holds characters that cannot be read in the file's encoding: save the "
            "file as CSV UTF-8."
        ),
        "cell_too_long": tr("The value of {field} is longer than 10,000 characters."),
        "unclosed_quote": tr(
            "A double quote opened in this line is never closed; the reading goes on at the "
            "next line."
        ),
        "unknown_place": tr(
            "Place {value} not found (write an actor id, an INSEE code or commune name, "
            "'lon lat' coordinates or a facility of the facilities table); the flow is kept."
        ),
        "ambiguous_place": tr(
            "Several communes are named {value}: write the INSEE code; the flow is kept."
        ),
        "bad_distance": tr("The current distance {value} is not a number of km; the flow is kept."),
        "place_wrong_side": tr(
            "{field} {value} is not used: a need gives where it comes from (provenance), a "
            "supply where it goes (destination); the flow is kept."
        ),
    }


def translate_rejected(rejected):
    """Adds ``reason`` in the QGIS locale; the core's English text moves to ``detail``."""
    if rejected is None or not len(rejected):
        return rejected
    out = rejected.copy()
    templates = rejection_reasons()
    out["detail"] = out.get("reason", "")
    reasons = []
    for code, field, value, suggestions, detail in zip(
        out["reason_code"],
        out.get("field", [""] * len(out)),
        out.get("value", [""] * len(out)),
        out.get("suggestions", [""] * len(out)),
        out["detail"],
        strict=True,
    ):
        template = templates.get(str(code))
        values = {
            "field": _join(field),
            "value": _join(value),
            "suggestions": _join(suggestions),
            "detail": _join(detail),
        }
        reasons.append(template.format(**values) if template else _join(detail))
    out["reason"] = reasons
    return out


def report_read_rejects(frame, file: str, feedback) -> None:
    """Say which rows the reading of ``file`` set aside (for an algorithm that has no
    rejected output): row number and translated reason, up to 20 of them."""
    rejects = frame.attrs.get("read_rejected")
    if not rejects:
        return
    templates = rejection_reasons()
    feedback.reportError(
        tr("{file}: {n} rows set aside while reading:").format(file=file, n=len(rejects))
    )
    for row, code, field in list(zip(rejects.rows, rejects.codes, rejects.fields, strict=True))[
        :20
    ]:
        reason = templates.get(code, code).format(field=field, value="", suggestions="", detail="")
        feedback.reportError(tr("row {row}: {reason}").format(row=row, reason=reason))
