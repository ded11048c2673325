"""The diagnosis: intervals, waiting against targets, value stream, KPIs, handoffs and loops, conformance."""
