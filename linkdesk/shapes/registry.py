"""A center and a service, the same shape wherever the API or a webhook shows one."""

from pydantic import Field

from .. import models
from . import Shape


class Center(Shape):
    """住房公积金管理中心。各接口中的中心都是这个形状。"""

    code: str = Field(description="中心代码（稳定，API 与命令行使用）", examples=["410100"])
    name: str = Field(description="全称", examples=["郑州住房公积金管理中心"])
    short_name: str = Field(description="简称", examples=["郑州"])
    province: str = Field(description="所属省份简称", examples=["河南"])


class Service(Shape):
    """业务事项（全国统一）。"""

    code: str
    name: str = Field(description="业务事项名称")


def center_of(center: models.Center) -> Center:
    return Center(code=center.code, name=center.name, short_name=center.short_name, province=center.province.short_name)


def center_json(center: models.Center) -> dict:
    """A center, the same shape wherever the API shows one."""
    return center_of(center).as_json()


def service_json(service: models.Service) -> dict:
    """A service of the national list."""
    return Service(code=service.code, name=service.name).as_json()
