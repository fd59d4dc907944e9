"""The Oscar dashboard's M-Pesa section (an Oscar dashboard app: ``apps.MpesaDashboardConfig``
says who may reach each URL)."""
