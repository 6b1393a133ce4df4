"""Outgoing email: password resets, sign-up confirmations and invitations, when the host
configures an SMTP server (``MAIL_*``). Without one, Tend never needs email."""
