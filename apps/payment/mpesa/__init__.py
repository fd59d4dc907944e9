"""The shop's M-Pesa domain: Daraja client (``gateway``), input rules and phone numbers."""
