"""`flask --app run.py ...` commands of this project (DESIGN §6)."""
import click
from flask import Flask
from flask.cli import AppGroup

from app import clock
from app.extensions import db


def register_cli(app: Flask) -> None:
    demo = AppGroup("demo", help="演示数据")

    @demo.command("seed")
    def demo_seed():
        """Seed demo data on an empty database and print the demo accounts."""
        from app.demo import existing_accounts, seed
        from app.models import Firm

        if db.session.query(Firm.id).first() is not None:
            click.echo("数据库已有数据，跳过演示数据。")
            rows = existing_accounts()
        else:
            rows = seed(clock.now())
        click.echo("演示账号（首次登录须修改初始密码 / initial passwords must be changed）：")
        click.echo(f"{'角色':<10}{'登录名':<16}{'密码':<16}说明")
        for role, login, password, note in rows:
            click.echo(f"{role:<12}{login:<18}{password:<18}{note}")

    app.cli.add_command(demo)
