"""Account forms: login, passwords, and the admin's user forms."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from ..models import Role
from ..web.query_args import WholeNumberField
from .tokens import DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名。"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。"), Length(max=256)])


class _RoleAndScope(FlaskForm):
    """What creating and editing a user share: the role, its scope and how to reach the person."""

    role = SelectField(
        "角色",
        choices=[SelectChoice(role.value, role.label) for role in Role],
        validators=[DataRequired("请选择角色。")],
    )
    center = StringField("中心（代码或简称）", validators=[Optional(), Length(max=64)])
    province = StringField("省份（代码或简称）", validators=[Optional(), Length(max=64)])
    contact = StringField("联系方式", validators=[Optional(), Length(max=128)])
    wecom_userid = StringField("企业微信账号（UserID）", validators=[Optional(), Length(max=64)])


class UserForm(_RoleAndScope):
    username = StringField("用户名", validators=[DataRequired("请输入用户名。"), Length(max=64)])
    display_name = StringField("姓名", validators=[Optional(), Length(max=64)])
    password = PasswordField("临时密码", validators=[DataRequired("请输入临时密码。"), Length(max=256)])


class EditUserForm(_RoleAndScope):
    display_name = StringField("姓名", validators=[DataRequired("请输入姓名。"), Length(max=64)])


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField("当前密码", validators=[DataRequired("请输入当前密码。"), Length(max=256)])
    new_password = PasswordField("新密码", validators=[DataRequired("请输入新密码。"), Length(max=256)])
    confirm = PasswordField(
        "再次输入新密码", validators=[DataRequired("请再次输入新密码。"), EqualTo("new_password", "两次输入的新密码不一致。")]
    )


class SetPasswordForm(FlaskForm):
    new_password = PasswordField("新密码", validators=[DataRequired("请输入新密码。"), Length(max=256)])
    confirm = PasswordField(
        "再次输入新密码", validators=[DataRequired("请再次输入新密码。"), EqualTo("new_password", "两次输入的新密码不一致。")]
    )


class ActiveForm(FlaskForm):
    """An empty form: only the CSRF token, for the activate/deactivate buttons."""


class TokenForm(FlaskForm):
    expires_days = WholeNumberField(
        "有效期（天）",
        default=DEFAULT_EXPIRY_DAYS,
        validators=[DataRequired("请填写有效期天数。"), NumberRange(1, MAX_EXPIRY_DAYS, f"有效期应为 1 至 {MAX_EXPIRY_DAYS} 天。")],
    )
