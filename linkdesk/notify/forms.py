"""Notification forms: a channel as the admin adds it."""

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length


class ChannelForm(FlaskForm):
    kind = SelectField("类型", choices=[SelectChoice("wecom", "企业微信群机器人"), SelectChoice("email", "电子邮件")])
    target = StringField("机器人 Webhook 地址或邮箱", validators=[DataRequired("请填写地址。"), Length(max=500)])
    scope = StringField("范围（ministry、province:河南 或 center:郑州）", validators=[DataRequired("请填写范围。"), Length(max=64)])
