"""What a chunk of the generator counted and numbered: the rows of each table as they will
stage (the manifest's expectations are sums of these), and the keys already taken, so that the
next chunk or day numbers its keys after them and keys never collide."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TableCounts:
    """What a table's rows will stage as: distinct keys, folded copies / versions, and the
    quarantined rows per reason."""
    staged: int = 0
    folded: int = 0
    quarantine: dict[str, int] = field(default_factory=dict)

    def add(self, other: TableCounts) -> None:
        self.staged += other.staged
        self.folded += other.folded
        for reason, n in other.quarantine.items():
            self.quarantine[reason] = self.quarantine.get(reason, 0) + n


@dataclass(frozen=True)
class KeyCounters:
    """How many keys of each kind are already taken (the next one is the count + 1)."""
    contacts: int = 0
    events: int = 0
    activities: int = 0
    opportunities: int = 0
    bad_events: int = 0
    bad_activities: int = 0
    bad_opportunities: int = 0
    ghosts: int = 0

    def as_dict(self) -> dict[str, int]:
        return {name: int(getattr(self, name)) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, values: dict[str, int]) -> KeyCounters:
        return cls(**{k: int(v) for k, v in values.items() if k in cls.__dataclass_fields__})
