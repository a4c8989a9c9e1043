"""The dock's flow form shows which flows had their resource read from words, and reads
words typed in its resource field the same way the core reads the imported tables."""

from __future__ import annotations

import pandas as pd
import pytest
from eit_synergies.core.catalogue import Catalogue
from eit_synergies.core.flows import build_flows, read_actors, read_flows
from eit_synergies.ui.flow_form import FlowFormDialog


@pytest.fixture(scope="module")
def catalogue():
    return Catalogue.load()


def flows_read(catalogue, rows):
    actors = pd.DataFrame(
        [{"identifiant": "A1", "nom": "Scierie du Val", "categorie": "entreprise",
          "confidentiel": "non"}]
    )  # fmt: skip
    flows = pd.DataFrame(
        [
            {"identifiant": fid, "acteur": "A1", "sens": "gisement", "ressource": resource,
             "quantite": "10", "unite": "t/an"}
            for fid, resource in rows
        ]
    )  # fmt: skip
    result = build_flows(read_actors(actors), read_flows(flows), catalogue)
    assert not len(result.rejected), result.rejected.to_dict("records")
    return result.supply


def dialog_for(catalogue, rows):
    supply = flows_read(catalogue, rows)
    actors = pd.DataFrame([{"actor_id": "A1", "name": "Scierie du Val", "category": "entreprise"}])
    return FlowFormDialog(catalogue, {}, actors, supply, actor_id="A1"), supply


def test_a_flow_read_from_words_is_marked_to_review_with_its_words(catalogue, qgis_app):
    dialog, supply = dialog_for(catalogue, [("F1", "palettes cassées"), ("F2", "ORG_GREEN_WASTE")])
    from_text = dict(zip(supply["flow_id"], supply["resource_from_text"], strict=False))
    assert from_text["F1"] and not from_text["F2"]
    texts = {dialog.existing.itemData(i): dialog.existing.itemText(i)
             for i in range(dialog.existing.count())}  # fmt: skip
    assert "review" in texts["F1"] and "review" not in texts["F2"]

    dialog.existing.setCurrentIndex(dialog.existing.findData("F1"))
    row = supply[supply["flow_id"] == "F1"].iloc[0]
    assert dialog.resource_code() == row["resource"]
    assert not dialog.review.isHidden()
    assert "palettes cassées" in dialog.review.text()
    assert f"{100 * row['resource_confidence']:.0f} %" in dialog.review.text()

    dialog.existing.setCurrentIndex(dialog.existing.findData("F2"))
    assert dialog.review.isHidden()


def test_words_typed_in_the_resource_field_are_proposed_never_saved_unseen(catalogue, qgis_app):
    dialog, _ = dialog_for(catalogue, [("F2", "ORG_GREEN_WASTE")])
    saved = []
    dialog.validator = lambda d: saved.append(d.values()) or None
    dialog.resource.setEditText("palettes cassées")
    assert dialog.resource_code() is None
    dialog.try_accept()
    expected = catalogue.resolve("palettes cassées")
    assert expected.from_text
    assert not saved and dialog.result() != dialog.DialogCode.Accepted
    assert dialog.resource_code() == expected.resource.code
    assert expected.resource.label_fr in dialog.review.text()
    dialog.try_accept()
    assert saved and saved[0]["resource"] == expected.resource.code


def test_unsure_words_get_the_three_best_suggestions(catalogue, qgis_app):
    dialog, _ = dialog_for(catalogue, [("F2", "ORG_GREEN_WASTE")])
    dialog.resource.setEditText("trucs divers du hangar")
    dialog.try_accept()
    assert dialog.resource_code() is None
    message = dialog.message.text()
    try:
        catalogue.resolve("trucs divers du hangar")
    except Exception as error:  # noqa: BLE001 - the core's refusal gives the suggestions
        names = [catalogue.get(c).label_fr for c in error.data.get("suggestions") or ()]
    else:
        pytest.fail("these words should not be read confidently")
    assert names and all(name in message for name in names)
