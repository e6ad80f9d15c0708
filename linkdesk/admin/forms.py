"""Admin forms."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..models import Role


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名。"), Length(max=64)])
    display_name = StringField("姓名", validators=[Optional(), Length(max=64)])
    role = SelectField(
        "角色",
        choices=[SelectChoice(role.value, role.label) for role in Role],
        validators=[DataRequired("请选择角色。")],
    )
    center = StringField("中心（代码或简称）", validators=[Optional(), Length(max=64)])
    province = StringField("省份（代码或简称）", validators=[Optional(), Length(max=64)])
    password = PasswordField("初始密码", validators=[DataRequired("请输入初始密码。"), Length(max=256)])


class ActiveForm(FlaskForm):
    """An empty form: only the CSRF token, for the activate/deactivate buttons."""


class ChannelForm(FlaskForm):
    kind = SelectField("类型", choices=[SelectChoice("wecom", "企业微信群机器人"), SelectChoice("email", "电子邮件")])
    target = StringField("机器人 Webhook 地址或邮箱", validators=[DataRequired("请填写地址。"), Length(max=500)])
    scope = StringField("范围（ministry、province:河南 或 center:郑州）", validators=[DataRequired("请填写范围。"), Length(max=64)])
