"""The read side: queries shared by web pages, the API and reports (aggregates in SQL)."""
