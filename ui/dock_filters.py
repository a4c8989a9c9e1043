"""The workshop dock's filters: resource families, types of actors, minimum score and the
map's limit, turned into the layers' subset strings and the rows the list shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor, QIcon, QPixmap
from qgis.PyQt.QtWidgets import QListWidget, QListWidgetItem

from ..core.workspace import DECIDED_STATUSES, candidate_mask
from ..layers.project import CATEGORY_SYMBOLS
from ..layers.styles import DECIDED
from ..layers.workspace import category_label
from ..translation import tr
from .dock_text import NO_CATEGORY, sql_in
from .project_state import untouched


class Filters:
    """The filters of :class:`ui.dock.WorkshopDock`."""

    def _fill_filter_lists(self) -> None:
        labels = self.family_labels()
        present = set()
        for frame in (self.supply, self.need):
            if frame is not None and len(frame):
                present |= set(frame["family"].dropna().astype(str))
        self.family_list.blockSignals(True)
        self.family_list.clear()
        for code, (label, colour) in labels.items():
            if code not in present:
                continue
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            pixmap = QPixmap(16, 16)
            pixmap.fill(QColor(colour))
            item.setIcon(QIcon(pixmap))
            self.family_list.addItem(item)
        self.family_list.blockSignals(False)
        categories = set()
        if self.actors is not None and len(self.actors):
            categories = {
                NO_CATEGORY if pd.isna(c) or str(c) == "" else str(c)
                for c in self.actors["category"]
            }
        self.category_list.blockSignals(True)
        self.category_list.clear()
        order = list(CATEGORY_SYMBOLS) + sorted(categories - set(CATEGORY_SYMBOLS))
        for value in order:
            if value not in categories:
                continue
            item = QListWidgetItem(category_label(value))
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.category_list.addItem(item)
        self.category_list.blockSignals(False)

    @staticmethod
    def _checked(widget: QListWidget, state=Qt.CheckState.Checked) -> list[str]:
        return [
            widget.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(widget.count())
            if widget.item(i).checkState() == state
        ]

    def selected_families(self):
        """Checked family codes (None when all are)."""
        if not self._checked(self.family_list, Qt.CheckState.Unchecked):
            return None
        return self._checked(self.family_list)

    def selected_categories(self):
        if not self._checked(self.category_list, Qt.CheckState.Unchecked):
            return None
        return self._checked(self.category_list)

    def min_score(self) -> float:
        return self.score_slider.value() / 100.0

    def distance_km(self) -> float:
        return float(self.distance_slider.value())

    def set_checked(self, widget: QListWidget, values) -> None:
        """Check exactly ``values`` (None: all) without applying one change per item."""
        widget.blockSignals(True)
        for i in range(widget.count()):
            item = widget.item(i)
            on = values is None or item.data(Qt.ItemDataRole.UserRole) in set(values)
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        widget.blockSignals(False)
        self._filters_changed()

    def reset_filters(self) -> None:
        self.set_checked(self.family_list, None)
        self.set_checked(self.category_list, None)
        self.score_slider.setValue(0)

    def filter_on_family(self, family: str) -> None:
        """Show only ``family`` (a second click on the same family shows them all again)."""
        if self.selected_families() == [family]:
            self.set_checked(self.family_list, None)
        else:
            self.set_checked(self.family_list, [family])

    def _filters_changed(self, *_args) -> None:
        if not self._restoring:
            self.apply_filters()

    def _score_moved(self, _value) -> None:
        self._update_slider_labels()
        if not self._restoring:
            self.apply_filters()

    def _update_slider_labels(self) -> None:
        km = self.distance_slider.value()
        self.distance_label.setText(
            tr("Distance: {km} km").format(km=km) if km else tr("Distance: per resource")
        )
        self.score_label.setText(
            tr("Minimum score: {score}").format(
                score=f"{self.score_slider.value() / 100:.2f}".replace(".", ",")
            )
        )

    def subset_strings(self) -> dict[str, str]:
        """role -> the SQL filter of the current filters."""
        families = self.selected_families()
        categories = self.selected_categories()
        family = sql_in("family", families) if families is not None else ""
        out = {}
        out["actors"] = sql_in("category", categories) if categories is not None else ""
        for role in ("supply", "need"):
            parts = [family] if family else []
            if categories is not None:
                parts.append(sql_in("actor_category", categories))
            out[role] = " AND ".join(parts)
        parts = [family] if family else []
        if categories is not None:
            parts.append(
                f"({sql_in('supplier_category', categories)} OR "
                f"{sql_in('receiver_category', categories)})"
            )
        if self.score_slider.value():
            parts.append(f'"score" >= {self.min_score() - 1e-9:.6f}')
        threshold = self.map_threshold()
        if threshold is not None:
            parts.append(f'("score" >= {threshold - 1e-9:.9f} OR {DECIDED})')
        out["candidates"] = " AND ".join(parts)
        out["groups"] = family
        return out

    def map_threshold(self, frame=None) -> float | None:
        """The score from which the visible candidates are drawn: the map shows the
        ``map_limit`` best ones the filters keep (and every decided one); None when they all
        fit."""
        frame = self.candidates if frame is None else frame
        if frame is None or not len(frame) or "score" not in frame.columns:
            return None
        mask = self.visible_mask(frame)
        scores = pd.to_numeric(frame["score"][mask], errors="coerce").dropna().to_numpy()
        limit = int(self.map_limit.value())
        if len(scores) <= limit:
            return None
        return float(-np.partition(-scores, limit - 1)[limit - 1])

    def map_rows(self, frame) -> pd.Series:
        """Rows of ``frame`` the map draws under the current filters (as the candidates
        layer's subset string selects them)."""
        mask = pd.Series(self.visible_mask(frame).copy(), index=frame.index)
        threshold = self.map_threshold(frame)
        if threshold is not None:
            decided = frame["status"].isin(DECIDED_STATUSES)
            mask &= (pd.to_numeric(frame["score"], errors="coerce") >= threshold - 1e-9) | decided
        return mask

    def apply_filters(self) -> None:
        """Filters → subset strings of the layers (no project reload) and the list."""
        if self.store is None:
            return
        self.apply_subsets()
        self.refresh_panel()

    def apply_subsets(self) -> None:
        """Filters → subset strings of the layers (no project reload): the map's share."""
        with untouched(self.project):
            for role, subset in self.subset_strings().items():
                layer = self.layers.get(role)
                if layer is not None and layer.subsetString() != subset:
                    layer.setSubsetString(subset)
                    layer.triggerRepaint()

    def refresh_panel(self) -> None:
        """The list, the selected actor's marks, the legend and the status line, after the
        filters or the candidates changed."""
        self.refresh_list()
        self._refresh_proximity()
        self._update_legend()
        self._update_status_line()

    def visible_mask(self, frame=None) -> np.ndarray:
        """Rows of ``frame`` (default: the candidates) the filters keep; remembered for the
        current frame and filters, since the list, the map, the legend and the status line
        all ask for it after each change."""
        frame = self.candidates if frame is None else frame
        families, categories = self.selected_families(), self.selected_categories()
        key = (
            id(frame), len(frame),
            None if families is None else tuple(families),
            None if categories is None else tuple(categories),
            self.min_score(),
        )  # fmt: skip
        cached = self._mask_cache
        if cached is not None and cached[0] == key and cached[1] is frame:
            return cached[2]
        mask = candidate_mask(frame, families, categories, self.min_score())
        mask.flags.writeable = False  # shared by every caller: never changed in place
        self._mask_cache = (key, frame, mask)  # the frame is kept: its id stays its own
        return mask

    def visible_frame(self):
        """The candidates the filters keep, in no particular order."""
        if self.candidates is None or not len(self.candidates):
            return self.candidates
        mask = self.visible_mask()
        return self.candidates if mask.all() else self.candidates[mask]

    def visible_candidates(self, limit: int | None = None):
        """The candidates the filters keep, best score first (then by identifier); with
        ``limit``, only the first ``limit`` of them, without copying or sorting the others."""
        frame = self.candidates
        if frame is None or not len(frame):
            return frame
        keep = self.visible_mask()
        if limit is not None and int(keep.sum()) > limit:
            scores = pd.to_numeric(frame["score"], errors="coerce").fillna(-1.0).to_numpy()
            visible = scores[keep]
            cut = -np.partition(-visible, limit - 1)[limit - 1]
            keep = keep & (scores >= cut)  # the ties at the cut stay: same head as a full sort
        frame = frame if keep.all() else frame[keep]
        frame = frame.sort_values(["score", "candidate_id"], ascending=[False, True],
                                  kind="stable")  # fmt: skip
        return frame if limit is None else frame.iloc[:limit]

    def _fill_filter_lists_keeping(self) -> None:
        families_off = self._checked(self.family_list, Qt.CheckState.Unchecked)
        categories_off = self._checked(self.category_list, Qt.CheckState.Unchecked)
        self._fill_filter_lists()
        self._uncheck(self.family_list, families_off)
        self._uncheck(self.category_list, categories_off)

    def _uncheck(self, widget, values) -> None:
        widget.blockSignals(True)
        for i in range(widget.count()):
            if widget.item(i).data(Qt.ItemDataRole.UserRole) in set(values):
                widget.item(i).setCheckState(Qt.CheckState.Unchecked)
        widget.blockSignals(False)
