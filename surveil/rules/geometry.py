"""Polygons in normalised coordinates: validity and point-in-polygon tests."""

from __future__ import annotations

Point = tuple[float, float]


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """True when the two segments properly intersect (touching at an end point does not count)."""
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def self_intersects(points: list[Point]) -> bool:
    """Whether any two non-adjacent edges of the closed polygon cross."""
    edges = [(points[i], points[(i + 1) % len(points)]) for i in range(len(points))]
    for i, (a1, a2) in enumerate(edges):
        for j in range(i + 2, len(edges)):
            if i == 0 and j == len(edges) - 1:
                continue  # first and last edges share a vertex
            if _segments_cross(a1, a2, *edges[j]):
                return True
    return False


def contains(points: list[Point], x: float, y: float) -> bool:
    """Ray casting: is (x, y) inside the polygon (edges count as inside)."""
    inside = False
    n = len(points)
    for i in range(n):
        (x1, y1), (x2, y2) = points[i], points[(i + 1) % n]
        if (y1 > y) != (y2 > y):
            x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x == x_cross:
                return True
            if x < x_cross:
                inside = not inside
    return inside
