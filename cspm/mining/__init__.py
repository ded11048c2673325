"""Process discovery on engine summaries: the step table (``steps``: directly-follows, activities),
the case table (``cases``: variants, lead times), ``discovery``, process maps, filters and their
typed records; pm4py only in ``mining.pm4py``."""
