"""The form in which the facilitator adds or corrects what a participant says: one flow.

Resources come from the catalogue (French labels, searchable), units from those allowed for
the resource's dimension; :func:`normalise_flow` hands the row to the core (``build_flows``),
which checks and normalises it exactly as it does for the imported tables.

A flow whose resource was read from the participant's words (``resource_from_text``) is marked
"to review" in the list of flows to correct, and the form says which words were read as which
resource with what confidence; saving it with a resource chosen in the catalogue confirms it.
Words typed in the resource field are read the same way: a confident reading is proposed
(never saved unseen), an unsure one lists the three best suggestions.
"""

from __future__ import annotations

import pandas as pd
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from ..core.workspace import unit_choices
from ..layers.project import CATEGORY_SYMBOLS
from ..layers.workspace import category_label
from ..translation import tr
from .dock_text import truthy


def normalise_flow(values: dict, actor: dict, catalogue):
    """``(row, None)``: the flow as the core normalises it (one-row supply or need frame), or
    ``(None, reason)`` with the translated reason the core rejected it for."""
    from ..core.errors import EitError
    from ..core.flows import build_flows, read_actors, read_flows
    from ..processing.messages import error_message, translate_rejected

    actors = pd.DataFrame(
        [
            {
                "identifiant": actor["actor_id"],
                "nom": actor.get("name") or "",
                "categorie": actor.get("category") or "",
                "confidentiel": "oui" if actor.get("confidential") else "non",
            }
        ]
    )
    flows = pd.DataFrame(
        [
            {
                "identifiant": values["flow_id"],
                "acteur": actor["actor_id"],
                "sens": values["direction"],
                "ressource": values["resource"],
                "libelle": values.get("label") or "",
                "quantite": values.get("quantity") or "",
                "unite": values.get("unit") or "",
                "mois": values.get("months") or "",
                "confidentiel": "oui" if values.get("confidential") else "non",
                "commentaire": values.get("comment") or "",
            }
        ]
    )
    try:
        result = build_flows(
            read_actors(actors, name=tr("workshop")),
            read_flows(flows, name=tr("workshop")),
            catalogue,
            source_name=tr("workshop"),
        )
    except EitError as error:
        return None, error_message(error)
    if len(result.rejected):
        reasons = translate_rejected(result.rejected)
        return None, "; ".join(str(r) for r in reasons["reason"])
    row = result.supply if len(result.supply) else result.need
    return row.reset_index(drop=True), None


def read_from_words(row) -> bool:
    """The flow's resource was read from words (``resource_from_text``), not given as a code."""
    return truthy(row.get("resource_from_text"))


