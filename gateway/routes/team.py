"""A project's team roster (team): who works on it, people and AI agents, with skills and capacity.

Everyone in the project reads the roster; owners, admins and product managers staff it (``plan``).
Removing a member is soft: they leave the list but ``GET …/members/{id}`` still finds them, so
tasks keep a name for their former assignee.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from aira.common.v1 import types_pb2
from aira.team.v1 import roster_pb2
from gateway.deps import CallerDep, IdempotencyDep, State, project_id_of, project_metadata
from gateway.schemas import StrictBody, from_proto

router = APIRouter(prefix="/v1/projects", tags=["team"])

MemberType = Literal["human", "ai_agent"]
Seniority = Literal["junior", "mid", "senior", "lead", "principal", ""]
SkillName = Annotated[str, StringConstraints(min_length=1, max_length=50)]
SkillLevel = Annotated[int, Field(ge=1, le=5)]
Skills = Annotated[
    dict[SkillName, SkillLevel],
    Field(max_length=50, description="Skill → level 1 (aware) … 5 (expert); names match case-insensitively"),
]
Capacity = Annotated[float, Field(ge=0, le=200, description="Hours this member can work in one sprint")]
Load = Annotated[float, Field(ge=0, le=10_000, description="Hours of work already on this member")]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50)")]
Cursor = Annotated[str, Query(max_length=512, description="From the previous page's next_cursor")]


class MemberIn(StrictBody):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(default="", max_length=100, description='What they do on the team, e.g. "backend engineer"')
    member_type: MemberType = "human"
    seniority: Seniority = ""
    skills: Skills = Field(default_factory=dict)
    capacity_hours_per_sprint: Capacity = 0
    current_load_hours: Load = 0
    user_id: str = Field(default="", max_length=64, description="The Aira user behind a human member, if any")
    timezone: str = Field(default="", max_length=64, description="IANA name, e.g. Europe/Berlin")
    agent_instance_id: str = Field(default="", max_length=64, description="The agent instance behind an AI member")


class MemberPatch(StrictBody):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: str | None = Field(default=None, max_length=100)
    seniority: Seniority | None = None
    skills: Skills | None = Field(default=None, description="Replaces every skill ({} clears them)")
    capacity_hours_per_sprint: Capacity | None = None
    current_load_hours: Load | None = None
    timezone: str | None = Field(default=None, max_length=64)


class MemberOut(BaseModel):
    id: str
    project_id: str
    name: str
    role: str
    member_type: MemberType
    seniority: Seniority
    skills: dict[str, int]
    capacity_hours_per_sprint: float
    current_load_hours: float
    user_id: str | None = None
    agent_instance_id: str | None = None
    timezone: str
    created_at: datetime
    updated_at: datetime
    removed_at: datetime | None = Field(default=None, description="Set once the member left the roster")


class MemberPage(BaseModel):
    items: list[MemberOut]
    next_cursor: str | None


def member_out(message: roster_pb2.TeamMember) -> dict[str, Any]:
    body = from_proto(message)
    body["user_id"] = body.get("user_id") or None
    body["agent_instance_id"] = body.get("agent_instance_id") or None
    return body


def _ref(project_id: str, member_id: str) -> roster_pb2.MemberRef:
    return roster_pb2.MemberRef(project_id=project_id, member_id=member_id)


@router.get(
    "/{project_id}/team/members",
    response_model=MemberPage,
    summary="The team roster in the order members joined (filter by type, skill or ids)",
)
async def list_members(
    project_id: str,
    who: CallerDep,
    gateway: State,
    limit: Limit = 50,
    cursor: Cursor = "",
    member_type: MemberType | None = None,
    skill: Annotated[str, Query(max_length=50, description="Members having this skill, at any level")] = "",
    member_id: Annotated[list[str] | None, Query(description="Only these members (repeat the parameter)")] = None,
    include_removed: bool = False,
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.roster.ListMembers(
        roster_pb2.ListMembersRequest(
            project_id=project_id,
            member_ids=member_id or [],
            page=types_pb2.PageRequest(limit=limit, cursor=cursor),
            include_removed=include_removed,
            member_type=member_type or "",
            skill=skill,
        ),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return {"items": [member_out(m) for m in reply.items], "next_cursor": reply.page.next_cursor or None}


@router.post(
    "/{project_id}/team/members",
    status_code=201,
    response_model=MemberOut,
    summary="Put a person or an AI agent on the roster (owners, admins, product managers)",
)
async def add_member(
    project_id: str, body: MemberIn, who: CallerDep, gateway: State, idempotency: IdempotencyDep, response: Response
):
    project_id = project_id_of(project_id)
    member = await gateway.clients.roster.AddMember(
        roster_pb2.AddMemberRequest(project_id=project_id, **body.model_dump()),
        metadata=await project_metadata(gateway, who, project_id) + idempotency,
    )
    response.headers["Location"] = f"/v1/projects/{project_id}/team/members/{member.id}"
    return member_out(member)


@router.get(
    "/{project_id}/team/members/{member_id}",
    response_model=MemberOut,
    summary="One member of the roster (removed members too)",
)
async def get_member(project_id: str, member_id: str, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    member = await gateway.clients.roster.GetMember(
        _ref(project_id, member_id), metadata=await project_metadata(gateway, who, project_id)
    )
    return member_out(member)


@router.patch(
    "/{project_id}/team/members/{member_id}",
    response_model=MemberOut,
    summary="Change a member's details, skills, capacity or load (owners, admins, product managers)",
)
async def update_member(project_id: str, member_id: str, body: MemberPatch, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    skills = changes.pop("skills", None)
    request = roster_pb2.UpdateMemberRequest(project_id=project_id, member_id=member_id, **changes)
    if skills is not None:
        request.skills.update(skills)
        request.set_skills = True
    member = await gateway.clients.roster.UpdateMember(
        request, metadata=await project_metadata(gateway, who, project_id)
    )
    return member_out(member)


@router.delete(
    "/{project_id}/team/members/{member_id}",
    status_code=204,
    summary="Take a member off the roster (soft; owners, admins, product managers)",
)
async def remove_member(project_id: str, member_id: str, who: CallerDep, gateway: State) -> Response:
    project_id = project_id_of(project_id)
    await gateway.clients.roster.RemoveMember(
        _ref(project_id, member_id), metadata=await project_metadata(gateway, who, project_id)
    )
    return Response(status_code=204)
