"""The read side: portfolio figures, the register and lists, aggregated in SQL.

Shared by the web pages, the API and the report loader; nothing here changes state except the
portfolio snapshots (``snapshot``), which are a cache of figures, not a truth.
"""
