from lockctl.cli.main import run

run()
