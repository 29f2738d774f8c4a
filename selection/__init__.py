"""pitch-jury selection: the fair integer programme, verification, explanations, reports, CLI.

``selection`` may import ``scoring``; never the other way round.
"""

__all__: list[str] = []
