"""The newsletter by mail: an HTML mail per day and subscriber, over SMTP, each send recorded.

- ``audience``: which of the day's papers a subscriber's filters let through.
- ``render``: the mail itself (HTML with inline styles, the charts as related parts, a plain-text twin).
- ``smtp``: the server's settings and the connection (STARTTLS, SSL or plain; the login from the environment).
- ``send``: the daily step, ``mail_days``, that renders, claims, sends and records.
"""
