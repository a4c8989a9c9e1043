"""Road distances on a line layer, with networkx.

The graph: every vertex of every line is a node (vertices closer than 1 cm are the same node,
so lines that share a vertex are joined there, and only there: two roads crossing without a
shared vertex, like a bridge, stay apart); every segment between consecutive vertices is an
edge weighted by its length in metres in the metric CRS.

A point is snapped to the nearest node of a part of the graph holding at least 1 % of its nodes
(or of the largest part): small disconnected fragments, such as car-park aisles or isolated
service roads, would otherwise catch points and leave them unconnected. The road distance
between two points is ``snap distance + shortest path + snap distance`` (both access legs as
straight lines), which is never shorter than the straight line between them. The graph is
undirected (one-way streets are not modelled) and uses every line of the layer given: filter it
beforehand (no footways, steps) when only lorry-usable roads should count.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pyproj
import shapely
from scipy.spatial import cKDTree

from ..errors import EitError
from ..progress import check_canceled
from ._common import crs_label

NODE_PRECISION_M = 0.01
#: Parts of the graph smaller than this share of its nodes are not used for snapping.
MIN_PART_SHARE = 0.01


class RoadGraph:
    """A road graph in a metric CRS: nodes, edges, components and a KD-tree of the nodes."""

    def __init__(self, lines, metric: pyproj.CRS, log: list[str] | None = None):
        log = log if log is not None else []
        geoms = np.asarray(lines.geometry.array, dtype=object) if len(lines) else np.array([])
        geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
        if len(geoms) and lines.crs is None:
            raise EitError(
                "missing_crs",
                "The road network layer has no coordinate reference system",
                layer="network",
            )
        parts = shapely.get_parts(geoms)
        parts = parts[np.isin(shapely.get_type_id(parts), (1, 2))]  # LineString, LinearRing
        coords, line_idx = shapely.get_coordinates(parts, return_index=True)
        if len(coords) and not pyproj.CRS.from_user_input(lines.crs).equals(metric):
            tr = pyproj.Transformer.from_crs(lines.crs, metric, always_xy=True)
            x, y = tr.transform(coords[:, 0], coords[:, 1], errcheck=False)
            coords = np.column_stack([x, y])
            log.append(f"network: reprojected from {crs_label(lines.crs)} to {crs_label(metric)}")
        ok = np.isfinite(coords).all(axis=1)
        coords, line_idx = coords[ok], line_idx[ok]
        keys = np.round(coords / NODE_PRECISION_M).astype(np.int64)
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        self.node_xy = uniq.astype(float) * NODE_PRECISION_M
        same_line = line_idx[1:] == line_idx[:-1]
        u = inverse[:-1][same_line]
        v = inverse[1:][same_line]
        seg = coords[1:][same_line] - coords[:-1][same_line]
        w = np.hypot(seg[:, 0], seg[:, 1])
        keep = u != v
        u, v, w = u[keep], v[keep], w[keep]
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        order = np.lexsort((w, hi, lo))  # shortest first for each node pair
        lo, hi, w = lo[order], hi[order], w[order]
        first = np.ones(len(lo), dtype=bool)
        first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
        self.graph = nx.Graph()
        self.graph.add_nodes_from(range(len(self.node_xy)))
        self.graph.add_weighted_edges_from(
            zip(lo[first].tolist(), hi[first].tolist(), w[first].tolist(), strict=True)
        )
        self.component = np.full(len(self.node_xy), -1, dtype=np.int64)
        for k, nodes in enumerate(nx.connected_components(self.graph)):
            self.component[list(nodes)] = k
        # Snapping ignores fragments (disconnected car-park aisles, service roads...): only
        # nodes of parts holding at least 1 % of the nodes, or of the largest part, are used.
        sizes = np.bincount(self.component) if len(self.component) else np.zeros(0, int)
        big = (sizes >= MIN_PART_SHARE * len(self.node_xy)) | (sizes == sizes.max(initial=0))
        self._snap_nodes = np.flatnonzero(big[self.component]) if len(sizes) else sizes
        self._tree = cKDTree(self.node_xy[self._snap_nodes]) if len(self._snap_nodes) else None
        log.append(
            f"network: {len(parts)} lines, {self.graph.number_of_nodes()} nodes, "
            f"{self.graph.number_of_edges()} edges, "
            f"{int(self.component.max()) + 1 if len(self.component) else 0} connected parts"
        )

    @property
    def is_empty(self) -> bool:
        return self._tree is None

    def snap(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node (of a part large enough) of each point and the distance to it (m)."""
        dist, k = self._tree.query(np.column_stack([x, y]))
        return self._snap_nodes[k].astype(np.int64), dist

    def path_lengths(self, src, dst, cutoff, progress=None) -> np.ndarray:
        """Shortest path length (m) from ``src[k]`` to ``dst[k]``; inf beyond ``cutoff[k]``.

        Dijkstra runs once per distinct source node (``single_source_dijkstra_path_length``
        with the largest cutoff of that node's pairs); the side with fewer distinct nodes is
        taken as the source, the graph being undirected.
        """
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        cutoff = np.asarray(cutoff, dtype=float)
        if len(np.unique(dst)) < len(np.unique(src)):
            src, dst = dst, src
        out = np.full(len(src), np.inf)
        if not len(src):
            return out
        order = np.argsort(src, kind="stable")
        starts = np.flatnonzero(np.r_[True, src[order][1:] != src[order][:-1]])
        ends = np.r_[starts[1:], len(order)]
        for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
            if k % 64 == 0:
                check_canceled(progress)
                if progress is not None:
                    progress.report(k / len(starts))
            rows = order[a:b]
            limit = float(cutoff[rows].max())
            if limit < 0:
                continue
            lengths = nx.single_source_dijkstra_path_length(
                self.graph, int(src[rows[0]]), cutoff=limit, weight="weight"
            )
            out[rows] = [lengths.get(t, np.inf) for t in dst[rows].tolist()]
        out[out > cutoff] = np.inf
        return out
