"""Daily KPIs: definitions (shared with the Spark job), admin routes and the job starter.

Kept import-light on purpose: the Spark job on EMR imports `videogen.kpis.definitions` from a
zip with nothing but the standard library and pyspark around it.
"""
