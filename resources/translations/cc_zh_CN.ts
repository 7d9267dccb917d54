<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AlertTableModel</name>
    <message>
        <location filename="../../widgets/alert_list_view.py" line="+201"/>
        <source>Level</source>
        <translation>级别</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Alert</source>
        <translation>告警内容</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>CAP warning</source>
        <translation>CAP预警</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Sensor</source>
        <translation>传感器</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Demo</source>
        <translation>演示</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Correlation</source>
        <translation>关联研判</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Manual</source>
        <translation>人工上报</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Cancelled</source>
        <translation>已解除</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Acknowledged by %1</source>
        <translation>已确认（%1）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unacknowledged</source>
        <translation>未确认</translation>
    </message>
</context>
<context>
    <name>AlertsChart</name>
    <message>
        <location filename="../../widgets/alerts_chart.py" line="+53"/>
        <source>Alerts per minute, last 60 minutes</source>
        <translation>近60分钟每分钟告警数</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>alerts</source>
        <translation>告警数</translation>
    </message>
</context>
<context>
    <name>CameraTableModel</name>
    <message>
        <location filename="../../widgets/camera_list_view.py" line="+24"/>
        <source>Camera</source>
        <translation>监控点位</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>fps</source>
        <translation>帧率</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>%1 (%2): %3, %4 kbit/s, %5 viewers, %6 reconnects</source>
        <translation>%1（%2）：%3，码率 %4 kbit/s，%5 人在看，已重连 %6 次</translation>
    </message>
</context>
<context>
    <name>ClientStore</name>
    <message>
        <location filename="../../backend_client/store.py" line="+247"/>
        <location line="+17"/>
        <source>Not connected to the hub</source>
        <translation>未连接到中心服务</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The hub did not answer in time</source>
        <translation>中心服务未及时响应</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The connection dropped before the hub answered; check whether it was applied</source>
        <translation>中心服务应答前连接已断开，请核实操作是否已生效</translation>
    </message>
</context>
<context>
    <name>Colours</name>
    <message>
        <location filename="../../widgets/colours.py" line="+43"/>
        <source>Red</source>
        <translation>红色</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Orange</source>
        <translation>橙色</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Yellow</source>
        <translation>黄色</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Blue</source>
        <translation>蓝色</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Live</source>
        <translation>在线</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Signal lost</source>
        <translation>信号中断</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Grade %1</source>
        <translation>%1级</translation>
    </message>
</context>
<context>
    <name>ConsoleWindow</name>
    <message>
        <location filename="../../app/console_window.py" line="+101"/>
        <source>Command centre — duty console</source>
        <translation>指挥中心 — 值班台</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Alerts</source>
        <translation>告警</translation>
    </message>
    <message>
        <location line="-7"/>
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Cameras</source>
        <translation>视频监控</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Wall scenes</source>
        <translation>大屏预案</translation>
    </message>
    <message>
        <location line="-5"/>
        <source>Preview</source>
        <translation>视频预览</translation>
    </message>
    <message>
        <location line="+53"/>
        <location line="+3"/>
        <source>Acknowledge</source>
        <translation>确认告警</translation>
    </message>
    <message>
        <location line="-2"/>
        <location line="+3"/>
        <source>Acknowledge the selected alerts</source>
        <translation>确认选中的告警</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>New incident from alert…</source>
        <translation>告警转事件…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open an incident for the selected alert</source>
        <translation>根据选中的告警创建事件</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Play in preview</source>
        <translation>预览播放</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Play the selected camera in the selected preview cell</source>
        <translation>在选中的预览窗格播放选中的监控点位</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stop preview</source>
        <translation>停止预览</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop the video in the selected preview cell</source>
        <translation>停止选中预览窗格的视频</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Take to wall</source>
        <translation>上墙</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show the selected scene on the video wall</source>
        <translation>将选中的预案推送到大屏</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Take scene %1 to the wall</source>
        <translation>预案 %1 上墙</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show scene number %1 on the video wall</source>
        <translation>将第 %1 个预案推送到大屏</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Select preview cell %1</source>
        <translation>选择预览窗格 %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The next camera plays in preview cell %1</source>
        <translation>下一路视频在预览窗格 %1 播放</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Close the console</source>
        <translation>关闭值班台</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Actions</source>
        <translation>操作</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>&amp;Alerts</source>
        <translation>告警(&amp;A)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Video</source>
        <translation>视频(&amp;V)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Wall</source>
        <translation>大屏(&amp;W)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Console</source>
        <translation>值班台(&amp;C)</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Acknowledging %1 alert(s)…</source>
        <translation>正在确认 %1 条告警…</translation>
    </message>
    <message>
        <location line="+62"/>
        <source>Asking the wall to show %1…</source>
        <translation>正在请求大屏切换到 %1…</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>On the wall now: %1</source>
        <translation>当前上墙：%1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>On the wall now: (unknown)</source>
        <translation>当前上墙：（未知）</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Offline — reconnecting</source>
        <translation>离线 — 正在重连</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Login refused: check the token</source>
        <translation>登录被拒绝：请检查令牌</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Duty officer</source>
        <translation>值班员</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Wall operator</source>
        <translation>大屏操作员</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Leader</source>
        <translation>领导</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Administrator</source>
        <translation>管理员</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Auditor</source>
        <translation>审计员</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>(not signed in)</source>
        <translation>（未登录）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>seq %1</source>
        <translation>序号 %1</translation>
    </message>