def text_or_empty(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def confidence_percent(value) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "?"
    return "?" if number != number else f"{100 * number:.0f}"


class FlowFormDialog(QDialog):
    """Add or correct a supply or need of an actor (or of a new actor placed on the map)."""

    def __init__(self, catalogue, family_names, actors, flows, actor_id=None, new_actor=False,
                 parent=None):  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(tr("Supply or need of an actor"))
        self.catalogue = catalogue
        self.family_names = family_names
        self.actors = actors
        self.flows = flows if flows is not None else pd.DataFrame()
        self.new_actor = new_actor
        self.validator = None  # callable(dialog) -> error text or None
        font = self.font()
        font.setPointSize(max(font.pointSize(), 11))
        self.setFont(font)
        layout = QVBoxLayout(self)

        actor_box = QGroupBox(tr("Actor"))
        actor_form = QFormLayout(actor_box)
        self.actor_combo = QComboBox()
        self.new_name = QLineEdit()
        self.new_category = QComboBox()
        self.new_confidential = QCheckBox(tr("Confidential actor"))
        if new_actor:
            self.new_name.setPlaceholderText(tr("Name of the new actor"))
            actor_form.addRow(tr("Name"), self.new_name)
            for value in CATEGORY_SYMBOLS:
                self.new_category.addItem(category_label(value), value)
            actor_form.addRow(tr("Type of activity"), self.new_category)
            actor_form.addRow("", self.new_confidential)
        else:
            for _, row in actors.sort_values("name", key=lambda s: s.str.lower()).iterrows():
                text = f"{row['name']} ({category_label(row.get('category'))})"
                self.actor_combo.addItem(text, str(row["actor_id"]))
            if actor_id is not None:
                self.actor_combo.setCurrentIndex(self.actor_combo.findData(str(actor_id)))
            actor_form.addRow(tr("Actor"), self.actor_combo)
        layout.addWidget(actor_box)

        flow_box = QGroupBox(tr("Flow"))
        form = QFormLayout(flow_box)
        self.existing = QComboBox()
        form.addRow(tr("Flow to correct"), self.existing)
        self.direction = QComboBox()
        self.direction.addItem(tr("Supply: what the actor has to spare"), "gisement")
        self.direction.addItem(tr("Need: what the actor is looking for"), "besoin")
        form.addRow(tr("Direction"), self.direction)
        self.resource = QComboBox()
        self.resource.setEditable(True)
        self.resource.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        resources = catalogue.resources_frame.sort_values("label_fr", key=lambda s: s.str.lower())
        for _, row in resources.iterrows():
            family = family_names.get(str(row["family"]), str(row["family"]))
            self.resource.addItem(f"{row['label_fr']} ({family})", str(row["code"]))
        completer = QCompleter(self.resource.model(), self.resource)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.resource.setCompleter(completer)
        self.resource.lineEdit().setPlaceholderText(tr("Type to search the catalogue"))
        form.addRow(tr("Resource"), self.resource)
        self.review = QLabel()
        self.review.setWordWrap(True)
        self.review.setStyleSheet("color: #a6611a;")
        self.review.setVisible(False)
        form.addRow("", self.review)
        self.label = QLineEdit()
        self.label.setPlaceholderText(tr("The participant's words (optional)"))
        form.addRow(tr("Label"), self.label)
        self.quantity = QLineEdit()
        self.quantity.setPlaceholderText(tr("empty if unknown"))
        form.addRow(tr("Quantity"), self.quantity)
        self.unit = QComboBox()
        form.addRow(tr("Unit"), self.unit)
        self.months = QLineEdit()
        self.months.setPlaceholderText(tr("e.g. 3-10; empty = all year"))
        form.addRow(tr("Months available"), self.months)
        self.confidential = QCheckBox(tr("Confidential (never shown in public mode)"))
        form.addRow("", self.confidential)
        self.comment = QLineEdit()
        form.addRow(tr("Comment"), self.comment)
        layout.addWidget(flow_box)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b2182b; font-weight: bold;")
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.resource.currentIndexChanged.connect(self.update_units)
        self.actor_combo.currentIndexChanged.connect(self.update_existing)
        self.existing.currentIndexChanged.connect(self.fill_from_existing)
        self.update_units()
        self.update_existing()

    # --- state ----------------------------------------------------------------------
    def actor_id(self) -> str | None:
        return None if self.new_actor else self.actor_combo.currentData()

    def resource_code(self) -> str | None:
        index = self.resource.findText(self.resource.currentText())
        if index >= 0:
            return self.resource.itemData(index)
        return None

    def set_resource(self, code: str) -> None:
        index = self.resource.findData(str(code))
        if index >= 0:
            self.resource.setCurrentIndex(index)

    def update_units(self) -> None:
        code = self.resource_code()
        current = self.unit.currentText()
        self.unit.clear()
        if code is None or code not in self.catalogue:
            return
        for unit in unit_choices(self.catalogue.get(code)):
            self.unit.addItem(unit.replace("m3", "m³").replace("m2", "m²"), unit)
        index = self.unit.findData(current)
        if index >= 0:
            self.unit.setCurrentIndex(index)

    def update_existing(self) -> None:
        self.existing.blockSignals(True)
        self.existing.clear()
        self.existing.addItem(tr("New flow"), None)
        actor = self.actor_id()
        if actor is not None and len(self.flows):
            mine = self.flows[self.flows["actor_id"].astype(str) == actor]
            for _, row in mine.iterrows():
                side = tr("supply") if row["direction"] == "supply" else tr("need")
                text = f"{side}: {row['resource_label']}"
                if read_from_words(row):
                    text += " — " + tr("resource read from words, to review")
                self.existing.addItem(text, str(row["flow_id"]))
        self.existing.blockSignals(False)

    def fill_from_existing(self) -> None:
        flow_id = self.existing.currentData()
        self.show_review(None)
        if flow_id is None or not len(self.flows):
            return
        row = self.flows[self.flows["flow_id"].astype(str) == flow_id].iloc[0]
        self.direction.setCurrentIndex(0 if row["direction"] == "supply" else 1)
        self.set_resource(row["resource"])
        if read_from_words(row):
            self.show_review(
                tr("Resource read from the words “{text}” (confidence {percent} %): check it, "
                   "then save to confirm.").format(
                    text=text_or_empty(row.get("resource_text")),
                    percent=confidence_percent(row.get("resource_confidence")),
                )
            )  # fmt: skip
        self.label.setText("" if pd.isna(row.get("label")) else str(row.get("label")))
        quantity = row.get("quantity")
        self.quantity.setText("" if pd.isna(quantity) else f"{float(quantity):g}".replace(".", ","))
        unit = str(row.get("unit") or "")
        index = self.unit.findData(unit)
        if index < 0 and unit:
            self.unit.addItem(unit, unit)
            index = self.unit.count() - 1
        self.unit.setCurrentIndex(max(index, 0))
        self.months.setText("" if pd.isna(row.get("months")) else str(row.get("months")))
        self.confidential.setChecked(bool(row.get("confidential")))
        self.comment.setText("" if pd.isna(row.get("comment")) else str(row.get("comment")))

    def show_review(self, text: str | None) -> None:
        self.review.setText(text or "")
        self.review.setVisible(bool(text))

    def read_typed_words(self) -> str:
        """The resource field holds words, not a catalogue entry: read them with the
        catalogue. A confident reading selects its resource (to be checked, then saved); the
        text returned says what was read, or the three best suggestions."""
        from ..core.errors import EitError

        typed = self.resource.currentText().strip()
        if not typed:
            return tr("Choose a resource of the catalogue.")
        try:
            found = self.catalogue.resolve(typed)
        except EitError as error:
            names = [
                self.catalogue.get(code).label_fr
                for code in error.data.get("suggestions") or ()
                if code in self.catalogue
            ]
            if not names:
                return tr("Choose a resource of the catalogue.")
            return tr("No resource of the catalogue is sure for “{text}”. Did you mean: "
                      "{names}?").format(text=typed, names=", ".join(names))  # fmt: skip
        self.set_resource(found.resource.code)
        if found.from_text:
            self.show_review(
                tr("“{text}” read as {label} (confidence {percent} %): check it, then save.")
                .format(text=typed, label=found.resource.label_fr,
                        percent=confidence_percent(found.confidence))
            )  # fmt: skip
        return tr("Check the resource read from your words, then save.")

    def values(self) -> dict:
        """What was entered, in the words of the flows table."""
        return {
            "flow_id": self.existing.currentData(),
            "direction": self.direction.currentData(),
            "resource": self.resource_code() or self.resource.currentText(),
            "label": self.label.text().strip(),
            "quantity": self.quantity.text().strip(),
            "unit": self.unit.currentData() or "",
            "months": self.months.text().strip(),
            "confidential": self.confidential.isChecked(),
            "comment": self.comment.text().strip(),
        }

    def new_actor_values(self) -> dict:
        return {
            "name": self.new_name.text().strip(),
            "category": self.new_category.currentData(),
            "confidential": self.new_confidential.isChecked(),
        }

    def try_accept(self) -> None:
        if self.new_actor and not self.new_name.text().strip():
            self.message.setText(tr("Give the new actor a name."))
            return
        if self.resource_code() is None:
            self.message.setText(self.read_typed_words())
            return
        error = self.validator(self) if self.validator is not None else None
        if error:
            self.message.setText(error)
            return
        self.accept()
