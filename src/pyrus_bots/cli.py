"""The pyrus-bots command line."""

import typer

app = typer.Typer(help="Pyrus bots: write bots, run the platform.", no_args_is_help=True)


@app.command()
def version() -> None:
    """Print the version."""
    from pyrus_bots import __version__

    typer.echo(__version__)


def main() -> None:
    app()
