"""A look-alike of Safaricom's Daraja API for the embedded run, the demo and the tests.

Installed only when ``MPESA_ENVIRONMENT=simulator``. It is reached only over HTTP, at Daraja's
own paths, and never imports the shop's payment code (nor the other way round), so the shop's
Daraja client is exercised exactly as it will be against Safaricom.
"""
