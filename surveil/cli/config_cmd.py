"""``surveil config``: check, create and describe the configuration file."""

from __future__ import annotations

import json
from pathlib import Path

from surveil.config import SurveilConfig, load_config, save_config
from surveil.paths import app_paths


def register(sub) -> None:
    """Add the ``config`` subcommand and its actions."""
    parser = sub.add_parser("config", help="check, create or describe the configuration file")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate a config file and list its cameras")
    check.add_argument("file", nargs="?", type=Path, help="default: the config file in the config folder")
    check.set_defaults(run=_check)
    init = actions.add_parser("init", help="write a config file with every default filled in")
    init.add_argument("file", nargs="?", type=Path, help="default: the config file in the config folder")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(run=_init)
    schema = actions.add_parser("schema", help="print the JSON schema of the config file")
    schema.set_defaults(run=_schema)
    paths = actions.add_parser("paths", help="print where config, data, models and logs live")
    paths.set_defaults(run=_paths)


def _check(args) -> int:
    path = args.file or app_paths().config_file
    config = load_config(path)
    print(f"{path}: valid (schema {config.schema_version}), {len(config.cameras)} camera(s)")
    for camera in config.cameras:
        state = "" if camera.enabled else " (disabled)"
        print(f"  {camera.id}: {camera.masked_source}{state}")
    return 0


def _init(args) -> int:
    path = args.file or app_paths().config_file
    if path.exists() and not args.force:
        print(f"surveil: {path} exists; use --force to overwrite it")
        return 1
    save_config(SurveilConfig(), path)
    print(f"wrote {path}")
    return 0


def _schema(args) -> int:
    print(json.dumps(SurveilConfig.model_json_schema(), indent=2))
    return 0


def _paths(args) -> int:
    from surveil import signing

    paths = app_paths()
    for name in ("config_file", "data_dir", "model_cache_dir", "log_dir"):
        print(f"{name:16} {getattr(paths, name)}")
    _, public = signing.key_paths(paths.config_dir)
    try:  # only read here: the key is made by the first export or the first store write
        signer = signing.existing(paths.config_dir)
    except signing.SigningError as exc:
        print(f"{'signing_key':16} {public} (unreadable: {exc})")
        return 1
    print(f"{'signing_key':16} {public}" + (f" (fingerprint {signer.fingerprint})" if signer
                                             else " (not made yet: the first export or store write makes it)"))
    return 0
