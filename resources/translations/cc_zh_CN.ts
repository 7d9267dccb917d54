<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>AlertFilterBar</name>
    <message>
        <location filename="../../widgets/alert_filter_bar.py" line="+76" />
        <source>Show only the checked warning colours (none checked: all)</source>
        <translation>只显示勾选的预警颜色（都不勾选则显示全部）</translation>
    </message>
    <message>
        <location line="+8" />
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Unacknowledged</source>
        <translation>未确认</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Escalated</source>
        <translation>已升级</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Not assigned</source>
        <translation>未交办</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Assigned</source>
        <translation>已交办</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Handling status</source>
        <translation>处置状态</translation>
    </message>
    <message>
        <location line="+3" />
        <location line="+20" />
        <source>All townships</source>
        <translation>全部镇街</translation>
    </message>
    <message>
        <location line="-19" />
        <source>Township</source>
        <translation>镇街</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Search alerts…</source>
        <translation>搜索告警…</translation>
    </message>
</context>
<context>
    <name>AlertHandling</name>
    <message>
        <location filename="../../app/alert_handling.py" line="+201" />
        <source>Escalated alerts not yet acknowledged; click to show them</source>
        <translation>已升级但尚未确认的告警；单击查看</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Assign…</source>
        <translation>交办…</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Hand the selected alerts to a department or unit</source>
        <translation>将选中的告警交办给部门或力量</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Escalate</source>
        <translation>升级</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Escalate the selected alerts to the next level</source>
        <translation>将选中的告警升级到上一级</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Mute alert sound</source>
        <translation>告警静音</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Switch the sound for new red and orange alerts off or on</source>
        <translation>关闭或开启新的红色、橙色告警提示音</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Filter alerts</source>
        <translation>筛选告警</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Type to filter the alert list</source>
        <translation>输入文字筛选告警列表</translation>
    </message>
    <message>
        <location line="+5" />
        <source>Alerts</source>
        <translation>告警</translation>
    </message>
    <message>
        <location line="+89" />
        <source>%1 escalated (level %2)</source>
        <translation>%1 条已升级（第 %2 级）</translation>
    </message>
    <message>
        <location line="+4" />
        <source>No escalations</source>
        <translation>无升级告警</translation>
    </message>
</context>
<context>
    <name>AlertTableModel</name>
    <message>
        <location filename="../../widgets/alert_list_view.py" line="+203" />
        <source>Level</source>
        <translation>级别</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Alert</source>
        <translation>告警内容</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+13" />
        <source>CAP warning</source>
        <translation>CAP预警</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Sensor</source>
        <translation>传感器</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Demo</source>
        <translation>演示</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Correlation</source>
        <translation>关联研判</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Manual</source>
        <translation>人工上报</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Radio</source>
        <translation>对讲机</translation>
    </message>
    <message>
        <location line="+5" />
        <source>Cancelled</source>
        <translation>已解除</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Acknowledged by %1</source>
        <translation>已确认（%1）</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Unacknowledged</source>
        <translation>未确认</translation>
    </message>
    <message>
        <location line="+6" />
        <source>Escalated (level %1)</source>
        <translation>已升级（第 %1 级）</translation>
    </message>
</context>
<context>
    <name>AlertsChart</name>
    <message>
        <location filename="../../widgets/alerts_chart.py" line="+53" />
        <source>Alerts per minute, last 60 minutes</source>
        <translation>近60分钟每分钟告警数</translation>
    </message>
    <message>
        <location line="+8" />
        <source>alerts</source>
        <translation>告警数</translation>
    </message>
</context>
<context>
    <name>AssignDialog</name>
    <message>
        <location filename="../../app/alert_handling.py" line="-171" />
        <source>Assign alert</source>
        <translation>交办告警</translation>
    </message>
    <message>
        <location line="+8" />
        <source>Alerts</source>
        <translation>告警</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Assign to</source>
        <translation>交办给</translation>
    </message>
</context>
<context>
    <name>CallLogView</name>
    <message>
        <location filename="../../widgets/call_log_view.py" line="+19" />
        <source>dialling</source>
        <translation>拨号中</translation>
    </message>
    <message>
        <location line="+0" />
        <source>ringing</source>
        <translation>振铃</translation>
    </message>
    <message>
        <location line="+0" />
        <source>in call</source>
        <translation>通话中</translation>
    </message>
    <message>
        <location line="+0" />
        <source>ended</source>
        <translation>已结束</translation>
    </message>
    <message>
        <location line="+1" />
        <source>busy</source>
        <translation>忙</translation>
    </message>
    <message>
        <location line="+0" />
        <source>no answer</source>
        <translation>无应答</translation>
    </message>
    <message>
        <location line="+0" />
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="+4" />
        <source>call</source>
        <translation>呼叫</translation>
    </message>
    <message>
        <location line="+0" />
        <source>group call</source>
        <translation>组呼</translation>
    </message>
    <message>
        <location line="+0" />
        <source>all-call</source>
        <translation>全呼</translation>
    </message>
    <message>
        <location line="+0" />
        <source>patch</source>
        <translation>信道互联</translation>
    </message>
    <message>
        <location line="+1" />
        <source>PTT</source>
        <translation>对讲</translation>
    </message>
    <message>
        <location line="+8" />
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location line="+24" />
        <source>Recall</source>
        <translation>即时回放</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Replay the selected call, or the last calls if none is selected</source>
        <translation>回放选中的通话；未选中时回放最近的通话</translation>
    </message>
    <message>
        <location line="+4" />
        <source>last </source>
        <translation>最近 </translation>
    </message>
    <message>
        <location line="+1" />
        <source>Hang up</source>
        <translation>挂断</translation>
    </message>
</context>
<context>
    <name>CameraTableModel</name>
    <message>
        <location filename="../../widgets/camera_list_view.py" line="+41" />
        <source>Camera</source>
        <translation>监控点位</translation>
    </message>
    <message>
        <location line="+0" />
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+0" />
        <source>fps</source>
        <translation>帧率</translation>
    </message>
    <message>
        <location line="+17" />
        <source>%1 (%2): %3, %4 kbit/s, %5 viewers, %6 reconnects</source>
        <translation>%1（%2）：%3，码率 %4 kbit/s，%5 人在看，已重连 %6 次</translation>
    </message>
</context>
<context>
    <name>ClientStore</name>
    <message>
        <location filename="../../backend_client/store.py" line="+335" />
        <location line="+17" />
        <source>Not connected to the hub</source>
        <translation>未连接到中心服务</translation>
    </message>
    <message>
        <location line="+2" />
        <source>The hub did not answer in time</source>
        <translation>中心服务未及时响应</translation>
    </message>
    <message>
        <location line="+2" />
        <source>The connection dropped before the hub answered; check whether it was applied</source>
        <translation>中心服务应答前连接已断开，请核实操作是否已生效</translation>
    </message>
</context>
<context>
    <name>ClockCell</name>
    <message>
        <location filename="../../widgets/simple_cells.py" line="+11" />
        <source>Monday</source>
        <translation>星期一</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Tuesday</source>
        <translation>星期二</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Wednesday</source>
        <translation>星期三</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Thursday</source>
        <translation>星期四</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Friday</source>
        <translation>星期五</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Saturday</source>
        <translation>星期六</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Sunday</source>
        <translation>星期日</translation>
    </message>
</context>
<context>
    <name>Colours</name>
    <message>
        <location filename="../../widgets/colours.py" line="+43" />
        <source>Red</source>
        <translation>红色</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Orange</source>
        <translation>橙色</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Yellow</source>
        <translation>黄色</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Blue</source>
        <translation>蓝色</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="+9" />
        <source>Live</source>
        <translation>在线</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Signal lost</source>
        <translation>信号中断</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <location line="+11" />
        <source>Grade %1</source>
        <translation>%1级</translation>
    </message>
