"""Process discovery on engine summaries: directly-follows, variants, process maps, filters; pm4py only in mining.pm4py."""
