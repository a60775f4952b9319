"""`python -m bot.rasa_server MODEL`: Rasa's server, as `rasa run --enable-api` runs it, with no secret in argv.

Rasa 3.6 reads its HTTP API token only from `rasa run --auth-token`, which puts it in /proc/<pid>/cmdline for
every local user to read. This does what `rasa run` does (logging, TensorFlow's environment, then
`rasa.core.run.serve_application`) with the token taken from the settings: the environment or the git-ignored
secrets file. Started by bot/stack.py.
"""

from __future__ import annotations

import argparse

import rasa.utils.tensorflow.environment as tf_env
from rasa.core.run import serve_application
from rasa.core.utils import AvailableEndpoints
from rasa.utils.common import configure_logging_and_warnings
from rasa.utils.io import configure_colored_logging
from rasa.utils.log_utils import configure_structlog

from bot.settings import PROJECT_ROOT, load_settings

ENDPOINTS = PROJECT_ROOT / "endpoints.yml"
CREDENTIALS = PROJECT_ROOT / "credentials.yml"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.rasa_server")
    parser.add_argument("model", help="the trained model archive (models/*.tar.gz)")
    model = parser.parse_args().model
    settings = load_settings()
    configure_logging_and_warnings(None, warn_only_once=True, filter_repeated_logs=True)
    configure_colored_logging(None)
    configure_structlog(None)
    tf_env.setup_tf_environment()
    serve_application(
        model,
        endpoints=AvailableEndpoints.read_endpoints(str(ENDPOINTS)),
        credentials=str(CREDENTIALS),
        interface="127.0.0.1",
        port=settings.rasa_port,
        # Browsers may call Rasa (the web chat's polling transport and upload) from the help page only.
        cors=settings.help_page_origins,
        enable_api=True,
        auth_token=settings.rasa_token,
    )


if __name__ == "__main__":
    main()