</context>
<context>
    <name>ConferencePanel</name>
    <message>
        <location filename="../../app/conference_panel.py" line="+37" />
        <source>Open conferences</source>
        <translation>进行中的会议</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Conference:</source>
        <translation>会议：</translation>
    </message>
    <message>
        <location line="+19" />
        <source>Mute all</source>
        <translation>全体静音</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Mute every site's microphone</source>
        <translation>关闭所有会场的麦克风</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Unmute all</source>
        <translation>全体取消静音</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Open every site's microphone</source>
        <translation>打开所有会场的麦克风</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Mute / unmute</source>
        <translation>静音/取消静音</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Mute or unmute the selected site</source>
        <translation>对所选会场静音或取消静音</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Give floor</source>
        <translation>指定发言</translation>
    </message>
    <message>
        <location line="+1" />
        <source>The selected site speaks: first tile when speaker-following</source>
        <translation>所选会场发言：语音激励时显示在第一格</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Next hand</source>
        <translation>下一位举手</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Give the floor to the first raised hand</source>
        <translation>由最先举手的会场发言</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Remove site</source>
        <translation>移出会场</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Remove the selected site from the conference</source>
        <translation>将所选会场移出会议</translation>
    </message>
    <message>
        <location line="+2" />
        <location line="+102" />
        <source>Lock</source>
        <translation>锁定</translation>
    </message>
    <message>
        <location line="-101" />
        <source>Lock the conference: no new sites can join</source>
        <translation>锁定会议：新会场不能加入</translation>
    </message>
    <message>
        <location line="+1" />
        <location line="+103" />
        <source>Roll-call</source>
        <translation>轮巡</translation>
    </message>
    <message>
        <location line="-102" />
        <source>Start or stop the roll-call through the sites</source>
        <translation>开始或停止对各会场的轮巡</translation>
    </message>
    <message>
        <location line="+3" />
        <source>{n} split</source>
        <translation>{n}分屏</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Push a {n}-tile layout to every screen</source>
        <translation>向所有屏幕推送{n}分屏布局</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Fixed</source>
        <translation>固定</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Rotating</source>
        <translation>轮播</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Speaker</source>
        <translation>语音激励</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Tiles: fixed, rotating pages or following the speaker</source>
        <translation>分屏：固定、轮播或跟随发言人</translation>
    </message>
    <message>
        <location line="+2" />
        <source>End</source>
        <translation>结束</translation>
    </message>
    <message>
        <location line="+1" />
        <source>End the conference for every site</source>
        <translation>为所有会场结束会议</translation>
    </message>
    <message>
        <location line="+25" />
        <source>Select a site first</source>
        <translation>请先选择一个会场</translation>
    </message>
    <message>
        <location line="+59" />
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Stop roll-call</source>
        <translation>停止轮巡</translation>
    </message>
    <message>
        <location line="+18" />
        <source>Refused: {text}</source>
        <translation>被拒绝：{text}</translation>
    </message>
    <message>
        <location line="+9" />
        <source>Conference</source>
        <translation>视频会议</translation>
    </message>
</context>
<context>
    <name>ConferenceView</name>
    <message>
        <location filename="../../widgets/conference_view.py" line="+59" />
        <source>No conference open</source>
        <translation>没有进行中的会议</translation>
    </message>
    <message>
        <location line="+2" />
        <source>fixed</source>
        <translation>固定</translation>
    </message>
    <message>
        <location line="+0" />
        <source>rotating</source>
        <translation>轮播</translation>
    </message>
    <message>
        <location line="+1" />
        <source>speaker-following</source>
        <translation>语音激励</translation>
    </message>
    <message>
        <location line="+1" />
        <source>{title} · {n} sites</source>
        <translation>{title} · {n}个会场</translation>
    </message>
    <message>
        <location line="+2" />
        <source>{split}-split, {mode}</source>
        <translation>{split}分屏，{mode}</translation>
    </message>
    <message>
        <location line="+3" />
        <source>locked</source>
        <translation>已锁定</translation>
    </message>
    <message>
        <location line="+2" />
        <source>ended</source>
        <translation>已结束</translation>
    </message>
    <message>
        <location line="+2" />
        <source>conference server down</source>
        <translation>会议服务器故障</translation>
    </message>
    <message>
        <location line="+7" />
        <source>Roll-call off</source>
        <translation>轮巡未开启</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Roll-call: {site} ({dwell:g} s each)</source>
        <translation>轮巡：{site}（每个{dwell:g}秒）</translation>
    </message>
    <message>
        <location line="+24" />
        <source>No layout</source>
        <translation>无布局</translation>
    </message>
    <message>
        <location line="+15" />
        <source>empty</source>
        <translation>空</translation>
    </message>
    <message>
        <location line="+33" />
        <source>Site</source>
        <translation>会场</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Audio</source>
        <translation>音频</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Video</source>
        <translation>视频</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Hand</source>
        <translation>举手</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Tile</source>
        <translation>分屏位</translation>
    </message>
    <message>
        <location line="+36" />
        <source>speaking</source>
        <translation>发言中</translation>
    </message>
    <message>
        <location line="+1" />
        <source>called</source>
        <translation>轮巡中</translation>
    </message>
    <message>
        <location line="+2" />
        <source>muted</source>
        <translation>已静音</translation>
    </message>
    <message>
        <location line="+0" />
        <location line="+2" />
        <source>on</source>
        <translation>开</translation>
    </message>
    <message>
        <location line="+0" />
        <source>off</source>
        <translation>关</translation>
    </message>
</context>
<context>
    <name>ConsoleWindow</name>
    <message>
        <location filename="../../app/console_window.py" line="+102" />
        <source>Command centre — duty console</source>
        <translation>指挥中心 — 值班台</translation>
    </message>
    <message>
        <location line="+27" />
        <source>Alerts</source>
        <translation>告警</translation>
    </message>
    <message>
        <location line="-7" />
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Cameras</source>
        <translation>视频监控</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Wall scenes</source>
        <translation>大屏预案</translation>
    </message>
    <message>
        <location line="-5" />
        <source>Preview</source>
        <translation>视频预览</translation>
    </message>
    <message>
        <location line="+55" />
        <location line="+3" />
        <source>Acknowledge</source>
        <translation>确认告警</translation>
    </message>
    <message>
        <location line="-2" />
        <location line="+3" />
        <source>Acknowledge the selected alerts</source>
        <translation>确认选中的告警</translation>
    </message>
    <message>
        <location line="+3" />
        <source>New incident from alert…</source>
        <translation>告警转事件…</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Open an incident for the selected alert</source>
        <translation>根据选中的告警创建事件</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Play in preview</source>
        <translation>预览播放</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Play the selected camera in the selected preview cell</source>
        <translation>在选中的预览窗格播放选中的监控点位</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Stop preview</source>
        <translation>停止预览</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Stop the video in the selected preview cell</source>
        <translation>停止选中预览窗格的视频</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Take to wall</source>
        <translation>上墙</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Show the selected scene on the video wall</source>
        <translation>将选中的预案推送到大屏</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Take scene %1 to the wall</source>
        <translation>预案 %1 上墙</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Show scene number %1 on the video wall</source>
        <translation>将第 %1 个预案推送到大屏</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Select preview cell %1</source>
        <translation>选择预览窗格 %1</translation>
    </message>
    <message>
        <location line="+1" />
        <source>The next camera plays in preview cell %1</source>
        <translation>下一路视频在预览窗格 %1 播放</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Close the console</source>
        <translation>关闭值班台</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Actions</source>
        <translation>操作</translation>
    </message>
    <message>
        <location line="+8" />
        <source>&amp;Alerts</source>
        <translation>告警(&amp;A)</translation>
    </message>
    <message>
        <location line="+2" />
        <source>&amp;Video</source>
        <translation>视频(&amp;V)</translation>
    </message>
    <message>
        <location line="+2" />
        <source>&amp;Wall</source>
        <translation>大屏(&amp;W)</translation>
    </message>
    <message>
        <location line="+2" />
        <source>&amp;Console</source>
        <translation>值班台(&amp;C)</translation>
    </message>
    <message>
        <location line="+22" />
        <source>Acknowledging %1 alert(s)…</source>
        <translation>正在确认 %1 条告警…</translation>
    </message>
    <message>
        <location line="+62" />
        <source>Asking the wall to show %1…</source>
        <translation>正在请求大屏切换到 %1…</translation>
    </message>
    <message>
        <location line="+21" />
        <source>On the wall now: %1</source>
        <translation>当前上墙：%1</translation>
    </message>
    <message>
        <location line="+1" />
        <source>On the wall now: (unknown)</source>
        <translation>当前上墙：（未知）</translation>
    </message>
    <message>
        <location line="+21" />
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Offline — reconnecting</source>
        <translation>离线 — 正在重连</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Login refused: check the token</source>
        <translation>登录被拒绝：请检查令牌</translation>
    </message>
    <message>
        <location line="+9" />
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Duty officer</source>
        <translation>值班员</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Wall operator</source>
        <translation>大屏操作员</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Leader</source>
        <translation>领导</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Administrator</source>
        <translation>管理员</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Auditor</source>
        <translation>审计员</translation>
    </message>
    <message>
        <location line="+4" />
        <source>(not signed in)</source>
        <translation>（未登录）</translation>
    </message>
    <message>
        <location line="+2" />
        <source>seq %1</source>
        <translation>序号 %1</translation>
    </message>
