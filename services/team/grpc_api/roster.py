"""The Roster contract: translate protobuf to :mod:`services.team.roster` and back."""

from __future__ import annotations

from aira.common.v1 import types_pb2
from aira.team.v1 import roster_pb2, roster_pb2_grpc
from services.chassis.proto_values import to_timestamp
from services.chassis.uow import UnitOfWorkFactory
from services.team import roster
from services.team.models import TeamMember


def member_message(member: TeamMember) -> roster_pb2.TeamMember:
    message = roster_pb2.TeamMember(
        id=str(member.id),
        project_id=str(member.project_id),
        name=member.name,
        role=member.role,
        member_type=member.member_type,
        seniority=member.seniority,
        skills=member.skills,
        capacity_hours_per_sprint=float(member.capacity_hours_per_sprint),
        current_load_hours=float(member.current_load_hours),
        user_id=str(member.user_id or ""),
        timezone=member.timezone,
        created_at=to_timestamp(member.created_at),
        updated_at=to_timestamp(member.updated_at),
        agent_instance_id=str(member.agent_instance_id or ""),
    )
    if member.removed_at is not None:
        message.removed_at.CopyFrom(to_timestamp(member.removed_at))
    return message


def _changes(request: roster_pb2.UpdateMemberRequest) -> dict:
    """The fields an update sets: the optional ones present, and the skills when set_skills (skills
    sent without the flag replace them too, rather than being dropped in silence)."""
    changes = {name: getattr(request, name) for name in roster.UPDATABLE if name != "skills" and request.HasField(name)}
    if request.set_skills or request.skills:
        changes["skills"] = dict(request.skills)
    return changes


class RosterServicer(roster_pb2_grpc.RosterServicer):
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory) -> None:
        self._uow = uow
        self._reader = reader

    async def ListMembers(self, request, ctx):
        page = (request.page.limit, request.page.cursor) if request.HasField("page") else None
        async with self._reader() as uow:
            items, next_cursor = await roster.list_members(
                uow,
                request.project_id,
                member_ids=request.member_ids,
                include_removed=request.include_removed,
                member_type=request.member_type,
                skill=request.skill,
                page=page,
            )
        reply = roster_pb2.ListMembersResponse(items=[member_message(m) for m in items])
        if page is not None:
            reply.page.CopyFrom(types_pb2.PageInfo(next_cursor=next_cursor))
        return reply

    async def GetMember(self, request, ctx):
        async with self._reader() as uow:
            member = await roster.get_member(uow, request.project_id, request.member_id)
        return member_message(member)

    async def AddMember(self, request, ctx):
        new = roster.NewMember(
            name=request.name,
            role=request.role,
            member_type=request.member_type,
            seniority=request.seniority,
            skills=dict(request.skills),
            capacity_hours_per_sprint=request.capacity_hours_per_sprint,
            current_load_hours=request.current_load_hours,
            user_id=request.user_id,
            timezone=request.timezone,
            agent_instance_id=request.agent_instance_id,
        )
        async with self._uow() as uow:
            reply = member_message(await roster.add_member(uow, request.project_id, new))
            await uow.commit(reply)
        return reply

    async def UpdateMember(self, request, ctx):
        async with self._uow() as uow:
            member = await roster.update_member(uow, request.project_id, request.member_id, _changes(request))
            reply = member_message(member)
            await uow.commit(reply)
        return reply

    async def RemoveMember(self, request, ctx):
        async with self._uow() as uow:
            member = await roster.remove_member(uow, request.project_id, request.member_id)
            reply = roster_pb2.RemovedMember(member_id=str(member.id))
            await uow.commit(reply)
        return reply
