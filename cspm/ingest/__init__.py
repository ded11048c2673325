"""Reading exports into a validated TicketLog: sources, encodings, timestamps, roles, lifecycle, data quality."""
