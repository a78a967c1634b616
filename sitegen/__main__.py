"""`python -m sitegen`, and the `sitegen` command."""

import signal


def _stopped_while_starting(signum: int, frame: object) -> None:
    raise SystemExit(130)


def run() -> None:
    """Load and run the command line; Ctrl-C while it loads exits quietly, as it does after."""
    quiet = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if quiet:
        signal.signal(signal.SIGINT, _stopped_while_starting)
    import click

    from sitegen.cli import main

    if quiet:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code = main.main(standalone_mode=False)
    except click.Abort:  # Ctrl-C before a command's own handling took over: as quiet
        raise SystemExit(130) from None
    except click.ClickException as error:
        error.show()
        raise SystemExit(error.exit_code) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    run()
