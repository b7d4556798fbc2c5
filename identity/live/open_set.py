"""The open-set decision over a whole track: is the person its votes name the one walking by,
or a stranger who looks like them? Plain Python, no Django.

A stranger's frames pass the naming threshold for a look-alike about as often as one frame
does, and they agree with each other (the same face, the same look-alike), so counting
agreeing frames does not stop them. What does (bench/walkby.py, LFW): the track's mean face,
every voting frame weighted, must itself be named by the gallery, clearly above the frame's
naming threshold and clearly ahead of the person's nearest rival. A look-alike stranger's mean
face scores 0.35-0.40 to the person it is taken for, a known walker's 0.62 (median), below 0.41
in 3 % of walks: the gain trades those walks (left unknown, to be named in review) for strangers
named (bench/walkby.py, seed 0: +0.06 names 0.5 % of strangers and 94.5 % of known walkers
right, +0.04 1.0 % and 95.5 %, the votes alone 1.5 % and 97.5 %).
"""

from __future__ import annotations

from dataclasses import dataclass

from identity.matching import PersonMatch


@dataclass(frozen=True)
class OpenSet:
    mean_gain: float = 0.06  # the mean face's cosine to the person: the naming threshold plus this
    mean_margin: float = 0.05  # its lead over the runner-up person, at least this
    # Share of the voting frames whose best match (named or not) is the person: a stranger's
    # best match is said to change from frame to frame. 0: not asked (see bench/walkby.py).
    rank_one_share: float = 0.0


def track_names(person: int, mean: PersonMatch, *, rank_one: int, voting: int, name_threshold: float,
                rule: OpenSet) -> bool:
    """Whether a track whose votes name `person` may be named: `mean` is the gallery's match for
    its mean face, `rank_one` of its `voting` frames had the person as their best match."""
    return (mean.person_id == person and mean.similarity >= name_threshold + rule.mean_gain
            and mean.margin >= rule.mean_margin and rank_one >= rule.rank_one_share * voting)
