"""Account forms: login, and the admin's user forms."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..models import Role


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
