"""Generated scenarios for the differential tests: a small index and the input files.

Each release is ``version: {"deps": [...], "python": ">=3.8", "yanked": bool, "tag": "...",
"sdist": bool}`` (all but deps optional). Markers stay within what every tool evaluates the
same way for CPython 3.11 on Linux x86_64.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SCENARIOS"]

Scenario = dict[str, Any]

SCENARIOS: list[Scenario] = [
    {
        "id": "chain",
        "packages": {
            "app": {"1.0": {"deps": ["lib>=1"]}},
            "lib": {"1.0": {}, "1.1": {"deps": ["util"]}},
            "util": {"0.1": {}, "0.2": {}},
        },
        "inputs": {"requirements.in": "app\n"},
    },
    {
        "id": "diamond",
        "packages": {
            "top": {"1.0": {"deps": ["left", "right"]}},
            "left": {"1.0": {"deps": ["base>=1.2"]}},
            "right": {"1.0": {"deps": ["base<2"]}},
            "base": {"1.0": {}, "1.2": {}, "1.5": {}, "2.0": {}},
        },
        "inputs": {"requirements.in": "top\n"},
    },
    {
        "id": "backtrack",
        "packages": {
            "a": {"1.0": {"deps": ["b<2"]}, "2.0": {"deps": ["b>=2"]}},
            "b": {"1.0": {}, "2.0": {}},
            "c": {"1.0": {"deps": ["b<2"]}},
        },
        "inputs": {"requirements.in": "a\nc\n"},
    },
    {
        "id": "extras",
        "packages": {
            "web": {"1.0": {"deps": ["core", "fast; extra == 'speed'", "docs; extra == 'doc'"]}},
            "core": {"3.0": {}},
            "fast": {"0.5": {"deps": ["core>=2"]}},
            "docs": {"1.0": {}},
        },
        "inputs": {"requirements.in": "web[speed]\n"},
    },
    {
        "id": "platform-markers",
        "packages": {
            "tool": {
                "1.0": {
                    "deps": [
                        "winonly; sys_platform == 'win32'",
                        "linuxonly; sys_platform == 'linux'",
                        "modern; python_version >= '3.8'",
                        "ancient; python_version < '3.6'",
                    ]
                }
            },
            "winonly": {"1.0": {}},
            "linuxonly": {"1.0": {}},
            "modern": {"1.0": {}},
            "ancient": {"1.0": {}},
        },
        "inputs": {"requirements.in": "tool\n"},
    },
    {
        "id": "yanked-newest",
        "packages": {"lib": {"1.0": {}, "1.1": {}, "1.2": {"yanked": True}}},
        "inputs": {"requirements.in": "lib\n"},
    },
    {
        "id": "yanked-pinned",
        "packages": {"lib": {"1.0": {}, "1.2": {"yanked": True}}},
        "inputs": {"requirements.in": "lib==1.2\n"},
    },
    {
        "id": "prereleases-ignored",
        "packages": {"lib": {"1.0": {}, "2.0b1": {}}, "app": {"1.0": {"deps": ["lib>=1"]}}},
        "inputs": {"requirements.in": "app\n"},
    },
    {
        "id": "prerelease-asked-for",
        "packages": {"lib": {"1.0": {}, "2.0b1": {}}},
        "inputs": {"requirements.in": "lib>=2.0b1\n"},
    },
    {
        "id": "requires-python",
        "packages": {"lib": {"1.0": {"python": ">=3.7"}, "2.0": {"python": ">=3.13"}}},
        "inputs": {"requirements.in": "lib\n"},
    },
    {
        "id": "constraints-file",
        "packages": {
            "app": {"1.0": {"deps": ["lib"]}},
            "lib": {"1.0": {}, "2.0": {}, "3.0": {}},
            "unused": {"1.0": {}},
        },
        "inputs": {
            "requirements.in": "-c constraints.txt\napp\n",
            "constraints.txt": "lib<3\nunused==1.0\n",
        },
    },
    {
        "id": "no-wheel-for-linux",
        "packages": {
            "native": {"1.0": {"tag": "py3-none-any"}, "2.0": {"tag": "cp311-cp311-win_amd64"}}
        },
        "inputs": {"requirements.in": "native\n"},
    },
    {
        "id": "sdist-only",
        "packages": {"old": {"1.0": {"sdist": True, "deps": ["six"]}}, "six": {"1.16.0": {}}},
        "inputs": {"requirements.in": "old\n"},
    },
    {
        "id": "narrowing-ranges",
        "packages": {
            "x": {"1.0": {"deps": ["shared>=1,<3"]}},
            "y": {"1.0": {"deps": ["shared>=2"]}, "0.9": {"deps": ["shared>=1"]}},
            "shared": {"1.0": {}, "2.0": {}, "2.5": {}, "3.0": {}},
        },
        "inputs": {"requirements.in": "x\ny\n"},
    },
    {
        "id": "nested-includes",
        "packages": {
            "core": {"1.0": {}},
            "extra-lib": {"1.0": {"deps": ["core>=1"]}},
            "tool": {"2.0": {}},
        },
        "inputs": {
            "base/requirements-core.in": "core\n",
            "requirements-app.in": "-r base/requirements-core.in\nextra-lib\n",
            "requirements-all.in": "-r requirements-app.in\ntool\n",
        },
        "main": ["requirements-all.in"],
    },
    {
        "id": "deep-backtrack",
        "packages": {
            "p": {"3.0": {"deps": ["q>=3"]}, "2.0": {"deps": ["q>=2"]}, "1.0": {"deps": ["q>=1"]}},
            "q": {"3.0": {"deps": ["r>=2"]}, "2.0": {"deps": ["r>=1"]}, "1.0": {}},
            "r": {"1.0": {}, "2.0": {}},
            "s": {"1.0": {"deps": ["r<2"]}},
        },
        "inputs": {"requirements.in": "p\ns\n"},
    },
    {
        "id": "extras-chain",
        "packages": {
            "svc": {"1.0": {"deps": ["client[async]>=1"]}},
            "client": {
                "1.0": {"deps": ["aio; extra == 'async'"]},
                "1.1": {"deps": ["aio>=2; extra == 'async'"]},
            },
            "aio": {"1.0": {}, "2.0": {}},
        },
        "inputs": {"requirements.in": "svc\n"},
    },
]
