"""The workshop dock's candidate list and the selected synergy's detail (public mode hides
confidential names and quantities)."""

from __future__ import annotations

import math

import pandas as pd
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QBrush, QColor, QFont
from qgis.PyQt.QtWidgets import QTableWidgetItem

from ..core.workspace import STATUSES, confidential_rows
from ..layers.precedents_text import precedents_line
from ..layers.project import status_labels
from ..layers.workspace import STATUS_COLOURS
from ..translation import tr
from .dock_text import LIST_LIMIT, _html, quantity_text, truthy


class CandidateList:
    """The list and detail of :class:`ui.dock.WorkshopDock`."""

    def actor_text(self, name, confidential: bool) -> str:
        if self.public and confidential:
            return tr("Confidential actor")
        return "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)

    def refresh_list(self) -> None:
        """The list: the :data:`LIST_LIMIT` best visible candidates (what the room can read;
        thousands of rows would take seconds to lay out)."""
        self.notes_keeper.flush()  # the field is filled again below
        frame = self.visible_candidates(LIST_LIMIT)
        current = self._current_id
        self.table.blockSignals(True)
        self.table.setUpdatesEnabled(False)
        try:
            self.table.setRowCount(0)
            if frame is not None and len(frame):
                self._fill_rows(frame, current)
        finally:
            self.table.setUpdatesEnabled(True)
            self.table.blockSignals(False)
        self._show_detail(self._candidate(current) if current else None)

    def _fill_rows(self, frame, current) -> None:
        hidden = confidential_rows(frame)
        labels = status_labels()

        def column(name):
            if name in frame.columns:
                return frame[name].to_numpy(dtype=object)
            return [None] * len(frame)

        self.table.setRowCount(len(frame))
        select_row = None
        bold = QFont(self.table.font())
        bold.setBold(True)
        rows = zip(
            hidden, column("candidate_id"), column("score"), column("supply_resource_label"),
            column("supplier_name"), column("receiver_name"), column("supply_confidential"),
            column("need_confidential"), column("matched_quantity"), column("unit_norm"),
            column("status"), strict=True,
        )  # fmt: skip
        for row, (masked, cid, score, resource, s_name, r_name, s_conf, n_conf, qty, unit,
                  status) in enumerate(rows):  # fmt: skip
            cid = str(cid)
            supplier = self.actor_text(s_name, truthy(s_conf))
            receiver = self.actor_text(r_name, truthy(n_conf))
            quantity = "—" if self.public and masked else quantity_text(qty, unit)
            status = str(status) if status in STATUSES else "proposed"
            values = [
                f"{float(score):.2f}".replace(".", ","),
                f"{resource}\n{supplier} → {receiver}",
                quantity,
                labels[status],
            ]
            for index, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, cid)
                item.setToolTip(text)
                if index == 3:
                    item.setForeground(QBrush(QColor(STATUS_COLOURS[status])))
                    item.setFont(bold)
                self.table.setItem(row, index, item)
            if cid == current:
                select_row = row
        for column in (0, 2, 3):
            self.table.resizeColumnToContents(column)
        if select_row is not None:
            self.table.selectRow(select_row)

    def list_texts(self) -> list[str]:
        """Every text of the list and of the detail panel (what the room can read)."""
        texts = []
        for row in range(self.table.rowCount()):
            for column in range(self.table.columnCount()):
                item = self.table.item(row, column)
                if item is not None:
                    texts += [item.text(), item.toolTip()]
        texts += [self.detail_title.text(), self.detail_flows.text(), self.actor_info.text()]
        return texts

    def _candidate(self, candidate_id):
        if self.candidates is None or candidate_id is None:
            return None
        hit = self.candidates[self.candidates["candidate_id"].astype(str) == str(candidate_id)]
        return None if not len(hit) else hit.iloc[0]

    def select_candidate(self, candidate_id: str) -> bool:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == candidate_id:
                self.table.selectRow(row)
                return True
        return False

    def _row_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        candidate_id = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        self.notes_keeper.flush()  # the notes of the candidate left
        self._current_id = candidate_id
        cand = self._candidate(candidate_id)
        self._show_detail(cand)
        self._highlight(cand)

    def _show_detail(self, cand) -> None:
        on = cand is not None
        for button in self.status_buttons.values():
            button.setEnabled(on)
        self.notes.setEnabled(on)
        if not on:
            self.detail_title.setText(tr("Select a synergy in the list"))
            self.detail_flows.setText("")
            for bar in self.part_bars.values():
                bar.setValue(0)
                bar.setFormat("")
            self._load_notes("")
            return
        s_conf = truthy(cand.get("supply_confidential"))
        n_conf = truthy(cand.get("need_confidential"))
        masked = self.public and (s_conf or n_conf)
        status = str(cand["status"]) if cand["status"] in STATUSES else "proposed"
        self.detail_title.setText(
            tr("{resource} — score {score} — {km} km — {status}").format(
                resource=cand["supply_resource_label"],
                score=f"{float(cand['score']):.2f}".replace(".", ","),
                km=f"{float(cand['distance_km']):.1f}".replace(".", ","),
                status=status_labels()[status],
            )
        )
        for column, bar in self.part_bars.items():
            value = cand.get(column)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                bar.setValue(0)
                bar.setFormat(tr("unknown"))
            else:
                bar.setValue(int(round(float(value) * 100)))
                bar.setFormat(f"{float(value):.2f}".replace(".", ","))
        supplier = self.actor_text(cand["supplier_name"], s_conf)
        receiver = self.actor_text(cand["receiver_name"], n_conf)
        s_qty = "—" if masked else quantity_text(cand.get("supply_quantity"), cand["unit_norm"])
        n_qty = "—" if masked else quantity_text(cand.get("need_quantity"), cand["unit_norm"])
        m_qty = "—" if masked else quantity_text(cand.get("matched_quantity"), cand["unit_norm"])
        explanation = cand.get("explanation_fr") or ""
        self.detail_flows.setText(
            tr(
                "<b>Supply</b>: {supplier} — {s_res} ({s_qty})<br><b>Need</b>: {receiver} — "
                "{n_res} ({n_qty})<br><b>Exchanged</b>: {m_qty} · {why}"
            ).format(
                supplier=_html(supplier),
                s_res=_html(cand["supply_resource_label"]),
                s_qty=s_qty,
                receiver=_html(receiver),
                n_res=_html(cand["need_resource_label"]),
                n_qty=n_qty,
                m_qty=m_qty,
                why=_html(explanation),
            )
            + "<br>"
            + _html(precedents_line(cand.get("precedent_count"), cand.get("precedents"), tr))
        )
        notes = cand.get("notes")
        self._load_notes("" if notes is None or pd.isna(notes) else str(notes))

    def _load_notes(self, text: str) -> None:
        """Show the saved notes (the text typed stays as it is when it is what was saved:
        the cursor does not jump while the room types)."""
        if self.notes.toPlainText().strip() != text:
            self.notes.blockSignals(True)
            self.notes.setPlainText(text)
            self.notes.blockSignals(False)
        self.notes_keeper.loaded()
