"""A rule's prompts in plain words, compiled into the conditions the app can check without CLIP.

"a red car stopped in the loading bay at night" becomes: class car, colour red, still for 5 s,
zone "loading bay", at night. Words nothing here can check ("climbing", "fence") are left for
CLIP, and listed, so the operator knows what a rule is worth when CLIP is missing.

The parser is conservative: it claims a word only where the check says the same thing.
After a negation ("not", "without", "except") the rest of the prompt is CLIP's alone; a prompt
with "or" between its words keeps only its object words ("a car or a truck"). The vocabulary is
in ``words_vocab``, the parser in ``words_parse``, the checks in ``word_checks``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from surveil.rules.words_combine import combine
from surveil.rules.words_parse import Parser, tokenize
from surveil.rules.words_types import Understood, WordCount, WordMotion, describe, understood_dict, without_clip

logger = logging.getLogger(__name__)

__all__ = ["Understood", "WordCount", "WordMotion", "compile_prompt", "compile_prompts", "describe", "tokenize",
           "understood_dict", "without_clip"]


def compile_prompts(prompts: Sequence[str], zone_names: Iterable[str] = ()) -> Understood:
    """What the prompts, taken together as a rule's alternatives, let the app check without CLIP.

    Each prompt is compiled on its own; a condition is kept only where every prompt implies it
    (see ``words_combine``), and the words of any prompt that nothing checks are left for CLIP.
    """
    names = [n for n in zone_names if n and n.strip()]
    return combine([compile_prompt(p, names) for p in prompts])


def compile_prompt(text: str, zone_names: Iterable[str] = ()) -> Understood:
    """What one prompt lets the app check; ``zone_names`` are the zones a place phrase may name."""
    return Parser(text, zone_names).run()
