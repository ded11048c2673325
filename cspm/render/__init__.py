"""Drawing and pages: DOT and Graphviz, matplotlib charts, the one Jinja environment and its templates, the report page."""
