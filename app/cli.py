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

    importer = AppGroup("import", help="导入名单（先预览；加 --commit 才会写入）")

    @importer.command("staff")
    @click.option("--firm", "firm_code", required=True, help="事务所编号")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--commit", "do_commit", is_flag=True, help="预览无误后正式导入")
    @click.option("--confirm-mass-revoke", is_flag=True, help="确认撤销超过20%的在册人员")
    def import_staff(firm_code, file, do_commit, confirm_mass_revoke):
        """Print the preview JSON of a whole-list staff file; change nothing unless --commit."""
        import json
        from pathlib import Path

        from app import audit
        from app.models import ImportStatus
        from app.workflows import staff_roster
        from app.workflows.errors import DomainError
        from app.workflows.scoping import SystemActor

        actor = SystemActor("命令行")
        path = Path(file)
        try:
            with audit.acting_as("命令行"):
                firm = staff_roster.firm_by_code(firm_code)
                batch = staff_roster.preview(actor, clock.now(), firm, path.name,
                                             path.read_bytes())
                result = staff_roster.summary_of(batch)
                result["status"] = batch.status
                if do_commit and batch.status == ImportStatus.PREVIEWED:
                    result = staff_roster.commit(actor, clock.now(), batch.token,
                                                 confirm_mass_revoke=confirm_mass_revoke)
                    result["status"] = ImportStatus.COMMITTED
        except DomainError as error:
            click.echo(json.dumps({"error": error.message}, ensure_ascii=False), err=True)
            raise SystemExit(1) from None
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        if result.get("errors") or (do_commit and result["status"] != ImportStatus.COMMITTED):
            raise SystemExit(1)

    app.cli.add_command(importer)