</context>
<context>
    <name>ConsultationWindow</name>
    <message>
        <location filename="../../app/consultation_window.py" line="+29" />
        <source>Command centre — consultation</source>
        <translation>指挥中心 — 会商</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Yongkang City Command Centre</source>
        <translation>永康市指挥中心</translation>
    </message>
    <message>
        <location line="+20" />
        <source>Open incidents</source>
        <translation>在办事件</translation>
    </message>
    <message>
        <location line="+19" />
        <source>Full screen</source>
        <translation>全屏</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Switch full screen on or off (F11)</source>
        <translation>切换全屏（F11）</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Close the consultation screen (Ctrl+Q)</source>
        <translation>关闭会商屏（Ctrl+Q）</translation>
    </message>
    <message>
        <location line="+42" />
        <source>Open incidents (%1)</source>
        <translation>在办事件（%1）</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Live</source>
        <translation>实时</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Offline — figures may be old</source>
        <translation>离线 — 数据可能已过时</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Login refused</source>
        <translation>登录被拒绝</translation>
    </message>
</context>
<context>
    <name>DispatchFeature</name>
    <message>
        <location filename="../../app/dispatch_feature.py" line="+51" />
        <source>Recall: %1 calls, %2 with audio</source>
        <translation>回放：%1 次通话，其中 %2 次有录音</translation>
    </message>
    <message>
        <location line="+13" />
        <source>Replaying: %1</source>
        <translation>正在回放：%1</translation>
    </message>
    <message>
        <location line="+19" />
        <source>Dispatch</source>
        <translation>调度</translation>
    </message>
    <message>
        <location line="+6" />
        <source>&amp;Dispatch</source>
        <translation>调度(&amp;D)</translation>
    </message>
    <message>
        <location line="+9" />
        <source>One-key %1</source>
        <translation>一键 %1</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Call the terminal or group on %1 (right-click a pad key to assign)</source>
        <translation>呼叫 %1 上的终端或通话组（右键单击按键可设置）</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Group call</source>
        <translation>组呼</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Make a temporary group of the selected terminals and call it</source>
        <translation>将选中的终端临时编组并发起组呼</translation>
    </message>
    <message>
        <location line="+2" />
        <source>All-call</source>
        <translation>全呼</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Broadcast to every radio</source>
        <translation>向全部对讲机广播</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Hang up</source>
        <translation>挂断</translation>
    </message>
    <message>
        <location line="+0" />
        <source>End the selected call, or every call in progress</source>
        <translation>挂断选中的通话；未选中时挂断全部进行中的通话</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Patch</source>
        <translation>信道互联</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Patch the two chosen channels together</source>
        <translation>将选定的两个信道互联</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Recall</source>
        <translation>即时回放</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Replay the last calls</source>
        <translation>回放最近的通话</translation>
    </message>
    <message>
        <location line="+17" />
        <source>Put on %1</source>
        <translation>设为 %1</translation>
    </message>
</context>
<context>
    <name>DispatchPad</name>
    <message>
        <location filename="../../widgets/dispatch_pad.py" line="+22" />
        <source>Radio</source>
        <translation>对讲机</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Video terminal</source>
        <translation>视频终端</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Body cam</source>
        <translation>执法记录仪</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Drone</source>
        <translation>无人机</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Vehicle</source>
        <translation>指挥车</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Group</source>
        <translation>通话组</translation>
    </message>
    <message>
        <location line="+4" />
        <source>available</source>
        <translation>空闲</translation>
    </message>
    <message>
        <location line="+0" />
        <source>busy</source>
        <translation>忙</translation>
    </message>
    <message>
        <location line="+0" />
        <source>on scene</source>
        <translation>到达现场</translation>
    </message>
    <message>
        <location line="+1" />
        <source>returning</source>
        <translation>返回中</translation>
    </message>
    <message>
        <location line="+0" />
        <source>off duty</source>
        <translation>下班</translation>
    </message>
    <message>
        <location line="+0" />
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <location line="+1" />
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="+28" />
        <source>%1 members</source>
        <translation>%1 名成员</translation>
    </message>
    <message>
        <location line="+34" />
        <source>Search terminals (name, number, department)</source>
        <translation>搜索终端（名称、号码、部门）</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Calls are logged in this incident's timeline</source>
        <translation>通话记入该事件的时间轴</translation>
    </message>
    <message>
        <location line="+13" />
        <source>Group call</source>
        <translation>组呼</translation>
    </message>
    <message>
        <location line="+1" />
        <source>All-call</source>
        <translation>全呼</translation>
    </message>
    <message>
        <location line="+1" />
        <source>PTT (hold)</source>
        <translation>按住讲话</translation>
    </message>
    <message>
        <location line="+6" />
        <source>ch </source>
        <translation>信道 </translation>
    </message>
    <message>
        <location line="+1" />
        <source>Patch</source>
        <translation>信道互联</translation>
    </message>
    <message>
        <location line="+5" />
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+58" />
        <source>All departments</source>
        <translation>全部部门</translation>
    </message>
    <message>
        <location line="+10" />
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location line="+21" />
        <source>EMERGENCY</source>
        <translation>紧急</translation>
    </message>
    <message>
        <location line="+0" />
        <source>in call</source>
        <translation>通话中</translation>
    </message>
    <message>
        <location line="+15" />
        <source>EMERGENCY: %1</source>
        <translation>紧急呼叫：%1</translation>
    </message>
    <message>
        <location line="+57" />
        <source>Select at least two terminals (Ctrl+click)</source>
        <translation>请至少选择两个终端（Ctrl+单击）</translation>
    </message>
    <message>
        <location line="+11" />
        <source>Not connected to the hub</source>
        <translation>未连接到中心服务</translation>
    </message>
</context>
<context>
    <name>EscalateDialog</name>
    <message>
        <location filename="../../app/alert_handling.py" line="+15" />
        <source>Escalate alert</source>
        <translation>升级告警</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Reason (optional)</source>
        <translation>原因（可选）</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Escalate %1 alert(s) to the next level?</source>
        <translation>将 %1 条告警升级到上一级？</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Reason</source>
        <translation>原因</translation>
    </message>
</context>
<context>
    <name>EvaluateDialog</name>
    <message>
        <location filename="../../app/incident_dialogs.py" line="+200" />
        <source>Evaluate incident</source>
        <translation>事件评价</translation>
    </message>
    <message>
        <location line="+6" />
        <source>How was it handled? (optional)</source>
        <translation>处置情况如何？（可选）</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Score</source>
        <translation>评分</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Comment</source>
        <translation>评语</translation>
    </message>
</context>
<context>
    <name>EvaluationView</name>
    <message>
        <location filename="../../app/evaluation_view.py" line="+86" />
        <source>Evaluation by department</source>
        <translation>部门考核评价</translation>
    </message>
    <message>
        <location line="+13" />
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Ask the hub for the evaluation report again (F5)</source>
        <translation>重新向中心服务获取考核报表（F5）</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Save the evaluation table as a CSV file (Ctrl+Shift+X)</source>
        <translation>将考核表保存为 CSV 文件（Ctrl+Shift+X）</translation>
    </message>
    <message>
        <location line="+20" />
        <source>Department</source>
        <translation>部门</translation>
    </message>
    <message>
        <location line="+0" />
        <location line="+4" />
        <source>Handled</source>
        <translation>办结数</translation>
    </message>
    <message>
        <location line="-4" />
        <source>Avg. time to dispatch (min)</source>
        <translation>平均派遣用时（分钟）</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Avg. time to close (min)</source>
        <translation>平均结案用时（分钟）</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Overdue tasks</source>
        <translation>超时任务</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Dispatch (min)</source>
        <translation>派遣（分钟）</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Close (min)</source>
        <translation>结案（分钟）</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Overdue</source>
        <translation>超时</translation>
    </message>
    <message>
        <location line="+36" />
        <source>%1 departments</source>
        <translation>%1 个部门</translation>
    </message>
    <message>
        <location line="+1" />
        <source>No evaluation data yet</source>
        <translation>暂无考核数据</translation>
    </message>
    <message>
        <location line="+12" />
        <source>Your role may not see the evaluation report</source>
        <translation>您的角色无权查看考核报表</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location line="+6" />
        <source>Report failed: %1</source>
        <translation>报表获取失败：%1</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Not connected to the hub</source>
        <translation>未连接到中心服务</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Export evaluation</source>
        <translation>导出考核评价</translation>
    </message>
    <message>
        <location line="+1" />
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <location line="+6" />
        <source>Cannot write %1: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Saved %1</source>
        <translation>已保存 %1</translation>
    </message>
    <message>
        <location line="+6" />
        <source>Evaluation</source>
        <translation>考核评价</translation>
    </message>
    <message>
        <location line="+7" />
        <source>Show the evaluation by department (Ctrl+Shift+G)</source>
        <translation>查看各部门考核评价（Ctrl+Shift+G）</translation>
    </message>
    <message>
        <location line="+3" />
        <source>E&amp;valuation</source>
        <translation>考核评价(&amp;V)</translation>
    </message>