</context>
<context>
    <name>ConsultationWindow</name>
    <message>
        <location filename="../../app/consultation_window.py" line="+28"/>
        <source>Command centre — consultation</source>
        <translation>指挥中心 — 会商</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Yongkang City Command Centre</source>
        <translation>永康市指挥中心</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Open incidents</source>
        <translation>在办事件</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Full screen</source>
        <translation>全屏</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Switch full screen on or off (F11)</source>
        <translation>切换全屏（F11）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Close the consultation screen (Ctrl+Q)</source>
        <translation>关闭会商屏（Ctrl+Q）</translation>
    </message>
    <message>
        <location line="+42"/>
        <source>Open incidents (%1)</source>
        <translation>在办事件（%1）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Live</source>
        <translation>实时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Offline — figures may be old</source>
        <translation>离线 — 数据可能已过时</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Login refused</source>
        <translation>登录被拒绝</translation>
    </message>
</context>
<context>
    <name>IncidentDialog</name>
    <message>
        <location filename="../../app/console_window.py" line="-323"/>
        <source>New incident</source>
        <translation>新建事件</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Natural disaster</source>
        <translation>自然灾害</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Accident</source>
        <translation>事故灾难</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Public health</source>
        <translation>公共卫生事件</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Social security</source>
        <translation>社会安全事件</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Grade Ⅰ (especially serious)</source>
        <translation>Ⅰ级（特别重大）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Grade Ⅱ (serious)</source>
        <translation>Ⅱ级（重大）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Grade Ⅲ (major)</source>
        <translation>Ⅲ级（较大）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Grade Ⅳ (general)</source>
        <translation>Ⅳ级（一般）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Grade</source>
        <translation>等级</translation>
    </message>
</context>
<context>
    <name>IncidentTableModel</name>
    <message>
        <location filename="../../widgets/incident_list_view.py" line="+31"/>
        <source>Grade</source>
        <translation>等级</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Stage</source>
        <translation>阶段</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Intake</source>
        <translation>接报</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Verifying</source>
        <translation>核实</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Dispatching</source>
        <translation>调度</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Responding</source>
        <translation>处置</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Recovery</source>
        <translation>善后</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Closed</source>
        <translation>已办结</translation>
    </message>
</context>
<context>
    <name>KpiPanel</name>
    <message>
        <location filename="../../widgets/kpi_panel.py" line="+79"/>
        <source>%1 alerts</source>
        <translation>%1预警</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Unacknowledged</source>
        <translation>未确认</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open incidents</source>
        <translation>在办事件</translation>
    </message>
</context>
<context>
    <name>MapCell</name>
    <message>
        <location filename="../../app/cells.py" line="+92"/>
        <source>Offline base map not yet loaded</source>
        <translation>离线底图尚未加载</translation>
    </message>
</context>
<context>
    <name>PlaceholderCell</name>
    <message>
        <location filename="../../widgets/simple_cells.py" line="+119"/>
        <source>(%1 is not available in this window)</source>
        <translation>（此窗口不支持 %1）</translation>
    </message>
</context>
<context>
    <name>UnknownCameraCell</name>
    <message>
        <location line="-11"/>
        <source>NO SIGNAL</source>
        <translation>无信号</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>unknown camera %1</source>
        <translation>未知点位 %1</translation>
    </message>
</context>
<context>
    <name>VideoTile</name>
    <message>
        <location filename="../../widgets/video_tile.py" line="+226"/>
        <source>idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+9"/>
        <location line="+2"/>
        <location line="+2"/>
        <source>NO SIGNAL</source>
        <translation>无信号</translation>
    </message>
    <message>
        <location line="-12"/>
        <source>error</source>
        <translation>错误</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 — reconnecting</source>
        <translation>%1 — 正在重连</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>cannot play</source>
        <translation>无法播放</translation>
    </message>
</context>
<context>
    <name>WallCells</name>
    <message>
        <location filename="../../app/cells.py" line="+16"/>
        <source>Live alerts</source>
        <translation>实时告警</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open incidents</source>
        <translation>在办事件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Active alerts</source>
        <translation>告警统计</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Situation map</source>
        <translation>态势地图</translation>
    </message>
</context>
<context>
    <name>WallWindow</name>
    <message>
        <location filename="../../app/wall_window.py" line="+41"/>
        <source>Video wall</source>
        <translation>视频大屏</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Show scene %1</source>
        <translation>切换预案 %1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Ask the hub to put the scene number %1 on the wall</source>
        <translation>请求中心服务将第 %1 个预案上墙</translation>
    </message>
    <message>
        <location line="+38"/>
        <source>Scene %1 cannot be shown: %2</source>
        <translation>预案 %1 无法显示：%2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Scene %1 is not in %2</source>
        <translation>预案 %1 不在 %2 中</translation>
    </message>
    <message>
        <location line="+103"/>
        <source>The scene was not taken: %1</source>
        <translation>预案未能上墙：%1</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Hub %1: the wall keeps showing the last scene</source>
        <translation>中心服务状态 %1：大屏保持显示上一个预案</translation>
    </message>
</context>
</TS>
