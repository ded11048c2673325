"""The handover network's DOT: ``max_edges`` cuts edges, and the nodes left without an edge go too."""

from __future__ import annotations

import re

import networkx as nx

from cspm.render.network import network_dot


def _graph() -> nx.DiGraph:
    # A → B (5), B → C (3), C → D (1), and E alone (a team that never hands over)
    g = nx.DiGraph()
    g.add_nodes_from(["A", "B", "C", "D", "E"])
    g.add_edge("A", "B", count=5, median_wait_s=60.0)
    g.add_edge("B", "C", count=3, median_wait_s=60.0)
    g.add_edge("C", "D", count=1, median_wait_s=60.0)
    return g


def _nodes(dot: str) -> list[str]:
    return re.findall(r'^  n\d+ \[label="([^"]*)"\];$', dot, flags=re.M)


def _edges(dot: str) -> int:
    return len(re.findall(r"^  n\d+ -> n\d+ ", dot, flags=re.M))


def test_cut_edges_drop_the_nodes_left_alone():
    one = network_dot(_graph(), title="Handover", max_edges=1)
    assert (_nodes(one), _edges(one)) == (["A", "B"], 1)
    assert 'label="Handover (the 1 most frequent of 3 edges)"' in one
    two = network_dot(_graph(), max_edges=2)
    assert (_nodes(two), _edges(two)) == (["A", "B", "C"], 2)


def test_uncut_graph_keeps_every_node():
    dot = network_dot(_graph(), title="Handover", max_edges=3)
    assert (_nodes(dot), _edges(dot)) == (["A", "B", "C", "D", "E"], 3)
    assert 'label="Handover"' in dot


def test_graph_without_edges_keeps_its_nodes():
    g = nx.DiGraph()
    g.add_nodes_from(["X", "Y"])
    dot = network_dot(g, max_edges=1)
    assert (_nodes(dot), _edges(dot)) == (["X", "Y"], 0)
