"""The `sanscouture` command: serve, qui, import …, and every Django management command."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanscouture.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["sanscouture", *sys.argv[1:]])


if __name__ == "__main__":
    main()
