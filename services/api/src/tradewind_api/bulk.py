"""Airflow 3's bulk body (`PATCH` on a collection): create, update and delete actions,
each answered with the keys it changed and an error per entity it could not. One bad
entity never stops its neighbours."""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.errors import InvalidArgument

T = TypeVar("T", bound=BaseModel)
Row = TypeVar("Row")
# Bounded, like every batch: one request may name at most this many entities in all.
MAX_ENTITIES = 1000


class BulkCreateAction(BaseModel, Generic[T]):
    model_config = ConfigDict(extra="forbid")
    action: Literal["create"] = Field(description="The action to be performed on the entities.")
    entities: list[T] = Field(description="A list of entities to be created.")
    action_on_existence: Literal["fail", "skip", "overwrite"] = "fail"


class BulkUpdateAction(BaseModel, Generic[T]):
    model_config = ConfigDict(extra="forbid")
    action: Literal["update"] = Field(description="The action to be performed on the entities.")
    entities: list[T] = Field(description="A list of entities to be updated.")
    update_mask: list[str] | None = None
    action_on_non_existence: Literal["fail", "skip"] = "fail"


class BulkDeleteAction(BaseModel, Generic[T]):
    model_config = ConfigDict(extra="forbid")
    action: Literal["delete"] = Field(description="The action to be performed on the entities.")
    entities: list[str | T] = Field(
        description="A list of entity id/key or entity objects to be deleted."
    )
    action_on_non_existence: Literal["fail", "skip"] = "fail"


class BulkBody(BaseModel, Generic[T]):
    model_config = ConfigDict(extra="forbid")
    actions: list[
        Annotated[
            BulkCreateAction[T] | BulkUpdateAction[T] | BulkDeleteAction[T],
            Field(discriminator="action"),
        ]
    ]

    @model_validator(mode="after")
    def _bounded(self) -> BulkBody[T]:
        count = sum(len(action.entities) for action in self.actions)
        if count > MAX_ENTITIES:
            raise ValueError(f"at most {MAX_ENTITIES} entities per request, got {count}")
        return self


class BulkActionResponse(BaseModel):
    success: list[str] = Field(
        default_factory=list, description="The keys of the entities the action changed."
    )
    errors: list[dict[str, Any]] = Field(
        default_factory=list, description="One error per entity the action could not change."
    )

    def fail(self, detail: str, status_code: int) -> None:
        self.errors.append({"error": detail, "status_code": status_code})


class BulkResponse(BaseModel):
    create: BulkActionResponse | None = None
    update: BulkActionResponse | None = None
    delete: BulkActionResponse | None = None

    def outcome(self, action: str) -> BulkActionResponse:
        current = getattr(self, action) or BulkActionResponse()
        setattr(self, action, current)
        return current


class BulkTable(Protocol[Row, T]):
    """How one api-owned table takes part in a bulk body."""

    noun: str  # "Variable", "Connection": in the errors, as Airflow words them
    key_name: str  # "key", "connection_id"

    def key_of(self, entity: T) -> str: ...
    async def find(self, session: AsyncSession, key: str) -> Row | None: ...
    def new(self, key: str, entity: T) -> Row: ...
    def apply(self, row: Row, entity: T, fields: set[str]) -> None: ...
    def mask_fields(self, update_mask: list[str] | None) -> set[str]: ...

    all_fields: set[str]


async def apply_bulk(
    session: AsyncSession, body: BulkBody[T], table: BulkTable[Row, T]
) -> BulkResponse:
    """Applies each action of a bulk body to rows of an api-owned table, in one transaction.
    Each entity is applied under its own savepoint: one that fails (a row created by
    another request a moment ago, say) is reported and undone alone, never stopping its
    neighbours."""
    result = BulkResponse()
    for action in body.actions:
        out = result.outcome(action.action)
        fields = table.all_fields
        if action.action == "update":
            try:
                fields = table.mask_fields(action.update_mask)
            except InvalidArgument as exc:
                out.fail(exc.detail, 422)
                continue
        for entity in action.entities:
            key = entity if isinstance(entity, str) else table.key_of(entity)
            name = f"The {table.noun} with {table.key_name}: `{key}`"
            try:
                async with session.begin_nested():
                    row = await table.find(session, key)
                    if action.action == "create":
                        if row is not None and action.action_on_existence != "overwrite":
                            if action.action_on_existence == "fail":
                                out.fail(f"{name} already exists", 409)
                            continue
                        if row is None:
                            row = table.new(key, entity)
                            session.add(row)
                        table.apply(row, entity, fields)
                    elif row is None:
                        if action.action_on_non_existence == "fail":
                            out.fail(f"{name} was not found", 404)
                        continue
                    elif action.action == "update":
                        table.apply(row, entity, fields)
                    else:
                        await session.delete(row)
                    await session.flush()
            except IntegrityError:
                out.fail(f"{name} was changed by another request at the same time", 409)
                continue
            except InvalidArgument as exc:
                out.fail(exc.detail, 422)
                continue
            out.success.append(key)
    return result
