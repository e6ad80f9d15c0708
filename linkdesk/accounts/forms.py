"""Account forms: login, and the admin's user forms."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..models import Role
from .tokens import DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名。"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。"), Length(max=256)])


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


class TokenForm(FlaskForm):
    expires_days = IntegerField(
        "有效期（天）", default=DEFAULT_EXPIRY_DAYS,
        validators=[DataRequired("请填写有效期天数。"),
                    NumberRange(1, MAX_EXPIRY_DAYS, f"有效期应为 1 至 {MAX_EXPIRY_DAYS} 天。")],
    )
