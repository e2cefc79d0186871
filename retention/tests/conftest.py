from work.tests.conftest import smtp_server  # noqa: F401  (the local SMTP server fixture)
