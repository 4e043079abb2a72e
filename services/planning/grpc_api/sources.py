"""The Sources and Insights contracts: translate protobuf to :mod:`services.planning.sources` and
:mod:`services.planning.insights` and back."""

from __future__ import annotations

from aira.common.v1 import types_pb2
from aira.planning.v1 import sources_pb2, sources_pb2_grpc
from services.chassis.proto_values import to_struct, to_timestamp
from services.chassis.uow import UnitOfWorkFactory
from services.planning import insights, sources
from services.planning.insights import InsightView
from services.planning.models import Source


def source_message(source: Source, *, with_content: bool = False) -> sources_pb2.Source:
    message = sources_pb2.Source(
        id=str(source.id),
        project_id=str(source.project_id),
        type=source.type,
        format=source.format,
        title=source.title,
        content_type=source.content_type,
        content_hash=source.content_hash,
        filename=source.filename or "",
        size_bytes=source.size_bytes,
        version=source.version,
        stats=to_struct(source.stats or {}),
        analyzed=source.analyzed,
        created_by=source.created_by,
        created_at=to_timestamp(source.created_at),
        updated_at=to_timestamp(source.updated_at),
    )
    if source.last_analyzed_at is not None:
        message.last_analyzed_at.CopyFrom(to_timestamp(source.last_analyzed_at))
    if with_content:
        message.content = source.content
        message.content_included = True
    return message


def _input(content: sources_pb2.SourceContent) -> sources.SourceInput:
    which = content.WhichOneof("body")
    return sources.SourceInput(
        text=content.text if which == "text" else None,
        file=content.file if which == "file" else None,
        filename=content.filename,
        declared_content_type=content.declared_content_type,
    )


class SourcesServicer(sources_pb2_grpc.SourcesServicer):
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory, *, max_upload_bytes: int) -> None:
        self._uow = uow
        self._reader = reader
        self._max_bytes = max_upload_bytes

    async def CreateSource(self, request, ctx):
        async with self._uow() as uow:
            source, created = await sources.create_source(
                uow, request.project_id, _input(request.content), title=request.title, max_bytes=self._max_bytes
            )
            reply = sources_pb2.CreateSourceReply(source=source_message(source), created=created)
            await uow.commit(reply)
        return reply

    async def ReplaceSourceContent(self, request, ctx):
        async with self._uow() as uow:
            source, changed = await sources.replace_content(
                uow, request.project_id, request.source_id, _input(request.content), max_bytes=self._max_bytes
            )
            reply = sources_pb2.ReplaceSourceContentReply(source=source_message(source), changed=changed)
            await uow.commit(reply)
        return reply

    async def ListSources(self, request, ctx):
        async with self._reader() as uow:
            items, next_cursor = await sources.list_sources(
                uow,
                request.project_id,
                limit=request.page.limit,
                cursor=request.page.cursor,
                source_type=request.type,
                query=request.query,
            )
        return sources_pb2.ListSourcesResponse(
            items=[source_message(s) for s in items], page=types_pb2.PageInfo(next_cursor=next_cursor)
        )

    async def GetSource(self, request, ctx):
        async with self._reader() as uow:
            source = await sources.get_source(
                uow, request.project_id, request.source_id, include_content=request.include_content
            )
        return source_message(source, with_content=request.include_content)

    async def DeleteSource(self, request, ctx):
        async with self._uow() as uow:
            source_id, detached = await sources.delete_source(uow, request.project_id, request.source_id)
            reply = sources_pb2.DeleteSourceReply(source_id=str(source_id), detached_insights=detached)
            await uow.commit(reply)
        return reply


def insight_message(view: InsightView) -> sources_pb2.Insight:
    insight = view.insight
    return sources_pb2.Insight(
        id=str(insight.id),
        project_id=str(insight.project_id),
        source_id=str(insight.source_id or ""),
        atom_id=str(insight.atom_id or ""),
        type=insight.type,
        title=insight.title,
        body=insight.body,
        domain=insight.domain,
        impact=insight.impact,
        confidence=insight.confidence,
        status=insight.status,
        linked_feature_id=str(insight.linked_feature_id or ""),
        feature_ids=[str(f) for f in view.feature_ids],
        tags=list(insight.tags),
        origin=insight.origin,
        created_by=insight.created_by,
        created_at=to_timestamp(insight.created_at),
        updated_at=to_timestamp(insight.updated_at),
        rank=view.rank,
    )


class InsightsServicer(sources_pb2_grpc.InsightsServicer):
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory) -> None:
        self._uow = uow
        self._reader = reader

    async def _write(self, change, *args, **kwargs) -> sources_pb2.Insight:
        async with self._uow() as uow:
            reply = insight_message(await change(uow, *args, **kwargs))
            await uow.commit(reply)
        return reply

    async def CreateInsight(self, request, ctx):
        return await self._write(
            insights.create_insight,
            request.project_id,
            type=request.type,
            title=request.title,
            body=request.body,
            impact=request.impact,
            confidence=request.confidence,
            tags=list(request.tags),
            domain=request.domain,
            source_id=request.source_id,
        )

    async def ListInsights(self, request, ctx):
        async with self._reader() as uow:
            items, next_cursor = await insights.list_insights(
                uow,
                request.project_id,
                limit=request.page.limit,
                cursor=request.page.cursor,
                query=request.query,
                type=request.type,
                domain=request.domain,
                tags=list(request.tags),
                status=request.status,
                impact=request.impact,
                source_id=request.source_id,
                include_dismissed=request.include_dismissed,
            )
        return sources_pb2.ListInsightsResponse(
            items=[insight_message(v) for v in items], page=types_pb2.PageInfo(next_cursor=next_cursor)
        )

    async def GetInsight(self, request, ctx):
        async with self._reader() as uow:
            return insight_message(await insights.get_insight(uow, request.project_id, request.insight_id))

    async def UpdateInsight(self, request, ctx):
        changes = {
            name: getattr(request, name)
            for name in ("title", "body", "impact", "confidence", "domain")
            if request.HasField(name)
        }
        if request.replace_tags:
            changes["tags"] = list(request.tags)
        return await self._write(insights.update_insight, request.project_id, request.insight_id, **changes)

    async def KeepInsight(self, request, ctx):
        return await self._write(insights.keep, request.project_id, request.insight_id)

    async def DismissInsight(self, request, ctx):
        return await self._write(insights.dismiss, request.project_id, request.insight_id)

    async def LinkInsight(self, request, ctx):
        return await self._write(insights.link_feature, request.project_id, request.insight_id, request.feature_id)

    async def UnlinkInsight(self, request, ctx):
        return await self._write(insights.unlink_feature, request.project_id, request.insight_id, request.feature_id)
