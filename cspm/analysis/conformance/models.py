"""Reading reference models: checks of BPMN/PNML files that name the offending element.

pm4py's importers raise raw parser exceptions or silently build broken nets from bad files; these
checks run first (with a parser that never resolves entities or fetches anything) so the user
reads which file and which element is wrong.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
from lxml import etree

from cspm.analysis.conformance.spec import ModelError

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_TASKS = {"task", "userTask", "serviceTask", "manualTask", "scriptTask", "sendTask", "receiveTask", "businessRuleTask", "callActivity"}
_GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}
_EVENTS = {"startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent"}
_UNSUPPORTED = {"subProcess", "boundaryEvent", "complexGateway", "transaction", "adHocSubProcess"}


def _parse(path: Path) -> etree._Element:
    if not path.is_file():
        raise ModelError("no such file", path=path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        raise ModelError(f"not well-formed XML: {exc.msg}", path=path, element=f"line {line}" if line else None) from None


def _describe(el: etree._Element) -> str:
    tag = etree.QName(el).localname
    name = el.get("name")
    return f"<{tag} id={el.get('id')!r}{f' name={name!r}' if name else ''}> (line {el.sourceline})"


def check_bpmn(path: str | Path) -> list[str]:
    """Check a BPMN 2.0 file before conversion; returns the task names. Raises :class:`ModelError`."""
    path = Path(path)
    root = _parse(path)
    if etree.QName(root).namespace != BPMN_NS or etree.QName(root).localname != "definitions":
        raise ModelError(
            f"not a BPMN 2.0 file: the root element is {etree.QName(root).localname!r}", path=path,
            element=f"line {root.sourceline}", expected=f"<definitions xmlns='{BPMN_NS}'>",
        )  # fmt: skip
    processes = root.findall(f"{{{BPMN_NS}}}process")
    if len(processes) != 1:
        raise ModelError(f"{len(processes)} <process> elements", path=path, element="definitions",
                         expected="exactly one process (pools with several processes are not supported)")  # fmt: skip
    proc = processes[0]
    nodes: dict[str, etree._Element] = {}
    flows = []
    tasks = []
    for el in proc:
        if not isinstance(el.tag, str):
            continue
        tag = etree.QName(el).localname
        if tag in _UNSUPPORTED:
            raise ModelError(f"{tag} is not supported in a reference model", path=path, element=_describe(el),
                             expected="tasks, exclusive/parallel gateways, start and end events")  # fmt: skip
        if tag in _TASKS | _GATEWAYS | _EVENTS:
            if not el.get("id"):
                raise ModelError("element without an id", path=path, element=_describe(el))
            nodes[el.get("id")] = el
            if tag in _TASKS:
                if not (el.get("name") or "").strip():
                    raise ModelError("task without a name (the name is the activity it stands for)",
                                     path=path, element=_describe(el))  # fmt: skip
                tasks.append(el.get("name").strip())
        elif tag == "sequenceFlow":
            flows.append(el)
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    for f in flows:
        for attr in ("sourceRef", "targetRef"):
            if f.get(attr) not in nodes:
                raise ModelError(f"{attr} {f.get(attr)!r} names no task, gateway or event of the process",
                                 path=path, element=_describe(f))  # fmt: skip
        graph.add_edge(f.get("sourceRef"), f.get("targetRef"))
    starts = [n for n, el in nodes.items() if etree.QName(el).localname == "startEvent"]
    ends = [n for n, el in nodes.items() if etree.QName(el).localname == "endEvent"]
    if len(starts) != 1:
        raise ModelError(f"{len(starts)} start events", path=path, element="process", expected="exactly one startEvent")
    if not ends:
        raise ModelError("no end event", path=path, element="process", expected="at least one endEvent")
    reach = nx.descendants(graph, starts[0]) | {starts[0]}
    for n, el in nodes.items():
        if n not in reach:
            raise ModelError("cannot be reached from the start event", path=path, element=_describe(el))
        if not any(nx.has_path(graph, n, e) for e in ends):
            raise ModelError("no path from here to an end event", path=path, element=_describe(el))
    return tasks


def check_pnml(path: str | Path) -> None:
    """Check that a PNML file parses, has places, transitions and an initial marking."""
    path = Path(path)
    root = _parse(path)
    local = {etree.QName(el).localname for el in root.iter() if isinstance(el.tag, str)}
    if etree.QName(root).localname != "pnml":
        raise ModelError(f"not a PNML file: the root element is {etree.QName(root).localname!r}", path=path,
                         element=f"line {root.sourceline}", expected="<pnml>")  # fmt: skip
    for needed in ("place", "transition", "arc"):
        if needed not in local:
            raise ModelError(f"no <{needed}> elements", path=path, element="net")
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname in ("place", "transition")}
    for arc in (el for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname == "arc"):
        for attr in ("source", "target"):
            if arc.get(attr) not in ids:
                raise ModelError(f"{attr} {arc.get(attr)!r} names no place or transition", path=path,
                                 element=f"<arc id={arc.get('id')!r}> (line {arc.sourceline})")  # fmt: skip
    if "initialMarking" not in local:
        raise ModelError("no place has an <initialMarking>", path=path, element="net",
                         expected="a start place with <initialMarking><text>1</text></initialMarking>")  # fmt: skip