</context>
<context>
    <name>Federation</name>
    <message>
        <location filename="../../app/federation_view.py" line="+23" />
        <source>city centre</source>
        <translation>市级中心</translation>
    </message>
    <message>
        <location line="+0" />
        <source>department</source>
        <translation>部门</translation>
    </message>
    <message>
        <location line="+1" />
        <source>township</source>
        <translation>乡镇</translation>
    </message>
    <message>
        <location line="+8" />
        <source>link refused (certificate or password)</source>
        <translation>链路被拒绝（证书或口令）</translation>
    </message>
    <message>
        <location line="+1" />
        <source>connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <location line="+0" />
        <source>link down</source>
        <translation>链路中断</translation>
    </message>
    <message>
        <location line="+1" />
        <source>this centre</source>
        <translation>本中心</translation>
    </message>
    <message>
        <location line="+30" />
        <location line="+147" />
        <source>Centre</source>
        <translation>中心</translation>
    </message>
    <message>
        <location line="-147" />
        <source>Link</source>
        <translation>链路状态</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Lag</source>
        <translation>延迟</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Last contact</source>
        <translation>最近联络</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Pending</source>
        <translation>待同步</translation>
    </message>
    <message>
        <location line="+76" />
        <source>Show the records of one centre</source>
        <translation>只显示一个中心的记录</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Owner</source>
        <translation>归属</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <location line="+33" />
        <source>All centres</source>
        <translation>全部中心</translation>
    </message>
    <message>
        <location line="+6" />
        <location line="+29" />
        <location line="+78" />
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="-107" />
        <source>Alert</source>
        <translation>预警</translation>
    </message>
    <message>
        <location line="+19" />
        <location line="+100" />
        <source>Assign task to centre</source>
        <translation>向中心派发任务</translation>
    </message>
    <message>
        <location line="-95" />
        <source>What the centre is to do</source>
        <translation>需该中心完成的工作</translation>
    </message>
    <message>
        <location line="+4" />
        <location line="+111" />
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="-84" />
        <source>Links</source>
        <translation>链路</translation>
    </message>
    <message>
        <location line="+1" />
        <source>By centre</source>
        <translation>按中心</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Escalate to city…</source>
        <translation>上报市级…</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Hand the selected incident over to the city centre (it becomes the owner)</source>
        <translation>将所选事件移交市级中心（由市级中心负责）</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Assign task to centre…</source>
        <translation>向中心派发任务…</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Send a task to a sub-centre, which accepts it</source>
        <translation>向分中心派发任务，由其签收</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Accept task from city…</source>
        <translation>签收市级任务…</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Take over a task the city assigned to this centre; its progress then reports back</source>
        <translation>接手市级派给本中心的任务，进展将自动回报</translation>
    </message>
    <message>
        <location line="+36" />
        <location line="+3" />
        <location line="+4" />
        <source>Escalate to city</source>
        <translation>上报市级</translation>
    </message>
    <message>
        <location line="-6" />
        <source>No incident of this centre to escalate.</source>
        <translation>本中心没有可上报的事件。</translation>
    </message>
    <message>
        <location line="+7" />
        <source>Why (for the city's duty officer)</source>
        <translation>上报原因（供市级值班员参考）</translation>
    </message>
    <message>
        <location line="+9" />
        <source>No sub-centre is known yet.</source>
        <translation>尚无已知的分中心。</translation>
    </message>
    <message>
        <location line="+14" />
        <location line="+4" />
        <source>Accept task from city</source>
        <translation>签收市级任务</translation>
    </message>
    <message>
        <location line="-3" />
        <source>No task is waiting for this centre.</source>
        <translation>本中心没有待签收的任务。</translation>
    </message>
    <message>
        <location line="+13" />
        <source>Centres</source>
        <translation>指挥中心</translation>
    </message>
    <message>
        <location line="+6" />
        <source>Show or hide the centres (Shift+F7)</source>
        <translation>显示或隐藏指挥中心（Shift+F7）</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Fe&amp;deration</source>
        <translation>多级联动(&amp;D)</translation>
    </message>
</context>
<context>
    <name>IdleLock</name>
    <message>
        <location filename="../../app/idle_lock.py" line="+133" />
        <source>Lock console</source>
        <translation>锁定值班台</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Lock the console now (Ctrl+Alt+L)</source>
        <translation>立即锁定值班台（Ctrl+Alt+L）</translation>
    </message>
    <message>
        <location line="+70" />
        <source>Wrong password.</source>
        <translation>密码错误。</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Wrong password or one-time code.</source>
        <translation>密码或动态验证码错误。</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Cannot reach the hub to check the password: %1</source>
        <translation>无法连接中心服务校验密码：%1</translation>
    </message>
</context>
<context>
    <name>IncidentDesk</name>
    <message>
        <location filename="../../app/incident_desk.py" line="+46" />
        <source>phone report</source>
        <translation>电话报警</translation>
    </message>
    <message>
        <location line="+0" />
        <source>manual entry</source>
        <translation>人工录入</translation>
    </message>
    <message>
        <location line="+0" />
        <source>from an alert</source>
        <translation>由告警转入</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Incident opened</source>
        <translation>事件已创建</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Plan activated: %1</source>
        <translation>已启动应急预案：%1</translation>
    </message>
    <message>
        <location line="+21" />
        <source>Call %1: %2</source>
        <translation>通话 %1：%2</translation>
    </message>
    <message>
        <location line="+16" />
        <source>assigned</source>
        <translation>已派发</translation>
    </message>
    <message>
        <location line="+0" />
        <source>accepted</source>
        <translation>已签收</translation>
    </message>
    <message>
        <location line="+0" />
        <source>in progress</source>
        <translation>处置中</translation>
    </message>
    <message>
        <location line="+1" />
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location line="+0" />
        <source>rejected</source>
        <translation>已退回</translation>
    </message>
    <message>
        <location line="+40" />
        <location line="+222" />
        <source>No incident selected</source>
        <translation>未选择事件</translation>
    </message>
    <message>
        <location line="-217" />
        <source>Note for the next stage (optional)</source>
        <translation>下一环节备注（可选）</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Department</source>
        <translation>部门</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Unit</source>
        <translation>力量</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Due</source>
        <translation>时限</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+6" />
        <source>Timeline</source>
        <translation>时间轴</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Tasks</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+43" />
        <source>New incident…</source>
        <translation>新建事件…</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Register a phone report or a manual entry</source>
        <translation>登记电话报警或人工录入的事件</translation>
    </message>
    <message>
        <location line="+1" />
        <location line="+203" />
        <source>Advance stage</source>
        <translation>推进环节</translation>
    </message>
    <message>
        <location line="-202" />
        <source>Move the incident to the next stage of the loop</source>
        <translation>将事件推进到闭环的下一环节</translation>
    </message>
    <message>
        <location line="+1" />
        <source>New task…</source>
        <translation>新建任务…</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Give a department a task with a due time</source>
        <translation>给部门派发有时限的任务</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Supervise (督办)</source>
        <translation>督办</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Put the selected task under supervision</source>
        <translation>对选中的任务督办</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Activate plan…</source>
        <translation>启动应急预案…</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Activate a plan: its tasks, notices and wall scene in one step</source>
        <translation>一键启动应急预案：派发任务、发送通知并切换大屏预案</translation>
    </message>
    <message>
        <location line="+159" />
        <source>micro cycle</source>
        <translation>微循环</translation>
    </message>
    <message>
        <location line="+0" />
        <source>small cycle</source>
        <translation>小循环</translation>
    </message>
    <message>
        <location line="+0" />
        <source>big cycle</source>
        <translation>大循环</translation>
    </message>
    <message>
        <location line="+3" />
        <source>plan: %1</source>
        <translation>应急预案：%1</translation>
    </message>
    <message>
        <location line="+14" />
        <source>overdue</source>
        <translation>已超时</translation>
    </message>
    <message>
        <location line="+18" />
        <source>Advance to %1</source>
        <translation>推进到%1</translation>
    </message>
    <message>
        <location line="+39" />
        <source>Incident desk</source>
        <translation>事件工作台</translation>
    </message>
    <message>
        <location line="+6" />
        <source>Show or hide the incident desk (F4)</source>
        <translation>显示或隐藏事件工作台（F4）</translation>
    </message>
    <message>
        <location line="+1" />
        <source>&amp;Incidents</source>
        <translation>事件(&amp;I)</translation>
    </message>
</context>
<context>
    <name>IncidentDialog</name>
    <message>
        <location filename="../../app/console_window.py" line="-325" />
        <source>New incident</source>
        <translation>新建事件</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Natural disaster</source>
        <translation>自然灾害</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Accident</source>
        <translation>事故灾难</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Public health</source>
        <translation>公共卫生事件</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Social security</source>
        <translation>社会安全事件</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Grade Ⅰ (especially serious)</source>
        <translation>Ⅰ级（特别重大）</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Grade Ⅱ (serious)</source>
        <translation>Ⅱ级（重大）</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Grade Ⅲ (major)</source>
        <translation>Ⅲ级（较大）</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Grade Ⅳ (general)</source>
        <translation>Ⅳ级（一般）</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Grade</source>
        <translation>等级</translation>
    </message>
</context>
<context>
    <name>IncidentTableModel</name>
    <message>
        <location filename="../../widgets/incident_list_view.py" line="+32" />
        <source>Grade</source>
        <translation>等级</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Stage</source>
        <translation>阶段</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Intake</source>
        <translation>接报</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Verifying</source>
        <translation>核实</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Responding</source>
        <translation>处置</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Recovery</source>
        <translation>善后</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Closed</source>
        <translation>已办结</translation>
    </message>
</context>
<context>
    <name>KpiPanel</name>
    <message>
        <location filename="../../widgets/kpi_panel.py" line="+79" />
        <source>%1 alerts</source>
        <translation>%1预警</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Unacknowledged</source>
        <translation>未确认</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Open incidents</source>
        <translation>在办事件</translation>
    </message>
</context>
<context>
    <name>LeaderView</name>
    <message>
        <location filename="../../app/leader_view.py" line="+77" />
        <source>red/orange %1
unacknowledged %2</source>
        <translation>红色/橙色 %1
未确认 %2</translation>
    </message>
    <message>
        <location line="+24" />
        <source>Grade</source>
        <translation>等级</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Micro</source>
        <translation>微循环</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Small</source>
        <translation>小循环</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Big</source>
        <translation>大循环</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Decided by</source>
        <translation>决策人</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Decision</source>
        <translation>决策</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Incident for the one-key consultation</source>
        <translation>一键会商所针对的事件</translation>
    </message>
    <message>
        <location line="+5" />
        <source>One-key consultation</source>
        <translation>一键会商</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Start a consultation on the chosen incident: invite, switch the wall, set up the room (F8)</source>
        <translation>就选定事件发起会商：邀请与会人员、切换大屏、准备会商室（F8）</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Record decision…</source>
        <translation>记录决策…</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Record who decided what in the open consultation (Ctrl+D)</source>
        <translation>记录当前会商中由谁作出何种决策（Ctrl+D）</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Add to minutes…</source>
        <translation>添加会议纪要…</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Append a line to the consultation minutes (Ctrl+Shift+M)</source>
        <translation>在会商纪要中追加一条（Ctrl+Shift+M）</translation>
    </message>
    <message>
        <location line="+2" />
        <source>End consultation</source>
        <translation>结束会商</translation>
    </message>
    <message>
        <location line="+1" />
        <source>End the open consultation (Ctrl+Shift+E)</source>
        <translation>结束当前会商（Ctrl+Shift+E）</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Consultation</source>
        <translation>会商模式</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Briefing</source>
        <translation>汇报模式</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Room off</source>
        <translation>关闭会商室</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Run the room scene "%1" (%2)</source>
        <translation>执行会商室模式“%1”（%2）</translation>
    </message>
    <message>
        <location line="+3" />
        <location line="+1" />
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <location line="-1" />
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Detail</source>
        <translation>详情</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Errors</source>
        <translation>错误数</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Step</source>
        <translation>步骤</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <location line="+0" />
        <source>ms</source>
        <translation>毫秒</translation>
    </message>
    <message>
        <location line="+2" />
        <source>On the wall</source>
        <translation>大屏当前画面</translation>
    </message>
    <message>
        <location line="+5" />
        <source>Open incidents by grade and cycle</source>
        <translation>在办事件（按等级与闭环）</translation>
    </message>
    <message>
        <location line="+6" />
        <source>Consultation and decision log</source>
        <translation>会商与决策记录</translation>
    </message>
    <message>
        <location line="+9" />
        <source>Consultation room</source>
        <translation>会商室</translation>
    </message>
    <message>
        <location line="+10" />
        <source>Video wall</source>
        <translation>视频大屏</translation>
    </message>
    <message>
        <location line="+74" />
        <source>Open: %1 (%2) — invited: %3</source>
        <translation>进行中：%1（%2）— 已邀请：%3</translation>
    </message>
    <message>
        <location line="+3" />
        <source>No consultation open</source>
        <translation>暂无进行中的会商</translation>
    </message>
    <message>
        <location line="+7" />
        <source>online</source>
        <translation>在线</translation>
    </message>
    <message>
        <location line="+0" />
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <location line="+0" />
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="+9" />
        <source>you may change the wall</source>
        <translation>可操作大屏</translation>
    </message>
    <message>
        <location line="+0" />
        <source>read only</source>
        <translation>只读</translation>
    </message>
    <message>
        <location line="+17" />
        <source>No room scene run yet</source>
        <translation>尚未执行会商室模式</translation>
    </message>
    <message>
        <location line="+3" />
        <source>running</source>
        <translation>执行中</translation>
    </message>
    <message>
        <location line="+0" />
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location line="+0" />
        <source>some steps failed</source>
        <translation>部分步骤失败</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Room scene %1 by %2: %3</source>
        <translation>会商室模式 %1（%2 执行）：%3</translation>
    </message>
    <message>
        <location line="+15" />
        <source>Not connected to the hub</source>
        <translation>未连接到中心服务</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Sending: %1</source>
        <translation>正在发送：%1</translation>
    </message>
    <message>
        <location line="+6" />
        <source>Failed: %1</source>
        <translation>失败：%1</translation>
    </message>
    <message>
        <location line="+13" />
        <source>Consultation started</source>
        <translation>会商已开始</translation>
    </message>
    <message>
        <location line="+10" />
        <source>Decision recorded</source>
        <translation>决策已记录</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Minutes updated</source>
        <translation>会议纪要已更新</translation>
    </message>
    <message>
        <location line="+3" />
        <location line="+2" />
        <source>Record decision</source>
        <translation>记录决策</translation>
    </message>
    <message>
        <location line="-2" />
        <source>Decision:</source>
        <translation>决策：</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Decided by (empty: you):</source>
        <translation>决策人（留空为本人）：</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Minutes</source>
        <translation>会议纪要</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Add to the minutes:</source>
        <translation>添加到会议纪要：</translation>
    </message>
    <message>
        <location line="+5" />
        <source>Consultation ended</source>
        <translation>会商已结束</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Room scene sent</source>
        <translation>会商室模式已发送</translation>
    </message>
    <message>
        <location line="+9" />
        <source>Leader's view</source>
        <translation>领导视图</translation>
    </message>
    <message>
        <source>power on</source>
        <translation>电源开</translation>
    </message>
    <message>
        <source>power off</source>
        <translation>电源关</translation>
    </message>
    <message>
        <source>power %1</source>
        <translation>电源 %1</translation>
    </message>
    <message>
        <source>lamp %1 h</source>
        <translation>灯泡 %1 小时</translation>
    </message>
</context>
<context>
    <name>LockOverlay</name>
    <message>
        <location filename="../../app/idle_lock.py" line="-167" />
        <source>Console locked</source>
        <translation>值班台已锁定</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Locked after inactivity. This session cannot be unlocked here: log in to continue.</source>
        <translation>因长时间无操作已锁定。本会话无法在此解锁，请重新登录。</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Locked after inactivity. %1, enter your password and a new one-time code to continue.</source>
        <translation>因长时间无操作已锁定。%1，请输入密码和新的动态验证码以继续。</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Locked after inactivity. %1, enter your password to continue.</source>
        <translation>长时间无操作已锁定。%1，请输入密码继续。</translation>
    </message>
    <message>
        <location line="+4" />
        <source>password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location line="+3" />
        <source>6 digits from the authenticator app</source>
        <translation>身份验证器中的6位数字</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Unlock (Enter)</source>
        <translation>解锁（回车）</translation>
    </message>
    <message>
        <location line="+30" />
        <source>Enter the 6-digit one-time code.</source>
        <translation>请输入6位动态验证码。</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <location filename="../../app/login_dialog.py" line="+22" />
        <source>Command centre — log in</source>
        <translation>指挥中心 — 登录</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Hub: %1</source>
        <translation>中心服务：%1</translation>
    </message>
    <message>
        <location line="+3" />
        <source>user name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <location line="+3" />
        <source>password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location line="+2" />
        <source>6 digits from the authenticator app</source>
        <translation>身份验证器中的6位动态码</translation>
    </message>
    <message>
        <location line="+8" />
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location line="+1" />
        <source>One-time code</source>
        <translation>动态口令</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Log in</source>
        <translation>登录</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Log in (Enter)</source>
        <translation>登录（回车）</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location line="+12" />
        <source>Enter the user name and the password.</source>
        <translation>请输入用户名和密码。</translation>
    </message>
    <message>
        <location line="+18" />
        <source>Wrong user name, password or one-time code.</source>
        <translation>用户名、密码或动态口令错误。</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Too many failed logins: this account is locked for 15 minutes. An administrator can unlock it.</source>
        <translation>登录失败次数过多，账号已锁定15分钟，可由管理员解锁。</translation>
    </message>
    <message>
        <location line="+2" />
        <source>This role needs a one-time code: ask an administrator to enrol you.</source>
        <translation>该角色需要动态口令：请联系管理员为您开通。</translation>
    </message>
    <message>
        <location line="+1" />
        <source>The session expired. Log in again.</source>
        <translation>会话已过期，请重新登录。</translation>
    </message>
    <message>
        <location line="+1" />
        <source>You were logged out. Log in again.</source>
        <translation>您已被注销，请重新登录。</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Your role was changed. Log in again.</source>
        <translation>您的角色已变更，请重新登录。</translation>
    </message>
    <message>
        <location line="+1" />
        <source>This user is disabled.</source>
        <translation>该用户已停用。</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Log in with password and one-time code on this machine.</source>
        <translation>请在本机使用密码和动态口令登录。</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Locked after inactivity: log in to continue.</source>
        <translation>因长时间无操作已锁定，请登录以继续。</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Your one-time code cannot be checked on this hub: ask an administrator to enrol you again.</source>
        <translation>本服务器无法校验您的动态验证码，请联系管理员重新绑定。</translation>
    </message>
</context>
<context>
    <name>MapCell</name>
    <message>
        <location filename="../../app/cells.py" line="+92" />
        <source>Offline base map not yet loaded</source>
        <translation>离线底图尚未加载</translation>
    </message>
</context>
<context>
    <name>MapFeature</name>
    <message>
        <location filename="../../app/map_feature.py" line="+33" />
        <source>Alerts</source>
        <translation>告警</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Units</source>
        <translation>力量</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Cameras</source>
        <translation>视频监控</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Sensors</source>
        <translation>感知设备</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Resources</source>
        <translation>应急资源</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Rescue team</source>
        <translation>救援队伍</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Supply depot</source>
        <translation>物资储备点</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Shelter</source>
        <translation>避灾安置点</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Hospital</source>
        <translation>医院</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Team</source>
        <translation>队伍</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Vehicle</source>
        <translation>车辆</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Radio</source>
        <translation>电台</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Drone</source>
        <translation>无人机</translation>
    </message>
    <message>
        <location line="+60" />
        <source>Show or hide the %1 layer (%2)</source>
        <translation>显示或隐藏%1图层（%2）</translation>
    </message>
    <message>
        <location line="+5" />
        <source>Open overlay…</source>
        <translation>打开叠加图层…</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Draw a GeoJSON file over the map (Ctrl+Shift+O)</source>
        <translation>在地图上叠加显示 GeoJSON 文件（Ctrl+Shift+O）</translation>
    </message>
    <message>
        <location line="+17" />
        <source>Open overlay</source>
        <translation>打开叠加图层</translation>
    </message>
    <message>
        <location line="+1" />
        <source>GeoJSON (*.geojson *.json)</source>
        <translation>GeoJSON 文件 (*.geojson *.json)</translation>
    </message>
    <message>
        <location line="+11" />
        <source>%1 shapes from %2</source>
        <translation>已从 %2 载入 %1 个图形</translation>
    </message>
    <message>
        <location line="+23" />
        <location line="+61" />
        <source>Select an incident to see the resources near it</source>
        <translation>选择事件以查看周边资源</translation>
    </message>
    <message>
        <location line="-54" />
        <source>Search radius round the incident</source>
        <translation>事件周边搜索半径</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Distance</source>
        <translation>距离</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+5" />
        <source>Dispatch</source>
        <translation>调度</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Dispatch the selected resource or unit to the incident (Ctrl+D, Enter)</source>
        <translation>将选中的资源或力量调度到事件现场（Ctrl+D、回车）</translation>
    </message>
    <message>
        <location line="+46" />
        <source>Near %1: %2 within %3 km</source>
        <translation>%1 周边 %3 公里内：%2 个</translation>
    </message>
    <message>
        <location line="+24" />
        <source>Select an incident and a resource first</source>
        <translation>请先选择事件和资源</translation>
    </message>
    <message>
        <location line="+8" />
        <source>Not connected to the hub</source>
        <translation>未连接到中心服务</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Dispatching %1 …</source>
        <translation>正在调度 %1 …</translation>
    </message>
    <message>
        <location line="+10" />
        <source>Dispatch is not available: this backend has no dispatch service yet (dispatch.call unknown). Call %1 by radio or phone.</source>
        <translation>调度不可用：后台尚无调度服务（dispatch.call 未知）。请通过对讲机或电话联系 %1。</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Your role may not dispatch.</source>
        <translation>您的角色无调度权限。</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Dispatch of %1 failed: %2</source>
        <translation>调度 %1 失败：%2</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Dispatch request sent to %1</source>
        <translation>已向 %1 发送调度指令</translation>
    </message>
    <message>
        <location line="+9" />
        <source>Play in the console preview</source>
        <translation>在值班台预览中播放</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Send to wall cell</source>
        <translation>上墙到窗格</translation>
    </message>
    <message>
        <location line="+5" />
        <source>Cell %1</source>
        <translation>第 %1 格</translation>
    </message>
    <message>
        <location line="+14" />
        <source>Situation map</source>
        <translation>态势地图</translation>
    </message>
    <message>
        <location line="+10" />
        <source>Show or hide the map (Ctrl+M)</source>
        <translation>显示或隐藏地图（Ctrl+M）</translation>
    </message>
</context>
<context>
    <name>MapView</name>
    <message>
        <location filename="../../widgets/map_paint.py" line="+53" />
        <source>No base map installed</source>
        <translation>未安装底图</translation>
    </message>
</context>
<context>
    <name>NewIncidentDialog</name>
    <message>
        <location filename="../../app/incident_dialogs.py" line="-175" />
        <source>New incident</source>
        <translation>新建事件</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Phone report</source>
        <translation>电话报警</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Manual entry</source>
        <translation>人工录入</translation>
    </message>
    <message>
        <location line="+3" />
        <source>What happened, where</source>
        <translation>发生了什么、在哪里</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Natural disaster</source>
        <translation>自然灾害</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Accident</source>
        <translation>事故灾难</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Public health</source>
        <translation>公共卫生事件</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Social security</source>
        <translation>社会安全事件</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Grade Ⅰ (especially serious)</source>
        <translation>Ⅰ级（特别重大）</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Grade Ⅱ (serious)</source>
        <translation>Ⅱ级（重大）</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Grade Ⅲ (major)</source>
        <translation>Ⅲ级（较大）</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Grade Ⅳ (general)</source>
        <translation>Ⅳ级（一般）</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Routed by grade</source>
        <translation>按等级分流</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Micro cycle (one department)</source>
        <translation>微循环（单一部门）</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Small cycle (several departments)</source>
        <translation>小循环（多部门协同）</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Big cycle (centre-led, cross-level)</source>
        <translation>大循环（中心牵头、跨层级）</translation>
    </message>
    <message>
        <location line="+14" />
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Grade</source>
        <translation>等级</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Cycle</source>
        <translation>闭环</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Township</source>
        <translation>镇街</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Lead department</source>
        <translation>牵头部门</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Caller</source>
        <translation>报警人</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Phone number</source>
        <translation>联系电话</translation>
    </message>
    <message>
        <location line="+8" />
        <source>micro cycle</source>
        <translation>微循环</translation>
    </message>
    <message>
        <location line="+0" />
        <source>small cycle</source>
        <translation>小循环</translation>
    </message>
    <message>
        <location line="+0" />
        <source>big cycle</source>
        <translation>大循环</translation>
    </message>
    <message>
        <location line="+1" />
        <source>By grade this goes to the %1</source>
        <translation>按等级将流转至%1</translation>
    </message>
</context>
<context>
    <name>PlaceholderCell</name>
    <message>
        <location filename="../../widgets/simple_cells.py" line="+109" />
        <source>(%1 is not available in this window)</source>
        <translation>（此窗口不支持 %1）</translation>
    </message>
</context>
<context>
    <name>PlanDialog</name>
    <message>
        <location filename="../../app/incident_dialogs.py" line="+75" />
        <source>Activate plan</source>
        <translation>启动应急预案</translation>
    </message>
    <message>
        <location line="+7" />
        <source>(%1 tasks)</source>
        <translation>（%1 项任务）</translation>
    </message>
    <message>
        <location line="+15" />
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Plans</source>
        <translation>应急预案</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Tasks</source>
        <translation>任务</translation>
    </message>
</context>
<context>
    <name>Review</name>
    <message>
        <location filename="../../app/review_player.py" line="+35" />
        <source>%1 %2 removed</source>
        <translation>已删除 %1 %2</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Incident opened: %1</source>
        <translation>事件已创建：%1</translation>
    </message>
    <message>
        <location line="+5" />
        <source>Plan activated: %1</source>
        <translation>已启动应急预案：%1</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Evaluated: %1 / 5</source>
        <translation>已评价：%1 / 5</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Incident updated</source>
        <translation>事件已更新</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Alert raised: %1</source>
        <translation>新告警：%1</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Alert escalated to level %1: %2</source>
        <translation>告警升级到第 %1 级：%2</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Alert acknowledged: %1</source>
        <translation>告警已确认：%1</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Alert assigned to %1: %2</source>
        <translation>告警已交办给 %1：%2</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Alert updated: %1</source>
        <translation>告警已更新：%1</translation>
    </message>
    <message>
        <location line="+8" />
        <source>Task for %1: %2</source>
        <translation>派发给 %1 的任务：%2</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Task %1: %2</source>
        <translation>任务%1：%2</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Wall shows %1</source>
        <translation>大屏切换到 %1</translation>
    </message>
    <message>
        <location line="+6" />
        <source>Notified %1</source>
        <translation>已通知 %1</translation>
    </message>
    <message>
        <location line="+5" />
        <source>Call %1: %2</source>
        <translation>通话 %1：%2</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Decision by %1: %2</source>
        <translation>%1 决策：%2</translation>
    </message>
    <message>
        <location line="+5" />
        <source>Recording of %1 not converted: %2</source>
        <translation>%1 的录像未能转换：%2</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Recording of %1 (%2 s): %3</source>
        <translation>%1 的录像（%2 秒）：%3</translation>
    </message>
    <message>
        <location line="+220" />
        <source>Select an incident to review</source>
        <translation>请选择要复盘的事件</translation>
    </message>
    <message>
        <location line="+12" />
        <source>Review failed: %1</source>
        <translation>复盘失败：%1</translation>
    </message>
    <message>
        <location line="+9" />
        <source>Review incident…</source>
        <translation>事件复盘…</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Replay the selected incident's timeline (Ctrl+Shift+R)</source>
        <translation>回放选中事件的时间轴（Ctrl+Shift+R）</translation>
    </message>
    <message>
        <location line="+4" />
        <source>&amp;Review</source>
        <translation>复盘(&amp;R)</translation>
    </message>
</context>
<context>
    <name>ReviewDialog</name>
    <message>
        <location line="-51" />
        <source>Incident review</source>
        <translation>事件复盘</translation>
    </message>
</context>
<context>
    <name>ReviewPlayer</name>
    <message>
        <location line="-115" />
        <source>Choose an incident to review</source>
        <translation>选择要复盘的事件</translation>
    </message>
    <message>
        <location line="+3" />
        <location line="+69" />
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <location line="-67" />
        <source>Play or pause the replay (Space)</source>
        <translation>播放或暂停回放（空格）</translation>
    </message>
    <message>
        <location line="+8" />
        <source>Replay speed</source>
        <translation>回放速度</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Seek: drag to an event</source>
        <translation>定位：拖动到某一事件</translation>
    </message>
    <message>
        <location line="+23" />
        <source>Loading the review of %1…</source>
        <translation>正在加载 %1 的复盘…</translation>
    </message>
    <message>
        <location line="+27" />
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <location line="+38" />
        <source>%1 events; press Play</source>
        <translation>共 %1 条记录，请按播放</translation>
    </message>
    <message>
        <location line="+2" />
        <source>No events for this incident</source>
        <translation>该事件暂无记录</translation>
    </message>
</context>
<context>
    <name>Stages</name>
    <message>
        <location filename="../../widgets/stage_bar.py" line="+19" />
        <source>Intake</source>
        <translation>接报</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Collect</source>
        <translation>信息采集</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Register</source>
        <translation>案件建立</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Dispatch</source>
        <translation>任务派遣</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Handle</source>
        <translation>任务处理</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Feedback</source>
        <translation>处理反馈</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Verify and close</source>
        <translation>核查结案</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Evaluate</source>
        <translation>综合评价</translation>
    </message>
</context>
<context>
    <name>StoreAlarm</name>
    <message>
        <location filename="../../app/store_alarm.py" line="+21" />
        <source>the disk is full</source>
        <translation>磁盘已满</translation>
    </message>
    <message>
        <location line="+1" />
        <source>the disk is read-only</source>
        <translation>磁盘为只读</translation>
    </message>
    <message>
        <location line="+1" />
        <source>the disk reports I/O errors</source>
        <translation>磁盘报告读写错误</translation>
    </message>
    <message>
        <location line="+1" />
        <source>writes fail</source>
        <translation>写入失败</translation>
    </message>
    <message>
        <location line="+3" />
        <source>STORE FAULT since {when}: {why}. New commands are refused; incoming data is held and saved when the disk recovers. Call the system administrator.</source>
        <translation>存储故障（自 {when} 起）：{why}。新指令将被拒绝；接收的数据暂存，磁盘恢复后保存。请联系系统管理员。</translation>
    </message>
    <message>
        <location line="+14" />
        <location line="+10" />
        <source>Store alarm</source>
        <translation>存储告警</translation>
    </message>
</context>
<context>
    <name>TaskDialog</name>
    <message>
        <location filename="../../app/incident_dialogs.py" line="-73" />
        <source>New task</source>
        <translation>新建任务</translation>
    </message>
    <message>
        <location line="+7" />
        <source>What is to be done</source>
        <translation>需要完成的工作</translation>
    </message>
    <message>
        <location line="+2" />
        <source>(no unit)</source>
        <translation>（不指定力量）</translation>
    </message>
    <message>
        <location line="+7" />
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Department</source>
        <translation>部门</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Unit</source>
        <translation>力量</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Due</source>
        <translation>时限</translation>
    </message>
</context>
<context>
    <name>Timeline</name>
    <message>
        <location filename="../../widgets/timeline_view.py" line="+39" />
        <source>Stage</source>
        <translation>环节</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Alert</source>
        <translation>告警</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Wall</source>
        <translation>大屏</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Unit</source>
        <translation>力量</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Notice</source>
        <translation>通知</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Plan</source>
        <translation>应急预案</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Supervision</source>
        <translation>督办</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Call</source>
        <translation>通话</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Decision</source>
        <translation>决策</translation>
    </message>
</context>
<context>
    <name>TimelineView</name>
    <message>
        <location line="+20" />
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Who</source>
        <translation>人员</translation>
    </message>
    <message>
        <location line="+0" />
        <source>What</source>
        <translation>内容</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Due</source>
        <translation>时限</translation>
    </message>
    <message>
        <location line="+21" />
        <source>overdue</source>
        <translation>已超时</translation>
    </message>
</context>
<context>
    <name>UnknownCameraCell</name>
    <message>
        <location filename="../../widgets/simple_cells.py" line="-11" />
        <source>NO SIGNAL</source>
        <translation>无信号</translation>
    </message>
    <message>
        <location line="+0" />
        <source>unknown camera %1</source>
        <translation>未知点位 %1</translation>
    </message>
</context>
<context>
    <name>VideoTile</name>
    <message>
        <location filename="../../widgets/video_tile.py" line="+289" />
        <source>idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <location line="+1" />
        <source>connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <location line="+2" />
        <location line="+15" />
        <location line="+2" />
        <location line="+2" />
        <source>NO SIGNAL</source>
        <translation>无信号</translation>
    </message>
    <message>
        <location line="-18" />
        <source>error</source>
        <translation>错误</translation>
    </message>
    <message>
        <location line="+12" />
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <location line="+2" />
        <source>%1 — reconnecting</source>
        <translation>%1 — 正在重连</translation>
    </message>
    <message>
        <location line="+2" />
        <source>cannot play</source>
        <translation>无法播放</translation>
    </message>
</context>
<context>
    <name>WallCells</name>
    <message>
        <location filename="../../app/cells.py" line="+16" />
        <source>Live alerts</source>
        <translation>实时告警</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Open incidents</source>
        <translation>在办事件</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Active alerts</source>
        <translation>告警统计</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Situation map</source>
        <translation>态势地图</translation>
    </message>
</context>
<context>
    <name>WallControl</name>
    <message>
        <location filename="../../app/wall_control.py" line="+80" />
        <source>On the wall</source>
        <translation>大屏当前画面</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Preview (next scene)</source>
        <translation>预览（下一预案）</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Scene to prepare in the preview</source>
        <translation>在预览中准备的预案</translation>
    </message>
    <message>
        <location line="+6" />
        <source>Take preview to wall</source>
        <translation>预览上墙</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Show the prepared scene on the wall in one step</source>
        <translation>一键将准备好的预案上墙</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Undo scene edit</source>
        <translation>撤销预案编辑</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Redo scene edit</source>
        <translation>重做预案编辑</translation>
    </message>
    <message>
        <location line="+5" />
        <source>Copy wall to preview</source>
        <translation>复制大屏到预览</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Start the preview from what the wall shows now</source>
        <translation>以大屏当前画面为预览起点</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Save preview as scene…</source>
        <translation>预览另存为预案…</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Save the prepared scene as a new scene file</source>
        <translation>将准备好的预案另存为新的预案文件</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Pause tours</source>
        <translation>暂停轮巡</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Hold the wall's tours on their current camera, or let them go on</source>
        <translation>让大屏轮巡停在当前监控点位，或继续轮巡</translation>
    </message>
    <message>
        <location line="+4" />
        <source>Move the selected camera (hold the keys)</source>
        <translation>转动选中的摄像机（按住按键）</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Pan left</source>
        <translation>向左转</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Pan right</source>
        <translation>向右转</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Tilt up</source>
        <translation>向上仰</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Tilt down</source>
        <translation>向下俯</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Zoom in</source>
        <translation>放大</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Zoom the selected camera in</source>
        <translation>选中的摄像机镜头拉近</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Zoom out</source>
        <translation>缩小</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Zoom the selected camera out</source>
        <translation>选中的摄像机镜头拉远</translation>
    </message>
    <message>
        <location line="+51" />
        <source>PTZ: move the selected camera while pressed (Alt+arrow keys)</source>
        <translation>云台：按住时转动选中的摄像机（Alt+方向键）</translation>
    </message>
    <message>
        <location line="+7" />
        <source>PTZ: zoom while pressed (Alt++ / Alt+-)</source>
        <translation>云台：按住时变倍（Alt++ / Alt+-）</translation>
    </message>
    <message>
        <location line="+5" />
        <source>Set</source>
        <translation>设置</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Checked: the preset buttons store the current position</source>
        <translation>勾选后，预置位按钮保存当前位置</translation>
    </message>
    <message>
        <location line="+4" />
        <source>PTZ preset %1</source>
        <translation>云台预置位 %1</translation>
    </message>
    <message>
        <location line="+35" />
        <source>Prepare scene %1</source>
        <translation>准备预案 %1</translation>
    </message>
    <message>
        <location line="+8" />
        <source>Put %1 in cell %2</source>
        <translation>将 %1 放入第 %2 格</translation>
    </message>
    <message>
        <location line="+8" />
        <source>Copy the wall</source>
        <translation>复制大屏</translation>
    </message>
    <message>
        <location line="+21" />
        <source>Nothing to save: prepare a scene first</source>
        <translation>没有可保存的内容：请先准备预案</translation>
    </message>
    <message>
        <location line="+2" />
        <source>%1: use letters, digits, '-', '_' or '.'</source>
        <translation>%1：只能使用字母、数字、“-”、“_”或“.”</translation>
    </message>
    <message>
        <location line="+3" />
        <source>%1 exists already; choose a new name</source>
        <translation>%1 已存在，请另取名称</translation>
    </message>
    <message>
        <location line="+14" />
        <location line="+3" />
        <source>Save scene</source>
        <translation>保存预案</translation>
    </message>
    <message>
        <location line="-3" />
        <source>File name (letters, digits, -):</source>
        <translation>文件名（字母、数字、-）：</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Title shown to operators:</source>
        <translation>显示给操作员的标题：</translation>
    </message>
    <message>
        <location line="+39" />
        <source>PTZ: select a camera tile first</source>
        <translation>云台：请先选择一个视频窗格</translation>
    </message>
    <message>
        <location line="+11" />
        <source>Not connected to the hub</source>
        <translation>未连接到中心服务</translation>
    </message>
    <message>
        <location line="+47" />
        <source>Wall</source>
        <translation>大屏</translation>
    </message>
</context>
<context>
    <name>WallMiniature</name>
    <message>
        <location filename="../../widgets/wall_miniature.py" line="+86" />
        <source>Tour: %1</source>
        <translation>轮巡：%1</translation>
    </message>
    <message>
        <location line="+1" />
        <source>Map</source>
        <translation>地图</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Alerts</source>
        <translation>告警</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+1" />
        <source>KPI</source>
        <translation>指标</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Clock</source>
        <translation>时钟</translation>
    </message>
    <message>
        <location line="+0" />
        <source>Banner</source>
        <translation>横幅</translation>
    </message>
    <message>
        <location line="+38" />
        <source>No scene</source>
        <translation>无预案</translation>
    </message>
    <message>
        <location line="+25" />
        <source>ALARM</source>
        <translation>报警</translation>
    </message>
</context>
<context>
    <name>WallWindow</name>
    <message>
        <location filename="../../app/wall_window.py" line="+62" />
        <source>Video wall</source>
        <translation>视频大屏</translation>
    </message>
    <message>
        <location line="+31" />
        <source>Show scene %1</source>
        <translation>切换预案 %1</translation>
    </message>
    <message>
        <location line="+3" />
        <source>Ask the hub to put the scene number %1 on the wall</source>
        <translation>请求中心服务将第 %1 个预案上墙</translation>
    </message>
    <message>
        <location line="+40" />
        <source>Scene %1 cannot be shown: %2</source>
        <translation>预案 %1 无法显示：%2</translation>
    </message>
    <message>
        <location line="+2" />
        <source>Scene %1 is not in %2</source>
        <translation>预案 %1 不在 %2 中</translation>
    </message>
    <message>
        <location line="+132" />
        <source>The scene was not taken: %1</source>
        <translation>预案未能上墙：%1</translation>
    </message>
    <message>
        <location line="+9" />
        <source>Hub %1: the wall keeps showing the last scene</source>
        <translation>中心服务状态 %1：大屏保持显示上一个预案</translation>
    </message>
</context>
</TS>