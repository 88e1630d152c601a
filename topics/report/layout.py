"""Paragraph vectors → 2-D positions for the report's map, drawn so that topics can be told apart.

A plain projection (PCA) of sentence embeddings puts most topics on top of each other: two directions
hold little of a 384-dimensional space. The map is laid out from the topic model instead, in three
deterministic steps (numpy only):

1. **Topic centres** by multidimensional scaling of the distances between topic centroids, so similar
   topics sit side by side;
2. **a disc per topic**, its area in proportion to the topic's paragraphs, pushed apart until no two
   overlap (and kept near its place from step 1);
3. **paragraphs inside their topic's disc**, in the direction the topic's own two main directions give
   them (a PCA of its members around the centroid, turned to agree with where the neighbouring topics
   lie), at a distance from the centre by how far they are from the centroid: the most typical in the
   middle, the least at the rim.

``scripts/eval_map.py`` measures it against PCA and against BERTopic's UMAP document map.
"""

from __future__ import annotations

import numpy as np

FILL = 1.0  # the discs' area as a share of the circle round the centres, before they are pushed apart
GAP = 0.08  # free space between neighbouring discs, as a share of the mean radius
RELAX_STEPS = 300
PULL = 0.02  # how strongly a disc is drawn back towards its place from step 1, per step
NEIGHBOURS = 6  # neighbouring topics that turn a disc's own directions


def unit_square(xy: np.ndarray) -> np.ndarray:
    """Scaled into [0, 1]² with one factor for both axes (distances keep their meaning), centred."""
    if not len(xy):
        return xy.reshape(0, 2)
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = max(float((high - low).max()), 1e-9)
    return (xy - (low + high) / 2) / span + 0.5


def pca_layout(vectors: np.ndarray) -> np.ndarray:
    """The first two principal components: the fallback for a map without topics."""
    if len(vectors) < 3:
        return np.full((len(vectors), 2), 0.5)
    centred = np.asarray(vectors, np.float64) - np.asarray(vectors, np.float64).mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ _signed(axes[:2]).T
    return unit_square(xy)


def _signed(axes: np.ndarray) -> np.ndarray:
    """Principal axes with a fixed sign (largest component positive), so a layout does not flip."""
    flip = np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])
    return axes * np.where(flip == 0, 1, flip)[:, None]


def classical_mds(distances: np.ndarray) -> np.ndarray:
    """Torgerson scaling: 2-D positions whose distances best match ``distances`` in the least-squares
    sense of the double-centred squared distances (the closed form, no random start)."""
    n = len(distances)
    if n == 1:
        return np.zeros((1, 2))
    centre = np.eye(n) - 1 / n
    gram = -0.5 * centre @ (distances ** 2) @ centre
    values, vectors = np.linalg.eigh(gram)
    top = np.argsort(-values, kind="stable")[:2]
    xy = vectors[:, top] * np.sqrt(np.maximum(values[top], 0))
    xy = np.pad(xy, ((0, 0), (0, 2 - xy.shape[1])))
    return xy * np.where(xy[np.abs(xy).argmax(axis=0), [0, 1]] < 0, -1, 1)


def separate(centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Discs moved apart, a little at each step, until none overlaps another; each is also drawn back
    towards where it started, so the arrangement of step 1 survives."""
    turn = np.arange(len(centres)) * 2.39996  # the golden angle: discs that start as one part in all directions
    start = centres + 1e-6 * float(radii.mean()) * np.c_[np.cos(turn), np.sin(turn)]
    xy = start.copy()
    gap = GAP * float(radii.mean())
    weight = radii ** 2 / (radii[:, None] ** 2 + radii[None, :] ** 2)  # the smaller disc moves more
    for _ in range(RELAX_STEPS):
        delta = xy[:, None, :] - xy[None, :, :]
        distance = np.linalg.norm(delta, axis=2)
        np.fill_diagonal(distance, np.inf)
        overlap = np.maximum(radii[:, None] + radii[None, :] + gap - distance, 0)
        if not overlap.any():
            break
        direction = delta / np.where(np.isfinite(distance), np.maximum(distance, 1e-9), 1)[:, :, None]
        xy = xy + ((overlap * weight.T)[:, :, None] * direction).sum(axis=1) + PULL * (start - xy)
    return xy


def _orientation(local: np.ndarray, centroid: np.ndarray, others: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The rotation or reflection of a topic's own 2-D frame that best points its directions towards
    the nearest other topics where the map placed them (orthogonal Procrustes)."""
    if not len(others):
        return np.eye(2)
    similarity = others @ centroid
    near = np.argsort(-similarity, kind="stable")[:NEIGHBOURS]
    seen = (others[near] - centroid) @ local.T
    placed = offsets[near]
    seen /= np.maximum(np.linalg.norm(seen, axis=1, keepdims=True), 1e-9)
    placed = placed / np.maximum(np.linalg.norm(placed, axis=1, keepdims=True), 1e-9)
    u, _, vt = np.linalg.svd(seen.T @ placed)
    return u @ vt


def _inside(residuals: np.ndarray, radius: float, local: np.ndarray, turn: np.ndarray) -> np.ndarray:
    """Members' offsets from their disc's centre: in the direction of their residual on the topic's two
    main directions, turned; as far out as their rank by distance from the centroid, on a square-root
    scale, so the disc fills evenly and the most typical paragraphs sit in the middle."""
    if len(residuals) < 3:
        return np.zeros((len(residuals), 2))
    flat = residuals @ local.T @ turn
    rank = np.argsort(np.argsort(np.linalg.norm(residuals, axis=1), kind="stable"), kind="stable")
    reach = np.sqrt((rank + 0.5) / len(rank))[:, None]
    return flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-9) * radius * reach


def topic_rows(vectors: np.ndarray, topics: np.ndarray, ids: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """The centroid row of each vector's topic (``ids`` in centroid order); an unassigned paragraph's is
    that of its nearest centroid, so it is drawn by the topic it is least far from."""
    nearest = (np.asarray(vectors, np.float64) @ np.asarray(centroids, np.float64).T).argmax(axis=1)
    known = {int(t): i for i, t in enumerate(ids)}
    return np.array([known.get(int(t), n) for t, n in zip(topics, nearest)], dtype=np.int64)


def topic_layout(vectors: np.ndarray, rows: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Positions in the unit square for ``vectors``, each of which belongs to the topic whose centroid is
    row ``rows[i]`` of ``centroids`` (see the module docstring)."""
    vectors = np.asarray(vectors, np.float64)
    centroids = np.asarray(centroids, np.float64)
    k = len(centroids)
    counts = np.bincount(rows, minlength=k).astype(np.float64)
    distances = np.sqrt(np.maximum(2 - 2 * np.clip(centroids @ centroids.T, -1, 1), 0))
    centres = classical_mds(distances)
    spread = max(float(np.linalg.norm(centres, axis=1).max()), 1e-9)
    radii = spread * np.sqrt(FILL * np.maximum(counts, 1) / max(counts.sum(), 1))
    centres = separate(centres, radii)
    xy = np.zeros((len(vectors), 2))
    for topic in range(k):
        members = np.flatnonzero(rows == topic)
        if not len(members):
            continue
        residuals = vectors[members] - centroids[topic]
        local = _signed(np.linalg.svd(residuals, full_matrices=False)[2][:2]) if len(members) >= 3 else \
            np.eye(2, centroids.shape[1])
        others = np.delete(np.arange(k), topic)
        turn = _orientation(local, centroids[topic], centroids[others], centres[others] - centres[topic])
        xy[members] = centres[topic] + _inside(residuals, radii[topic], local, turn)
    return unit_square(xy)
