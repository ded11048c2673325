"""The core layer: the ticket log and its column roles, engines, shared Ibis expressions, the business calendar, the result base and the derived tables built once per log."""
